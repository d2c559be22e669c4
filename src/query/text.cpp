#include "query/text.h"

#include "core/utf8.h"

#include <algorithm>
#include <array>

namespace audiorium::query::detail {

namespace {

// Strict UTF-8 decoding (core/utf8.h): false for an invalid sequence, whose len is then 1.
bool decode(std::string_view s, std::size_t pos, char32_t& cp, std::size_t& len) {
  len = utf8::decode(s, pos, cp);
  if (len == 0) {
    len = 1;
    return false;
  }
  return true;
}

void append_utf8(std::string& out, char32_t cp) { utf8::append(out, cp); }

// Latin-1 supplement U+00C0..U+00FF folded to ASCII; nullptr: not a letter (× ÷).
constexpr std::array<const char*, 64> kLatin1 = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",      // C0
    "d", "n", "o", "o", "o", "o", "o", nullptr, "o", "u", "u", "u", "u", "y", "th", "ss",  // D0
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",      // E0
    "d", "n", "o", "o", "o", "o", "o", nullptr, "o", "u", "u", "u", "u", "y", "th", "y"};  // F0

// Latin Extended-A U+0100..U+017F, one ASCII letter each; '1' and '2' mark the ligatures ij and oe.
constexpr std::string_view kLatinExtA =
    "aaaaaacccccccc" "dddd" "eeeeeeeeee" "gggggggg" "hhhh" "iiiiiiiiii" "11" "jj" "kkk" "llllllllll"
    "nnnnnnnnn" "oooooo" "22" "rrrrrr" "ssssssss" "tttttt" "uuuuuuuuuuuu" "ww" "yyy" "zzzzzz" "s";
static_assert(kLatinExtA.size() == 128);

enum class Cls { Letter, Digit, Apostrophe, Dot, Dash, Sep, Amp, Tilde, Space };

// Other scripts' letters are kept as they are (Greek and Cyrillic lower-cased), so a Cyrillic artist or a
// Japanese title is still a token; symbols, punctuation and emoji separate tokens.
bool other_script_letter(char32_t cp) {
  return (cp >= 0x180 && cp <= 0x24F) || (cp >= 0x370 && cp <= 0x3FF && cp != 0x37E && cp != 0x387) ||
         (cp >= 0x400 && cp <= 0x52F) || (cp >= 0x531 && cp <= 0x587) || (cp >= 0x5D0 && cp <= 0x5EA) ||
         (cp >= 0x620 && cp <= 0x64A) || (cp >= 0x900 && cp <= 0xDFF) || (cp >= 0xE00 && cp <= 0xE7F) ||
         (cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0x1E00 && cp <= 0x1EFF) || (cp >= 0x3040 && cp <= 0x30FF) ||
         (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7AF) ||
         (cp >= 0xF900 && cp <= 0xFAFF);
}

char32_t lower_other(char32_t cp) {
  if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 0x20;  // Greek capitals
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;                  // Cyrillic А..Я
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;                  // Ѐ..Џ
  return cp;
}

// Classifies cp; for letters and digits appends the normalised form to out.
Cls classify(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    const char c = static_cast<char>(cp);
    if (c >= 'a' && c <= 'z') {
      if (out) *out += c;
      return Cls::Letter;
    }
    if (c >= 'A' && c <= 'Z') {
      if (out) *out += static_cast<char>(c - 'A' + 'a');
      return Cls::Letter;
    }
    if (c >= '0' && c <= '9') {
      if (out) *out += c;
      return Cls::Digit;
    }
    switch (c) {
      case '\'': case '`': return Cls::Apostrophe;
      case '.': return Cls::Dot;
      case '-': return Cls::Dash;
      case ',': case ';': case '!': case '?': case ':': case '(': case ')': case '[': case ']':
      case '{': case '}': case '|': return Cls::Sep;
      case '&': return Cls::Amp;
      case '~': return Cls::Tilde;
      default: return Cls::Space;
    }
  }
  if (cp >= 0xC0 && cp <= 0xFF) {
    const char* f = kLatin1[cp - 0xC0];
    if (!f) return Cls::Space;
    if (out) *out += f;
    return Cls::Letter;
  }
  if (cp >= 0x100 && cp <= 0x17F) {
    const char f = kLatinExtA[cp - 0x100];
    if (out) *out += f == '1' ? "ij" : f == '2' ? "oe" : std::string(1, f);
    return Cls::Letter;
  }
  if (cp == 0x2019 || cp == 0x2018 || cp == 0x02BC) return Cls::Apostrophe;  // ’ ‘ ʼ
  if (cp == 0x2010 || cp == 0x2011 || cp == 0x2013 || cp == 0x2212) return Cls::Dash;  // ‐ ‑ – −
  if (cp == 0x2014 || cp == 0x2026 || cp == 0x3001 || cp == 0x3002 || cp == 0xFF0C || cp == 0x061F ||
      cp == 0x00A1 || cp == 0x00BF)
    return Cls::Sep;  // — … 、 。 ， ؟ ¡ ¿
  if (other_script_letter(cp)) {
    if (out) append_utf8(*out, lower_other(cp));
    return Cls::Letter;
  }
  return Cls::Space;
}

