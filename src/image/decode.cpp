#include "image/decode.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <libheif/heif.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace audiorium::image::detail {
namespace {

// ---- libheif handles, each released by its own deleter.
struct HeifContextFree {
  void operator()(heif_context* c) const { heif_context_free(c); }
};
struct HeifHandleRelease {
  void operator()(heif_image_handle* h) const { heif_image_handle_release(h); }
};
struct HeifImageRelease {
  void operator()(heif_image* i) const { heif_image_release(i); }
};
struct HeifOptionsFree {
  void operator()(heif_decoding_options* o) const { heif_decoding_options_free(o); }
};
using HeifContext = std::unique_ptr<heif_context, HeifContextFree>;
using HeifHandle = std::unique_ptr<heif_image_handle, HeifHandleRelease>;
using HeifImage = std::unique_ptr<heif_image, HeifImageRelease>;
using HeifOptions = std::unique_ptr<heif_decoding_options, HeifOptionsFree>;

// heif_init/heif_deinit are reference counted; one process-wide reference, taken on first use.
void ensure_heif_initialised() {
  struct Init {
    Init() { heif_init(nullptr); }
    ~Init() { heif_deinit(); }
  };
  static Init init;
}

std::string pixels_text(std::int64_t w, std::int64_t h) {
  return std::to_string(w) + "\u00d7" + std::to_string(h);
}

void check_pixels(std::int64_t w, std::int64_t h, const ImageLimits& limits) {
  if (w <= 0 || h <= 0) throw Error("invalid image dimensions " + pixels_text(w, h));
  // w, h < 2^32 each, so the product fits in int64.
  if (w * h > limits.max_pixels || w > 1'000'000 || h > 1'000'000)
    throw Error("image too large: " + pixels_text(w, h) + " pixels (limit " + std::to_string(limits.max_pixels) + ")");
}

// Any depth/channel count OpenCV or libheif hands us → CV_32FC3 BGR 0..1 at the analysis size.
cv::Mat to_analysis(cv::Mat img, const ImageLimits& limits) {
  const int long_side = std::max(img.cols, img.rows);
  const int target = std::max(1, limits.analysis_long_side);
  if (long_side > target) {
    const double s = static_cast<double>(target) / long_side;
    const cv::Size size(std::max(1, static_cast<int>(img.cols * s + 0.5)), std::max(1, static_cast<int>(img.rows * s + 0.5)));
    cv::Mat small;
    cv::resize(img, small, size, 0, 0, cv::INTER_AREA);
    img = small;
  }
  double scale = 1.0;
  switch (img.depth()) {
    case CV_8U: scale = 1.0 / 255.0; break;
    case CV_16U: scale = 1.0 / 65535.0; break;
    case CV_32F: scale = 1.0; break;
    default: throw Error("unsupported pixel depth");
  }
  cv::Mat f;
  img.convertTo(f, CV_32F, scale);
  if (img.depth() == CV_32F) cv::min(cv::max(f, 0.0), 1.0, f);
  cv::Mat bgr;
  switch (f.channels()) {
    case 1: cv::cvtColor(f, bgr, cv::COLOR_GRAY2BGR); break;
    case 3: bgr = f; break;
    case 2:     // grey + alpha
    case 4: {   // BGRA; composite on white: c' = c·a + (1 − a)
      std::vector<cv::Mat> ch;
      cv::split(f, ch);
      const cv::Mat alpha = ch.back();
      ch.pop_back();
      if (ch.size() == 1) ch = {ch[0], ch[0], ch[0]};
      const cv::Mat inv = 1.0 - alpha;
      std::vector<cv::Mat> out;  // fresh buffers: the grey case shares one plane three times
      for (const auto& c : ch) out.push_back(c.mul(alpha) + inv);
      cv::merge(out, bgr);
      break;
    }
    default: throw Error("unsupported channel count " + std::to_string(f.channels()));
  }
  return bgr;
}

[[noreturn]] void heif_fail(const char* what, const heif_error& err) {
  throw Error(std::string(what) + ": " + (err.message ? err.message : "unknown libheif error"));
}

Decoded decode_heif(std::span<const unsigned char> bytes, ImageFormat format, const ImageLimits& limits) {
  ensure_heif_initialised();
  const char* kind = format == ImageFormat::Avif ? "AVIF" : "HEIF";
  HeifContext ctx(heif_context_alloc());
  if (!ctx) throw Error("out of memory (libheif context)");
  // libheif's own per-side limit, as a second line behind the check on the handle below.
  heif_context_set_maximum_image_size_limit(ctx.get(), 1'000'000);
  heif_error err = heif_context_read_from_memory_without_copy(ctx.get(), bytes.data(), bytes.size(), nullptr);
  if (err.code != heif_error_Ok) heif_fail((std::string("could not read the ") + kind + " file").c_str(), err);
  heif_image_handle* raw_handle = nullptr;
  err = heif_context_get_primary_image_handle(ctx.get(), &raw_handle);
  HeifHandle handle(raw_handle);
  if (err.code != heif_error_Ok || !handle) heif_fail((std::string(kind) + " file has no primary image").c_str(), err);

  Decoded out;
  out.format = format;
  const int w = heif_image_handle_get_width(handle.get());
  const int h = heif_image_handle_get_height(handle.get());
  check_pixels(w, h, limits);  // before any pixel is decoded
  out.width = w;
  out.height = h;

  const bool alpha = heif_image_handle_has_alpha_channel(handle.get()) != 0;
  HeifOptions options(heif_decoding_options_alloc());
  if (!options) throw Error("out of memory (libheif options)");
  options->convert_hdr_to_8bit = 1;
  heif_image* raw_image = nullptr;
  err = heif_decode_image(handle.get(), &raw_image, heif_colorspace_RGB,
                          alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, options.get());
  HeifImage image(raw_image);
  if (err.code != heif_error_Ok || !image) heif_fail((std::string("could not decode the ") + kind + " image").c_str(), err);

  int stride = 0;
  const std::uint8_t* plane = heif_image_get_plane_readonly(image.get(), heif_channel_interleaved, &stride);
  const int dw = heif_image_get_width(image.get(), heif_channel_interleaved);
  const int dh = heif_image_get_height(image.get(), heif_channel_interleaved);
  if (!plane || dw <= 0 || dh <= 0) throw Error(std::string("could not decode the ") + kind + " image (no pixel data)");
  const cv::Mat view(dh, dw, alpha ? CV_8UC4 : CV_8UC3, const_cast<std::uint8_t*>(plane), static_cast<std::size_t>(stride));
  cv::Mat bgr;  // owns its pixels: `image` is released on return
  cv::cvtColor(view, bgr, alpha ? cv::COLOR_RGBA2BGRA : cv::COLOR_RGB2BGR);
  image.reset();
  out.bgr = to_analysis(std::move(bgr), limits);
  return out;
}

// libjpeg can decode at 1/2, 1/4, 1/8 scale directly; pick the largest reduction that stays at or above the
// analysis size (the INTER_AREA resize does the rest).
int jpeg_flags(const ImageProbe& p, const ImageLimits& limits) {
  const std::int64_t long_side = std::max(p.width, p.height);
  const std::int64_t target = std::max(1, limits.analysis_long_side);
  if (long_side >= target * 8) return cv::IMREAD_REDUCED_COLOR_8;
  if (long_side >= target * 4) return cv::IMREAD_REDUCED_COLOR_4;
  if (long_side >= target * 2) return cv::IMREAD_REDUCED_COLOR_2;
  return cv::IMREAD_COLOR;
}

Decoded decode_checked(std::span<const unsigned char> bytes, const ImageLimits& limits) {
  if (bytes.empty()) throw Error("empty file (0 bytes)");
  if (bytes.size() > limits.max_bytes)
    throw Error("image too big: " + std::to_string(bytes.size()) + " bytes (limit " + std::to_string(limits.max_bytes) +
                ")");
  const ImageProbe probe = probe_image(bytes);
  const char* fmt = format_name(probe.format);
  std::string upper(fmt);
  for (auto& c : upper) c = static_cast<char>(c - 'a' + 'A');
  const bool heif = probe.format == ImageFormat::Heif || probe.format == ImageFormat::Avif;
  if (!heif) check_pixels(probe.width, probe.height, limits);  // HEIF: from the primary item, in decode_heif
  if (!probe.complete) throw Error("truncated " + upper + " file (the data ends before the image does)");
  if (heif) return decode_heif(bytes, probe.format, limits);

  int flags = cv::IMREAD_COLOR;
  if (probe.has_alpha) flags = cv::IMREAD_UNCHANGED;  // PNG/WebP only; alpha is composited in to_analysis
  else if (probe.format == ImageFormat::Jpeg) flags = jpeg_flags(probe, limits);
  flags |= cv::IMREAD_IGNORE_ORIENTATION;

  cv::Mat img;
  try {
    const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<unsigned char*>(bytes.data()));
    img = cv::imdecode(buffer, flags);
  } catch (const cv::Exception&) {
    img.release();
  }
  if (img.empty()) throw Error("could not decode the " + upper + " image (corrupt or unsupported data)");
  Decoded out;
  out.format = probe.format;
  out.width = static_cast<int>(probe.width);
  out.height = static_cast<int>(probe.height);
  out.bgr = to_analysis(std::move(img), limits);
  return out;
}

}  // namespace

Decoded decode_for_analysis(std::span<const unsigned char> bytes, const ImageLimits& limits, std::string_view name) {
  try {
    return decode_checked(bytes, limits);
  } catch (const Error& e) {
    throw Error(std::string(name) + ": " + e.what());
  } catch (const cv::Exception& e) {
    throw Error(std::string(name) + ": could not decode the image (" + e.err + ")");
  } catch (const std::bad_alloc&) {
    throw Error(std::string(name) + ": out of memory while decoding the image");
  }
}

}  // namespace audiorium::image::detail
