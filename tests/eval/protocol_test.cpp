// The protocol, the report and the horse checks on a generated library whose styles and labels are known.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "eval/horse.h"
#include "eval/protocol.h"
#include "eval/report.h"
#include "library/library.h"
#include "support/generated_library.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace audiorium::eval;
using audiorium::library::Library;
using audiorium::testing::TempDir;
using nlohmann::json;

namespace {

// 12 tracks: drone-*, beat-*, noise-* (4 each). Drones are on a major, beats on an independent label, the noise
// tracks have no label (unknown); every track has its style; popularity favours the beats.
LabelsFile style_labels() {
  std::ostringstream csv;
  csv << "track,label,class,style,popularity\n";
  for (int i = 0; i < 4; ++i) {
    for (const char* ext : {".wav", ".ogg"}) {
      csv << "drone-" << i << ext << ",Drone Major,major,drone,1\n";
      csv << "beat-" << i << ext << ",Beat Indie,independent,beat,50\n";
      csv << "noise-" << i << ext << ",,,noise,0\n";
    }
  }
  csv << "oops,too,many,fields,here,really\n";
  std::istringstream in(csv.str());
  return read_labels_csv(in);
}

class ProtocolTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    audiorium::testing::make_style_library(tmp_->path() / "music", 4, 6.0);
    auto lib = Library::open(tmp_->path() / "data");
    audiorium::library::ScanOptions so;
    so.jobs = 2;
    lib.scan(tmp_->path() / "music", so);
  }
  static void TearDownTestSuite() { delete tmp_; }
  static Library library() { return Library::open(tmp_->path() / "data"); }
  static ProtocolOptions small() {
    ProtocolOptions o;
    o.repetitions = 2;
    o.seed_tracks = 4;
    o.prompts = {"fast drums", "slow dark"};
    o.queue_runs = 1;
    o.queue_length = 5;
    o.horse.tracks = 0;
    return o;
  }
  static TempDir* tmp_;
};
TempDir* ProtocolTest::tmp_ = nullptr;

const json& system_named(const json& r, const std::string& name) {
  for (const auto& s : r["systems"])
    if (s["name"] == name) return s;
  throw std::runtime_error("no system " + name);
}

}  // namespace

TEST_F(ProtocolTest, DeterministicForASeedDifferentForAnotherAndKnownLabelsCounted) {
  auto lib = library();
  const auto labels = style_labels();
  ASSERT_EQ(labels.problems.size(), 1u);
  const auto a = run_protocol(lib, small(), &labels, "labels.csv");
  const auto b = run_protocol(lib, small(), &labels, "labels.csv");
  EXPECT_EQ(a.dump(), b.dump());
  auto other = small();
  other.seed = 2;
  const auto c = run_protocol(lib, other, &labels, "labels.csv");
  EXPECT_NE(a["queries"]["repetitions"][0]["seed_tracks"], c["queries"]["repetitions"][0]["seed_tracks"]);
  EXPECT_EQ(a["protocol"]["seeds"], json({1, 2}));

  EXPECT_EQ(a["library"]["indexed"], 12);
  EXPECT_EQ(a["library"]["labels"]["major"], 4);
  EXPECT_EQ(a["library"]["labels"]["independent"], 4);
  EXPECT_EQ(a["library"]["labels"]["unknown"], 4);
  EXPECT_EQ(a["library"]["labels"]["problems"][0]["line"], 26);
  EXPECT_NEAR(a["catalog_homogeneity"]["share"].get<double>(), 0.5, 1e-12);
  EXPECT_EQ(a["systems"].size(), 4u);  // popularity column → the popular system runs
  const auto& sim = system_named(a, "similarity");
  const auto& h = sim["homogeneity"];
  EXPECT_EQ(h["list_length"], 11);  // top-100 capped by the library
  EXPECT_GT(h["unknown"].get<int>(), 0);
  const double share = h["share"];
  EXPECT_NEAR(share, h["major"].get<double>() / (h["major"].get<double>() + h["independent"].get<double>()), 1e-12);
  // Three distinct styles: same-style retrieval works, and the popular system's picks are more popular.
  // (k = 10 but each style has only 3 other tracks: precision@10 is at most 0.3; nDCG and MAP see the order.)
  EXPECT_LE(sim["retrieval"]["precision_at_k"].get<double>(), 0.3 + 1e-12);
  EXPECT_GT(sim["retrieval"]["ndcg_at_k"].get<double>(), 0.8);
  EXPECT_GT(sim["retrieval"]["map"].get<double>(), 0.8);
  EXPECT_GT(system_named(a, "popular")["popularity_percentile"].get<double>(), sim["popularity_percentile"].get<double>());
  EXPECT_TRUE(a["not_computed"].is_array());
  EXPECT_EQ(a["tradeoff"]["rule"].size(), small().taus.size());
  EXPECT_EQ(a["queues"].size(), 3u);
}

