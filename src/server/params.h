// Strict parsing of request parameters and HTTP Range headers for the server. Every failure is an ApiError
// with the HTTP status and a message that names the parameter and says what is allowed.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace audiorium::server {

// A failure with its HTTP status; the server turns it into {"error": {"code": status, "message": what()}}.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

// A whole number in [min, max]: optional '-', then digits only (no spaces, '+', decimals or exponents).
// Throws ApiError(400) naming `name` otherwise.
int64_t parse_integer(std::string_view name, std::string_view text, int64_t min, int64_t max);
// An unsigned 64-bit whole number (random seeds). Throws ApiError(400).
std::uint64_t parse_seed(std::string_view name, std::string_view text);
// A finite decimal number in [min, max] ("0.5", "1", "1e-2"). Throws ApiError(400).
double parse_number(std::string_view name, std::string_view text, double min, double max);
// A catalog id as it appears in a URL: a positive whole number. Throws ApiError(400).
int64_t parse_id(std::string_view what, std::string_view text);

// One byte range resolved against a file size: [first, last], both inclusive.
struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  std::uint64_t length() const { return last - first + 1; }
};

// The Range header value for a resource of `size` bytes:
//   nullopt          serve the whole resource (no header, another unit, or several ranges, which we may ignore)
//   a ByteRange      serve that part with 206
// Throws ApiError(416) for a malformed bytes range or one that cannot be satisfied (start beyond the end,
// a suffix of 0 bytes, first > last, an empty resource).
std::optional<ByteRange> parse_range(std::string_view header, std::uint64_t size);

}  // namespace audiorium::server
