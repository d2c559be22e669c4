// Pack folders: the happy path and each error a user can meet, on packs written here (the "towers" are a few
// bytes: this module checks files and checksums, it never loads them).
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "packs/manifest.h"
#include "support/test_support.h"

namespace {

using audiorium::Error;
using audiorium::testing::TempDir;
using namespace audiorium::packs;
using nlohmann::json;
namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// A CLAP pack with audio and text towers; `edit` changes the manifest before it is written.
fs::path make_clap_pack(const fs::path& root, const std::string& folder,
                        const std::function<void(json&)>& edit = [](json&) {}) {
  const fs::path dir = root / folder;
  write(dir / "audio.pt", "audio tower bytes");
  write(dir / "text.pt", "text tower bytes");
  write(dir / "vocab.json", R"({"<s>":0,"<pad>":1,"</s>":2,"<unk>":3})");
  write(dir / "merges.txt", "#version: 0.2\n");
  write(dir / "references.json", "{}");
  json m = {{"format_version", 1},
            {"name", folder},
            {"kind", "clap"},
            {"version", "test-1"},
            {"embedding_dim", 512},
            {"audio",
             {{"tower", "audio.pt"},
              {"sample_rate", 48000},
              {"window_s", 10.0},
              {"hop_s", 5.0},
              {"pooling", "mean-l2"},
              {"max_windows", 32}}},
            {"text",
             {{"tower", "text.pt"},
              {"tokenizer",
               {{"type", "roberta-bpe"}, {"vocab", "vocab.json"}, {"merges", "merges.txt"}, {"max_length", 77},
                {"pad_id", 1}}}}},
            {"files", json::object()},
            {"references", "references.json"}};
  for (const char* f : {"audio.pt", "text.pt", "vocab.json", "merges.txt", "references.json"})
    m["files"][f] = sha256_file(dir / f);
  edit(m);
  write(dir / "manifest.json", m.dump(2));
  return dir;
}

fs::path make_clip_pack(const fs::path& root, const std::string& folder) {
  const fs::path dir = root / folder;
  write(dir / "image.pt", "image tower bytes");
  json m = {{"format_version", 1},
            {"name", folder},
            {"kind", "clip"},
            {"version", "1"},
            {"embedding_dim", 512},
            {"image",
             {{"tower", "image.pt"},
              {"size", 224},
              {"resize", "shorter-side"},
              {"crop", "center"},
              {"mean", {0.481, 0.458, 0.408}},
              {"std", {0.269, 0.261, 0.276}}}},
            {"files", {{"image.pt", sha256_file(dir / "image.pt")}}}};
  write(dir / "manifest.json", m.dump());
  return dir;
}

void expect_error(const fs::path& dir, const std::string& fragment, bool verify = true) {
  try {
    read_pack(dir, verify);
    ADD_FAILURE() << "no error, expected: " << fragment;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Sha256, KnownDigests) {
  TempDir t;
  write(t / "empty", "");
  write(t / "abc", "abc");
  EXPECT_EQ(sha256_file(t / "empty"), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_file(t / "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_THROW(sha256_file(t / "missing"), Error);
}

TEST(ReadPack, HappyPathResolvesPaths) {
  TempDir t;
  const auto dir = make_clap_pack(t.path(), "clap-test");
  const auto m = read_pack(dir);
  EXPECT_EQ(m.name, "clap-test");
  EXPECT_EQ(m.kind, "clap");
  EXPECT_EQ(m.embedding_dim, 512);
  ASSERT_TRUE(m.audio && m.text);
  EXPECT_FALSE(m.image);
  EXPECT_EQ(m.audio->tower, dir / "audio.pt");
  EXPECT_EQ(m.audio->sample_rate, 48000);
  EXPECT_DOUBLE_EQ(m.audio->hop_s, 5.0);
  EXPECT_EQ(m.text->tokenizer.type, "roberta-bpe");
  EXPECT_EQ(m.text->tokenizer.vocab, dir / "vocab.json");
  EXPECT_EQ(m.text->tokenizer.pad_id, 1);
  EXPECT_EQ(m.references, dir / "references.json");
  EXPECT_EQ(m.towers(), (std::vector<std::string>{"audio", "text"}));

  const auto c = read_pack(make_clip_pack(t.path(), "clip-test"));
  ASSERT_TRUE(c.image);
  EXPECT_EQ(c.image->size, 224);
  EXPECT_DOUBLE_EQ(c.image->std[2], 0.276);
  EXPECT_EQ(c.towers(), std::vector<std::string>{"image"});
}

TEST(ReadPack, MissingManifestAndBadJson) {
  TempDir t;
  fs::create_directories(t / "empty");
  expect_error(t / "empty", "no manifest.json");
  expect_error(t / "nowhere", "not a folder");
  write(t / "bad" / "manifest.json", "{\n  \"format_version\": 1,\n  \"name\": \"x\"\n  \"kind\": \"clap\"\n}");
  expect_error(t / "bad", "not valid JSON at line 4, column ");  // where the parser gave up: after "kind"
}

// Found by fuzz_manifest: a number beyond double is well-formed JSON that nlohmann refuses with out_of_range, not
// parse_error, and it escaped read_pack as a json exception instead of an audiorium::Error.
TEST(ReadPack, NumberBeyondDoubleIsAnError) {
  TempDir t;
  write(t / "huge" / "manifest.json", R"({"format_version": 1, "embedding_dim": 6e00424})");
  expect_error(t / "huge", "manifest.json cannot be read: ");
  expect_error(t / "huge", "number overflow");
  const auto listed = list_packs(t.path());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_FALSE(listed[0].valid());
  EXPECT_NE(listed[0].error.find("number overflow"), std::string::npos) << listed[0].error;
}

TEST(ReadPack, FieldErrorsNameTheField) {
  TempDir t;
  struct Case {
    std::function<void(json&)> edit;
    std::string fragment;
  };
  const std::vector<Case> cases = {
      {[](json& m) { m.erase("name"); }, "has no \"name\""},
      {[](json& m) { m.erase("format_version"); }, "has no \"format_version\""},
      {[](json& m) { m["format_version"] = 2; }, "made by a newer Audiorium"},
      {[](json& m) { m["format_version"] = "1"; }, "\"format_version\" must be an integer"},
      {[](json& m) { m["kind"] = "wav2vec"; }, "\"kind\" is 'wav2vec'; this Audiorium knows: clap, clip"},
      {[](json& m) { m["embedding_dim"] = 0; }, "\"embedding_dim\" must be between 1 and 65536, got 0"},
      {[](json& m) { m["embedding_dim"] = -3; }, "\"embedding_dim\" must be between 1 and 65536"},
      {[](json& m) { m["audio"]["sample_rate"] = 0; }, "\"audio.sample_rate\" must be a positive integer"},
      {[](json& m) { m["audio"].erase("window_s"); }, "has no \"audio.window_s\""},
      {[](json& m) { m["audio"]["hop_s"] = 20.0; }, "\"audio.hop_s\" must not exceed"},
      {[](json& m) { m["audio"]["pooling"] = "max"; }, "\"audio.pooling\" is 'max'"},
      {[](json& m) { m["audio"]["tower"] = "../escape.pt"; }, "must name a file inside the pack folder"},
      {[](json& m) { m["text"]["tokenizer"]["type"] = "sentencepiece"; }, "\"text.tokenizer.type\" is 'sentencepiece'"},
      {[](json& m) { m["text"]["tokenizer"]["max_length"] = 1; }, "\"text.tokenizer.max_length\" must be between 2"},
      {[](json& m) { m["text"]["tokenizer"].erase("merges"); }, "has no \"text.tokenizer.merges\""},
      {[](json& m) { m["image"] = json::object(); }, "a clap pack has no image tower"},
      {[](json& m) { m.erase("audio"); m.erase("text"); }, "a clap pack needs an \"audio\" or a \"text\" tower"},
      {[](json& m) { m["files"].erase("text.pt"); }, "\"files\" has no SHA-256 for 'text.pt'"},
      {[](json& m) { m["files"]["text.pt"] = "abc"; }, "must be a SHA-256 in hex"},
  };
  int i = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.fragment);
    std::string name = "p";  // not "p" + std::to_string(i): g++ 12 warns falsely on it (-Wrestrict, GCC bug 105329)
    name += std::to_string(i++);
    expect_error(make_clap_pack(t.path(), name, c.edit), c.fragment);
  }
}

TEST(ReadPack, ImageNormalisationLengths) {
  TempDir t;
  const auto dir = make_clip_pack(t.path(), "clip");
  auto m = json::parse(std::ifstream(dir / "manifest.json"));
  m["image"]["mean"] = {0.5, 0.5};
  write(dir / "manifest.json", m.dump());
  expect_error(dir, "\"image.mean\" must be a list of 3 numbers");
  m["image"]["mean"] = {0.5, 0.5, 0.5};
  m["image"]["std"] = {0.2, 0.0, 0.2};
  write(dir / "manifest.json", m.dump());
  expect_error(dir, "\"image.std\" values must be positive");
  m["image"]["std"] = {0.2, 0.2, 0.2};
  m["audio"] = {{"tower", "image.pt"}};
  write(dir / "manifest.json", m.dump());
  expect_error(dir, "a clip pack has no audio tower");
}

TEST(ReadPack, MissingFilesAndChecksums) {
  TempDir t;
  auto dir = make_clap_pack(t.path(), "missing");
  fs::remove(dir / "merges.txt");
  expect_error(dir, "file 'merges.txt' is missing");
  expect_error(dir, "file 'merges.txt' is missing", false);  // existence is checked even without checksums

  dir = make_clap_pack(t.path(), "changed");
  const auto expected = sha256_file(dir / "text.pt");
  write(dir / "text.pt", "text tower bytes, changed");
  expect_error(dir, "checksum mismatch for 'text.pt': expected " + expected + ", actual " + sha256_file(dir / "text.pt"));
  EXPECT_NO_THROW(read_pack(dir, false));
}

TEST(ListPacks, OneBadPackDoesNotHideTheOthers) {
  TempDir t;
  make_clap_pack(t.path(), "a-clap");
  make_clip_pack(t.path(), "b-clip");
  const auto bad = make_clap_pack(t.path(), "c-bad");
  write(bad / "audio.pt", "corrupted");
  fs::create_directories(t / "d-empty");
  write(t / "stray-file.txt", "not a pack");

  const auto list = list_packs(t.path());
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[0].name, "a-clap");
  EXPECT_TRUE(list[0].valid());
  EXPECT_EQ(list[0].checksums, ChecksumStatus::ok);
  EXPECT_EQ(list[0].towers, (std::vector<std::string>{"audio", "text"}));
  EXPECT_EQ(list[1].kind, "clip");
  EXPECT_EQ(list[1].embedding_dim, 512);
  EXPECT_FALSE(list[2].valid());
  EXPECT_EQ(list[2].checksums, ChecksumStatus::mismatch);
  EXPECT_EQ(list[2].kind, "clap");  // what the manifest says is still shown
  EXPECT_NE(list[2].error.find("audio.pt"), std::string::npos);
  EXPECT_FALSE(list[3].valid());
  EXPECT_NE(list[3].error.find("no manifest.json"), std::string::npos);

  const auto quick = list_packs(t.path(), false);
  EXPECT_EQ(quick[2].checksums, ChecksumStatus::not_checked);
  EXPECT_TRUE(quick[2].valid());
  EXPECT_TRUE(list_packs(t / "does-not-exist").empty());
}

TEST(SearchPath, EnvironmentFirstThenDataDir) {
  TempDir t;
  make_clap_pack(t / "env", "shared-clap");
  make_clap_pack(t / "data" / "packs", "shared-clap");
  make_clip_pack(t / "data" / "packs", "clip-only");
  setenv("AUDIORIUM_PACKS", (t / "env").c_str(), 1);
  const auto path = pack_search_path(t / "data");
  unsetenv("AUDIORIUM_PACKS");
  ASSERT_EQ(path.size(), 2u);
  EXPECT_EQ(path[0], t / "env");
  EXPECT_EQ(path[1], t / "data" / "packs");
  EXPECT_EQ(find_pack("shared-clap", path), t / "env" / "shared-clap");
  EXPECT_EQ(find_pack("clip-only", path), t / "data" / "packs" / "clip-only");
  try {
    find_pack("nope", path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no pack named 'nope'"), std::string::npos);
  }
}

}  // namespace
