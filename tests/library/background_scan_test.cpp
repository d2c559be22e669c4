// Indexing on a thread of its own while another Library (the server's) reads the same catalog.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "library/background_scan.h"
#include "library/library.h"
#include "support/generated_library.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using audiorium::library::BackgroundScan;
using audiorium::library::BackgroundScanStatus;
using audiorium::library::Library;
using audiorium::library::ScanOptions;
using audiorium::testing::TempDir;
using State = BackgroundScanStatus::State;

namespace {

ScanOptions one_job() {
  ScanOptions o;
  o.jobs = 1;
  return o;
}

std::set<std::string> catalogued_paths(Library& lib) {
  std::set<std::string> paths;
  for (const auto& t : lib.catalog().tracks()) paths.insert(t.path);
  return paths;
}

TEST(ScannerCancel, ACancelledScanStartsNothingAndRemovesNothing) {
  TempDir tmp;
  const auto tracks = audiorium::testing::make_style_library(tmp / "music", 2, 4.0);
  auto lib = Library::open(tmp / "data");
  lib.scan(tmp / "music", one_job());
  const auto before = catalogued_paths(lib);
  ASSERT_EQ(before.size(), tracks.size());

  // One file vanishes and one is touched; a scan cancelled from the start must neither analyse the changed file
  // nor drop the vanished one (removal needs a complete pass).
  fs::remove(tracks.front().path);
  audiorium::testing::write_wav(tmp / "music" / "new.wav", audiorium::testing::sine(440.0, 3.0, 22050), 22050);
  std::atomic<bool> cancel{true};
  ScanOptions o = one_job();
  o.cancel = &cancel;
  const auto report = lib.scan(tmp / "music", o);
  EXPECT_TRUE(report.cancelled);
  EXPECT_EQ(report.skipped, 1u);  // new.wav
  EXPECT_EQ(report.added, 0u);
  EXPECT_EQ(report.removed, 0u);
  EXPECT_EQ(catalogued_paths(lib), before);

  const auto full = lib.scan(tmp / "music", one_job());  // the next scan finishes the job
  EXPECT_FALSE(full.cancelled);
  EXPECT_EQ(full.added, 1u);
  EXPECT_EQ(full.removed, 1u);
}

TEST(BackgroundScan, IndexesWhileTheServingLibraryReads) {
  TempDir tmp;
  const auto tracks = audiorium::testing::make_style_library(tmp / "music", 3, 5.0);
  auto serving = Library::open(tmp / "data");
  BackgroundScan scan(tmp / "data", {tmp / "music"}, one_job());
  EXPECT_EQ(scan.status().state, State::idle);
  ASSERT_TRUE(scan.start());
  EXPECT_FALSE(scan.start()) << "a second scan must not start while one runs";

  // Meanwhile the serving library keeps answering, and sees tracks arrive.
  std::size_t seen_max = 0, progress_seen = 0;
  while (scan.status().state == State::running) {
    seen_max = std::max(seen_max, serving.catalog().tracks().size());
    if (scan.status().progress.analysed > 0) ++progress_seen;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  scan.wait();
  const auto st = scan.status();
  EXPECT_EQ(st.state, State::done) << st.error;
  ASSERT_TRUE(st.report);
  EXPECT_EQ(st.report->added, tracks.size());
  EXPECT_GT(st.finished_at, 0);
  EXPECT_GT(progress_seen, 0u);
  EXPECT_EQ(serving.catalog().tracks().size(), tracks.size());
  // The serving library's index follows the catalog without decoding anything itself.
  EXPECT_EQ(serving.index_info().vectors, tracks.size());

  ASSERT_TRUE(scan.start());  // a rescan finds nothing new
  scan.wait();
  EXPECT_EQ(scan.status().report->unchanged, tracks.size());
  EXPECT_EQ(scan.status().runs, 2);
}

TEST(BackgroundScan, CancelledScanResumesWithoutLosingOrRedoingTracks) {
  TempDir tmp;
  const auto tracks = audiorium::testing::make_style_library(tmp / "music", 4, 5.0);
  {
    BackgroundScan scan(tmp / "data", {tmp / "music"}, one_job());
    ASSERT_TRUE(scan.start());
    while (scan.status().progress.analysed < 2 && scan.status().state == State::running)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    scan.cancel();
    scan.wait();
    const auto st = scan.status();
    ASSERT_TRUE(st.state == State::cancelled || st.state == State::done) << to_string(st.state);
  }  // and a destructor that cancels must not hang either
  auto lib = Library::open(tmp / "data");
  const std::size_t done_before = lib.catalog().tracks().size();
  EXPECT_GE(done_before, 2u);
  const auto rest = lib.scan(tmp / "music", one_job());
  EXPECT_EQ(rest.unchanged, done_before) << "finished tracks must not be analysed again";
  EXPECT_EQ(rest.added, tracks.size() - done_before);
  EXPECT_EQ(lib.catalog().tracks().size(), tracks.size());
}

// Regression: a recommender in use must not see its index replaced when another connection changes the catalog
// in the middle of a request (it crashed the server under a background scan).
TEST(BackgroundScan, ARecommenderInUseSurvivesAnotherConnectionsWrite) {
  TempDir tmp;
  const auto tracks = audiorium::testing::make_style_library(tmp / "music", 2, 4.0);
  auto serving = Library::open(tmp / "data");
  serving.scan(tmp / "music", one_job());
  const int64_t id = serving.catalog().tracks().front().id;
  auto rec = serving.recommender();
  const auto before = rec.similar(id, {});

  audiorium::testing::write_wav(tmp / "music" / "late.wav", audiorium::testing::sine(523.0, 3.0, 22050), 22050);
  auto writer = Library::open(tmp / "data");
  writer.scan(tmp / "music", one_job());  // moves the catalog generation under `serving`

  const auto after = rec.similar(id, {});  // the same index as before: same answer, no refresh mid-call
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i].id, before[i].id);
  // The next entry point refreshes and sees the new track.
  EXPECT_EQ(serving.index_info().vectors, tracks.size() + 1);
}

TEST(BackgroundScan, AMissingFolderFailsWithAReason) {
  TempDir tmp;
  BackgroundScan scan(tmp / "data", {tmp / "nowhere"}, one_job());
  ASSERT_TRUE(scan.start());
  scan.wait();
  const auto st = scan.status();
  EXPECT_EQ(st.state, State::failed);
  EXPECT_NE(st.error.find("nowhere"), std::string::npos) << st.error;
}

}  // namespace
