#include "query/parser.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "query/text.h"
#include "query/vocabulary_data.h"

namespace audiorium::query {

namespace {

using detail::PhraseKind;
using detail::Token;
using detail::TokenKind;

// ---- quoted track references ------------------------------------------------------------------------

struct Quote {
  std::size_t open = 0, open_len = 0;  // the opening quote's bytes
  std::size_t close = 0, close_len = 0;
};

bool is_word_byte(const std::string& s, std::size_t pos) {
  if (pos >= s.size()) return false;
  const auto c = static_cast<unsigned char>(s[pos]);
  return std::isalnum(c) || c >= 0x80;
}

// Quote characters at pos: 1 = double ("), 2 = single ('), 0 = none; len set to its byte length.
int quote_at(const std::string& s, std::size_t pos, std::size_t& len) {
  const auto starts = [&](std::string_view q) { return s.compare(pos, q.size(), q) == 0; };
  len = 1;
  if (s[pos] == '"') return 1;
  if (s[pos] == '\'') return 2;
  for (const std::string_view q : {"\xE2\x80\x9C", "\xE2\x80\x9D", "\xE2\x80\x9E"}) {  // “ ” „
    if (starts(q)) {
      len = q.size();
      return 1;
    }
  }
  for (const std::string_view q : {"\xC2\xAB", "\xC2\xBB"}) {  // « »
    if (starts(q)) {
      len = q.size();
      return 1;
    }
  }
  for (const std::string_view q : {"\xE2\x80\x98", "\xE2\x80\x99"}) {  // ‘ ’
    if (starts(q)) {
      len = q.size();
      return 2;
    }
  }
  return 0;
}

// The first quoted span with at least two characters inside. A single quote opens only after a non-word
// character and closes only before one, so "don't", "80's" and "rock 'n' roll" are not quotes.
std::optional<Quote> find_quote(const std::string& s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    std::size_t len = 0;
    const int kind = quote_at(s, i, len);
    if (!kind) continue;
    if (kind == 2 && i > 0 && is_word_byte(s, i - 1)) continue;
    for (std::size_t j = i + len; j < s.size(); ++j) {
      std::size_t clen = 0;
      if (quote_at(s, j, clen) != kind) continue;
      if (kind == 2 && is_word_byte(s, j + clen)) continue;
      const auto inner = detail::sanitize(s.substr(i + len, j - i - len), s.size(), nullptr);
      if (detail::utf8_length(inner) >= 2) return Quote{i, len, j, clen};
      break;
    }
  }
  return std::nullopt;
}

// ---- helpers ----------------------------------------------------------------------------------------

std::string format_number(double v) {
  char buf[32];
  if (std::abs(v - std::round(v)) < 1e-9)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += ' ';
    out += p;
  }
  return out;
}

void push_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

bool is_phrase_token(const Token& t) { return t.kind == TokenKind::Word || t.kind == TokenKind::Number; }

struct Match {
  detail::PhraseEntry entry;
  std::size_t length = 0;
  std::string phrase;
};

class Parser {
 public:
  Parser(const Vocabulary& vocab, ParsedQuery& q) : d_(vocab.data()), q_(q) {}

  void run(const std::string& text) {
    tokens_ = split_units(detail::scan(text, true));
    text_ = &text;
    std::size_t i = 0;
    while (i < tokens_.size()) i = step(i);
    end_clause();
  }

 private:
  // "128bpm" -> "128" "bpm" when the letters are a tempo unit.
  std::vector<Token> split_units(std::vector<Token> in) const {
    std::vector<Token> out;
    out.reserve(in.size());
    for (auto& t : in) {
      if (t.kind == TokenKind::Word && !t.text.empty() && std::isdigit(static_cast<unsigned char>(t.text[0]))) {
        const auto cut = t.text.find_first_not_of("0123456789.");
        const std::string unit = t.text.substr(cut);
        const std::string num = t.text.substr(0, cut);
        if (d_.tempo_units.count(unit) && num.find_first_of("0123456789") != std::string::npos &&
            num.back() != '.' && std::count(num.begin(), num.end(), '.') <= 1) {
          Token a = t, b = t;
          a.text = num;
          a.kind = TokenKind::Number;
          b.text = unit;
          b.dash_before = false;
          out.push_back(std::move(a));
          out.push_back(std::move(b));
          continue;
        }
      }
      out.push_back(std::move(t));
    }
    return out;
  }

