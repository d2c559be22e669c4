// Image mood: colour and texture statistics of a picture, and the descriptor targets they imply.
//
// This is the weight-free "image → audio" path of DESIGN.md: a photo is decoded, shrunk to an analysis size,
// measured (brightness, saturation, warmth, contrast, colourfulness, edge density), and the measurements are
// mapped to query::DescriptorTarget by the fixed, documented rules below; the usual descriptor search does the rest.
//
// Decoding
//   The format comes from the magic bytes, never the extension: JPEG, PNG, WebP, BMP and TIFF through OpenCV's
//   imgcodecs; HEIC/HEIF and AVIF through libheif. GIF and anything else are refused with a clear message.
//   Before any pixel is decoded the image's dimensions are read from its header (PNG IHDR, JPEG SOF, WebP
//   VP8/VP8L/VP8X, BMP info header, TIFF IFD0, the HEIF primary item) and an image of more than
//   ImageLimits::max_pixels is refused ("image too large: W×H pixels (limit N)"), so a decompression bomb costs a
//   few header bytes, not gigabytes. The byte count is checked first (max_bytes; for a file, before it is read).
//   JPEG, PNG and WebP are also checked for completeness (JPEG: the marker walk must reach EOI; PNG: the chunk walk
//   must reach IEND; WebP: the RIFF size must fit), because libjpeg happily "decodes" a cut-off file with grey fill.
//   Large JPEGs are decoded at 1/2, 1/4 or 1/8 scale by libjpeg itself (IMREAD_REDUCED_COLOR_*), never below the
//   analysis size. 16-bit and greyscale images work; an alpha channel is composited on white (after the
//   downscale: an approximation at soft edges). EXIF orientation is not applied (it does not change the statistics).
//   Note: OpenCV's own size limit (OPENCV_IO_MAX_IMAGE_PIXELS, default 2^30) is read once from the environment
//   when the library loads, so it cannot be set per call; the header checks here are the real guard.
//
// Measurements (at the analysis size: long side ≤ ImageLimits::analysis_long_side, INTER_AREA; never upscaled)
//   brightness     mean Rec. 709 luma Y' = 0.2126 R' + 0.7152 G' + 0.0722 B' on the *gamma-encoded* sRGB values
//                  (not linearised: mid grey 128 reads as 0.5, as people perceive it), 0..1.
//   saturation     mean over all pixels of HSV saturation (max−min)/max times a ramp on the pixel's value V that
//                  is 0 at V ≤ 0.10 and 1 at V ≥ 0.35: near-black pixels count as colourless (their hue and
//                  saturation are noise: sensor noise in a night photo is "fully saturated" in HSV), 0..1.
//   warmth         hue balance: per pixel h(hue) = clamp(cos(hue − 30°) / cos 30°, −1, 1), which is +1 for reds,
//                  oranges and yellows (0°..60°), −1 for cyans and blues (180°..240°), 0 for green (120°) and
//                  magenta (300°); averaged with weights saturation × V-ramp, then multiplied by a confidence
//                  min(1, saturation / 0.30) so a nearly grey image with a faint tint stays weak. −1..+1.
//   contrast       RMS contrast: 2 × standard deviation of luma (0.5 is the largest possible std), clamped 0..1.
//   colourfulness  Hasler & Süsstrunk (2003) M = σ_rgyb + 0.3 μ_rgyb on 0..255 values (rg = R − G,
//                  yb = (R + G)/2 − B); colourfulness_m holds M, colourfulness is min(1, M / 110) (their scale tops
//                  out at "extremely colourful" ≈ 109).
//   edge_density   share of pixels marked by Canny (thresholds 50/150 on 8-bit luma after a 3×3 Gaussian),
//                  0..1. A smooth photo is ~0.01–0.05, a detailed one ~0.1–0.2, a fine checkerboard ~0.5.
//
// Rules (mood_targets). First the measurements become graded factors with ramp(x, a, b) = clamp((x−a)/(b−a), 0, 1):
//   dark  = ramp(brightness, 0.45, 0.15)        light = ramp(brightness, 0.60, 0.85)
//   muted = ramp(saturation, 0.18, 0.05)        vivid = max(ramp(saturation, 0.35, 0.75), ramp(colourfulness, 0.40, 0.80))
//   cool  = ramp(warmth, −0.10, −0.60)          warm  = ramp(warmth, 0.10, 0.60)
//   busy  = max(ramp(edge_density, 0.06, 0.20), ramp(contrast, 0.55, 0.85))
//   flat  = min(ramp(edge_density, 0.03, 0.005), ramp(contrast, 0.30, 0.10))   (both smooth *and* low contrast)
// then each descriptor gets a push p = Σ coefficient × factor, clamped to −1..1:
//
//   factor  label (reason)        energy_db  brightness_hz  tempo_bpm  onset_rate  percussiveness  tonalness  dynamic_range_db  mode
//   dark    "image: dark"           −0.6        −0.6          −0.4         .          −0.3            .           .           −0.6
//   light   "image: bright"         +0.3        +0.6          +0.2         .            .             .           .           +0.4
//   muted   "image: muted colours"  −0.2        −0.1          −0.1         .            .           +0.1          .           −0.1
//   vivid   "image: vivid colours"  +0.5        +0.2          +0.2         .          +0.1            .           .           +0.3
//   cool    "image: cool colours"   −0.3        −0.5          −0.2         .            .           +0.2          .           −0.2
//   warm    "image: warm colours"   +0.3        +0.1          +0.1         .            .             .           .           +0.4
//   busy    "image: busy, high contrast" (or "busy" / "high contrast", whichever drove it)
//                                   +0.3        +0.2          +0.3       +0.7         +0.6          −0.3        +0.3            .
//   flat    "image: smooth"         −0.1          .           −0.2       −0.3         −0.2          +0.2        −0.2            .
//
// Muted colours and a plain texture alone only nudge (a flat grey picture asks for a little less energy and
// fewer onsets, and says nothing about major/minor); darkness, light, vivid colour and busy detail drive.
// A descriptor whose |p| < 0.25 gets no target (so a neutral photo — mid brightness, some colour, ordinary
// detail — asks for little or nothing). Otherwise:
//   percentile descriptors: Scale::Percentile, value = 0.5 + 0.4 p (0.1 … 0.9), width 0.25, weight |p|;
//   mode:                   Scale::Absolute, value 1 (major) if p > 0 else 0 (minor), width 0.5, weight |p|.
// The reason is "image: " followed by the labels of the factors that pushed in the winning direction with at
// least a quarter of the total, strongest first, at most two (e.g. "image: dark, muted colours").
// So dark + desaturated → low energy, dark timbre, slow, less percussive, minor; bright + saturated + warm →
// major, high energy, bright timbre; busy/high contrast → more onsets and percussion; cool → calmer, darker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "query/targets.h"

