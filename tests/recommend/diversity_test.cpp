#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "core/error.h"
#include "recommend/diversity.h"
#include "recommend/tag_learner.h"

using namespace audiorium::recommend;

namespace {

// Two tight clusters: items 0..4 nearly identical (scores high), items 5..9 another cluster (scores a bit lower).
std::vector<Candidate> two_cluster_pool() {
  std::vector<Candidate> pool;
  for (int i = 0; i < 10; ++i) pool.push_back({100 + i, i < 5 ? 0.9f - 0.01f * i : 0.8f - 0.01f * (i - 5)});
  return pool;
}
float cluster_similarity(std::size_t a, std::size_t b) { return (a < 5) == (b < 5) ? 0.98f : 0.1f; }

}  // namespace

TEST(Diversity, LambdaOneAndZeroTemperatureIsTopK) {
  const auto out = select_diverse(two_cluster_pool(), 4, {.lambda = 1.0, .temperature = 0.0}, cluster_similarity);
  ASSERT_EQ(out.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(out[i].id, 100 + static_cast<int64_t>(i));
}

TEST(Diversity, MmrReachesIntoTheSecondCluster) {
  // Relevance alone takes the four best, all from the first cluster; MMR spends its second pick on the
  // other cluster, since a near-copy of the first pick adds little.
  const auto plain = select_diverse(two_cluster_pool(), 4, {.lambda = 1.0, .temperature = 0.0}, cluster_similarity);
  for (const auto& c : plain) EXPECT_LT(c.id, 105);
  const auto out = select_diverse(two_cluster_pool(), 4, {.lambda = 0.5, .temperature = 0.0}, cluster_similarity);
  int second = 0;
  for (const auto& c : out) second += c.id >= 105;
  EXPECT_GE(second, 1) << "MMR should reach into the second cluster";
  EXPECT_TRUE(std::any_of(out.begin(), out.end(), [](const Candidate& c) { return c.id == 105; }));
  for (std::size_t i = 1; i < out.size(); ++i) EXPECT_GE(out[i - 1].score, out[i].score) << "re-sorted by score";
}

TEST(Diversity, ArtistCapLimitsEachArtistWhileAlternativesExist) {
  const auto pool = two_cluster_pool();
  auto group = [](std::size_t i) { return Groups{i < 7 ? "A" : "B", ""}; };
  const auto out = select_diverse(pool, 4, {.lambda = 1.0, .temperature = 0.0, .max_per_artist = 2}, cluster_similarity, group);
  std::map<std::string, int> per;
  for (const auto& c : out) ++per[c.id - 100 < 7 ? "A" : "B"];
  EXPECT_EQ(per["A"], 2);
  EXPECT_EQ(per["B"], 2);
  // When only one artist is left, the cap bends instead of returning too few.
  const auto all = select_diverse(pool, 10, {.lambda = 1.0, .temperature = 0.0, .max_per_artist = 2}, cluster_similarity, group);
  EXPECT_EQ(all.size(), 10u);
}

TEST(Diversity, SameSeedSameListDifferentSeedsDifferInsideThePool) {
  const auto pool = two_cluster_pool();
  const DiversityOptions o{.lambda = 0.8, .temperature = 0.2, .seed = 11};
  const auto a = select_diverse(pool, 4, o, cluster_similarity);
  const auto b = select_diverse(pool, 4, o, cluster_similarity);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].id, b[i].id);
  std::set<std::vector<int64_t>> lists;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    auto o2 = o;
    o2.seed = seed;
    std::vector<int64_t> ids;
    for (const auto& c : select_diverse(pool, 4, o2, cluster_similarity)) {
      EXPECT_GE(c.id, 100);
      EXPECT_LT(c.id, 110);
      ids.push_back(c.id);
    }
    lists.insert(ids);
  }
  EXPECT_GE(lists.size(), 2u);
}

TEST(Diversity, BadOptionsAreErrors) {
  EXPECT_THROW(select_diverse(two_cluster_pool(), 0, {}, cluster_similarity), audiorium::Error);
  EXPECT_THROW(select_diverse(two_cluster_pool(), 3, {.lambda = 1.5}, cluster_similarity), audiorium::Error);
}

TEST(Diversity, IntraListDiversity) {
  EXPECT_DOUBLE_EQ(intra_list_diversity({{1, 0}, {1, 0}, {1, 0}}), 0.0);
  EXPECT_NEAR(intra_list_diversity({{1, 0}, {0, 1}}), 1.0, 1e-9);
  EXPECT_NEAR(intra_list_diversity({{1, 0}, {-1, 0}}), 2.0, 1e-9);
}

// Three clusters in 8-d; "jazz" is tagged on 4 members of cluster 0 only. The untagged members of cluster 0
// must have higher affinity to "jazz" than every member of the other clusters.
TEST(TagLearner, UntaggedTracksThatSoundLikeTaggedOnesRankHigh) {
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.0f, 0.15f);
  std::vector<std::vector<float>> vectors;
  std::vector<std::set<std::string>> tags;
  std::vector<int> cluster;
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 10; ++i) {
      std::vector<float> v(8, 0.0f);
      v[static_cast<std::size_t>(c)] = 1.0f;
      for (float& x : v) x += noise(rng);
      vectors.push_back(v);
      tags.push_back(c == 0 && i < 4 ? std::set<std::string>{"jazz"} : std::set<std::string>{});
      cluster.push_back(c);
    }
  tags[25] = {"rare"};  // on one track only: too little support to learn
  const auto model = TagModel::fit(vectors, tags, {.min_tracks = 3});
  ASSERT_TRUE(model.knows("jazz"));
  EXPECT_FALSE(model.knows("rare"));
  EXPECT_EQ(model.support("jazz"), 4u);
  const auto aff = *model.affinity("jazz");
  double worst_untagged_jazz = 1.0, best_other = 0.0;
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    if (cluster[i] == 0 && !tags[i].count("jazz")) worst_untagged_jazz = std::min(worst_untagged_jazz, aff[i]);
    if (cluster[i] != 0) best_other = std::max(best_other, aff[i]);
  }
  EXPECT_GT(worst_untagged_jazz, best_other);
  // A new vector in cluster 0 scores high; one in cluster 2 low.
  std::vector<float> like_jazz(8, 0.0f), unlike(8, 0.0f);
  like_jazz[0] = 1.0f;
  unlike[2] = 1.0f;
  EXPECT_GT(*model.affinity_of("jazz", like_jazz), 0.6);
  EXPECT_LT(*model.affinity_of("jazz", unlike), 0.4);
}

TEST(TagLearner, WordsOnMostOfTheLibraryTeachNothing) {
  std::vector<std::vector<float>> vectors(10, std::vector<float>(4, 0.0f));
  std::vector<std::set<std::string>> tags(10, std::set<std::string>{"music"});
  for (int i = 0; i < 10; ++i) vectors[static_cast<std::size_t>(i)][static_cast<std::size_t>(i % 4)] = 1.0f;
  EXPECT_FALSE(TagModel::fit(vectors, tags).knows("music"));
}
