// Strict UTF-8 decoding and encoding, shared by everything that cleans or folds untrusted text
// (tags in the catalog, prompts in the query parser).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace audiorium::utf8 {

// Decodes the sequence at in[i] into cp and returns its length in bytes, or 0 when it is not valid UTF-8:
// truncated, a stray continuation byte, an overlong form, a surrogate or a value past U+10FFFF — the forms
// strict decoders (JSON parsers, browsers) refuse.
std::size_t decode(std::string_view in, std::size_t i, char32_t& cp);

// Appends cp (assumed a valid scalar value) to out as UTF-8.
void append(std::string& out, char32_t cp);

}  // namespace audiorium::utf8
