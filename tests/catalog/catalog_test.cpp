#include "catalog/catalog.h"
#include "core/error.h"
#include "support/test_support.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>

namespace audiorium::catalog {
namespace {

namespace fs = std::filesystem;
using audiorium::testing::TempDir;

TrackAnalysis analysis(const std::string& path, const std::string& title, float seed, int64_t size = 1000) {
  TrackAnalysis a;
  a.track.path = path;
  a.track.size_bytes = size;
  a.track.mtime_ns = 123456789;
  a.track.duration_s = 180.5;
  a.track.codec = "mp3";
  a.track.sample_rate = 44100;
  a.track.channels = 2;
  a.track.bit_rate = 192000;
  a.track.tags.title = title;
  a.track.tags.artist = "Artist";
  a.track.tags.year = 1999;
  a.track.fingerprint = "AQAA" + std::to_string(size);
  a.descriptors = {{"tempo_bpm", 120.0 + seed}, {"energy", 0.5}};
  a.fingerprint_raw = {1u, 2u, 0xFFFFFFFFu};
  a.embedder = "dsp-v1";
  a.vector = {seed, seed + 1, seed + 2, seed + 3};
  return a;
}

// Runs one SQL statement on the file with the plain C API, for checks the Catalog API does not offer.
std::string raw_query(const fs::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  sqlite3_stmt* s = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
    const auto* t = sqlite3_column_text(s, 0);
    if (t) out = reinterpret_cast<const char*>(t);
  }
  sqlite3_finalize(s);
  sqlite3_close(h);
  return out;
}

TEST(Catalog, OpenCreatesFoldersAndSchema) {
  TempDir dir;
  const fs::path db = dir / "a/b/catalog.db";
  {
    auto c = Catalog::open(db);
    EXPECT_TRUE(c.tracks().empty());
    EXPECT_EQ(c.generation(), 0);
  }
  ASSERT_TRUE(fs::exists(db));
  EXPECT_EQ(raw_query(db, "PRAGMA user_version"), std::to_string(Catalog::kSchemaVersion));
  EXPECT_EQ(raw_query(db, "PRAGMA journal_mode"), "wal");
  for (const char* table : {"tracks", "descriptors", "vectors", "scan_errors", "meta", "embedder_state", "history",
                            "playlists", "playlist_tracks", "likes", "search_history"})
    EXPECT_EQ(raw_query(db, std::string("SELECT name FROM sqlite_schema WHERE type='table' AND name='") + table + "'"),
              table);
}

TEST(Catalog, ReopenKeepsData) {
  TempDir dir;
  const fs::path db = dir / "c.db";
  int64_t id = 0;
  {
    auto c = Catalog::open(db);
    id = c.commit_analysis(analysis("/music/a.mp3", "Song A", 1));
    c.set_meta("library_root", "/music");
    c.put_embedder_state("dsp-v1", R"({"mean":[1,2]})");
  }
  auto c = Catalog::open(db);
  const auto t = c.track(id);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/music/a.mp3");
  EXPECT_EQ(t->tags.title, "Song A");
  EXPECT_EQ(t->tags.artist, "Artist");
  EXPECT_EQ(t->tags.year, 1999);
  EXPECT_EQ(t->codec, "mp3");
  EXPECT_EQ(t->sample_rate, 44100);
  EXPECT_EQ(t->channels, 2);
  EXPECT_EQ(t->bit_rate, 192000);
  EXPECT_DOUBLE_EQ(t->duration_s, 180.5);
  EXPECT_EQ(t->fingerprint, "AQAA1000");
  EXPECT_EQ(c.fingerprint_raw(id), (std::vector<uint32_t>{1u, 2u, 0xFFFFFFFFu}));
  EXPECT_EQ(c.vector(id, "dsp-v1"), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(c.meta("library_root"), "/music");
  EXPECT_EQ(c.embedder_state("dsp-v1"), R"({"mean":[1,2]})");
  EXPECT_FALSE(c.meta("nope"));
  EXPECT_FALSE(c.embedder_state("clap-x"));
}

TEST(Catalog, MoveConstructionKeepsTheConnection) {
  TempDir dir;
  auto a = Catalog::open(dir / "c.db");
  a.commit_analysis(analysis("/m/x.mp3", "X", 0));
  Catalog b(std::move(a));
  EXPECT_EQ(b.tracks().size(), 1u);
}

TEST(Catalog, CommitAnalysisInsertsThenUpdatesByPath) {
  TempDir dir;
  auto c = Catalog::open(dir / "c.db");
  auto a = analysis("/m/x.mp3", "X", 1);
  a.descriptors.push_back({"key_strength", 0.25});
  const int64_t id = c.commit_analysis(a);
  EXPECT_GT(id, 0);
  EXPECT_EQ(c.descriptors(id).size(), 3u);

  // The file changed: new size and fingerprint, fewer descriptors, another vector.
  auto b = analysis("/m/x.mp3", "X (remaster)", 10, 2000);
  EXPECT_EQ(c.commit_analysis(b), id);
  ASSERT_EQ(c.tracks().size(), 1u);
  const auto t = c.track_by_path("/m/x.mp3");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->size_bytes, 2000);
  EXPECT_EQ(t->tags.title, "X (remaster)");
  EXPECT_EQ(c.vector(id, "dsp-v1"), (std::vector<float>{10, 11, 12, 13}));
  const auto d = c.descriptors(id);
  ASSERT_EQ(d.size(), 2u);  // the old key_strength is gone
  EXPECT_EQ(d[0].first, "energy");
  EXPECT_EQ(d[1].first, "tempo_bpm");
  EXPECT_DOUBLE_EQ(d[1].second, 130.0);
  EXPECT_EQ(c.all_descriptors().at(id).at("tempo_bpm"), 130.0);
}

TEST(Catalog, ChangedContentDropsOtherEmbeddersVectors) {
  TempDir dir;
  auto c = Catalog::open(dir / "c.db");
  auto a = analysis("/m/x.mp3", "X", 1);
  const int64_t id = c.commit_analysis(a);
  a.embedder = "clap-test";
  a.vector = {9, 9};
  c.commit_analysis(a);  // same content: both vectors kept
  EXPECT_TRUE(c.vector(id, "dsp-v1"));
  EXPECT_TRUE(c.vector(id, "clap-test"));

  auto changed = analysis("/m/x.mp3", "X", 2, 5555);
  c.commit_analysis(changed);
  EXPECT_TRUE(c.vector(id, "dsp-v1"));
  EXPECT_FALSE(c.vector(id, "clap-test")) << "a vector of the old audio must not survive a content change";
}

TEST(Catalog, RejectsBadVectors) {
  TempDir dir;
  auto c = Catalog::open(dir / "c.db");
  auto a = analysis("/m/x.mp3", "X", 1);
  a.vector[2] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(c.commit_analysis(a), Error);
  EXPECT_TRUE(c.tracks().empty()) << "a failed commit leaves nothing behind";

  c.commit_analysis(analysis("/m/x.mp3", "X", 1));
  auto other_dim = analysis("/m/y.mp3", "Y", 1);
  other_dim.vector = {1, 2, 3};
  EXPECT_THROW(c.commit_analysis(other_dim), Error);
  EXPECT_EQ(c.tracks().size(), 1u);

  TrackAnalysis no_path;
  EXPECT_THROW(c.commit_analysis(no_path), Error);
}

TEST(Catalog, NonFiniteDescriptorsAreStoredAsAbsent) {
  TempDir dir;
  auto c = Catalog::open(dir / "c.db");
  auto a = analysis("/m/x.mp3", "X", 1);
  a.descriptors.push_back({"key", std::numeric_limits<double>::quiet_NaN()});
  const int64_t id = c.commit_analysis(a);
  EXPECT_EQ(c.descriptors(id).size(), 2u);
}

TEST(Catalog, GenerationCountsChangesNotReads) {
  TempDir dir;
  auto c = Catalog::open(dir / "c.db");
  int64_t g = c.generation();
  auto expect_bump = [&](const char* what) {
    const int64_t now = c.generation();
    EXPECT_GT(now, g) << what;
    g = now;
  };
  const int64_t id = c.commit_analysis(analysis("/m/x.mp3", "X", 1));
  expect_bump("insert");
  c.commit_analysis(analysis("/m/x.mp3", "X", 2));
  expect_bump("update");
  const int64_t id2 = c.commit_analysis(analysis("/m/y.mp3", "Y", 3));
  expect_bump("second insert");
  c.move_track(id, "/m/moved.mp3", 1000, 5);
  expect_bump("move");
  c.remove_track(id2);
  expect_bump("remove");

  // Reads, and writes that do not touch tracks or vectors, leave it alone.
  (void)c.tracks();
  (void)c.track(id);
  (void)c.vectors("dsp-v1");
  (void)c.vector(id, "dsp-v1");
  (void)c.file_states();
  (void)c.find_tracks("x");
  (void)c.stats();
  (void)c.descriptors(id);
  c.record_scan_error("/m/bad.mp3", "cannot decode");
  c.like(id, true);
  c.add_history(id, "test");
  c.set_meta("k", "v");
  c.put_embedder_state("dsp-v1", "{}");  // derived state: records its own generation
  c.remove_track(987654);  // nothing removed
  EXPECT_EQ(c.generation(), g);

  // And it survives a reopen.
  const fs::path file = c.file();
  Catalog moved = std::move(c);
  { Catalog closing = std::move(moved); }
  EXPECT_EQ(Catalog::open(file).generation(), g);
}

TEST(Catalog, VectorsComeInIdOrderWithTheirData) {
  TempDir dir;
  auto c = Catalog::open(dir / "c.db");
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(c.commit_analysis(analysis("/m/" + std::to_string(4 - i) + ".mp3", "T", static_cast<float>(i * 10))));
  // Another embedder's vectors never mix in.
  auto other = analysis("/m/0.mp3", "T", 40);
  other.embedder = "clap-x";
  other.vector = {7, 7};
  c.commit_analysis(other);
  // Rewrite the first track so row order in the table differs from id order.
  c.commit_analysis(analysis("/m/4.mp3", "T", 0));

  const VectorSet set = c.vectors("dsp-v1");
  EXPECT_EQ(set.embedder, "dsp-v1");
  EXPECT_EQ(set.dim, 4);
  ASSERT_EQ(set.ids, ids);
  ASSERT_EQ(set.data.size(), 20u);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const float seed = static_cast<float>(i * 10);
    EXPECT_EQ(set.row(i)[0], seed);
    EXPECT_EQ(set.row(i)[3], seed + 3);
  }
  const VectorSet clap = c.vectors("clap-x");
  EXPECT_EQ(clap.dim, 2);
  EXPECT_EQ(clap.ids, std::vector<int64_t>{ids[4]});
  EXPECT_TRUE(c.vectors("none").ids.empty());
  EXPECT_EQ(c.vector_dim("dsp-v1"), 4);
  EXPECT_EQ(c.vector_dim("clap-x"), 2);
  EXPECT_EQ(c.vector_dim("none"), 0);
  EXPECT_EQ(c.embedders(), (std::vector<std::string>{"clap-x", "dsp-v1"}));

