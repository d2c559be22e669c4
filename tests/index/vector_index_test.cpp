#include "index/vector_index.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>

#include "core/error.h"
#include "index/synthetic_vectors.h"
#include "support/test_support.h"

namespace audiorium::index {
namespace {

namespace fs = std::filesystem;
using audiorium::testing::clustered_vectors;
using audiorium::testing::TempDir;

std::vector<float> unit(std::vector<float> v) {
  l2_normalise(v);
  return v;
}

// Three 3-d vectors with known cosines against the query (1, 0, 0) and non-contiguous ids.
struct HandMade {
  std::vector<int64_t> ids{1000, 5, 42};
  std::vector<float> rows;
  HandMade() {
    for (const auto& v : {unit({0.6f, 0.8f, 0.0f}), unit({1.0f, 0.0f, 0.0f}), unit({-1.0f, 1.0f, 0.0f})})
      rows.insert(rows.end(), v.begin(), v.end());
  }
};

std::unique_ptr<VectorIndex> hand_made(const std::string& factory) {
  auto index = make_index(factory, 3);
  HandMade h;
  index->add(h.ids, h.rows);
  return index;
}

class BothKinds : public ::testing::TestWithParam<std::string> {};

TEST_P(BothKinds, ExactOrderScoresAndIds) {
  auto index = hand_made(GetParam());
  EXPECT_EQ(index->size(), 3u);
  EXPECT_EQ(index->dim(), 3);
  const std::vector<float> q{2.0f, 0.0f, 0.0f};  // not unit: scores must still be cosines
  const auto hits = index->search(q, 3);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].id, 5);
  EXPECT_EQ(hits[1].id, 1000);
  EXPECT_EQ(hits[2].id, 42);
  EXPECT_NEAR(hits[0].score, 1.0f, 1e-6);
  EXPECT_NEAR(hits[1].score, 0.6f, 1e-6);
  EXPECT_NEAR(hits[2].score, -1.0f / std::sqrt(2.0f), 1e-6);
}

TEST_P(BothKinds, FewerHitsThanKWhenIndexIsSmall) {
  auto index = hand_made(GetParam());
  EXPECT_EQ(index->search(std::vector<float>{0, 1, 0}, 10).size(), 3u);
  EXPECT_EQ(index->search(std::vector<float>{0, 1, 0}, 1).size(), 1u);
  EXPECT_TRUE(make_index(GetParam(), 3)->search(std::vector<float>{0, 1, 0}, 5).empty());
}

TEST_P(BothKinds, BadArgumentsThrow) {
  auto index = hand_made(GetParam());
  EXPECT_THROW(index->search(std::vector<float>{1, 0, 0}, 0), Error);
  EXPECT_THROW(index->search(std::vector<float>{1, 0, 0}, -3), Error);
  EXPECT_THROW(index->search(std::vector<float>{1, 0}, 3), Error);
  EXPECT_THROW(index->search(std::vector<float>{0, 0, 0}, 3), Error);
  const std::vector<int64_t> one{7};
  EXPECT_THROW(index->add(one, std::vector<float>{1, 0}), Error);          // wrong length
  EXPECT_THROW(index->add(one, std::vector<float>{3, 0, 0}), Error);       // not normalised
  EXPECT_THROW(index->add(std::vector<int64_t>{5}, std::vector<float>{0, 0, 1}), Error);  // duplicate id
  EXPECT_THROW(index->add(std::vector<int64_t>{8, 8}, std::vector<float>{0, 0, 1, 0, 0, 1}), Error);
  EXPECT_EQ(index->size(), 3u);  // nothing was added by the failed calls
}

TEST_P(BothKinds, VectorById) {
  auto index = hand_made(GetParam());
  EXPECT_TRUE(index->contains(42));
  EXPECT_FALSE(index->contains(43));
  EXPECT_FALSE(index->vector(43).has_value());
  const auto v = index->vector(1000);
  ASSERT_TRUE(v.has_value());
  EXPECT_NEAR((*v)[0], 0.6f, 1e-6);
  EXPECT_NEAR((*v)[1], 0.8f, 1e-6);
}