  std::string span_text(std::size_t i, std::size_t n) const {
    std::vector<std::string> parts;
    for (std::size_t k = i; k < i + n && k < tokens_.size(); ++k) parts.push_back(tokens_[k].text);
    return join(parts);
  }

  // Longest vocabulary phrase starting at token i (within a run of words and numbers).
  std::optional<Match> match(std::size_t i) const {
    std::size_t run = 0;
    while (i + run < tokens_.size() && run < d_.max_phrase_tokens && is_phrase_token(tokens_[i + run])) ++run;
    for (std::size_t len = run; len >= 1; --len) {
      auto key = span_text(i, len);
      const auto it = d_.phrases.find(key);
      if (it != d_.phrases.end()) return Match{it->second, len, std::move(key)};
    }
    return std::nullopt;
  }

  std::size_t unit_at(std::size_t i) const {
    for (std::size_t len = d_.max_unit_tokens; len >= 1; --len) {
      if (i + len > tokens_.size()) continue;
      bool words = true;
      for (std::size_t k = i; k < i + len; ++k) words = words && tokens_[k].kind == TokenKind::Word;
      if (words && d_.tempo_units.count(span_text(i, len))) return len;
    }
    return 0;
  }

  bool word_in(std::size_t i, const std::unordered_set<std::string>& set) const {
    return i < tokens_.size() && tokens_[i].kind == TokenKind::Word && set.count(tokens_[i].text) > 0;
  }

  // ---- modifiers pending for the next term ----

  void consume_modifiers() {
    negate_ = false;
    negation_word_.clear();
    intensity_ = 1.0;
    intensifier_words_.clear();
  }

  void end_clause() {
    if (negate_) q_.notes.push_back("'" + negation_word_ + "' has nothing to negate");
    for (const auto& w : intensifier_words_) q_.notes.push_back("'" + w + "' modifies nothing");
    consume_modifiers();
  }

  std::string prefix() const {
    return join({negate_ ? negation_word_ : std::string(), join(intensifier_words_)});
  }

  // ---- one step of the parse; returns the next token index ----

  std::size_t step(std::size_t i) {
    const Token& t = tokens_[i];
    if (t.kind == TokenKind::Sep) {
      end_clause();
      return i + 1;
    }
    if (const auto next = tempo(i)) return *next;
    if (t.kind == TokenKind::Approx) return i + 1;

    if (const auto m = match(i)) {
      switch (m->entry.kind) {
        case PhraseKind::Term:
          apply_term(d_.terms[m->entry.term], m->phrase);
          return i + m->length;
        case PhraseKind::Negation:
          if (negate_) {
            negate_ = false;  // "not without drums"
            negation_word_.clear();
          } else {
            negate_ = true;
            negation_word_ = m->phrase;
          }
          return i + m->length;
        case PhraseKind::Intensifier:
          intensity_ = std::clamp(intensity_ * m->entry.factor, 0.1, 4.0);
          intensifier_words_.push_back(m->phrase);
          return i + m->length;
        case PhraseKind::Clause:
          end_clause();
          return i + m->length;
        case PhraseKind::Reference:
          if (i > 0 && word_in(i - 1, d_.reference_not_after)) return i + m->length;  // "i'd like ..."
          if (const auto next = unquoted_reference(i + m->length)) {
            consume_modifiers();
            return *next;
          }
          return i + m->length;  // "like" without a reference is a stopword
        case PhraseKind::Stopword:
          return i + m->length;
      }
    }

    // A free word or a bare number.
    if (t.kind == TokenKind::Word && detail::utf8_length(t.text) < 2) return i + 1;
    push_unique(negate_ ? q_.negated_words : q_.words, t.text);
    push_unique(q_.unknown, t.text);
    consume_modifiers();
    return i + 1;
  }

