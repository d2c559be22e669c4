// Model packs through the C++ runtime against the Python side that wrote them (tools/packs/make_test_pack.py,
// run here into a temporary folder with Debian's python3-torch): embeddings within 1e-4 for audio, text and image,
// pooling over long audio, batching, the image→text→audio bridge, the CLI paths and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "packembed/bridge.h"
#include "packembed/pack.h"
#include "packembed/runtime.h"
#include "support/child_process.h"
#include "support/test_support.h"
#include "tokenize/bpe_tokenizer.h"

namespace {

namespace fs = std::filesystem;
using audiorium::packembed::Pack;
using nlohmann::json;
namespace pe = audiorium::packembed;

std::string env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

int run(const std::string& cmd) { return std::system((cmd + " > /dev/null 2>&1").c_str()); }

std::string run_output(const std::string& cmd, int* rc) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  while (p && fgets(buf, sizeof buf, p)) out += buf;
  const int status = p ? pclose(p) : -1;
  if (rc) *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

#ifndef AUDIORIUM_TORCH_PYTHON
#define AUDIORIUM_TORCH_PYTHON "/usr/bin/python3"
#endif
#ifndef AUDIORIUM_SOURCE_DIR
#define AUDIORIUM_SOURCE_DIR "."
#endif

// Runs tools/packs/make_test_pack.py; returns the command when it failed, empty on success.
std::string try_make_pack(const fs::path& out, const std::string& kind, const std::string& extra = "") {
  const auto cmd = env("AUDIORIUM_PYTHON", AUDIORIUM_TORCH_PYTHON) + " " + env("AUDIORIUM_SOURCE_DIR", AUDIORIUM_SOURCE_DIR) +
                   "/tools/packs/make_test_pack.py " + out.string() + " --kind " + kind + " " + extra;
  return run(cmd) == 0 ? std::string() : cmd;
}

void make_pack(const fs::path& out, const std::string& kind, const std::string& extra = "") {
  const auto failed = try_make_pack(out, kind, extra);
  ASSERT_TRUE(failed.empty()) << "failed: " << failed;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) m = std::max(m, std::fabs(double(a[i]) - b[i]));
  return m;
}

// A low drone, a high tone and a click track, 12 s each, in dir/music.
fs::path three_track_music(const fs::path& dir) {
  namespace t = audiorium::testing;
  const auto music = dir / "music";
  fs::create_directories(music);
  t::write_wav(music / "low.wav", t::sine(110, 12, 22050), 22050);
  t::write_wav(music / "high.wav", t::sine(2000, 12, 22050), 22050);
  t::write_wav(music / "clicks.wav", t::click_track(120, 12, 22050), 22050);
  return music;
}

// Packs are generated once per test process (each test runs in its own process under ctest).
class Packs : public ::testing::Test {
 protected:
  // A failure here must fail every test: an ASSERT in SetUpTestSuite would only mark them skipped, which ctest
  // counts as passed.
  static void SetUpTestSuite() {
    setenv("OMP_WAIT_POLICY", "PASSIVE", 0);  // other processes share the cores (shared/STACK.md)
    dir_ = new audiorium::testing::TempDir();
    for (const char* kind : {"clap", "clip"})
      if (auto failed = try_make_pack(*dir_ / "packs" / kind, kind); !failed.empty() && setup_error_.empty())
        setup_error_ = "cannot generate the test packs: " + failed;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }
  static inline std::string setup_error_;
  static fs::path packs() { return *dir_ / "packs"; }
  static json references(const std::string& kind) {
    std::ifstream in(packs() / kind / "references.json");
    return json::parse(in);
  }
  static audiorium::testing::TempDir* dir_;
};
audiorium::testing::TempDir* Packs::dir_ = nullptr;

TEST_F(Packs, EmbeddingsMatchThePythonSide) {
  for (const std::string kind : {"clap", "clip"}) {
    const auto pack = Pack::open(packs() / kind);
    const auto report = pe::verify_references(*pack);
    EXPECT_GE(report.items.size(), kind == "clap" ? 7u : 6u);
    for (const auto& item : report.items) {
      EXPECT_LE(item.max_abs_diff, 1e-4) << kind << ": " << item.what;
      EXPECT_TRUE(item.tokens_match) << kind << ": " << item.what;
    }
  }
}