TEST_P(BothKinds, SaveLoadRoundTrip) {
  TempDir tmp;
  const auto n = 2000;
  const int dim = 32;
  const auto rows = clustered_vectors(n, dim, 20, 0.6f, 11);
  std::vector<int64_t> ids(n);
  for (int i = 0; i < n; ++i) ids[static_cast<std::size_t>(i)] = int64_t{1} << 40 | (i * 7919);
  auto index = make_index(GetParam(), dim);
  index->add(ids, rows);
  index->save(tmp / "a.faiss");

  auto loaded = load_index(tmp / "a.faiss");
  EXPECT_EQ(loaded->factory(), index->factory());
  EXPECT_EQ(loaded->size(), index->size());
  EXPECT_EQ(loaded->dim(), dim);
  for (int q = 0; q < 20; ++q) {
    const std::span query(rows.data() + q * 37 * dim, dim);
    const auto a = index->search(query, 10);
    const auto b = loaded->search(query, 10);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].id, b[i].id);
      EXPECT_FLOAT_EQ(a[i].score, b[i].score);
    }
  }
  // Only the published file remains: no temporaries left behind.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(tmp.path())) names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"a.faiss"});
}

TEST_P(BothKinds, WholeIndexRequestIsExact) {
  const int dim = 16;
  const std::size_t n = 300;
  const auto rows = clustered_vectors(n, dim, 5, 0.8f, 3);
  std::vector<int64_t> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(i);
  auto index = make_index(GetParam(), dim);
  index->add(ids, rows);
  const auto hits = index->search(std::span(rows.data(), dim), static_cast<int>(n));
  ASSERT_EQ(hits.size(), n);
  std::set<int64_t> seen;
  for (std::size_t i = 0; i < n; ++i) {
    seen.insert(hits[i].id);
    if (i > 0) {
      EXPECT_GE(hits[i - 1].score, hits[i].score);
    }
  }
  EXPECT_EQ(seen.size(), n);
}

INSTANTIATE_TEST_SUITE_P(Index, BothKinds, ::testing::Values("Flat", "HNSW16"));

