#include "eval/protocol.h"

#include <algorithm>
#include <array>
#include <unordered_set>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "core/error.h"
#include "eval/metrics.h"
#include "query/parser.h"
#include "recommend/diversity.h"
#include "recommend/ordering.h"
#include "recommend/recommender.h"
#include "recommend/search.h"

namespace audiorium::eval {

using nlohmann::json;
using recommend::Candidate;

std::vector<std::string> default_prompts() {
  return {"slow dark piano",      "fast energetic drums", "calm ambient",        "bright happy melody",
          "aggressive loud",      "quiet acoustic",       "sad minor",           "upbeat dance",
          "epic orchestral",      "mellow relaxing",      "tense dark electronic", "very fast"};
}

ProtocolOptions protocol_named(const std::string& name) {
  if (name == "default") return {};
  throw Error("unknown protocol '" + name + "' (known: default)");
}

namespace {

enum System { kSimilarity, kRule, kMmr, kPopular, kSystems };
const char* const kSystemNames[kSystems] = {"similarity", "rule", "mmr", "popular"};

// SplitMix64's finaliser: spreads (seed, query, system) into independent-looking draw seeds.
std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t z = a + 0x9e3779b97f4a7c15ULL * (b + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

json opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

// What the protocol knows of each indexed track, by position.
struct Population {
  std::vector<int64_t> ids;
  std::map<int64_t, std::size_t> pos;
  std::vector<std::vector<float>> vec;
  std::vector<std::string> artist, album, style, label;
  std::vector<LabelClass> cls;
  std::vector<double> popularity;
  std::string popularity_source;  // "" when none
  std::vector<std::vector<std::size_t>> same;  // the position and its fingerprint duplicates' positions

  double cosine(std::size_t a, std::size_t b) const {
    double d = 0;
    for (std::size_t i = 0; i < vec[a].size() && i < vec[b].size(); ++i) d += static_cast<double>(vec[a][i]) * vec[b][i];
    return d;
  }
};

Population build_population(library::Library& lib, const std::vector<catalog::Track>& tracks,
                            const std::map<int64_t, TrackLabel>& labels) {
  auto& cat = lib.catalog();
  const auto& index = lib.vector_index();
  Population p;
  std::map<int64_t, double> plays;
  for (const auto& h : cat.history(1 << 30)) plays[h.track_id] += 1;
  bool csv_popularity = false;
  for (const auto& [_, l] : labels) csv_popularity = csv_popularity || l.popularity.has_value();
  p.popularity_source = csv_popularity ? "labels file popularity column" : (plays.empty() ? "" : "play history");
  for (const auto& t : tracks) {
    auto v = index.vector(t.id);
    if (!v) continue;
    p.pos[t.id] = p.ids.size();
    p.ids.push_back(t.id);
    p.vec.push_back(std::move(*v));
    p.artist.push_back(t.tags.artist);
    p.album.push_back(t.album_or_folder());
    const auto& l = labels.at(t.id);
    p.style.push_back(l.style);
    p.label.push_back(l.label);
    p.cls.push_back(l.label_class);
    p.popularity.push_back(csv_popularity ? l.popularity.value_or(0.0) : (plays.contains(t.id) ? plays[t.id] : 0.0));
  }
  const std::size_t n = p.ids.size();
  p.same.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    p.same[i].push_back(i);
    for (auto d : lib.track_source().duplicates_of(p.ids[i]))
      if (auto it = p.pos.find(d); it != p.pos.end()) p.same[i].push_back(it->second);
  }
  return p;
}

struct SystemParams {
  int k = 10;
  double pool_factor = 3, temperature = 0.05, lambda = 0.8;
  int max_per_artist = 0, max_per_album = 0;
  std::uint64_t seed = 0;
};

std::vector<std::size_t> positions(const Population& p, const std::vector<Candidate>& list) {
  std::vector<std::size_t> out;
  for (const auto& c : list)
    if (auto it = p.pos.find(c.id); it != p.pos.end()) out.push_back(it->second);
  return out;
}

std::vector<std::size_t> run_system(System s, const Population& p, const std::vector<Candidate>& pool,
                                    const SystemParams& sp) {
  const auto k = static_cast<std::size_t>(sp.k);
  const auto pool_n = std::min(pool.size(), static_cast<std::size_t>(std::ceil(sp.k * sp.pool_factor)));
  switch (s) {
    case kSimilarity:
      return positions(p, std::vector<Candidate>(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(std::min(k, pool.size()))));
    case kRule:
      return positions(p, recommend::rule_based_order(pool, {sp.k, sp.pool_factor, sp.temperature, sp.seed}));
    case kMmr: {
      const std::vector<Candidate> top(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(pool_n));
      const auto at = positions(p, top);
      recommend::DiversityOptions d{sp.lambda, sp.temperature, sp.seed, sp.max_per_artist, sp.max_per_album};
      return positions(p, recommend::select_diverse(
                              top, sp.k, d,
                              [&](std::size_t a, std::size_t b) { return static_cast<float>(p.cosine(at[a], at[b])); },
                              [&](std::size_t i) { return recommend::Groups{p.artist[at[i]], p.album[at[i]]}; }));
    }
    case kPopular: {
      auto top = positions(p, std::vector<Candidate>(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(pool_n)));
      std::stable_sort(top.begin(), top.end(), [&](std::size_t a, std::size_t b) { return p.popularity[a] > p.popularity[b]; });
      top.resize(std::min(top.size(), k));
      return top;
    }
    case kSystems: break;
  }
  return {};
}

struct ListRecord {
  bool track_query = false;
  std::size_t seed = 0;  // the seed track's position, for track queries
  std::vector<std::size_t> items;
};

std::vector<std::vector<float>> vectors_of(const Population& p, const std::vector<std::size_t>& items) {
  std::vector<std::vector<float>> out;
  for (auto i : items) out.push_back(p.vec[i]);
  return out;
}

std::vector<std::string> field(const std::vector<std::string>& column, const std::vector<std::size_t>& items) {
  std::vector<std::string> out;
  for (auto i : items) out.push_back(column[i]);
  return out;
}

// Same-style relevance of a track query's list; total = the same-style tracks other than the seed and its copies.
std::pair<std::vector<bool>, std::size_t> relevance(const Population& p, const ListRecord& r) {
  const auto& style = p.style[r.seed];
  std::vector<bool> rel;
  for (auto i : r.items) rel.push_back(p.style[i] == style);
  std::size_t total = 0;
  for (std::size_t i = 0; i < p.ids.size(); ++i)
    if (p.style[i] == style && std::find(p.same[r.seed].begin(), p.same[r.seed].end(), i) == p.same[r.seed].end())
      ++total;
  return {rel, total};
}

json homogeneity_json(const Homogeneity& h, std::size_t list_length) {
  json j{{"share", opt(h.share)},   {"baseline", h.baseline}, {"distance", opt(h.distance)},
         {"major", h.major},        {"independent", h.independent}, {"unknown", h.unknown}};
  if (list_length) j["list_length"] = list_length;
  return j;
}

json list_metrics(const Population& p, const std::vector<const ListRecord*>& lists, bool styles) {
  std::vector<double> ild, ea, eal, es;
  for (const auto* r : lists) {
    if (r->items.size() >= 2) ild.push_back(intra_list_diversity(vectors_of(p, r->items)));
    ea.push_back(entropy_bits(field(p.artist, r->items)));
    eal.push_back(entropy_bits(field(p.album, r->items)));
    if (styles) es.push_back(entropy_bits(field(p.style, r->items)));
  }
  json j{{"lists", lists.size()},
         {"ild", ild.empty() ? json(nullptr) : json(mean(ild))},
         {"entropy_bits", {{"artist", mean(ea)}, {"album", mean(eal)}, {"style", styles ? json(mean(es)) : json(nullptr)}}}};
  return j;
}

}  // namespace

json run_protocol(library::Library& lib, const ProtocolOptions& o, const LabelsFile* labels_file,
                  const std::string& labels_name) {
  if (o.k < 1 || o.homogeneity_k < 1 || o.repetitions < 1 || o.seed_tracks < 0 || o.pool_factor < 1)
    throw Error("eval: k, homogeneity k and repetitions must be at least 1, pool factor at least 1");
  json out;
  json not_computed = json::array();
  auto cannot = [&](const std::string& what, const std::string& why) {
    not_computed.push_back({{"metric", what}, {"reason", why}});
  };
  const auto prompts = o.prompts.empty() ? default_prompts() : o.prompts;

  // --- the population ---
  auto& cat = lib.catalog();
  const auto tracks = cat.tracks();
  const auto labels = resolve_labels(tracks, labels_file);
  const Population p = build_population(lib, tracks, labels);
  const std::size_t n = p.ids.size();
  const bool has_styles = std::any_of(p.style.begin(), p.style.end(), [](const auto& s) { return !s.empty(); });
  const bool has_classes = std::any_of(p.cls.begin(), p.cls.end(), [](auto c) { return c != LabelClass::Unknown; });
  const bool has_popularity = !p.popularity_source.empty();

  // --- what the result says about its inputs ---
  std::vector<std::uint64_t> rep_seeds;
  for (int r = 0; r < o.repetitions; ++r) rep_seeds.push_back(o.seed + static_cast<std::uint64_t>(r));
  out["protocol"] = {{"seed", o.seed},
                     {"repetitions", o.repetitions},
                     {"seeds", rep_seeds},
                     {"seed_tracks_per_repetition", o.seed_tracks},
                     {"k", o.k},
                     {"homogeneity_k", o.homogeneity_k},
                     {"pool_factor", o.pool_factor},
                     {"temperature", o.temperature},
                     {"lambda", o.lambda},
                     {"max_per_artist", o.max_per_artist},
                     {"max_per_album", o.max_per_album},
                     {"baseline", o.baseline},
                     {"prompts", prompts},
                     {"queue_runs", o.queue_runs},
                     {"queue_length", o.queue_length},
                     {"drifts", o.drifts},
                     {"taus", o.taus},
                     {"lambdas", o.lambdas}};
  {
    std::size_t major = 0, indie = 0, unknown = 0, styled = 0, from_csv = 0, from_tags = 0;
    std::map<std::string, std::size_t> styles;
    for (std::size_t i = 0; i < n; ++i) {
      (p.cls[i] == LabelClass::Major ? major : p.cls[i] == LabelClass::Independent ? indie : unknown)++;
      if (!p.style[i].empty()) {
        ++styled;
        ++styles[p.style[i]];
      }
      const auto& src = labels.at(p.ids[i]).source;
      if (src == "csv") ++from_csv;
      else if (src == "tags") ++from_tags;
    }
    json problems = json::array();
    if (labels_file)
      for (const auto& pr : labels_file->problems) problems.push_back({{"line", pr.line}, {"message", pr.message}});
    out["library"] = {{"tracks", tracks.size()},
                      {"indexed", n},
                      {"embedder", lib.embedder().id()},
                      {"labels",
                       {{"file", labels_name.empty() ? json(nullptr) : json(labels_name)},
                        {"rows", labels_file ? labels_file->rows.size() : 0},
                        {"problems", problems},
                        {"tracks_from_file", from_csv},
                        {"tracks_from_tags", from_tags},
                        {"major", major},
                        {"independent", indie},
                        {"unknown", unknown},
                        {"with_style", styled},
                        {"styles", styles}}},
                      {"popularity_source", has_popularity ? json(p.popularity_source) : json(nullptr)}};
    std::vector<LabelClass> all(p.cls.begin(), p.cls.end());
    out["catalog_homogeneity"] = homogeneity_json(homogeneity(all, o.baseline), 0);
  }
  if (!has_classes)
    cannot("label homogeneity", "no track has a known label class (no label tags and no labels file rows with a label)");
  if (!has_styles)
    cannot("retrieval quality (precision@k, nDCG@k, MAP), style entropy and the precision side of the trade-off curve",
           "no track has a style (a labels file style column or a genre tag)");
  if (!has_popularity) {
    cannot("popularity-biased baseline (system 'popular')", "no play history and no popularity column in a labels file");
    cannot("novelty and popularity bias", "no play history and no popularity column in a labels file");
  }
  if (n < 2) {
    cannot("every list-based measure", n == 0 ? "the library has no indexed tracks" : "the library has one indexed track");
    out["systems"] = json::array();
    out["tradeoff"] = json::object();
    out["queues"] = json::array();
    out["not_computed"] = not_computed;
    out["horse"] = json{{"transforms", json::array()}, {"notes", json::array({"no indexed tracks"})}};
    return out;
  }

  const auto rec = lib.recommender();
  const auto& engine = lib.search_engine();
  const int systems = has_popularity ? kSystems : kPopular;
  std::vector<std::vector<ListRecord>> lists_k(kSystems), lists_h(kSystems);
  struct SavedPool {
    std::size_t seed;
    std::vector<Candidate> pool;
    std::uint64_t draw_seed;
  };
  std::vector<SavedPool> track_pools;
  const int hk = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(o.homogeneity_k), n - 1));
  const int kk = std::min(o.k, static_cast<int>(n - 1));
  const int pool_n = static_cast<int>(std::ceil(std::max(hk, kk) * o.pool_factor));

  auto run_all = [&](const std::vector<Candidate>& pool, bool track_query, std::size_t seed_pos, std::uint64_t qseed) {
    for (int s = 0; s < systems; ++s) {
      SystemParams sp{kk, o.pool_factor, o.temperature, o.lambda, o.max_per_artist, o.max_per_album, mix(qseed, static_cast<std::uint64_t>(s))};
      lists_k[static_cast<std::size_t>(s)].push_back({track_query, seed_pos, run_system(static_cast<System>(s), p, pool, sp)});
      sp.k = hk;
      lists_h[static_cast<std::size_t>(s)].push_back({track_query, seed_pos, run_system(static_cast<System>(s), p, pool, sp)});
    }
  };

  json reps = json::array();
  std::vector<std::vector<std::size_t>> queue_seeds;
  for (int r = 0; r < o.repetitions; ++r) {
    const auto rseed = rep_seeds[static_cast<std::size_t>(r)];
    std::mt19937_64 rng(rseed);
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    const std::size_t m = std::min(n, static_cast<std::size_t>(o.seed_tracks));
    for (std::size_t i = 0; i < m; ++i) std::swap(order[i], order[i + rng() % (n - i)]);
    order.resize(m);
    json seed_ids = json::array();
    for (std::size_t q = 0; q < m; ++q) {
      const auto sp = order[q];
      seed_ids.push_back(p.ids[sp]);
      std::unordered_set<int64_t> exclude;
      for (auto i : p.same[sp]) exclude.insert(p.ids[i]);
      const auto pool = rec.nearest(p.vec[sp], pool_n, exclude);
      const auto qseed = mix(rseed, q);
      run_all(pool, true, sp, qseed);
      track_pools.push_back({sp, pool, qseed});
    }
    for (std::size_t q = 0; q < prompts.size(); ++q) {
      recommend::SearchRequest req;
      req.parsed = query::parse_query(prompts[q]);
      recommend::SearchOptions so;
      so.k = pool_n;
      so.pool_factor = 1.0;
      so.temperature = 0;
      so.lambda = 1.0;
      so.max_per_artist = 0;
      so.max_per_album = 0;
      const auto response = engine.search(req, so);
      std::vector<Candidate> pool;
      for (const auto& res : response.results) pool.push_back({res.id, static_cast<float>(res.score)});
      std::stable_sort(pool.begin(), pool.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
      run_all(pool, false, 0, mix(rseed, 100000 + q));
    }
    queue_seeds.push_back(std::vector<std::size_t>(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(
                                                                          std::min<std::size_t>(m, static_cast<std::size_t>(std::max(0, o.queue_runs))))));
    reps.push_back({{"seed", rseed}, {"seed_tracks", seed_ids}});
  }
  out["queries"] = {{"repetitions", reps}, {"prompts_per_repetition", prompts.size()}};

  // --- per system ---
  std::set<std::string> artists_known;
  for (const auto& a : p.artist)
    if (!a.empty()) artists_known.insert(a);
  json sys = json::array();
  for (int s = 0; s < systems; ++s) {
    const auto& lk = lists_k[static_cast<std::size_t>(s)];
    const auto& lh = lists_h[static_cast<std::size_t>(s)];
    std::vector<const ListRecord*> all, by_track, by_prompt;
    for (const auto& r : lk) {
      all.push_back(&r);
      (r.track_query ? by_track : by_prompt).push_back(&r);
    }
    json j = list_metrics(p, all, has_styles);
    j["name"] = kSystemNames[s];
    // Exposure: how often each track (and artist) appears over every k-list.
    std::vector<double> exposure(n, 0.0);
    std::map<std::string, double> artist_exposure;
    for (const auto& a : artists_known) artist_exposure[a] = 0;
    for (const auto& r : lk)
      for (auto i : r.items) {
        exposure[i] += 1;
        if (!p.artist[i].empty()) artist_exposure[p.artist[i]] += 1;
      }
    std::vector<double> ae;
    for (const auto& [_, e] : artist_exposure) ae.push_back(e);
    j["coverage"] = coverage(exposure);
    j["gini"] = {{"tracks", gini(exposure)}, {"artists", ae.empty() ? json(nullptr) : json(gini(ae))}};
    json lorenz = json::array();
    for (const auto& [x, y] : lorenz_curve(exposure)) lorenz.push_back({x, y});
    j["lorenz_tracks"] = lorenz;
    if (has_popularity) {
      std::vector<double> nov, pct;
      for (const auto& r : lk)
        if (!r.items.empty()) {
          nov.push_back(novelty_bits(r.items, p.popularity));
          pct.push_back(popularity_percentile(r.items, p.popularity));
        }
      j["novelty_bits"] = mean(nov);
      j["popularity_percentile"] = mean(pct);
    } else {
      j["novelty_bits"] = nullptr;
      j["popularity_percentile"] = nullptr;
    }
    // Homogeneity over the long lists, pooled as the original did, and the mean of the per-list shares.
    Homogeneity pooled;
    pooled.baseline = o.baseline;
    std::vector<double> shares;
    std::size_t longest = 0;
    for (const auto& r : lh) {
      const auto h = homogeneity([&] {
        std::vector<LabelClass> c;
        for (auto i : r.items) c.push_back(p.cls[i]);
        return c;
      }(), o.baseline);
      pooled = pool_homogeneity(pooled, h);
      if (h.share) shares.push_back(*h.share);
      longest = std::max(longest, r.items.size());
    }
    j["homogeneity"] = homogeneity_json(pooled, longest);
    j["homogeneity"]["mean_list_share"] = shares.empty() ? json(nullptr) : json(mean(shares));
    // Retrieval quality on the track queries whose seed has a style.
    if (has_styles) {
      std::vector<double> pk, nd, ap;
      std::map<std::string, std::array<std::vector<double>, 3>> per_style;
      for (const auto* r : by_track) {
        if (p.style[r->seed].empty()) continue;
        const auto [rel, total] = relevance(p, *r);
        const double a = precision_at_k(rel, static_cast<std::size_t>(kk)), b = ndcg_at_k(rel, static_cast<std::size_t>(kk), total),
                     c = average_precision(rel, total);
        pk.push_back(a);
        nd.push_back(b);
        ap.push_back(c);
        auto& ps = per_style[p.style[r->seed]];
        ps[0].push_back(a);
        ps[1].push_back(b);
        ps[2].push_back(c);
      }
      json styles = json::object();
      for (const auto& [name, v] : per_style)
        styles[name] = {{"queries", v[0].size()}, {"precision_at_k", mean(v[0])}, {"ndcg_at_k", mean(v[1])}, {"map", mean(v[2])}};
      j["retrieval"] = {{"queries", pk.size()}, {"k", kk}, {"precision_at_k", pk.empty() ? json(nullptr) : json(mean(pk))},
                        {"ndcg_at_k", nd.empty() ? json(nullptr) : json(mean(nd))},
                        {"map", ap.empty() ? json(nullptr) : json(mean(ap))}, {"per_style", styles}};
    } else {
      j["retrieval"] = nullptr;
    }
    // The same lists split by query kind, for ILD and homogeneity.
    json kinds = json::object();
    for (const auto& [kind, subset] : {std::pair{"tracks", &by_track}, std::pair{"prompts", &by_prompt}}) {
      auto kj = list_metrics(p, *subset, has_styles);
      Homogeneity hk_pooled;
      hk_pooled.baseline = o.baseline;
      for (const auto& r : lh)
        if (r.track_query == (std::string(kind) == "tracks")) {
          std::vector<LabelClass> c;
          for (auto i : r.items) c.push_back(p.cls[i]);
          hk_pooled = pool_homogeneity(hk_pooled, homogeneity(c, o.baseline));
        }
      kj["homogeneity_share"] = opt(hk_pooled.share);
      kinds[kind] = kj;
    }
    j["by_query_kind"] = kinds;
    sys.push_back(j);
  }
  out["systems"] = sys;

  // --- the precision–diversity trade-off over τ (rule) and λ (MMR, no caps), on the track queries ---
  {
    auto curve_point = [&](System s, const SystemParams& base) {
      std::vector<double> pk, ild;
      for (const auto& tp : track_pools) {
        auto sp = base;
        sp.seed = mix(tp.draw_seed, static_cast<std::uint64_t>(s));
        ListRecord r{true, tp.seed, run_system(s, p, tp.pool, sp)};
        if (r.items.size() >= 2) ild.push_back(intra_list_diversity(vectors_of(p, r.items)));
        if (has_styles && !p.style[tp.seed].empty()) pk.push_back(precision_at_k(relevance(p, r).first, static_cast<std::size_t>(kk)));
      }
      return json{{"precision_at_k", pk.empty() ? json(nullptr) : json(mean(pk))},
                  {"ild", ild.empty() ? json(nullptr) : json(mean(ild))}};
    };
    json rule = json::array(), mmr = json::array();
    for (double tau : o.taus) {
      auto pt = curve_point(kRule, {kk, o.pool_factor, tau, 1.0, 0, 0, 0});
      pt["tau"] = tau;
      rule.push_back(pt);
    }
    for (double lambda : o.lambdas) {
      auto pt = curve_point(kMmr, {kk, o.pool_factor, o.temperature, lambda, 0, 0, 0});
      pt["lambda"] = lambda;
      mmr.push_back(pt);
    }
    out["tradeoff"] = {{"queries", track_pools.size()}, {"rule", rule}, {"mmr", mmr}};
  }

  // --- queues: repetition and drift ---
  {
    json qs = json::array();
    for (double drift : o.drifts) {
      std::vector<double> artist_rep, album_rep, dist_mean, dist_end, ild;
      std::vector<double> by_position_sum(static_cast<std::size_t>(std::max(0, o.queue_length)), 0.0);
      std::vector<double> by_position_n(by_position_sum.size(), 0.0);
      std::size_t runs = 0;
      for (std::size_t r = 0; r < queue_seeds.size(); ++r)
        for (std::size_t q = 0; q < queue_seeds[r].size(); ++q) {
          const auto seed_pos = queue_seeds[r][q];
          recommend::QueueOptions qo;
          qo.ordering.temperature = o.temperature;
          qo.ordering.seed = mix(rep_seeds[r], 200000 + q);
          qo.drift = drift;
          recommend::QueueSession session(rec, lib.track_source(), p.ids[seed_pos], qo);
          const auto items = positions(p, session.take(o.queue_length));
          if (items.empty()) continue;
          ++runs;
          std::vector<std::size_t> with_seed{seed_pos};
          with_seed.insert(with_seed.end(), items.begin(), items.end());
          artist_rep.push_back(adjacent_repetition(field(p.artist, with_seed)));
          album_rep.push_back(adjacent_repetition(field(p.album, with_seed)));
          std::vector<double> d;
          for (std::size_t i = 0; i < items.size(); ++i) {
            d.push_back(1.0 - p.cosine(seed_pos, items[i]));
            by_position_sum[i] += d.back();
            by_position_n[i] += 1;
          }
          dist_mean.push_back(mean(d));
          dist_end.push_back(d.back());
          if (items.size() >= 2) ild.push_back(intra_list_diversity(vectors_of(p, items)));
        }
      json curve = json::array();
      for (std::size_t i = 0; i < by_position_sum.size(); ++i)
        if (by_position_n[i] > 0) curve.push_back(by_position_sum[i] / by_position_n[i]);
      qs.push_back({{"drift", drift},
                    {"runs", runs},
                    {"artist_repetition", mean(artist_rep)},
                    {"album_repetition", mean(album_rep)},
                    {"mean_distance_to_seed", mean(dist_mean)},
                    {"final_distance_to_seed", mean(dist_end)},
                    {"ild", mean(ild)},
                    {"distance_by_position", curve}});
    }
    out["queues"] = qs;
  }

  // --- "Is it a horse?" ---
  {
    auto ho = o.horse;
    ho.seed = o.seed;
    json hj;
    if (ho.tracks <= 0) {
      hj = {{"transforms", json::array()}, {"notes", json::array({"skipped (--horse-tracks 0)"})}};
      cannot("\"is it a horse?\" checks", "skipped by the options (--horse-tracks 0)");
    } else {
      const auto h = run_horse_checks(lib, ho);
      json ts = json::array();
      for (const auto& t : h.transforms)
        ts.push_back({{"name", t.name}, {"description", t.description}, {"tried", t.tried}, {"hits", t.hits},
                      {"hit_rate", t.tried ? json(t.hit_rate) : json(nullptr)},
                      {"mean_cosine", t.tried ? json(t.mean_cosine) : json(nullptr)},
                      {"mean_rank", t.tried ? json(t.mean_rank) : json(nullptr)}});
      hj = {{"tracks", h.tracks}, {"skipped", h.skipped}, {"codec", h.codec}, {"transforms", ts}, {"notes", h.notes}};
    }
    out["horse"] = hj;
  }
  out["not_computed"] = not_computed;
  return out;
}

