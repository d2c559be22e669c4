// Format detection, header probing, limits and bad input: every failure is an audiorium::Error with a clear
// message, never a crash or a silent grey image.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include <opencv2/imgproc.hpp>

#include "image/probe.h"
#include "image/test_images.h"

namespace audiorium::image {
namespace {

using namespace test;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

Bytes cut(const Bytes& b, double fraction) {
  return Bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(static_cast<double>(b.size()) * fraction));
}

void put_be32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<unsigned char>(v >> s));
}

std::uint32_t crc32(const unsigned char* p, std::size_t n) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}

// A valid PNG signature and IHDR chunk (with a correct CRC) claiming w×h RGB pixels, then one tiny IDAT and IEND:
// under 100 bytes that would decode to w·h·3 bytes.
Bytes png_bomb(std::uint32_t w, std::uint32_t h) {
  Bytes b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  auto chunk = [&](const char* type, const Bytes& data) {
    put_be32(b, static_cast<std::uint32_t>(data.size()));
    const std::size_t start = b.size();
    b.insert(b.end(), type, type + 4);
    b.insert(b.end(), data.begin(), data.end());
    put_be32(b, crc32(b.data() + start, b.size() - start));
  };
  Bytes ihdr;
  put_be32(ihdr, w);
  put_be32(ihdr, h);
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8-bit RGB, deflate, no filter, no interlace
  chunk("IHDR", ihdr);
  chunk("IDAT", {0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});  // an empty zlib stream
  chunk("IEND", {});
  return b;
}

TEST(ImageDecode, DetectsFormatsByMagicBytes) {
  const cv::Mat img = solid(20, 10, cv::Scalar(10, 20, 30));
  EXPECT_EQ(detect_format(encode(img, ".png")), ImageFormat::Png);
  EXPECT_EQ(detect_format(encode(img, ".jpg")), ImageFormat::Jpeg);
  EXPECT_EQ(detect_format(encode(img, ".webp")), ImageFormat::Webp);
  EXPECT_EQ(detect_format(encode(img, ".bmp")), ImageFormat::Bmp);
  EXPECT_EQ(detect_format(encode(img, ".tiff")), ImageFormat::Tiff);
  const std::string gif = "GIF89a\x01\x00\x01\x00";
  EXPECT_EQ(detect_format(std::span(reinterpret_cast<const unsigned char*>(gif.data()), gif.size())), ImageFormat::Gif);
  // An MP4's ftyp box is ISO-BMFF but not HEIF.
  const unsigned char mp4[] = {0, 0, 0, 24, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm', 0, 0, 2, 0,
                               'i', 's', 'o', 'm', 'm', 'p', '4', '1'};
  EXPECT_EQ(detect_format(mp4), ImageFormat::Unknown);
  const unsigned char heic[] = {0, 0, 0, 24, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c', 0, 0, 0, 0,
                                'm', 'i', 'f', '1', 'h', 'e', 'i', 'c'};
  EXPECT_EQ(detect_format(heic), ImageFormat::Heif);
}

