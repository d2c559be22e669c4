#include "index/vector_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/impl/HNSW.h>
#include <faiss/index_io.h>
#include <omp.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <mutex>
#include <shared_mutex>
#include <unordered_set>

#include "core/error.h"
#include "index/atomic_file.h"

// Present when the BLAS linked is OpenBLAS; weak so that any other BLAS still links.
extern "C" void openblas_set_num_threads(int) __attribute__((weak));

namespace audiorium::index {

namespace {

using idx_t = faiss::Index::idx_t;  // FAISS 1.7.3 spelling; faiss::idx_t arrives in 1.7.4

constexpr int kEfConstruction = 80;  // 200 built 100k×256 in ~5 min on 2 cores; 80 keeps recall@10 ≥ 0.99 (bench_index_search)
constexpr int kMinEfSearch = 64;
constexpr std::size_t kAutoHnswThreshold = 50'000;
constexpr double kNormTolerance = 1e-3;

const char* const kValidFactories = R"("Flat", "HNSW<M>" with M in 4..128 (e.g. "HNSW32"), or "auto")";

// Wraps a sub-index so results carry catalog ids. IndexIDMap2 (not IndexIDMap) keeps the reverse map
// too, which gives contains() and vector() by id. FAISS owns the sub-index once own_fields is set.
std::unique_ptr<faiss::IndexIDMap2> wrap(std::unique_ptr<faiss::Index> sub) {
  auto map = std::make_unique<faiss::IndexIDMap2>(sub.get());
  sub.release();
  map->own_fields = true;
  return map;
}

class FaissVectorIndex final : public VectorIndex {
 public:
  // hnsw_m == 0 means Flat.
  FaissVectorIndex(std::unique_ptr<faiss::IndexIDMap2> map, int hnsw_m) : map_(std::move(map)), hnsw_m_(hnsw_m) {
    if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(map_->index)) hnsw->hnsw.efSearch = kMinEfSearch;
  }

  int dim() const override { return static_cast<int>(map_->d); }
  std::size_t size() const override { return static_cast<std::size_t>(map_->ntotal); }
  std::string factory() const override { return hnsw_m_ > 0 ? "HNSW" + std::to_string(hnsw_m_) : "Flat"; }

  void add(std::span<const int64_t> ids, std::span<const float> vectors) override {
    const auto d = static_cast<std::size_t>(dim());
    if (vectors.size() != ids.size() * d)
      throw Error("index add: " + std::to_string(vectors.size()) + " floats for " + std::to_string(ids.size()) +
                  " ids of dimension " + std::to_string(d));
    if (ids.empty()) return;
    std::unordered_set<int64_t> batch;
    batch.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (map_->rev_map.count(ids[i]) != 0 || !batch.insert(ids[i]).second)
        throw Error("index add: track " + std::to_string(ids[i]) + " is already in the index");
      double sum = 0;
      for (float x : vectors.subspan(i * d, d)) sum += double(x) * double(x);
      const double norm = std::sqrt(sum);
      if (!(std::abs(norm - 1.0) <= kNormTolerance))  // also catches NaN
        throw Error("index add: the vector of track " + std::to_string(ids[i]) + " has norm " +
                    std::to_string(norm) + ", expected an L2-normalised vector");
    }
    try {
      map_->add_with_ids(static_cast<idx_t>(ids.size()), vectors.data(), ids.data());
    } catch (const std::exception& e) {
      throw Error(std::string("index add failed: ") + e.what());
    }
  }

