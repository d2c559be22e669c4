// Search by meaning without model weights: a parsed prompt (and/or an image's mood targets, and/or a
// reference track) in, a diverse, explained list of tracks out.
//
// Three parts are scored for every track, each in [0, 1], and fused by a weighted mean over the parts the
// query actually uses (FusionWeights; a part the query does not touch neither helps nor hurts):
//   vector      similarity to the reference track (as a percentile of the library's similarities to it),
//               similarity to a model pack's query vector (ModelQuery, the same percentile) and affinity to tag
//               words learned from the library's own tags (TagModel), averaged;
//   descriptor  the weighted mean of the descriptor targets' Gaussian matches (query/targets.h);
//   tags        BM25 over title, artist, album, genre, comment and folder name, divided by the best score,
//               minus the same for negated words ("no vocals"), floored at 0.
// Percentiles make the parts comparable: each is spread over [0, 1] across the library, so no part
// dominates because of its scale. The fused top k × pool_factor form the pool; select_diverse (MMR λ,
// temperature τ, per-artist/album caps, seed) picks k of them. Every result carries reasons.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "query/parser.h"
#include "query/targets.h"
#include "recommend/diversity.h"
#include "recommend/tag_learner.h"

namespace audiorium::recommend {

// What search knows of one track. `embedding` is finished (L2-normalised).
struct TrackFacts {
  int64_t id = 0;
  std::vector<float> embedding;
  std::map<std::string, double> descriptors;
  std::string title, artist, album, genre, comment, folder;
};

struct FusionWeights {
  double vector = 0.45;
  double descriptor = 0.35;
  double tags = 0.20;
};

struct SearchOptions {
  int k = 10;
  double pool_factor = 3.0;
  double temperature = 0.05;
  std::uint64_t seed = 0;
  double lambda = 0.8;      // MMR: 1 = relevance only
  int max_per_artist = 2;   // 0 = no cap
  int max_per_album = 3;
  FusionWeights weights;
};

// A query already in the tracks' embedding space, made by a model pack: a CLAP text embedding of the prompt, or a
// photo bridged through CLIP's mood prompts into CLAP's text space (src/packembed). Its cosine to every track,
// spread over [0, 1] as a library percentile like the reference track's, joins the vector part.
struct ModelQuery {
  std::vector<float> vector;  // L2-normalised, the dimension of the tracks' embeddings
  std::string label;          // how reasons name it: "CLAP text", "photo via CLIP → CLAP"
  // The model read the whole prompt (a text tower): no word of it is reported as ignored.
  bool reads_prompt = false;
};

struct SearchRequest {
  query::ParsedQuery parsed;                           // may be empty (an image-only search)
  std::vector<query::DescriptorTarget> extra_targets;  // e.g. an image's mood
  std::optional<int64_t> anchor_track;                 // the resolved track reference
  std::optional<ModelQuery> model_query;
};

struct Reason {
  std::string kind;  // "reference" | "model" | "learned_tag" | "tag" | "descriptor" | "image"
  std::string text;  // "tempo 72 BPM ≈ slow"
  double strength = 0;
};

struct SearchResult {
  int64_t id = 0;
  double score = 0;  // fused, in [0, 1]
  std::optional<double> vector_part, descriptor_part, tag_part;
  std::vector<Reason> reasons;
  std::string summary;  // the reasons as one short line
};

struct SearchResponse {
  std::vector<SearchResult> results;
  std::vector<std::string> understood;  // vocabulary phrases and tag words that took part
  std::vector<std::string> ignored;     // words neither the vocabulary nor the library's tags know
  std::vector<std::string> notes;
  std::size_t pool = 0;
};

class SearchEngine {
 public:
  explicit SearchEngine(std::vector<TrackFacts> tracks, TagLearnerOptions tag_options = {});
  SearchResponse search(const SearchRequest& request, const SearchOptions& options) const;
  std::size_t size() const { return tracks_.size(); }
  const TagModel& tag_model() const { return tag_model_; }
  const TrackFacts* facts(int64_t id) const;

 private:
  double percentile(const std::string& descriptor, double value) const;
  std::vector<TrackFacts> tracks_;
  std::map<int64_t, std::size_t> position_;
  // Per descriptor, column-wise over tracks (NaN where a track lacks it): raw values and library
  // percentiles, precomputed so a query touches arrays, not maps or sorts.
  struct Column {
    std::vector<double> value, pct, sorted;
  };
  std::map<std::string, Column> columns_;
  std::vector<std::vector<std::string>> tokens_;                   // per track: its tag text's tokens
  std::vector<std::set<std::string>> token_sets_;
  query::Bm25Index bm25_;
  TagModel tag_model_;
};

// "tempo 72 BPM", "minor key", "brightness 1,240 Hz" — a descriptor value as a person reads it.
std::string describe_descriptor(const std::string& name, double value);

}  // namespace audiorium::recommend
