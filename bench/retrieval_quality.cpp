// Retrieval quality of the default embedding on a labelled library: for every track, do its nearest
// neighbours come from the same soundtrack? Labels are the first folder under the music root (one Debian
// package = one soundtrack in the demo library); labels with fewer than --min-tracks tracks are left out.
//
//   bench_retrieval_quality --data DIR --root MUSIC_DIR [--k 5] [--min-tracks 10]
//
// Prints precision@k (leave-one-out, all tracks as queries) for: chance, a plain MFCC mean/std baseline
// (the same standardisation, no other features), each dsp-v1 block alone, and dsp-v1 as shipped; then a
// small sweep of block weights so the shipped weights are justified by numbers, not taste.
#include <algorithm>
#include <array>
#include <functional>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "embed/dsp_embedder.h"
#include "library/library.h"

namespace {

namespace fs = std::filesystem;
using audiorium::embed::kDspBlocks;

struct Labelled {
  std::vector<int> label;
  std::vector<std::vector<float>> raw;
  std::vector<std::string> names;
};

// The plain baseline: MFCC mean and std (the first 40 raw values), z-scored with library statistics, L2 norm.
std::vector<std::vector<float>> mfcc_baseline(const Labelled& d) {
  constexpr std::size_t dim = 40;
  const double n = static_cast<double>(d.raw.size());
  std::vector<double> mean(dim, 0), var(dim, 0);
  for (const auto& v : d.raw)
    for (std::size_t i = 0; i < dim; ++i) mean[i] += v[i] / n;
  for (const auto& v : d.raw)
    for (std::size_t i = 0; i < dim; ++i) var[i] += (v[i] - mean[i]) * (v[i] - mean[i]) / n;
  std::vector<std::vector<float>> out;
  for (const auto& raw : d.raw) {
    std::vector<float> v(dim);
    double sq = 0;
    for (std::size_t i = 0; i < dim; ++i) {
      v[i] = var[i] > 1e-12 ? static_cast<float>((raw[i] - mean[i]) / std::sqrt(var[i])) : 0.0f;
      sq += v[i] * v[i];
    }
    for (float& x : v) x = sq > 0 ? static_cast<float>(x / std::sqrt(sq)) : 0.0f;
    out.push_back(std::move(v));
  }
  return out;
}

// dsp-v1's own finisher, fitted on the labelled tracks, with the given block weights.
std::vector<std::vector<float>> dsp_finished(const Labelled& d, std::array<float, 4> weights) {
  audiorium::embed::DspEmbedder embedder(audiorium::embed::BlockWeights{weights});
  std::vector<float> rows;
  for (const auto& v : d.raw) rows.insert(rows.end(), v.begin(), v.end());
  const auto finisher = embedder.fit(rows, d.raw.size());
  std::vector<std::vector<float>> out;
  for (const auto& v : d.raw) out.push_back(finisher->apply(v));
  return out;
}

double precision_at_k(const std::vector<std::vector<float>>& vecs, const std::vector<int>& label, int k) {
  const std::size_t n = vecs.size();
  double total = 0;
  for (std::size_t q = 0; q < n; ++q) {
    std::vector<std::pair<float, std::size_t>> sims;
    for (std::size_t j = 0; j < n; ++j) {
      if (j == q) continue;
      float s = 0;
      for (std::size_t i = 0; i < vecs[q].size(); ++i) s += vecs[q][i] * vecs[j][i];
      sims.emplace_back(s, j);
    }
    const auto kk = std::min<std::size_t>(static_cast<std::size_t>(k), sims.size());
    std::partial_sort(sims.begin(), sims.begin() + static_cast<std::ptrdiff_t>(kk), sims.end(),
                      [](auto& a, auto& b) { return a.first > b.first; });
    int hits = 0;
    for (std::size_t i = 0; i < kk; ++i) hits += label[sims[i].second] == label[q];
    total += static_cast<double>(hits) / static_cast<double>(kk);
  }
  return total / static_cast<double>(n);
}

// Hubness reduction (CSLS, Conneau et al. 2018): rank y for query x by cos(x, y) − r(y)/2, where r(y) is
// y's mean similarity to its 10 nearest neighbours, so "hub" tracks close to everything stop crowding lists.
double precision_at_k_csls(const std::vector<std::vector<float>>& vecs, const std::vector<int>& label, int k) {
  const std::size_t n = vecs.size();
  auto cos = [&](std::size_t a, std::size_t b) {
    float s = 0;
    for (std::size_t i = 0; i < vecs[a].size(); ++i) s += vecs[a][i] * vecs[b][i];
    return s;
  };
  std::vector<double> r(n, 0.0);
  for (std::size_t y = 0; y < n; ++y) {
    std::vector<float> sims;
    for (std::size_t j = 0; j < n; ++j)
      if (j != y) sims.push_back(cos(y, j));
    const std::size_t kk = std::min<std::size_t>(10, sims.size());
    std::partial_sort(sims.begin(), sims.begin() + static_cast<std::ptrdiff_t>(kk), sims.end(), std::greater<>());
    for (std::size_t i = 0; i < kk; ++i) r[y] += sims[i] / static_cast<double>(kk);
  }
  double total = 0;
  for (std::size_t q = 0; q < n; ++q) {
    std::vector<std::pair<double, std::size_t>> sc;
    for (std::size_t j = 0; j < n; ++j)
      if (j != q) sc.emplace_back(cos(q, j) - r[j] / 2, j);
    const auto kk = std::min<std::size_t>(static_cast<std::size_t>(k), sc.size());
    std::partial_sort(sc.begin(), sc.begin() + static_cast<std::ptrdiff_t>(kk), sc.end(), std::greater<>());
    int hits = 0;
    for (std::size_t i = 0; i < kk; ++i) hits += label[sc[i].second] == label[q];
    total += static_cast<double>(hits) / static_cast<double>(kk);
  }
  return total / static_cast<double>(n);
}

double chance(const std::vector<int>& label) {
  std::map<int, double> count;
  for (int l : label) count[l] += 1;
  const double n = static_cast<double>(label.size());
  double p = 0;
  for (auto& [l, c] : count) p += c / n * (c - 1) / (n - 1);
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"precision@k of same-soundtrack retrieval"};
  std::string data, root;
  int k = 5, min_tracks = 10;
  app.add_option("--data", data, "Indexed data folder")->required();
  app.add_option("--root", root, "Music root; the first folder below it is the label")->required();
  app.add_option("--k", k);
  app.add_option("--min-tracks", min_tracks);
  CLI11_PARSE(app, argc, argv);

