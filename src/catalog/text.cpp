#include "catalog/text.h"

#include "core/utf8.h"

#include <cwctype>
#include <locale>
#include <optional>
#include <stdexcept>

namespace audiorium::catalog {

namespace {

using utf8::decode;

// The wide ctype of a UTF-8 locale, or nullptr. Built once; the global locale is left alone.
const std::ctype<wchar_t>* unicode_ctype() {
  static const std::optional<std::locale> loc = []() -> std::optional<std::locale> {
    for (const char* name : {"C.UTF-8", "C.utf8", "en_US.UTF-8"}) {
      try {
        return std::locale(name);
      } catch (const std::runtime_error&) {
      }
    }
    return std::nullopt;
  }();
  return loc ? &std::use_facet<std::ctype<wchar_t>>(*loc) : nullptr;
}

}  // namespace

std::string sanitize_utf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    if (in[i] == '\0') {
      ++i;
      continue;
    }
    char32_t cp = 0;
    const std::size_t len = decode(in, i, cp);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(in.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string clamp_utf8(std::string s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  std::size_t cut = max_bytes;
  // Step back over continuation bytes so the cut falls just before a lead byte.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  return s;
}

std::string fold_case(std::string_view in) {
  const auto* ct = unicode_ctype();
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    char32_t cp = 0;
    std::size_t len = decode(in, i, cp);
    if (len == 0) {
      cp = 0xFFFD;
      len = 1;
    }
    i += len;
    if (cp < 0x80) {
      if (cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
    } else if (ct) {
      cp = static_cast<char32_t>(ct->tolower(static_cast<wchar_t>(cp)));
    }
    utf8::append(out, cp);
  }
  return out;
}

}  // namespace audiorium::catalog
