// Model-pack runtime figures (issue 6): load time, audio embedding throughput (× real time, batch 1 and 8), text
// query latency p50/p99 and image query latency, on packs made by tools/packs/make_test_pack.py (tiny or
// realistic size) or exported ones.
//   bench_neural_pack --clap DIR [--clip DIR] [--threads N] [--seconds 60]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "packembed/pack.h"
#include "packembed/runtime.h"

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5))];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Model-pack runtime benchmark"};
  std::string clap_dir, clip_dir;
  int threads = 2, queries = 50;
  double seconds = 60;
  app.add_option("--clap", clap_dir, "CLAP pack folder");
  app.add_option("--clip", clip_dir, "CLIP pack folder");
  app.add_option("--threads", threads, "libtorch intra-op threads");
  app.add_option("--seconds", seconds, "seconds of audio per throughput run");
  app.add_option("--queries", queries, "text/image queries for the latency figures");
  CLI11_PARSE(app, argc, argv);
  namespace pe = audiorium::packembed;
  try {
    auto t0 = Clock::now();
    pe::set_threads(threads);
    std::printf("runtime: plugin loaded in %.3f s (libtorch %s, %d threads)\n", since(t0),
                pe::runtime().torch_version.c_str(), pe::threads());
    if (!clap_dir.empty()) {
      t0 = Clock::now();
      auto clap = pe::Pack::open(clap_dir);
      std::printf("clap '%s': loaded in %.3f s (dim %d)\n", clap->spec().name.c_str(), since(t0), clap->dim());
      const int sr = clap->spec().audio->sample_rate;
      std::vector<float> wave(static_cast<std::size_t>(seconds * sr));
      for (std::size_t i = 0; i < wave.size(); ++i) wave[i] = 0.3f * static_cast<float>(std::sin(0.01 * static_cast<double>(i)));
      for (int batch : {1, 8}) {
        clap->set_batch(batch);
        clap->embed_audio(std::vector<float>(wave.begin(), wave.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(wave.size(), 10u * static_cast<std::size_t>(sr)))));  // warm-up
        t0 = Clock::now();
        const auto windows = clap->window_embeddings(wave).size();
        const double s = since(t0);
        const double audio_s = static_cast<double>(windows) * clap->spec().audio->window_s;
        std::printf("  audio batch %d: %zu windows of %.0f s in %.2f s = %.1f x real time (window audio), %.1f x (track)\n",
                    batch, windows, clap->spec().audio->window_s, s, audio_s / s, seconds / s);
      }
      clap->set_batch(1);
      std::vector<double> lat;
      clap->embed_text("warm-up");
      for (int i = 0; i < queries; ++i) {
        t0 = Clock::now();
        clap->embed_text("aggressive 808 trap with dark strings number " + std::to_string(i));
        lat.push_back(since(t0) * 1000);
      }
      std::printf("  text query: p50 %.1f ms, p99 %.1f ms (%d queries)\n", pct(lat, 0.5), pct(lat, 0.99), queries);
    }
    if (!clip_dir.empty()) {
      t0 = Clock::now();
      auto clip = pe::Pack::open(clip_dir);
      std::printf("clip '%s': loaded in %.3f s (dim %d)\n", clip->spec().name.c_str(), since(t0), clip->dim());
      const int w = 640, h = 480;
      std::vector<uint8_t> rgb(static_cast<std::size_t>(w) * h * 3);
      for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>((i * 7) % 251);
      clip->embed_image_rgb(rgb, w, h);
      std::vector<double> lat;
      for (int i = 0; i < std::max(5, queries / 5); ++i) {
        t0 = Clock::now();
        clip->embed_image_rgb(rgb, w, h);
        lat.push_back(since(t0) * 1000);
      }
      std::printf("  image query (640x480 → resize, crop, tower): p50 %.1f ms, p99 %.1f ms\n", pct(lat, 0.5), pct(lat, 0.99));
      std::vector<double> tl;
      for (int i = 0; i < queries; ++i) {
        t0 = Clock::now();
        clip->embed_text("a photo with a calm mood " + std::to_string(i));
        tl.push_back(since(t0) * 1000);
      }
      std::printf("  text query: p50 %.1f ms, p99 %.1f ms\n", pct(tl, 0.5), pct(tl, 0.99));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_neural_pack: %s\n", e.what());
    return 1;
  }
  return 0;
}
