#include "recommend/recommender.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include "core/error.h"
#include "index/synthetic_vectors.h"

namespace audiorium::recommend {
namespace {

using audiorium::testing::clustered_vectors;

// An in-memory catalog: vectors, fingerprint duplicates and artists.
class FakeSource : public TrackSource {
 public:
  std::map<int64_t, std::vector<float>> vectors;
  std::vector<std::set<int64_t>> duplicate_groups;
  std::map<int64_t, std::string> artists;

  std::optional<std::vector<float>> embedding(int64_t id) const override {
    const auto it = vectors.find(id);
    if (it == vectors.end()) return std::nullopt;
    return it->second;
  }
  std::vector<int64_t> duplicates_of(int64_t id) const override {
    for (const auto& g : duplicate_groups)
      if (g.count(id)) {
        std::vector<int64_t> out;
        for (int64_t other : g)
          if (other != id) out.push_back(other);
        return out;
      }
    return {};
  }
  std::string artist_of(int64_t id) const override {
    const auto it = artists.find(id);
    return it == artists.end() ? "" : it->second;
  }
};

struct Library {
  FakeSource source;
  std::unique_ptr<index::VectorIndex> index;
  int dim = 0;

  void add(const std::string& factory, const std::vector<float>& rows, int d, int64_t first_id = 1) {
    dim = d;
    index = index::make_index(factory, d);
    const std::size_t n = rows.size() / static_cast<std::size_t>(d);
    std::vector<int64_t> ids(n);
    for (std::size_t i = 0; i < n; ++i) {
      ids[i] = first_id + static_cast<int64_t>(i) * 10;  // sparse ids
      source.vectors[ids[i]].assign(rows.begin() + static_cast<std::ptrdiff_t>(i * d),
                                    rows.begin() + static_cast<std::ptrdiff_t>((i + 1) * d));
    }
    index->add(ids, rows);
  }
};

float cosine(const std::vector<float>& a, const std::vector<float>& b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0f);
}

class Kinds : public ::testing::TestWithParam<std::string> {};

TEST_P(Kinds, SimilarExcludesSeedAndDuplicates) {
  Library lib;
  lib.add(GetParam(), clustered_vectors(200, 16, 4, 0.5f, 1), 16);
  const int64_t seed = 1;
  // Exact copies of the seed under other ids: the nearest possible, yet must never be offered.
  auto rows = lib.source.vectors[seed];
  rows.insert(rows.end(), lib.source.vectors[seed].begin(), lib.source.vectors[seed].end());
  lib.index->add(std::vector<int64_t>{5000, 5001}, rows);
  lib.source.vectors[5000] = lib.source.vectors[5001] = lib.source.vectors[seed];
  lib.source.duplicate_groups.push_back({seed, 5000, 5001});

  const Recommender rec(*lib.index, lib.source);
  for (std::uint64_t s = 0; s < 20; ++s) {
    const auto out = rec.similar(seed, {.k = 10, .pool_factor = 3.0, .temperature = 0.05, .seed = s});
    ASSERT_EQ(out.size(), 10u);
    for (std::size_t i = 0; i < out.size(); ++i) {
      EXPECT_NE(out[i].id, seed);
      EXPECT_NE(out[i].id, 5000);
      EXPECT_NE(out[i].id, 5001);
      if (i > 0) {
        EXPECT_GE(out[i - 1].score, out[i].score);
      }
    }
  }
  // τ = 0: exactly the 10 nearest non-duplicates.
  const auto top = rec.similar(seed, {.k = 10, .pool_factor = 3.0, .temperature = 0.0});
  std::unordered_set<int64_t> exclude{seed, 5000, 5001};
  const auto nearest = rec.nearest(lib.source.vectors[seed], 10, exclude);
  ASSERT_EQ(top.size(), nearest.size());
  for (std::size_t i = 0; i < top.size(); ++i) EXPECT_EQ(top[i].id, nearest[i].id);
}

TEST_P(Kinds, UnknownSeedThrows) {
  Library lib;
  lib.add(GetParam(), clustered_vectors(20, 8, 2, 0.5f, 2), 8);
  const Recommender rec(*lib.index, lib.source);
  try {
    rec.similar(999, {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "track 999 is not in the index");
  }
  EXPECT_THROW(QueueSession(rec, lib.source, 999, {}), Error);
}

TEST_P(Kinds, NearestWidensPastExclusions) {
  Library lib;
  lib.add(GetParam(), clustered_vectors(300, 16, 3, 0.5f, 3), 16);
  const Recommender rec(*lib.index, lib.source);
  const auto& q = lib.source.vectors[1];
  // Exclude the 100 nearest: the next 5 must still come back, in order.
  const auto first = rec.nearest(q, 105, {});
  std::unordered_set<int64_t> exclude;
  for (std::size_t i = 0; i < 100; ++i) exclude.insert(first[i].id);
  const auto rest = rec.nearest(q, 5, exclude);
  ASSERT_EQ(rest.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(rest[i].id, first[100 + i].id);
  EXPECT_EQ(rec.nearest(q, 1000, {}).size(), 300u);  // capped at the index
  EXPECT_THROW(rec.nearest(q, 0, {}), Error);
}

TEST_P(Kinds, QueueExhaustsTheLibraryWithoutRepeats) {
  Library lib;
  lib.add(GetParam(), clustered_vectors(50, 16, 5, 0.6f, 4), 16);
  for (const auto& [id, v] : lib.source.vectors) lib.source.artists[id] = "artist " + std::to_string(id % 3);
  const Recommender rec(*lib.index, lib.source);
  QueueSession queue(rec, lib.source, 11, {});
  const auto played = queue.take(100);
  EXPECT_EQ(played.size(), 49u);
  std::set<int64_t> seen;
  for (const auto& c : played) {
    EXPECT_NE(c.id, 11);
    EXPECT_TRUE(seen.insert(c.id).second) << "repeat of " << c.id;
  }
  EXPECT_FALSE(queue.next().has_value());
  EXPECT_FALSE(queue.next().has_value());
}

TEST_P(Kinds, QueueSkipsDuplicatesOfPlayedTracks) {
  Library lib;
  lib.add(GetParam(), clustered_vectors(30, 8, 3, 0.6f, 5), 8);
  lib.source.duplicate_groups.push_back({1, 11, 21});  // the seed's copies
  lib.source.duplicate_groups.push_back({31, 41});
  const Recommender rec(*lib.index, lib.source);
  QueueSession queue(rec, lib.source, 1, {});
  const auto played = queue.take(100);
  EXPECT_EQ(played.size(), 30u - 3u - 1u);  // minus the seed group and one of {31, 41}
  std::set<int64_t> ids;
  for (const auto& c : played) ids.insert(c.id);
  EXPECT_FALSE(ids.count(11) || ids.count(21));
  EXPECT_EQ(ids.count(31) + ids.count(41), 1u);
}

// A 2-D sheet of tracks on the sphere: drift 1 walks across it, drift 0 circles the seed.
TEST_P(Kinds, DriftZeroStaysNearerTheSeedThanDriftOne) {
  const int dim = 8;
  const int side = 25;
  std::vector<float> rows;
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x) {
      std::vector<float> v(dim, 0.0f);
      v[0] = 1.0f;
      v[1] = 0.08f * static_cast<float>(x - side / 2);
      v[2] = 0.08f * static_cast<float>(y - side / 2);
      index::l2_normalise(v);
      rows.insert(rows.end(), v.begin(), v.end());
    }
  Library lib;
  lib.add(GetParam(), rows, dim, 0);
  const int64_t seed = (side / 2 * side + side / 2) * 10;  // the centre
  const Recommender rec(*lib.index, lib.source);
  const auto mean_similarity = [&](double drift) {
    double sum = 0;
    int n = 0;
    for (std::uint64_t s = 0; s < 5; ++s) {
      QueueOptions opt;
      opt.drift = drift;
      opt.ordering.seed = s;
      QueueSession queue(rec, lib.source, seed, opt);
      for (const auto& c : queue.take(40)) {
        sum += cosine(lib.source.vectors[c.id], lib.source.vectors[seed]);
        ++n;
      }
    }
    return sum / n;
  };
  const double near = mean_similarity(0.0);
  const double wander = mean_similarity(1.0);
  EXPECT_GT(near, wander + 0.01) << "drift 0: " << near << ", drift 1: " << wander;
  RecordProperty("mean_similarity_drift0", std::to_string(near));
  RecordProperty("mean_similarity_drift1", std::to_string(wander));
}

TEST_P(Kinds, ArtistCooldownWhenAlternativesExist) {
  // Three artists, one tight cluster each; the seed's cluster is nearest, so without the cooldown
  // the queue would stay with the seed's artist.
  Library lib;
  lib.add(GetParam(), clustered_vectors(60, 16, 3, 0.3f, 6), 16);
  for (const auto& [id, v] : lib.source.vectors) lib.source.artists[id] = "artist " + std::to_string((id / 10) % 3);
  const int64_t seed = 1;
  const Recommender rec(*lib.index, lib.source);

  QueueOptions without;
  without.artist_cooldown = 0;
  const auto greedy = QueueSession(rec, lib.source, seed, without).take(5);
  int same = 0;
  for (const auto& c : greedy) same += lib.source.artist_of(c.id) == lib.source.artist_of(seed);
  EXPECT_EQ(same, 5) << "the test library should make the seed's artist the natural choice";

  QueueOptions with;
  with.artist_cooldown = 2;
  QueueSession queue(rec, lib.source, seed, with);
  std::vector<std::string> history{lib.source.artist_of(seed)};
  for (const auto& c : queue.take(45)) history.push_back(lib.source.artist_of(c.id));
  ASSERT_EQ(history.size(), 46u);
  for (std::size_t i = 1; i < history.size(); ++i) {
    EXPECT_NE(history[i], history[i - 1]) << "at pick " << i;
    if (i >= 2) {
      EXPECT_NE(history[i], history[i - 2]) << "at pick " << i;
    }
  }
  EXPECT_EQ(queue.take(100).size(), 14u);  // the cooldown yields at the end rather than stopping
}

TEST_P(Kinds, QueueIsReproducible) {
  Library lib;
  lib.add(GetParam(), clustered_vectors(100, 16, 4, 0.6f, 7), 16);
  const Recommender rec(*lib.index, lib.source);
  QueueOptions opt;
  opt.ordering.seed = 1234;
  const auto a = QueueSession(rec, lib.source, 1, opt).take(30);
  const auto b = QueueSession(rec, lib.source, 1, opt).take(30);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].id, b[i].id);
  opt.drift = 1.5;
  EXPECT_THROW(QueueSession(rec, lib.source, 1, opt), Error);
}

INSTANTIATE_TEST_SUITE_P(Recommend, Kinds, ::testing::Values("Flat", "HNSW16"));

}  // namespace
}  // namespace audiorium::recommend
