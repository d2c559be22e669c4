// Issue 7, part 3: the indexer killed with SIGKILL at seeded random moments, on a generated library, then resumed.
// After each kill the catalog must pass SQLite's integrity_check and every track in it must be whole (with its
// vector); the resumed `audiorium index` must redo no finished track, lose none, catalogue each file once, and
// leave a vector index that matches the catalog. The same holds for a kill during a rewrite (every file touched,
// so every track is re-analysed in place) and during the index rebuild phase (--index-type on an indexed library).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/generated_library.h"
#include "support/test_support.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using audiorium::testing::TempDir;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kPerStyle = 4;  // 3 styles: 12 tracks
constexpr double kSeconds = 4.0;
constexpr std::uint32_t kSeed = 20261125;

// ctest sets $AUDIORIUM_BIN; run by hand, the binary beside tests/ in the same build folder is used.
std::string audiorium_bin() {
  if (const char* bin = std::getenv("AUDIORIUM_BIN"); bin && *bin) return bin;
  std::error_code ec;
  const fs::path guess = fs::read_symlink("/proc/self/exe", ec).parent_path().parent_path() / "audiorium";
  if (!ec && fs::exists(guess)) {
    setenv("AUDIORIUM_BIN", guess.c_str(), 1);
    return guess.string();
  }
  return {};
}

// Starts `audiorium --data DATA --json index MUSIC --jobs 2 [extra]` with its output to /dev/null.
pid_t spawn_index(const fs::path& data, const fs::path& music, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{audiorium_bin(), "--data", data.string(), "--json", "index", music.string(),
                                "--jobs", "2"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

// Sleeps `ms`, then SIGKILLs the child. True when the kill interrupted it (false: it had already finished).
bool kill_after(pid_t pid, int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) {
    EXPECT_EQ(WEXITSTATUS(status), 0) << "the indexer failed by itself";
  }
  return WIFSIGNALED(status);
}

double run_to_end_ms(const fs::path& data, const fs::path& music, const std::vector<std::string>& extra = {}) {
  const auto t0 = Clock::now();
  const pid_t pid = spawn_index(data, music, extra);
  if (pid < 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// What the catalog on disk holds, read with SQLite directly (not through the project's code).
struct Snapshot {
  bool exists = false;
  std::string integrity;
  std::map<std::string, std::int64_t> id_by_path;
  std::map<std::string, std::int64_t> mtime_by_path;
  std::int64_t rows = 0;                // tracks rows (a duplicate path would show as rows > id_by_path.size())
  std::int64_t without_vector = 0;      // tracks with no dsp-v1 vector: a half-committed track
  std::int64_t orphan_vectors = 0;      // vectors whose track is gone
};

Snapshot snapshot(const fs::path& data) {
  Snapshot s;
  const fs::path db = data / "catalog.db";
  if (!fs::exists(db)) return s;
  s.exists = true;
  sqlite3* h = nullptr;
  if (sqlite3_open(db.c_str(), &h) != SQLITE_OK) {
    s.integrity = "cannot open";
    sqlite3_close(h);
    return s;
  }
  sqlite3_busy_timeout(h, 5000);
  auto each = [&](const char* sql, auto&& row) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, sql, -1, &st, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(h);
      return;
    }
    while (sqlite3_step(st) == SQLITE_ROW) row(st);
    sqlite3_finalize(st);
  };
  s.integrity = "no answer";
  each("PRAGMA integrity_check", [&](sqlite3_stmt* st) {
    s.integrity = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  });
  // A kill before the schema was created leaves an empty database: nothing to check then.
  bool has_tracks = false;
  each("SELECT 1 FROM sqlite_master WHERE type='table' AND name='tracks'", [&](sqlite3_stmt*) { has_tracks = true; });
  if (has_tracks) {
    each("SELECT id, path, mtime_ns FROM tracks", [&](sqlite3_stmt* st) {
      const std::string path = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
      s.id_by_path[path] = sqlite3_column_int64(st, 0);
      s.mtime_by_path[path] = sqlite3_column_int64(st, 2);
      ++s.rows;
    });
    each("SELECT count(*) FROM tracks t WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.track_id = t.id AND "
         "v.embedder = 'dsp-v1')",
         [&](sqlite3_stmt* st) { s.without_vector = sqlite3_column_int64(st, 0); });
    each("SELECT count(*) FROM vectors v WHERE NOT EXISTS (SELECT 1 FROM tracks t WHERE t.id = v.track_id)",
         [&](sqlite3_stmt* st) { s.orphan_vectors = sqlite3_column_int64(st, 0); });
  }
  sqlite3_close(h);
  return s;
}

json run_json(const std::string& args) {
  const auto r = audiorium::testing::run_audiorium(args, false);
  EXPECT_EQ(r.code, 0) << args << "\n" << r.out;
  try {
    return json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << args << ": not JSON (" << e.what() << "): " << r.out;
    return json::object();
  }
}

// The catalog and the vector index agree, and every file is in the catalog exactly once.
void expect_complete(const fs::path& data, const std::vector<std::string>& files, const std::string& where) {
  const auto s = snapshot(data);
  ASSERT_EQ(s.integrity, "ok") << where;
  EXPECT_EQ(s.rows, static_cast<std::int64_t>(files.size())) << where;
  EXPECT_EQ(s.id_by_path.size(), files.size()) << where << ": a path is catalogued twice";
  for (const auto& f : files) EXPECT_TRUE(s.id_by_path.count(f)) << where << ": lost " << f;
  EXPECT_EQ(s.without_vector, 0) << where;
  EXPECT_EQ(s.orphan_vectors, 0) << where;
  const json info = run_json("--data '" + data.string() + "' --json info");
  EXPECT_EQ(info.value("tracks", -1), static_cast<int>(files.size())) << where;
  EXPECT_EQ(info["embedders"].value("dsp-v1", -1), static_cast<int>(files.size())) << where;
  EXPECT_EQ(info["index"].value("vectors", -1), static_cast<int>(files.size())) << where;
}

class CrashResume : public ::testing::Test {
 protected:
  void SetUp() override {
    if (audiorium_bin().empty()) GTEST_SKIP() << "AUDIORIUM_BIN is not set and no audiorium binary was found";
    for (const auto& t : audiorium::testing::make_style_library(music_, kPerStyle, kSeconds, ".flac"))
      files_.push_back(fs::absolute(t.path).lexically_normal().string());
    std::sort(files_.begin(), files_.end());
    ASSERT_EQ(files_.size(), 3u * kPerStyle);
  }
  std::string args(const fs::path& data) const { return "--data '" + data.string() + "' --json index '" + music_.string() + "' --jobs 2"; }

  TempDir tmp_;
  fs::path music_ = tmp_ / "music";
  std::vector<std::string> files_;
};

}  // namespace

