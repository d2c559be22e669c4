#include "core/ascii.h"

namespace audiorium {

std::string ascii_lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string trim_ascii_space(std::string_view s) {
  constexpr std::string_view space = " \t\r\n";
  const auto b = s.find_first_not_of(space);
  if (b == std::string_view::npos) return "";
  return std::string(s.substr(b, s.find_last_not_of(space) - b + 1));
}

}  // namespace audiorium