  const LibraryStats s = c.stats();
  EXPECT_EQ(s.tracks, 5);
  EXPECT_DOUBLE_EQ(s.total_duration_s, 5 * 180.5);
  EXPECT_EQ(s.vectors_per_embedder, (std::vector<std::pair<std::string, int64_t>>{{"clap-x", 1}, {"dsp-v1", 5}}));
}

TEST(Catalog, MoveTrackKeepsIdAndUserState) {
  TempDir dir;
  auto c = Catalog::open(dir / "c.db");
  const int64_t id = c.commit_analysis(analysis("/m/old.mp3", "Old", 1));
  c.like(id, true);
  c.add_history(id, "queue");
  c.move_track(id, "/m/new/place.mp3", 1001, 77);

  EXPECT_FALSE(c.track_by_path("/m/old.mp3"));
  const auto t = c.track_by_path("/m/new/place.mp3");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->id, id);
  EXPECT_EQ(t->size_bytes, 1001);
  EXPECT_EQ(t->mtime_ns, 77);
  EXPECT_EQ(c.liked(), std::vector<int64_t>{id});
  ASSERT_EQ(c.history().size(), 1u);
  EXPECT_EQ(c.history()[0].track_id, id);
  EXPECT_EQ(c.history()[0].source, "queue");
  EXPECT_TRUE(c.vector(id, "dsp-v1"));

  // The scanner's way: a re-analysis under the old id with the new path.
  auto again = analysis("/m/third.mp3", "Old", 1);
  again.track.id = id;
  EXPECT_EQ(c.commit_analysis(again), id);
  EXPECT_EQ(c.tracks().size(), 1u);
  EXPECT_EQ(c.track(id)->path, "/m/third.mp3");
  EXPECT_EQ(c.liked(), std::vector<int64_t>{id});

  EXPECT_THROW(c.move_track(9999, "/m/z.mp3", 1, 1), Error);
  auto unknown = analysis("/m/q.mp3", "Q", 1);
  unknown.track.id = 9999;
  EXPECT_THROW(c.commit_analysis(unknown), Error);
}

