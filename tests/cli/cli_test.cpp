// Drives the real `audiorium` binary as a user would, and checks exit codes, messages and --json output.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/generated_library.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using audiorium::testing::TempDir;
using nlohmann::json;

namespace {

using Run = audiorium::testing::CommandResult;

Run run(const std::string& args) { return audiorium::testing::run_audiorium(args); }
Run run_json(const std::string& args) { return audiorium::testing::run_audiorium(args, false); }

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    audiorium::testing::make_style_library(tmp_->path() / "music", 3, 6.0);
    const auto r = run("--data " + data() + " index " + (tmp_->path() / "music").string() + " --jobs 2");
    ASSERT_EQ(r.code, 0) << r.out;
  }
  static void TearDownTestSuite() { delete tmp_; }
  static std::string data() { return (tmp_->path() / "data").string(); }
  static TempDir* tmp_;
};
TempDir* CliTest::tmp_ = nullptr;

}  // namespace

TEST_F(CliTest, InfoReportsTracksAndIndex) {
  const auto r = run_json("--data " + data() + " --json info");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = json::parse(r.out);
  EXPECT_EQ(j["tracks"], 9);
  EXPECT_EQ(j["index"]["vectors"], 9);
  EXPECT_EQ(j["index"]["embedder"], "dsp-v1");
  EXPECT_GT(j["total_hours"].get<double>(), 0.0);
}

TEST_F(CliTest, SimilarByTitleFragmentGivesJsonResults) {
  const auto r = run_json("--data " + data() + " --json similar drone-0 -k 3 --seed 5");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = json::parse(r.out);
  ASSERT_EQ(j["results"].size(), 3u);
  for (const auto& item : j["results"]) {
    for (const char* key : {"id", "path", "title", "artist", "album", "score"}) EXPECT_TRUE(item.contains(key)) << key;
    EXPECT_NE(item["id"], j["seed_track"]["id"]);
  }
  EXPECT_EQ(j["random_seed"], 5);
  // Same seed, same list.
  EXPECT_EQ(json::parse(run_json("--data " + data() + " --json similar drone-0 -k 3 --seed 5").out)["results"], j["results"]);
}

TEST_F(CliTest, QueueHasRequestedLengthAndNoRepeats) {
  const auto r = run_json("--data " + data() + " --json queue beat-1 --length 5 --seed 2");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = json::parse(r.out);
  ASSERT_EQ(j["results"].size(), 5u);
  std::set<int64_t> ids{j["seed_track"]["id"].get<int64_t>()};
  for (const auto& item : j["results"]) EXPECT_TRUE(ids.insert(item["id"].get<int64_t>()).second);
}

TEST_F(CliTest, SimilarAcceptsAnId) {
  const auto r = run("--data " + data() + " similar 1 -k 2 --seed 1");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("Similar to"), std::string::npos) << r.out;
}

TEST_F(CliTest, UnknownTrackFailsWithAClearMessage) {
  const auto r = run("--data " + data() + " similar 'no such song anywhere'");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("no track in the catalog matches"), std::string::npos) << r.out;
}

TEST_F(CliTest, MissingFolderFailsWithAClearMessage) {
  const auto r = run("--data " + data() + " index /definitely/not/here");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("no such folder"), std::string::npos) << r.out;
}

TEST_F(CliTest, BadArgumentsAreRejected) {
  EXPECT_NE(run("--data " + data() + " similar drone-0 -k 0").code, 0);
  EXPECT_NE(run("--data " + data() + " similar drone-0 -k abc").code, 0);
  EXPECT_NE(run("--data " + data() + " queue drone-0 --drift 3").code, 0);
  EXPECT_NE(run("frobnicate").code, 0);
}

TEST(CliEnv, DataFolderComesFromTheEnvironment) {
  TempDir tmp;
  const std::string cmd = "AUDIORIUM_DATA=" + (tmp / "envdata").string() + " " + std::getenv("AUDIORIUM_BIN") +
                          " info > /dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_TRUE(fs::exists(tmp / "envdata" / "catalog.db"));
}
