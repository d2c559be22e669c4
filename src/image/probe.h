// Cheap facts about an encoded image, read from its first bytes without decoding pixels: the format (by magic
// bytes, never by extension), the stored dimensions, whether it carries alpha, and whether the stream is
// complete. The decoder uses this to refuse decompression bombs and truncated files before any allocation; a
// server can call it on an upload to answer "too large" at once.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace audiorium::image {

enum class ImageFormat { Unknown, Jpeg, Png, Webp, Bmp, Tiff, Heif, Avif, Gif };

// "jpeg", "png", "webp", "bmp", "tiff", "heif", "avif", "gif", "unknown".
const char* format_name(ImageFormat format);

// Format from magic bytes only. HEIF/AVIF are recognised by their ISO-BMFF 'ftyp' brands (an MP4 is not).
ImageFormat detect_format(std::span<const unsigned char> bytes);

struct ImageProbe {
  ImageFormat format = ImageFormat::Unknown;
  std::int64_t width = 0;
  std::int64_t height = 0;
  bool has_alpha = false;   // PNG colour type 4/6 or tRNS, WebP alpha; false where the header does not say
  bool complete = true;     // false: the stream ends early (JPEG without EOI, PNG without IEND, short RIFF/BMP)
};

// Reads the header of a JPEG, PNG, WebP, BMP or TIFF. Throws audiorium::Error when the format is unknown or
// unsupported (GIF), or when the header itself is cut off or malformed. HEIF/AVIF dimensions need libheif: for
// them only `format` is filled here (the decoder reads the primary item's size before decoding).
ImageProbe probe_image(std::span<const unsigned char> bytes);

}  // namespace audiorium::image
