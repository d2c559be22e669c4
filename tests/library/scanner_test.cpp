#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "core/error.h"
#include "library/library.h"
#include "support/generated_library.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using audiorium::library::Library;
using audiorium::library::ScanOptions;
using audiorium::testing::TempDir;

namespace {

ScanOptions quick(int jobs = 2) {
  ScanOptions o;
  o.jobs = jobs;
  return o;
}

class ScannerTest : public ::testing::Test {
 protected:
  void SetUp() override { tracks_ = audiorium::testing::make_style_library(tmp_ / "music", 3, 6.0); }
  TempDir tmp_;
  std::vector<audiorium::testing::GeneratedTrack> tracks_;
};

}  // namespace

TEST_F(ScannerTest, IndexesEveryTrackThenSkipsUnchangedFiles) {
  auto lib = Library::open(tmp_ / "data");
  const auto first = lib.scan(tmp_ / "music", quick());
  EXPECT_EQ(first.files_found, tracks_.size());
  EXPECT_EQ(first.added, tracks_.size());
  EXPECT_EQ(first.failed, 0u);
  EXPECT_EQ(lib.index_info().vectors, tracks_.size());

  const auto second = lib.scan(tmp_ / "music", quick());
  EXPECT_EQ(second.unchanged, tracks_.size());
  EXPECT_EQ(second.added + second.updated + second.moved + second.removed, 0u);
}

TEST_F(ScannerTest, ChangedFileIsUpdatedInPlace) {
  auto lib = Library::open(tmp_ / "data");
  lib.scan(tmp_ / "music", quick());
  const auto target = tracks_.front().path;
  const auto before = lib.catalog().track_by_path(target.string());
  ASSERT_TRUE(before);
  audiorium::testing::write_wav(target.parent_path() / "tmp.wav", audiorium::testing::sine(880, 5.0, 22050), 22050);
  fs::rename(target.parent_path() / "tmp.wav", target.parent_path() / (target.stem().string() + ".wav"));
  if (target.extension() != ".wav") fs::remove(target);
  const auto report = lib.scan(tmp_ / "music", quick());
  EXPECT_EQ(report.updated + report.added, 1u);
  EXPECT_EQ(report.unchanged, tracks_.size() - 1);
}

TEST_F(ScannerTest, MovedFileKeepsItsIdAndUserState) {
  auto lib = Library::open(tmp_ / "data");
  lib.scan(tmp_ / "music", quick());
  const auto old_path = tracks_[1].path;
  const auto before = lib.catalog().track_by_path(old_path.string());
  ASSERT_TRUE(before);
  lib.catalog().like(before->id, true);
  fs::create_directories(tmp_ / "music" / "renamed");
  const auto new_path = tmp_ / "music" / "renamed" / ("moved" + old_path.extension().string());
  fs::rename(old_path, new_path);

  const auto report = lib.scan(tmp_ / "music", quick());
  EXPECT_EQ(report.moved, 1u);
  EXPECT_EQ(report.removed, 0u);
  EXPECT_EQ(report.added, 0u);
  const auto after = lib.catalog().track_by_path(fs::absolute(new_path).lexically_normal().string());
  ASSERT_TRUE(after);
  EXPECT_EQ(after->id, before->id);
  const auto liked = lib.catalog().liked();
  EXPECT_NE(std::find(liked.begin(), liked.end(), before->id), liked.end());
  EXPECT_FALSE(lib.catalog().track_by_path(old_path.string()));
}

TEST_F(ScannerTest, DeletedFileLeavesTheCatalogAndTheIndex) {
  auto lib = Library::open(tmp_ / "data");
  lib.scan(tmp_ / "music", quick());
  fs::remove(tracks_[2].path);
  const auto report = lib.scan(tmp_ / "music", quick());
  EXPECT_EQ(report.removed, 1u);
  EXPECT_EQ(lib.catalog().tracks().size(), tracks_.size() - 1);
  EXPECT_EQ(lib.index_info().vectors, tracks_.size() - 1);
}

