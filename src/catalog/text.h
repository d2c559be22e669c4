// UTF-8 helpers for strings that come from files and file systems and go to JSON, SQLite and the page.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace audiorium::catalog {

// Returns valid UTF-8: each invalid byte (stray continuation bytes, overlong forms, UTF-16 surrogates,
// truncated sequences) becomes U+FFFD, and NUL bytes are dropped.
std::string sanitize_utf8(std::string_view in);

// Cuts `s` to at most max_bytes without splitting a UTF-8 character.
std::string clamp_utf8(std::string s, std::size_t max_bytes);

// Lower-cases for case-insensitive matching: full Unicode simple case mapping where the C.UTF-8 locale is
// available, ASCII otherwise. Invalid UTF-8 is sanitised first.
std::string fold_case(std::string_view in);

}  // namespace audiorium::catalog
