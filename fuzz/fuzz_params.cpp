// The server's parameter parsing (src/server/params.h) on any text. The first byte picks the parser and, for
// parse_integer and parse_number, the bounds; for parse_range the next 8 bytes are the resource size. Promises:
// a failure is an ApiError with status 400 (416 for ranges) and nothing else; an accepted integer is a plain
// decimal inside its bounds, an accepted number finite inside its bounds, an id positive, a range inside the file.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "server/params.h"

namespace {

struct IntBounds {
  int64_t min, max;
};
constexpr IntBounds kIntBounds[] = {{0, std::numeric_limits<int32_t>::max()},
                                    {1, 500},
                                    {2, 100},
                                    {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()},
                                    {-5, 5}};
struct NumberBounds {
  double min, max;
};
constexpr NumberBounds kNumberBounds[] = {{0, 1}, {0, 10}, {-1e300, 1e300}, {0.01, 100}};

bool plain_integer(std::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  if (s.empty()) return false;
  for (const char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace audiorium::server;
  if (size == 0) return 0;
  const unsigned selector = data[0];
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const int expected_status = selector % 5 == 4 ? 416 : 400;
  try {
    switch (selector % 5) {
      case 0: {
        const auto& b = kIntBounds[(selector / 5) % std::size(kIntBounds)];
        const int64_t v = parse_integer("limit", text, b.min, b.max);
        AUDIORIUM_FUZZ_CHECK(plain_integer(text) && v >= b.min && v <= b.max);
        AUDIORIUM_FUZZ_CHECK(std::stoll(std::string(text)) == v);
        break;
      }
      case 1: {
        const auto& b = kNumberBounds[(selector / 5) % std::size(kNumberBounds)];
        const double v = parse_number("lambda", text, b.min, b.max);
        AUDIORIUM_FUZZ_CHECK(std::isfinite(v) && v >= b.min && v <= b.max);
        break;
      }
      case 2:
        (void)parse_seed("seed", text);
        AUDIORIUM_FUZZ_CHECK(!text.empty() && text.find_first_not_of("0123456789") == text.npos);
        break;
      case 3:
        AUDIORIUM_FUZZ_CHECK(parse_id("track", text) > 0);
        break;
      case 4: {
        std::uint64_t resource = 0;
        if (text.size() >= sizeof resource) {
          std::memcpy(&resource, text.data(), sizeof resource);
          text.remove_prefix(sizeof resource);
        }
        resource %= std::uint64_t{1} << 48;  // any real file size
        if (const auto r = parse_range(text, resource)) {
          AUDIORIUM_FUZZ_CHECK(r->first <= r->last && r->last < resource);
          AUDIORIUM_FUZZ_CHECK(r->length() >= 1 && r->length() <= resource);
        }
        break;
      }
    }
  } catch (const ApiError& e) {
    AUDIORIUM_FUZZ_CHECK(e.status() == expected_status && std::strlen(e.what()) > 0);
  }
  return 0;
}
