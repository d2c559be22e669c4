// The listening study: blinded export on a generated library, and the statistics of an import checked by hand.
#include <fstream>
#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "eval/study.h"
#include "library/library.h"
#include "support/generated_library.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace audiorium::eval;
using audiorium::testing::TempDir;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }

}  // namespace

TEST(StudyImport, MeansAndTBasedConfidenceIntervalsPerSystem) {
  TempDir tmp;
  write(tmp / "key.csv", "playlist,system,seed_track_id,seed_title\nP001,rule,1,a\nP002,popular,1,a\nP003,rule,2,b\n");
  write(tmp / "ratings.csv",
        "participant,playlist,diversity,likability\n"  // 1
        "ann,P001,1,5\n"                               // 2
        "ann,P002,2,4\n"                               // 3
        "ann,P003,3,4\n"                               // 4
        "bob,P001,4,3\n"                               // 5
        "bob,P002,2,2\n"                               // 6
        "bob,P003,5,6\n"                               // 7 likability out of range
        "bob,P009,3,3\n"                               // 8 unknown playlist
        "cat,P001,,\n"                                 // 9 not rated
        "cat,P003,2\n"                                 // 10 too few fields
        "cat,P003,2,1\n");                             // 11
  const auto r = import_ratings(tmp / "ratings.csv", tmp / "key.csv");
  EXPECT_EQ(r.ratings, 6u);
  EXPECT_EQ(r.participants, 3u);
  std::vector<std::size_t> lines;
  for (const auto& p : r.problems) lines.push_back(p.line);
  EXPECT_EQ(lines, (std::vector<std::size_t>{7, 8, 9, 10}));
  ASSERT_EQ(r.systems.size(), 2u);
  const auto& popular = r.systems[0];
  const auto& rule = r.systems[1];
  EXPECT_EQ(popular.system, "popular");
  EXPECT_EQ(rule.system, "rule");
  // rule diversity: 1, 3, 4, 2 → mean 2.5, sd sqrt(5/3), t(3) = 3.182446
  EXPECT_EQ(rule.diversity.n, 4u);
  EXPECT_DOUBLE_EQ(rule.diversity.mean, 2.5);
  EXPECT_NEAR(rule.diversity.sd, std::sqrt(5.0 / 3.0), 1e-12);
  const double half = 3.182446305 * std::sqrt(5.0 / 3.0) / 2.0;
  EXPECT_NEAR(rule.diversity.low, 2.5 - half, 1e-6);
  EXPECT_NEAR(rule.diversity.high, 2.5 + half, 1e-6);
  // rule likability: 5, 4, 3, 1 → mean 3.25; popular likability 4, 2 → mean 3, sd sqrt(2), t(1) = 12.7062
  EXPECT_DOUBLE_EQ(rule.likability.mean, 3.25);
  EXPECT_DOUBLE_EQ(popular.likability.mean, 3.0);
  EXPECT_NEAR(popular.likability.high, 3.0 + 12.7062047 * std::sqrt(2.0) / std::sqrt(2.0), 1e-5);
  const auto j = to_json(r);
  EXPECT_EQ(j["systems"][1]["diversity"]["n"], 4);
  EXPECT_EQ(j["problems"].size(), 4u);
}

TEST(StudyExport, PlaylistsAreBlindedAndTheKeyUnblindsThem) {
  TempDir tmp;
  audiorium::testing::make_style_library(tmp / "music", 3, 5.0);
  auto lib = audiorium::library::Library::open(tmp / "data");
  audiorium::library::ScanOptions so;
  so.jobs = 2;
  lib.scan(tmp / "music", so);

  StudyOptions o;
  o.seed_tracks = 3;
  o.length = 4;
  const auto r = export_study(lib, o, nullptr, tmp / "study");
  EXPECT_EQ(r.systems, (std::vector<std::string>{"similarity", "rule", "mmr"}));
  EXPECT_EQ(r.playlists, 9u);
  for (const char* f : {"playlists.csv", "key.csv", "ratings_template.csv", "README.txt", "playlists/P001.m3u", "playlists/P009.m3u"})
    EXPECT_TRUE(fs::exists(tmp / "study" / f)) << f;
  const auto lists = read(tmp / "study" / "playlists.csv");
  for (const char* system : {"similarity", "rule", "mmr"}) EXPECT_EQ(lists.find(system), std::string::npos) << system;
  // Every playlist: the seed at position 0, then 4 tracks; the key names each code once.
  std::istringstream key(read(tmp / "study" / "key.csv"));
  std::string line;
  std::getline(key, line);
  std::set<std::string> codes;
  std::map<std::string, int> per_system;
  while (std::getline(key, line)) {
    codes.insert(line.substr(0, 4));
    ++per_system[line.substr(5, line.find(',', 5) - 5)];
  }
  EXPECT_EQ(codes.size(), 9u);
  EXPECT_EQ(per_system["rule"], 3);
  EXPECT_EQ(std::count(lists.begin(), lists.end(), '\n'), 1 + 9 * 5);
  // Same seed, same files.
  const auto again = export_study(lib, o, nullptr, tmp / "study2");
  EXPECT_EQ(read(tmp / "study" / "key.csv"), read(tmp / "study2" / "key.csv"));
  EXPECT_EQ(lists, read(tmp / "study2" / "playlists.csv"));
  // A filled-in template imports.
  std::string ratings = "participant,playlist,diversity,likability\n";
  for (const auto& c : codes) ratings += "p1," + c + ",3,4\n";
  write(tmp / "study" / "ratings.csv", ratings);
  const auto imported = import_ratings(tmp / "study" / "ratings.csv", tmp / "study" / "key.csv");
  EXPECT_EQ(imported.ratings, 9u);
  EXPECT_EQ(imported.systems.size(), 3u);
  EXPECT_TRUE(imported.problems.empty());
}
