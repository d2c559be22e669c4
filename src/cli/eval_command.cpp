#include "cli/eval_command.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/data_dir.h"
#include "eval/labels.h"
#include "eval/protocol.h"
#include "eval/report.h"
#include "eval/study.h"
#include "library/library.h"

namespace audiorium::cli {

namespace fs = std::filesystem;

namespace {

library::Library open_library(const std::string& data_option) {
  const auto dir = resolve_data_dir(data_option.empty() ? std::nullopt : std::optional<fs::path>(data_option));
  return library::Library::open(dir);
}

std::optional<eval::LabelsFile> read_labels(const std::string& file, bool quiet) {
  if (file.empty()) return std::nullopt;
  auto labels = eval::read_labels_csv(fs::path(file));
  if (!quiet)
    for (const auto& p : labels.problems) std::cerr << file << ":" << p.line << ": " << p.message << "\n";
  return labels;
}

// Runs `body`, turning a failure into "audiorium: …" and exit code 1, as serve does.
template <typename F>
void guarded(F&& body) {
  try {
    body();
  } catch (const CLI::Error&) {
    throw;
  } catch (const std::exception& e) {
    std::cerr << "audiorium: " << e.what() << "\n";
    throw CLI::RuntimeError(1);
  }
}

struct EvalCli {
  std::string protocol = "default";
  std::optional<int> repetitions, seed_tracks, k, homogeneity_k, horse_tracks;
  std::optional<double> baseline, temperature, pool_factor, lambda;
  std::uint64_t seed = 1;
  std::string labels, out;
  int jobs = 0;
};

struct StudyCli {
  int n = 10, length = 10;
  std::uint64_t seed = 1;
  std::string out = "study", labels, ratings, key;
};

}  // namespace

void add_eval_commands(CLI::App& app, const std::string& data_option, const bool& json_option) {
  auto e = std::make_shared<EvalCli>();
  auto* ev = app.add_subcommand("eval", "Evaluate the recommender: label homogeneity, diversity, retrieval, horse checks");
  ev->add_option("--protocol", e->protocol, "Named protocol (default)");
  ev->add_option("--seeds", e->repetitions, "Repetitions of the protocol, with seeds seed, seed+1, … (default 5)")
      ->check(CLI::Range(1, 1000));
  ev->add_option("--seed", e->seed, "First random seed (default 1)");
  ev->add_option("--tracks", e->seed_tracks, "Random seed tracks per repetition (default 10)")->check(CLI::Range(0, 100000));
  ev->add_option("-k", e->k, "List length for diversity and retrieval (default 10)")->check(CLI::Range(1, 1000));
  ev->add_option("--homogeneity-k", e->homogeneity_k, "List length for label homogeneity (default 100, the original's)")
      ->check(CLI::Range(1, 10000));
  ev->add_option("--baseline", e->baseline, "Population share of major-label artists (default 0.3)")->check(CLI::Range(0.0, 1.0));
  ev->add_option("--temperature,--tau", e->temperature, "τ of the rule and MMR systems (default 0.05)")->check(CLI::Range(0.0, 10.0));
  ev->add_option("--pool-factor", e->pool_factor, "Pool factor (default 3)")->check(CLI::Range(1.0, 100.0));
  ev->add_option("--lambda", e->lambda, "MMR λ (default 0.8)")->check(CLI::Range(0.0, 1.0));
  ev->add_option("--labels", e->labels, "CSV: track/artist/album → label, class (major/independent), style, popularity")
      ->check(CLI::ExistingFile);
  ev->add_option("--horse-tracks", e->horse_tracks, "Tracks for the \"is it a horse?\" checks (default 20; 0 skips them)")
      ->check(CLI::Range(0, 100000));
  ev->add_option("-j,--jobs", e->jobs, "Analysis threads for the horse checks (default: cores)")->check(CLI::Range(0, 256));
  ev->add_option("--out", e->out, "Write index.html, the SVG plots and report.json into this folder");
  ev->callback([e, &data_option, &json_option] {
    guarded([&] {
      const auto started = std::chrono::steady_clock::now();
      auto o = eval::protocol_named(e->protocol);
      o.seed = e->seed;
      if (e->repetitions) o.repetitions = *e->repetitions;
      if (e->seed_tracks) o.seed_tracks = *e->seed_tracks;
      if (e->k) o.k = *e->k;
      if (e->homogeneity_k) o.homogeneity_k = *e->homogeneity_k;
      if (e->baseline) o.baseline = *e->baseline;
      if (e->temperature) o.temperature = *e->temperature;
      if (e->pool_factor) o.pool_factor = *e->pool_factor;
      if (e->lambda) o.lambda = *e->lambda;
      if (e->horse_tracks) o.horse.tracks = *e->horse_tracks;
      o.horse.jobs = e->jobs;
      const auto labels = read_labels(e->labels, false);
      auto lib = open_library(data_option);
      const auto result = eval::run_protocol(lib, o, labels ? &*labels : nullptr,
                                             e->labels.empty() ? "" : fs::path(e->labels).filename().string());
      if (!e->out.empty()) eval::write_report(result, e->out);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      if (json_option) {
        std::cout << result.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      } else {
        std::cout << eval::text_summary(result);
        if (!e->out.empty()) std::cout << "Report: " << (fs::path(e->out) / "index.html").string() << "\n";
      }
      char line[64];
      std::snprintf(line, sizeof line, "%.1f", seconds);
      std::cerr << "eval took " << line << " s\n";  // stderr: the report itself stays deterministic
    });
  });

  auto s = std::make_shared<StudyCli>();
  auto* study = app.add_subcommand("study", "A blinded listening study: export playlists, import Likert ratings");
  study->require_subcommand(1);
  auto* ex = study->add_subcommand("export", "Write blinded playlists of every system for a listening study");
  ex->add_option("--n", s->n, "Seed tracks (each gives one playlist per system)")->check(CLI::Range(1, 10000));
  ex->add_option("--length", s->length, "Tracks per playlist after the seed")->check(CLI::Range(1, 1000));
  ex->add_option("--seed", s->seed, "Random seed (default 1)");
  ex->add_option("--out", s->out, "Folder to write (default ./study)");
  ex->add_option("--labels", s->labels, "Labels CSV (its popularity column enables the popular system)")->check(CLI::ExistingFile);
  ex->callback([s, &data_option, &json_option] {
    guarded([&] {
      eval::StudyOptions o;
      o.seed_tracks = s->n;
      o.length = s->length;
      o.seed = s->seed;
      const auto labels = read_labels(s->labels, json_option);
      auto lib = open_library(data_option);
      const auto r = eval::export_study(lib, o, labels ? &*labels : nullptr, s->out);
      if (json_option) {
        nlohmann::json files = nlohmann::json::array();
        for (const auto& f : r.files) files.push_back(f.string());
        std::cout << nlohmann::json{{"playlists", r.playlists}, {"systems", r.systems}, {"files", files}}.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      } else {
        std::cout << "Wrote " << r.playlists << " blinded playlists (" << r.systems.size() << " systems) to " << s->out
                  << "; key.csv unblinds them — keep it from participants\n";
      }
    });
  });
  auto* im = study->add_subcommand("import", "Summarise Likert ratings per system: means and 95% confidence intervals");
  im->add_option("ratings", s->ratings, "ratings.csv: participant,playlist,diversity,likability")->required()->check(CLI::ExistingFile);
  im->add_option("--key", s->key, "The key.csv of the export (default: key.csv beside the ratings)");
  im->callback([s, &json_option] {
    guarded([&] {
      const fs::path key = s->key.empty() ? fs::path(s->ratings).parent_path() / "key.csv" : fs::path(s->key);
      const auto r = eval::import_ratings(s->ratings, key);
      if (json_option) {
        std::cout << eval::to_json(r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return;
      }
      for (const auto& p : r.problems) std::cerr << s->ratings << ":" << p.line << ": " << p.message << "\n";
      std::cout << r.ratings << " ratings from " << r.participants << " participants\n";
      char line[200];
      std::snprintf(line, sizeof line, "%-11s %4s  %-24s %-24s\n", "system", "n", "diversity mean [95% CI]",
                    "likability mean [95% CI]");
      std::cout << line;
      for (const auto& sys : r.systems) {
        char d[64], l[64];
        std::snprintf(d, sizeof d, "%.2f [%.2f, %.2f]", sys.diversity.mean, sys.diversity.low, sys.diversity.high);
        std::snprintf(l, sizeof l, "%.2f [%.2f, %.2f]", sys.likability.mean, sys.likability.low, sys.likability.high);
        std::snprintf(line, sizeof line, "%-11s %4zu  %-24s %-24s\n", sys.system.c_str(), sys.diversity.n, d, l);
        std::cout << line;
      }
    });
  });
}

}  // namespace audiorium::cli
