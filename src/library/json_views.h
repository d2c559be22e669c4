// The JSON shapes of tracks and result lists, shared by `audiorium --json …` and the HTTP API so that a
// script and the web page see the same fields. Pure functions over data already read from the catalog
// (the server calls them outside its library lock).
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "recommend/ordering.h"
#include "recommend/search.h"

namespace audiorium::library {

// id, path, title, artist, album, genre, duration_s.
nlohmann::json track_json(const catalog::Track& track);

// `base` plus random_seed, understood, ignored, notes, pool and results (each a track_json with rank,
// score, parts, reasons and summary). Results whose track is missing from `tracks` are left out.
nlohmann::json search_response_json(const recommend::SearchResponse& response,
                                    const std::map<int64_t, catalog::Track>& tracks, std::uint64_t seed,
                                    nlohmann::json base = nlohmann::json::object());

// seed_track, random_seed, options and results (track_json with rank and score), for similar and queue.
nlohmann::json candidates_json(const std::optional<catalog::Track>& seed_track,
                               const std::vector<recommend::Candidate>& results,
                               const std::map<int64_t, catalog::Track>& tracks, std::uint64_t seed,
                               const nlohmann::json& options);

}  // namespace audiorium::library
