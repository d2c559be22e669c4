// The Explore map's figures on synthetic clustered embeddings at dsp-v1's dimension: projection time, how many
// of each track's 10 nearest neighbours the 2D/3D maps keep (on a 2,000-track sample: the measure is O(n²)),
// and the /api/map body that the server sends (its size, and the time to build and serialise it). Usage:
//   bench_map_projection [tracks=10000] [dim=146] [clusters=40]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "core/vector_math.h"
#include "library/map_json.h"
#include "recommend/map_projection.h"

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

std::vector<float> clustered(std::size_t n, int dim, int clusters, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g;
  const auto d = static_cast<std::size_t>(dim);
  std::vector<float> centres(static_cast<std::size_t>(clusters) * d), out(n * d);
  for (auto& x : centres) x = g(rng);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = i % static_cast<std::size_t>(clusters);
    for (std::size_t j = 0; j < d; ++j) out[i * d + j] = centres[c * d + j] / 3.0f + 0.7f * g(rng) / 3.0f;
    audiorium::l2_normalise(std::span(out).subspan(i * d, d));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10000;
  const int dim = argc > 2 ? std::atoi(argv[2]) : 146;
  const int clusters = argc > 3 ? std::atoi(argv[3]) : 40;
  const auto rows = clustered(n, dim, clusters, 7);

  auto t0 = Clock::now();
  auto map = audiorium::recommend::project_map(rows, n, dim);
  const double project_ms = ms_since(t0);
  std::printf("project_map: %zu tracks × %d dims in %.1f ms (explained variance %.3f %.3f %.3f)\n", n, dim, project_ms,
              map.explained_variance[0], map.explained_variance[1], map.explained_variance[2]);

  const std::size_t sample = std::min<std::size_t>(n, 2000);
  const auto sample_rows = clustered(sample, dim, clusters, 7);
  const auto small = audiorium::recommend::project_map(sample_rows, sample, dim);
  const double kept3 = audiorium::recommend::neighbourhood_preservation(sample_rows, dim, small.xyz, 3, sample, 10);
  const double kept2 = audiorium::recommend::neighbourhood_preservation(sample_rows, dim, small.xy, 2, sample, 10);
  std::printf("10-NN kept on %zu tracks: 3D %.3f, 2D %.3f (chance %.4f)\n", sample, kept3, kept2,
              10.0 / static_cast<double>(sample - 1));

  // A library map as the server would hold it: tags from a few hundred artists and albums, all descriptors.
  audiorium::library::LibraryMap lib;
  lib.generation = 1;
  lib.projection = std::move(map);
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  for (std::size_t i = 0; i < n; ++i) {
    audiorium::catalog::Track t;
    t.id = static_cast<int64_t>(i + 1);
    t.path = "/music/artist " + std::to_string(i % 400) + "/album " + std::to_string(i % 900) + "/track " + std::to_string(i) + ".flac";
    t.tags.title = "Track number " + std::to_string(i);
    t.tags.artist = "Artist " + std::to_string(i % 400);
    t.tags.album = "Album " + std::to_string(i % 900);
    t.tags.genre = "Genre " + std::to_string(i % 25);
    t.tags.year = 1960 + static_cast<int>(i % 60);
    t.duration_s = 120 + 240 * u(rng);
    lib.tracks.push_back(std::move(t));
    lib.descriptors.push_back({{"tempo_bpm", 60 + 120 * u(rng)}, {"energy_db", -40 + 30 * u(rng)},
                               {"loudness_lufs", -30 + 25 * u(rng)}, {"brightness_hz", 500 + 4000 * u(rng)},
                               {"percussiveness", u(rng)}, {"tonalness", u(rng)}, {"dynamic_range_db", 30 * u(rng)},
                               {"onset_rate", 8 * u(rng)}, {"key_strength", u(rng)}, {"key", std::floor(12 * u(rng))},
                               {"mode", u(rng) < 0.5 ? 0.0 : 1.0}});
  }
  t0 = Clock::now();
  const auto body = audiorium::library::map_json(lib).dump();
  const double json_ms = ms_since(t0);
  std::printf("/api/map body: %zu tracks, %.0f KiB, built and serialised in %.1f ms (cached per generation after that)\n",
              n, static_cast<double>(body.size()) / 1024.0, json_ms);
  return 0;
}