TEST_F(Packs, LongAudioIsTheMeanOfItsWindows) {
  const auto pack = Pack::open(packs() / "clap");
  const auto r = references("clap")["audio_pooled"][0];
  const auto wave = pe::reference_sines(r["input"], 48000, 10.0);
  ASSERT_EQ(wave.size(), 35u * 48000u);
  EXPECT_EQ(pe::window_starts(wave.size(), 480000, 240000, 32).size(), 6u);  // 0,5,…,25 s
  const auto windows = pack->window_embeddings(wave);
  ASSERT_EQ(windows.size(), r["window_embeddings"].size());
  for (std::size_t i = 0; i < windows.size(); ++i)
    EXPECT_LE(max_abs_diff(windows[i], r["window_embeddings"][i].get<std::vector<float>>()), 1e-4) << "window " << i;
  EXPECT_LE(max_abs_diff(pack->embed_audio(wave), r["embedding"].get<std::vector<float>>()), 1e-4);
  // max_windows spreads the windows evenly from the first to the last possible start.
  EXPECT_EQ(pe::window_starts(100, 10, 5, 3), (std::vector<std::size_t>{0, 45, 90}));
  EXPECT_EQ(pe::window_starts(5, 10, 5, 3), (std::vector<std::size_t>{0}));
  // A track shorter than a window is repeat-padded to one window.
  const std::vector<float> short_wave(wave.begin(), wave.begin() + 48000 * 3);
  EXPECT_EQ(pack->window_embeddings(short_wave).size(), 1u);
}

TEST_F(Packs, BatchOfEightEqualsOneByOne) {
  auto pack = Pack::open(packs() / "clap");
  const auto wave = pe::reference_sines(references("clap")["audio_pooled"][0]["input"], 48000, 10.0);
  pack->set_batch(8);
  const auto batched = pack->window_embeddings(wave);
  pack->set_batch(1);
  const auto single = pack->window_embeddings(wave);
  ASSERT_EQ(batched.size(), single.size());
  for (std::size_t i = 0; i < single.size(); ++i) EXPECT_LE(max_abs_diff(batched[i], single[i]), 1e-5);
  const std::vector<std::string> texts{"calm piano", "dark trap", "", "happy pop", "x", "sad", "rock", "jazz", "lo-fi"};
  const auto t1 = pack->embed_texts(texts);
  pack->set_batch(8);
  const auto t8 = pack->embed_texts(texts);
  for (std::size_t i = 0; i < texts.size(); ++i) EXPECT_LE(max_abs_diff(t1[i], t8[i]), 1e-5) << texts[i];
}

TEST_F(Packs, TextLongerThanTheContextIsTruncatedAndEmptyTextIsValid) {
  const auto pack = Pack::open(packs() / "clap");
  std::string long_text;
  for (int i = 0; i < 200; ++i) long_text += "calm piano melody ";
  const auto tok = pack->tokenizer().encode(long_text);
  EXPECT_EQ(tok.ids.size(), 77u);
  const auto a = pack->embed_text(long_text);
  ASSERT_EQ(a.size(), 32u);
  // Only the first 75 word tokens count: more text after the context changes nothing.
  EXPECT_LE(max_abs_diff(a, pack->embed_text(long_text + " aggressive trap")), 1e-6);
  // Empty text: start and end tokens only; a normalised embedding (documented in pack.h), not an error.
  const auto e = pack->embed_text("");
  double n = 0;
  for (float x : e) n += double(x) * x;
  EXPECT_NEAR(n, 1.0, 1e-5);
}

