#include "server/params.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace audiorium::server {

namespace {

std::string shown(std::string_view text) {
  constexpr std::size_t kMax = 40;
  std::string s(text.substr(0, kMax));
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == '"') c = '?';
  return "\"" + s + (text.size() > kMax ? "…" : "") + "\"";
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::string range_text(int64_t min, int64_t max) {
  return "between " + std::to_string(min) + " and " + std::to_string(max);
}

}  // namespace

int64_t parse_integer(std::string_view name, std::string_view text, int64_t min, int64_t max) {
  const std::string p(name);
  const bool negative = !text.empty() && text.front() == '-';
  const std::string_view digits = negative ? text.substr(1) : text;
  if (!all_digits(digits))
    throw ApiError(400, p + " must be a whole number " + range_text(min, max) + ", not " + shown(text));
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max)
    throw ApiError(400, p + " must be " + range_text(min, max) + ", not " + shown(text));
  return value;
}

std::uint64_t parse_seed(std::string_view name, std::string_view text) {
  const std::string p(name);
  if (!all_digits(text)) throw ApiError(400, p + " must be a whole number ≥ 0, not " + shown(text));
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    throw ApiError(400, p + " must be a whole number from 0 to 18446744073709551615, not " + shown(text));
  return value;
}

double parse_number(std::string_view name, std::string_view text, double min, double max) {
  const std::string p(name);
  auto fail = [&]() -> ApiError {
    char bounds[96];
    std::snprintf(bounds, sizeof bounds, " must be a number between %g and %g, not ", min, max);
    return ApiError(400, p + bounds + shown(text));
  };
  // strtod accepts leading spaces, hex, "inf" and "nan": allow only a plain decimal form.
  if (text.empty() || text.size() > 64) throw fail();
  for (const char c : text)
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) throw fail();
  const std::string s(text);
  char* end = nullptr;
  const double value = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(value) || value < min || value > max) throw fail();
  return value;
}

int64_t parse_id(std::string_view what, std::string_view text) {
  if (!all_digits(text) || text.size() > 18)
    throw ApiError(400, std::string(what) + " id must be a positive whole number, not " + shown(text));
  int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value <= 0) throw ApiError(400, std::string(what) + " id must be a positive whole number, not " + shown(text));
  return value;
}

std::optional<ByteRange> parse_range(std::string_view header, std::uint64_t size) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  header = trim(header);
  if (header.empty()) return std::nullopt;
  constexpr std::string_view kUnit = "bytes=";
  if (header.substr(0, kUnit.size()) != kUnit) return std::nullopt;  // another unit: ignore the header (RFC 9110)
  const std::string_view spec = trim(header.substr(kUnit.size()));
  if (spec.find(',') != std::string_view::npos) return std::nullopt;  // several ranges: we send it all
  const std::string size_text = " (the file has " + std::to_string(size) + " bytes)";
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) throw ApiError(416, "malformed Range header \"" + std::string(header) + "\"");
  const std::string_view a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
  auto number = [&](std::string_view s) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (!all_digits(s) || ec != std::errc() || end != s.data() + s.size())
      throw ApiError(416, "malformed Range header \"" + std::string(header) + "\"");
    return v;
  };
  if (a.empty()) {  // suffix: the last n bytes
    const std::uint64_t n = number(b);
    if (n == 0 || size == 0) throw ApiError(416, "Range \"" + std::string(header) + "\" asks for no bytes" + size_text);
    return ByteRange{n >= size ? 0 : size - n, size - 1};
  }
  const std::uint64_t first = number(a);
  std::uint64_t last = b.empty() ? size - 1 : number(b);
  if (!b.empty() && last < first)
    throw ApiError(416, "Range \"" + std::string(header) + "\" ends before it starts");
  if (size == 0 || first >= size)
    throw ApiError(416, "Range \"" + std::string(header) + "\" starts beyond the end" + size_text);
  if (last >= size) last = size - 1;
  return ByteRange{first, last};
}

}  // namespace audiorium::server
