// Search latency over a synthetic 10k-track library (clustered vectors, plausible descriptors, sparse
// genre tags): text prompts end to end (parse + fuse + order + reasons) and image queries including the
// decode of a 1600×1200 JPEG. Prints p50/p99; the targets are p99 < 30 ms (text) and < 150 ms (image).
//   bench_search_latency [--tracks 10000] [--repeats 50]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include <CLI/CLI.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image/mood.h"
#include "query/parser.h"
#include "recommend/search.h"

namespace {

using Clock = std::chrono::steady_clock;
using audiorium::recommend::SearchEngine;
using audiorium::recommend::TrackFacts;

std::vector<TrackFacts> synthetic_library(int n) {
  std::mt19937 rng(42);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const char* genres[] = {"jazz", "rock", "ambient", "techno", "classical", "folk", "pop", "metal", "piano", "soundtrack"};
  constexpr int dim = 146, clusters = 50;
  std::vector<std::vector<float>> centres(clusters, std::vector<float>(dim));
  for (auto& c : centres)
    for (float& x : c) x = g(rng);
  std::vector<TrackFacts> out;
  for (int i = 0; i < n; ++i) {
    TrackFacts t;
    t.id = i + 1;
    const auto& c = centres[static_cast<std::size_t>(i % clusters)];
    t.embedding.resize(dim);
    float norm = 0;
    for (int d = 0; d < dim; ++d) norm += (t.embedding[static_cast<std::size_t>(d)] = c[static_cast<std::size_t>(d)] + 0.7f * g(rng)) * t.embedding[static_cast<std::size_t>(d)];
    for (float& x : t.embedding) x /= std::sqrt(norm);
    t.descriptors = {{"tempo_bpm", 60 + 120 * u(rng)}, {"mode", u(rng) < 0.6 ? 1.0 : 0.0}, {"energy_db", -35 + 25 * u(rng)},
                     {"brightness_hz", 500 + 3500 * u(rng)}, {"percussiveness", u(rng)}, {"tonalness", u(rng)},
                     {"onset_rate", 6 * u(rng)}, {"dynamic_range_db", 30 * u(rng)}, {"loudness_lufs", -30 + 20 * u(rng)},
                     {"tempo_confidence", u(rng)}, {"loudness_range_lu", 20 * u(rng)}};
    t.title = "Track " + std::to_string(i);
    t.artist = "Artist " + std::to_string(i % 700);
    t.album = "Album " + std::to_string(i % 1500);
    if (u(rng) < 0.3) t.genre = genres[i % clusters % 10];
    out.push_back(std::move(t));
  }
  return out;
}

void report(const char* what, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double p) { return ms[static_cast<std::size_t>(p * static_cast<double>(ms.size() - 1))]; };
  std::printf("  %-34s n=%-5zu p50 %7.2f ms   p99 %7.2f ms   max %7.2f ms\n", what, ms.size(), at(0.5), at(0.99), ms.back());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"search latency on a synthetic library"};
  int tracks = 10000, repeats = 50;
  app.add_option("--tracks", tracks);
  app.add_option("--repeats", repeats);
  CLI11_PARSE(app, argc, argv);

  auto t0 = Clock::now();
  SearchEngine engine(synthetic_library(tracks));
  std::printf("Search engine over %d synthetic tracks built in %.0f ms (%zu learned tag words)\n", tracks,
              std::chrono::duration<double, std::milli>(Clock::now() - t0).count(), engine.tag_model().words().size());

  const char* prompts[] = {"slow dark piano", "upbeat 128 bpm electronic, bright", "calm ambient", "fast rock",
                           "not sad, very fast, no drums", "jazz", "orchestral", "like 'Track 17' but calmer"};
  audiorium::recommend::SearchOptions o;
  std::vector<double> text_ms;
  for (int r = 0; r < repeats; ++r)
    for (const char* p : prompts) {
      o.seed = static_cast<std::uint64_t>(r);
      const auto s = Clock::now();
      audiorium::recommend::SearchRequest req{audiorium::query::parse_query(p), {}, std::nullopt, std::nullopt};
      if (req.parsed.track_reference) req.anchor_track = 18;  // what the catalog lookup would resolve
      const auto resp = engine.search(req, o);
      text_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
      if (resp.results.empty()) std::printf("  (no results for '%s')\n", p);
    }
  std::printf("Text search, k=10, pool ×3, MMR λ=0.8, caps on:\n");
  report("parse + search + reasons", text_ms);

  // A photo-like JPEG: a warm gradient with noise.
  cv::Mat img(1200, 1600, CV_8UC3);
  cv::randu(img, cv::Scalar(0, 0, 0), cv::Scalar(60, 120, 255));
  std::vector<unsigned char> jpeg;
  cv::imencode(".jpg", img, jpeg, {cv::IMWRITE_JPEG_QUALITY, 90});
  std::vector<double> image_ms;
  for (int r = 0; r < repeats; ++r) {
    const auto s = Clock::now();
    const auto mood = audiorium::image::analyse_image_bytes(jpeg);
    audiorium::recommend::SearchRequest req{{}, audiorium::image::mood_targets(mood), std::nullopt, std::nullopt};
    o.seed = static_cast<std::uint64_t>(r);
    (void)engine.search(req, o);
    image_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
  }
  std::printf("Image search (%zu KB JPEG 1600×1200):\n", jpeg.size() / 1024);
  report("decode + mood + search", image_ms);
  return 0;
}