TEST_F(Packs, ImageFrontEndResizesTheShorterSideAndCropsTheCentre) {
  const auto pack = Pack::open(packs() / "clip");
  const int s = pack->spec().image->size;
  // An image twice the size in each direction with the reference gradient in its centre half… simpler: a
  // uniform image of any shape crops to the same uniform S×S input.
  std::vector<uint8_t> wide(static_cast<std::size_t>(3 * s) * s * 3, 90), exact(static_cast<std::size_t>(s) * s * 3, 90);
  EXPECT_LE(max_abs_diff(pack->embed_image_rgb(wide, 3 * s, s), pack->embed_image_exact(exact)), 1e-5);
  // Left half red, right half blue, 3:1 wide → the centre crop is the middle third: half red, half blue.
  std::vector<uint8_t> split(static_cast<std::size_t>(3 * s) * s * 3), crop(static_cast<std::size_t>(s) * s * 3);
  for (int y = 0; y < s; ++y)
    for (int x = 0; x < 3 * s; ++x) {
      auto* p = &split[(std::size_t(y) * 3 * s + x) * 3];
      p[0] = x < 3 * s / 2 ? 255 : 0, p[1] = 0, p[2] = x < 3 * s / 2 ? 0 : 255;
    }
  for (int y = 0; y < s; ++y)
    for (int x = 0; x < s; ++x) {
      auto* p = &crop[(std::size_t(y) * s + x) * 3];
      p[0] = x < s / 2 ? 255 : 0, p[1] = 0, p[2] = x < s / 2 ? 0 : 255;
    }
  EXPECT_LE(max_abs_diff(pack->embed_image_rgb(split, 3 * s, s), pack->embed_image_exact(crop)), 1e-5);
  // Files go through src/image's decoder: a PNG of the exact reference image equals the reference.
  const auto ref = references("clip")["image"][0];
  auto rgb = pe::reference_image(ref["input"], s);
  cv::Mat m(s, s, CV_8UC3, rgb.data()), bgr;
  cv::cvtColor(m, bgr, cv::COLOR_RGB2BGR);
  const auto png = *dir_ / "gradient.png";
  ASSERT_TRUE(cv::imwrite(png.string(), bgr));
  EXPECT_LE(max_abs_diff(pack->embed_image_file(png), ref["embedding"].get<std::vector<float>>()), 1e-4);
}

TEST_F(Packs, ImageBridgeWeighsMoodPromptsThroughBothTextTowers) {
  const auto clip = Pack::open(packs() / "clip");
  const auto clap = Pack::open(packs() / "clap");
  const auto img = clip->embed_image_exact(pe::reference_image(json{{"type", "checker"}}, clip->spec().image->size));
  const auto r = pe::bridge_image_embedding(img, *clip, *clap, 3);
  ASSERT_EQ(r.chosen.size(), 3u);
  EXPECT_GE(r.chosen[0].probability, r.chosen[1].probability);
  double total = 0;
  for (const auto& c : r.chosen) total += c.probability;
  EXPECT_NEAR(total, 1.0, 1e-9);
  // The query is the normalised weighted mean of the chosen music prompts' CLAP text embeddings.
  std::vector<double> q(32, 0.0);
  for (const auto& c : r.chosen) {
    const auto e = clap->embed_text(pe::mood_prompts()[c.prompt].music_prompt);
    for (std::size_t d = 0; d < q.size(); ++d) q[d] += c.probability * e[d];
  }
  double n = 0;
  for (double v : q) n += v * v;
  std::vector<float> want(q.size());
  for (std::size_t d = 0; d < q.size(); ++d) want[d] = float(q[d] / std::sqrt(n));
  EXPECT_LE(max_abs_diff(r.query, want), 1e-5);
  // The chosen prompt is CLIP's best match over the whole bank.
  double best = -2;
  std::size_t best_i = 0;
  for (std::size_t i = 0; i < pe::mood_prompts().size(); ++i) {
    const auto t = clip->embed_text(pe::mood_prompts()[i].image_prompt);
    double dot = 0;
    for (std::size_t d = 0; d < t.size(); ++d) dot += double(t[d]) * img[d];
    if (dot > best) best = dot, best_i = i;
  }
  EXPECT_EQ(r.chosen[0].prompt, best_i);
}