TEST(Catalog, RemoveTrackCascades) {
  TempDir dir;
  const fs::path db = dir / "c.db";
  auto c = Catalog::open(db);
  const int64_t id = c.commit_analysis(analysis("/m/x.mp3", "X", 1));
  const int64_t keep = c.commit_analysis(analysis("/m/y.mp3", "Y", 2));
  c.like(id, true);
  c.like(keep, true);
  c.add_history(id, "search");
  c.remove_track(id);

  EXPECT_FALSE(c.track(id));
  EXPECT_FALSE(c.vector(id, "dsp-v1"));
  EXPECT_TRUE(c.descriptors(id).empty());
  EXPECT_EQ(c.liked(), std::vector<int64_t>{keep});
  EXPECT_TRUE(c.history().empty());
  EXPECT_EQ(c.vectors("dsp-v1").ids, std::vector<int64_t>{keep});
  EXPECT_EQ(raw_query(db, "SELECT count(*) FROM descriptors WHERE track_id = " + std::to_string(id)), "0");
  EXPECT_EQ(raw_query(db, "PRAGMA foreign_key_check"), "");

  // Ids are never reused, so an old index entry can never name a different track.
  EXPECT_GT(c.commit_analysis(analysis("/m/x.mp3", "X", 1)), keep);
}

