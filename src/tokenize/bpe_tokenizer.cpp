#include "tokenize/bpe_tokenizer.h"

#include <unicode/uchar.h>
#include <unicode/ustring.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/utf8.h"

namespace audiorium::tokenize {

namespace {

namespace fs = std::filesystem;
using Codepoints = std::u32string;

constexpr std::string_view kRoberta = "roberta-bpe";
constexpr std::string_view kClip = "clip-bpe";

// ---------------------------------------------------------------- Unicode classes (from ICU, never hand tables)

// `\s` of Python's `regex` module and of HF's tokenizers: the White_Space property.
bool is_space(char32_t c) { return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_WHITE_SPACE); }
bool is_letter(char32_t c) { return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_L_MASK) != 0; }
bool is_number(char32_t c) { return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_N_MASK) != 0; }
bool is_other(char32_t c) { return !is_space(c) && !is_letter(c) && !is_number(c); }

// `\s` of Python's `re` module and str.isspace()/strip(), which CLIP's whitespace_clean uses: bidirectional class
// WS, B or S, or category Zs (CPython's makeunicodedata.py). It differs from White_Space on U+001C..U+001F.
bool is_py_space(char32_t c) {
  const auto ch = static_cast<UChar32>(c);
  const auto dir = u_charDirection(ch);
  return dir == U_WHITE_SPACE_NEUTRAL || dir == U_BLOCK_SEPARATOR || dir == U_SEGMENT_SEPARATOR ||
         u_charType(ch) == U_SPACE_SEPARATOR;
}

Codepoints decode_strict(std::string_view text) {
  Codepoints out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const auto n = utf8::decode(text, i, cp);
    if (n == 0)
      throw Error("text is not valid UTF-8 (bad byte 0x" +
                  [&] {
                    char b[8];
                    std::snprintf(b, sizeof b, "%02X", static_cast<unsigned char>(text[i]));
                    return std::string(b);
                  }() +
                  " at offset " + std::to_string(i) + ")");
    out += cp;
    i += n;
  }
  return out;
}

std::string encode_utf8(std::u32string_view cps) {
  std::string out;
  for (auto c : cps) utf8::append(out, c);
  return out;
}

// ---------------------------------------------------------------- GPT-2's bytes-to-unicode map

// Every byte gets a printable code point so BPE symbols are never control or space characters: printable
// Latin-1 bytes map to themselves, the other 68 to U+0100 upwards in byte order (GPT-2's encoder.py).
const std::array<std::string, 256>& byte_symbols() {
  static const std::array<std::string, 256> table = [] {
    std::array<bool, 256> printable{};
    for (int b = '!'; b <= '~'; ++b) printable[b] = true;
    for (int b = 0xA1; b <= 0xAC; ++b) printable[b] = true;
    for (int b = 0xAE; b <= 0xFF; ++b) printable[b] = true;
    std::array<std::string, 256> t;
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      std::string s;
      utf8::append(s, printable[b] ? static_cast<char32_t>(b) : next++);
      t[b] = s;
    }
    return t;
  }();
  return table;
}

// ---------------------------------------------------------------- pre-tokenisation

std::size_t contraction_length(const Codepoints& s, std::size_t i, bool ignore_case) {
  if (s[i] != U'\'' || i + 1 >= s.size()) return 0;
  auto at = [&](std::size_t k) -> char32_t {
    if (k >= s.size()) return 0;
    const char32_t c = s[k];
    return ignore_case && c >= U'A' && c <= U'Z' ? c + 32 : c;
  };
  // The regex tries 's 't 're 've 'm 'll 'd in this order; none is a prefix of another, so order is moot.
  const char32_t a = at(i + 1), b = at(i + 2);
  if (a == U's' || a == U't' || a == U'm' || a == U'd') return 2;
  if ((a == U'r' && b == U'e') || (a == U'v' && b == U'e') || (a == U'l' && b == U'l')) return 3;
  return 0;
}

template <typename Pred>
std::size_t run_end(const Codepoints& s, std::size_t j, Pred pred) {
  while (j < s.size() && pred(s[j])) ++j;
  return j;
}

// GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ — leftmost match, first
// alternative that matches at that position, greedy with backtracking where it matters (the two \s branches).
std::vector<std::pair<std::size_t, std::size_t>> split_gpt2(const Codepoints& s) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t end = 0;
    if (auto n = contraction_length(s, i, false)) {
      end = i + n;
    } else {
      const std::size_t j = s[i] == U' ' ? i + 1 : i;
      if (j < s.size() && is_letter(s[j])) end = run_end(s, j, is_letter);
      else if (j < s.size() && is_number(s[j])) end = run_end(s, j, is_number);
      else if (j < s.size() && is_other(s[j])) end = run_end(s, j, is_other);
      else {
        // s[i] is white space. \s+(?!\S): the run up to the end of text, or the run less its last character
        // when a non-space follows (that character then leads the next word as " word"); a single space before
        // a non-space falls through to plain \s+.
        const std::size_t k = run_end(s, i, is_space);
        end = (k == s.size() || k - i < 2) ? k : k - 1;
      }
    }
    out.emplace_back(i, end);
    i = end;
  }
  return out;
}

