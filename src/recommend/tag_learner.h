// Learns what the library's own tags sound like, so an untagged track that sounds like the "jazz" tracks is
// found by "jazz".
//
// For every tag word carried by at least `min_tracks` tracks (and by at most `max_share` of the library, so
// words on everything teach nothing), the model is a shrunken centroid direction in embedding space:
//     d_w = (n / (n + λ)) · (mean of the tagged tracks' vectors − library mean)
// and a track's affinity to w is the percentile, across the library, of its projection (v − library mean)·d_w.
// Why a centroid with shrinkage rather than a trained classifier: tags are sparse (often 3–40 tracks in a
// 146-dimensional space), where logistic regression or an SVM fits noise; the nearest-centroid rule is the
// LDA direction under the isotropic covariance that per-dimension standardisation approximates, has no
// hyper-parameters to tune per tag, and shrinking toward the library mean (λ = 4 pseudo-tracks) keeps a tag
// seen on 3 tracks from claiming strong, confident directions. Refit on every index refresh; it is cheap
// (one pass over the vectors per tag), and done lazily: a word's direction is computed the first time a
// query uses it, so libraries with thousands of tag words load instantly.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace audiorium::recommend {

struct TagLearnerOptions {
  int min_tracks = 3;
  double max_share = 0.5;
  double shrinkage = 4.0;  // λ, in pseudo-tracks
};

class TagModel {
 public:
  // vectors: row-major, one per track (same order as tags); tags: the words each track carries.
  static TagModel fit(const std::vector<std::vector<float>>& vectors, const std::vector<std::set<std::string>>& tags,
                      const TagLearnerOptions& options = {});

  bool knows(const std::string& word) const { return members_.count(word) > 0; }
  std::vector<std::string> words() const;
  std::size_t support(const std::string& word) const;  // tracks that carried it

  // Affinity in [0, 1] of every track (same order as fit's input) to the word: the percentile of its
  // projection on the word's direction. nullopt for unknown words.
  std::optional<std::vector<double>> affinity(const std::string& word) const;
  // Affinity of an arbitrary vector, as a percentile against the library's projections.
  std::optional<double> affinity_of(const std::string& word, const std::vector<float>& vector) const;

 private:
  struct Direction {
    std::vector<float> d;
    std::vector<double> sorted_projections;  // of the library, for percentiles
    std::vector<double> projections;         // in input order
  };
  const Direction& direction(const std::string& word) const;  // computes and caches on first use

  std::shared_ptr<const std::vector<std::vector<float>>> vectors_;
  std::vector<float> mean_;
  double shrinkage_ = 4.0;
  std::map<std::string, std::vector<std::size_t>> members_;  // learnable words → the tracks carrying them
  // The lazily filled cache; a TagModel is shared by concurrent searches, hence the lock.
  mutable std::shared_ptr<std::mutex> cache_mutex_ = std::make_shared<std::mutex>();
  mutable std::map<std::string, Direction> cache_;
};

}  // namespace audiorium::recommend
