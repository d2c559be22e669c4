#include "recommend/ordering.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/error.h"

namespace audiorium::recommend {
namespace {

// 30 candidates with ids 100..129 and distinct scores 0.90, 0.89, ... given in shuffled order.
std::vector<Candidate> candidates() {
  std::vector<Candidate> c;
  for (int i = 0; i < 30; ++i) c.push_back({100 + i, 0.9f - 0.01f * static_cast<float>(i)});
  std::reverse(c.begin(), c.end());
  std::rotate(c.begin(), c.begin() + 11, c.end());
  return c;
}

bool sorted_desc(const std::vector<Candidate>& v) {
  return std::is_sorted(v.begin(), v.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
}

std::vector<int64_t> ids(const std::vector<Candidate>& v) {
  std::vector<int64_t> out;
  for (const auto& c : v) out.push_back(c.id);
  return out;
}

TEST(Ordering, ZeroTemperatureIsTopK) {
  const auto out = rule_based_order(candidates(), {.k = 5, .pool_factor = 3.0, .temperature = 0.0, .seed = 9});
  EXPECT_EQ(ids(out), (std::vector<int64_t>{100, 101, 102, 103, 104}));
  const auto neg = rule_based_order(candidates(), {.k = 5, .pool_factor = 3.0, .temperature = -1.0, .seed = 9});
  EXPECT_EQ(ids(neg), ids(out));
}

TEST(Ordering, SameSeedSameListAndSortedWithinPool) {
  const OrderingOptions opt{.k = 5, .pool_factor = 3.0, .temperature = 0.05, .seed = 42};
  const auto a = rule_based_order(candidates(), opt);
  EXPECT_EQ(ids(a), ids(rule_based_order(candidates(), opt)));
  std::set<std::vector<int64_t>> distinct;
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    auto o = opt;
    o.seed = seed;
    const auto out = rule_based_order(candidates(), o);
    ASSERT_EQ(out.size(), 5u);
    EXPECT_TRUE(sorted_desc(out));
    const auto drawn = ids(out);
    EXPECT_EQ(std::set<int64_t>(drawn.begin(), drawn.end()).size(), 5u);  // without replacement
    for (const auto& c : out) EXPECT_LT(c.id, 115) << "outside the top k * pool_factor = 15";
    distinct.insert(ids(out));
  }
  EXPECT_GE(distinct.size(), 2u);
}

TEST(Ordering, HugeTemperatureIsUniformOverThePool) {
  // k = 1 from a pool of 10: each pool member should come up about draws / 10 times.
  const int draws = 5000;
  std::map<int64_t, int> count;
  for (int seed = 0; seed < draws; ++seed) {
    const auto out = rule_based_order(candidates(), {.k = 1, .pool_factor = 10.0, .temperature = 1e6,
                                                     .seed = static_cast<std::uint64_t>(seed)});
    ++count[out.at(0).id];
  }
  EXPECT_EQ(count.size(), 10u);
  double chi2 = 0;
  const double expected = draws / 10.0;
  for (const auto& [id, n] : count) {
    EXPECT_LT(id, 110);
    chi2 += (n - expected) * (n - expected) / expected;
  }
  EXPECT_LT(chi2, 35.0);  // 9 degrees of freedom: p < 1e-4 for a fair draw to exceed this
}

TEST(Ordering, TinyTemperatureIsTopK) {
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    const auto out = rule_based_order(candidates(), {.k = 4, .pool_factor = 5.0, .temperature = 1e-6, .seed = seed});
    EXPECT_EQ(ids(out), (std::vector<int64_t>{100, 101, 102, 103}));
  }
}

TEST(Ordering, DrawProbabilityFollowsExpScoreOverTemperature) {
  // Two candidates 0.1 apart at τ = 0.1: P(best) = e / (1 + e) ≈ 0.731.
  const std::vector<Candidate> two{{1, 0.5f}, {2, 0.4f}};
  int best = 0;
  const int draws = 20000;
  for (int seed = 0; seed < draws; ++seed)
    best += rule_based_order(two, {.k = 1, .pool_factor = 2.0, .temperature = 0.1,
                                   .seed = static_cast<std::uint64_t>(seed)})
                .at(0)
                .id == 1;
  EXPECT_NEAR(double(best) / draws, std::exp(1.0) / (1.0 + std::exp(1.0)), 0.015);
}

TEST(Ordering, FewerCandidatesThanK) {
  const std::vector<Candidate> three{{7, 0.1f}, {8, 0.9f}, {9, 0.5f}};
  const auto out = rule_based_order(three, {.k = 10, .pool_factor = 3.0, .temperature = 0.05, .seed = 1});
  EXPECT_EQ(ids(out), (std::vector<int64_t>{8, 9, 7}));
  EXPECT_TRUE(rule_based_order({}, {}).empty());
}

TEST(Ordering, InvalidOptionsThrow) {
  EXPECT_THROW(rule_based_order(candidates(), {.k = 0}), Error);
  EXPECT_THROW(rule_based_order(candidates(), {.k = -2}), Error);
  EXPECT_THROW(rule_based_order(candidates(), {.k = 5, .pool_factor = 0.5}), Error);
  EXPECT_THROW(rule_based_order(candidates(), {.k = 5, .pool_factor = NAN}), Error);
  EXPECT_EQ(pool_size({.k = 10, .pool_factor = 1.1}), 11u);
  EXPECT_EQ(pool_size({.k = 10, .pool_factor = 3.0}), 30u);
  EXPECT_EQ(pool_size({.k = 3, .pool_factor = 1.5}), 5u);
}

}  // namespace
}  // namespace audiorium::recommend
