#include "index/index_store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "support/test_support.h"

namespace audiorium::index {
namespace {

namespace fs = std::filesystem;
using audiorium::testing::TempDir;

std::unique_ptr<VectorIndex> small_index() {
  auto index = make_index("Flat", 2);
  index->add(std::vector<int64_t>{10, 20}, std::vector<float>{1, 0, 0, 1});
  return index;
}

IndexManifest manifest(int64_t generation) {
  IndexManifest m;
  m.embedder = "dsp-v1";
  m.catalog_generation = generation;
  return m;
}

TEST(IndexStore, FreshIndexLoads) {
  TempDir tmp;
  save_index(tmp.path() / "indexes", *small_index(), manifest(7));
  EXPECT_TRUE(fs::exists(tmp.path() / "indexes" / "dsp-v1.faiss"));
  EXPECT_TRUE(fs::exists(tmp.path() / "indexes" / "dsp-v1.json"));
  auto loaded = load_index_if_fresh(tmp.path() / "indexes", "dsp-v1", 7);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->index->size(), 2u);
  EXPECT_EQ(loaded->manifest.dim, 2);
  EXPECT_EQ(loaded->manifest.count, 2u);
  EXPECT_EQ(loaded->manifest.factory, "Flat");
  EXPECT_EQ(loaded->manifest.catalog_generation, 7);
  EXPECT_EQ(loaded->index->search(std::vector<float>{0, 1}, 1).at(0).id, 20);
}

TEST(IndexStore, StaleMissingOrCorruptGiveNullopt) {
  TempDir tmp;
  EXPECT_FALSE(load_index_if_fresh(tmp.path(), "dsp-v1", 1).has_value());  // missing
  save_index(tmp.path(), *small_index(), manifest(7));
  EXPECT_FALSE(load_index_if_fresh(tmp.path(), "dsp-v1", 8).has_value());  // generation moved on
  EXPECT_FALSE(load_index_if_fresh(tmp.path(), "clap-x", 7).has_value());  // other embedder
  ASSERT_TRUE(load_index_if_fresh(tmp.path(), "dsp-v1", 7).has_value());

  std::ofstream(tmp / "dsp-v1.faiss", std::ios::trunc) << "garbage";
  EXPECT_FALSE(load_index_if_fresh(tmp.path(), "dsp-v1", 7).has_value());  // corrupt index

  save_index(tmp.path(), *small_index(), manifest(7));
  std::ofstream(tmp / "dsp-v1.json", std::ios::trunc) << "{ not json";
  EXPECT_FALSE(load_index_if_fresh(tmp.path(), "dsp-v1", 7).has_value());  // corrupt manifest

  save_index(tmp.path(), *small_index(), manifest(7));
  fs::remove(tmp / "dsp-v1.faiss");
  EXPECT_FALSE(load_index_if_fresh(tmp.path(), "dsp-v1", 7).has_value());  // index gone
}

TEST(IndexStore, IndexAndManifestDisagreeingIsStale) {
  TempDir tmp;
  save_index(tmp.path(), *small_index(), manifest(3));
  // Simulate a crash after the index was replaced but before its manifest was.
  auto bigger = small_index();
  bigger->add(std::vector<int64_t>{30}, std::vector<float>{0.6f, 0.8f});
  bigger->save(tmp / "dsp-v1.faiss");
  EXPECT_FALSE(load_index_if_fresh(tmp.path(), "dsp-v1", 3).has_value());
}

TEST(IndexStore, EmbedderIdMustBeAFileName) {
  TempDir tmp;
  auto m = manifest(1);
  for (const char* bad : {"", "../evil", "a/b", ".hidden"}) {
    m.embedder = bad;
    EXPECT_THROW(save_index(tmp.path(), *small_index(), m), Error) << bad;
  }
}

}  // namespace
}  // namespace audiorium::index