  void apply_term(const VocabularyTerm& term, const std::string& phrase) {
    const std::string pre = prefix();
    q_.understood.push_back(join({pre, phrase}));
    const double f = intensity_;
    for (DescriptorTarget target : term.targets) {
      if (f != 1.0) {
        const bool pct = target.scale == DescriptorTarget::Scale::Percentile;
        double neutral = 0.5, lo = 0.02, hi = 0.98;
        if (!pct) {
          const auto& r = d_.ranges.at(target.descriptor);  // validated at load
          neutral = r.neutral;
          lo = r.min;
          hi = r.max;
        }
        target.value = std::clamp(target.value + (target.value - neutral) * (f - 1.0) * d_.value_shift, lo, hi);
        if (f > 1.0) target.width /= std::sqrt(f);
        target.weight *= f;
      }
      target.negated = negate_;
      target.reason = join({pre, term.reason});
      if (term.comparative && !negate_ && target.scale == DescriptorTarget::Scale::Percentile)
        q_.modifiers.push_back({target.descriptor, target.value - 0.5, target.weight, target.reason});
      q_.targets.push_back(std::move(target));
    }
    for (const auto& tag : term.tags) push_unique(negate_ ? q_.negated_words : q_.words, tag);
    consume_modifiers();
  }

  // Tempo grammar: [lead|approx|filler]* NUMBER [(-|range word) NUMBER] [unit]; needs a unit or a lead word.
  std::optional<std::size_t> tempo(std::size_t i) {
    std::size_t j = i;
    bool lead = false, approx = false;
    std::vector<std::string> shown;
    while (j < tokens_.size()) {
      const Token& t = tokens_[j];
      if (t.kind == TokenKind::Approx) {
        approx = true;
        shown.push_back("~");
      } else if (word_in(j, d_.tempo_lead)) {
        lead = true;
        shown.push_back(t.text);
      } else if (word_in(j, d_.tempo_approx)) {
        approx = true;
        shown.push_back(t.text);
      } else if (!word_in(j, d_.tempo_filler)) {
        break;
      }
      ++j;
    }
    if (j >= tokens_.size() || tokens_[j].kind != TokenKind::Number) return std::nullopt;
    double lo = std::strtod(tokens_[j].text.c_str(), nullptr);
    double hi = lo;
    std::string number = tokens_[j].text;
    ++j;
    if (j < tokens_.size() && tokens_[j].kind == TokenKind::Number && tokens_[j].dash_before) {
      hi = std::strtod(tokens_[j].text.c_str(), nullptr);
      number += "-" + tokens_[j].text;
      ++j;
    } else if (word_in(j, d_.tempo_range) && j + 1 < tokens_.size() && tokens_[j + 1].kind == TokenKind::Number) {
      hi = std::strtod(tokens_[j + 1].text.c_str(), nullptr);
      number += "-" + tokens_[j + 1].text;
      j += 2;
    }
    const std::size_t unit = unit_at(j);
    if (!unit && !lead) return std::nullopt;
    j += unit;
    if (lo > hi) std::swap(lo, hi);
    shown.push_back(number);
    if (unit) shown.push_back(d_.unit_display);
    const std::string what = join(shown);

    if (!(lo >= d_.min_bpm && hi <= d_.max_bpm)) {
      q_.notes.push_back("tempo '" + what + "' is outside " + format_number(d_.min_bpm) + "-" +
                         format_number(d_.max_bpm) + " " + d_.unit_display + "; ignored");
      push_unique(q_.unknown, number + (unit ? " " + d_.unit_display : std::string()));
      consume_modifiers();
      return j;
    }
    DescriptorTarget target;
    target.descriptor = "tempo_bpm";
    target.scale = DescriptorTarget::Scale::Absolute;
    target.value = (lo + hi) / 2.0;
    target.width = std::max(approx ? d_.approx_width : d_.min_width, (hi - lo) / 2.0);
    target.weight = intensity_;
    target.negated = negate_;
    const std::string pre = prefix();
    target.reason = join({pre, number + " " + d_.unit_display});
    q_.understood.push_back(join({pre, what}));
    q_.targets.push_back(std::move(target));
    consume_modifiers();
    return j;
  }

