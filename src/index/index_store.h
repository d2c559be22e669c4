// An index on disk next to a JSON manifest that says what it was built from, so a stale index
// (another catalog generation, embedder or dimension) is detected and rebuilt instead of served.
// Layout: <dir>/<embedder>.faiss and <dir>/<embedder>.json.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "index/vector_index.h"

namespace audiorium::index {

struct IndexManifest {
  std::string embedder;            // embedder id and version, e.g. "dsp-v1"; also the file stem
  int64_t catalog_generation = 0;  // the catalog's counter of vector changes when the index was built
  int dim = 0;
  std::size_t count = 0;
  std::string factory;
};

// Writes the index, then the manifest, each atomically: a crash in between leaves a new index with
// the old manifest, which at worst reads as stale. dim, count and factory are taken from the index
// (the manifest's own values are ignored), so they cannot disagree. The embedder id must be a plain
// file name ([A-Za-z0-9._-], not starting with '.'), else Error.
void save_index(const std::filesystem::path& dir, const VectorIndex& index, const IndexManifest& manifest);

struct LoadedIndex {
  std::unique_ptr<VectorIndex> index;
  IndexManifest manifest;
};

// The index if both files are present, readable, agree with each other and were built for
// current_generation; otherwise nullopt and the caller rebuilds from the catalog. Never throws for a
// bad file (a warning is logged for corrupt ones); an invalid embedder id still throws Error.
std::optional<LoadedIndex> load_index_if_fresh(const std::filesystem::path& dir, const std::string& embedder,
                                               int64_t current_generation);

std::filesystem::path index_file(const std::filesystem::path& dir, const std::string& embedder);
std::filesystem::path manifest_file(const std::filesystem::path& dir, const std::string& embedder);

}  // namespace audiorium::index
