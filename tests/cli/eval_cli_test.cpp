// `audiorium eval` and `audiorium study` end to end on a generated library, as a user runs them.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/generated_library.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using audiorium::testing::TempDir;
using nlohmann::json;

namespace {

using Result = audiorium::testing::CommandResult;

Result run_eval_cli(const std::string& args, bool with_stderr = true) {
  return audiorium::testing::run_audiorium(args, with_stderr);
}

class EvalCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    audiorium::testing::make_style_library(tmp_->path() / "music", 3, 5.0);
    const auto r = run_eval_cli("--data " + data() + " index " + (tmp_->path() / "music").string() + " --jobs 2");
    ASSERT_EQ(r.code, 0) << r.out;
    std::ofstream labels(tmp_->path() / "labels.csv");
    labels << "track,label,class,style\n";
    for (int i = 0; i < 3; ++i)
      for (const char* ext : {".wav", ".ogg"}) {
        labels << "drone-" << i << ext << ",Drone Major,major,drone\n";
        labels << "beat-" << i << ext << ",Beat Indie,independent,beat\n";
        labels << "noise-" << i << ext << ",Hiss Tapes,independent,noise\n";
      }
    labels << "broken,row\n";  // line 20
  }
  static void TearDownTestSuite() { delete tmp_; }
  static std::string data() { return (tmp_->path() / "data").string(); }
  static TempDir* tmp_;
};
TempDir* EvalCliTest::tmp_ = nullptr;

}  // namespace

TEST_F(EvalCliTest, EvalWritesTheReportAndJsonAndNamesTheBadLabelsRow) {
  const auto out = tmp_->path() / "report";
  const std::string args = "--data " + data() + " eval --protocol default --seeds 2 --tracks 3 --horse-tracks 3 -j 2 --labels " +
                           (tmp_->path() / "labels.csv").string() + " --out " + out.string();
  const auto text = run_eval_cli(args);
  ASSERT_EQ(text.code, 0) << text.out;
  EXPECT_NE(text.out.find("labels.csv:20: expected 4 fields, found 2"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("similarity"), std::string::npos);
  EXPECT_NE(text.out.find("eval took"), std::string::npos);
  for (const char* f : {"index.html", "homogeneity.svg", "tradeoff.svg", "lorenz.svg", "report.json"})
    EXPECT_TRUE(fs::exists(out / f)) << f;

  const auto j = run_eval_cli("--json " + args, false);
  ASSERT_EQ(j.code, 0) << j.out;
  const auto r = json::parse(j.out);
  EXPECT_EQ(r["library"]["indexed"], 9);
  EXPECT_EQ(r["protocol"]["seeds"], json({1, 2}));
  EXPECT_NEAR(r["catalog_homogeneity"]["share"].get<double>(), 1.0 / 3.0, 1e-9);
  EXPECT_EQ(r["horse"]["transforms"].size(), 6u);
  EXPECT_EQ(r["library"]["labels"]["problems"][0]["line"], 20);
  // Deterministic: the JSON equals the report.json of the first run.
  std::ifstream saved(out / "report.json");
  EXPECT_EQ(json::parse(saved), r);

  const auto bad = run_eval_cli("--data " + data() + " eval --protocol nope --horse-tracks 0");
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.out.find("unknown protocol 'nope'"), std::string::npos) << bad.out;
}

TEST_F(EvalCliTest, StudyExportThenImport) {
  const auto dir = tmp_->path() / "study";
  const auto ex = run_eval_cli("--data " + data() + " study export --n 2 --length 3 --out " + dir.string());
  ASSERT_EQ(ex.code, 0) << ex.out;
  EXPECT_NE(ex.out.find("6 blinded playlists"), std::string::npos) << ex.out;
  std::ifstream key(dir / "key.csv");
  std::string line, ratings = "participant,playlist,diversity,likability\n";
  std::getline(key, line);
  int i = 0;
  while (std::getline(key, line)) {
    ratings += std::string("p") + std::to_string(i % 2) + "," + line.substr(0, 4) + "," + std::to_string(1 + i % 5) + ",3\n";
    ++i;
  }
  ratings += "p9,P001,7,3\n";
  std::ofstream(dir / "ratings.csv") << ratings;
  const auto im = run_eval_cli("--json study import " + (dir / "ratings.csv").string(), false);
  ASSERT_EQ(im.code, 0) << im.out;
  const auto r = json::parse(im.out);
  EXPECT_EQ(r["ratings"], 6);
  EXPECT_EQ(r["systems"].size(), 3u);
  EXPECT_EQ(r["problems"][0]["line"], 8);
  EXPECT_DOUBLE_EQ(r["systems"][0]["likability"]["mean"].get<double>(), 3.0);
}
