// Index figures on synthetic clustered embeddings: build time, single-query latency (p50/p99, k=10),
// HNSW recall@10 against the exact Flat answer, and save/reload time. Usage:
//   bench_index_search [dim=256] [sizes=10000,100000] [queries=1000]
// Clustered, not uniform random: random high-dimensional vectors give HNSW nothing to exploit and
// make recall meaningless (see shared/STACK.md). Run with OMP_WAIT_POLICY=PASSIVE on shared cores.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "index/vector_index.h"

namespace {

using namespace audiorium::index;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Rows around `clusters` random unit centres; queries come from the same centres with fresh noise.
struct Data {
  std::vector<float> centres;
  int dim;
  int clusters;
  std::mt19937_64 rng{12345};

  Data(int d, int c) : dim(d), clusters(c) {
    std::normal_distribution<float> g;
    centres.resize(static_cast<std::size_t>(c) * static_cast<std::size_t>(d));
    for (auto& x : centres) x = g(rng);
    for (int i = 0; i < c; ++i) l2_normalise(std::span(centres).subspan(static_cast<std::size_t>(i * d), static_cast<std::size_t>(d)));
  }
  std::vector<float> rows(std::size_t n, float spread = 0.7f) {
    std::normal_distribution<float> g;
    std::uniform_int_distribution<int> pick(0, clusters - 1);
    const auto d = static_cast<std::size_t>(dim);
    std::vector<float> out(n * d);
    for (std::size_t i = 0; i < n; ++i) {
      const auto c = static_cast<std::size_t>(pick(rng));
      for (std::size_t j = 0; j < d; ++j) out[i * d + j] = centres[c * d + j] + spread * g(rng) / std::sqrt(float(d));
      l2_normalise(std::span(out).subspan(i * d, d));
    }
    return out;
  }
};

struct Latency {
  double p50_us, p99_us, mean_us;
};

Latency time_queries(const VectorIndex& index, const std::vector<float>& queries, int dim, int k,
                     std::vector<std::vector<Hit>>* results) {
  const std::size_t nq = queries.size() / static_cast<std::size_t>(dim);
  std::vector<double> us(nq);
  if (results) results->resize(nq);
  for (std::size_t q = 0; q < nq; ++q) {
    const std::span query(queries.data() + q * static_cast<std::size_t>(dim), static_cast<std::size_t>(dim));
    const auto t0 = Clock::now();
    auto hits = index.search(query, k);
    us[q] = seconds_since(t0) * 1e6;
    if (results) (*results)[q] = std::move(hits);
  }
  double mean = 0;
  for (double u : us) mean += u;
  mean /= static_cast<double>(nq);
  std::sort(us.begin(), us.end());
  return {us[nq / 2], us[std::min(nq - 1, nq * 99 / 100)], mean};
}

double recall(const std::vector<std::vector<Hit>>& truth, const std::vector<std::vector<Hit>>& got) {
  std::size_t found = 0, total = 0;
  for (std::size_t q = 0; q < truth.size(); ++q) {
    std::set<int64_t> t;
    for (const auto& h : truth[q]) t.insert(h.id);
    for (const auto& h : got[q]) found += t.count(h.id);
    total += t.size();
  }
  return double(found) / double(total);
}

std::vector<std::size_t> parse_sizes(const std::string& s) {
  std::vector<std::size_t> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, ',');) out.push_back(std::stoul(part));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int dim = argc > 1 ? std::atoi(argv[1]) : 256;
  const auto sizes = parse_sizes(argc > 2 ? argv[2] : "10000,100000");
  const std::size_t nq = argc > 3 ? std::stoul(argv[3]) : 1000;
  const int k = 10;
  const char* wait = std::getenv("OMP_WAIT_POLICY");
  std::printf("dim %d, k %d, %zu queries, OMP_WAIT_POLICY=%s, hardware threads %u\n", dim, k, nq, wait ? wait : "(unset)",
              std::thread::hardware_concurrency());
  std::printf("%-8s %-7s %-8s %9s %9s %9s %9s %9s %8s\n", "N", "index", "threads", "build_s", "p50_us", "p99_us",
              "mean_us", "qps", "recall");

  for (const std::size_t n : sizes) {
    Data data(dim, std::max<int>(10, static_cast<int>(n / 500)));
    const auto rows = data.rows(n);
    const auto queries = data.rows(nq);
    std::vector<int64_t> ids(n);
    for (std::size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(i) * 7 + 3;  // sparse, like catalog ids

    std::vector<std::vector<Hit>> truth;
    std::unique_ptr<VectorIndex> hnsw;
    for (const std::string factory : {"Flat", "HNSW32"}) {
      configure_threads(2);  // building is batch work: both cores
      const auto t0 = Clock::now();
      auto index = make_index(factory, dim, n);
      index->add(ids, rows);
      const double build = seconds_since(t0);
      for (int threads : {1, 2}) {
        configure_threads(threads);
        std::vector<std::vector<Hit>> got;
        time_queries(*index, std::vector<float>(queries.begin(), queries.begin() + std::min<std::size_t>(nq, 50) * static_cast<std::size_t>(dim)),
                     dim, k, nullptr);  // warm-up
        const auto lat = time_queries(*index, queries, dim, k, &got);
        if (factory == "Flat" && threads == 1) truth = got;
        const double r = recall(truth, got);
        std::printf("%-8zu %-7s %-8d %9.2f %9.1f %9.1f %9.1f %9.0f %8.3f\n", n, factory.c_str(), threads, build,
                    lat.p50_us, lat.p99_us, lat.mean_us, 1e6 / lat.mean_us, r);
      }
      if (factory == "HNSW32") hnsw = std::move(index);
    }

    if (n == sizes.back()) {
      const auto dir = std::filesystem::temp_directory_path() / "audiorium-bench-index";
      std::filesystem::create_directories(dir);
      for (const auto* index : {hnsw.get()}) {
        const auto file = dir / (index->factory() + ".faiss");
        auto t0 = Clock::now();
        index->save(file);
        const double save = seconds_since(t0);
        t0 = Clock::now();
        auto loaded = load_index(file);
        const double load = seconds_since(t0);
        configure_threads(1);
        std::vector<std::vector<Hit>> a, b;
        time_queries(*index, queries, dim, k, &a);
        time_queries(*loaded, queries, dim, k, &b);
        std::printf("%zu %s: save %.2f s, reload %.2f s (%.0f MB), reloaded answers identical: %s\n", n,
                    index->factory().c_str(), save, load, double(std::filesystem::file_size(file)) / 1e6,
                    recall(a, b) == 1.0 ? "yes" : "NO");
      }
      // Flat too: the cheap case, for comparison.
      auto flat = make_index("Flat", dim, n);
      flat->add(ids, rows);
      const auto file = dir / "Flat.faiss";
      auto t0 = Clock::now();
      flat->save(file);
      const double save = seconds_since(t0);
      t0 = Clock::now();
      auto loaded = load_index(file);
      std::printf("%zu Flat: save %.2f s, reload %.2f s\n", n, save, seconds_since(t0));
      std::filesystem::remove_all(dir);
    }
  }
  return 0;
}