TEST(Catalog, ScanErrorsUpsertAndClear) {
  TempDir dir;
  auto c = Catalog::open(dir / "c.db");
  c.record_scan_error("/m/bad.mp3", "first reason");
  c.record_scan_error("/m/bad.mp3", "second reason");
  c.record_scan_error("/m/worse.ogg", "truncated \xff file");
  auto errors = c.scan_errors();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].path, "/m/bad.mp3");
  EXPECT_EQ(errors[0].reason, "second reason");
  EXPECT_GT(errors[0].at_unix, 1600000000);
  EXPECT_EQ(errors[1].reason, "truncated \xEF\xBF\xBD file");
  EXPECT_EQ(c.stats().scan_errors, 2);

  c.clear_scan_error("/m/worse.ogg");
  EXPECT_EQ(c.scan_errors().size(), 1u);
  // A successful analysis of the file clears its error.
  c.commit_analysis(analysis("/m/bad.mp3", "Now fine", 1));
  EXPECT_TRUE(c.scan_errors().empty());
}

TEST(Catalog, FindTracks) {
  TempDir dir;
  auto c = Catalog::open(dir / "c.db");
  auto add = [&](const std::string& path, const std::string& title, const std::string& artist,
                 const std::string& album = "") {
    auto a = analysis(path, title, 1);
    a.track.tags.artist = artist;
    a.track.tags.album = album;
    return c.commit_analysis(a);
  };
  const int64_t blue_long = add("/m/1.mp3", "Something Blue In Green", "Miles");
  const int64_t blue = add("/m/2.mp3", "Blue", "Joni Mitchell");
  const int64_t blue_prefix_long = add("/m/3.mp3", "Blue Monday (12\" version)", "New Order");
  const int64_t blue_prefix = add("/m/4.mp3", "Blue Train", "Coltrane");
  const int64_t by_artist = add("/m/5.mp3", "Kind", "Bluesbreakers");
  const int64_t by_album = add("/m/6.mp3", "So What", "Miles", "Kind of Blue");
  const int64_t by_path = add("/m/blue/7.mp3", "Freddie", "Miles");
  const int64_t unrelated = add("/m/8.mp3", "Giant Steps", "Coltrane");
  const int64_t untitled = add("/m/Ölig Blau.flac", "", "Nobody");

  EXPECT_EQ(c.find_tracks("blue"),
            (std::vector<int64_t>{blue, blue_prefix, blue_prefix_long, blue_long, by_artist, by_album, by_path}));
  EXPECT_EQ(c.find_tracks("  BLUE  ", 2), (std::vector<int64_t>{blue, blue_prefix}));
  EXPECT_EQ(c.find_tracks("coltrane"), (std::vector<int64_t>{blue_prefix, unrelated}));
  EXPECT_EQ(c.find_tracks("giant"), std::vector<int64_t>{unrelated});
  // An untitled track is found by its file name, and case folding is not only ASCII.
  EXPECT_EQ(c.find_tracks("ölig"), std::vector<int64_t>{untitled});
  EXPECT_EQ(c.find_tracks("ÖLIG"), std::vector<int64_t>{untitled});

  // By id.
  EXPECT_EQ(c.find_tracks(std::to_string(by_album)), std::vector<int64_t>{by_album});
  EXPECT_TRUE(c.find_tracks("424242").empty());
  EXPECT_TRUE(c.find_tracks("99999999999999999999999").empty());
  EXPECT_TRUE(c.find_tracks("").empty());
  EXPECT_TRUE(c.find_tracks("zzz").empty());

  // By path: as stored, and an existing file given relatively (canonicalised).
  EXPECT_EQ(c.find_tracks("/m/blue/7.mp3"), std::vector<int64_t>{by_path});
  const fs::path real = fs::canonical(dir.path()) / "song.mp3";
  std::ofstream(real) << "x";
  auto a = analysis(real.string(), "Real File", 1);
  const int64_t real_id = c.commit_analysis(a);
  const fs::path cwd = fs::current_path();
  fs::current_path(dir.path());
  const auto found = c.find_tracks("./song.mp3");
  const auto found_up = c.find_tracks("../" + dir.path().filename().string() + "/song.mp3");
  fs::current_path(cwd);
  EXPECT_EQ(found, std::vector<int64_t>{real_id});
  EXPECT_EQ(found_up, std::vector<int64_t>{real_id});
}

