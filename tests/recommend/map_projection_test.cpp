#include "recommend/map_projection.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "index/synthetic_vectors.h"

namespace audiorium::recommend {
namespace {

using audiorium::testing::clustered_vectors;

void expect_in_unit_box(const MapProjection& m) {
  ASSERT_EQ(m.xyz.size(), m.count * 3);
  ASSERT_EQ(m.xy.size(), m.count * 2);
  for (float v : m.xyz) {
    EXPECT_TRUE(std::isfinite(v));
    EXPECT_GE(v, -1.0f);
    EXPECT_LE(v, 1.0f);
  }
  for (float v : m.xy) {
    EXPECT_GE(v, -1.0f);
    EXPECT_LE(v, 1.0f);
  }
}

TEST(MapProjection, IsDeterministicAndInTheUnitBox) {
  const auto rows = clustered_vectors(500, 32, 5, 0.6f, 7);
  const auto a = project_map(rows, 500, 32);
  const auto b = project_map(rows, 500, 32);
  expect_in_unit_box(a);
  EXPECT_EQ(a.xyz, b.xyz);
  EXPECT_EQ(a.xy, b.xy);
  // The 2D map is the 3D map's first two axes.
  for (std::size_t i = 0; i < a.count; ++i) {
    EXPECT_EQ(a.xy[i * 2], a.xyz[i * 3]);
    EXPECT_EQ(a.xy[i * 2 + 1], a.xyz[i * 3 + 1]);
  }
  // The points fill the box instead of huddling in the middle.
  for (int c = 0; c < 3; ++c) {
    float lo = 1, hi = -1;
    for (std::size_t i = 0; i < a.count; ++i) {
      lo = std::min(lo, a.xyz[i * 3 + static_cast<std::size_t>(c)]);
      hi = std::max(hi, a.xyz[i * 3 + static_cast<std::size_t>(c)]);
    }
    EXPECT_GT(hi - lo, 1.5f) << "axis " << c;
  }
  float explained = 0;
  for (float v : a.explained_variance) explained += v;
  EXPECT_GT(a.explained_variance[0], 0.0f);
  EXPECT_LE(explained, 1.0001f);
}

TEST(MapProjection, TwoSeparatedClustersStaySeparated) {
  const int dim = 24;
  std::mt19937_64 rng(3);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  std::vector<float> rows;
  const std::size_t per = 100;
  for (int cluster = 0; cluster < 2; ++cluster)
    for (std::size_t i = 0; i < per; ++i)
      for (int j = 0; j < dim; ++j) rows.push_back((j == cluster ? 1.0f : 0.0f) + noise(rng));
  const auto m = project_map(rows, 2 * per, dim);
  expect_in_unit_box(m);
  // Every point of cluster 0 is nearer its own cluster's centroid than the other's, in 2D and in 3D.
  for (const int d : {2, 3}) {
    const auto& p = d == 2 ? m.xy : m.xyz;
    std::vector<double> centre(2 * static_cast<std::size_t>(d), 0.0);
    for (std::size_t i = 0; i < 2 * per; ++i)
      for (int c = 0; c < d; ++c) centre[(i / per) * static_cast<std::size_t>(d) + static_cast<std::size_t>(c)] +=
          p[i * static_cast<std::size_t>(d) + static_cast<std::size_t>(c)] / double(per);
    for (std::size_t i = 0; i < 2 * per; ++i) {
      double own = 0, other = 0;
      const std::size_t k = i / per;
      for (int c = 0; c < d; ++c) {
        const double v = p[i * static_cast<std::size_t>(d) + static_cast<std::size_t>(c)];
        own += std::pow(v - centre[k * static_cast<std::size_t>(d) + static_cast<std::size_t>(c)], 2);
        other += std::pow(v - centre[(1 - k) * static_cast<std::size_t>(d) + static_cast<std::size_t>(c)], 2);
      }
      EXPECT_LT(own, other) << "point " << i << " in " << d << "D";
    }
    // And the clusters are far apart on the map: their centroids differ by more than half the box.
    double gap = 0;
    for (int c = 0; c < d; ++c) gap += std::pow(centre[static_cast<std::size_t>(c)] - centre[static_cast<std::size_t>(d + c)], 2);
    EXPECT_GT(std::sqrt(gap), 1.0) << d << "D";
  }
}

TEST(MapProjection, HandlesTinyAndDegenerateLibraries) {
  const auto empty = project_map({}, 0, 16);
  EXPECT_EQ(empty.count, 0u);
  EXPECT_TRUE(empty.xyz.empty());

  const std::vector<float> one(16, 0.25f);
  const auto m1 = project_map(one, 1, 16);
  ASSERT_EQ(m1.xyz.size(), 3u);
  for (float v : m1.xyz) EXPECT_EQ(v, 0.0f);

  auto two = clustered_vectors(2, 16, 2, 0.1f, 5);
  const auto m2 = project_map(two, 2, 16);
  expect_in_unit_box(m2);
  EXPECT_NE(m2.xy[0], m2.xy[2]) << "two different tracks must not land on the same spot";

  const std::vector<float> same(5 * 16, 0.25f);  // no variance at all
  const auto m5 = project_map(same, 5, 16);
  expect_in_unit_box(m5);
  for (float v : m5.xyz) EXPECT_EQ(v, 0.0f);

  const std::vector<float> flat{0.f, 1.f, 1.f, 0.f, 0.5f, 0.5f};  // dim 2 < 3 axes: the third stays 0
  const auto m3 = project_map(flat, 3, 2);
  expect_in_unit_box(m3);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(m3.xyz[i * 3 + 2], 0.0f);

  EXPECT_ANY_THROW(project_map(one, 2, 16));  // wrong size
}

TEST(MapProjection, KeepsMoreNeighboursThanChance) {
  const std::size_t n = 400;
  const auto rows = clustered_vectors(n, 32, 8, 0.8f, 11);
  const auto m = project_map(rows, n, 32);
  const double kept3 = neighbourhood_preservation(rows, 32, m.xyz, 3, n, 10);
  const double kept2 = neighbourhood_preservation(rows, 32, m.xy, 2, n, 10);
  // Chance is 10 / 399 ≈ 0.025; clustered data projected by PCA keeps far more.
  EXPECT_GT(kept3, 0.15);
  EXPECT_GT(kept2, 0.10);
  EXPECT_GE(kept3 + 0.02, kept2) << "a third axis should not lose neighbours";
  // The measure itself: the identity keeps everything.
  EXPECT_DOUBLE_EQ(neighbourhood_preservation(rows, 32, rows, 32, n, 10), 1.0);
}

}  // namespace
}  // namespace audiorium::recommend
