#include "library/library.h"

#include <chrono>
#include <map>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "index/index_store.h"

namespace audiorium::library {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFinisherGenerationKey = "fitted_at_generation";

}  // namespace

struct Library::State {
  fs::path data_dir;
  catalog::Catalog catalog;
  std::unique_ptr<embed::Embedder> embedder;
  std::unique_ptr<embed::Finisher> finisher;
  std::unique_ptr<index::VectorIndex> vindex;
  int64_t index_generation = -1;
  bool rebuilt = false;
  std::unique_ptr<recommend::TrackSource> source;
  std::unique_ptr<recommend::SearchEngine> search;
  int64_t search_generation = -1;
  std::shared_ptr<const LibraryMap> map;

  void rebuild_index(const std::string& factory);
  void ensure_fresh();
  // With the finisher in use now, never refreshing: callers (the recommender, the search engine) hold references
  // to the current index, which a refresh would replace under them when another connection (a background scan,
  // another process) has changed the catalog meanwhile. Refreshes happen at the public entry points only.
  std::optional<std::vector<float>> embedding(int64_t track_id) {
    if (!finisher) ensure_fresh();
    auto raw = catalog.vector(track_id, embedder->id());
    if (!raw) return std::nullopt;
    return finisher->apply(*raw);
  }
};

namespace {

// The catalog seen through the recommender's interface. Holds the library's State, which never moves.
class CatalogTrackSource final : public recommend::TrackSource {
 public:
  explicit CatalogTrackSource(Library::State& lib) : lib_(lib) {}
  std::optional<std::vector<float>> embedding(int64_t id) const override { return lib_.embedding(id); }
  std::vector<int64_t> duplicates_of(int64_t id) const override {
    std::vector<int64_t> out;
    const auto t = lib_.catalog.track(id);
    if (!t || t->fingerprint.empty()) return out;
    for (int64_t other : lib_.catalog.tracks_with_fingerprint(t->fingerprint))
      if (other != id) out.push_back(other);
    return out;
  }
  std::string artist_of(int64_t id) const override {
    const auto t = lib_.catalog.track(id);
    return t ? t->tags.artist : std::string();
  }

 private:
  Library::State& lib_;
};

}  // namespace

Library::Library(std::unique_ptr<State> state) : state_(std::move(state)) {}
Library::Library(Library&&) noexcept = default;
Library& Library::operator=(Library&&) noexcept = default;
Library::~Library() = default;

Library Library::open(const fs::path& data_dir, const std::string& embedder_id) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) throw Error("cannot create data folder " + data_dir.string() + ": " + ec.message());
  auto embedder = embed::make_embedder(embedder_id);
  auto state = std::unique_ptr<State>(new State{data_dir, catalog::Catalog::open(data_dir / "catalog.db"),
                                                std::move(embedder), nullptr, nullptr, -1, false, nullptr, nullptr, -1, nullptr});
  state->source = std::make_unique<CatalogTrackSource>(*state);
  return Library(std::move(state));
}

Library Library::open(const fs::path& data_dir, std::unique_ptr<embed::Embedder> embedder) {
  if (!embedder) throw Error("Library::open: no embedder given");
  auto lib = open(data_dir);
  lib.state_->embedder = std::move(embedder);
  return lib;
}

catalog::Catalog& Library::catalog() { return state_->catalog; }
const embed::Embedder& Library::embedder() const { return *state_->embedder; }
const fs::path& Library::data_dir() const { return state_->data_dir; }

ScanReport Library::scan(const fs::path& root, const ScanOptions& options) {
  auto report = scan_library(state_->catalog, *state_->embedder, root, options);
  state_->vindex.reset();
  state_->ensure_fresh();
  return report;
}

void Library::rebuild_index(const std::string& factory) { state_->rebuild_index(factory); }

void Library::State::rebuild_index(const std::string& factory) {
  auto& cat = catalog;
  const auto& emb = *embedder;
  const int64_t generation = cat.generation();
  const auto raw = cat.vectors(emb.id());
  const std::size_t rows = raw.ids.size();

  auto fitted = emb.fit(raw.data, rows);
  auto state_json = fitted->to_json();
  state_json[kFinisherGenerationKey] = generation;
  cat.put_embedder_state(emb.id(), state_json.dump());

  const int dim = raw.dim > 0 ? raw.dim : emb.raw_dim();
  std::vector<float> finished;
  finished.reserve(rows * static_cast<std::size_t>(dim));
  for (std::size_t r = 0; r < rows; ++r) {
    const auto v = fitted->apply(std::span<const float>(raw.data).subspan(r * static_cast<std::size_t>(dim),
                                                                          static_cast<std::size_t>(dim)));
    finished.insert(finished.end(), v.begin(), v.end());
  }
  auto idx = index::make_index(factory, dim, rows);
  if (rows > 0) idx->add(raw.ids, finished);
  index::IndexManifest manifest{emb.id(), generation, dim, rows, idx->factory()};
  index::save_index(data_dir / "index", *idx, manifest);

  finisher = std::move(fitted);
  vindex = std::move(idx);
  index_generation = generation;
  rebuilt = true;
}

