// One interface over the nearest-neighbour index, keyed by catalog track ids. Every index holds
// L2-normalised vectors and ranks by inner product, so a score is the cosine similarity (1 = same
// direction). The FAISS types stay inside vector_index.cpp; callers see only this header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/vector_math.h"

namespace audiorium::index {

struct Hit {
  int64_t id;
  float score;  // inner product = cosine for L2-normalised vectors
};

// Const members (search, vector, contains, save) may run concurrently; add needs exclusive access.
class VectorIndex {
 public:
  virtual ~VectorIndex() = default;

  virtual int dim() const = 0;
  virtual std::size_t size() const = 0;
  // The concrete kind, as make_index accepts it again: "Flat", "HNSW32", ...
  virtual std::string factory() const = 0;

  // Adds ids.size() rows of dim() floats, row-major. Each row must already be L2-normalised
  // (|norm - 1| <= 1e-3): a wrong norm is a bug upstream and silently skews every score, so it
  // throws Error naming the id instead of being fixed here. An id already in the index (or repeated
  // in the batch) also throws. Nothing is added when it throws.
  virtual void add(std::span<const int64_t> ids, std::span<const float> vectors) = 0;

  // The best first, at most k; fewer when the index is smaller. The query is normalised on a copy,
  // so scores are cosines whatever its norm; a zero query, a wrong length or k <= 0 throw Error.
  // Asking for k >= size() ranks the whole index exactly, even on HNSW (an approximate graph walk
  // may miss nodes; callers that need "everything left", like the queue, rely on this).
  virtual std::vector<Hit> search(std::span<const float> query, int k) const = 0;

  // The stored vector of a track, nullopt if the id is not in the index.
  virtual std::optional<std::vector<float>> vector(int64_t id) const = 0;
  virtual bool contains(int64_t id) const = 0;

  // Atomic: writes a temporary file in the same directory, fsyncs it and renames it over `file`,
  // so a reader sees the old index or the new one, never half of one. Throws Error on failure.
  virtual void save(const std::filesystem::path& file) const = 0;
};

// "Flat"    exact inner product (IndexIDMap2 over IndexFlatIP);
// "HNSW<M>" graph search (IndexIDMap2 over IndexHNSWFlat, inner product), efConstruction 200,
//           efSearch max(64, 2k) per query; M in [4, 128];
// "auto"    Flat below 50,000 expected vectors (exact and fast enough there), else HNSW32.
// Anything else throws Error listing the valid strings. dim must be positive.
std::unique_ptr<VectorIndex> make_index(const std::string& factory, int dim, std::size_t expected_size = 0);

// Reads what VectorIndex::save wrote (faiss::read_index; nothing is rebuilt). A missing, corrupt or
// foreign file throws Error.
std::unique_ptr<VectorIndex> load_index(const std::filesystem::path& file);

// Scales v to unit length in place; a zero vector stays zero (core/vector_math.h, shared with the embedders).
using audiorium::l2_normalise;

// Sets the OpenMP threads FAISS uses (and OpenBLAS's, when that is the BLAS linked). On two shared
// cores one thread is fastest for single queries: FAISS's OpenMP workers and OpenBLAS's pthreads
// otherwise spin against each other (see shared/STACK.md). Call once at start-up, before searching.
void configure_threads(int n);

}  // namespace audiorium::index
