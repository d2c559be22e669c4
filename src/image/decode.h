// Internal to the image module: bytes → a float BGR picture at the analysis size, with every check of mood.h
// ("Decoding") applied first. Kept out of mood.h so that callers need no OpenCV headers.
#pragma once

#include <span>
#include <string_view>

#include <opencv2/core.hpp>

#include "image/mood.h"
#include "image/probe.h"

namespace audiorium::image::detail {

struct Decoded {
  ImageFormat format = ImageFormat::Unknown;
  int width = 0, height = 0;  // stored size of the original
  cv::Mat bgr;                // CV_32FC3, 0..1, long side <= limits.analysis_long_side, alpha composited on white
};

// `name` prefixes every error message ("photo.jpg: image too large: ...").
Decoded decode_for_analysis(std::span<const unsigned char> bytes, const ImageLimits& limits, std::string_view name);

}  // namespace audiorium::image::detail
