// Known answers for every measure of eval/metrics.h, computed by hand.
#include <cmath>

#include <gtest/gtest.h>

#include "eval/metrics.h"

using namespace audiorium::eval;

TEST(Homogeneity, AllMajorScoresOneAndItsDistanceToTheBaseline) {
  const auto h = homogeneity(std::vector<LabelClass>(100, LabelClass::Major));
  ASSERT_TRUE(h.share);
  EXPECT_DOUBLE_EQ(*h.share, 1.0);
  EXPECT_DOUBLE_EQ(h.baseline, 0.3);
  EXPECT_NEAR(*h.distance, 0.7, 1e-12);
}

TEST(Homogeneity, UnknownLabelsAreCountedButNotInTheShare) {
  const auto h = homogeneity({LabelClass::Major, LabelClass::Independent, LabelClass::Independent, LabelClass::Unknown}, 0.5);
  EXPECT_EQ(h.major, 1u);
  EXPECT_EQ(h.independent, 2u);
  EXPECT_EQ(h.unknown, 1u);
  EXPECT_NEAR(*h.share, 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(*h.distance, 0.5 - 1.0 / 3.0, 1e-12);
  const auto none = homogeneity({LabelClass::Unknown, LabelClass::Unknown});
  EXPECT_FALSE(none.share);
  EXPECT_FALSE(none.distance);
  EXPECT_EQ(none.unknown, 2u);
  const auto pooled = pool_homogeneity(h, homogeneity({LabelClass::Major}, 0.5));
  EXPECT_NEAR(*pooled.share, 0.5, 1e-12);
  EXPECT_NEAR(*pooled.distance, 0.0, 1e-12);
}

TEST(Diversity, IdenticalTracksHaveZeroIldAndOrthogonalOnesOne) {
  EXPECT_NEAR(intra_list_diversity({{1, 0, 0}, {1, 0, 0}, {1, 0, 0}}), 0.0, 1e-12);
  EXPECT_NEAR(intra_list_diversity({{1, 0}, {0, 1}}), 1.0, 1e-12);
  EXPECT_EQ(intra_list_diversity({{1, 0}}), 0.0);
}

TEST(Diversity, EntropyInBits) {
  EXPECT_EQ(entropy_bits({"a", "a", "a"}), 0.0);
  EXPECT_NEAR(entropy_bits({"a", "a", "b", "b"}), 1.0, 1e-12);
  EXPECT_NEAR(entropy_bits({"a", "b", "c", "d"}), 2.0, 1e-12);
  EXPECT_NEAR(entropy_bits({"a", "a", "a", "b"}), 0.8112781244591328, 1e-12);
  EXPECT_NEAR(entropy_bits({"a", "b", "", ""}), 1.0, 1e-12);  // unknowns are not a category
}

TEST(Fairness, GiniCoverageAndLorenz) {
  EXPECT_NEAR(gini({3, 3, 3, 3}), 0.0, 1e-12);
  EXPECT_NEAR(gini({0, 0, 0, 5}), 0.75, 1e-12);  // (n − 1) / n
  EXPECT_NEAR(gini({1, 2, 3, 4}), 0.25, 1e-12);  // Σ|xi − xj| / (2 n² mean) = 20 / 80
  EXPECT_EQ(gini({0, 0}), 0.0);
  EXPECT_NEAR(coverage({1, 0, 2, 0}), 0.5, 1e-12);
  for (const auto& [x, y] : lorenz_curve({2, 2, 2, 2})) EXPECT_NEAR(x, y, 1e-12);
  const auto skewed = lorenz_curve({0, 0, 0, 4});
  EXPECT_EQ(skewed.front(), (std::pair<double, double>{0, 0}));
  EXPECT_EQ(skewed.back(), (std::pair<double, double>{1, 1}));
  EXPECT_NEAR(skewed[3].second, 0.0, 1e-12);  // three quarters of the tracks got nothing
  EXPECT_EQ(lorenz_curve(std::vector<double>(1000, 1.0), 11).size(), 11u);
}

TEST(Popularity, NoveltyAndPercentile) {
  // p = (pop + 1) / Σ(pop + 1) = (1, 2, 3) / 6
  EXPECT_NEAR(novelty_bits({0}, {0, 1, 2}), std::log2(6.0), 1e-12);
  EXPECT_NEAR(novelty_bits({0, 2}, {0, 1, 2}), (std::log2(6.0) + 1.0) / 2, 1e-12);
  EXPECT_NEAR(popularity_percentile({3}, {1, 2, 3, 4}), 0.875, 1e-12);
  EXPECT_NEAR(popularity_percentile({0, 1}, {5, 5, 5}), 0.5, 1e-12);
}

TEST(Retrieval, PrecisionNdcgAndAveragePrecisionByHand) {
  EXPECT_NEAR(precision_at_k({true, false, true, false}, 4), 0.5, 1e-12);
  EXPECT_NEAR(precision_at_k({true, true}, 10), 0.2, 1e-12);
  // DCG = 1 + 1/log2(4) = 1.5; IDCG (2 relevant) = 1 + 1/log2(3)
  EXPECT_NEAR(ndcg_at_k({true, false, true}, 3, 2), 1.5 / (1 + 1 / std::log2(3.0)), 1e-12);
  EXPECT_NEAR(ndcg_at_k({true, true}, 2, 5), 1.0, 1e-12);
  EXPECT_EQ(ndcg_at_k({false, false}, 2, 0), 0.0);
  EXPECT_NEAR(average_precision({true, false, true, false}, 2), (1.0 + 2.0 / 3.0) / 2, 1e-12);
  EXPECT_NEAR(average_precision({false, true}, 10), 0.5 / 2, 1e-12);  // min(len, R) = 2
  EXPECT_EQ(average_precision({true}, 0), 0.0);
}

TEST(Queues, AdjacentRepetition) {
  EXPECT_NEAR(adjacent_repetition({"a", "a", "b", ""}), 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(adjacent_repetition({"", "", ""}), 0.0, 1e-12);  // unknown artists never repeat
}

TEST(Summaries, StudentTAndConfidenceIntervals) {
  EXPECT_NEAR(student_t_975(1), 12.7062047, 1e-5);
  EXPECT_NEAR(student_t_975(4), 2.7764451, 1e-6);
  EXPECT_NEAR(student_t_975(10), 2.2281389, 1e-6);
  EXPECT_NEAR(student_t_975(30), 2.0422725, 1e-6);
  const auto ci = mean_ci95({1, 2, 3, 4, 5});
  EXPECT_EQ(ci.n, 5u);
  EXPECT_DOUBLE_EQ(ci.mean, 3.0);
  EXPECT_NEAR(ci.sd, std::sqrt(2.5), 1e-12);
  const double half = 2.7764451 * std::sqrt(2.5) / std::sqrt(5.0);
  EXPECT_NEAR(ci.low, 3.0 - half, 1e-5);
  EXPECT_NEAR(ci.high, 3.0 + half, 1e-5);
  const auto one = mean_ci95({4});
  EXPECT_EQ(one.low, 4.0);
  EXPECT_EQ(one.high, 4.0);
}