struct SystemsUnderTest::Impl {
  library::Library& lib;
  Population p;
};

SystemsUnderTest::SystemsUnderTest(library::Library& lib, const LabelsFile* labels) {
  const auto tracks = lib.catalog().tracks();
  impl_ = std::make_unique<Impl>(Impl{lib, build_population(lib, tracks, resolve_labels(tracks, labels))});
}
SystemsUnderTest::~SystemsUnderTest() = default;

std::vector<std::string> SystemsUnderTest::names() const {
  std::vector<std::string> out(kSystemNames, kSystemNames + (impl_->p.popularity_source.empty() ? kPopular : kSystems));
  return out;
}

const std::vector<int64_t>& SystemsUnderTest::tracks() const { return impl_->p.ids; }

std::vector<std::vector<int64_t>> SystemsUnderTest::lists_for_track(int64_t seed, const ProtocolOptions& o, int k,
                                                                    std::uint64_t draw_seed) const {
  const auto& p = impl_->p;
  const auto it = p.pos.find(seed);
  if (it == p.pos.end()) throw Error("track " + std::to_string(seed) + " is not in the index");
  std::unordered_set<int64_t> exclude;
  for (auto i : p.same[it->second]) exclude.insert(p.ids[i]);
  const auto rec = impl_->lib.recommender();
  const auto pool = rec.nearest(p.vec[it->second], static_cast<int>(std::ceil(k * o.pool_factor)), exclude);
  std::vector<std::vector<int64_t>> out;
  const int systems = p.popularity_source.empty() ? kPopular : kSystems;
  for (int s = 0; s < systems; ++s) {
    const SystemParams sp{k, o.pool_factor, o.temperature, o.lambda, o.max_per_artist, o.max_per_album,
                          mix(draw_seed, static_cast<std::uint64_t>(s))};
    std::vector<int64_t> ids;
    for (auto i : run_system(static_cast<System>(s), p, pool, sp)) ids.push_back(p.ids[i]);
    out.push_back(std::move(ids));
  }
  return out;
}

}  // namespace audiorium::eval
