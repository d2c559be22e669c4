// Text normalisation shared by the query parser and BM25: one scanner, so a word the parser hands to BM25 is
// spelled exactly as BM25 indexed it (lower-case, common Latin accents folded to ASCII, apostrophes inside a
// word dropped: "don't" -> "dont", "Beyoncé" -> "beyonce").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace audiorium::query::detail {

enum class TokenKind {
  Word,    // letters/digits, not all digits
  Number,  // digits, in parse mode with at most one decimal point ("128", "92.5")
  Sep,     // clause punctuation (parse mode only): , ; . ! ? : ( ) [ ] | … —
  Approx,  // '~' (parse mode only)
};

struct Token {
  std::string text;           // normalised
  TokenKind kind = TokenKind::Word;
  bool dash_before = false;   // a '-' or '–' came right before this token (parse mode): "90-100", "up-tempo"
  std::size_t begin = 0;      // byte span in the scanned text
  std::size_t end = 0;
};

// parse_mode: emit Sep/Approx tokens, join decimals, turn '&' into the word "and". Otherwise only words and
// numbers (BM25). Invalid UTF-8, control characters, symbols and emoji separate tokens. Never throws.
std::vector<Token> scan(std::string_view text, bool parse_mode);

// Valid UTF-8 copy of text: invalid sequences and control characters become spaces, leading/trailing
// whitespace removed, cut to at most max_bytes on a code point boundary (truncated set when it was cut).
std::string sanitize(std::string_view text, std::size_t max_bytes, bool* truncated);

// Number of code points in a valid UTF-8 string.
std::size_t utf8_length(std::string_view s);

}  // namespace audiorium::query::detail