TEST(MakeIndex, FactoryStrings) {
  EXPECT_EQ(make_index("Flat", 8)->factory(), "Flat");
  EXPECT_EQ(make_index("HNSW32", 8)->factory(), "HNSW32");
  EXPECT_EQ(make_index("auto", 8, 1000)->factory(), "Flat");
  EXPECT_EQ(make_index("auto", 8, 49'999)->factory(), "Flat");
  EXPECT_EQ(make_index("auto", 8, 50'000)->factory(), "HNSW32");
  for (const char* bad : {"bogus", "HNSW", "HNSW0", "HNSW32x", "flat", "IVF100,Flat", ""}) {
    try {
      make_index(bad, 8);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("\"Flat\""), std::string::npos) << e.what();  // lists the valid ones
    }
  }
  EXPECT_THROW(make_index("Flat", 0), Error);
}

TEST(HnswRecall, AtLeast90PercentOfFlatOnClusteredVectors) {
  const int dim = 64;
  const std::size_t n = 20'000;
  const auto rows = clustered_vectors(n, dim, 100, 0.7f, 5);
  std::vector<int64_t> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(i) * 3 + 1;
  auto flat = make_index("Flat", dim);
  auto hnsw = make_index("HNSW32", dim);
  flat->add(ids, rows);
  hnsw->add(ids, rows);
  const auto queries = clustered_vectors(200, dim, 100, 0.7f, 5);  // same centres (same seed), fresh noise rows
  std::size_t found = 0, total = 0;
  for (std::size_t q = 0; q < 200; ++q) {
    const std::span query(queries.data() + q * dim, static_cast<std::size_t>(dim));
    std::set<int64_t> truth;
    for (const auto& h : flat->search(query, 10)) truth.insert(h.id);
    for (const auto& h : hnsw->search(query, 10)) found += truth.count(h.id);
    total += truth.size();
  }
  const double recall = double(found) / double(total);
  EXPECT_GE(recall, 0.9);
  RecordProperty("recall_at_10", std::to_string(recall));
  std::cout << "HNSW32 recall@10 vs Flat: " << recall << "\n";
}

TEST(LoadIndex, MissingCorruptOrTruncatedFilesThrow) {
  TempDir tmp;
  EXPECT_THROW(load_index(tmp / "none.faiss"), Error);
  {
    std::ofstream(tmp / "garbage.faiss") << "this is not a faiss index at all";
  }
  EXPECT_THROW(load_index(tmp / "garbage.faiss"), Error);
  {
    std::ofstream(tmp / "empty.faiss");
  }
  EXPECT_THROW(load_index(tmp / "empty.faiss"), Error);

  // A write cut short: the first half of a real file.
  auto index = hand_made("HNSW16");
  index->save(tmp / "full.faiss");
  const auto size = fs::file_size(tmp / "full.faiss");
  fs::copy_file(tmp / "full.faiss", tmp / "cut.faiss");
  fs::resize_file(tmp / "cut.faiss", size / 2);
  EXPECT_THROW(load_index(tmp / "cut.faiss"), Error);
  EXPECT_THROW(load_index(tmp.path()), Error);  // a directory
}

TEST(SaveIndex, FailedSaveThrowsAndKeepsTheOldFile) {
  TempDir tmp;
  auto index = hand_made("Flat");
  index->save(tmp / "x.faiss");
  const auto before = fs::file_size(tmp / "x.faiss");
  EXPECT_THROW(index->save(tmp / "no-such-dir" / "x.faiss"), Error);
  if (::geteuid() != 0) {  // root ignores directory permissions
    ::chmod(tmp.path().c_str(), 0555);
    auto bigger = hand_made("Flat");
    bigger->add(std::vector<int64_t>{77}, std::vector<float>{0, 0, 1});
    EXPECT_THROW(bigger->save(tmp / "x.faiss"), Error);
    ::chmod(tmp.path().c_str(), 0755);
  }
  EXPECT_EQ(fs::file_size(tmp / "x.faiss"), before);
  EXPECT_EQ(load_index(tmp / "x.faiss")->size(), 3u);
}

TEST(L2Normalise, UnitAndZero) {
  std::vector<float> v{3, 4};
  l2_normalise(v);
  EXPECT_FLOAT_EQ(v[0], 0.6f);
  EXPECT_FLOAT_EQ(v[1], 0.8f);
  std::vector<float> z{0, 0, 0};
  l2_normalise(z);
  EXPECT_EQ(z, (std::vector<float>{0, 0, 0}));
}

}  // namespace
}  // namespace audiorium::index

namespace audiorium::index {
namespace {

// Searches with different k (so different HNSW efSearch) from several threads agree with serial ones.
TEST(HnswConcurrency, MixedKSearchesFromThreads) {
  const int dim = 32;
  const std::size_t n = 3000;
  const auto rows = audiorium::testing::clustered_vectors(n, dim, 30, 0.6f, 8);
  std::vector<int64_t> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(i);
  auto index = make_index("HNSW16", dim);
  index->add(ids, rows);
  const auto query = [&](std::size_t q) { return std::span(rows.data() + q * dim, static_cast<std::size_t>(dim)); };
  const auto k_of = [](std::size_t q) { return q % 3 == 0 ? 100 : 10; };
  std::vector<std::vector<Hit>> serial(60);
  for (std::size_t q = 0; q < serial.size(); ++q) serial[q] = index->search(query(q), k_of(q));
  std::vector<std::vector<Hit>> parallel(serial.size());
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (std::size_t q = t; q < parallel.size(); q += 4) parallel[q] = index->search(query(q), k_of(q));
    });
  for (auto& th : threads) th.join();
  for (std::size_t q = 0; q < serial.size(); ++q) {
    ASSERT_EQ(serial[q].size(), static_cast<std::size_t>(k_of(q)));
    ASSERT_EQ(parallel[q].size(), serial[q].size());
    for (std::size_t i = 0; i < serial[q].size(); ++i) EXPECT_EQ(parallel[q][i].id, serial[q][i].id);
  }
}

}  // namespace
}  // namespace audiorium::index