TEST(Catalog, FingerprintLookup) {
  TempDir dir;
  auto c = Catalog::open(dir / "c.db");
  const int64_t a = c.commit_analysis(analysis("/m/a.mp3", "A", 1, 10));
  const int64_t b = c.commit_analysis(analysis("/m/b.mp3", "B", 1, 10));  // same fingerprint "AQAA10"
  c.commit_analysis(analysis("/m/c.mp3", "C", 1, 11));
  EXPECT_EQ(c.tracks_with_fingerprint("AQAA10"), (std::vector<int64_t>{a, b}));
  EXPECT_TRUE(c.tracks_with_fingerprint("").empty());
  EXPECT_TRUE(c.tracks_with_fingerprint("nope").empty());
  const auto states = c.file_states();
  ASSERT_EQ(states.size(), 3u);
  EXPECT_EQ(states[0].path, "/m/a.mp3");
  EXPECT_EQ(states[0].size_bytes, 10);
  EXPECT_EQ(states[0].mtime_ns, 123456789);
}

TEST(Catalog, NewerSchemaIsRefused) {
  TempDir dir;
  const fs::path db = dir / "c.db";
  { Catalog::open(db); }
  raw_query(db, "PRAGMA user_version = " + std::to_string(Catalog::kSchemaVersion + 1));
  try {
    Catalog::open(db);
    FAIL() << "opened a catalog from the future";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("newer version"), std::string::npos) << e.what();
  }
}