namespace audiorium::image {

struct ImageLimits {
  std::size_t max_bytes = 32u << 20;       // encoded size
  std::int64_t max_pixels = 80'000'000;    // width × height of the stored image, checked before decoding
  int analysis_long_side = 512;            // measurements are taken at this long side (smaller images as they are)
};

struct ImageMood {
  std::string format;               // "jpeg", "png", "webp", "bmp", "tiff", "heif", "avif"
  int width = 0, height = 0;        // of the original image
  int analysis_width = 0, analysis_height = 0;
  double brightness = 0;            // 0..1 mean Rec. 709 luma on gamma-encoded sRGB
  double saturation = 0;            // 0..1 mean HSV saturation, near-black pixels ignored
  double warmth = 0;                // -1 cool (blues/cyans) .. +1 warm (reds/oranges/yellows)
  double contrast = 0;              // 0..1: 2 × std of luma
  double colourfulness = 0;         // 0..1: min(1, colourfulness_m / 110)
  double colourfulness_m = 0;       // Hasler–Süsstrunk M (0 grey … ~110 extremely colourful)
  double edge_density = 0;          // 0..1 share of Canny edge pixels at the analysis size
};

// Decode and measure. Throw audiorium::Error for an empty, oversized, truncated, unreadable or non-image input;
// messages start with the file name, or with `name` for bytes (an upload's file name, say).
ImageMood analyse_image_file(const std::filesystem::path& file, const ImageLimits& limits = {});
ImageMood analyse_image_bytes(std::span<const unsigned char> bytes, const ImageLimits& limits = {},
                              std::string_view name = "image data");

// The graded factors of the rules table, each 0..1.
struct MoodFactors {
  double dark = 0, light = 0, muted = 0, vivid = 0, cool = 0, warm = 0, busy = 0, flat = 0;
};
MoodFactors mood_factors(const ImageMood& mood);

// Targets by the rules table above; each reason starts with "image: ". Strongest first.
std::vector<query::DescriptorTarget> mood_targets(const ImageMood& mood);

// Short human words for explanations, strongest first: "dark", "bright", "calm", "energetic", "muted",
// "vivid", "warm colours", "cool colours", "busy", "high contrast", "soft". Empty for a neutral image.
std::vector<std::string> mood_words(const ImageMood& mood);

}  // namespace audiorium::image
