// An image through the photo search's path (src/image/mood.h): analyse_image_bytes (magic bytes, header checks,
// OpenCV or libheif decoding, the analysis measurements), then mood_targets and mood_words. The pixel limit is
// lowered to 4 megapixels so that a valid large image costs the fuzzer milliseconds, not seconds; the check
// itself is the same code. Promises: failures are audiorium::Error, nothing else; every measurement is finite and
// in its documented range, the analysis size within the limit, every target well formed.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/error.h"
#include "fuzz_support.h"
#include "image/mood.h"
#include "image/probe.h"

namespace {

bool in(double v, double lo, double hi) { return std::isfinite(v) && v >= lo && v <= hi; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace audiorium;
  const std::span<const unsigned char> bytes(data, size);
  image::ImageLimits limits;
  limits.max_pixels = 4'000'000;
  limits.analysis_long_side = 128;
  try {
    (void)image::probe_image(bytes);
  } catch (const Error&) {
  }
  try {
    const image::ImageMood m = image::analyse_image_bytes(bytes, limits, "fuzz input");
    AUDIORIUM_FUZZ_CHECK(m.width > 0 && m.height > 0 &&
                         static_cast<std::int64_t>(m.width) * m.height <= limits.max_pixels);
    AUDIORIUM_FUZZ_CHECK(m.analysis_width > 0 && m.analysis_height > 0);
    AUDIORIUM_FUZZ_CHECK(m.analysis_width <= limits.analysis_long_side &&
                         m.analysis_height <= limits.analysis_long_side);
    AUDIORIUM_FUZZ_CHECK(in(m.brightness, 0, 1) && in(m.saturation, 0, 1) && in(m.warmth, -1, 1));
    AUDIORIUM_FUZZ_CHECK(in(m.contrast, 0, 1) && in(m.colourfulness, 0, 1) && in(m.edge_density, 0, 1));
    AUDIORIUM_FUZZ_CHECK(std::isfinite(m.colourfulness_m) && m.colourfulness_m >= 0);
    for (const auto& t : image::mood_targets(m)) {
      AUDIORIUM_FUZZ_CHECK(std::isfinite(t.value) && std::isfinite(t.weight) && t.width > 0);
      AUDIORIUM_FUZZ_CHECK(t.reason.rfind("image: ", 0) == 0);
    }
    (void)image::mood_words(m);
  } catch (const Error&) {
  }
  return 0;
}
