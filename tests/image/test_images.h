// Images for the image tests, made with OpenCV in memory (nothing binary is committed).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/error.h"
#include "image/mood.h"
#include "support/test_support.h"

namespace audiorium::image::test {

using Bytes = std::vector<unsigned char>;

inline cv::Mat solid(int w, int h, cv::Scalar bgr, int type = CV_8UC3) { return cv::Mat(h, w, type, bgr); }

inline cv::Mat checkerboard(int w, int h, int square) {
  cv::Mat m(h, w, CV_8UC3);
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      const unsigned char v = ((r / square + c / square) % 2) ? 255 : 0;
      m.at<cv::Vec3b>(r, c) = cv::Vec3b(v, v, v);
    }
  return m;
}

// Gaussian noise around a colour (each channel), clipped; seeded.
inline cv::Mat noisy(int w, int h, cv::Scalar bgr, double sigma, std::uint64_t seed = 1) {
  cv::Mat m(h, w, CV_32FC3, bgr);
  cv::Mat noise(h, w, CV_32FC3);
  cv::RNG rng(seed);
  rng.fill(noise, cv::RNG::NORMAL, 0.0, sigma);
  m += noise;
  cv::Mat out;
  m.convertTo(out, CV_8UC3);
  return out;
}

inline Bytes encode(const cv::Mat& img, const std::string& ext, const std::vector<int>& params = {}) {
  Bytes out;
  if (!cv::imencode(ext, img, out, params)) throw std::runtime_error("imencode " + ext + " failed");
  return out;
}

inline ImageMood analyse(const Bytes& b, const ImageLimits& limits = {}) { return analyse_image_bytes(b, limits); }

inline void write_file(const std::filesystem::path& p, const Bytes& b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// The call must throw audiorium::Error whose message contains `needle`.
inline void expect_error(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "expected an error containing \"" << needle << "\"";
  } catch (const audiorium::Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message: " << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected audiorium::Error, got " << e.what();
  }
}

}  // namespace audiorium::image::test
