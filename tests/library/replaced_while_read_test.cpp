// Issue 7, part 4: a file replaced while the scanner reads it. The scanner's change detection is path + size +
// mtime, so an analysis must never be stored with facts of one content and the audio of another: the next scan
// would then see "unchanged" and keep the wrong analysis for ever. The moments are made exact with the scanner's
// after_reads seam (called between a file's last read and the check that it did not change); one test also
// replaces a file from another thread at random moments and checks that the catalog converges.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "library/analyse.h"
#include "library/library.h"
#include "support/generated_library.h"
#include "support/test_support.h"

namespace {

namespace fs = std::filesystem;
using audiorium::library::Library;
using audiorium::library::ScanOptions;
using audiorium::testing::TempDir;

constexpr int kRate = 22050;

class ReplacedWhileRead : public ::testing::Test {
 protected:
  void SetUp() override {
    audiorium::testing::make_style_library(music_, 1, 3.0, ".flac");
    // Three contents of exactly the same size (same duration, rate and channels): only the audio tells them apart.
    fs::create_directories(src_);
    audiorium::testing::write_wav(src_ / "a.wav", audiorium::testing::chord({57, 60, 64}, 4.0, kRate), kRate);
    audiorium::testing::write_wav(src_ / "b.wav", audiorium::testing::click_track(140, 4.0, kRate), kRate);
    audiorium::testing::write_wav(src_ / "c.wav", audiorium::testing::white_noise(4.0, kRate, 0.3, 7), kRate);
    ASSERT_EQ(fs::file_size(src_ / "a.wav"), fs::file_size(src_ / "b.wav"));
    ASSERT_EQ(fs::file_size(src_ / "a.wav"), fs::file_size(src_ / "c.wav"));
    auto lib = Library::open(tmp_ / "fingerprints");
    for (const char* name : {"a", "b", "c"})
      fingerprint_[name] =
          audiorium::library::analyse_file(src_ / (std::string(name) + ".wav"), lib.embedder(),
                                           audiorium::audio::AnalysisWindow::middle(30.0))
              .track.fingerprint;
    ASSERT_NE(fingerprint_["a"], fingerprint_["b"]);
    ASSERT_NE(fingerprint_["b"], fingerprint_["c"]);
    fs::copy_file(src_ / "a.wav", target_);
  }

  // Puts a copy of src/<name>.wav over the target as editors and downloaders do: a new inode renamed over it.
  void rename_over(const std::string& name) {
    const fs::path staged = tmp_ / ("staged-" + name + ".wav");
    fs::copy_file(src_ / (name + ".wav"), staged, fs::copy_options::overwrite_existing);
    fs::rename(staged, target_);
  }

  audiorium::library::ScanReport scan(std::function<void(const fs::path&)> after_reads = {}) {
    auto lib = Library::open(tmp_ / "data");
    ScanOptions o;
    o.jobs = 2;
    o.after_reads = std::move(after_reads);
    auto report = lib.scan(music_, o);
    track_ = lib.catalog().track_by_path(target_.string());
    error_.clear();
    for (const auto& e : lib.catalog().scan_errors())
      if (e.path == target_.string()) error_ = e.reason;
    tracks_ = lib.catalog().tracks().size();
    vectors_ = lib.index_info().vectors;
    return report;
  }
  // The catalogued row describes the file on disk now: its size, its mtime and its audio.
  void expect_row_matches_disk(const std::string& content) {
    ASSERT_TRUE(track_) << "the target is not catalogued; scan error: " << error_;
    EXPECT_EQ(track_->fingerprint, fingerprint_[content]) << "the audio of another content was kept";
    EXPECT_EQ(track_->size_bytes, static_cast<int64_t>(fs::file_size(target_)));
    EXPECT_EQ(track_->mtime_ns, audiorium::library::file_mtime_ns(target_));
    EXPECT_TRUE(error_.empty()) << error_;
  }
  bool is_target(const fs::path& p) const { return p == target_; }

