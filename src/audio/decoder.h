// Decoding any audio file FFmpeg reads into mono float at the rate a consumer asks for.
// Only a window of the track is decoded by default (30 s from the middle), so the cost per track is bounded
// whatever its length; the whole track is available with AnalysisWindow::full().
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace audiorium::audio {

// Which part of a track is analysed, so cost per track is bounded.
struct AnalysisWindow {
  enum class Mode { Full, Middle };
  Mode mode = Mode::Middle;
  double seconds = 30.0;  // length for Middle; if the track is shorter (or seconds <= 0) the whole track is used
  static AnalysisWindow full();
  static AnalysisWindow middle(double seconds);
};

// Facts about the whole file (not the decoded window).
struct StreamInfo {
  double duration_s = 0;       // 0 when the container does not say
  std::string codec;           // FFmpeg codec name, e.g. "mp3", "flac", "opus"
  int source_sample_rate = 0;  // Hz
  int channels = 0;
  int64_t bit_rate = 0;        // bits per second, 0 when unknown
};

struct DecodedAudio {
  std::vector<float> samples;  // mono float in [-1,1] (average of channels; louder clipped, NaN and ±inf → 0), at sample_rate
  int sample_rate = 0;
  double offset_s = 0;  // where in the track the samples start
  StreamInfo info;      // of the whole file
};

// Reads the container header only. Throws audiorium::Error naming the file on any failure.
StreamInfo probe(const std::filesystem::path& file);

// Decodes the window of `file` to mono float at target_sample_rate. Corrupt packets are skipped; throws
// audiorium::Error (naming the file) when the file cannot be opened, has no audio stream, or yields no samples.
DecodedAudio decode(const std::filesystem::path& file, int target_sample_rate, const AnalysisWindow& window = {});

// Streaming form of decode(): the same samples, handed over in blocks of `block_frames` (the last one shorter)
// so a consumer can process long tracks without holding them. The callback returns false to stop early.
// Returns the file's StreamInfo; `offset_s` receives where the first sample lies in the track.
using BlockCallback = std::function<bool(std::span<const float> block)>;
StreamInfo decode_stream(const std::filesystem::path& file, int target_sample_rate, const AnalysisWindow& window,
                         const BlockCallback& on_block, std::size_t block_frames = 1 << 16,
                         double* offset_s = nullptr);

}  // namespace audiorium::audio
