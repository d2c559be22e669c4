// Adds N synthetic tracks to a library's catalog, for the soak and load tests of a library far larger than the
// music at hand: real catalog rows written through catalog::Catalog (tags, stream facts, descriptors and dsp-v1
// raw vectors of the embedder's dimension), no audio. Vectors and descriptors are drawn around the real tracks
// already in the catalog (each synthetic track is a jittered copy of a real one, so the clusters of the real
// library are kept at scale); without real tracks, around random cluster centres. Paths point to files that do
// not exist (/synthetic/…): such tracks are found, searched, queued and put in playlists like any other, but not
// streamed (404), and an `audiorium index` of the library removes them again (their files are missing).
//
//   bench_make_synthetic_catalog --data DIR --tracks 100000 [--seed 1] [--clusters 400]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "catalog/catalog.h"
#include "embed/embedder.h"
#include "library/library.h"

namespace {

using audiorium::catalog::TrackAnalysis;

struct Prototype {
  std::vector<float> vector;
  std::map<std::string, double> descriptors;
  std::string genre;
  double duration_s = 180;
};

const char* const kGenres[] = {"Ambient", "Rock", "Jazz", "Classical", "Electronic", "Folk", "Soundtrack",
                               "Hip-Hop", "Metal", "Pop", "Blues", "World"};
const char* const kWords[] = {"Night", "River", "Glass", "Ember", "North", "Echo", "Velvet", "Iron", "Paper",
                              "Signal", "Harbor", "Dust", "Orbit", "Lantern", "Tide", "Cinder", "Meadow", "Static"};

std::string words(std::mt19937_64& rng, int n) {
  std::uniform_int_distribution<std::size_t> pick(0, std::size(kWords) - 1);
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? " " : "") + std::string(kWords[pick(rng)]);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Adds synthetic tracks (vectors, descriptors, tags; no audio) to a library's catalog"};
  std::string data;
  int64_t count = 100000;
  std::uint64_t seed = 1;
  int clusters = 400;
  app.add_option("--data", data, "the library's data folder (created if missing)")->required();
  app.add_option("--tracks", count, "how many synthetic tracks to add")->check(CLI::Range(int64_t{1}, int64_t{10'000'000}));
  app.add_option("--seed", seed, "random seed (the same seed gives the same tracks)");
  app.add_option("--clusters", clusters, "cluster centres when the catalog has no real tracks")->check(CLI::Range(1, 100000));
  CLI11_PARSE(app, argc, argv);

  try {
    const auto started = std::chrono::steady_clock::now();
    auto lib = audiorium::library::Library::open(data);
    auto& catalog = lib.catalog();
    const auto& embedder = lib.embedder();
    const int dim = embedder.raw_dim();
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);

    // Prototypes: the real tracks with a vector of this embedder, else random centres.
    std::vector<Prototype> protos;
    const auto real = catalog.vectors(embedder.id());
    const auto descriptors = catalog.all_descriptors();
    std::vector<float> spread(static_cast<std::size_t>(dim), 1.0f);
    std::map<int64_t, audiorium::catalog::Track> tracks;
    for (auto& t : catalog.tracks()) tracks.emplace(t.id, std::move(t));
    for (std::size_t i = 0; i < real.ids.size(); ++i) {
      const auto t = tracks.find(real.ids[i]);
      if (t == tracks.end() || t->second.path.rfind("/synthetic/", 0) == 0) continue;  // real music only
      Prototype p;
      p.vector.assign(real.row(i), real.row(i) + dim);
      if (auto it = descriptors.find(real.ids[i]); it != descriptors.end()) p.descriptors = it->second;
      p.genre = t->second.tags.genre;
      p.duration_s = t->second.duration_s > 0 ? t->second.duration_s : 180;
      protos.push_back(std::move(p));
    }
    if (protos.size() >= 2) {
      // The per-dimension spread of the real vectors sets the jitter's scale.
      for (int d = 0; d < dim; ++d) {
        double mean = 0, sq = 0;
        for (const auto& p : protos) mean += p.vector[static_cast<std::size_t>(d)];
        mean /= static_cast<double>(protos.size());
        for (const auto& p : protos) sq += std::pow(p.vector[static_cast<std::size_t>(d)] - mean, 2);
        spread[static_cast<std::size_t>(d)] = static_cast<float>(std::sqrt(sq / static_cast<double>(protos.size())) + 1e-6);
      }
    } else {
      protos.clear();
      std::uniform_real_distribution<double> u(0, 1);
      for (int c = 0; c < clusters; ++c) {
        Prototype p;
        for (int d = 0; d < dim; ++d) p.vector.push_back(normal(rng));
        p.descriptors = {{"tempo_bpm", 60 + 120 * u(rng)}, {"energy", u(rng)},           {"brightness", u(rng)},
                         {"percussiveness", u(rng)},       {"tonalness", u(rng)},        {"loudness_lufs", -30 + 22 * u(rng)},
                         {"dynamic_range_db", 3 + 15 * u(rng)}, {"key", std::floor(12 * u(rng))}, {"mode", std::floor(2 * u(rng))}};
        protos.push_back(std::move(p));
      }
    }
    std::printf("prototypes: %zu (%s), raw dimension %d\n", protos.size(),
                protos.size() == static_cast<std::size_t>(clusters) && real.ids.empty() ? "random centres" : "the real tracks", dim);

