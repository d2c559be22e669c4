// The JSON of GET /api/map: the library's map in columns (one array per field, rows parallel), so that
// 10,000 tracks stay a small download: no key is repeated per track, coordinates and descriptors are
// rounded to what a screen can show, and tags are dictionary-coded.
//
// {"generation", "count", "projection": {"method", "explained_variance", "seconds"},
//  "colour_fields": [{"name", "label", "kind": "number", "unit", "min", "max"}
//                  | {"name", "label", "kind": "category", "categories": [...]}],
//  "tracks": {"id": [...], "title": [...], "duration_s": [...], "xyz": [x0, y0, z0, x1, ...], "xy": [x0, y0, ...],
//             <number field>: [value or null, ...], <category field>: [index into its categories, ...]}}
// Category fields: artist, album, genre (most frequent first; "" = untagged), key, mode. Number fields: the
// descriptors of features/descriptors.h and the year tag.
#pragma once

#include <nlohmann/json.hpp>

#include "library/library.h"

namespace audiorium::library {

nlohmann::json map_json(const LibraryMap& map);

}  // namespace audiorium::library