TEST_F(ScannerTest, BadFilesAreRecordedAndTheScanGoesOn) {
  const auto music = tmp_ / "music";
  std::ofstream(music / "empty.mp3").close();
  std::ofstream(music / "notes.mp3") << "this is a text file, not audio\n";
  // A real mp3 cut to its first 300 bytes: the header survives, the audio does not.
  audiorium::testing::write_wav(tmp_ / "src.wav", audiorium::testing::sine(440, 4.0, 22050), 22050);
  ASSERT_TRUE(audiorium::testing::convert_with_ffmpeg(tmp_ / "src.wav", tmp_ / "full.mp3"));
  {
    std::ifstream in(tmp_ / "full.mp3", std::ios::binary);
    std::string bytes(300, '\0');
    in.read(bytes.data(), 300);
    std::ofstream(music / "truncated.mp3", std::ios::binary) << bytes;
  }
  fs::create_symlink(music / "does-not-exist.flac", music / "dangling.flac");
  fs::create_symlink(music, music / "loop");  // a folder that contains itself
  std::ofstream(music / "cover.jpg") << "not scanned: not audio by name";

  auto lib = Library::open(tmp_ / "data");
  const auto report = lib.scan(music, quick());
  EXPECT_EQ(report.added, tracks_.size());
  EXPECT_GE(report.ignored, 1u);
  std::map<std::string, std::string> errors;
  for (const auto& e : lib.catalog().scan_errors()) errors[fs::path(e.path).filename().string()] = e.reason;
  for (const char* name : {"empty.mp3", "notes.mp3", "truncated.mp3", "dangling.flac"}) {
    ASSERT_TRUE(errors.count(name)) << name << " was not recorded";
    EXPECT_FALSE(errors[name].empty());
  }
  EXPECT_NE(errors["empty.mp3"].find("empty"), std::string::npos) << errors["empty.mp3"];
  EXPECT_NE(errors["dangling.flac"].find("link"), std::string::npos) << errors["dangling.flac"];
}

TEST(ScannerErrors, MissingFolderIsAClearError) {
  TempDir tmp;
  auto lib = Library::open(tmp / "data");
  try {
    lib.scan(tmp / "nope", ScanOptions{});
    FAIL() << "expected an error";
  } catch (const audiorium::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no such folder"), std::string::npos);
  }
}

TEST_F(ScannerTest, ParallelAndSerialScansStoreTheSameVectors) {
  auto a = Library::open(tmp_ / "a");
  auto b = Library::open(tmp_ / "b");
  a.scan(tmp_ / "music", quick(1));
  b.scan(tmp_ / "music", quick(2));
  for (const auto& t : a.catalog().tracks()) {
    const auto tb = b.catalog().track_by_path(t.path);
    ASSERT_TRUE(tb);
    EXPECT_EQ(a.catalog().vector(t.id, "dsp-v1"), b.catalog().vector(tb->id, "dsp-v1"));
  }
}

// kill -9 in the middle of a scan, then scan again: what was finished is not redone and nothing is lost.
TEST(ScannerResume, KilledScanResumesWithoutRedoingFinishedTracks) {
  TempDir tmp;
  const auto tracks = audiorium::testing::make_style_library(tmp / "music", 5, 6.0, ".flac");
  const auto data = tmp / "data";
  { auto init = Library::open(data); }  // create the catalog before racing on it

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto lib = Library::open(data);
    ScanOptions o;
    o.jobs = 1;
    lib.scan(tmp / "music", o);
    _exit(0);
  }
  // Wait until a few tracks are committed, then kill without warning.
  std::size_t committed = 0;
  for (int i = 0; i < 600 && committed < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    try {
      committed = Library::open(data).catalog().tracks().size();
    } catch (const std::exception&) {
    }
  }
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);

  auto lib = Library::open(data);
  const auto survived = lib.catalog().tracks();
  ASSERT_GE(survived.size(), 3u);
  ASSERT_LT(survived.size(), tracks.size()) << "the scan finished before it could be killed; the test proves nothing";
  for (const auto& t : survived) EXPECT_TRUE(lib.catalog().vector(t.id, "dsp-v1")) << t.path;

  const auto report = lib.scan(tmp / "music", ScanOptions{});
  EXPECT_EQ(report.unchanged, survived.size());
  EXPECT_EQ(report.added, tracks.size() - survived.size());
  EXPECT_EQ(lib.catalog().tracks().size(), tracks.size());
  EXPECT_EQ(lib.index_info().vectors, tracks.size());
}
