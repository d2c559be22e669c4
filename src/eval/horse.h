// "Is it a horse?" checks (Sturm 2014, "A simple method to determine if a music information retrieval system is a
// horse"): a system that answers from what the music is should not change its answer when the recording is
// changed in ways a listener barely notices. For a sample of indexed tracks, each transformation below is applied to
// the same audio the index analysed, the result is embedded and finished exactly like a catalogued track, and the
// index is asked for its nearest neighbour: a hit when that is the original (or a fingerprint duplicate of it).
//
//   identity   the window decoded and analysed again, untouched: the control (should be 1.0)
//   reencode   encoded in-process with libavcodec at a low bit rate (MP3 via libmp3lame at 32 kbps by default,
//              else another lossy encoder FFmpeg has) and decoded again
//   lowpass    a 4th-order Butterworth low-pass at 4 kHz (two cascaded biquads)
//   gain+6dB / gain-6dB   the samples scaled by ±6 dB (clipped at full scale)
//   trim2s     the track without its first 2 s: the analysis window then moves as the indexer would move it
//
// The sample is drawn with the seed, so a run is reproducible. Tracks whose file is gone or no longer decodes are
// counted as skipped with the reason.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "library/library.h"

namespace audiorium::eval {

struct HorseOptions {
  int tracks = 20;  // 0 = skip the checks
  std::uint64_t seed = 1;
  int jobs = 0;  // analysis threads; 0 = hardware threads
  double lowpass_hz = 4000;
  int bitrate_kbps = 32;
};

struct HorseTransform {
  std::string name, description;
  std::size_t tried = 0, hits = 0;
  double hit_rate = 0;
  double mean_cosine = 0;  // between the transformed track's vector and the stored original's
  double mean_rank = 0;    // 1-based rank of the original among the neighbours (misses beyond 100 count as 101)
};

struct HorseReport {
  std::vector<HorseTransform> transforms;
  std::vector<int64_t> tracks;  // the sample, in order
  std::size_t skipped = 0;
  std::vector<std::string> notes;  // skipped tracks with reasons, the codec used, …
  std::string codec;                // the encoder of the reencode check, "" when none was available
};

HorseReport run_horse_checks(library::Library& library, const HorseOptions& options);

// The transformations, exposed for tests. All keep the sample rate; none changes the length except trimming.
std::vector<float> apply_gain_db(const std::vector<float>& samples, double db);
std::vector<float> lowpass(const std::vector<float>& samples, int sample_rate, double cutoff_hz);
// Encodes mono float samples with a lossy libavcodec encoder at `kbps` and decodes them again; the encoder's
// priming delay is removed and the result cut to the input's length. `codec_used` receives the encoder's name.
// Throws Error when no suitable encoder exists or coding fails.
std::vector<float> reencode(const std::vector<float>& samples, int sample_rate, int kbps, std::string* codec_used = nullptr);

}  // namespace audiorium::eval