  // "like battle theme but calmer": the words after a reference word up to a clause end, when one of them
  // is not vocabulary. Returns the index after the reference.
  std::optional<std::size_t> unquoted_reference(std::size_t start) {
    if (q_.track_reference) return std::nullopt;
    std::size_t end = start;
    while (end < tokens_.size()) {
      const Token& t = tokens_[end];
      if (t.kind == TokenKind::Sep || word_in(end, d_.reference_end)) break;
      if (const auto m = match(end); m && m->entry.kind == PhraseKind::Term && d_.terms[m->entry.term].comparative)
        break;
      ++end;
    }
    // Drop trailing stopwords and clause words ("like battle theme and" -> "battle theme").
    while (end > start) {
      const auto it = d_.phrases.find(tokens_[end - 1].text);
      const bool filler = tokens_[end - 1].kind == TokenKind::Approx ||
                          (it != d_.phrases.end() &&
                           (it->second.kind == PhraseKind::Stopword || it->second.kind == PhraseKind::Clause));
      if (!filler) break;
      --end;
    }
    if (end == start) return std::nullopt;
    bool has_unknown = false;
    for (std::size_t k = start; k < end && !has_unknown;) {
      if (const auto m = match(k); m && m->entry.kind != PhraseKind::Reference) {
        k += std::min(m->length, end - k);
      } else if (tokens_[k].kind == TokenKind::Approx || detail::utf8_length(tokens_[k].text) < 2) {
        ++k;
      } else {
        has_unknown = true;
      }
    }
    if (!has_unknown) return std::nullopt;
    q_.track_reference = text_->substr(tokens_[start].begin, tokens_[end - 1].end - tokens_[start].begin);
    q_.understood.push_back("like " + span_text(start, end - start));
    return end;
  }

  const detail::VocabularyData& d_;
  ParsedQuery& q_;
  std::vector<Token> tokens_;
  const std::string* text_ = nullptr;

  bool negate_ = false;
  std::string negation_word_;
  double intensity_ = 1.0;
  std::vector<std::string> intensifier_words_;
};

}  // namespace

ParsedQuery parse_query(const std::string& text, const Vocabulary& vocab) {
  ParsedQuery q;
  try {
    bool truncated = false;
    q.text = detail::sanitize(text, ParsedQuery::kMaxInputBytes, &truncated);
    if (truncated) {
      q.truncated = true;
      q.notes.push_back("query truncated to " + std::to_string(ParsedQuery::kMaxInputBytes) + " bytes");
    }
    std::string rest = q.text;
    if (const auto quote = find_quote(q.text)) {
      const std::size_t inner = quote->open + quote->open_len;
      q.track_reference = detail::sanitize(q.text.substr(inner, quote->close - inner), q.text.size(), nullptr);
      q.understood.push_back("'" + *q.track_reference + "'");
      // The quoted span ends a clause: "not 'X' sad" does not negate sad.
      rest = q.text.substr(0, quote->open) + " , " + q.text.substr(quote->close + quote->close_len);
      if (find_quote(rest)) q.notes.push_back("several quoted titles; using the first: '" + *q.track_reference + "'");
    }
    Parser(vocab, q).run(rest);
  } catch (const std::exception& e) {
    // Defensive: parsing text must never take a search down. Keep what was parsed and say so.
    q.notes.push_back(std::string("query parser error: ") + e.what());
  }
  return q;
}

}  // namespace audiorium::query