TEST_F(Packs, CorruptTowerMissingPackAndWrongDimensionAreClearErrors) {
  audiorium::testing::TempDir tmp;
  fs::copy(packs() / "clap", tmp / "bad", fs::copy_options::recursive);
  { std::ofstream(tmp / "bad" / "audio.pt", std::ios::binary | std::ios::trunc) << "not a zip archive at all"; }
  try {
    Pack::open(tmp / "bad");
    FAIL() << "a corrupt tower loaded";
  } catch (const audiorium::Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a readable TorchScript file"), std::string::npos) << e.what();
  }
  try {
    pe::find_pack("clap:no-such-pack", {packs()});
    FAIL();
  } catch (const audiorium::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-pack"), std::string::npos) << e.what();
  }
  try {
    pe::find_pack("clap", {tmp / "empty"});
    FAIL();
  } catch (const audiorium::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no clap pack found"), std::string::npos) << e.what();
  }
  // A manifest whose embedding_dim disagrees with what the tower returns.
  fs::copy(packs() / "clip", tmp / "dim", fs::copy_options::recursive);
  {
    std::ifstream in(tmp / "dim" / "manifest.json");
    auto m = json::parse(in);
    m["embedding_dim"] = 16;
    std::ofstream(tmp / "dim" / "manifest.json", std::ios::trunc) << m.dump();
  }
  const auto pack = Pack::open(tmp / "dim");
  try {
    pack->embed_text("calm");
    FAIL();
  } catch (const audiorium::Error& e) {
    EXPECT_NE(std::string(e.what()).find("embedding_dim 16"), std::string::npos) << e.what();
  }
}

// `packs verify` recomputes references.json through the plugin: ok on the generated pack, a failure naming the
// difference when a reference embedding is off by more than the tolerance (checksums updated, so only that fails).
TEST_F(Packs, CliVerifyRecomputesTheReferences) {
  audiorium::testing::TempDir tmp;
  const std::string bin = env("AUDIORIUM_BIN", "audiorium");
  int rc = 0;
  auto out = run_output("AUDIORIUM_PACKS=" + packs().string() + " " + bin + " --data " + (tmp / "data").string() +
                            " packs verify test-clap-tiny",
                        &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("checksums ok"), std::string::npos) << out;
  EXPECT_NE(out.find("reference embeddings ok"), std::string::npos) << out;

  fs::create_directories(tmp / "p");
  fs::copy(packs() / "clip", tmp / "p" / "clip", fs::copy_options::recursive);
  const auto refs_file = tmp / "p" / "clip" / "references.json";
  json refs;
  {
    std::ifstream in(refs_file);
    refs = json::parse(in);
  }
  refs["text"][0]["embedding"][3] = refs["text"][0]["embedding"][3].get<double>() + 0.01;
  std::ofstream(refs_file, std::ios::trunc) << refs.dump();
  const auto digest = run_output("sha256sum " + refs_file.string(), nullptr).substr(0, 64);
  json m;
  {
    std::ifstream in(tmp / "p" / "clip" / "manifest.json");
    m = json::parse(in);
  }
  m["files"]["references.json"] = digest;
  std::ofstream(tmp / "p" / "clip" / "manifest.json", std::ios::trunc) << m.dump(2);
  out = run_output("AUDIORIUM_PACKS=" + (tmp / "p").string() + " " + bin + " --data " + (tmp / "data").string() +
                       " --json packs verify test-clip-tiny",
                   &rc);
  EXPECT_EQ(rc, 1) << out;
  const auto j = json::parse(out.substr(out.find('{'), out.rfind('}') - out.find('{') + 1));
  EXPECT_EQ(j["references"]["checked"], true) << out;
  EXPECT_EQ(j["references"]["ok"], false) << out;
  EXPECT_NEAR(j["references"]["max_abs_diff"].get<double>(), 0.01, 1e-3) << out;
}

