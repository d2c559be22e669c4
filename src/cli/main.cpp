// audiorium: the command-line face of the engine. Each sub-command is a thin layer over library::Library;
// every one takes --data DIR (or $AUDIORIUM_DATA) and --json for scripts.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/eval_command.h"
#include "cli/pack_commands.h"
#include "cli/packs_command.h"
#include "cli/serve_command.h"
#include "core/data_dir.h"
#include "core/error.h"
#include "image/mood.h"
#include "library/json_views.h"
#include "library/library.h"
#include "query/parser.h"
#include "recommend/ordering.h"
#include "recommend/recommender.h"

namespace {

using audiorium::Error;
using audiorium::library::Library;
using nlohmann::json;
namespace fs = std::filesystem;

struct Common {
  std::string data;
  bool json = false;
};

Library open_library(const Common& c) {
  const auto dir = audiorium::resolve_data_dir(c.data.empty() ? std::nullopt : std::optional<fs::path>(c.data));
  return Library::open(dir);
}

std::string format_duration(double seconds) {
  const auto s = static_cast<long>(std::lround(std::max(0.0, seconds)));
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

using audiorium::library::track_json;

// The tracks a result list names, read once.
std::map<int64_t, audiorium::catalog::Track> tracks_of(Library& lib, const std::vector<int64_t>& ids) {
  std::map<int64_t, audiorium::catalog::Track> out;
  for (auto id : ids)
    if (auto t = lib.catalog().track(id)) out.emplace(id, std::move(*t));
  return out;
}

std::string track_line(const audiorium::catalog::Track& t) {
  std::string who = t.tags.artist.empty() ? (t.tags.album.empty() ? fs::path(t.path).parent_path().filename().string()
                                                                   : t.tags.album)
                                          : t.tags.artist;
  return who + " – " + t.display_title();
}

// A catalog id, a path or a title fragment → one track id; says on stderr when the choice was ambiguous.
int64_t resolve_track(Library& lib, const std::string& ref, bool quiet) {
  const auto ids = lib.catalog().find_tracks(ref, 6);
  if (ids.empty())
    throw Error("no track in the catalog matches '" + ref + "' (give an id, a path, or part of a title; see `audiorium info`)");
  if (ids.size() > 1 && !quiet) {
    const auto t = lib.catalog().track(ids.front());
    std::cerr << "using \"" << (t ? t->display_title() : "?") << "\" (id " << ids.front() << "); "
              << (ids.size() - 1 == 5 ? "5 or more" : std::to_string(ids.size() - 1))
              << " other tracks also match — pass an id to choose\n";
  }
  return ids.front();
}

std::uint64_t pick_seed(std::optional<std::uint64_t> seed) {
  if (seed) return *seed;
  return std::random_device{}() % 100000;  // small, so it is easy to retype for a reproduction
}

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled), tty_(isatty(STDERR_FILENO) != 0) {}
  void update(const audiorium::library::ScanProgress& p) {
    if (!enabled_ || p.to_analyse == 0) return;
    const auto now = std::chrono::steady_clock::now();
    const bool last = p.analysed == p.to_analyse;
    if (!last && now - last_ < std::chrono::milliseconds(tty_ ? 100 : 5000)) return;
    last_ = now;
    const double frac = static_cast<double>(p.analysed) / static_cast<double>(p.to_analyse);
    constexpr int width = 28;
    const int filled = static_cast<int>(frac * width);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(width, '-');
    std::string name = fs::path(p.current).filename().string();
    if (name.size() > 30) name = name.substr(0, 27) + "...";
    char line[256];
    std::snprintf(line, sizeof line, "[%s] %zu/%zu %3.0f%%  %.1f tracks/s  ETA %s  %s%s", bar.c_str(), p.analysed,
                  p.to_analyse, frac * 100, p.tracks_per_s, format_duration(p.eta_s).c_str(),
                  p.failed ? ("failed " + std::to_string(p.failed) + "  ").c_str() : "", name.c_str());
    if (tty_) std::cerr << "\r\033[K" << line << (last ? "\n" : "") << std::flush;
    else std::cerr << line << "\n";
  }

 private:
  bool enabled_, tty_;
  std::chrono::steady_clock::time_point last_{};
};

