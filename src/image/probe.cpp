#include "image/probe.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string_view>

#include "core/error.h"

namespace audiorium::image {
namespace {

using Bytes = std::span<const unsigned char>;

std::uint32_t be16(Bytes b, std::size_t i) { return (std::uint32_t{b[i]} << 8) | b[i + 1]; }
std::uint32_t be32(Bytes b, std::size_t i) { return (be16(b, i) << 16) | be16(b, i + 2); }
std::uint32_t le16(Bytes b, std::size_t i) { return std::uint32_t{b[i]} | (std::uint32_t{b[i + 1]} << 8); }
std::uint32_t le24(Bytes b, std::size_t i) { return le16(b, i) | (std::uint32_t{b[i + 2]} << 16); }
std::uint32_t le32(Bytes b, std::size_t i) { return le16(b, i) | (le16(b, i + 2) << 16); }

bool starts_with(Bytes b, std::string_view magic, std::size_t at = 0) {
  return b.size() >= at + magic.size() && std::memcmp(b.data() + at, magic.data(), magic.size()) == 0;
}

[[noreturn]] void truncated(const char* what) {
  throw Error(std::string("truncated ") + what + " file (the data ends inside the header)");
}

// ---- PNG: IHDR, then walk the chunks to IEND (lengths only; libpng checks the CRCs).
ImageProbe probe_png(Bytes b) {
  ImageProbe p{ImageFormat::Png};
  if (b.size() < 8 + 8 + 13) truncated("PNG");
  if (be32(b, 8) != 13 || !starts_with(b, "IHDR", 12)) throw Error("corrupt PNG file (no IHDR header chunk)");
  p.width = be32(b, 16);
  p.height = be32(b, 20);
  if (p.width == 0 || p.height == 0 || p.width > 0x7fffffff || p.height > 0x7fffffff)
    throw Error("corrupt PNG file (invalid dimensions)");
  const unsigned colour_type = b[25];
  p.has_alpha = colour_type == 4 || colour_type == 6;
  p.complete = false;
  std::size_t pos = 8;
  while (pos + 8 <= b.size()) {
    const std::uint32_t len = be32(b, pos);
    if (len > 0x7fffffffu) throw Error("corrupt PNG file (invalid chunk length)");
    for (std::size_t i = pos + 4; i < pos + 8; ++i)
      if (!((b[i] >= 'A' && b[i] <= 'Z') || (b[i] >= 'a' && b[i] <= 'z')))
        throw Error("corrupt PNG file (invalid chunk type)");
    if (starts_with(b, "IEND", pos + 4)) {
      p.complete = true;
      break;
    }
    if (starts_with(b, "tRNS", pos + 4)) p.has_alpha = true;
    if (pos + 12 + std::size_t{len} > b.size()) break;
    pos += 12 + std::size_t{len};
  }
  return p;
}

// ---- JPEG: walk the marker segments; skip entropy-coded data after each SOS; a complete file reaches EOI.
bool is_sof(unsigned m) { return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC; }

ImageProbe probe_jpeg(Bytes b) {
  ImageProbe p{ImageFormat::Jpeg};
  p.complete = false;
  bool have_sof = false;
  const std::size_t n = b.size();
  std::size_t pos = 2;
  while (pos < n) {
    if (b[pos] != 0xFF) {  // stray bytes between segments: libjpeg skips them with a warning, so do we
      const void* ff = std::memchr(b.data() + pos, 0xFF, n - pos);
      if (!ff) break;
      pos = static_cast<std::size_t>(static_cast<const unsigned char*>(ff) - b.data());
    }
    while (pos < n && b[pos] == 0xFF) ++pos;  // fill bytes
    if (pos >= n) break;
    const unsigned m = b[pos++];
    if (m == 0xD9) {  // EOI
      p.complete = true;
      break;
    }
    if (m == 0x01 || m == 0xD8 || (m >= 0xD0 && m <= 0xD7)) continue;  // standalone markers
    if (pos + 2 > n) break;
    const std::size_t len = be16(b, pos);
    if (len < 2) throw Error("corrupt JPEG file (invalid segment length)");
    if (is_sof(m) && !have_sof) {
      if (len < 8 || pos + 7 > n) break;
      p.height = be16(b, pos + 3);
      p.width = be16(b, pos + 5);
      have_sof = true;
      if (p.width == 0) throw Error("corrupt JPEG file (zero width)");
      if (p.height == 0) throw Error("unsupported JPEG file (height given by a DNL marker)");
    }
    pos += len;
    if (m == 0xDA) {  // SOS: entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or RSTn
      for (;;) {
        if (pos >= n) break;
        const void* ff = std::memchr(b.data() + pos, 0xFF, n - pos);
        if (!ff) {
          pos = n;
          break;
        }
        const std::size_t q = static_cast<std::size_t>(static_cast<const unsigned char*>(ff) - b.data());
        if (q + 1 >= n) {
          pos = n;
          break;
        }
        const unsigned next = b[q + 1];
        if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
          pos = q + 2;
        } else if (next == 0xFF) {
          pos = q + 1;
        } else {
          pos = q;
          break;
        }
      }
    }
  }
  if (!have_sof) {
    if (!p.complete) truncated("JPEG");
    throw Error("corrupt JPEG file (no frame header)");
  }
  return p;
}

// ---- WebP: RIFF container with a VP8 (lossy), VP8L (lossless) or VP8X (extended) first chunk.
ImageProbe probe_webp(Bytes b) {
  ImageProbe p{ImageFormat::Webp};
  if (b.size() < 30) truncated("WebP");
  p.complete = std::size_t{le32(b, 4)} + 8 <= b.size();
  if (starts_with(b, "VP8 ", 12)) {
    if (b[23] != 0x9D || b[24] != 0x01 || b[25] != 0x2A) throw Error("corrupt WebP file (bad VP8 frame header)");
    p.width = le16(b, 26) & 0x3FFF;
    p.height = le16(b, 28) & 0x3FFF;
  } else if (starts_with(b, "VP8L", 12)) {
    if (b[20] != 0x2F) throw Error("corrupt WebP file (bad VP8L signature)");
    const std::uint32_t bits = le32(b, 21);
    p.width = (bits & 0x3FFF) + 1;
    p.height = ((bits >> 14) & 0x3FFF) + 1;
    p.has_alpha = (bits >> 28) & 1;
  } else if (starts_with(b, "VP8X", 12)) {
    const unsigned flags = b[20];
    if (flags & 0x02) throw Error("animated WebP is not supported (use a still image)");
    p.has_alpha = flags & 0x10;
    p.width = std::int64_t{le24(b, 24)} + 1;
    p.height = std::int64_t{le24(b, 27)} + 1;
  } else {
    throw Error("corrupt WebP file (unknown first chunk)");
  }
  if (p.width == 0 || p.height == 0) throw Error("corrupt WebP file (invalid dimensions)");
  return p;
}

// ---- BMP: file header + DIB header; uncompressed pixel data must fit in the file.
ImageProbe probe_bmp(Bytes b) {
  ImageProbe p{ImageFormat::Bmp};
  if (b.size() < 26) truncated("BMP");
  const std::uint32_t data_offset = le32(b, 10);
  const std::uint32_t dib = le32(b, 14);
  std::uint32_t bpp = 0, compression = 0;
  if (dib == 12) {  // OS/2 BITMAPCOREHEADER
    p.width = le16(b, 18);
    p.height = le16(b, 20);
    bpp = le16(b, 24);
  } else if (dib >= 40) {
    if (b.size() < 34) truncated("BMP");
    p.width = static_cast<std::int32_t>(le32(b, 18));
    p.height = static_cast<std::int32_t>(le32(b, 22));
    if (p.height < 0) p.height = -p.height;  // top-down rows
    bpp = le16(b, 28);
    compression = le32(b, 30);
  } else {
    throw Error("corrupt BMP file (unknown header size)");
  }
  if (p.width <= 0 || p.height <= 0) throw Error("corrupt BMP file (invalid dimensions)");
  if ((compression == 0 || compression == 3) && bpp > 0) {  // BI_RGB / BI_BITFIELDS: size is known
    const double stride = std::floor((static_cast<double>(p.width) * bpp + 31) / 32) * 4;
    p.complete = static_cast<double>(data_offset) + stride * static_cast<double>(p.height) <=
                 static_cast<double>(b.size());
  }
  return p;
}

// ---- TIFF: ImageWidth (256) and ImageLength (257) from the first IFD.
ImageProbe probe_tiff(Bytes b) {
  ImageProbe p{ImageFormat::Tiff};
  if (b.size() < 8) truncated("TIFF");
  const bool little = b[0] == 'I';
  if ((little ? le16(b, 2) : be16(b, 2)) == 43) throw Error("BigTIFF is not supported");
  auto u16 = [&](std::size_t i) { return little ? le16(b, i) : be16(b, i); };
  auto u32 = [&](std::size_t i) { return little ? le32(b, i) : be32(b, i); };
  const std::size_t ifd = u32(4);
  if (ifd + 2 > b.size()) truncated("TIFF");
  const std::size_t count = u16(ifd);
  if (ifd + 2 + count * 12 > b.size()) truncated("TIFF");
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t e = ifd + 2 + k * 12;
    const std::uint32_t tag = u16(e), type = u16(e + 2);
    if (tag != 256 && tag != 257) continue;
    const std::int64_t v = type == 3 ? std::int64_t{u16(e + 8)} : type == 4 ? std::int64_t{u32(e + 8)} : -1;
    if (v < 0) throw Error("corrupt TIFF file (bad dimension tag)");
    (tag == 256 ? p.width : p.height) = v;
  }
  if (p.width <= 0 || p.height <= 0) throw Error("corrupt TIFF file (no image dimensions)");
  return p;
}