// CLIP: <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+ with
// re.IGNORECASE, used with findall: white space matches no branch and is skipped.
std::vector<std::pair<std::size_t, std::size_t>> split_clip(const Codepoints& s) {
  static const Codepoints kSot = U"<|startoftext|>", kEot = U"<|endoftext|>";
  auto literal_at = [&](std::size_t i, const Codepoints& lit) {
    if (s.size() - i < lit.size()) return false;
    for (std::size_t k = 0; k < lit.size(); ++k) {
      char32_t c = s[i + k];
      if (c >= U'A' && c <= U'Z') c += 32;
      if (c != lit[k]) return false;
    }
    return true;
  };
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t end = 0;
    if (literal_at(i, kSot)) end = i + kSot.size();
    else if (literal_at(i, kEot)) end = i + kEot.size();
    else if (auto n = contraction_length(s, i, true)) end = i + n;
    else if (is_letter(s[i])) end = run_end(s, i, is_letter);
    else if (is_number(s[i])) end = i + 1;
    else if (is_other(s[i])) end = run_end(s, i, is_other);
    else {
      ++i;
      continue;
    }
    out.emplace_back(i, end);
    i = end;
  }
  return out;
}

// ---------------------------------------------------------------- CLIP's text clean-up

// The entities html.unescape decodes that matter for typed prompts. Python's full HTML5 table (2,231 names) is
// not reproduced; a name outside this list stays as written.
Codepoints html_unescape(const Codepoints& s) {
  if (s.find(U'&') == Codepoints::npos) return s;
  struct Named {
    std::u32string_view name;
    char32_t value;
    bool legacy;  // also decoded without the ';' (HTML's legacy entities)
  };
  static constexpr Named kNamed[] = {{U"amp", U'&', true},  {U"lt", U'<', true},     {U"gt", U'>', true},
                                     {U"quot", U'"', true}, {U"apos", U'\'', false}, {U"nbsp", 0xA0, true}};
  Codepoints out;
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] != U'&') {
      out += s[i++];
      continue;
    }
    if (i + 1 < s.size() && s[i + 1] == U'#') {
      // &#123; / &#x7B; (the ';' optional, as in Python). Only ordinary code points are decoded; Python maps
      // C1 controls through windows-1252 and drops non-characters — those references are left as written.
      std::size_t j = i + 2;
      const bool hex = j < s.size() && (s[j] == U'x' || s[j] == U'X');
      if (hex) ++j;
      const std::size_t digits_begin = j;
      unsigned long long v = 0;
      for (; j < s.size(); ++j) {
        const char32_t c = s[j];
        unsigned d = 0;
        if (c >= U'0' && c <= U'9') d = c - U'0';
        else if (hex && c >= U'a' && c <= U'f') d = c - U'a' + 10;
        else if (hex && c >= U'A' && c <= U'F') d = c - U'A' + 10;
        else break;
        v = std::min<unsigned long long>(v * (hex ? 16 : 10) + d, 0x7FFFFFFF);  // saturate: too big is too big
      }
      const bool ordinary = (v >= 0x20 && v < 0x7F) || v == 0x09 || v == 0x0A ||
                            (v >= 0xA0 && v <= 0x10FFFF && !(v >= 0xD800 && v <= 0xDFFF) &&
                             !(v >= 0xFDD0 && v <= 0xFDEF) && (v & 0xFFFE) != 0xFFFE);
      if (j > digits_begin && ordinary) {
        out += static_cast<char32_t>(v);
        i = j < s.size() && s[j] == U';' ? j + 1 : j;
        continue;
      }
      out += s[i++];
      continue;
    }
    bool done = false;
    for (const auto& e : kNamed) {
      if (s.compare(i + 1, e.name.size(), e.name) != 0) continue;
      const std::size_t after = i + 1 + e.name.size();
      if (after < s.size() && s[after] == U';') {
        out += e.value;
        i = after + 1;
        done = true;
      } else if (e.legacy) {
        out += e.value;
        i = after;
        done = true;
      }
      if (done) break;
    }
    if (!done) out += s[i++];
  }
  return out;
}