  TempDir tmp_;
  fs::path music_ = tmp_ / "music";
  fs::path src_ = tmp_ / "src";
  fs::path target_ = fs::absolute(music_ / "replaced.wav").lexically_normal();
  std::map<std::string, std::string> fingerprint_;
  std::optional<audiorium::catalog::Track> track_;
  std::string error_;
  std::size_t tracks_ = 0, vectors_ = 0;
};

}  // namespace

TEST_F(ReplacedWhileRead, ARenameOverTheFileIsReadAgainWithTheNewContent) {
  std::atomic<int> reads{0};
  const auto report = scan([&](const fs::path& p) {
    if (is_target(p) && reads++ == 0) rename_over("b");  // same size; another inode and mtime
  });
  EXPECT_EQ(reads.load(), 2) << "the changed file was not read a second time";
  EXPECT_EQ(report.failed, 0u);
  EXPECT_EQ(report.added, 4u);  // three generated tracks and the target
  expect_row_matches_disk("b");
  EXPECT_EQ(vectors_, tracks_);
  // And the next scan agrees that nothing changed.
  const auto again = scan();
  EXPECT_EQ(again.unchanged, 4u);
  EXPECT_EQ(again.updated + again.added, 0u);
  expect_row_matches_disk("b");
}

TEST_F(ReplacedWhileRead, AFileThatKeepsChangingIsAScanErrorAndTheNextScanReadsIt) {
  int flips = 0;  // only the thread analysing the target touches it
  const auto report = scan([&](const fs::path& p) {
    if (is_target(p)) rename_over(++flips % 2 ? "b" : "c");
  });
  EXPECT_EQ(flips, 2);
  EXPECT_FALSE(track_) << "an analysis of a file that changed under it was stored";
  EXPECT_NE(error_.find("changed while it was being read"), std::string::npos) << error_;
  EXPECT_EQ(report.failed, 1u);
  EXPECT_EQ(report.added, 3u) << "the scan did not go on past the changing file";
  EXPECT_EQ(tracks_, 3u);
  EXPECT_EQ(vectors_, 3u);
  scan();
  expect_row_matches_disk("c");  // flips ended on c
}

TEST_F(ReplacedWhileRead, ACataloguedTrackKeepsItsOldFactsUntilAScanReadsTheNewFileWhole) {
  scan();
  expect_row_matches_disk("a");
  const auto id = track_->id;
  const auto old_mtime = track_->mtime_ns;
  // Changed since the last scan, and again during each read of this one.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a distinct mtime even on a coarse clock
  rename_over("b");
  int flips = 0;
  const auto report = scan([&](const fs::path& p) {
    if (is_target(p)) rename_over(++flips % 2 ? "c" : "b");
  });
  EXPECT_EQ(report.failed, 1u);
  EXPECT_NE(error_.find("changed while it was being read"), std::string::npos) << error_;
  ASSERT_TRUE(track_);
  EXPECT_EQ(track_->id, id);
  // The old row, whole: the old audio with the old mtime, which no longer matches the disk.
  EXPECT_EQ(track_->fingerprint, fingerprint_["a"]);
  EXPECT_EQ(track_->mtime_ns, old_mtime);
  EXPECT_NE(track_->mtime_ns, audiorium::library::file_mtime_ns(target_));
  const auto next = scan();
  EXPECT_EQ(next.updated, 1u);
  expect_row_matches_disk("b");  // flips ended on b
  EXPECT_EQ(track_->id, id) << "the track lost its id (and its likes and history)";
}

