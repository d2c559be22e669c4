#include "recommend/map_projection.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <faiss/Index.h>
#include <faiss/VectorTransform.h>

#include "core/error.h"

namespace audiorium::recommend {

namespace {

constexpr int kAxes = 3;
constexpr double kLowQuantile = 0.02, kHighQuantile = 0.98;
constexpr double kSpan = 0.9;  // where the quantiles land; the tails use the rest up to ±1

double quantile(std::vector<double> values, double q) {
  const auto i = static_cast<std::size_t>(std::lround(q * static_cast<double>(values.size() - 1)));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(i), values.end());
  return values[i];
}

// Fixes the axis' sign (longer tail positive), centres and scales it robustly into [-1, 1].
void normalise_axis(std::vector<double>& a) {
  double skew = 0;
  for (double v : a) skew += v * v * v;
  if (skew < 0)
    for (double& v : a) v = -v;
  const double low = quantile(a, kLowQuantile), high = quantile(a, kHighQuantile);
  const auto [min_it, max_it] = std::minmax_element(a.begin(), a.end());
  double centre = (low + high) / 2, half = (high - low) / 2;
  if (half <= 1e-12) {  // most points coincide on this axis: fall back to the full range
    centre = (*min_it + *max_it) / 2;
    half = (*max_it - *min_it) / 2;
  }
  if (half <= 1e-12) {  // no variance at all
    std::fill(a.begin(), a.end(), 0.0);
    return;
  }
  for (double& v : a) v = std::clamp((v - centre) / half * kSpan, -1.0, 1.0);
}

}  // namespace

MapProjection project_map(std::span<const float> vectors, std::size_t rows, int dim) {
  MapProjection map;
  map.count = rows;
  map.xyz.assign(rows * kAxes, 0.0f);
  map.xy.assign(rows * 2, 0.0f);
  map.explained_variance.assign(kAxes, 0.0f);
  if (rows == 0) return map;
  if (dim <= 0) throw Error("map projection: the dimension must be positive");
  const auto d = static_cast<std::size_t>(dim);
  if (vectors.size() != rows * d) throw Error("map projection: expected rows × dim floats");
  if (rows == 1) return map;

  // PCA yields at most dim axes, and FAISS at most `rows` when there are fewer rows than dims; the rest stay 0.
  const int out = static_cast<int>(std::min<std::size_t>({static_cast<std::size_t>(kAxes), d, rows}));
  std::vector<float> projected(rows * static_cast<std::size_t>(out));
  try {
    faiss::PCAMatrix pca(dim, out, /*eigen_power=*/0.0f, /*random_rotation=*/false);
    pca.train(static_cast<faiss::Index::idx_t>(rows), vectors.data());
    pca.apply_noalloc(static_cast<faiss::Index::idx_t>(rows), vectors.data(), projected.data());
  } catch (const std::exception& e) {
    throw Error(std::string("map projection: PCA failed: ") + e.what());
  }

  // Total variance of the data, for each axis' explained share.
  double total = 0;
  {
    std::vector<double> mean(d, 0.0);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t j = 0; j < d; ++j) mean[j] += vectors[r * d + j];
    for (double& m : mean) m /= static_cast<double>(rows);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t j = 0; j < d; ++j) total += std::pow(vectors[r * d + j] - mean[j], 2);
  }

  std::vector<double> axis(rows);
  for (int c = 0; c < out; ++c) {
    double sum = 0, sum2 = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      axis[r] = projected[r * static_cast<std::size_t>(out) + static_cast<std::size_t>(c)];
      sum += axis[r];
      sum2 += axis[r] * axis[r];
    }
    const double variance = sum2 - sum * sum / static_cast<double>(rows);
    if (total > 0) map.explained_variance[static_cast<std::size_t>(c)] = static_cast<float>(std::max(0.0, variance / total));
    normalise_axis(axis);
    for (std::size_t r = 0; r < rows; ++r) {
      map.xyz[r * kAxes + static_cast<std::size_t>(c)] = static_cast<float>(axis[r]);
      if (c < 2) map.xy[r * 2 + static_cast<std::size_t>(c)] = static_cast<float>(axis[r]);
    }
  }
  return map;
}

namespace {

// Indices of the k nearest rows to row i (excluding i), by squared Euclidean distance.
std::vector<std::size_t> knn(std::span<const float> x, std::size_t d, std::size_t rows, std::size_t i, std::size_t k) {
  std::vector<std::pair<double, std::size_t>> dist;
  dist.reserve(rows - 1);
  for (std::size_t j = 0; j < rows; ++j) {
    if (j == i) continue;
    double s = 0;
    for (std::size_t c = 0; c < d; ++c) s += std::pow(double(x[i * d + c]) - x[j * d + c], 2);
    dist.push_back({s, j});
  }
  std::partial_sort(dist.begin(), dist.begin() + static_cast<std::ptrdiff_t>(k), dist.end());
  std::vector<std::size_t> out(k);
  for (std::size_t n = 0; n < k; ++n) out[n] = dist[n].second;
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

double neighbourhood_preservation(std::span<const float> vectors, int dim, std::span<const float> projected,
                                  int proj_dim, std::size_t rows, int k) {
  if (rows < 2 || k <= 0 || dim <= 0 || proj_dim <= 0) return 1.0;
  const auto kk = std::min<std::size_t>(static_cast<std::size_t>(k), rows - 1);
  double shared = 0;
  for (std::size_t i = 0; i < rows; ++i) {
    const auto a = knn(vectors, static_cast<std::size_t>(dim), rows, i, kk);
    const auto b = knn(projected, static_cast<std::size_t>(proj_dim), rows, i, kk);
    std::vector<std::size_t> both;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
    shared += static_cast<double>(both.size()) / static_cast<double>(kk);
  }
  return shared / static_cast<double>(rows);
}

}  // namespace audiorium::recommend
