// Kills a writer with SIGKILL in the middle of its commits and checks the catalog it leaves: SQLite's WAL
// must give either the old or the new state of each commit_analysis, never a track without its vector.
#include "catalog/catalog.h"
#include "support/test_support.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <random>
#include <thread>

namespace audiorium::catalog {
namespace {

namespace fs = std::filesystem;

constexpr int kDim = 64;
constexpr int kDescriptors = 6;

// Every value in one analysis is its iteration number, so a mix of two commits is easy to see.
TrackAnalysis iteration(int64_t i) {
  TrackAnalysis a;
  a.track.path = "/crash/" + std::to_string(i % 25) + ".flac";
  a.track.size_bytes = i;
  a.track.mtime_ns = i;
  a.track.tags.title = "Iteration " + std::to_string(i);
  a.track.fingerprint = "fp" + std::to_string(i);
  for (int d = 0; d < kDescriptors; ++d) {
    std::string name = "d";  // built with += : GCC 12 warns falsely (-Wrestrict) on "literal" + to_string here
    name += std::to_string(d);
    a.descriptors.emplace_back(std::move(name), static_cast<double>(i));
  }
  a.fingerprint_raw.assign(100, static_cast<uint32_t>(i));
  a.embedder = "dsp-v1";
  a.vector.assign(kDim, static_cast<float>(i));
  return a;
}

[[noreturn]] void writer(const fs::path& db, int64_t first, int ready_fd) {
  try {
    auto c = Catalog::open(db);
    for (int64_t i = first;; ++i) {
      c.commit_analysis(iteration(i));
      if (i == first) {
        const char byte = 1;
        (void)!write(ready_fd, &byte, 1);
      }
      if (i % 7 == 0) c.remove_track(c.tracks().front().id);  // deletions get killed too
    }
  } catch (...) {
    _exit(2);
  }
}

std::string integrity(const fs::path& db) {
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  sqlite3_stmt* s = nullptr;
  std::string out = "cannot query";
  if (sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
    out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  sqlite3_close(h);
  return out;
}

TEST(CatalogCrash, KilledWriterLeavesWholeCommits) {
  audiorium::testing::TempDir dir;
  const fs::path db = dir / "crash.db";
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> delay_ms(0, 60);

  for (int round = 0; round < 6; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      writer(db, int64_t{round + 1} * 1'000'000, fds[1]);
    }
    close(fds[1]);
    char byte = 0;
    ASSERT_EQ(read(fds[0], &byte, 1), 1) << "the writer failed before its first commit";
    close(fds[0]);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself with status " << WEXITSTATUS(status);

    ASSERT_EQ(integrity(db), "ok") << "round " << round;
    auto c = Catalog::open(db);
    const auto tracks = c.tracks();
    ASSERT_FALSE(tracks.empty());
    const auto all = c.all_descriptors();
    const VectorSet vs = c.vectors("dsp-v1");
    ASSERT_EQ(vs.ids.size(), tracks.size()) << "round " << round;
    for (std::size_t k = 0; k < tracks.size(); ++k) {
      const Track& t = tracks[k];
      const double i = static_cast<double>(t.size_bytes);
      EXPECT_EQ(t.tags.title, "Iteration " + std::to_string(t.size_bytes));
      EXPECT_EQ(t.fingerprint, "fp" + std::to_string(t.size_bytes));
      ASSERT_EQ(vs.ids[k], t.id);
      for (int d = 0; d < kDim; ++d) ASSERT_EQ(vs.row(k)[d], static_cast<float>(i)) << "track " << t.id;
      ASSERT_TRUE(all.count(t.id)) << "track " << t.id << " has no descriptors";
      ASSERT_EQ(all.at(t.id).size(), static_cast<std::size_t>(kDescriptors));
      for (const auto& [name, value] : all.at(t.id)) ASSERT_EQ(value, i) << name;
      const auto raw = c.fingerprint_raw(t.id);
      ASSERT_EQ(raw.size(), 100u);
      ASSERT_EQ(raw.front(), static_cast<uint32_t>(t.size_bytes));
    }
    // No descriptor or vector outlived its track.
    EXPECT_EQ(all.size(), tracks.size());
  }
}

}  // namespace
}  // namespace audiorium::catalog
