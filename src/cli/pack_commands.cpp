#include "cli/pack_commands.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "core/error.h"
#include "library/json_views.h"
#include "library/library.h"
#include "packembed/bridge.h"
#include "packembed/index_pack.h"
#include "packembed/pack.h"
#include "recommend/ordering.h"

namespace audiorium::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::shared_ptr<packembed::Pack> open_pack(const PackQuery& q, const std::string& which) {
  const auto dir = packembed::find_pack(which, packs::pack_search_path(q.data_dir));
  packembed::set_threads(q.jobs);
  return packembed::Pack::open(dir);
}

// The dimension of the vectors already stored under the pack's embedder id (0: none): another one than the pack's
// is an error, never a silent mix.
int require_matching_dim(library::Library& lib, const packembed::Pack& pack) {
  const int stored = lib.catalog().vector_dim(pack.embedder_id());
  if (stored > 0 && stored != pack.dim())
    throw Error("pack '" + pack.spec().name + "' makes " + std::to_string(pack.dim()) +
                "-dimensional embeddings but the catalog's " + pack.embedder_id() + " vectors have " +
                std::to_string(stored) + ": re-index with this pack under another name or version");
  return stored;
}

// The pack's library: its vectors, L2 finisher and index (rebuilt from the catalog when stale).
library::Library pack_library(const PackQuery& q, const std::shared_ptr<packembed::Pack>& pack) {
  auto lib = library::Library::open(q.data_dir, std::make_unique<packembed::PackEmbedder>(pack));
  if (require_matching_dim(lib, *pack) == 0)
    throw Error("no track has a " + pack->embedder_id() + " vector yet: run `audiorium index DIR --embedder " +
                pack->spec().kind + ":" + pack->spec().name + "` first");
  return lib;
}

int print_ranked(library::Library& lib, const PackQuery& q, const std::string& heading, const std::vector<float>& query,
                 json extra) {
  auto rec = lib.recommender();
  recommend::OrderingOptions o{q.k, q.pool_factor, q.temperature, q.seed};
  auto pool = rec.nearest(query, static_cast<int>(recommend::pool_size(o)), {});
  const auto results = recommend::rule_based_order(std::move(pool), o);
  std::map<int64_t, catalog::Track> tracks;
  for (const auto& r : results)
    if (auto t = lib.catalog().track(r.id)) tracks.emplace(r.id, std::move(*t));
  if (q.json) {
    extra["k"] = q.k;
    extra["pool_factor"] = q.pool_factor;
    extra["temperature"] = q.temperature;
    std::cout << library::candidates_json(std::nullopt, results, tracks, q.seed, extra).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  std::cout << heading << " (seed " << q.seed << ")\n";
  int rank = 1;
  for (const auto& r : results) {
    const auto it = tracks.find(r.id);
    if (it == tracks.end()) continue;
    const auto& t = it->second;
    char prefix[48];
    std::snprintf(prefix, sizeof prefix, "%3d. %.3f  ", rank++, static_cast<double>(r.score));
    std::cout << prefix << (t.tags.artist.empty() ? fs::path(t.path).parent_path().filename().string() : t.tags.artist)
              << " – " << t.display_title() << "  (id " << t.id << ")\n";
  }
  return 0;
}

}  // namespace

json index_with_pack(const PackQuery& q, const audio::AnalysisWindow& window) {
  const auto pack = open_pack(q, q.embedder);
  packembed::PackEmbedder embedder(pack);
  auto lib = library::Library::open(q.data_dir, std::make_unique<packembed::PackEmbedder>(pack));
  require_matching_dim(lib, *pack);
  packembed::PackIndexOptions opts;
  opts.jobs = q.jobs;
  opts.window = window;
  const bool tty = isatty(STDERR_FILENO) != 0;
  if (!q.json)
    opts.on_progress = [&](const packembed::PackIndexProgress& p) {
      if (!tty && p.embedded != p.to_embed) return;
      std::fprintf(stderr, "%s%s: %zu/%zu embedded%s", tty ? "\r\033[K" : "", pack->embedder_id().c_str(), p.embedded,
                   p.to_embed, p.embedded == p.to_embed || !tty ? "\n" : "");
    };
  const auto r = packembed::embed_missing(lib.catalog(), embedder, opts);
  const auto info = lib.index_info();
  json out{{"embedder", pack->embedder_id()}, {"pack", pack->spec().name}, {"tracks", r.tracks},
           {"already_embedded", r.already}, {"embedded", r.embedded}, {"failed", r.failed}, {"seconds", r.seconds},
           {"x_real_time", r.seconds > 0 ? r.audio_seconds / r.seconds : 0.0},
           {"index", {{"factory", info.factory}, {"vectors", info.vectors}, {"dim", info.dim}}}};
  json problems = json::array();
  for (const auto& [path, reason] : r.problems) problems.push_back({{"path", path}, {"reason", reason}});
  out["problems"] = problems;
  if (!q.json) {
    std::printf("Pack %s: %zu embedded, %zu already had a vector, %zu failed (%.1f s, %.1fx real time)\n",
                pack->embedder_id().c_str(), r.embedded, r.already, r.failed, r.seconds,
                out["x_real_time"].get<double>());
    for (std::size_t i = 0; i < r.problems.size() && i < 10; ++i)
      std::printf("  skipped %s: %s\n", r.problems[i].first.c_str(), r.problems[i].second.c_str());
    std::printf("Index: %s, %s, %zu vectors × %d\n", info.embedder.c_str(), info.factory.c_str(), info.vectors, info.dim);
  }
  return out;
}

int search_with_pack(const PackQuery& q, const std::string& prompt) {
  const auto pack = open_pack(q, q.embedder);
  if (!pack->has_text()) throw Error("pack '" + pack->spec().name + "' has no text tower");
  auto lib = pack_library(q, pack);
  const auto query = pack->embed_text(prompt);
  return print_ranked(lib, q, "Search \"" + prompt + "\" with " + pack->embedder_id(), query,
                      {{"query", prompt}, {"embedder", pack->embedder_id()}});
}

int image_with_pack(const PackQuery& q, const fs::path& image) {
  const auto plus = q.embedder.find('+');
  if (plus == std::string::npos)
    throw Error("image search needs a CLIP pack and a CLAP pack: --embedder clip+clap (or clip:<name>+clap:<name>)");
  const auto clip = open_pack(q, q.embedder.substr(0, plus));
  const auto clap = open_pack(q, q.embedder.substr(plus + 1));
  if (clip->spec().kind != "clip" || clap->spec().kind != "clap")
    throw Error("--embedder for images is <clip pack>+<clap pack>, got " + clip->spec().kind + "+" + clap->spec().kind);
  auto lib = pack_library(q, clap);
  const auto image_embedding = clip->embed_image_file(image);
  const auto bridge = packembed::bridge_image_embedding(image_embedding, *clip, *clap);
  json moods = json::array();
  std::string line;
  for (const auto& c : bridge.chosen) {
    const auto& p = packembed::mood_prompts()[c.prompt];
    moods.push_back({{"image_prompt", p.image_prompt}, {"music_prompt", p.music_prompt}, {"weight", c.probability}});
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s'%s' %.2f", line.empty() ? "" : ", ", p.music_prompt.c_str(), c.probability);
    line += buf;
  }
  return print_ranked(lib, q, "Image " + image.filename().string() + " → " + line, bridge.query,
                      {{"image", image.string()}, {"embedder", clip->embedder_id() + "+" + clap->embedder_id()},
                       {"moods", moods}});
}

}  // namespace audiorium::cli