TEST(ImageDecode, ProbeReadsDimensionsOfEveryFormat) {
  const cv::Mat img = solid(123, 45, cv::Scalar(10, 20, 30));
  for (const std::string ext : {".png", ".jpg", ".webp", ".bmp", ".tiff"}) {
    SCOPED_TRACE(ext);
    const ImageProbe p = probe_image(encode(img, ext));
    EXPECT_EQ(p.width, 123);
    EXPECT_EQ(p.height, 45);
    EXPECT_TRUE(p.complete);
    EXPECT_FALSE(p.has_alpha);
  }
  const ImageProbe lossless = probe_image(encode(img, ".webp", {cv::IMWRITE_WEBP_QUALITY, 101}));
  EXPECT_EQ(lossless.width, 123);
  EXPECT_EQ(lossless.height, 45);
  const ImageProbe progressive = probe_image(encode(img, ".jpg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
  EXPECT_EQ(progressive.width, 123);
  EXPECT_TRUE(progressive.complete);
  const cv::Mat rgba(45, 123, CV_8UC4, cv::Scalar(1, 2, 3, 128));
  EXPECT_TRUE(probe_image(encode(rgba, ".png")).has_alpha);
  const ImageProbe webp_alpha = probe_image(encode(rgba, ".webp"));  // lossy + alpha: a VP8X file
  EXPECT_TRUE(webp_alpha.has_alpha);
  EXPECT_EQ(webp_alpha.width, 123);
  EXPECT_EQ(webp_alpha.height, 45);
}

TEST(ImageDecode, EmptyInput) {
  audiorium::testing::TempDir tmp;
  write_file(tmp / "empty.jpg", {});
  expect_error([&] { analyse_image_file(tmp / "empty.jpg"); }, "empty file");
  expect_error([&] { analyse_image_file(tmp / "empty.jpg"); }, "empty.jpg");
  expect_error([] { analyse(Bytes{}); }, "empty");
}

TEST(ImageDecode, MissingFileAndDirectory) {
  audiorium::testing::TempDir tmp;
  expect_error([&] { analyse_image_file(tmp / "nope.png"); }, "not found");
  expect_error([&] { analyse_image_file(tmp.path()); }, "not a regular file");
}

TEST(ImageDecode, NotAnImage) {
  audiorium::testing::TempDir tmp;
  const std::string text = "This is a text file pretending to be a photo.\n";
  write_file(tmp / "photo.jpg", Bytes(text.begin(), text.end()));
  expect_error([&] { analyse_image_file(tmp / "photo.jpg"); }, "not an image (unrecognised format");
  expect_error([] { analyse(Bytes{0x89, 'P'}); }, "not an image");
  const std::string gif = "GIF89a\x01\x00\x01\x00\x00\x00\x00;";
  expect_error([&] { analyse(Bytes(gif.begin(), gif.end())); }, "unsupported image format: GIF");
}

TEST(ImageDecode, TruncatedFilesAreRefused) {
  const cv::Mat img = noisy(200, 150, cv::Scalar(40, 90, 200), 40);
  expect_error([&] { analyse(cut(encode(img, ".png"), 0.5)); }, "truncated PNG");
  expect_error([&] { analyse(cut(encode(img, ".jpg"), 0.5)); }, "truncated JPEG");
  expect_error([&] { analyse(cut(encode(img, ".jpg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1}), 0.5)); }, "truncated JPEG");
  expect_error([&] { analyse(cut(encode(img, ".webp"), 0.5)); }, "truncated WEBP");
  expect_error([&] { analyse(cut(encode(img, ".bmp"), 0.5)); }, "truncated BMP");
  // Cut inside the header: still a clear error.
  expect_error([&] { analyse(cut(encode(img, ".png"), 0.001)); }, "truncated");
  expect_error([&] { analyse(Bytes{0xFF, 0xD8, 0xFF, 0xE0, 0x00}); }, "truncated JPEG");
  // Every cut point of a small JPEG and PNG: an error or (past the last scan) a result, never a crash.
  for (const std::string ext : {".jpg", ".png", ".webp", ".tiff"}) {
    const Bytes full = encode(noisy(40, 30, cv::Scalar(40, 90, 200), 40), ext);
    for (std::size_t n = 1; n < full.size(); n += 7) {
      try {
        analyse(Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n)));
      } catch (const audiorium::Error&) {
      }
    }
  }
}

TEST(ImageDecode, CorruptDataIsAnErrorNotACrash) {
  Bytes png = encode(noisy(64, 64, cv::Scalar(40, 90, 200), 40), ".png");
  const std::string idat = "IDAT";
  const auto at = static_cast<std::size_t>(std::search(png.begin(), png.end(), idat.begin(), idat.end()) - png.begin());
  ASSERT_LT(at + 4, png.size());
  const std::size_t len = (std::size_t{png[at - 4]} << 24) | (std::size_t{png[at - 3]} << 16) |
                          (std::size_t{png[at - 2]} << 8) | png[at - 1];
  for (std::size_t i = at + 4 + 8; i < at + 4 + len - 8; i += 3) png[i] ^= 0x5A;  // scramble the first IDAT's payload
  expect_error([&] { analyse(png); }, "could not decode the PNG image");
  Bytes jpg = encode(noisy(64, 64, cv::Scalar(40, 90, 200), 40), ".jpg");
  for (std::size_t i = 0; i < 20; ++i) jpg[jpg.size() / 2 + i] = 0x00;
  try {
    analyse(jpg);  // libjpeg may recover from damaged entropy data; either way no crash
  } catch (const audiorium::Error&) {
  }
}

TEST(ImageDecode, DecompressionBombIsRefusedFromTheHeader) {
  const Bytes bomb = png_bomb(100000, 100000);
  ASSERT_LT(bomb.size(), 100u);
  const ImageProbe p = probe_image(bomb);
  EXPECT_EQ(p.width, 100000);
  EXPECT_EQ(p.height, 100000);
  const auto t0 = Clock::now();
  expect_error([&] { analyse(bomb); }, "image too large: 100000\u00d7100000 pixels (limit 80000000)");
  EXPECT_LT(seconds_since(t0), 0.05);
  // Also for a file on disk, and also when the rest of the PNG is missing (IHDR only).
  audiorium::testing::TempDir tmp;
  write_file(tmp / "bomb.png", Bytes(bomb.begin(), bomb.begin() + 33));
  expect_error([&] { analyse_image_file(tmp / "bomb.png"); }, "too large");
}

TEST(ImageDecode, PixelLimitAppliesToRealImages) {
  const Bytes b = encode(solid(1200, 1000, cv::Scalar(1, 2, 3)), ".jpg");
  ImageLimits limits;
  limits.max_pixels = 1'000'000;
  expect_error([&] { analyse(b, limits); }, "image too large: 1200\u00d71000 pixels (limit 1000000)");
  limits.max_pixels = 1'200'000;
  EXPECT_EQ(analyse(b, limits).width, 1200);
}

TEST(ImageDecode, ByteLimit) {
  const Bytes b = encode(noisy(100, 100, cv::Scalar(1, 2, 3), 50), ".png");
  ImageLimits limits;
  limits.max_bytes = b.size() - 1;
  expect_error([&] { analyse(b, limits); }, "image too big: " + std::to_string(b.size()) + " bytes");
  audiorium::testing::TempDir tmp;
  write_file(tmp / "big.png", b);
  expect_error([&] { analyse_image_file(tmp / "big.png", limits); }, "image too big");
  limits.max_bytes = b.size();
  EXPECT_EQ(analyse_image_file(tmp / "big.png", limits).width, 100);
}

TEST(ImageDecode, LargeImagesAreDownscaledQuickly) {
  // 6000×4000 camera-sized JPEG: libjpeg decodes it at 1/8 scale, then INTER_AREA to 512 on the long side.
  cv::Mat big(4000, 6000, CV_8UC3);
  cv::rectangle(big, cv::Rect(0, 0, 3000, 4000), cv::Scalar(0, 0, 255), cv::FILLED);     // red left half
  cv::rectangle(big, cv::Rect(3000, 0, 3000, 4000), cv::Scalar(255, 0, 0), cv::FILLED);  // blue right half
  const Bytes jpg = encode(big, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 80});
  auto t0 = Clock::now();
  const ImageMood m = analyse(jpg);
  const double jpeg_s = seconds_since(t0);
  EXPECT_EQ(m.width, 6000);
  EXPECT_EQ(m.height, 4000);
  EXPECT_EQ(m.analysis_width, 512);
  EXPECT_EQ(m.analysis_height, 341);
  EXPECT_NEAR(m.warmth, 0.0, 0.1);  // half red, half blue
  EXPECT_GT(m.saturation, 0.9);
  EXPECT_LT(jpeg_s, 1.0) << "6000x4000 JPEG took " << jpeg_s << " s";

  // PNG has no reduced decode: full decode + INTER_AREA; still bounded.
  const Bytes png = encode(big, ".png", {cv::IMWRITE_PNG_COMPRESSION, 1});
  t0 = Clock::now();
  const ImageMood p = analyse(png);
  const double png_s = seconds_since(t0);
  EXPECT_EQ(p.analysis_width, 512);
  EXPECT_NEAR(p.warmth, 0.0, 0.05);
  EXPECT_LT(png_s, 3.0) << "6000x4000 PNG took " << png_s << " s";

  // A custom analysis size; small images are never upscaled.
  ImageLimits limits;
  limits.analysis_long_side = 100;
  EXPECT_EQ(analyse(jpg, limits).analysis_width, 100);
  const ImageMood small = analyse(encode(solid(30, 20, cv::Scalar(1, 2, 3)), ".png"));
  EXPECT_EQ(small.analysis_width, 30);
  EXPECT_EQ(small.analysis_height, 20);
}

TEST(ImageDecode, ErrorsNameTheUpload) {
  expect_error([] { analyse_image_bytes(Bytes{'h', 'i'}, {}, "holiday.jpg"); }, "holiday.jpg: not an image");
  expect_error([] { analyse_image_bytes(Bytes{'h', 'i'}); }, "image data: not an image");
}

}  // namespace
}  // namespace audiorium::image
