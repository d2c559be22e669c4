#include "recommend/ordering.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "core/error.h"

namespace audiorium::recommend {

namespace {

bool better(const Candidate& a, const Candidate& b) {
  return a.score != b.score ? a.score > b.score : a.id < b.id;
}

// A uniform double in [0, 1) from the top 53 bits of the engine: fully specified, unlike the
// standard distributions.
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

}  // namespace

std::size_t pool_size(const OrderingOptions& options) {
  if (options.k <= 0) throw Error("ordering: k must be positive, got " + std::to_string(options.k));
  if (!std::isfinite(options.pool_factor) || options.pool_factor < 1.0)
    throw Error("ordering: pool_factor must be at least 1, got " + std::to_string(options.pool_factor));
  if (std::isnan(options.temperature)) throw Error("ordering: temperature is NaN");
  // The small epsilon keeps e.g. 10 * 1.1 = 11.000000000000002 from becoming a pool of 12.
  return static_cast<std::size_t>(std::ceil(options.k * options.pool_factor - 1e-9));
}

std::vector<Candidate> rule_based_order(std::vector<Candidate> candidates, const OrderingOptions& options) {
  const std::size_t pool = std::min(pool_size(options), candidates.size());
  const auto k = std::min(static_cast<std::size_t>(options.k), pool);
  std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(pool), candidates.end(),
                    better);
  candidates.resize(pool);
  if (options.temperature <= 0.0 || pool <= k) {
    candidates.resize(k);
    return candidates;
  }

  // Sorted, so the max score is the first; weights are in (0, 1] before underflow.
  const double top = candidates.front().score;
  std::vector<double> weight(pool);
  for (std::size_t i = 0; i < pool; ++i) weight[i] = std::exp((candidates[i].score - top) / options.temperature);

  std::mt19937_64 rng(options.seed);
  std::vector<Candidate> chosen;
  chosen.reserve(k);
  for (std::size_t draw = 0; draw < k; ++draw) {
    double total = 0;
    for (double w : weight) total += std::max(w, 0.0);
    std::size_t pick = pool;
    if (total > 0) {
      const double u = uniform01(rng) * total;
      double cumulative = 0;
      for (std::size_t i = 0; i < pool; ++i) {
        if (weight[i] <= 0) continue;
        cumulative += weight[i];
        pick = i;  // rounding can leave u just above the final sum: the last live weight then wins
        if (u < cumulative) break;
      }
    } else {
      // Every remaining weight underflowed: the best remaining (the τ → 0 limit). Taken ones are
      // marked with weight -1, so "remaining" is weight == 0 here.
      for (std::size_t i = 0; i < pool && pick == pool; ++i)
        if (weight[i] == 0) pick = i;
    }
    chosen.push_back(candidates[pick]);
    weight[pick] = -1;  // taken: excluded from totals and walks
  }
  std::sort(chosen.begin(), chosen.end(), better);
  return chosen;
}

}  // namespace audiorium::recommend