Codepoints strip_py(const Codepoints& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && is_py_space(s[b])) ++b;
  while (e > b && is_py_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

Codepoints lower(const Codepoints& s) {
  if (s.empty()) return s;
  // ICU's full case mapping works on UTF-16; "" is the root locale (no Turkish dotless-i rules), like Python.
  std::u16string in;
  for (auto c : s) {
    if (c < 0x10000) {
      in += static_cast<char16_t>(c);
    } else {
      in += static_cast<char16_t>(0xD800 + ((c - 0x10000) >> 10));
      in += static_cast<char16_t>(0xDC00 + ((c - 0x10000) & 0x3FF));
    }
  }
  std::u16string buf(in.size() * 3 + 8, u'\0');
  UErrorCode err = U_ZERO_ERROR;
  const int32_t n = u_strToLower(buf.data(), static_cast<int32_t>(buf.size()), in.data(),
                                 static_cast<int32_t>(in.size()), "", &err);
  if (U_FAILURE(err)) throw Error(std::string("lower-casing failed: ") + u_errorName(err));
  Codepoints out;
  for (int32_t i = 0; i < n; ++i) {
    const char16_t u = buf[static_cast<std::size_t>(i)];
    if (u >= 0xD800 && u < 0xDC00 && i + 1 < n) {
      const char16_t l = buf[static_cast<std::size_t>(++i)];
      out += static_cast<char32_t>(0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00));
    } else {
      out += static_cast<char32_t>(u);
    }
  }
  return out;
}

// simple_tokenizer: whitespace_clean(basic_clean(text)).lower(), basic_clean being ftfy (not available here),
// html.unescape twice and strip.
Codepoints clip_clean(const Codepoints& text) {
  const Codepoints s = strip_py(html_unescape(html_unescape(text)));
  Codepoints collapsed;
  for (std::size_t i = 0; i < s.size();) {
    if (is_py_space(s[i])) {
      collapsed += U' ';
      while (i < s.size() && is_py_space(s[i])) ++i;
    } else {
      collapsed += s[i++];
    }
  }
  return lower(strip_py(collapsed));
}

// ---------------------------------------------------------------- files

std::unordered_map<std::string, int64_t> read_vocab(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("tokenizer vocabulary " + path.string() + " cannot be read (missing or not readable)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error("tokenizer vocabulary " + path.string() + " is not valid JSON (at byte " + std::to_string(e.byte) +
                ")");
  } catch (const nlohmann::json::exception& e) {  // e.g. a number beyond double: out_of_range, not parse_error
    throw Error("tokenizer vocabulary " + path.string() + " cannot be read: " + e.what());
  }
  if (!j.is_object() || j.empty())
    throw Error("tokenizer vocabulary " + path.string() + " must be a JSON object of token → id");
  std::unordered_map<std::string, int64_t> vocab;
  vocab.reserve(j.size());
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0)
      throw Error("tokenizer vocabulary " + path.string() + ": the id of token '" + it.key() +
                  "' is not a non-negative integer");
    vocab.emplace(it.key(), it.value().get<int64_t>());
  }
  return vocab;
}

// Rank of each merge, keyed by its line ("a b"): the pair (a, b) merges before pairs of higher rank.
std::unordered_map<std::string, int> read_merges(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("tokenizer merges " + path.string() + " cannot be read (missing or not readable)");
  std::unordered_map<std::string, int> ranks;
  std::string line;
  std::size_t line_no = 0;
  int rank = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // The first line of every published merges.txt is a "#version: 0.2" header (HF skips line 1 unconditionally).
    if (line_no == 1 && line.rfind("#", 0) == 0) continue;
    if (line.empty()) continue;
    const auto sp = line.find(' ');
    if (sp == std::string::npos || sp == 0 || sp + 1 == line.size() || line.find(' ', sp + 1) != std::string::npos)
      throw Error("tokenizer merges " + path.string() + " line " + std::to_string(line_no) +
                  ": expected two symbols separated by one space, got '" + line + "'");
    ranks[line] = rank++;  // a repeated pair keeps its last rank, as Python's dict(zip(merges, range(n))) does
  }
  if (ranks.empty()) throw Error("tokenizer merges " + path.string() + " holds no merges");
  return ranks;
}

// ---------------------------------------------------------------- BPE

class BpeTokenizer : public Tokenizer {
 public:
  BpeTokenizer(const TokenizerSpec& spec) : clip_(spec.type == kClip), max_length_(spec.max_length) {
    if (spec.type != kRoberta && spec.type != kClip)
      throw Error("unknown tokenizer type '" + spec.type + "' (known: roberta-bpe, clip-bpe)");
    if (spec.max_length < 2)
      throw Error("tokenizer max_length must be at least 2 (start and end tokens), got " +
                  std::to_string(spec.max_length));
    vocab_ = read_vocab(spec.vocab);
    ranks_ = read_merges(spec.merges);
    auto need = [&](const std::string& token) {
      const auto it = vocab_.find(token);
      if (it == vocab_.end())
        throw Error("tokenizer vocabulary " + spec.vocab.string() + " has no '" + token + "' token (is it a " +
                    spec.type + " vocabulary?)");
      return it->second;
    };
    if (clip_) {
      bos_ = need("<|startoftext|>");
      eos_ = need("<|endoftext|>");
      pad_ = spec.pad_id.value_or(0);
      // CLIP has no unknown token: its vocabulary holds every byte symbol, alone and word-final.
      for (const auto& b : byte_symbols()) {
        need(b);
        need(b + "</w>");
      }
    } else {
      bos_ = need("<s>");
      eos_ = need("</s>");
      unk_ = need("<unk>");
      pad_ = spec.pad_id ? *spec.pad_id : need("<pad>");
    }
    if (pad_ < 0) throw Error("tokenizer pad_id must not be negative");
  }