    const auto first_index = static_cast<int64_t>(catalog.stats().tracks);
    std::uniform_int_distribution<std::size_t> pick_proto(0, protos.size() - 1);
    std::uniform_int_distribution<int> year(1960, 2025);
    std::uniform_real_distribution<double> jitter(-1, 1);
    const int64_t artists = std::max<int64_t>(1, count / 40);
    constexpr int64_t kBatch = 5000;
    for (int64_t done = 0; done < count;) {
      audiorium::catalog::Catalog::Transaction tx(catalog);
      for (int64_t b = 0; b < kBatch && done < count; ++b, ++done) {
        const int64_t n = first_index + done;
        const auto& proto = protos[pick_proto(rng)];
        TrackAnalysis a;
        const int64_t artist = static_cast<int64_t>(rng() % static_cast<std::uint64_t>(artists));
        const int64_t album = artist * 4 + static_cast<int64_t>(rng() % 4);
        const int number = 1 + static_cast<int>(rng() % 12);
        a.track.path = "/synthetic/artist-" + std::to_string(artist) + "/album-" + std::to_string(album) + "/" +
                       std::to_string(n) + ".ogg";
        a.track.size_bytes = 3'000'000 + static_cast<int64_t>(rng() % 6'000'000);
        a.track.mtime_ns = 1'700'000'000'000'000'000 + n;
        a.track.duration_s = std::max(20.0, proto.duration_s * (1 + 0.3 * jitter(rng)));
        a.track.codec = "vorbis";
        a.track.sample_rate = 44100;
        a.track.channels = 2;
        a.track.bit_rate = 160000;
        a.track.tags.artist = "Synthetic " + words(rng, 1) + " " + std::to_string(artist);
        a.track.tags.album_artist = a.track.tags.artist;
        a.track.tags.album = words(rng, 2) + " " + std::to_string(album);
        a.track.tags.title = words(rng, 1 + static_cast<int>(rng() % 3)) + " " + std::to_string(n);
        a.track.tags.genre = !proto.genre.empty() && rng() % 2 ? proto.genre : kGenres[rng() % std::size(kGenres)];
        a.track.tags.year = year(rng);
        a.track.tags.track_number = number;
        for (const auto& [name, value] : proto.descriptors)
          a.descriptors.emplace_back(name, name == "key" || name == "mode" ? value : value * (1 + 0.1 * jitter(rng)));
        a.embedder = embedder.id();
        a.vector.resize(static_cast<std::size_t>(dim));
        for (int d = 0; d < dim; ++d)
          a.vector[static_cast<std::size_t>(d)] =
              proto.vector[static_cast<std::size_t>(d)] + 0.35f * spread[static_cast<std::size_t>(d)] * normal(rng);
        catalog.commit_analysis(a);
      }
      tx.commit();
      std::printf("\r%lld / %lld", static_cast<long long>(done), static_cast<long long>(count));
      std::fflush(stdout);
    }
    std::printf("\nrebuilding the index…\n");
    lib.rebuild_index();
    const auto info = lib.index_info();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("catalog: %lld tracks, index %s of %zu vectors (dim %d), %.1f s\n",
                static_cast<long long>(catalog.stats().tracks), info.factory.c_str(), info.vectors, info.dim, secs);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_synthetic_catalog: %s\n", e.what());
    return 1;
  }
}
