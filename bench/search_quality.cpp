// Quality of search by meaning (no model weights), in two parts:
//
// 1. Generated audio with known properties: 32 tracks, tempo {72, 160 BPM} × mode {major, minor} ×
//    register {dark: low notes, bright: high notes} × 4 variants (transposition, level). Descriptor
//    queries ("slow", "fast", "minor", "major", "bright", "dark", "slow minor") are judged against the
//    generation parameters, never against the descriptors themselves.
// 2. The demo library (Debian soundtracks), each package labelled with a style by us
//    (scripts/demo-packages.tsv): precision@10 for style words, and how the ordering trades precision
//    for intra-list diversity (mean pairwise cosine distance) across τ and λ.
//
//   bench_search_quality [--data DEMO_DATA --root DEMO_MUSIC --labels scripts/demo-packages.tsv]
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "library/library.h"
#include "query/parser.h"
#include "recommend/diversity.h"
#include "recommend/search.h"
#include "support/test_support.h"

namespace {

namespace fs = std::filesystem;
using audiorium::library::Library;
using audiorium::recommend::SearchOptions;

struct Props {
  bool slow, minor, dark;
};

std::vector<float> make_track(const Props& p, int variant, int sr, double seconds) {
  using namespace audiorium::testing;
  const int root = (p.dark ? 40 : 72) + variant;  // E2.. vs C5..
  const std::vector<int> notes = p.minor ? std::vector<int>{root, root + 3, root + 7} : std::vector<int>{root, root + 4, root + 7};
  auto signal = chord(notes, seconds, sr, 0.15 + 0.02 * variant);
  const auto beat = click_track(p.slow ? 72.0 : 160.0, seconds, sr, 0.5);
  for (std::size_t i = 0; i < signal.size(); ++i) signal[i] += beat[i];
  return signal;
}

std::vector<int64_t> ids_of(const audiorium::recommend::SearchResponse& r) {
  std::vector<int64_t> out;
  for (const auto& x : r.results) out.push_back(x.id);
  return out;
}

double precision(const std::vector<int64_t>& ids, const std::function<bool(int64_t)>& relevant) {
  if (ids.empty()) return 0;
  int hits = 0;
  for (auto id : ids) hits += relevant(id);
  return static_cast<double>(hits) / static_cast<double>(ids.size());
}

SearchOptions strict(int k) {
  SearchOptions o;
  o.k = k;
  o.temperature = 0;
  o.lambda = 1.0;
  o.max_per_artist = 0;
  o.max_per_album = 0;
  return o;
}

void generated_part() {
  audiorium::testing::TempDir tmp;
  constexpr int sr = 22050;
  std::map<std::string, Props> props;
  for (int s = 0; s < 2; ++s)
    for (int m = 0; m < 2; ++m)
      for (int d = 0; d < 2; ++d)
        for (int v = 0; v < 4; ++v) {
          const Props p{s == 1, m == 1, d == 1};
          const std::string name = std::string(p.slow ? "slow" : "fast") + "_" + (p.minor ? "minor" : "major") + "_" +
                                   (p.dark ? "dark" : "bright") + "_" + std::to_string(v);
          audiorium::testing::write_wav(tmp / (name + ".wav"), make_track(p, v, sr, 12.0), sr);
          props[(tmp / (name + ".wav")).string()] = p;
        }
  auto lib = Library::open(tmp / "data");
  lib.scan(tmp.path(), {});
  const auto& engine = lib.search_engine();
  std::map<int64_t, Props> by_id;
  for (const auto& t : lib.catalog().tracks()) by_id[t.id] = props.at(t.path);

  struct Q {
    const char* prompt;
    std::function<bool(const Props&)> relevant;
  };
  const std::vector<Q> queries{
      {"slow", [](const Props& p) { return p.slow; }},
      {"fast", [](const Props& p) { return !p.slow; }},
      {"minor", [](const Props& p) { return p.minor; }},
      {"happy major", [](const Props& p) { return !p.minor; }},
      {"bright", [](const Props& p) { return !p.dark; }},
      {"dark", [](const Props& p) { return p.dark; }},
      {"slow minor", [](const Props& p) { return p.slow && p.minor; }},
      {"fast bright major", [](const Props& p) { return !p.slow && !p.dark && !p.minor; }},
  };
  std::printf("Generated library: %zu tracks (half relevant per single-property query; a quarter or an eighth for the combined ones)\n",
              by_id.size());
  std::printf("  %-22s P@10\n", "query");
  for (const auto& q : queries) {
    const auto resp = engine.search({audiorium::query::parse_query(q.prompt), {}, std::nullopt, std::nullopt}, strict(10));
    std::printf("  %-22s %.2f\n", q.prompt, precision(ids_of(resp), [&](int64_t id) { return q.relevant(by_id.at(id)); }));
  }
}

std::map<std::string, std::string> read_styles(const fs::path& tsv) {
  std::map<std::string, std::string> out;
  std::ifstream in(tsv);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    std::string pkg, soundtrack, style;
    std::getline(ss, pkg, '\t');
    std::getline(ss, soundtrack, '\t');
    std::getline(ss, style, '\t');
    out[pkg] = style;
  }
  return out;
}

