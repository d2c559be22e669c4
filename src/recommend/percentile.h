// Where a value falls within a library's sorted values, as a fraction in [0, 1]: ties share the middle of
// their run, so a value shared by every track sits at 0.5. Tag affinities and descriptor targets both use it
// to put different scales on one footing.
#pragma once

#include <algorithm>
#include <vector>

namespace audiorium::recommend {

inline double midrank_percentile(const std::vector<double>& sorted, double x) {
  if (sorted.empty()) return 0.5;
  const auto lo = std::lower_bound(sorted.begin(), sorted.end(), x) - sorted.begin();
  const auto hi = std::upper_bound(sorted.begin(), sorted.end(), x) - sorted.begin();
  return (static_cast<double>(lo + hi) / 2.0) / static_cast<double>(sorted.size());
}

}  // namespace audiorium::recommend
