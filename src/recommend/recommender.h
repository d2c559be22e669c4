// The two recommend pipelines over stored vectors: "more like this track" (Recommender::similar) and
// an endless queue that wanders from a seed (QueueSession). Both exclude the seed's own duplicates
// and draw with the ordering rule of ordering.h.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "index/vector_index.h"
#include "recommend/ordering.h"
#include "recommend/track_source.h"

namespace audiorium::recommend {

class Recommender {
 public:
  // Both are borrowed and must outlive the recommender.
  Recommender(const index::VectorIndex& index, const TrackSource& source);

  // Tracks like seed_id: its stored vector (from the source, else from the index), the nearest
  // ceil(k * pool_factor) tracks that are neither the seed nor its duplicates, then the ordering
  // rule. Throws Error("track N is not in the index") when neither has a vector for it.
  std::vector<Candidate> similar(int64_t seed_id, const OrderingOptions& options) const;

  // The n nearest tracks to query not in exclude, best first. Asks the index for n + |exclude| and
  // doubles the request while exclusions (or HNSW's -1 padding) leave fewer than n, up to the whole
  // index; so fewer than n comes back only when the index has no more. n <= 0 throws Error.
  std::vector<Candidate> nearest(std::span<const float> query, int n, const std::unordered_set<int64_t>& exclude) const;

  // The stored vector of a track: the source's, else the index's; nullopt if neither has one.
  std::optional<std::vector<float>> vector_of(int64_t id) const;

  const index::VectorIndex& index() const { return index_; }

 private:
  const index::VectorIndex& index_;
  const TrackSource& source_;
};

struct QueueOptions {
  // Each step draws ordering.k from a pool of k * pool_factor and plays the best of the draw; the
  // ordering seed plus the step number seeds each draw, so a session replays exactly.
  OrderingOptions ordering{.k = 1, .pool_factor = 8.0, .temperature = 0.05, .seed = 0};
  // Weight of the CURRENT track against the first seed: query = normalise((1 - drift) * seed +
  // drift * current). 0 = always near the first seed, 1 = follow the current track. In [0, 1].
  double drift = 0.3;
  // No artist repeats within the last N tracks played (the seed counts as played) while any other
  // artist is left; 0 disables it. Unknown artists ("") never block.
  int artist_cooldown = 2;
};

// An endless queue from a seed track: next() never repeats a track (nor a duplicate of one played,
// nor the seed) and returns nullopt once the library is exhausted. Not thread-safe.
class QueueSession {
 public:
  // Throws Error if the seed has no vector, or for invalid options.
  QueueSession(const Recommender& recommender, const TrackSource& source, int64_t seed_id, QueueOptions options);

  std::optional<Candidate> next();
  // Up to n tracks; fewer when the library runs out.
  std::vector<Candidate> take(int n);

 private:
  void mark_played(int64_t id);
  bool cooling_down(int64_t id) const;

  const Recommender& recommender_;
  const TrackSource& source_;
  QueueOptions options_;
  std::vector<float> seed_vector_;
  std::vector<float> current_vector_;
  std::unordered_set<int64_t> played_;   // includes duplicates of what was played
  std::deque<std::string> recent_artists_;  // newest last, at most artist_cooldown
  std::uint64_t step_ = 0;
  bool exhausted_ = false;
};

}  // namespace audiorium::recommend
