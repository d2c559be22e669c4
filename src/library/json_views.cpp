#include "library/json_views.h"

namespace audiorium::library {

using nlohmann::json;

json track_json(const catalog::Track& t) {
  return {{"id", t.id},
          {"path", t.path},
          {"title", t.display_title()},
          {"artist", t.tags.artist},
          {"album", t.tags.album},
          {"genre", t.tags.genre},
          {"duration_s", t.duration_s}};
}

json search_response_json(const recommend::SearchResponse& response, const std::map<int64_t, catalog::Track>& tracks,
                          std::uint64_t seed, json out) {
  out["random_seed"] = seed;
  out["understood"] = response.understood;
  out["ignored"] = response.ignored;
  out["notes"] = response.notes;
  out["pool"] = response.pool;
  out["results"] = json::array();
  int rank = 1;
  for (const auto& r : response.results) {
    const auto it = tracks.find(r.id);
    if (it == tracks.end()) continue;
    auto j = track_json(it->second);
    j["rank"] = rank++;
    j["score"] = r.score;
    json parts = json::object();
    if (r.vector_part) parts["vector"] = *r.vector_part;
    if (r.descriptor_part) parts["descriptor"] = *r.descriptor_part;
    if (r.tag_part) parts["tags"] = *r.tag_part;
    j["parts"] = parts;
    j["reasons"] = json::array();
    for (const auto& reason : r.reasons)
      j["reasons"].push_back({{"kind", reason.kind}, {"text", reason.text}, {"strength", reason.strength}});
    j["summary"] = r.summary;
    out["results"].push_back(j);
  }
  return out;
}

json candidates_json(const std::optional<catalog::Track>& seed_track, const std::vector<recommend::Candidate>& results,
                     const std::map<int64_t, catalog::Track>& tracks, std::uint64_t seed, const json& options) {
  json out = {{"seed_track", seed_track ? track_json(*seed_track) : json()}, {"random_seed", seed}, {"options", options}};
  out["results"] = json::array();
  int rank = 1;
  for (const auto& r : results) {
    const auto it = tracks.find(r.id);
    if (it == tracks.end()) continue;
    auto j = track_json(it->second);
    j["score"] = r.score;
    j["rank"] = rank++;
    out["results"].push_back(j);
  }
  return out;
}

}  // namespace audiorium::library
