#include "recommend/diversity.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>

#include "core/error.h"

namespace audiorium::recommend {

std::vector<Candidate> select_diverse(const std::vector<Candidate>& pool, int k, const DiversityOptions& o,
                                      const std::function<float(std::size_t, std::size_t)>& similarity,
                                      const std::function<Groups(std::size_t)>& group_of) {
  if (k <= 0) throw Error("k must be positive");
  if (!(o.lambda >= 0.0 && o.lambda <= 1.0)) throw Error("lambda must be between 0 and 1");
  if (!(o.temperature >= 0.0) || !std::isfinite(o.temperature)) throw Error("temperature must be ≥ 0");
  const std::size_t n = pool.size();
  const auto want = std::min<std::size_t>(static_cast<std::size_t>(k), n);
  std::vector<bool> taken(n, false);
  std::vector<float> max_sim(n, -1.0f);  // to the chosen set; -1 = nothing chosen yet (no penalty below)
  std::vector<std::size_t> chosen;
  std::map<std::string, int> per_artist, per_album;
  std::mt19937_64 rng(o.seed);
  const bool caps = (o.max_per_artist > 0 || o.max_per_album > 0) && group_of;

  auto capped = [&](std::size_t i) {
    if (!caps) return false;
    const auto g = group_of(i);
    if (o.max_per_artist > 0 && !g.artist.empty() && per_artist[g.artist] >= o.max_per_artist) return true;
    if (o.max_per_album > 0 && !g.album.empty() && per_album[g.album] >= o.max_per_album) return true;
    return false;
  };

  while (chosen.size() < want) {
    std::vector<std::size_t> eligible;
    for (std::size_t i = 0; i < n; ++i)
      if (!taken[i] && !capped(i)) eligible.push_back(i);
    if (eligible.empty())  // every remaining item is capped: relax the caps rather than return too few
      for (std::size_t i = 0; i < n; ++i)
        if (!taken[i]) eligible.push_back(i);

    std::vector<double> mmr(eligible.size());
    double best = -std::numeric_limits<double>::infinity();
    for (std::size_t e = 0; e < eligible.size(); ++e) {
      const std::size_t i = eligible[e];
      const double penalty = chosen.empty() ? 0.0 : static_cast<double>(max_sim[i]);
      mmr[e] = o.lambda * pool[i].score - (1.0 - o.lambda) * penalty;
      best = std::max(best, mmr[e]);
    }
    std::size_t pick = 0;
    if (o.temperature <= 0.0) {
      pick = static_cast<std::size_t>(std::max_element(mmr.begin(), mmr.end()) - mmr.begin());
    } else {
      std::vector<double> w(mmr.size());
      double total = 0;
      for (std::size_t e = 0; e < mmr.size(); ++e) total += w[e] = std::exp((mmr[e] - best) / o.temperature);
      const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53 * total;
      double acc = 0;
      pick = mmr.size() - 1;
      for (std::size_t e = 0; e < w.size(); ++e) {
        acc += w[e];
        if (u < acc) {
          pick = e;
          break;
        }
      }
    }
    const std::size_t i = eligible[pick];
    taken[i] = true;
    chosen.push_back(i);
    if (caps) {
      const auto g = group_of(i);
      if (!g.artist.empty()) ++per_artist[g.artist];
      if (!g.album.empty()) ++per_album[g.album];
    }
    if (o.lambda < 1.0)
      for (std::size_t j = 0; j < n; ++j)
        if (!taken[j]) max_sim[j] = std::max(max_sim[j], similarity(i, j));
  }

  std::vector<Candidate> out;
  for (std::size_t i : chosen) out.push_back(pool[i]);
  std::stable_sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  return out;
}

double intra_list_diversity(const std::vector<std::vector<float>>& vectors) {
  const std::size_t n = vectors.size();
  if (n < 2) return 0.0;
  double total = 0;
  std::size_t pairs = 0;
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = a + 1; b < n; ++b) {
      double dot = 0, na = 0, nb = 0;
      for (std::size_t i = 0; i < vectors[a].size() && i < vectors[b].size(); ++i) {
        dot += static_cast<double>(vectors[a][i]) * vectors[b][i];
        na += static_cast<double>(vectors[a][i]) * vectors[a][i];
        nb += static_cast<double>(vectors[b][i]) * vectors[b][i];
      }
      const double cos = (na > 0 && nb > 0) ? dot / std::sqrt(na * nb) : 0.0;
      total += 1.0 - cos;
      ++pairs;
    }
  return total / static_cast<double>(pairs);
}

}  // namespace audiorium::recommend
