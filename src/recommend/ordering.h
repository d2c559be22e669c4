// The ordering rule of the original design: results are not simply the top k, but k drawn from a
// slightly larger pool, favouring the best, so repeated asks give varied yet relevant lists.
//
// rule_based_order(candidates, {k, pool_factor, temperature τ, seed}):
//   1. rank the candidates by score (ties: smaller id first) and keep the top ceil(k * pool_factor);
//   2. if τ <= 0 or the pool holds no more than k, return the top k (deterministic);
//   3. otherwise draw k of the pool without replacement, each draw picking a remaining candidate with
//      probability exp((score - max score) / τ) / sum of the same over the remaining ones (subtracting
//      the max keeps exp from overflowing; it cancels in the ratio). If every remaining weight
//      underflows to zero (τ tiny against the score gaps), the best remaining is taken, the τ → 0 limit;
//   4. re-sort the k drawn by score, best first.
// Reproducible: the draw uses std::mt19937_64 seeded with `seed` and our own inverse-CDF walk over
// the weights with u = (engine() >> 11) * 2^-53 in [0, 1), not std::discrete_distribution or
// std::uniform_real_distribution, whose outputs the standard leaves to the library. So the same seed
// gives the same list on every platform.
// With τ around the spread of pool scores the draw is soft; huge τ is uniform over the pool; scores
// are cosines, so τ = 0.05 means a 0.05 lower cosine makes a track e times less likely.
#pragma once

#include <cstdint>
#include <vector>

namespace audiorium::recommend {

struct Candidate {
  int64_t id;
  float score;
};

struct OrderingOptions {
  int k = 10;
  double pool_factor = 3.0;
  double temperature = 0.05;
  std::uint64_t seed = 0;
};

// Throws Error for k <= 0, pool_factor < 1 or a non-finite option. Returns fewer than k when there
// are fewer candidates.
std::vector<Candidate> rule_based_order(std::vector<Candidate> candidates, const OrderingOptions& options);

// The number of candidates the rule looks at: ceil(k * pool_factor) (validates the options).
std::size_t pool_size(const OrderingOptions& options);

}  // namespace audiorium::recommend
