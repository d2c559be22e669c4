// HEIC (and AVIF) through libheif. The test files are encoded here with libheif's own encoders; where this
// libheif build has none (no x265/aom), the test is skipped and says so.
#include <gtest/gtest.h>

#include <memory>

#include <libheif/heif.h>

#include "image/probe.h"
#include "image/test_images.h"

namespace audiorium::image {
namespace {

using namespace test;

struct HeifLibrary {
  HeifLibrary() { heif_init(nullptr); }
  ~HeifLibrary() { heif_deinit(); }
};

struct CtxFree {
  void operator()(heif_context* c) const { heif_context_free(c); }
};
struct EncoderRelease {
  void operator()(heif_encoder* e) const { heif_encoder_release(e); }
};
struct ImageRelease {
  void operator()(heif_image* i) const { heif_image_release(i); }
};

heif_error write_to_vector(heif_context*, const void* data, size_t size, void* user) {
  auto* out = static_cast<Bytes*>(user);
  const auto* p = static_cast<const unsigned char*>(data);
  out->insert(out->end(), p, p + size);
  return heif_error{heif_error_Ok, heif_suberror_Unspecified, "ok"};
}

// Encodes a solid RGB colour (r, g, b) as HEIC (HEVC) or AVIF (AV1). Empty when no encoder is available.
Bytes encode_heif(heif_compression_format codec, int w, int h, unsigned char r, unsigned char g, unsigned char b,
                  std::string* why) {
  if (!heif_have_encoder_for_format(codec)) {
    *why = "this libheif has no encoder for the format";
    return {};
  }
  std::unique_ptr<heif_context, CtxFree> ctx(heif_context_alloc());
  heif_encoder* raw_encoder = nullptr;
  heif_error err = heif_context_get_encoder_for_format(ctx.get(), codec, &raw_encoder);
  std::unique_ptr<heif_encoder, EncoderRelease> encoder(raw_encoder);
  if (err.code != heif_error_Ok) {
    *why = std::string("no encoder: ") + err.message;
    return {};
  }
  heif_encoder_set_lossy_quality(encoder.get(), 90);
  heif_image* raw_image = nullptr;
  err = heif_image_create(w, h, heif_colorspace_RGB, heif_chroma_interleaved_RGB, &raw_image);
  std::unique_ptr<heif_image, ImageRelease> image(raw_image);
  if (err.code != heif_error_Ok) throw std::runtime_error(err.message);
  err = heif_image_add_plane(image.get(), heif_channel_interleaved, w, h, 8);
  if (err.code != heif_error_Ok) throw std::runtime_error(err.message);
  int stride = 0;
  std::uint8_t* plane = heif_image_get_plane(image.get(), heif_channel_interleaved, &stride);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      std::uint8_t* px = plane + y * stride + x * 3;
      px[0] = r;
      px[1] = g;
      px[2] = b;
    }
  err = heif_context_encode_image(ctx.get(), image.get(), encoder.get(), nullptr, nullptr);
  if (err.code != heif_error_Ok) {
    *why = std::string("encoding failed: ") + err.message;
    return {};
  }
  Bytes out;
  heif_writer writer{1, &write_to_vector};
  err = heif_context_write(ctx.get(), &writer, &out);
  if (err.code != heif_error_Ok) throw std::runtime_error(err.message);
  return out;
}

TEST(ImageHeif, HeicDecodesWithColourAndSize) {
  HeifLibrary lib;
  std::string why;
  const Bytes heic = encode_heif(heif_compression_HEVC, 160, 120, 230, 40, 20, &why);  // warm red
  if (heic.empty()) GTEST_SKIP() << "cannot make a HEIC test file: " << why;
  EXPECT_EQ(detect_format(heic), ImageFormat::Heif);
  const ImageMood m = analyse(heic);
  EXPECT_EQ(m.format, "heif");
  EXPECT_EQ(m.width, 160);
  EXPECT_EQ(m.height, 120);
  EXPECT_GT(m.warmth, 0.5);
  EXPECT_GT(m.saturation, 0.8);

  // Pixel limit from the handle, before decoding.
  ImageLimits limits;
  limits.max_pixels = 160 * 120 - 1;
  expect_error([&] { analyse(heic, limits); }, "image too large: 160\u00d7120 pixels");

  // Truncated: refused, never a crash.
  expect_error([&] { analyse(Bytes(heic.begin(), heic.begin() + static_cast<std::ptrdiff_t>(heic.size() / 2))); },
               "truncated HEIF");
  for (std::size_t n = 1; n < heic.size(); n += 97) {
    try {
      analyse(Bytes(heic.begin(), heic.begin() + static_cast<std::ptrdiff_t>(n)));
    } catch (const audiorium::Error&) {
    }
  }
}

TEST(ImageHeif, AvifDecodes) {
  HeifLibrary lib;
  std::string why;
  const Bytes avif = encode_heif(heif_compression_AV1, 96, 64, 20, 60, 230, &why);  // blue
  if (avif.empty()) GTEST_SKIP() << "cannot make an AVIF test file: " << why;
  EXPECT_EQ(detect_format(avif), ImageFormat::Avif);
  const ImageMood m = analyse(avif);
  EXPECT_EQ(m.format, "avif");
  EXPECT_EQ(m.width, 96);
  EXPECT_EQ(m.height, 64);
  EXPECT_LT(m.warmth, -0.5);
}

}  // namespace
}  // namespace audiorium::image