TEST_F(ProtocolTest, WithoutLabelsSaysWhatItCouldNotComputeAndTheReportIsWritten) {
  auto lib = library();
  const auto r = run_protocol(lib, small(), nullptr);
  EXPECT_EQ(r["systems"].size(), 3u);  // no popularity data: no popular system
  std::string reasons;
  for (const auto& n : r["not_computed"]) reasons += n["metric"].get<std::string>() + "\n";
  EXPECT_NE(reasons.find("label homogeneity"), std::string::npos);
  EXPECT_NE(reasons.find("retrieval quality"), std::string::npos);
  EXPECT_NE(reasons.find("popularity-biased baseline"), std::string::npos);
  const auto& sim = system_named(r, "similarity");
  EXPECT_TRUE(sim["homogeneity"]["share"].is_null());
  EXPECT_GT(sim["ild"].get<double>(), 0.0);  // diversity needs no labels
  EXPECT_GT(sim["coverage"].get<double>(), 0.0);

  TempDir out;
  const auto files = write_report(r, out.path() / "report");
  EXPECT_EQ(files.size(), 5u);
  for (const char* name : {"index.html", "homogeneity.svg", "tradeoff.svg", "lorenz.svg", "report.json"})
    EXPECT_TRUE(fs::exists(out.path() / "report" / name)) << name;
  std::ifstream html(out.path() / "report" / "index.html");
  const std::string page((std::istreambuf_iterator<char>(html)), std::istreambuf_iterator<char>());
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_NE(page.find("Not computed"), std::string::npos);
  EXPECT_EQ(page.find("src=\"http"), std::string::npos);  // self-contained
  EXPECT_EQ(page.find("href=\"http"), std::string::npos);
  EXPECT_EQ(html_report(r), page);  // deterministic
}

TEST_F(ProtocolTest, LabelledReportDrawsEveryPlot) {
  auto lib = library();
  const auto labels = style_labels();
  const auto r = run_protocol(lib, small(), &labels);
  EXPECT_NE(homogeneity_svg(r).find("baseline 0.30"), std::string::npos);
  EXPECT_NE(tradeoff_svg(r).find("<polyline"), std::string::npos);
  EXPECT_NE(lorenz_svg(r).find("Gini"), std::string::npos);
  EXPECT_NE(text_summary(r).find("similarity"), std::string::npos);
}

TEST_F(ProtocolTest, HorseChecksFindTheOriginalAfterGainChanges) {
  auto lib = library();
  HorseOptions o;
  o.tracks = 12;
  o.jobs = 2;
  const auto r = run_horse_checks(lib, o);
  EXPECT_EQ(r.tracks.size(), 12u);
  EXPECT_EQ(r.skipped, 0u) << (r.notes.empty() ? "" : r.notes.front());
  ASSERT_EQ(r.transforms.size(), 6u);
  EXPECT_FALSE(r.codec.empty());
  for (const auto& t : r.transforms) {
    EXPECT_EQ(t.tried, 12u) << t.name;
    if (t.name == "identity") {
      EXPECT_DOUBLE_EQ(t.hit_rate, 1.0);
    }
    if (t.name == "gain+6dB" || t.name == "gain-6dB") {
      EXPECT_GE(t.hit_rate, 0.75) << t.name;
    }
  }
}

TEST(EmptyLibrary, GivesAReportThatSaysWhy) {
  TempDir tmp;
  auto lib = Library::open(tmp.path() / "data");
  const auto r = run_protocol(lib, ProtocolOptions{}, nullptr);
  EXPECT_EQ(r["library"]["indexed"], 0);
  EXPECT_TRUE(r["systems"].empty());
  bool said = false;
  for (const auto& n : r["not_computed"]) said = said || n["reason"] == "the library has no indexed tracks";
  EXPECT_TRUE(said);
  EXPECT_EQ(write_report(r, tmp.path() / "report").size(), 5u);
  EXPECT_NE(lorenz_svg(r).find("Not computed"), std::string::npos);
}

TEST(Transformations, GainLowpassAndReencodeKeepTheSignal) {
  const auto x = audiorium::testing::sine(440.0, 1.0, 22050, 0.25);
  const auto up = apply_gain_db(x, 6.0);
  EXPECT_NEAR(up[100] / x[100], std::pow(10.0, 6.0 / 20.0), 1e-4);
  // A 440 Hz tone passes a 4 kHz low-pass; an 8 kHz one is attenuated by far more than 20 dB.
  auto rms = [](const std::vector<float>& v) {
    double s = 0;
    for (std::size_t i = v.size() / 2; i < v.size(); ++i) s += static_cast<double>(v[i]) * v[i];
    return std::sqrt(s / static_cast<double>(v.size() / 2));
  };
  EXPECT_NEAR(rms(lowpass(x, 22050, 4000)) / rms(x), 1.0, 0.02);
  const auto high = audiorium::testing::sine(8000.0, 1.0, 22050, 0.25);
  EXPECT_LT(rms(lowpass(high, 22050, 4000)) / rms(high), 0.1);
  std::string codec;
  const auto y = reencode(x, 22050, 32, &codec);
  EXPECT_FALSE(codec.empty());
  ASSERT_EQ(y.size(), x.size());
  EXPECT_NEAR(rms(y) / rms(x), 1.0, 0.1);
  // Aligned with the input: the encoder's priming delay is removed, so a broadband signal correlates at lag 0.
  const auto noise = lowpass(audiorium::testing::white_noise(2.0, 22050, 0.3, 7u), 22050, 3000);
  const auto z = reencode(noise, 22050, 64);
  double xy = 0, xx = 0, yy = 0;
  for (std::size_t i = 4096; i + 4096 < noise.size(); ++i) {
    xy += static_cast<double>(noise[i]) * z[i];
    xx += static_cast<double>(noise[i]) * noise[i];
    yy += static_cast<double>(z[i]) * z[i];
  }
  EXPECT_GT(xy / std::sqrt(xx * yy), 0.8);
}
