// Playlists and search history: the user state the web app writes.
#include "catalog/catalog.h"
#include "core/error.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

namespace audiorium::catalog {
namespace {

using audiorium::testing::TempDir;

int64_t add_track(Catalog& c, const std::string& path) {
  TrackAnalysis a;
  a.track.path = path;
  a.track.size_bytes = 10;
  a.track.duration_s = 60;
  a.track.tags.title = path;
  return c.commit_analysis(a);
}

TEST(Playlists, CreateRenameDelete) {
  TempDir dir;
  auto c = Catalog::open(dir / "catalog.db");
  EXPECT_TRUE(c.playlists().empty());
  const int64_t a = c.create_playlist("  Evening  ");
  const int64_t b = c.create_playlist("Morning");
  EXPECT_NE(a, b);
  ASSERT_EQ(c.playlists().size(), 2u);
  EXPECT_EQ(c.playlists()[0].name, "Evening");  // trimmed
  EXPECT_EQ(c.playlist_by_name("Morning"), b);
  EXPECT_THROW(c.create_playlist("Morning"), Error);
  EXPECT_THROW(c.create_playlist("   "), Error);
  EXPECT_THROW(c.rename_playlist(a, "Morning"), Error);
  c.rename_playlist(a, "Night");
  c.rename_playlist(a, "Night");  // its own name is not a clash
  EXPECT_EQ(c.playlist(a)->name, "Night");
  EXPECT_THROW(c.rename_playlist(999, "x"), Error);
  EXPECT_TRUE(c.delete_playlist(a));
  EXPECT_FALSE(c.delete_playlist(a));
  EXPECT_FALSE(c.playlist(a));
  ASSERT_EQ(c.playlists().size(), 1u);
  EXPECT_EQ(c.playlists()[0].id, b);
}

TEST(Playlists, TracksInOrderWithRepeatsAndValidation) {
  TempDir dir;
  auto c = Catalog::open(dir / "catalog.db");
  const int64_t t1 = add_track(c, "/m/1.mp3"), t2 = add_track(c, "/m/2.mp3"), t3 = add_track(c, "/m/3.mp3");
  const int64_t p = c.create_playlist("Mix");
  EXPECT_TRUE(c.playlist_tracks(p).empty());
  c.add_to_playlist(p, {t3, t1});
  c.add_to_playlist(p, {t3});
  EXPECT_EQ(c.playlist_tracks(p), (std::vector<int64_t>{t3, t1, t3}));
  EXPECT_EQ(c.playlist(p)->track_count, 3);
  c.set_playlist_tracks(p, {t2, t1});  // reorder / replace
  EXPECT_EQ(c.playlist_tracks(p), (std::vector<int64_t>{t2, t1}));
  // An unknown track leaves the list as it was.
  EXPECT_THROW(c.set_playlist_tracks(p, {t1, 12345}), Error);
  EXPECT_EQ(c.playlist_tracks(p), (std::vector<int64_t>{t2, t1}));
  EXPECT_THROW(c.playlist_tracks(999), Error);
  EXPECT_THROW(c.add_to_playlist(999, {t1}), Error);
  // Removing a track drops its entries; the rest keep their order.
  c.remove_track(t2);
  EXPECT_EQ(c.playlist_tracks(p), (std::vector<int64_t>{t1}));
  // Deleting the playlist deletes its entries, not the tracks.
  EXPECT_TRUE(c.delete_playlist(p));
  EXPECT_TRUE(c.track(t1).has_value());
}

TEST(Playlists, SurviveReopen) {
  TempDir dir;
  int64_t p = 0, t = 0;
  {
    auto c = Catalog::open(dir / "catalog.db");
    t = add_track(c, "/m/a.flac");
    p = c.create_playlist("Kept");
    c.set_playlist_tracks(p, {t, t});
  }
  auto c = Catalog::open(dir / "catalog.db");
  EXPECT_EQ(c.playlist(p)->name, "Kept");
  EXPECT_EQ(c.playlist_tracks(p), (std::vector<int64_t>{t, t}));
}

TEST(SearchHistory, NewestFirst) {
  TempDir dir;
  auto c = Catalog::open(dir / "catalog.db");
  c.add_search("slow piano", "text");
  c.add_search("photo.jpg", "image");
  const auto s = c.searches(10);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].query, "photo.jpg");
  EXPECT_EQ(s[0].kind, "image");
  EXPECT_EQ(s[1].query, "slow piano");
  EXPECT_EQ(c.searches(1).size(), 1u);
}

}  // namespace
}  // namespace audiorium::catalog