void demo_part(const std::string& data, const std::string& root, const std::string& labels) {
  auto lib = Library::open(data);
  const auto styles = read_styles(labels);
  const auto root_abs = fs::absolute(root).lexically_normal();
  std::map<int64_t, std::string> style_of, package_of;
  for (const auto& t : lib.catalog().tracks()) {
    const auto rel = fs::path(t.path).lexically_relative(root_abs);
    if (rel.empty() || *rel.begin() == "..") continue;
    package_of[t.id] = rel.begin()->string();
    if (auto it = styles.find(rel.begin()->string()); it != styles.end()) style_of[t.id] = it->second;
  }
  const auto& engine = lib.search_engine();
  struct Q {
    const char* prompt;
    std::set<std::string> styles;
  };
  const std::vector<Q> queries{{"orchestral", {"orchestral"}},
                               {"electronic", {"electronic", "electronic-ambient"}},
                               {"calm ambient", {"ambient", "electronic-ambient"}},
                               {"fast rock", {"rock"}},
                               {"cheerful", {"cheerful"}},
                               {"epic battle music", {"orchestral"}}};
  std::map<std::string, int> count;
  for (const auto& [id, s] : style_of) ++count[s];
  std::printf("\nDemo library: %zu labelled tracks; styles:", style_of.size());
  for (const auto& [s, n] : count) std::printf(" %s %d", s.c_str(), n);
  std::printf("\n  %-22s P@10  (chance)\n", "query");
  for (const auto& q : queries) {
    const auto resp = engine.search({audiorium::query::parse_query(q.prompt), {}, std::nullopt, std::nullopt}, strict(10));
    int relevant = 0;
    for (const auto& [id, s] : style_of) relevant += q.styles.count(s) > 0;
    std::printf("  %-22s %.2f  (%.2f)\n", q.prompt,
                precision(ids_of(resp), [&](int64_t id) { return style_of.count(id) && q.styles.count(style_of.at(id)); }),
                static_cast<double>(relevant) / static_cast<double>(style_of.size()));
  }

  // Ordering trade-off: "like <track>" for every 4th track; relevant = same soundtrack.
  std::printf("\n  Ordering trade-off, reference-track queries (relevant = same soundtrack), k = 10:\n");
  std::printf("  %-6s %-6s %-8s %-8s\n", "tau", "lambda", "P@10", "ILD");
  std::vector<int64_t> seeds;
  int i = 0;
  for (const auto& [id, pkg] : package_of)
    if (i++ % 4 == 0) seeds.push_back(id);
  for (double tau : {0.0, 0.05, 0.1, 0.2})
    for (double lambda : {1.0, 0.8, 0.6}) {
      double p_sum = 0, ild_sum = 0;
      int n = 0;
      for (auto seed_id : seeds) {
        auto o = strict(10);
        o.temperature = tau;
        o.lambda = lambda;
        o.seed = static_cast<std::uint64_t>(seed_id);
        audiorium::recommend::SearchRequest req;
        req.anchor_track = seed_id;
        const auto resp = engine.search(req, o);
        const auto ids = ids_of(resp);
        p_sum += precision(ids, [&](int64_t id) { return package_of.count(id) && package_of.at(id) == package_of.at(seed_id); });
        std::vector<std::vector<float>> vecs;
        for (auto id : ids) vecs.push_back(engine.facts(id)->embedding);
        ild_sum += audiorium::recommend::intra_list_diversity(vecs);
        ++n;
      }
      std::printf("  %-6.2f %-6.2f %-8.3f %-8.3f\n", tau, lambda, p_sum / n, ild_sum / n);
    }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"search quality: descriptor queries on generated audio, style words and ordering on the demo library"};
  std::string data, root, labels = "scripts/demo-packages.tsv";
  app.add_option("--data", data, "Indexed demo data folder");
  app.add_option("--root", root, "Demo music root");
  app.add_option("--labels", labels, "Package → style table");
  CLI11_PARSE(app, argc, argv);
  generated_part();
  if (!data.empty() && !root.empty()) demo_part(data, root, labels);
  return 0;
}