Cls classify_at(std::string_view s, std::size_t pos) {
  if (pos >= s.size()) return Cls::Space;
  char32_t cp = 0;
  std::size_t len = 0;
  if (!decode(s, pos, cp, len)) return Cls::Space;
  return classify(cp, nullptr);
}

}  // namespace

std::vector<Token> scan(std::string_view text, bool parse_mode) {
  std::vector<Token> out;
  Token cur;
  bool in_word = false;
  bool has_letter = false;
  bool has_dot = false;
  bool pending_dash = false;

  auto flush = [&] {
    if (!in_word) return;
    cur.kind = has_letter ? TokenKind::Word : TokenKind::Number;
    out.push_back(std::move(cur));
    cur = Token{};
    in_word = false;
    has_letter = false;
    has_dot = false;
  };
  auto emit = [&](TokenKind kind, std::string t, std::size_t b, std::size_t e) {
    flush();
    Token tok;
    tok.text = std::move(t);
    tok.kind = kind;
    tok.begin = b;
    tok.end = e;
    tok.dash_before = pending_dash && kind == TokenKind::Word;
    pending_dash = false;
    out.push_back(std::move(tok));
  };

  std::size_t pos = 0;
  while (pos < text.size()) {
    char32_t cp = 0;
    std::size_t len = 0;
    Cls cls = Cls::Space;
    if (decode(text, pos, cp, len)) {
      cls = classify(cp, nullptr);
    }
    switch (cls) {
      case Cls::Letter:
      case Cls::Digit:
        if (!in_word) {
          in_word = true;
          cur.begin = pos;
          cur.dash_before = parse_mode && pending_dash;
          pending_dash = false;
        }
        classify(cp, &cur.text);
        if (cls == Cls::Letter) has_letter = true;
        cur.end = pos + len;
        break;
      case Cls::Apostrophe: {
        // Inside a word ("don't", "80's") it is dropped; elsewhere it separates.
        const Cls next = classify_at(text, pos + len);
        if (!(in_word && (next == Cls::Letter || next == Cls::Digit))) flush();
        break;
      }
      case Cls::Dot: {
        const Cls next = classify_at(text, pos + len);
        if (parse_mode && in_word && !has_letter && !has_dot && next == Cls::Digit) {
          cur.text += '.';
          has_dot = true;
          break;
        }
        flush();
        if (parse_mode) emit(TokenKind::Sep, ".", pos, pos + len);
        break;
      }
      case Cls::Dash:
        flush();
        pending_dash = parse_mode;
        break;
      case Cls::Sep:
        flush();
        if (parse_mode) emit(TokenKind::Sep, std::string(text.substr(pos, len)), pos, pos + len);
        break;
      case Cls::Amp:
        flush();
        if (parse_mode) emit(TokenKind::Word, "and", pos, pos + len);  // "drum & bass", "r&b"
        break;
      case Cls::Tilde:
        flush();
        if (parse_mode) emit(TokenKind::Approx, "~", pos, pos + len);
        break;
      case Cls::Space:
        flush();
        break;
    }
    pos += len;
  }
  flush();
  return out;
}

std::string sanitize(std::string_view text, std::size_t max_bytes, bool* truncated) {
  if (truncated) *truncated = false;
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  std::size_t pos = 0;
  while (pos < text.size()) {
    char32_t cp = 0;
    std::size_t len = 0;
    const bool ok = decode(text, pos, cp, len);
    const bool control = ok && (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0x2028 ||
                                cp == 0x2029 || cp == 0xFEFF || (cp >= 0x200B && cp <= 0x200F));
    const std::size_t add = (!ok || control) ? 1 : len;
    if (out.size() + add > max_bytes) {
      if (truncated) *truncated = true;
      break;
    }
    if (!ok || control)
      out += ' ';
    else
      out.append(text.substr(pos, len));
    pos += len;
  }
  const auto first = out.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  const auto last = out.find_last_not_of(' ');
  return out.substr(first, last - first + 1);
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace audiorium::query::detail
