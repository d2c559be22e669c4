// ASCII-only text helpers for identifiers, file extensions, CSV cells and protocol fields — places where
// Unicode case folding would be wrong or needless (user-facing text goes through core/utf8.h and catalog/text.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace audiorium {

// A-Z → a-z; every other byte (UTF-8 included) unchanged.
std::string ascii_lower(std::string s);
// Without leading and trailing spaces, tabs, CR and LF.
std::string trim_ascii_space(std::string_view s);
// Bytes as lowercase hex (digests, salts), and back: nullopt for an odd length or a non-hex digit (either case).
std::string to_hex(std::string_view bytes);
std::optional<std::string> from_hex(std::string_view hex);

}  // namespace audiorium