// The CLI: index with the pack beside dsp-v1 (incremental), text search, image search, a dim mismatch.
TEST_F(Packs, CliIndexesSearchesAndRefusesAMismatchedIndex) {
  namespace t = audiorium::testing;
  t::TempDir tmp;
  const auto music = three_track_music(tmp.path());
  const std::string bin = env("AUDIORIUM_BIN", "audiorium");
  const std::string pre = "AUDIORIUM_PACKS=" + packs().string() + " " + bin + " --data " + (tmp / "data").string() + " ";
  int rc = 0;
  auto out = run_output(pre + "--json index " + music.string() + " --embedder clap -j 2", &rc);
  ASSERT_EQ(rc, 0) << out;
  auto j = json::parse(out.substr(out.find('{')));
  EXPECT_EQ(j["pack"]["embedded"], 3);
  EXPECT_EQ(j["pack"]["index"]["vectors"], 3);
  EXPECT_EQ(j["index"]["embedder"], "dsp-v1");
  out = run_output(pre + "--json index " + music.string() + " --embedder clap", &rc);
  ASSERT_EQ(rc, 0) << out;
  j = json::parse(out.substr(out.find('{')));
  EXPECT_EQ(j["pack"]["embedded"], 0);
  EXPECT_EQ(j["pack"]["already_embedded"], 3);

  out = run_output(pre + "--json search \"calm piano\" --embedder clap -k 2 --seed 1", &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("\"results\""), std::string::npos) << out;

  const auto photo = tmp / "photo.png";
  cv::Mat img(120, 200, CV_8UC3, cv::Scalar(40, 90, 200));
  ASSERT_TRUE(cv::imwrite(photo.string(), img));
  out = run_output(pre + "--json image " + photo.string() + " --embedder clip+clap -k 2 --seed 1", &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("\"moods\""), std::string::npos) << out;

  // The same pack name and version exported with another dimension cannot use the stored vectors.
  const auto other = tmp / "other";
  make_pack(other / "clap", "clap", "--dim 16");
  out = run_output("AUDIORIUM_PACKS=" + other.string() + " " + bin + " --data " + (tmp / "data").string() +
                       " search calm --embedder clap",
                   &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("16-dimensional"), std::string::npos) << out;
}

}  // namespace

namespace {

namespace t = audiorium::testing;

json body_json(const std::string& answer) {
  const auto body = t::http_body(answer);
  try {
    return json::parse(body);
  } catch (const std::exception&) {
    ADD_FAILURE() << "not JSON: " << answer.substr(0, 400);
    return json::object();
  }
}

bool has_reason(const json& result, const std::string& kind) {
  for (const auto& r : result["reasons"])
    if (r["kind"] == kind) return true;
  return false;
}

}  // namespace

