// What the recommender needs to know about tracks, kept abstract so recommend does not depend on the
// catalog's schema and its tests run without a database. The catalog provides the real one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace audiorium::recommend {

class TrackSource {
 public:
  virtual ~TrackSource() = default;
  // The stored vector of the index's embedder, L2-normalised exactly as it went into the index;
  // nullopt if the track has none. The recommender never decodes audio.
  virtual std::optional<std::vector<float>> embedding(int64_t id) const = 0;
  // Tracks with the same audio (same fingerprint), excluding id itself.
  virtual std::vector<int64_t> duplicates_of(int64_t id) const = 0;
  // For the artist cooldown; "" if unknown (an unknown artist never blocks anything).
  virtual std::string artist_of(int64_t id) const = 0;
};

}  // namespace audiorium::recommend