void Library::State::ensure_fresh() {
  auto& cat = catalog;
  const auto& emb = *embedder;
  const int64_t generation = cat.generation();
  if (vindex && finisher && index_generation == generation) return;

  // Both the finisher and the index must come from the current generation; otherwise refit both.
  std::unique_ptr<embed::Finisher> fitted;
  if (auto stored = cat.embedder_state(emb.id())) {
    try {
      const auto j = nlohmann::json::parse(*stored);
      if (j.value(kFinisherGenerationKey, int64_t{-1}) == generation) fitted = emb.load_finisher(j);
    } catch (const std::exception&) {
      fitted.reset();  // unreadable statistics are refitted below
    }
  }
  if (fitted) {
    if (auto loaded = index::load_index_if_fresh(data_dir / "index", emb.id(), generation)) {
      finisher = std::move(fitted);
      vindex = std::move(loaded->index);
      index_generation = generation;
      return;
    }
  }
  rebuild_index("auto");
}

const index::VectorIndex& Library::vector_index() {
  state_->ensure_fresh();
  return *state_->vindex;
}

IndexInfo Library::index_info() {
  const auto& idx = vector_index();
  return {state_->embedder->id(), idx.factory(), idx.size(), idx.dim(), state_->rebuilt};
}

std::optional<std::vector<float>> Library::embedding(int64_t track_id) {
  state_->ensure_fresh();
  return state_->embedding(track_id);
}

const recommend::TrackSource& Library::track_source() { return *state_->source; }

recommend::Recommender Library::recommender() { return recommend::Recommender(vector_index(), track_source()); }

const recommend::SearchEngine& Library::search_engine() {
  auto& st = *state_;
  st.ensure_fresh();
  if (st.search && st.search_generation == st.index_generation) return *st.search;
  // Finished vectors come from the index, which holds exactly the tracks that have one.
  const auto descriptors = st.catalog.all_descriptors();
  std::vector<recommend::TrackFacts> facts;
  for (auto& t : st.catalog.tracks()) {
    auto embedding = st.vindex->vector(t.id);
    if (!embedding) continue;
    recommend::TrackFacts f;
    f.id = t.id;
    f.embedding = std::move(*embedding);
    if (const auto d = descriptors.find(t.id); d != descriptors.end()) f.descriptors = d->second;
    f.title = t.display_title();
    f.artist = t.tags.artist;
    f.album = t.tags.album;
    f.genre = t.tags.genre;
    f.comment = t.tags.comment;
    f.folder = fs::path(t.path).parent_path().filename().string();
    facts.push_back(std::move(f));
  }
  st.search = std::make_unique<recommend::SearchEngine>(std::move(facts));
  st.search_generation = st.index_generation;
  return *st.search;
}

}  // namespace audiorium::library

namespace audiorium::library {

std::shared_ptr<const LibraryMap> Library::map() {
  auto& st = *state_;
  st.ensure_fresh();
  if (st.map && st.map->generation == st.index_generation) return st.map;
  // The finished vectors the index holds (exactly the tracks that have one), in catalog order.
  auto out = std::make_shared<LibraryMap>();
  out->generation = st.index_generation;
  auto descriptors = st.catalog.all_descriptors();
  std::vector<float> rows;
  const int dim = st.vindex->dim();
  for (auto& t : st.catalog.tracks()) {
    const auto v = st.vindex->vector(t.id);
    if (!v) continue;
    rows.insert(rows.end(), v->begin(), v->end());
    auto d = descriptors.find(t.id);
    out->descriptors.push_back(d != descriptors.end() ? std::move(d->second) : std::map<std::string, double>{});
    out->tracks.push_back(std::move(t));
  }
  const auto start = std::chrono::steady_clock::now();
  out->projection = recommend::project_map(rows, out->tracks.size(), dim);
  out->projection_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  st.map = std::move(out);
  return st.map;
}

}  // namespace audiorium::library