  std::size_t max_length() const override { return max_length_; }

  std::vector<int64_t> encode_words(std::string_view utf8_text) const override {
    const Codepoints text = decode_strict(utf8_text);
    const Codepoints cleaned = clip_ ? clip_clean(text) : text;
    std::vector<int64_t> ids;
    for (const auto& [b, e] : clip_ ? split_clip(cleaned) : split_gpt2(cleaned)) {
      const std::string piece = encode_utf8(std::u32string_view(cleaned).substr(b, e - b));
      if (clip_ && (piece == "<|startoftext|>" || piece == "<|endoftext|>")) {
        ids.push_back(piece == "<|startoftext|>" ? bos_ : eos_);  // simple_tokenizer's cache maps them to themselves
        continue;
      }
      for (const auto& symbol : bpe(piece)) {
        const auto it = vocab_.find(symbol);
        if (it != vocab_.end()) ids.push_back(it->second);
        else if (!clip_) ids.push_back(unk_);
        else throw Error("clip-bpe vocabulary lacks the merged symbol '" + symbol + "' (vocab and merges disagree)");
      }
    }
    return ids;
  }

  TokenizedText encode(std::string_view utf8_text) const override {
    auto words = encode_words(utf8_text);
    if (words.size() > max_length_ - 2) words.resize(max_length_ - 2);
    TokenizedText out;
    out.ids.reserve(max_length_);
    out.ids.push_back(bos_);
    out.ids.insert(out.ids.end(), words.begin(), words.end());
    out.ids.push_back(eos_);
    out.attention_mask.assign(out.ids.size(), 1);
    out.ids.resize(max_length_, pad_);
    out.attention_mask.resize(max_length_, 0);
    return out;
  }

 private:
  // One pre-token → its BPE symbols: start from byte symbols (CLIP marks the last one with </w>), then merge the
  // adjacent pair of lowest rank everywhere it occurs, left to right, until no pair has a rank (encoder.py).
  std::vector<std::string> bpe(const std::string& piece) const {
    const auto& table = byte_symbols();
    std::vector<std::string> word;
    word.reserve(piece.size());
    for (unsigned char b : piece) word.push_back(table[b]);
    if (word.empty()) return word;
    if (clip_) word.back() += "</w>";
    std::string key;
    while (word.size() > 1) {
      int best = std::numeric_limits<int>::max();
      std::size_t best_at = 0;
      for (std::size_t i = 0; i + 1 < word.size(); ++i) {
        key.assign(word[i]).append(" ").append(word[i + 1]);
        const auto it = ranks_.find(key);
        if (it != ranks_.end() && it->second < best) {
          best = it->second;
          best_at = i;
        }
      }
      if (best == std::numeric_limits<int>::max()) break;
      const std::string first = word[best_at], second = word[best_at + 1];
      std::vector<std::string> merged;
      merged.reserve(word.size());
      for (std::size_t i = 0; i < word.size();) {
        if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
          merged.push_back(first + second);
          i += 2;
        } else {
          merged.push_back(std::move(word[i]));
          ++i;
        }
      }
      word = std::move(merged);
    }
    return word;
  }

  bool clip_;
  std::size_t max_length_;
  std::unordered_map<std::string, int64_t> vocab_;
  std::unordered_map<std::string, int> ranks_;
  int64_t bos_ = 0, eos_ = 0, pad_ = 0, unk_ = 0;
};

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer(const TokenizerSpec& spec) { return std::make_unique<BpeTokenizer>(spec); }

std::vector<std::string> pretokenize(std::string_view type, std::string_view utf8_text) {
  if (type != kRoberta && type != kClip)
    throw Error("unknown tokenizer type '" + std::string(type) + "' (known: roberta-bpe, clip-bpe)");
  const bool clip = type == kClip;
  const Codepoints text = decode_strict(utf8_text);
  const Codepoints cleaned = clip ? clip_clean(text) : text;
  std::vector<std::string> out;
  for (const auto& [b, e] : clip ? split_clip(cleaned) : split_gpt2(cleaned))
    out.push_back(encode_utf8(std::u32string_view(cleaned).substr(b, e - b)));
  return out;
}

}  // namespace audiorium::tokenize