  std::vector<Hit> search(std::span<const float> query, int k) const override {
    if (k <= 0) throw Error("index search: k must be positive, got " + std::to_string(k));
    if (query.size() != static_cast<std::size_t>(dim()))
      throw Error("index search: query has " + std::to_string(query.size()) + " values, the index dimension is " +
                  std::to_string(dim()));
    std::vector<float> q(query.begin(), query.end());
    l2_normalise(q);
    if (std::all_of(q.begin(), q.end(), [](float x) { return x == 0.0f; }))
      throw Error("index search: the query vector is zero");
    const auto n = static_cast<idx_t>(size());
    if (n == 0) return {};
    const idx_t want = std::min<idx_t>(k, n);

    // Search the sub-index and map labels ourselves, so a whole-index request on HNSW can go to the
    // exact flat storage instead of the approximate graph.
    const faiss::Index* target = map_->index;
    auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(map_->index);
    if (hnsw != nullptr && want >= n) {
      target = hnsw->storage;  // the flat storage: exact ranking of everything
      hnsw = nullptr;
    }
    std::vector<float> scores(static_cast<std::size_t>(want));
    std::vector<idx_t> labels(static_cast<std::size_t>(want));
    try {
      if (hnsw == nullptr) {
        target->search(1, q.data(), want, scores.data(), labels.data());
      } else {
        // FAISS 1.7.3 ignores SearchParametersHNSW::efSearch (HNSW::search reads the member), so the
        // member is the knob: it stays at the minimum, and the rare larger-k search raises it under an
        // exclusive lock while ordinary searches share the lock. Params are passed too for newer FAISS.
        const int ef = static_cast<int>(std::max<idx_t>(kMinEfSearch, 2 * want));
        faiss::SearchParametersHNSW params;
        params.efSearch = ef;
        if (ef == kMinEfSearch) {
          std::shared_lock lock(ef_mutex_);
          hnsw->search(1, q.data(), want, scores.data(), labels.data(), &params);
        } else {
          std::unique_lock lock(ef_mutex_);
          struct Restore {
            faiss::HNSW& graph;
            ~Restore() { graph.efSearch = kMinEfSearch; }
          } restore{hnsw->hnsw};
          hnsw->hnsw.efSearch = ef;
          hnsw->search(1, q.data(), want, scores.data(), labels.data(), &params);
        }
      }
    } catch (const std::exception& e) {
      throw Error(std::string("index search failed: ") + e.what());
    }
    std::vector<Hit> hits;
    hits.reserve(labels.size());
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (labels[i] < 0) continue;  // HNSW pads with -1 when its walk found fewer than asked
      hits.push_back({map_->id_map[static_cast<std::size_t>(labels[i])], scores[i]});
    }
    return hits;
  }

  std::optional<std::vector<float>> vector(int64_t id) const override {
    if (!contains(id)) return std::nullopt;
    std::vector<float> out(static_cast<std::size_t>(dim()));
    map_->reconstruct(id, out.data());
    return out;
  }

  bool contains(int64_t id) const override { return map_->rev_map.count(id) != 0; }

  void save(const std::filesystem::path& file) const override {
    write_file_atomically(file, [&](std::FILE* f) { faiss::write_index(map_.get(), f); });
  }

 private:
  std::unique_ptr<faiss::IndexIDMap2> map_;
  int hnsw_m_;
  mutable std::shared_mutex ef_mutex_;  // guards HNSW's efSearch member, see search()
};

std::unique_ptr<VectorIndex> make_flat(int dim) {
  return std::make_unique<FaissVectorIndex>(wrap(std::make_unique<faiss::IndexFlatIP>(dim)), 0);
}

std::unique_ptr<VectorIndex> make_hnsw(int dim, int m) {
  auto hnsw = std::make_unique<faiss::IndexHNSWFlat>(dim, m, faiss::METRIC_INNER_PRODUCT);
  hnsw->hnsw.efConstruction = kEfConstruction;
  return std::make_unique<FaissVectorIndex>(wrap(std::move(hnsw)), m);
}

}  // namespace

std::unique_ptr<VectorIndex> make_index(const std::string& factory, int dim, std::size_t expected_size) {
  if (dim <= 0) throw Error("index dimension must be positive, got " + std::to_string(dim));
  if (factory == "Flat") return make_flat(dim);
  if (factory == "auto") return expected_size < kAutoHnswThreshold ? make_flat(dim) : make_hnsw(dim, 32);
  if (factory.starts_with("HNSW")) {
    const char* first = factory.data() + 4;
    const char* last = factory.data() + factory.size();
    int m = 0;
    const auto [end, ec] = std::from_chars(first, last, m);
    if (ec == std::errc() && end == last && first != last && m >= 4 && m <= 128) return make_hnsw(dim, m);
  }
  throw Error("unknown index factory \"" + factory + "\": use " + kValidFactories);
}

std::unique_ptr<VectorIndex> load_index(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) throw Error("index file " + file.string() + " does not exist");
  std::unique_ptr<faiss::Index> raw;
  try {
    raw.reset(faiss::read_index(file.c_str()));
  } catch (const std::exception& e) {  // FaissException on a bad header or a short read, bad_alloc on junk sizes
    throw Error("cannot read index " + file.string() + " (corrupt or truncated?): " + e.what());
  }
  auto* map = dynamic_cast<faiss::IndexIDMap2*>(raw.get());
  const auto foreign = [&] { return Error(file.string() + " is not an Audiorium index (an id-mapped Flat or HNSW index)"); };
  if (map == nullptr || map->index == nullptr || map->index->metric_type != faiss::METRIC_INNER_PRODUCT) throw foreign();
  int hnsw_m = 0;
  if (const auto* hnsw = dynamic_cast<const faiss::IndexHNSWFlat*>(map->index)) {
    hnsw_m = hnsw->hnsw.nb_neighbors(1);  // level 0 holds 2M links, upper levels M
  } else if (dynamic_cast<const faiss::IndexFlat*>(map->index) == nullptr) {
    throw foreign();
  }
  std::unique_ptr<faiss::IndexIDMap2> owned(map);
  raw.release();
  return std::make_unique<FaissVectorIndex>(std::move(owned), hnsw_m);
}

void configure_threads(int n) {
  n = std::max(1, n);
  omp_set_num_threads(n);
  if (openblas_set_num_threads) openblas_set_num_threads(n);
}

}  // namespace audiorium::index