TEST_F(ReplacedWhileRead, TruncatedOrReplacedByNonAudioWhileReadIsAnErrorWithItsReason) {
  const fs::path other = fs::absolute(music_ / "becomes-text.wav").lexically_normal();
  fs::copy_file(src_ / "c.wav", other);
  const auto report = scan([&](const fs::path& p) {
    if (is_target(p) && fs::file_size(p) > 0) std::ofstream(p, std::ios::binary | std::ios::trunc);  // in place
    if (p == other && fs::file_size(p) > 100) std::ofstream(p, std::ios::binary | std::ios::trunc) << "not audio";
  });
  EXPECT_EQ(report.failed, 2u);
  EXPECT_EQ(report.added, 3u);
  EXPECT_FALSE(track_);
  EXPECT_NE(error_.find("empty file"), std::string::npos) << error_;
  auto lib = Library::open(tmp_ / "data");
  std::string other_error;
  for (const auto& e : lib.catalog().scan_errors())
    if (e.path == other.string()) other_error = e.reason;
  EXPECT_FALSE(other_error.empty()) << "the file replaced by text has no scan error";
  EXPECT_FALSE(lib.catalog().track_by_path(other.string()));
}

TEST_F(ReplacedWhileRead, RemovedWhileReadIsNotCatalogued) {
  const auto report = scan([&](const fs::path& p) {
    std::error_code ec;
    if (is_target(p)) fs::remove(p, ec);
  });
  EXPECT_EQ(report.added, 3u);
  EXPECT_EQ(report.failed, 1u);
  EXPECT_FALSE(track_);
  EXPECT_FALSE(error_.empty());
}

// Without the seam: another thread renames two contents over a long file as fast as it can for the whole scan,
// so the replacements land at arbitrary moments of decoding. Whatever each scan stored, a scan after the last
// replacement must store the content on disk (a row recorded with the new mtime and the old audio would stay).
TEST_F(ReplacedWhileRead, ReplacedFromAnotherThreadAtRandomMomentsConverges) {
  // Long enough (30 s, --full) that decoding takes a while, so many replacements land inside it.
  audiorium::testing::write_wav(src_ / "a.wav", audiorium::testing::chord({50, 53, 57}, 30.0, kRate), kRate);
  audiorium::testing::write_wav(src_ / "b.wav", audiorium::testing::click_track(100, 30.0, kRate), kRate);
  auto lib = Library::open(tmp_ / "fingerprints2");
  for (const char* name : {"a", "b"})
    fingerprint_[name] = audiorium::library::analyse_file(src_ / (std::string(name) + ".wav"), lib.embedder(),
                                                          audiorium::audio::AnalysisWindow::full())
                             .track.fingerprint;
  rename_over("a");
  for (int round = 0; round < 3; ++round) {
    std::atomic<bool> done{false};
    std::atomic<int> flips{0};
    std::string last;  // the content renamed last; read after the join
    std::thread replacer([&] {
      while (!done) {
        last.assign(1, flips % 2 ? 'a' : 'b');  // (assigning a literal trips g++ 12's false -Wrestrict)
        rename_over(last);
        ++flips;
        // Apart by more than the file system clock's tick (a few ms where it is coarse), or two contents could share
        // an mtime and a size, which change detection by path + size + mtime cannot tell apart by design.
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    });
    while (flips.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // changed before the scan
    {
      auto l = Library::open(tmp_ / "data");
      ScanOptions o;
      o.jobs = 2;
      o.window = audiorium::audio::AnalysisWindow::full();
      const auto report = l.scan(music_, o);
      EXPECT_EQ(report.added + report.updated + report.unchanged + report.failed, 4u);
      if (auto t = l.catalog().track_by_path(target_.string())) {
        // Whatever was stored is one whole content, not a mixture of two.
        EXPECT_TRUE(t->fingerprint == fingerprint_["a"] || t->fingerprint == fingerprint_["b"]);
      }
    }
    done = true;
    replacer.join();
    EXPECT_GT(flips.load(), 1);
    const std::string now = last;
    {
      auto l = Library::open(tmp_ / "data");
      ScanOptions o;
      o.jobs = 2;
      o.window = audiorium::audio::AnalysisWindow::full();
      l.scan(music_, o);
      track_ = l.catalog().track_by_path(target_.string());
      error_.clear();
    }
    expect_row_matches_disk(now);
  }
}
