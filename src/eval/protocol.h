// The evaluation protocol: a reproducible set of queries over an indexed library, run through each system under
// test, and every measure of metrics.h computed from the lists they return. The result is one JSON document — the
// `--json` output and what report.h renders as HTML — so the page and the script see the same numbers.
//
// Queries, per repetition r = 0 … repetitions−1 (its random seed is seed + r, recorded in the result):
//   tracks   `seed_tracks` seed tracks drawn at random from the indexed tracks; their candidates are the nearest
//            tracks by cosine, leaving out the seed and its fingerprint duplicates;
//   prompts  every prompt of the bank (default_prompts()), its candidates ranked by the search engine's fused
//            score (relevance only: λ = 1, τ = 0, no caps);
//   queues   `queue_runs` queues of `queue_length` from the first seed tracks, for each drift in `drifts`.
// Systems, each given the same candidates (best first) and asked for k:
//   similarity  the top k by score: pure similarity, no ordering rule;
//   rule        the original ordering rule (recommend/ordering.h) with τ and pool_factor;
//   mmr         MMR with λ, τ and the per-artist/album caps (recommend/diversity.h), what `search` uses;
//   popular     the top k × pool_factor re-ranked by popularity (play counts from the history, or the labels
//               file's popularity column): the "engagement-optimised" contrast. Not run without popularity data.
// Each query gives every system two lists: one of k for diversity and retrieval, one of homogeneity_k (the
// original's top-100, shorter when the library is) for label homogeneity.
//
// Determinism: every random choice comes from std::mt19937_64 seeded from the options, with our own index
// arithmetic (never std::shuffle or std:: distributions, whose outputs the standard leaves to the library), and
// nothing time-dependent goes into the result; the same options on the same catalog give the same JSON.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/horse.h"
#include "eval/labels.h"
#include "library/library.h"

namespace audiorium::eval {

struct ProtocolOptions {
  std::uint64_t seed = 1;
  int repetitions = 5;   // --seeds
  int seed_tracks = 10;  // per repetition
  int k = 10;
  int homogeneity_k = 100;
  double pool_factor = 3.0;
  double temperature = 0.05;
  double lambda = 0.8;
  int max_per_artist = 2;
  int max_per_album = 3;
  double baseline = 0.3;  // the population share of major-label artists
  std::vector<std::string> prompts;  // empty: default_prompts()
  int queue_runs = 2;
  int queue_length = 20;
  std::vector<double> drifts{0.0, 0.3, 1.0};
  std::vector<double> taus{0.0, 0.02, 0.05, 0.1, 0.2, 0.5};        // the trade-off curve of the rule
  std::vector<double> lambdas{1.0, 0.9, 0.8, 0.7, 0.5, 0.3};       // … and of MMR (no caps there)
  HorseOptions horse;  // horse.tracks = 0 skips the checks
};

// "default" is the only named protocol so far; anything else throws Error listing the known ones.
ProtocolOptions protocol_named(const std::string& name);

// A bank of prompts that exercise the vocabulary: tempo, energy, mood, brightness, texture.
std::vector<std::string> default_prompts();

// The systems under test over one library, for anything that needs their lists outside run_protocol (the
// listening study's playlists). Borrows the library, which must outlive it.
class SystemsUnderTest {
 public:
  SystemsUnderTest(library::Library& library, const LabelsFile* labels);
  ~SystemsUnderTest();
  SystemsUnderTest(const SystemsUnderTest&) = delete;
  SystemsUnderTest& operator=(const SystemsUnderTest&) = delete;

  // "similarity", "rule", "mmr", and "popular" when the library has popularity data.
  std::vector<std::string> names() const;
  const std::vector<int64_t>& tracks() const;  // the indexed tracks, ordered by id
  // One list of up to k track ids per name, for a seed track, drawn with `draw_seed` (the seed and its duplicates
  // are never in them). Throws Error when the seed is not indexed.
  std::vector<std::vector<int64_t>> lists_for_track(int64_t seed, const ProtocolOptions& options, int k,
                                                    std::uint64_t draw_seed) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs the protocol. `labels` may be null (tags only). Never throws for an empty or unlabelled library: what
// could not be computed is listed under "not_computed" with the reason.
nlohmann::json run_protocol(library::Library& library, const ProtocolOptions& options, const LabelsFile* labels,
                            const std::string& labels_name = "");

}  // namespace audiorium::eval
