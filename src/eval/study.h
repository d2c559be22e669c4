// A listening study like the original's: participants rate blinded playlists for diversity and likability on a
// 1–5 Likert scale, and the ratings are summarised per system with means and t-based 95% confidence intervals.
//
// export_study writes into a folder:
//   playlists.csv          playlist code, position (0 = the seed track), track id, title, artist, album, path —
//                          what participants get; the codes (P001, P002, …) are assigned in a seeded random order,
//                          so neither code nor file order reveals the system
//   playlists/<code>.m3u   the same lists as M3U, to play
//   ratings_template.csv   participant,playlist,diversity,likability — one row per playlist, ratings left empty
//   key.csv                playlist, system, seed track: the unblinding key, for the analyst only
//   README.txt             the above, for whoever runs the study
// import_ratings reads a filled-in ratings file (any number of participants, header required, columns in any order)
// and the key, and reports per system: the number of ratings, mean, sd and 95% CI of each scale. Rows with a value
// outside 1–5, an unknown playlist code or the wrong number of fields are reported with their line number and
// skipped. The CI treats every rating as independent; with few participants rating many playlists it is optimistic.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/labels.h"
#include "eval/metrics.h"
#include "eval/protocol.h"
#include "library/library.h"

namespace audiorium::eval {

struct StudyOptions {
  int seed_tracks = 10;  // --n: seed tracks; each gives one playlist per system
  int length = 10;       // recommendations per playlist (after the seed track)
  std::uint64_t seed = 1;
  ProtocolOptions systems;  // τ, pool factor, λ and caps of the systems
};

struct StudyExport {
  std::vector<std::filesystem::path> files;
  std::size_t playlists = 0;
  std::vector<std::string> systems;
};

// Throws Error when the library has fewer than two indexed tracks or the folder cannot be written.
StudyExport export_study(library::Library& library, const StudyOptions& options, const LabelsFile* labels,
                         const std::filesystem::path& dir);

struct StudySystemResult {
  std::string system;
  MeanCi diversity, likability;
};

struct StudyResult {
  std::vector<StudySystemResult> systems;  // ordered by system name
  std::size_t ratings = 0;                 // rows used
  std::size_t participants = 0;
  std::vector<CsvProblem> problems;  // in the ratings file (and the key)
};

// `key`: the key.csv export_study wrote. Throws Error when a file cannot be read or lacks a needed column.
StudyResult import_ratings(const std::filesystem::path& ratings, const std::filesystem::path& key);
nlohmann::json to_json(const StudyResult& result);

}  // namespace audiorium::eval