  auto lib = audiorium::library::Library::open(data);
  const auto root_abs = fs::absolute(root).lexically_normal();
  std::map<std::string, std::vector<std::pair<int64_t, std::vector<float>>>> by_label;
  for (const auto& t : lib.catalog().tracks()) {
    const auto rel = fs::path(t.path).lexically_relative(root_abs);
    if (rel.empty() || *rel.begin() == "..") continue;
    auto v = lib.catalog().vector(t.id, "dsp-v1");
    if (!v) continue;
    by_label[rel.begin()->string()].emplace_back(t.id, std::move(*v));
  }
  Labelled d;
  int next_label = 0;
  std::cout << "labels (tracks):";
  for (auto& [name, tracks] : by_label) {
    if (static_cast<int>(tracks.size()) < min_tracks) continue;
    std::cout << " " << name << " (" << tracks.size() << ")";
    for (auto& [id, v] : tracks) {
      d.label.push_back(next_label);
      d.raw.push_back(std::move(v));
    }
    d.names.push_back(name);
    ++next_label;
  }
  std::cout << "\n" << d.raw.size() << " tracks, " << next_label << " soundtracks, k = " << k << "\n\n";
  if (d.raw.size() < 2) return 1;

  const audiorium::embed::BlockWeights shipped;
  const auto& w = shipped.weight;

  std::printf("%-48s P@%d\n", "embedding", k);
  std::printf("%-48s %.3f\n", "chance (same-label share)", chance(d.label));
  std::printf("%-48s %.3f\n", "MFCC mean+std baseline (40 dims, z-scored)", precision_at_k(mfcc_baseline(d), d.label, k));
  for (std::size_t b = 0; b < kDspBlocks.size(); ++b) {
    std::array<float, 4> only{0, 0, 0, 0};
    only[b] = 1.0f;
    std::printf("%-48s %.3f\n", ("dsp-v1 block alone: " + std::string(kDspBlocks[b].name)).c_str(),
                precision_at_k(dsp_finished(d, only), d.label, k));
  }
  std::printf("%-48s %.3f\n", "dsp-v1 all blocks, equal weights", precision_at_k(dsp_finished(d, {1, 1, 1, 1}), d.label, k));
  char shipped_name[96];
  std::snprintf(shipped_name, sizeof shipped_name, "dsp-v1 as shipped (weights %.2g/%.2g/%.2g/%.2g)", w[0], w[1], w[2], w[3]);
  std::printf("%-48s %.3f\n", shipped_name, precision_at_k(dsp_finished(d, w), d.label, k));
  std::printf("%-48s %.3f\n", "dsp-v1 as shipped + hubness reduction (CSLS)", precision_at_k_csls(dsp_finished(d, w), d.label, k));

  std::printf("\nweight sweep (timbre fixed at 1):\n");
  double best = 0;
  std::array<float, 4> best_w{};
  for (float h : {0.25f, 0.5f, 0.75f, 1.0f})
    for (float r : {0.25f, 0.5f, 0.75f, 1.0f})
      for (float dy : {0.0f, 0.35f, 0.7f}) {
        const double p = precision_at_k(dsp_finished(d, {1.0f, h, r, dy}), d.label, k);
        if (p > best) {
          best = p;
          best_w = {1.0f, h, r, dy};
        }
      }
  std::printf("best P@%d %.3f at harmony %.2f rhythm %.2f dynamics %.2f (in-sample: an optimistic figure)\n", k, best,
              best_w[1], best_w[2], best_w[3]);
  return 0;
}
