// dsp-v1: the default embedder, made of signal-processing statistics only (no model weights).
//
// Raw layout (146 floats), four blocks; frame features are summarised over the analysis window:
//   timbre   (84)  MFCC 0..19 mean, MFCC std, delta-MFCC std (60); spectral contrast 7 bands mean, std (14);
//                  log centroid, log bandwidth, log rolloff, log10 flatness, zero-crossing rate: mean, std (10)
//   harmony  (28)  chroma mean and std rotated so the estimated tonic is bin 0 (key-invariant, 24);
//                  key strength, mode (1 major / 0 minor), tonalness, mean chroma entropy (4)
//   rhythm   (26)  onset-strength autocorrelation at 20 log-spaced lags from 0.1 s to 2.5 s (a tempogram
//                  summary that survives tempo-octave errors); onset mean, onset std (relative); log2 tempo,
//                  tempo confidence, percussiveness, onset rate (4)
//   dynamics  (8)  frame RMS in dB: mean, std, p10, p50, p90; integrated LUFS, loudness range, dynamic range
//
// Finishing (fitted on the library): each dimension is standardised with the library's mean and standard
// deviation and clipped to ±4 so one odd track cannot dominate; each block is scaled by weight/sqrt(size)
// so a block's share of the distance is set by its weight, not by how many numbers it has; then L2 norm.
#pragma once

#include <array>
#include <string_view>

#include "embed/embedder.h"

namespace audiorium::embed {

struct Block {
  std::string_view name;
  int offset;
  int size;
};

inline constexpr std::array<Block, 4> kDspBlocks{{
    {"timbre", 0, 84},
    {"harmony", 84, 28},
    {"rhythm", 112, 26},
    {"dynamics", 138, 8},
}};
inline constexpr int kDspRawDim = 146;

// Relative weight of each block in the finished vector (same order as kDspBlocks).
struct BlockWeights {
  std::array<float, 4> weight{1.0f, 0.5f, 0.5f, 0.35f};
};

class DspEmbedder final : public Embedder {
 public:
  explicit DspEmbedder(BlockWeights weights = {});
  std::string id() const override { return "dsp-v1"; }
  int raw_dim() const override { return kDspRawDim; }
  int sample_rate() const override { return 22050; }
  std::vector<float> embed(const AnalysedAudio& input) const override;
  std::unique_ptr<Finisher> fit(std::span<const float> raw_rows, std::size_t rows) const override;
  std::unique_ptr<Finisher> load_finisher(const nlohmann::json& state) const override;

 private:
  BlockWeights weights_;
};

}  // namespace audiorium::embed
