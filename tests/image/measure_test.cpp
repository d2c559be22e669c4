// Measurements on images of known content, through real encoders (PNG, JPEG, WebP, BMP, TIFF).
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "image/test_images.h"

namespace audiorium::image {
namespace {

using namespace test;

// BGR
const cv::Scalar kBlack(0, 0, 0), kWhite(255, 255, 255), kGrey(128, 128, 128), kRed(0, 0, 255), kBlue(255, 0, 0),
    kOrange(0, 140, 255), kCyan(255, 255, 0);

TEST(ImageMeasure, PureColoursThroughPng) {
  const ImageMood black = analyse(encode(solid(64, 48, kBlack), ".png"));
  EXPECT_EQ(black.format, "png");
  EXPECT_EQ(black.width, 64);
  EXPECT_EQ(black.height, 48);
  EXPECT_NEAR(black.brightness, 0.0, 0.01);
  EXPECT_NEAR(black.saturation, 0.0, 0.01);
  EXPECT_NEAR(black.contrast, 0.0, 0.01);
  EXPECT_NEAR(black.edge_density, 0.0, 1e-9);

  const ImageMood white = analyse(encode(solid(64, 48, kWhite), ".png"));
  EXPECT_NEAR(white.brightness, 1.0, 0.01);
  EXPECT_NEAR(white.saturation, 0.0, 0.01);
  EXPECT_NEAR(white.warmth, 0.0, 0.01);

  const ImageMood grey = analyse(encode(solid(64, 48, kGrey), ".png"));
  EXPECT_NEAR(grey.brightness, 128.0 / 255.0, 0.01);  // gamma-encoded luma: mid grey reads as mid
  EXPECT_NEAR(grey.saturation, 0.0, 0.01);
  EXPECT_NEAR(grey.colourfulness, 0.0, 0.01);
  EXPECT_NEAR(grey.colourfulness_m, 0.0, 0.5);
  EXPECT_NEAR(grey.warmth, 0.0, 0.01);

  const ImageMood red = analyse(encode(solid(64, 48, kRed), ".png"));
  EXPECT_GT(red.warmth, 0.5);
  EXPECT_NEAR(red.saturation, 1.0, 0.01);
  EXPECT_NEAR(red.brightness, 0.2126, 0.01);
  EXPECT_GT(red.colourfulness, 0.7);

  const ImageMood blue = analyse(encode(solid(64, 48, kBlue), ".png"));
  EXPECT_LT(blue.warmth, -0.5);
  EXPECT_NEAR(blue.saturation, 1.0, 0.01);

  const ImageMood orange = analyse(encode(solid(64, 48, kOrange), ".png"));
  EXPECT_GT(orange.warmth, 0.9);
  const ImageMood cyan = analyse(encode(solid(64, 48, kCyan), ".png"));
  EXPECT_LT(cyan.warmth, -0.9);
}

TEST(ImageMeasure, LossyFormatsKeepTheColour) {
  for (const std::string ext : {".jpg", ".webp"}) {
    SCOPED_TRACE(ext);
    const ImageMood red = analyse(encode(solid(96, 64, kRed), ext, {cv::IMWRITE_JPEG_QUALITY, 95}));
    EXPECT_EQ(red.format, ext == ".jpg" ? "jpeg" : "webp");
    EXPECT_EQ(red.width, 96);
    EXPECT_EQ(red.height, 64);
    EXPECT_GT(red.warmth, 0.5);
    EXPECT_GT(red.saturation, 0.85);
    const ImageMood blue = analyse(encode(solid(96, 64, kBlue), ext));
    EXPECT_LT(blue.warmth, -0.5);
  }
  // Lossless WebP (VP8L) too.
  const ImageMood red = analyse(encode(solid(40, 30, kRed), ".webp", {cv::IMWRITE_WEBP_QUALITY, 101}));
  EXPECT_EQ(red.format, "webp");
  EXPECT_NEAR(red.saturation, 1.0, 0.01);
}

TEST(ImageMeasure, BmpAndTiff) {
  const ImageMood bmp = analyse(encode(solid(33, 17, kRed), ".bmp"));
  EXPECT_EQ(bmp.format, "bmp");
  EXPECT_EQ(bmp.width, 33);
  EXPECT_EQ(bmp.height, 17);
  EXPECT_GT(bmp.warmth, 0.5);
  const ImageMood tiff = analyse(encode(solid(33, 17, kBlue), ".tiff"));
  EXPECT_EQ(tiff.format, "tiff");
  EXPECT_EQ(tiff.width, 33);
  EXPECT_EQ(tiff.height, 17);
  EXPECT_LT(tiff.warmth, -0.5);
}

TEST(ImageMeasure, CheckerboardIsContrastyAndEdgyFlatIsNot) {
  const ImageMood board = analyse(encode(checkerboard(256, 256, 8), ".png"));
  const ImageMood flat = analyse(encode(solid(256, 256, kGrey), ".png"));
  EXPECT_GT(board.contrast, 0.95);
  EXPECT_GT(board.edge_density, 0.15);
  EXPECT_NEAR(board.brightness, 0.5, 0.02);
  EXPECT_NEAR(flat.contrast, 0.0, 0.01);
  EXPECT_NEAR(flat.edge_density, 0.0, 1e-9);
  // A coarse board has the same contrast but fewer edges: edge density measures detail, not contrast.
  const ImageMood coarse = analyse(encode(checkerboard(256, 256, 64), ".png"));
  EXPECT_GT(coarse.contrast, 0.95);
  EXPECT_LT(coarse.edge_density, board.edge_density / 3);
}

TEST(ImageMeasure, NearBlackPixelsDoNotCountAsSaturated) {
  // (0,0,8) is "fully saturated blue" in HSV but looks black.
  const ImageMood m = analyse(encode(solid(32, 32, cv::Scalar(8, 0, 0)), ".png"));
  EXPECT_LT(m.saturation, 0.01);
  EXPECT_NEAR(m.warmth, 0.0, 0.01);
}

TEST(ImageMeasure, FaintTintIsNotAStrongWarmth) {
  const ImageMood m = analyse(encode(solid(32, 32, cv::Scalar(120, 128, 136)), ".png"));  // slightly warm grey
  EXPECT_GT(m.warmth, 0.0);
  EXPECT_LT(m.warmth, 0.5);
}

TEST(ImageMeasure, GreyscaleSixteenBitAndAlpha) {
  const ImageMood g8 = analyse(encode(solid(40, 40, cv::Scalar(200), CV_8UC1), ".png"));
  EXPECT_NEAR(g8.brightness, 200.0 / 255.0, 0.01);
  EXPECT_NEAR(g8.saturation, 0.0, 0.01);

  const ImageMood g16 = analyse(encode(solid(40, 40, cv::Scalar(0, 0, 65535), CV_16UC3), ".png"));
  EXPECT_GT(g16.warmth, 0.5);
  EXPECT_NEAR(g16.saturation, 1.0, 0.01);

  const ImageMood gj = analyse(encode(solid(40, 40, cv::Scalar(30), CV_8UC1), ".jpg"));
  EXPECT_NEAR(gj.brightness, 30.0 / 255.0, 0.02);

  // Fully transparent black pixels are composited on white; opaque ones keep their colour.
  cv::Mat rgba(40, 40, CV_8UC4, cv::Scalar(0, 0, 0, 0));
  EXPECT_NEAR(analyse(encode(rgba, ".png")).brightness, 1.0, 0.01);
  rgba.setTo(cv::Scalar(0, 0, 255, 255));
  EXPECT_GT(analyse(encode(rgba, ".png")).warmth, 0.5);
  rgba.setTo(cv::Scalar(0, 0, 0, 0));
  const ImageMood webp = analyse(encode(rgba, ".webp", {cv::IMWRITE_WEBP_QUALITY, 101}));
  EXPECT_NEAR(webp.brightness, 1.0, 0.02);
}

TEST(ImageMeasure, ProgressiveJpeg) {
  const Bytes b = encode(noisy(300, 200, kOrange, 20), ".jpg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1});
  const ImageMood m = analyse(b);
  EXPECT_EQ(m.width, 300);
  EXPECT_EQ(m.height, 200);
  EXPECT_GT(m.warmth, 0.5);
}

TEST(ImageMeasure, FileAndBytesAgree) {
  audiorium::testing::TempDir tmp;
  const Bytes b = encode(noisy(120, 80, kOrange, 30), ".png");
  write_file(tmp / "photo.bin", b);  // extension is irrelevant: the magic bytes decide
  const ImageMood f = analyse_image_file(tmp / "photo.bin");
  const ImageMood m = analyse(b);
  EXPECT_EQ(f.format, "png");
  EXPECT_DOUBLE_EQ(f.brightness, m.brightness);
  EXPECT_DOUBLE_EQ(f.warmth, m.warmth);
  EXPECT_DOUBLE_EQ(f.edge_density, m.edge_density);
}

}  // namespace
}  // namespace audiorium::image