TEST_F(CrashResume, KilledScansResumeWithoutRedoingOrLosingTracks) {
  // The typical time of a full scan, measured once: the kills are spread over it.
  const double full_ms = run_to_end_ms(tmp_ / "reference", music_);
  ASSERT_GT(full_ms, 0);
  expect_complete(tmp_ / "reference", files_, "reference scan");

  std::mt19937 rng(kSeed);
  std::uniform_int_distribution<int> when(10, std::max(20, static_cast<int>(full_ms)));
  int interrupted = 0, partial = 0;
  constexpr int kRounds = 8;
  for (int round = 0; round < kRounds; ++round) {
    const fs::path data = tmp_ / ("data-" + std::to_string(round));
    const int at = when(rng);
    const std::string where = "round " + std::to_string(round) + " (killed at " + std::to_string(at) + " ms of " +
                              std::to_string(static_cast<int>(full_ms)) + ")";
    const pid_t pid = spawn_index(data, music_);
    ASSERT_GT(pid, 0);
    interrupted += kill_after(pid, at);

    const auto before = snapshot(data);
    if (before.exists) {
      ASSERT_EQ(before.integrity, "ok") << where;
      EXPECT_EQ(before.without_vector, 0) << where << ": a track was committed without its vector";
      EXPECT_EQ(before.orphan_vectors, 0) << where;
    }
    const auto done = before.id_by_path.size();
    if (done > 0 && done < files_.size()) ++partial;

    const json report = run_json(args(data));
    EXPECT_EQ(report.value("files_found", -1), static_cast<int>(files_.size())) << where;
    EXPECT_EQ(report.value("unchanged", -1), static_cast<int>(done)) << where << ": finished tracks were redone";
    EXPECT_EQ(report.value("added", -1), static_cast<int>(files_.size() - done)) << where;
    EXPECT_EQ(report.value("updated", -1), 0) << where;
    EXPECT_EQ(report.value("moved", -1), 0) << where;
    EXPECT_EQ(report.value("removed", -1), 0) << where;
    EXPECT_EQ(report.value("failed", -1), 0) << where;
    EXPECT_EQ(report["index"].value("vectors", -1), static_cast<int>(files_.size())) << where;

    expect_complete(data, files_, where);
    // The tracks finished before the kill kept their ids.
    const auto after = snapshot(data);
    for (const auto& [path, id] : before.id_by_path) EXPECT_EQ(after.id_by_path.at(path), id) << where << " " << path;
  }
  // Timing varies; the seeded spread must still have caught most scans in the act. How many kills landed between
  // the first and the last commit is printed, not asserted (most of a 12-track scan is start-up; the mid-scan case
  // is asserted by ScannerResume.KilledScanResumesWithoutRedoingFinishedTracks).
  EXPECT_GE(interrupted, kRounds / 2) << "most scans finished before their kill: the test proves little";
  std::cout << "[ crash-resume ] full scan " << static_cast<int>(full_ms) << " ms; " << interrupted << "/" << kRounds
            << " scans killed, " << partial << " with some tracks committed\n";
}