// `audiorium serve` picks the best embedder present: dsp-v1 while the CLAP pack has no vectors, the pack once it
// has them (status says which and why; search, similar, photos, the map and Subsonic use it), the background scan
// embeds new tracks with it, --embedder dsp-v1 overrides, and a pack that is named but absent stops the start.
TEST_F(Packs, ServerSearchesWithTheBestEmbedderPresent) {
  t::TempDir tmp;
  const auto music = three_track_music(tmp.path());
  const std::string data = (tmp / "data").string();
  const std::vector<std::string> child_env{"AUDIORIUM_PACKS=" + packs().string(), "OMP_WAIT_POLICY=PASSIVE"};
  const std::string pre =
      "AUDIORIUM_PACKS=" + packs().string() + " " + env("AUDIORIUM_BIN", "audiorium") + " --data " + data + " ";
  int rc = 0;
  auto out = run_output(pre + "index " + music.string(), &rc);
  ASSERT_EQ(rc, 0) << out;

  auto serve = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"--data", data, "serve", "--port", "0", "--user", "u", "--password", "pw"};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<t::Child>(args, child_env);
  };
  const std::regex ready("Ctrl-C");
  {
    // No CLAP vectors yet and no --music: dsp-v1, with the reason.
    auto s = serve({});
    const int port = t::port_of(s->read_until(ready, std::chrono::seconds(60)));
    ASSERT_GT(port, 0) << s->output();
    const auto st = body_json(t::http_get(port, "/api/status"));
    EXPECT_EQ(st["search_embedder"], "dsp-v1");
    EXPECT_EQ(st["model_packs_in_server"], false);
    EXPECT_TRUE(st["model_packs"]["clap"].is_null());
    EXPECT_NE(st["model_packs"]["notes"].dump().find("vectors for 0 of the 3"), std::string::npos) << st.dump();
  }

  out = run_output(pre + "index " + music.string() + " --embedder clap", &rc);
  ASSERT_EQ(rc, 0) << out;
  const auto clap_id = Pack::open(packs() / "clap")->embedder_id();
  // A fourth track the server's own background scan adds: analysed, then embedded with the pack.
  t::write_wav(music / "mid.wav", t::sine(440, 12, 22050), 22050);
  {
    auto s = serve({"--music", music.string(), "--jobs", "2"});
    const int port = t::port_of(s->read_until(ready, std::chrono::seconds(60)));
    ASSERT_GT(port, 0) << s->output();
    EXPECT_NE(s->output().find("model packs: searching with CLAP pack"), std::string::npos) << s->output();
    json st;
    for (int i = 0; i < 300; ++i) {
      st = body_json(t::http_get(port, "/api/status"));
      if (st["indexing"]["state"] == "done" || st["indexing"]["state"] == "failed") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ASSERT_EQ(st["indexing"]["state"], "done") << st.dump();
    EXPECT_NE(st["indexing"]["after_scan"].get<std::string>().find("1 embedded"), std::string::npos) << st.dump();
    EXPECT_EQ(st["search_embedder"], clap_id);
    EXPECT_EQ(st["model_packs_in_server"], true);
    EXPECT_EQ(st["model_packs"]["clap"]["embedder"], clap_id);
    EXPECT_FALSE(st["model_packs"]["clip"].is_null()) << st.dump();
    EXPECT_EQ(st["embedders"][clap_id], 4) << st.dump();
    EXPECT_EQ(st["index"]["size"], 4);
    EXPECT_EQ(st["index"]["dim"], st["model_packs"]["clap"]["dim"]);

    auto r = body_json(t::http_get(port, "/api/search?q=calm%20zzxq%20piano&k=3&seed=1"));
    EXPECT_EQ(r["embedder"], clap_id);
    ASSERT_EQ(r["results"].size(), 3u) << r.dump();
    for (const auto& x : r["results"]) EXPECT_TRUE(has_reason(x, "model")) << x.dump();
    EXPECT_TRUE(r["ignored"].empty()) << "CLAP's text tower read the whole prompt: " << r.dump();

    const int64_t id = r["results"][0]["id"];
    const auto sim = body_json(t::http_get(port, "/api/similar/" + std::to_string(id) + "?k=2&seed=1"));
    EXPECT_EQ(sim["embedder"], clap_id);
    EXPECT_EQ(sim["results"].size(), 2u) << sim.dump();
    EXPECT_EQ(body_json(t::http_get(port, "/api/map"))["count"], 4);

    std::vector<uchar> png;
    ASSERT_TRUE(cv::imencode(".png", cv::Mat(96, 160, CV_8UC3, cv::Scalar(200, 80, 30)), png));
    const auto img = body_json(t::http_request(port, "POST", "/api/search/image?k=2&seed=1",
                                               std::string(png.begin(), png.end()), "image/png"));
    EXPECT_EQ(img["embedder"], clap_id);
    ASSERT_FALSE(img["moods"].empty()) << img.dump();
    EXPECT_TRUE(img["moods"][0]["music_prompt"].is_string());
    EXPECT_EQ(img["results"].size(), 2u);
    for (const auto& x : img["results"]) EXPECT_TRUE(has_reason(x, "model")) << x.dump();
    // Not an image: a 400 with the decoder's message, not a crash of the CLIP path.
    EXPECT_NE(t::http_request(port, "POST", "/api/search/image", "not a picture", "image/png").find(" 400 "),
              std::string::npos);

    const std::string auth = "u=u&p=pw&v=1.16.1&c=test&f=json";
    const auto songs = body_json(t::http_get(port, "/rest/getRandomSongs?" + auth + "&size=1"));
    const auto song = songs["subsonic-response"]["randomSongs"]["song"][0]["id"].get<std::string>();
    const auto sonic = body_json(t::http_get(port, "/rest/getSonicSimilarTracks?" + auth + "&count=2&id=" + song));
    EXPECT_EQ(sonic["subsonic-response"]["sonicSimilarTracks"]["embedder"], clap_id) << sonic.dump();
    EXPECT_EQ(sonic["subsonic-response"]["sonicSimilarTracks"]["sonicMatch"].size(), 2u);
  }
  {
    auto s = serve({"--embedder", "dsp-v1"});
    const int port = t::port_of(s->read_until(ready, std::chrono::seconds(60)));
    ASSERT_GT(port, 0) << s->output();
    EXPECT_EQ(body_json(t::http_get(port, "/api/status"))["search_embedder"], "dsp-v1");
  }
  {
    auto s = serve({"--embedder", "clap:no-such-pack"});
    EXPECT_EQ(s->wait(std::chrono::seconds(60)), 1) << s->output();
    EXPECT_NE(s->output().find("no-such-pack"), std::string::npos) << s->output();
  }
}