// ---- ISO-BMFF: brands in the leading 'ftyp' box; completeness from the top-level box sizes.
bool brand_in(std::string_view brand, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), brand) != set.end();
}

ImageFormat bmff_format(Bytes b) {
  if (b.size() < 16 || !starts_with(b, "ftyp", 4)) return ImageFormat::Unknown;
  const auto heif = {std::string_view("heic"), std::string_view("heix"), std::string_view("hevc"),
                     std::string_view("hevx"), std::string_view("heim"), std::string_view("heis"),
                     std::string_view("hevm"), std::string_view("hevs"), std::string_view("mif1"),
                     std::string_view("msf1"), std::string_view("mif2")};
  const auto avif = {std::string_view("avif"), std::string_view("avis")};
  auto brand = [&](std::size_t at) { return std::string_view(reinterpret_cast<const char*>(b.data() + at), 4); };
  if (brand_in(brand(8), avif)) return ImageFormat::Avif;
  if (brand_in(brand(8), heif)) return ImageFormat::Heif;
  const std::size_t box_end = std::min<std::size_t>(be32(b, 0), b.size());
  ImageFormat found = ImageFormat::Unknown;
  for (std::size_t at = 16; at + 4 <= box_end; at += 4) {
    if (brand_in(brand(at), avif)) return ImageFormat::Avif;
    if (brand_in(brand(at), heif)) found = ImageFormat::Heif;
  }
  return found;
}