TEST(Catalog, ForeignFilesAreRefused) {
  TempDir dir;
  const fs::path text = dir / "notes.db";
  std::ofstream(text) << std::string(4096, 'x');
  EXPECT_THROW(Catalog::open(text), Error);

  const fs::path other = dir / "other.db";
  raw_query(other, "CREATE TABLE foo(x)");
  EXPECT_THROW(Catalog::open(other), Error);
}

TEST(Catalog, TransactionsBatchAndRollBack) {
  TempDir dir;
  auto c = Catalog::open(dir / "c.db");
  {
    Catalog::Transaction tx(c);
    c.commit_analysis(analysis("/m/a.mp3", "A", 1));
    c.commit_analysis(analysis("/m/b.mp3", "B", 1));
    // not committed
  }
  EXPECT_TRUE(c.tracks().empty());
  EXPECT_EQ(c.generation(), 0);
  {
    Catalog::Transaction tx(c);
    c.commit_analysis(analysis("/m/a.mp3", "A", 1));
    {
      Catalog::Transaction inner(c);
      c.commit_analysis(analysis("/m/b.mp3", "B", 1));
    }  // inner rolled back alone
    c.commit_analysis(analysis("/m/c.mp3", "C", 1));
    tx.commit();
  }
  ASSERT_EQ(c.tracks().size(), 2u);
  EXPECT_EQ(c.tracks()[0].path, "/m/a.mp3");
  EXPECT_EQ(c.tracks()[1].path, "/m/c.mp3");
}

TEST(Catalog, TransactionSurvivesMovingTheCatalog) {
  TempDir dir;
  auto c = Catalog::open(dir / "c.db");
  {
    Catalog::Transaction tx(c);
    Catalog moved = std::move(c);
    moved.commit_analysis(analysis("/m/a.mp3", "A", 1));
    tx.commit();
    c = std::move(moved);
  }
  EXPECT_EQ(c.tracks().size(), 1u);
}

TEST(Catalog, TwoConnectionsSeeEachOthersCommits) {
  TempDir dir;
  auto writer = Catalog::open(dir / "c.db");
  auto reader = Catalog::open(dir / "c.db");
  EXPECT_TRUE(reader.tracks().empty());
  const int64_t id = writer.commit_analysis(analysis("/m/a.mp3", "A", 1));
  EXPECT_EQ(reader.generation(), writer.generation());
  EXPECT_TRUE(reader.vector(id, "dsp-v1"));
  {
    // While one connection holds a write transaction, the other can still read the last committed state.
    Catalog::Transaction tx(writer);
    writer.remove_track(id);
    EXPECT_TRUE(reader.track(id));
  }
  EXPECT_TRUE(reader.track(id));
}

TEST(Catalog, StoredTagsAreValidUtf8) {
  TempDir dir;
  auto c = Catalog::open(dir / "c.db");
  auto a = analysis("/m/a.mp3", "Caf\xE9", 1);
  a.track.tags.album = std::string(5000, 'x');
  const int64_t id = c.commit_analysis(a);
  EXPECT_EQ(c.track(id)->tags.title, "Caf\xEF\xBF\xBD");
  EXPECT_EQ(c.track(id)->tags.album.size(), kMaxTagBytes);
}

TEST(Catalog, UserStateNeedsAnExistingTrack) {
  TempDir dir;
  auto c = Catalog::open(dir / "c.db");
  EXPECT_THROW(c.like(5, true), Error);
  EXPECT_THROW(c.add_history(5, "x"), Error);
  c.like(5, false);  // unliking nothing is fine
}

TEST(Track, DisplayTitle) {
  Track t;
  t.path = "/music/Artist/01 - Intro.flac";
  EXPECT_EQ(t.display_title(), "01 - Intro");
  t.tags.title = "Intro";
  EXPECT_EQ(t.display_title(), "Intro");
}

}  // namespace
}  // namespace audiorium::catalog
