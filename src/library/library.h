// A library is one data folder: the SQLite catalog (the truth) plus, per embedder, the fitted finishing
// statistics and a vector index derived from it. This is the entry point the CLI and the server use:
// scan a music folder, then ask for neighbours, queues and track facts.
//
// The index on disk carries the catalog generation it was built from; if the catalog changed since
// (a scan, a removal), the finisher is refitted on the stored raw vectors and the index rebuilt —
// from the catalog alone, never by decoding audio again.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "embed/embedder.h"
#include "index/vector_index.h"
#include "library/scanner.h"
#include "recommend/map_projection.h"
#include "recommend/recommender.h"
#include "recommend/search.h"

namespace audiorium::library {

struct IndexInfo {
  std::string embedder;
  std::string factory;
  std::size_t vectors = 0;
  int dim = 0;
  bool rebuilt = false;  // true if this process rebuilt it (it was missing or stale)
};

// The Explore map of every track with a vector, with what the page colours it by. Rows are parallel.
struct LibraryMap {
  int64_t generation = -1;                                // the catalog generation it was computed at
  std::vector<catalog::Track> tracks;                     // catalog order
  std::vector<std::map<std::string, double>> descriptors;  // empty for a track without any
  recommend::MapProjection projection;                    // recommend/map_projection.h
  double projection_seconds = 0;                          // time the projection took
};

class Library {
 public:
  // Creates the folder and catalog if needed.
  static Library open(const std::filesystem::path& data_dir, const std::string& embedder_id = "dsp-v1");
  // With an embedder built elsewhere (a model pack's, src/packembed): its vectors, finisher and index only.
  static Library open(const std::filesystem::path& data_dir, std::unique_ptr<embed::Embedder> embedder);
  Library(Library&&) noexcept;
  Library& operator=(Library&&) noexcept;
  ~Library();

  catalog::Catalog& catalog();
  const embed::Embedder& embedder() const;
  const std::filesystem::path& data_dir() const;

  // Scans `root` into the catalog, then refreshes the index.
  ScanReport scan(const std::filesystem::path& root, const ScanOptions& options);

  // Refits the finisher and rebuilds the index from the catalog. factory: "auto", "Flat", "HNSW32", …
  void rebuild_index(const std::string& factory = "auto");

  // The index, loaded from disk if fresh, else rebuilt first.
  const index::VectorIndex& vector_index();
  IndexInfo index_info();

  // Finished (comparable, L2-normalised) vector of a catalogued track; nullopt if it has none.
  std::optional<std::vector<float>> embedding(int64_t track_id);

  // What the recommender needs, backed by this library's catalog. Valid while the Library lives.
  const recommend::TrackSource& track_source();
  recommend::Recommender recommender();

  // The text/image search engine over every track with a vector (built on first use, rebuilt when the
  // catalog changes). Valid until the next scan.
  const recommend::SearchEngine& search_engine();

  // The map of the library (built on first use, rebuilt when the catalog changes; cheap on repeat). The
  // snapshot stays valid after a rescan; ask again for the new one.
  std::shared_ptr<const LibraryMap> map();

 struct State;  // defined in library.cpp

 private:
  explicit Library(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace audiorium::library
