// Issue 7, part 4: hostile files on disk. Each one is either catalogued or recorded in scan_errors with a reason,
// and none stops the scan: the good tracks beside them are all indexed, and the CLI's JSON views still print.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "library/json_views.h"
#include "library/library.h"
#include "support/generated_library.h"
#include "support/test_support.h"

namespace {

namespace fs = std::filesystem;
using audiorium::library::Library;
using audiorium::library::ScanOptions;
using audiorium::testing::TempDir;

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_bytes(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

void put_u32le(std::string& s, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

bool is_utf8(const std::string& s) {
  try {
    (void)nlohmann::json(s).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

class HostileFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& t : audiorium::testing::make_style_library(music_, 2, 3.0, ".flac"))
      good_.insert(fs::absolute(t.path).lexically_normal().string());
    audiorium::testing::write_wav(src_ / "src.wav", audiorium::testing::chord({57, 60, 64}, 4.0, 22050), 22050, 2);
  }
  // Scans and sorts each hostile file into catalogued or failed; a file in neither is a silent loss.
  void scan() {
    auto lib = Library::open(tmp_ / "data");
    ScanOptions o;
    o.jobs = 2;
    report_ = lib.scan(music_, o);
    for (const auto& t : lib.catalog().tracks()) tracks_[t.path] = t;
    for (const auto& e : lib.catalog().scan_errors()) errors_[e.path] = e.reason;
    vectors_ = lib.index_info().vectors;
    // Every catalogued track whose path is UTF-8 has a JSON view that prints as is. (Paths that are not UTF-8 are
    // printed with U+FFFD by the CLI and the server: see HugeAndInvalidTagsAndPaths.)
    for (const auto& [path, t] : tracks_) {
      if (!is_utf8(path)) continue;
      EXPECT_NO_THROW((void)audiorium::library::track_json(t).dump()) << path;
    }
  }
  std::string abs(const std::string& name) const { return fs::absolute(music_ / name).lexically_normal().string(); }
  void expect_error(const std::string& name, const std::string& why) {
    const auto p = abs(name);
    EXPECT_FALSE(tracks_.count(p)) << name << " was catalogued";
    ASSERT_TRUE(errors_.count(p)) << name << " is not in scan_errors (" << why << ")";
    EXPECT_FALSE(errors_[p].empty()) << name;
  }
  void expect_handled(const std::string& name) {
    const auto p = abs(name);
    const bool catalogued = tracks_.count(p) > 0, failed = errors_.count(p) > 0;
    EXPECT_TRUE(catalogued != failed) << name << ": catalogued " << catalogued << ", failed " << failed;
    if (failed) {
      EXPECT_FALSE(errors_[p].empty()) << name;
    }
  }
  void expect_good_indexed() {
    for (const auto& g : good_) EXPECT_TRUE(tracks_.count(g)) << "good track lost: " << g;
  }

  TempDir tmp_;
  fs::path music_ = tmp_ / "music";
  fs::path src_ = tmp_.path();
  std::set<std::string> good_;
  audiorium::library::ScanReport report_;
  std::map<std::string, audiorium::catalog::Track> tracks_;
  std::map<std::string, std::string> errors_;
  std::size_t vectors_ = 0;
};

}  // namespace

TEST_F(HostileFiles, FilesThatLieAboutTheirFormat) {
  write_bytes(music_ / "letter.mp3", "Dear reader,\nthis is not an MP3.\n");
  ASSERT_EQ(audiorium::testing::run_command("ffmpeg -nostdin -loglevel error -y -f lavfi -i color=red:s=32x32 -frames:v 1 '" +
                                            (src_ / "red.png").string() + "'").code, 0);
  fs::copy_file(src_ / "red.png", music_ / "picture.flac");
  write_bytes(music_ / "random.ogg", std::string(4096, '\x5a'));
  fs::copy_file(src_ / "src.wav", music_ / "wav-named.ogg");  // real audio, wrong extension: may be read by content
  for (const char* empty : {"empty.mp3", "empty.flac", "empty.wav"}) write_bytes(music_ / empty, "");
  scan();
  expect_good_indexed();
  for (const char* name : {"letter.mp3", "picture.flac", "random.ogg", "empty.mp3", "empty.flac", "empty.wav"})
    expect_error(name, "not audio");
  expect_handled("wav-named.ogg");
  EXPECT_EQ(vectors_, tracks_.size());
  // The CLI lists the same errors, each with its reason.
  if (const char* bin = std::getenv("AUDIORIUM_BIN"); bin && *bin) {
    const auto info = audiorium::testing::run_audiorium("--data '" + (tmp_ / "data").string() + "' --json info", false);
    ASSERT_EQ(info.code, 0) << info.out;
    const auto j = nlohmann::json::parse(info.out);
    std::size_t listed = 0;
    for (const auto& e : j.at("scan_errors")) listed += !e.at("reason").get<std::string>().empty();
    EXPECT_EQ(listed, errors_.size());
  }
}

TEST_F(HostileFiles, AudioTruncatedAtEveryTenth) {
  for (const std::string ext : {".mp3", ".flac"}) {
    ASSERT_TRUE(audiorium::testing::convert_with_ffmpeg(src_ / "src.wav", src_ / ("full" + ext)));
    const std::string bytes = read_bytes(src_ / ("full" + ext));
    ASSERT_GT(bytes.size(), 1000u);
    for (int k = 1; k <= 10; ++k) {
      // k/10 of the file; the tenth file lacks only its last byte.
      const std::size_t n = k < 10 ? bytes.size() * static_cast<std::size_t>(k) / 10 : bytes.size() - 1;
      write_bytes(music_ / ("cut-" + std::to_string(k) + ext), bytes.substr(0, n));
    }
  }
  scan();
  expect_good_indexed();
  int catalogued = 0;
  for (const std::string ext : {".mp3", ".flac"})
    for (int k = 1; k <= 10; ++k) {
      expect_handled("cut-" + std::to_string(k) + ext);
      catalogued += tracks_.count(abs("cut-" + std::to_string(k) + ext)) > 0;
    }
  EXPECT_GE(catalogued, 2) << "the nearly whole files should decode";
  EXPECT_EQ(vectors_, tracks_.size());
  std::cout << "[ hostile ] truncated: " << catalogued << "/20 catalogued, the rest recorded as errors\n";
}

TEST_F(HostileFiles, HugeAndInvalidTagsAndPaths) {
  std::string long_title;
  while (long_title.size() < 10'000) long_title += "Long title " + std::to_string(long_title.size()) + " ";
  long_title.resize(10'000);
  for (const std::string ext : {".ogg", ".flac"})
    ASSERT_TRUE(audiorium::testing::convert_with_ffmpeg(src_ / "src.wav", music_ / ("long-tag" + ext),
                                                        "-metadata title='" + long_title + "'"));
  // Latin-1 bytes where UTF-8 is promised, in a Vorbis comment.
  ASSERT_TRUE(audiorium::testing::convert_with_ffmpeg(src_ / "src.wav", music_ / "bad-tag.flac",
                                                      "-metadata title='Caf\xe9 \xff\xfe' -metadata artist='Ok Artist'"));
  // Path bytes that are not UTF-8: one good file, one bad file (its path goes into scan_errors).
  const std::string bad_name = "caf\xe9-\xff.wav", bad_text = "notes-\xfe\xff.mp3";
  fs::copy_file(src_ / "src.wav", music_ / bad_name);
  write_bytes(music_ / bad_text, "text, not audio");
  scan();
  expect_good_indexed();
  for (const std::string ext : {".ogg", ".flac"}) {
    const auto p = abs("long-tag" + ext);
    ASSERT_TRUE(tracks_.count(p)) << p << (errors_.count(p) ? ": " + errors_[p] : "");
    const auto& title = tracks_[p].tags.title;
    EXPECT_FALSE(title.empty()) << ext;
    EXPECT_LE(title.size(), long_title.size()) << ext;
    EXPECT_EQ(long_title.compare(0, title.size(), title), 0) << ext << ": the title is not a prefix of the tag";
  }
  const auto bad_tag = abs("bad-tag.flac");
  ASSERT_TRUE(tracks_.count(bad_tag)) << (errors_.count(bad_tag) ? errors_[bad_tag] : "not recorded");
  EXPECT_EQ(tracks_[bad_tag].tags.artist, "Ok Artist");
  EXPECT_NO_THROW((void)nlohmann::json(tracks_[bad_tag].tags.title).dump());
  EXPECT_TRUE(tracks_.count(abs(bad_name))) << "a file whose name is not UTF-8 is still music";
  expect_error(bad_text, "not audio, non-UTF-8 name");
  EXPECT_EQ(vectors_, tracks_.size());

  // Regression: a name that is not UTF-8 made every --json command throw (json type_error 316). Such bytes are
  // now printed as U+FFFD; the catalog keeps the real path for streaming.
  const std::string data = "--data '" + (tmp_ / "data").string() + "' --json ";
  const auto info = audiorium::testing::run_audiorium(data + "info", false);
  ASSERT_EQ(info.code, 0) << info.out;
  EXPECT_FALSE(nlohmann::json::parse(info.out, nullptr, false).is_discarded()) << info.out;
  const auto similar =
      audiorium::testing::run_audiorium(data + "similar " + std::to_string(tracks_[abs(bad_name)].id) + " -k 3", false);
  ASSERT_EQ(similar.code, 0) << similar.out;
  const auto j = nlohmann::json::parse(similar.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << similar.out;
  EXPECT_NE(similar.out.find("\xef\xbf\xbd"), std::string::npos) << "the seed's path shows U+FFFD";
}

TEST_F(HostileFiles, LinksPermissionsAndAnEnormousHeader) {
  fs::create_directories(music_ / "loop");
  fs::create_directory_symlink(music_ / "loop", music_ / "loop" / "self");  // dir/link -> dir
  fs::create_directory_symlink(music_, music_ / "loop" / "up");              // and a link to the root
  fs::create_symlink(music_ / "gone.flac", music_ / "dangling.flac");
  const bool root = geteuid() == 0;
  fs::copy_file(src_ / "src.wav", music_ / "locked.wav");
  fs::permissions(music_ / "locked.wav", fs::perms::none);
  // A WAV whose header claims 0xFFFFFFF0 bytes of data (about 13.5 hours) over 4 s of real samples.
  std::string wav = read_bytes(src_ / "src.wav");
  ASSERT_EQ(wav.compare(36, 4, "data"), 0) << "write_wav's layout changed";
  put_u32le(wav, 4, 0xFFFFFFF8u);
  put_u32le(wav, 40, 0xFFFFFFF0u);
  write_bytes(music_ / "enormous.wav", wav);

  scan();
  expect_good_indexed();
  expect_error("dangling.flac", "dangling link");
  if (root) {
    expect_handled("locked.wav");  // root reads it anyway
  } else {
    expect_error("locked.wav", "unreadable");
  }
  expect_handled("enormous.wav");
  if (tracks_.count(abs("enormous.wav")))
    std::cout << "[ hostile ] enormous.wav catalogued, duration " << tracks_[abs("enormous.wav")].duration_s << " s\n";
  else
    std::cout << "[ hostile ] enormous.wav recorded: " << errors_[abs("enormous.wav")] << "\n";
  // The loop is walked once: no path through the links is catalogued.
  for (const auto& [path, t] : tracks_) EXPECT_EQ(path.find("/self/"), std::string::npos) << path;
  EXPECT_EQ(vectors_, tracks_.size());
  fs::permissions(music_ / "locked.wav", fs::perms::owner_all);
}
