// The one interface every embedder implements: the DSP default (dsp-v1) and, later, neural packs.
//
// An embedder turns one analysed track into a *raw* vector, which the catalog stores. Raw vectors
// become comparable vectors through a `Finisher` fitted on the whole library (for dsp-v1: per-dimension
// standardisation with the library's statistics, block weights, L2 norm; for a neural pack: L2 norm only).
// Keeping raw vectors means a re-fit after the library changes never re-decodes audio.
//
// Vectors of different embedders never mix: each has a stable id ("dsp-v1"), and the catalog and the
// index key everything by it.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "audio/decoder.h"
#include "features/descriptors.h"
#include "features/frames.h"

namespace audiorium::embed {

// What the ingest stage computed once for a track; embedders read what they need from it.
struct AnalysedAudio {
  const audio::DecodedAudio& audio;
  const features::FrameFeatures& frames;
  const features::Descriptors& descriptors;
};

// Maps a raw vector to the library-comparable, L2-normalised one.
class Finisher {
 public:
  virtual ~Finisher() = default;
  virtual std::vector<float> apply(std::span<const float> raw) const = 0;
  virtual nlohmann::json to_json() const = 0;
};

class Embedder {
 public:
  virtual ~Embedder() = default;
  virtual std::string id() const = 0;        // stable, versioned: "dsp-v1"
  virtual int raw_dim() const = 0;
  virtual int sample_rate() const = 0;       // the rate the decoder must deliver
  virtual std::vector<float> embed(const AnalysedAudio& input) const = 0;

  // Fits the finishing step on the library's raw vectors (row-major, rows x raw_dim()).
  virtual std::unique_ptr<Finisher> fit(std::span<const float> raw_rows, std::size_t rows) const = 0;
  // Restores a finisher saved with Finisher::to_json(); throws audiorium::Error if it is from another version.
  virtual std::unique_ptr<Finisher> load_finisher(const nlohmann::json& state) const = 0;
};

// "dsp-v1" (the default). Unknown ids throw audiorium::Error listing the known ones.
std::unique_ptr<Embedder> make_embedder(const std::string& id);

}  // namespace audiorium::embed
