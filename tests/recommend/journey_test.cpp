#include "recommend/journey.h"

#include <gtest/gtest.h>

#include <map>
#include <numeric>
#include <set>

#include "core/error.h"
#include "index/synthetic_vectors.h"

namespace audiorium::recommend {
namespace {

class Vectors : public TrackSource {
 public:
  std::map<int64_t, std::vector<float>> rows;
  std::optional<std::vector<float>> embedding(int64_t id) const override {
    const auto it = rows.find(id);
    return it == rows.end() ? std::nullopt : std::optional(it->second);
  }
  std::vector<int64_t> duplicates_of(int64_t) const override { return {}; }
  std::string artist_of(int64_t) const override { return ""; }
};

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

struct Fixture {
  Vectors source;
  std::unique_ptr<index::VectorIndex> index;
  Fixture(std::size_t n, int dim) {
    const auto v = audiorium::testing::clustered_vectors(n, dim, 6, 0.9f, 21);
    index = index::make_index("Flat", dim);
    std::vector<int64_t> ids(n);
    for (std::size_t i = 0; i < n; ++i) {
      ids[i] = static_cast<int64_t>(100 + i);
      source.rows[ids[i]].assign(v.begin() + static_cast<std::ptrdiff_t>(i * static_cast<std::size_t>(dim)),
                                 v.begin() + static_cast<std::ptrdiff_t>((i + 1) * static_cast<std::size_t>(dim)));
    }
    index->add(ids, v);
  }
};

TEST(Journey, GoesFromAToBWithoutRepeatsAndGetsCloserToB) {
  Fixture f(300, 24);
  const Recommender rec(*f.index, f.source);
  // Two tracks of different clusters (row i is in cluster i % 6).
  const int64_t a = 100, b = 103;
  const auto path = journey(rec, a, b, 12);
  ASSERT_EQ(path.size(), 12u);
  EXPECT_EQ(path.front().id, a);
  EXPECT_EQ(path.back().id, b);
  std::set<int64_t> seen;
  for (const auto& s : path) EXPECT_TRUE(seen.insert(s.id).second) << "track " << s.id << " repeats";

  const auto& vb = f.source.rows.at(b);
  std::vector<double> to_b;
  for (const auto& s : path) {
    to_b.push_back(cosine(f.source.rows.at(s.id), vb));
    EXPECT_NEAR(s.cosine_to_end, to_b.back(), 1e-5);
  }
  // On the whole each step is closer to B: a rank correlation with the step number, and halves that improve.
  int rising = 0;
  for (std::size_t i = 1; i < to_b.size(); ++i) rising += to_b[i] > to_b[i - 1];
  EXPECT_GE(rising, static_cast<int>(to_b.size()) * 2 / 3) << "most steps move towards B";
  const double first_half = std::accumulate(to_b.begin(), to_b.begin() + 6, 0.0);
  const double second_half = std::accumulate(to_b.begin() + 6, to_b.end(), 0.0);
  EXPECT_GT(second_half, first_half);
  // Consecutive steps are smoother than jumping straight from A to B.
  for (std::size_t i = 1; i < path.size(); ++i)
    EXPECT_GE(path[i].cosine_to_previous, cosine(f.source.rows.at(a), vb) - 0.05) << "step " << i;
}

TEST(Journey, ShortLibrariesAndEdgeCases) {
  Fixture f(5, 8);
  const Recommender rec(*f.index, f.source);
  const auto all = journey(rec, 100, 104, 50);  // longer than the library: every track once
  EXPECT_EQ(all.size(), 5u);
  EXPECT_EQ(all.back().id, 104);
  const auto two = journey(rec, 100, 104, 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].id, 100);
  EXPECT_EQ(two[1].id, 104);
  const auto self = journey(rec, 101, 101, 10);
  ASSERT_EQ(self.size(), 1u);
  EXPECT_EQ(self[0].id, 101);
  EXPECT_THROW(journey(rec, 100, 9999, 10), Error);
  EXPECT_THROW(journey(rec, 9999, 100, 10), Error);
  EXPECT_THROW(journey(rec, 100, 104, 1), Error);
}

}  // namespace
}  // namespace audiorium::recommend
