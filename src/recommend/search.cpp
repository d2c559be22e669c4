#include "recommend/search.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "core/error.h"
#include "recommend/percentile.h"

namespace audiorium::recommend {

namespace {

double gaussian_match(double x, const query::DescriptorTarget& t) {
  const double z = (x - t.value) / std::max(t.width, 1e-9);
  const double m = std::exp(-0.5 * z * z);
  return t.negated ? 1.0 - m : m;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

// Percentile ranks in [0, 1] of each value among all of them (average rank for ties).
std::vector<double> ranks(const std::vector<double>& values) {
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> out(values.size());
  const double n = static_cast<double>(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto lo = std::lower_bound(sorted.begin(), sorted.end(), values[i]) - sorted.begin();
    const auto hi = std::upper_bound(sorted.begin(), sorted.end(), values[i]) - sorted.begin();
    out[i] = n > 1 ? (static_cast<double>(lo + hi - 1) / 2.0) / (n - 1) : 1.0;
  }
  return out;
}

}  // namespace

std::string describe_descriptor(const std::string& name, double v) {
  char buf[96];
  if (name == "tempo_bpm") std::snprintf(buf, sizeof buf, v > 0 ? "tempo %.0f BPM" : "no steady pulse", v);
  else if (name == "mode") std::snprintf(buf, sizeof buf, "%s key", v >= 0.5 ? "major" : "minor");
  else if (name == "energy_db") std::snprintf(buf, sizeof buf, "energy %.0f dB", v);
  else if (name == "brightness_hz") std::snprintf(buf, sizeof buf, "brightness %.0f Hz", v);
  else if (name == "percussiveness") std::snprintf(buf, sizeof buf, "percussiveness %.2f", v);
  else if (name == "tonalness") std::snprintf(buf, sizeof buf, "tonalness %.2f", v);
  else if (name == "loudness_lufs") std::snprintf(buf, sizeof buf, "loudness %.0f LUFS", v);
  else if (name == "loudness_range_lu") std::snprintf(buf, sizeof buf, "loudness range %.0f LU", v);
  else if (name == "dynamic_range_db") std::snprintf(buf, sizeof buf, "dynamic range %.0f dB", v);
  else if (name == "onset_rate") std::snprintf(buf, sizeof buf, "%.1f onsets/s", v);
  else if (name == "tempo_confidence") std::snprintf(buf, sizeof buf, "pulse clarity %.2f", v);
  else if (name == "key_strength") std::snprintf(buf, sizeof buf, "key clarity %.2f", v);
  else std::snprintf(buf, sizeof buf, "%s %.2f", name.c_str(), v);
  return buf;
}

SearchEngine::SearchEngine(std::vector<TrackFacts> tracks, TagLearnerOptions tag_options)
    : tracks_(std::move(tracks)) {
  std::vector<std::vector<float>> vectors;
  std::vector<std::set<std::string>> tag_words;
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    const auto& t = tracks_[i];
    position_[t.id] = i;
    for (const auto& [name, value] : t.descriptors) {
      auto& col = columns_[name];
      col.value.resize(tracks_.size(), std::nan(""));
      col.value[i] = value;
      if (std::isfinite(value)) col.sorted.push_back(value);
    }
    bm25_.add(t.id, {{t.title, 1.0}, {t.artist, 1.5}, {t.album, 1.2}, {t.genre, 2.0}, {t.comment, 1.0}, {t.folder, 1.0}});
    std::vector<std::string> toks;
    for (const auto* field : {&t.title, &t.artist, &t.album, &t.genre, &t.comment, &t.folder}) {
      const auto f = query::tokenize(*field);
      toks.insert(toks.end(), f.begin(), f.end());
    }
    token_sets_.emplace_back(toks.begin(), toks.end());
    tokens_.push_back(std::move(toks));
    // Tags that describe sound: genre, comment, album, artist — not titles, which are one track's name.
    std::set<std::string> words;
    for (const auto* field : {&t.genre, &t.comment, &t.album, &t.artist})
      for (auto& w : query::tokenize(*field)) words.insert(std::move(w));
    tag_words.push_back(std::move(words));
    vectors.push_back(t.embedding);
  }
  bm25_.finalize();
  for (auto& [name, col] : columns_) {
    col.value.resize(tracks_.size(), std::nan(""));
    std::sort(col.sorted.begin(), col.sorted.end());
    col.pct.resize(tracks_.size());
    for (std::size_t i = 0; i < tracks_.size(); ++i) col.pct[i] = percentile(name, col.value[i]);
  }
  tag_model_ = TagModel::fit(vectors, tag_words, tag_options);
}

const TrackFacts* SearchEngine::facts(int64_t id) const {
  const auto it = position_.find(id);
  return it == position_.end() ? nullptr : &tracks_[it->second];
}

double SearchEngine::percentile(const std::string& descriptor, double value) const {
  const auto it = columns_.find(descriptor);
  if (it == columns_.end() || !std::isfinite(value)) return 0.5;
  return midrank_percentile(it->second.sorted, value);
}

SearchResponse SearchEngine::search(const SearchRequest& request, const SearchOptions& options) const {
  if (options.k <= 0 || options.k > 1000) throw Error("k must be between 1 and 1000");
  if (!(options.pool_factor >= 1.0)) throw Error("pool_factor must be at least 1");
  SearchResponse response;
  const std::size_t n = tracks_.size();
  const auto& parsed = request.parsed;
  response.understood = parsed.understood;

  const TrackFacts* anchor = nullptr;
  if (request.anchor_track) {
    anchor = facts(*request.anchor_track);
    if (!anchor) throw Error("track " + std::to_string(*request.anchor_track) + " has no vector to search from");
  }

  // Targets: the prompt's and the image's together. With a reference track, comparatives ("calmer") are
  // relative to it: the target is the reference's own percentile shifted by the modifier.
  std::vector<query::DescriptorTarget> targets;
  std::set<std::string> relative_reasons;
  if (anchor)
    for (const auto& m : parsed.modifiers) {
      const auto it = anchor->descriptors.find(m.descriptor);
      if (it == anchor->descriptors.end()) continue;
      query::DescriptorTarget t;
      t.descriptor = m.descriptor;
      t.scale = query::DescriptorTarget::Scale::Percentile;
      t.value = std::clamp(percentile(m.descriptor, it->second) + m.delta, 0.02, 0.98);
      t.width = 0.2;
      t.weight = m.weight;
      t.reason = m.reason + " than \"" + anchor->title + "\"";
      targets.push_back(t);
      relative_reasons.insert(m.reason);
    }
  for (const auto& t : parsed.targets)
    if (!relative_reasons.count(t.reason)) targets.push_back(t);
  targets.insert(targets.end(), request.extra_targets.begin(), request.extra_targets.end());

  // Words: which ones the library's tags literally contain, and which the tag model learned.
  std::vector<std::string> literal, learned, negated_literal;
  std::set<std::string> seen;
  for (const auto& w : parsed.words) {
    if (!seen.insert(w).second) continue;
    if (bm25_.has_term(w)) literal.push_back(w);
    if (tag_model_.knows(w)) learned.push_back(w);
  }
  for (const auto& w : parsed.negated_words)
    if (bm25_.has_term(w)) negated_literal.push_back(w);
  const ModelQuery* model = request.model_query ? &*request.model_query : nullptr;
  if (model && !tracks_.empty() && model->vector.size() != tracks_.front().embedding.size())
    throw Error(model->label + " query has " + std::to_string(model->vector.size()) + " dimensions but the tracks' " +
                "embeddings have " + std::to_string(tracks_.front().embedding.size()));
  if (model && model->reads_prompt) response.understood.push_back("the whole prompt (" + model->label + ")");
  for (const auto& w : parsed.unknown)
    if (!bm25_.has_term(w) && !tag_model_.knows(w) && !(model && model->reads_prompt)) response.ignored.push_back(w);
  for (const auto& w : literal)
    if (std::find(response.understood.begin(), response.understood.end(), w) == response.understood.end())
      response.understood.push_back("tag '" + w + "'");

  // Part 1: vector (reference similarity, learned tag affinities).
  std::vector<std::vector<double>> vector_parts;
  std::vector<double> anchor_cos;
  if (anchor) {
    anchor_cos.resize(n);
    for (std::size_t i = 0; i < n; ++i) anchor_cos[i] = dot(tracks_[i].embedding, anchor->embedding);
    vector_parts.push_back(ranks(anchor_cos));
  }
  std::vector<double> model_cos;
  std::size_t model_part = 0;
  if (model) {
    model_cos.resize(n);
    for (std::size_t i = 0; i < n; ++i) model_cos[i] = dot(tracks_[i].embedding, model->vector);
    model_part = vector_parts.size();
    vector_parts.push_back(ranks(model_cos));
  }
  std::map<std::string, std::vector<double>> learned_affinity;
  for (const auto& w : learned) {
    learned_affinity[w] = *tag_model_.affinity(w);
    vector_parts.push_back(learned_affinity[w]);
  }
  // Part 2: descriptors.
  std::vector<std::vector<double>> target_match(targets.size(), std::vector<double>(n, 0.0));
  double target_weight = 0;
  for (std::size_t t = 0; t < targets.size(); ++t) {
    const auto& tg = targets[t];
    target_weight += tg.weight;
    const auto col = columns_.find(tg.descriptor);
    if (col == columns_.end()) continue;
    const bool relative = tg.scale == query::DescriptorTarget::Scale::Percentile;
    const bool tempo = tg.descriptor == "tempo_bpm" && !relative;
    for (std::size_t i = 0; i < n; ++i) {
      const double raw = col->second.value[i];
      if (!std::isfinite(raw)) continue;
      if (tempo && raw <= 0) {
        target_match[t][i] = tg.negated ? 1.0 : 0.0;  // no pulse matches no tempo
        continue;
      }
      target_match[t][i] = gaussian_match(relative ? col->second.pct[i] : raw, tg);
    }
  }
  // Part 3: BM25 over tags.
  std::vector<double> tag_part(n, 0.0);
  const bool use_tags = !literal.empty() || !negated_literal.empty();
  if (use_tags) {
    auto add = [&](const std::vector<std::string>& words, double sign) {
      const auto scored = bm25_.score(words);
      if (scored.empty()) return;
      const double top = scored.front().second;
      for (const auto& [id, s] : scored) tag_part[position_.at(id)] += sign * s / top;
    };
    add(literal, 1.0);
    add(negated_literal, -1.0);
    for (double& x : tag_part) x = std::clamp(x, 0.0, 1.0);
  }

  const bool use_vector = !vector_parts.empty();
  const bool use_descriptor = !targets.empty() && target_weight > 0;
  if (!use_vector && !use_descriptor && !use_tags) {
    response.notes.push_back("nothing in the query matched the vocabulary or the library's tags");
    return response;
  }
  const auto& w = options.weights;
  const double total_w = (use_vector ? w.vector : 0) + (use_descriptor ? w.descriptor : 0) + (use_tags ? w.tags : 0);

  std::vector<SearchResult> scored(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto& r = scored[i];
    r.id = tracks_[i].id;
    double s = 0;
    if (use_vector) {
      double v = 0;
      for (const auto& part : vector_parts) v += part[i];
      r.vector_part = v / static_cast<double>(vector_parts.size());
      s += w.vector * *r.vector_part;
    }
    if (use_descriptor) {
      double d = 0;
      for (std::size_t t = 0; t < targets.size(); ++t) d += targets[t].weight * target_match[t][i];
      r.descriptor_part = d / target_weight;
      s += w.descriptor * *r.descriptor_part;
    }
    if (use_tags) {
      r.tag_part = tag_part[i];
      s += w.tags * tag_part[i];
    }
    r.score = total_w > 0 ? s / total_w : 0;
  }

  // Pool: the best k × pool_factor, never the reference track itself.
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  if (anchor) order.erase(std::remove(order.begin(), order.end(), position_.at(anchor->id)), order.end());
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scored[a].score > scored[b].score; });
  const auto pool_n = std::min(order.size(), static_cast<std::size_t>(std::ceil(options.k * options.pool_factor)));
  order.resize(pool_n);
  response.pool = pool_n;
  std::vector<Candidate> pool;
  for (std::size_t i : order) pool.push_back({tracks_[i].id, static_cast<float>(scored[i].score)});
  const auto picked = select_diverse(
      pool, options.k, {options.lambda, options.temperature, options.seed, options.max_per_artist, options.max_per_album},
      [&](std::size_t a, std::size_t b) {
        return static_cast<float>(dot(tracks_[order[a]].embedding, tracks_[order[b]].embedding));
      },
      [&](std::size_t a) {
        // Untagged tracks are grouped by folder (see catalog::Track::album_or_folder), or no cap would apply to them.
        const auto& t = tracks_[order[a]];
        return Groups{t.artist, t.album.empty() ? t.folder : t.album};
      });

  // Reasons, strongest first.
  for (const auto& c : picked) {
    const std::size_t i = position_.at(c.id);
    SearchResult r = scored[i];
    const auto& t = tracks_[i];
    if (anchor) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "sounds like \"%s\" (similarity %.2f)", anchor->title.c_str(), anchor_cos[i]);
      r.reasons.push_back({"reference", buf, vector_parts.front()[i]});
    }
    if (model) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "%s match %.2f (top %.0f %%)", model->label.c_str(), model_cos[i],
                    std::max(1.0, 100.0 * (1.0 - vector_parts[model_part][i])));
      r.reasons.push_back({"model", buf, vector_parts[model_part][i]});
    }
    for (const auto& word : learned) {
      const double a = learned_affinity[word][i];
      if (a >= 0.75 && !token_sets_[i].count(word))
        r.reasons.push_back({"learned_tag", "timbre close to tracks tagged '" + word + "'", a});
    }
    for (const auto& word : literal)
      if (token_sets_[i].count(word)) r.reasons.push_back({"tag", "tag: " + word, tag_part[i]});
    // One reason per descriptor naming every word it satisfies ("percussiveness 0.32 ≈ ambient, calm"),
    // then descriptors that satisfy the same words share a line ("energy -22 dB, minor key ≈ image: dark").
    struct Line {
      std::string kind, values, words;
      double strength = 0;
    };
    std::vector<std::pair<std::string, Line>> per_descriptor;  // descriptor → its line, in first-seen order
    for (std::size_t k = 0; k < targets.size(); ++k) {
      const double m = target_match[k][i];
      if (m < 0.6) continue;
      const auto& tg = targets[k];
      const auto it = t.descriptors.find(tg.descriptor);
      if (it == t.descriptors.end()) continue;
      const bool from_image = tg.reason.rfind("image:", 0) == 0;
      // The vocabulary's reason may already be negative ("no drums"); only prefix plain words.
      const bool says_no = tg.reason.rfind("no ", 0) == 0 || tg.reason.rfind("not ", 0) == 0 ||
                           tg.reason.rfind("without ", 0) == 0;
      const std::string word = (tg.negated && !says_no ? "not " : "") + tg.reason;
      const std::string key = tg.descriptor + (from_image ? "#image" : "");
      auto found = std::find_if(per_descriptor.begin(), per_descriptor.end(), [&](const auto& p) { return p.first == key; });
      if (found == per_descriptor.end()) {
        per_descriptor.push_back({key, {from_image ? "image" : "descriptor", describe_descriptor(tg.descriptor, it->second), word, m * tg.weight}});
      } else if ((", " + found->second.words + ",").find(", " + word + ",") == std::string::npos) {
        found->second.words += ", " + word;
        found->second.strength = std::max(found->second.strength, m * tg.weight);
      }
    }
    std::vector<Line> merged;
    for (auto& [key, line] : per_descriptor) {
      // A named reference: clang 14 cannot capture a structured binding in a lambda.
      auto same = std::find_if(merged.begin(), merged.end(),
                               [&current = line](const Line& l) { return l.words == current.words && l.kind == current.kind; });
      if (same == merged.end()) merged.push_back(line);
      else {
        same->values += ", " + line.values;
        same->strength = std::max(same->strength, line.strength);
      }
    }
    for (const auto& l : merged) r.reasons.push_back({l.kind, l.values + " ≈ " + l.words, l.strength});
    std::stable_sort(r.reasons.begin(), r.reasons.end(), [](const Reason& a, const Reason& b) { return a.strength > b.strength; });
    std::vector<std::string> top;
    for (std::size_t k = 0; k < r.reasons.size() && k < 3; ++k) top.push_back(r.reasons[k].text);
    r.summary = top.empty() ? "closest overall match" : join(top, "; ");
    response.results.push_back(std::move(r));
  }
  return response;
}

}  // namespace audiorium::recommend
