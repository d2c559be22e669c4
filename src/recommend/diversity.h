// Diversity-aware selection: the ordering rule (ordering.h) generalised with MMR and per-artist/album caps.
//
// select_diverse(pool, k, options, similarity, group_of):
//   Items are chosen one at a time from the pool. Each remaining item gets
//       mmr = λ · score − (1 − λ) · max similarity to the items already chosen        (Carbonell & Goldstein 1998)
//   and the next item is drawn with probability ∝ exp((mmr − max mmr) / τ) — or the best when τ = 0.
//   Items whose artist or album already has `max_per_artist` / `max_per_album` chosen are skipped while any
//   other item remains (caps bend before the list comes up short). Finally the chosen items are re-sorted by
//   score, as the original rule does, so diversity decides *which* tracks are heard, relevance their order.
//   With λ = 1 and no caps this is exactly rule_based_order's draw (sequential draws ∝ exp(score/τ) without
//   replacement). The same seed gives the same list (std::mt19937_64 and our own inverse-CDF walk).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "recommend/ordering.h"

namespace audiorium::recommend {

struct DiversityOptions {
  double lambda = 1.0;      // 1 = relevance only; 0.7 is a common MMR setting
  double temperature = 0.05;
  std::uint64_t seed = 0;
  int max_per_artist = 0;   // 0 = no cap
  int max_per_album = 0;
};

struct Groups {
  std::string artist;  // "" = unknown, never capped
  std::string album;
};

// similarity(a, b) in [-1, 1] for two pool indices; group_of(i) for caps (may be empty if no caps).
std::vector<Candidate> select_diverse(const std::vector<Candidate>& pool, int k, const DiversityOptions& options,
                                      const std::function<float(std::size_t, std::size_t)>& similarity,
                                      const std::function<Groups(std::size_t)>& group_of = {});

// Mean pairwise cosine distance (1 − cos) of a list: intra-list diversity, 0 for identical items.
double intra_list_diversity(const std::vector<std::vector<float>>& vectors);

}  // namespace audiorium::recommend
