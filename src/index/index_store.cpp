#include "index/index_store.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "index/atomic_file.h"

namespace audiorium::index {

namespace fs = std::filesystem;

namespace {

constexpr int kManifestVersion = 1;

void check_embedder_id(const std::string& embedder) {
  const bool ok = !embedder.empty() && embedder.front() != '.' &&
                  std::all_of(embedder.begin(), embedder.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                           c == '_' || c == '-';
                  });
  if (!ok) throw Error("invalid embedder id \"" + embedder + "\" for an index file name");
}

}  // namespace

fs::path index_file(const fs::path& dir, const std::string& embedder) {
  check_embedder_id(embedder);
  return dir / (embedder + ".faiss");
}

fs::path manifest_file(const fs::path& dir, const std::string& embedder) {
  check_embedder_id(embedder);
  return dir / (embedder + ".json");
}

void save_index(const fs::path& dir, const VectorIndex& index, const IndexManifest& manifest) {
  const fs::path faiss_path = index_file(dir, manifest.embedder);
  const fs::path json_path = manifest_file(dir, manifest.embedder);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create index directory " + dir.string() + ": " + ec.message());
  index.save(faiss_path);
  const nlohmann::json j = {
      {"version", kManifestVersion},
      {"embedder", manifest.embedder},
      {"catalog_generation", manifest.catalog_generation},
      {"dim", index.dim()},
      {"count", index.size()},
      {"factory", index.factory()},
  };
  write_text_atomically(json_path, j.dump(2) + "\n");
}

std::optional<LoadedIndex> load_index_if_fresh(const fs::path& dir, const std::string& embedder,
                                               int64_t current_generation) {
  const fs::path faiss_path = index_file(dir, embedder);
  const fs::path json_path = manifest_file(dir, embedder);
  std::error_code ec;
  if (!fs::is_regular_file(json_path, ec) || !fs::is_regular_file(faiss_path, ec)) return std::nullopt;

  IndexManifest m;
  try {
    std::ifstream in(json_path);
    const auto j = nlohmann::json::parse(in);
    if (j.at("version").get<int>() != kManifestVersion) return std::nullopt;
    m.embedder = j.at("embedder").get<std::string>();
    m.catalog_generation = j.at("catalog_generation").get<int64_t>();
    m.dim = j.at("dim").get<int>();
    m.count = j.at("count").get<std::size_t>();
    m.factory = j.at("factory").get<std::string>();
  } catch (const std::exception& e) {
    spdlog::warn("index manifest {} is unreadable, the index will be rebuilt: {}", json_path.string(), e.what());
    return std::nullopt;
  }
  if (m.embedder != embedder || m.catalog_generation != current_generation) {
    spdlog::debug("index {} is stale (generation {} vs catalog {})", faiss_path.string(), m.catalog_generation,
                  current_generation);
    return std::nullopt;
  }

  std::unique_ptr<VectorIndex> loaded;
  try {
    loaded = load_index(faiss_path);
  } catch (const Error& e) {
    spdlog::warn("{}; the index will be rebuilt", e.what());
    return std::nullopt;
  }
  // A crash between writing the index and its manifest leaves them disagreeing: treat as stale.
  if (loaded->dim() != m.dim || loaded->size() != m.count || loaded->factory() != m.factory) {
    spdlog::warn("index {} does not match its manifest; the index will be rebuilt", faiss_path.string());
    return std::nullopt;
  }
  return LoadedIndex{std::move(loaded), std::move(m)};
}

}  // namespace audiorium::index
