// Clustered synthetic embeddings for index and recommender tests. Random vectors in high dimension are
// all nearly orthogonal, so an approximate index has no structure to exploit and "recall" means
// nothing; gaussian clusters around random centres look like real embeddings (genres, albums).
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "index/vector_index.h"

namespace audiorium::testing {

// n rows of dim floats, row-major, each L2-normalised; row i belongs to cluster i % clusters.
inline std::vector<float> clustered_vectors(std::size_t n, int dim, int clusters, float spread, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  const auto d = static_cast<std::size_t>(dim);
  std::vector<float> centres(static_cast<std::size_t>(clusters) * d);
  for (auto& x : centres) x = gauss(rng);
  for (int c = 0; c < clusters; ++c) index::l2_normalise(std::span(centres).subspan(static_cast<std::size_t>(c) * d, d));
  std::vector<float> out(n * d);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = i % static_cast<std::size_t>(clusters);
    for (std::size_t j = 0; j < d; ++j) out[i * d + j] = centres[c * d + j] + spread * gauss(rng) / std::sqrt(float(d));
    index::l2_normalise(std::span(out).subspan(i * d, d));
  }
  return out;
}

}  // namespace audiorium::testing