TEST_F(CrashResume, KilledRewriteKeepsEveryTrackAndItsId) {
  const fs::path data = tmp_ / "data";
  ASSERT_GT(run_to_end_ms(data, music_), 0);
  expect_complete(data, files_, "first scan");
  const auto original = snapshot(data);

  // Touching every file makes the next scan re-analyse each track and update it in place.
  int stamp = 0;
  auto touch_all = [&] {
    ++stamp;
    const auto t = fs::file_time_type::clock::now() + std::chrono::seconds(stamp);
    for (const auto& f : files_) fs::last_write_time(f, t);
  };
  touch_all();
  const double rewrite_ms = run_to_end_ms(data, music_);
  ASSERT_GT(rewrite_ms, 0);
  expect_complete(data, files_, "rewrite");

  std::mt19937 rng(kSeed + 1);
  std::uniform_int_distribution<int> when(10, std::max(20, static_cast<int>(rewrite_ms)));
  int interrupted = 0;
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    const auto previous = snapshot(data);
    touch_all();
    const int at = when(rng);
    const std::string where = "rewrite round " + std::to_string(round) + " (killed at " + std::to_string(at) + " ms of " +
                              std::to_string(static_cast<int>(rewrite_ms)) + ")";
    const pid_t pid = spawn_index(data, music_);
    ASSERT_GT(pid, 0);
    interrupted += kill_after(pid, at);

    // Mid-rewrite, every track is still there, once, whole, with its id: old or new, never missing.
    const auto before = snapshot(data);
    ASSERT_EQ(before.integrity, "ok") << where;
    EXPECT_EQ(before.rows, static_cast<std::int64_t>(files_.size())) << where;
    EXPECT_EQ(before.without_vector, 0) << where;
    EXPECT_EQ(before.orphan_vectors, 0) << where;
    EXPECT_EQ(before.id_by_path, original.id_by_path) << where;
    std::size_t redone = 0;  // tracks the killed rewrite had already finished (their mtime moved)
    for (const auto& [path, mtime] : before.mtime_by_path) redone += mtime != previous.mtime_by_path.at(path);

    const json report = run_json(args(data));
    EXPECT_EQ(report.value("unchanged", -1), static_cast<int>(redone)) << where << ": finished tracks were redone";
    EXPECT_EQ(report.value("updated", -1), static_cast<int>(files_.size() - redone)) << where;
    EXPECT_EQ(report.value("added", -1), 0) << where;
    EXPECT_EQ(report.value("moved", -1), 0) << where;
    EXPECT_EQ(report.value("removed", -1), 0) << where;
    EXPECT_EQ(report.value("failed", -1), 0) << where;
    expect_complete(data, files_, where);
    EXPECT_EQ(snapshot(data).id_by_path, original.id_by_path) << where;
  }
  EXPECT_GE(interrupted, 2) << "most rewrites finished before their kill";
  std::cout << "[ crash-resume ] rewrite " << static_cast<int>(rewrite_ms) << " ms; " << interrupted << "/" << kRounds
            << " killed\n";
}

TEST_F(CrashResume, KilledIndexRebuildLeavesAUsableIndex) {
  const fs::path data = tmp_ / "data";
  ASSERT_GT(run_to_end_ms(data, music_), 0);
  // Nothing to analyse: the run is the scan's walk, then a rebuild of the index with another factory.
  const double rebuild_ms = run_to_end_ms(data, music_, {"--index-type", "HNSW32"});
  ASSERT_GT(rebuild_ms, 0);
  expect_complete(data, files_, "rebuild");
  const auto original = snapshot(data);

  std::mt19937 rng(kSeed + 2);
  std::uniform_int_distribution<int> when(5, std::max(10, static_cast<int>(rebuild_ms)));
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    const int at = when(rng);
    const std::string where = "rebuild round " + std::to_string(round) + " (killed at " + std::to_string(at) + " ms)";
    const pid_t pid = spawn_index(data, music_, {"--index-type", round % 2 ? "HNSW32" : "Flat"});
    ASSERT_GT(pid, 0);
    kill_after(pid, at);
    // Straight after the kill, whatever index is on disk is either fresh and right or rebuilt by info.
    expect_complete(data, files_, where);
    EXPECT_EQ(snapshot(data).id_by_path, original.id_by_path) << where;
    const json report = run_json(args(data));
    EXPECT_EQ(report.value("unchanged", -1), static_cast<int>(files_.size())) << where;
    EXPECT_EQ(report["index"].value("vectors", -1), static_cast<int>(files_.size())) << where;
    if (round + 1 < kRounds) continue;
    // A search through the index answers.
    const auto similar = audiorium::testing::run_audiorium("--data '" + data.string() + "' --json similar '" +
                                                           files_.front() + "' -k 3", false);
    EXPECT_EQ(similar.code, 0) << where << similar.out;
  }
}
