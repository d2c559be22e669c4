// Image → mood figures: time to decode, downscale and measure a photo-sized image per format, and to turn the
// mood into descriptor targets. Usage:
//   bench_image_query [width=6000] [height=4000] [repeats=5]
// Images are generated (a smooth gradient with noise and a few shapes) and encoded with OpenCV in memory.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image/mood.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

cv::Mat photo_like(int w, int h) {
  cv::Mat img(h, w, CV_8UC3);
  for (int r = 0; r < h; ++r) {
    auto* row = img.ptr<cv::Vec3b>(r);
    for (int c = 0; c < w; ++c)
      row[c] = cv::Vec3b(static_cast<unsigned char>(60 + 120 * r / h), static_cast<unsigned char>(90 + 60 * c / w),
                         static_cast<unsigned char>(200 - 100 * r / h));
  }
  cv::Mat noise(h, w, CV_8UC3);
  cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(8));
  img += noise;
  for (int i = 0; i < 12; ++i)
    cv::circle(img, cv::Point(w * (i + 1) / 13, h / 2 + (i % 3 - 1) * h / 5), std::max(4, h / 10),
               cv::Scalar(30 * i % 255, 200 - 10 * i, 40 + 15 * i), cv::FILLED);
  return img;
}

}  // namespace

int main(int argc, char** argv) {
  const int w = argc > 1 ? std::atoi(argv[1]) : 6000;
  const int h = argc > 2 ? std::atoi(argv[2]) : 4000;
  const int repeats = std::max(1, argc > 3 ? std::atoi(argv[3]) : 5);
  const cv::Mat img = photo_like(w, h);
  std::printf("image %dx%d, %d repeats, analysis long side %d\n", w, h, repeats,
              audiorium::image::ImageLimits{}.analysis_long_side);
  std::printf("%-6s %10s %12s %12s %10s\n", "format", "bytes", "median ms", "min ms", "targets");
  struct Case {
    const char* ext;
    std::vector<int> params;
  };
  const std::vector<Case> cases = {{".jpg", {cv::IMWRITE_JPEG_QUALITY, 90}},
                                   {".png", {cv::IMWRITE_PNG_COMPRESSION, 3}},
                                   {".webp", {cv::IMWRITE_WEBP_QUALITY, 90}}};
  for (const auto& c : cases) {
    std::vector<unsigned char> bytes;
    if (!cv::imencode(c.ext, img, bytes, c.params)) {
      std::printf("%-6s encode failed\n", c.ext + 1);
      continue;
    }
    std::vector<double> times;
    std::size_t targets = 0;
    for (int i = 0; i < repeats; ++i) {
      const auto t0 = Clock::now();
      try {
        const auto mood = audiorium::image::analyse_image_bytes(bytes);
        targets = audiorium::image::mood_targets(mood).size();
      } catch (const std::exception& e) {
        std::printf("%-6s %s\n", c.ext + 1, e.what());
        break;
      }
      times.push_back(ms_since(t0));
    }
    if (times.empty()) continue;
    std::sort(times.begin(), times.end());
    std::printf("%-6s %10zu %12.1f %12.1f %10zu\n", c.ext + 1, bytes.size(), times[times.size() / 2], times.front(),
                targets);
  }
  return 0;
}