int cmd_index(const Common& c, const std::string& folder, int jobs, bool full, double window_s,
              const std::string& factory, const std::string& pack_embedder) {
  auto lib = open_library(c);
  audiorium::library::ScanOptions opts;
  opts.jobs = jobs;
  opts.window = full ? audiorium::audio::AnalysisWindow::full() : audiorium::audio::AnalysisWindow::middle(window_s);
  ProgressBar bar(!c.json);
  opts.on_progress = [&](const auto& p) { bar.update(p); };
  const auto report = lib.scan(folder, opts);
  if (factory != "auto") lib.rebuild_index(factory);
  const auto info = lib.index_info();
  if (!pack_embedder.empty() && pack_embedder != "dsp-v1") {  // model pack vectors beside dsp-v1 (issue 6)
    if (!c.json) std::cout << "Scanned " << report.files_found << " audio files with dsp-v1; now the pack:\n";
    audiorium::cli::PackQuery q;
    q.data_dir = lib.data_dir();
    q.embedder = pack_embedder;
    q.jobs = jobs;
    q.json = c.json;
    const auto pack = audiorium::cli::index_with_pack(q, opts.window);
    if (c.json) std::cout << json{{"files_found", report.files_found}, {"added", report.added}, {"failed", report.failed},
                                  {"index", {{"embedder", info.embedder}, {"vectors", info.vectors}}}, {"pack", pack}}
                                 .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                          << "\n";
    return 0;
  }
  if (c.json) {
    json problems = json::array();
    for (const auto& p : report.problems) problems.push_back({{"path", p.path}, {"reason", p.reason}});
    std::cout << json{{"files_found", report.files_found}, {"added", report.added},   {"updated", report.updated},
                      {"unchanged", report.unchanged},     {"moved", report.moved},   {"removed", report.removed},
                      {"failed", report.failed},           {"ignored", report.ignored}, {"seconds", report.seconds},
                      {"index", {{"embedder", info.embedder}, {"factory", info.factory}, {"vectors", info.vectors}}},
                      {"problems", problems}}
                     .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    std::cout << "Indexed " << folder << " in " << format_duration(report.seconds) << ": " << report.files_found
              << " audio files — " << report.added << " added, " << report.updated << " updated, " << report.moved
              << " moved, " << report.removed << " removed, " << report.unchanged << " unchanged, " << report.failed
              << " failed (" << report.ignored << " other files ignored)\n";
    for (std::size_t i = 0; i < report.problems.size() && i < 10; ++i)
      std::cout << "  skipped " << report.problems[i].path << ": " << report.problems[i].reason << "\n";
    if (report.problems.size() > 10)
      std::cout << "  … and " << report.problems.size() - 10 << " more (audiorium info --json lists all)\n";
    std::cout << "Index: " << info.embedder << ", " << info.factory << ", " << info.vectors << " vectors\n";
  }
  return 0;
}

