#include <map>

#include <gtest/gtest.h>

#include "core/error.h"
#include "library/library.h"
#include "recommend/recommender.h"
#include "support/generated_library.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using audiorium::library::Library;
using audiorium::testing::TempDir;

class SimilarityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    tracks_ = audiorium::testing::make_style_library(tmp_->path() / "music", 4, 8.0);
    auto lib = Library::open(tmp_->path() / "data");
    audiorium::library::ScanOptions o;
    o.jobs = 2;
    lib.scan(tmp_->path() / "music", o);
  }
  static void TearDownTestSuite() { delete tmp_; }
  static std::string style_of(Library& lib, int64_t id) {
    const auto t = lib.catalog().track(id);
    return t ? fs::path(t->path).stem().string().substr(0, fs::path(t->path).stem().string().find('-')) : "";
  }
  static TempDir* tmp_;
  static std::vector<audiorium::testing::GeneratedTrack> tracks_;
};
TempDir* SimilarityTest::tmp_ = nullptr;
std::vector<audiorium::testing::GeneratedTrack> SimilarityTest::tracks_;

TEST_F(SimilarityTest, NearestNeighboursShareTheSeedsStyle) {
  auto lib = Library::open(tmp_->path() / "data");
  auto rec = lib.recommender();
  int hits = 0, total = 0;
  for (const auto& t : lib.catalog().tracks()) {
    const auto results = rec.similar(t.id, {.k = 3, .pool_factor = 1.0, .temperature = 0.0, .seed = 1});
    ASSERT_EQ(results.size(), 3u);
    for (const auto& r : results) {
      EXPECT_NE(r.id, t.id) << "the seed must not recommend itself";
      hits += style_of(lib, r.id) == style_of(lib, t.id);
      ++total;
    }
  }
  EXPECT_GE(static_cast<double>(hits) / total, 0.9) << hits << "/" << total;
}

TEST_F(SimilarityTest, IndexReloadsFromDiskWithoutRebuilding) {
  auto lib = Library::open(tmp_->path() / "data");
  const auto info = lib.index_info();
  EXPECT_FALSE(info.rebuilt);
  EXPECT_EQ(info.vectors, tracks_.size());
}

TEST_F(SimilarityTest, SameSeedSameListAndQueueNeverRepeats) {
  auto lib = Library::open(tmp_->path() / "data");
  auto rec = lib.recommender();
  const auto seed_id = lib.catalog().tracks().front().id;
  audiorium::recommend::OrderingOptions o{.k = 4, .pool_factor = 2.0, .temperature = 0.1, .seed = 42};
  const auto a = rec.similar(seed_id, o);
  const auto b = rec.similar(seed_id, o);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].id, b[i].id);

  audiorium::recommend::QueueSession queue(rec, lib.track_source(), seed_id, {});
  const auto all = queue.take(1000);
  EXPECT_EQ(all.size(), tracks_.size() - 1);
  std::set<int64_t> seen{seed_id};
  for (const auto& c : all) EXPECT_TRUE(seen.insert(c.id).second) << "repeat of " << c.id;
}

TEST_F(SimilarityTest, UnknownTrackIsAnError) {
  auto lib = Library::open(tmp_->path() / "data");
  EXPECT_THROW(lib.recommender().similar(999999, {}), audiorium::Error);
}

// A library of one track: standardisation leaves nothing, yet the index, search and info must still work.
TEST(SingleTrackLibrary, IndexesAndSearchesWithoutErrors) {
  TempDir tmp;
  fs::create_directories(tmp / "music");
  audiorium::testing::write_wav(tmp / "music" / "only.wav", audiorium::testing::sine(440, 5.0, 22050), 22050);
  auto lib = Library::open(tmp / "data");
  const auto report = lib.scan(tmp / "music", {});
  EXPECT_EQ(report.added, 1u);
  EXPECT_EQ(lib.index_info().vectors, 1u);
  const auto id = lib.catalog().tracks().front().id;
  const auto v = lib.embedding(id);
  ASSERT_TRUE(v);
  double norm = 0;
  for (float x : *v) norm += static_cast<double>(x) * x;
  EXPECT_NEAR(norm, 1.0, 1e-4);
  EXPECT_TRUE(lib.recommender().similar(id, {}).empty());
}
