// A journey from one track to another: a path of tracks whose sound changes step by step from A to B.
// Used by the web app's "Journey from here…" (/api/journey) and by Subsonic's findSonicPath.
#pragma once

#include <cstdint>
#include <vector>

#include "recommend/recommender.h"

namespace audiorium::recommend {

struct JourneyStep {
  int64_t id = 0;
  double cosine_to_previous = 1.0;  // of the finished vectors; 1 for the first step
  double cosine_to_end = 0.0;       // how close this step already is to B
};

// `length` tracks, both ends included (fewer when the library runs out of unused tracks; just A when
// from == to). The query walks the straight line between A's and B's vectors in length - 1 equal steps
// (renormalised: a slerp-like walk on the sphere), and each step takes the nearest track not used yet, so
// no track appears twice. Throws Error when a track has no vector, or when length < 2.
std::vector<JourneyStep> journey(const Recommender& recommender, int64_t from, int64_t to, int length);

}  // namespace audiorium::recommend