void print_results(Library& lib, const Common& c, const std::string& heading, int64_t seed_id,
                   const std::vector<audiorium::recommend::Candidate>& results, std::uint64_t seed,
                   const json& options) {
  const auto seed_track = lib.catalog().track(seed_id);
  if (c.json) {
    std::vector<int64_t> ids;
    for (const auto& r : results) ids.push_back(r.id);
    std::cout << audiorium::library::candidates_json(seed_track, results, tracks_of(lib, ids), seed, options).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  std::cout << heading << " \"" << (seed_track ? track_line(*seed_track) : "?") << "\" (seed " << seed << ")\n";
  int rank = 1;
  for (const auto& r : results) {
    auto t = lib.catalog().track(r.id);
    if (!t) continue;
    char prefix[48];
    std::snprintf(prefix, sizeof prefix, "%3d. %.3f  ", rank++, static_cast<double>(r.score));
    std::cout << prefix << track_line(*t) << "  (id " << t->id << ", " << format_duration(t->duration_s) << ")\n";
  }
}

int cmd_similar(const Common& c, const std::string& ref, int k, double pool_factor, double temperature,
                std::optional<std::uint64_t> seed_opt) {
  auto lib = open_library(c);
  const int64_t id = resolve_track(lib, ref, c.json);
  const auto seed = pick_seed(seed_opt);
  audiorium::recommend::OrderingOptions o{k, pool_factor, temperature, seed};
  const auto results = lib.recommender().similar(id, o);
  print_results(lib, c, "Similar to", id, results, seed,
                {{"k", k}, {"pool_factor", pool_factor}, {"temperature", temperature}});
  return 0;
}

int cmd_queue(const Common& c, const std::string& ref, int length, double drift, double temperature,
              int cooldown, std::optional<std::uint64_t> seed_opt) {
  auto lib = open_library(c);
  const int64_t id = resolve_track(lib, ref, c.json);
  const auto seed = pick_seed(seed_opt);
  audiorium::recommend::QueueOptions q;
  q.ordering.temperature = temperature;
  q.ordering.seed = seed;
  q.drift = drift;
  q.artist_cooldown = cooldown;
  auto rec = lib.recommender();
  audiorium::recommend::QueueSession session(rec, lib.track_source(), id, q);
  const auto results = session.take(length);
  print_results(lib, c, "Queue from", id, results, seed,
                {{"length", length}, {"drift", drift}, {"temperature", temperature}, {"artist_cooldown", cooldown}});
  if (!c.json && static_cast<int>(results.size()) < length)
    std::cout << "(the library ran out of unplayed tracks after " << results.size() << ")\n";
  return 0;
}

struct SearchCli {
  int k = 10;
  double pool_factor = 3.0, temperature = 0.05, lambda = 0.8;
  int max_per_artist = 2, max_per_album = 3;
  std::optional<std::uint64_t> seed;
  std::string vocabulary;
  std::string embedder = "dsp-v1";  // or a model pack: clap, clap:<name>, clip+clap (issue 6)
  int jobs = 0;
};

audiorium::cli::PackQuery pack_query(const Common& c, const SearchCli& s, std::uint64_t seed) {
  audiorium::cli::PackQuery q;
  q.data_dir = audiorium::resolve_data_dir(c.data.empty() ? std::nullopt : std::optional<fs::path>(c.data));
  q.embedder = s.embedder;
  q.k = s.k;
  q.pool_factor = s.pool_factor;
  q.temperature = s.temperature;
  q.seed = seed;
  q.jobs = s.jobs;
  q.json = c.json;
  return q;
}

void print_search(Library& lib, const Common& c, const std::string& heading,
                  const audiorium::recommend::SearchResponse& response, std::uint64_t seed, const json& extra) {
  if (c.json) {
    std::vector<int64_t> ids;
    for (const auto& r : response.results) ids.push_back(r.id);
    std::cout << audiorium::library::search_response_json(response, tracks_of(lib, ids), seed, extra).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  std::cout << heading << " (seed " << seed << ")\n";
  if (!response.understood.empty()) {
    std::cout << "  understood:";
    for (const auto& u : response.understood) std::cout << " " << u << ";";
    std::cout << "\n";
  }
  if (!response.ignored.empty()) {
    std::cout << "  ignored:";
    for (const auto& w : response.ignored) std::cout << " '" << w << "'";
    std::cout << "\n";
  }
  for (const auto& n : response.notes) std::cout << "  note: " << n << "\n";
  int rank = 1;
  for (const auto& r : response.results) {
    const auto t = lib.catalog().track(r.id);
    if (!t) continue;
    char prefix[48];
    std::snprintf(prefix, sizeof prefix, "%3d. %.3f  ", rank++, r.score);
    std::cout << prefix << track_line(*t) << "  (id " << t->id << ")\n        " << r.summary << "\n";
  }
}

audiorium::recommend::SearchOptions search_options(const SearchCli& s, std::uint64_t seed) {
  audiorium::recommend::SearchOptions o;
  o.k = s.k;
  o.pool_factor = s.pool_factor;
  o.temperature = s.temperature;
  o.lambda = s.lambda;
  o.max_per_artist = s.max_per_artist;
  o.max_per_album = s.max_per_album;
  o.seed = seed;
  return o;
}

int cmd_search(const Common& c, const std::string& prompt, const SearchCli& s) {
  if (s.embedder != "dsp-v1") return audiorium::cli::search_with_pack(pack_query(c, s, pick_seed(s.seed)), prompt);
  auto lib = open_library(c);
  const auto vocab = s.vocabulary.empty() ? audiorium::query::Vocabulary::builtin()
                                          : audiorium::query::Vocabulary::load(s.vocabulary);
  audiorium::recommend::SearchRequest request;
  request.parsed = audiorium::query::parse_query(prompt, vocab);
  std::vector<std::string> notes;
  if (request.parsed.track_reference) {
    const auto ids = lib.catalog().find_tracks(*request.parsed.track_reference, 1);
    if (ids.empty()) notes.push_back("no track matches '" + *request.parsed.track_reference + "'");
    else request.anchor_track = ids.front();
  }
  const auto seed = pick_seed(s.seed);
  auto response = lib.search_engine().search(request, search_options(s, seed));
  response.notes.insert(response.notes.begin(), notes.begin(), notes.end());
  json extra{{"query", prompt}};
  if (request.anchor_track) extra["reference_track_id"] = *request.anchor_track;
  print_search(lib, c, "Search \"" + prompt + "\"", response, seed, extra);
  return 0;
}

int cmd_image(const Common& c, const std::string& file, const SearchCli& s) {
  if (s.embedder != "dsp-v1") return audiorium::cli::image_with_pack(pack_query(c, s, pick_seed(s.seed)), file);
  const auto mood = audiorium::image::analyse_image_file(file);
  auto lib = open_library(c);
  audiorium::recommend::SearchRequest request;
  request.extra_targets = audiorium::image::mood_targets(mood);
  const auto seed = pick_seed(s.seed);
  auto response = lib.search_engine().search(request, search_options(s, seed));
  const auto words = audiorium::image::mood_words(mood);
  std::string mood_line;
  for (const auto& w : words) mood_line += (mood_line.empty() ? "" : ", ") + w;
  json extra{{"image", file},
             {"mood", {{"words", words}, {"brightness", mood.brightness}, {"saturation", mood.saturation},
                       {"warmth", mood.warmth}, {"contrast", mood.contrast}, {"colourfulness", mood.colourfulness},
                       {"edge_density", mood.edge_density}, {"width", mood.width}, {"height", mood.height}}}};
  print_search(lib, c, "Image " + fs::path(file).filename().string() + " — mood: " + (mood_line.empty() ? "neutral" : mood_line),
               response, seed, extra);
  return 0;
}

int cmd_info(const Common& c) {
  auto lib = open_library(c);
  const auto stats = lib.catalog().stats();
  const auto info = lib.index_info();
  const auto errors = lib.catalog().scan_errors();
  if (c.json) {
    json embedders = json::object();
    for (const auto& [name, n] : stats.vectors_per_embedder) embedders[name] = n;
    json errs = json::array();
    for (const auto& e : errors) errs.push_back({{"path", e.path}, {"reason", e.reason}, {"at", e.at_unix}});
    std::cout << json{{"data_dir", lib.data_dir().string()},
                      {"tracks", stats.tracks},
                      {"total_hours", stats.total_duration_s / 3600.0},
                      {"embedders", embedders},
                      {"index", {{"embedder", info.embedder}, {"factory", info.factory}, {"vectors", info.vectors}, {"dim", info.dim}}},
                      {"scan_errors", errs}}
                     .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
    return 0;
  }
  std::cout << "Data folder: " << lib.data_dir().string() << "\n"
            << "Tracks:      " << stats.tracks << " (" << format_duration(stats.total_duration_s) << " of music)\n"
            << "Embedders:  ";
  for (const auto& [name, n] : stats.vectors_per_embedder) std::cout << " " << name << " (" << n << " vectors)";
  std::cout << "\nIndex:       " << info.embedder << " · " << info.factory << " · " << info.vectors << " × " << info.dim
            << (info.rebuilt ? " (rebuilt now: the catalog had changed)" : "") << "\n"
            << "Scan errors: " << errors.size() << "\n";
  for (std::size_t i = 0; i < errors.size() && i < 10; ++i)
    std::cout << "  " << errors[i].path << ": " << errors[i].reason << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Audiorium — music discovery by what it sounds like"};
  app.require_subcommand(1);
  Common common;
  app.add_option("--data", common.data, "Folder for the catalog and indexes (default $AUDIORIUM_DATA or ~/.local/share/audiorium)");
  app.add_flag("--json", common.json, "Machine-readable output");

  auto* index = app.add_subcommand("index", "Scan a music folder into the catalog (incremental)");
  std::string folder, factory = "auto";
  int jobs = 0;
  bool full = false;
  double window_s = 30.0;
  index->add_option("folder", folder, "Music folder")->required();
  index->add_option("-j,--jobs", jobs, "Analysis threads (default: cores)")->check(CLI::Range(0, 256));
  index->add_flag("--full", full, "Analyse whole tracks instead of a window from the middle");
  index->add_option("--window", window_s, "Seconds analysed from the middle of each track")->check(CLI::Range(1.0, 3600.0));
  index->add_option("--index-type", factory, "auto | Flat | HNSW32 (auto: Flat below 50k tracks)");
  std::string index_embedder;
  index->add_option("--embedder", index_embedder,
                    "Also embed with a model pack: clap | clap:<pack> (vectors beside dsp-v1; needs libtorch)");

  std::string ref;
  int k = 10, length = 20, cooldown = 2;
  double pool_factor = 3.0, temperature = 0.05, drift = 0.3;
  std::optional<std::uint64_t> seed;
  auto* similar = app.add_subcommand("similar", "Tracks that sound like a track");
  similar->add_option("track", ref, "Catalog id, path or title fragment")->required();
  similar->add_option("-k", k, "How many results")->check(CLI::Range(1, 1000));
  similar->add_option("--pool-factor", pool_factor, "Draw from the top k × this (≥ 1)")->check(CLI::Range(1.0, 100.0));
  similar->add_option("--temperature,--tau", temperature, "Randomness of the draw; 0 = strict top k")->check(CLI::Range(0.0, 10.0));
  similar->add_option("--seed", seed, "Random seed, for a reproducible list");

  auto* queue = app.add_subcommand("queue", "An endless queue from a track, without repeats");
  queue->add_option("track", ref, "Catalog id, path or title fragment")->required();
  queue->add_option("-n,--length", length, "How many tracks")->check(CLI::Range(1, 10000));
  queue->add_option("--drift", drift, "0 = stay near the first track, 1 = follow the current one")->check(CLI::Range(0.0, 1.0));
  queue->add_option("--temperature,--tau", temperature, "Randomness of each pick; 0 = nearest")->check(CLI::Range(0.0, 10.0));
  queue->add_option("--artist-cooldown", cooldown, "No same artist within this many picks")->check(CLI::Range(0, 100));
  queue->add_option("--seed", seed, "Random seed, for a reproducible queue");

  auto* info = app.add_subcommand("info", "What the catalog holds");
  audiorium::cli::add_serve_command(app, common.data);
  audiorium::cli::add_packs_command(app, common.data, common.json);
  audiorium::cli::add_eval_commands(app, common.data, common.json);

  SearchCli sc;
  std::string prompt, image_file;
  auto add_search_options = [&](CLI::App* cmd) {
    cmd->add_option("-k", sc.k, "How many results")->check(CLI::Range(1, 1000));
    cmd->add_option("--pool-factor", sc.pool_factor, "Draw from the top k × this (≥ 1)")->check(CLI::Range(1.0, 100.0));
    cmd->add_option("--temperature,--tau", sc.temperature, "Randomness of the draw; 0 = strict")->check(CLI::Range(0.0, 10.0));
    cmd->add_option("--lambda", sc.lambda, "MMR trade-off: 1 = relevance only, lower = more diverse")->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--max-per-artist", sc.max_per_artist, "At most this many per artist (0 = no cap)")->check(CLI::Range(0, 1000));
    cmd->add_option("--max-per-album", sc.max_per_album, "At most this many per album (0 = no cap)")->check(CLI::Range(0, 1000));
    cmd->add_option("--seed", sc.seed, "Random seed, for a reproducible list");
    cmd->add_option("--embedder", sc.embedder,
                    "dsp-v1 (default), or a model pack: clap | clap:<pack> (search), clip+clap (image)");
    cmd->add_option("-j,--jobs", sc.jobs, "libtorch threads for a model pack (default: cores)")->check(CLI::Range(0, 256));
  };
  auto* search = app.add_subcommand("search", "Tracks that fit a text prompt (\"slow dark piano\", \"like 'Battle' but calmer\")");
  search->add_option("prompt", prompt, "What you want to hear")->required();
  search->add_option("--vocabulary", sc.vocabulary, "A vocabulary JSON file instead of the built-in one")->check(CLI::ExistingFile);
  add_search_options(search);
  auto* image = app.add_subcommand("image", "Tracks that fit a photo's mood (JPEG, PNG, WebP, HEIC)");
  image->add_option("file", image_file, "Image file")->required();
  add_search_options(image);

  CLI11_PARSE(app, argc, argv);
  try {
    if (*index) return cmd_index(common, folder, jobs, full, window_s, factory, index_embedder);
    if (*similar) return cmd_similar(common, ref, k, pool_factor, temperature, seed);
    if (*queue) return cmd_queue(common, ref, length, drift, temperature, cooldown, seed);
    if (*info) return cmd_info(common);
    if (*search) return cmd_search(common, prompt, sc);
    if (*image) return cmd_image(common, image_file, sc);
  } catch (const std::exception& e) {
    std::cerr << "audiorium: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