bool bmff_complete(Bytes b) {
  std::size_t pos = 0;
  while (pos + 8 <= b.size()) {
    std::uint64_t size = be32(b, pos);
    if (size == 0) return true;  // box runs to the end of the file
    if (size == 1) {
      if (pos + 16 > b.size()) return false;
      size = (std::uint64_t{be32(b, pos + 8)} << 32) | be32(b, pos + 12);
    }
    if (size < 8) throw Error("corrupt HEIF file (invalid box size)");
    if (size > b.size() - pos) return false;
    pos += static_cast<std::size_t>(size);
  }
  return pos == b.size();
}

}  // namespace

const char* format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::Jpeg: return "jpeg";
    case ImageFormat::Png: return "png";
    case ImageFormat::Webp: return "webp";
    case ImageFormat::Bmp: return "bmp";
    case ImageFormat::Tiff: return "tiff";
    case ImageFormat::Heif: return "heif";
    case ImageFormat::Avif: return "avif";
    case ImageFormat::Gif: return "gif";
    case ImageFormat::Unknown: break;
  }
  return "unknown";
}

ImageFormat detect_format(std::span<const unsigned char> b) {
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return ImageFormat::Jpeg;
  if (starts_with(b, "\x89PNG\r\n\x1a\n")) return ImageFormat::Png;
  if (starts_with(b, "RIFF") && starts_with(b, "WEBP", 8)) return ImageFormat::Webp;
  if (starts_with(b, "GIF87a") || starts_with(b, "GIF89a")) return ImageFormat::Gif;
  if (starts_with(b, "BM") && b.size() >= 18) {
    const std::uint32_t dib = le32(b, 14);
    if (dib == 12 || dib == 40 || dib == 52 || dib == 56 || dib == 64 || dib == 108 || dib == 124)
      return ImageFormat::Bmp;
  }
  if (starts_with(b, std::string_view("II*\0", 4)) || starts_with(b, std::string_view("MM\0*", 4)) ||
      starts_with(b, std::string_view("II+\0", 4)) || starts_with(b, std::string_view("MM\0+", 4)))
    return ImageFormat::Tiff;
  return bmff_format(b);
}

ImageProbe probe_image(std::span<const unsigned char> bytes) {
  switch (detect_format(bytes)) {
    case ImageFormat::Jpeg: return probe_jpeg(bytes);
    case ImageFormat::Png: return probe_png(bytes);
    case ImageFormat::Webp: return probe_webp(bytes);
    case ImageFormat::Bmp: return probe_bmp(bytes);
    case ImageFormat::Tiff: return probe_tiff(bytes);
    case ImageFormat::Heif:
    case ImageFormat::Avif: {
      ImageProbe p{detect_format(bytes)};
      p.complete = bmff_complete(bytes);
      return p;
    }
    case ImageFormat::Gif: throw Error("unsupported image format: GIF (use JPEG, PNG, WebP or HEIC)");
    case ImageFormat::Unknown: break;
  }
  throw Error("not an image (unrecognised format; JPEG, PNG, WebP, HEIC, BMP and TIFF are supported)");
}

}  // namespace audiorium::image
