// `audiorium packs list` and `audiorium packs verify` on pack folders written here (a manifest and a few bytes
// standing in for a tower: these commands check files, they never load a model).
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace {

using audiorium::testing::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

using Result = audiorium::testing::CommandResult;

// Without $AUDIORIUM_PACKS, so only the packs a test makes are found.
Result run_cli(const std::string& args, bool with_stderr = true) {
  ::unsetenv("AUDIORIUM_PACKS");  // the child inherits this process's environment
  return audiorium::testing::run_audiorium(args, with_stderr);
}

// The digest from coreutils' sha256sum, so the test does not lean on the code it checks.
std::string sha256sum(const fs::path& f) {
  FILE* p = popen(("sha256sum '" + f.string() + "'").c_str(), "r");
  std::array<char, 128> buf{};
  std::string out = fgets(buf.data(), buf.size(), p) ? buf.data() : "";
  pclose(p);
  return out.substr(0, 64);
}

void make_pack(const fs::path& dir, const std::string& name) {
  fs::create_directories(dir);
  std::ofstream(dir / "image.pt") << "image tower bytes";
  json m = {{"format_version", 1}, {"name", name}, {"kind", "clip"}, {"version", "1"}, {"embedding_dim", 64},
            {"image", {{"tower", "image.pt"}, {"size", 32}, {"resize", "shorter-side"}, {"crop", "center"},
                       {"mean", {0.5, 0.5, 0.5}}, {"std", {0.25, 0.25, 0.25}}}},
            {"files", {{"image.pt", sha256sum(dir / "image.pt")}}}};
  std::ofstream(dir / "manifest.json") << m.dump(2);
}

TEST(PacksCli, ListAndVerify) {
  TempDir t;
  const std::string data = "--data '" + t.path().string() + "'";
  auto r = run_cli(data + " packs list");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("no model packs in"), std::string::npos) << r.out;

  make_pack(t / "packs" / "good", "good-clip");
  make_pack(t / "packs" / "broken", "broken-clip");
  std::ofstream(t / "packs" / "broken" / "image.pt") << "changed";

  r = run_cli(data + " packs list");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("good-clip"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("MISMATCH"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("checksum mismatch for 'image.pt'"), std::string::npos) << r.out;

  r = run_cli(data + " --json packs list", false);
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = json::parse(r.out);
  ASSERT_EQ(j["packs"].size(), 2u);
  EXPECT_EQ(j["packs"][0]["name"], "broken-clip");
  EXPECT_EQ(j["packs"][0]["valid"], false);
  EXPECT_EQ(j["packs"][1]["name"], "good-clip");
  EXPECT_EQ(j["packs"][1]["checksums"], "ok");
  EXPECT_EQ(j["packs"][1]["embedding_dim"], 64);

  r = run_cli(data + " packs verify good-clip");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("checksums ok"), std::string::npos) << r.out;
  r = run_cli(data + " packs verify broken-clip");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("checksum mismatch"), std::string::npos) << r.out;
  r = run_cli(data + " packs verify nothing-here");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("no pack named 'nothing-here'"), std::string::npos) << r.out;
}

}  // namespace
