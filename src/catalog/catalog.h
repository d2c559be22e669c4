// The library catalog: one SQLite database (WAL) that is the truth about the library. Tracks with their tags
// and audio facts, descriptors, fingerprints, vectors per embedder, scan errors and user state (history,
// playlists, likes, search history). Indexes on disk are derived from it and can always be rebuilt.
//
// Threading: a Catalog object is not thread-safe; give each thread its own (one writer thread at a time is the
// intended use). Several processes may open the same file: WAL lets readers run beside the writer, and writers
// wait up to 5 s for each other (busy_timeout) before an Error.
#pragma once

#include "catalog/tags.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace audiorium::catalog {

struct Track {
  int64_t id = 0;
  std::string path;
  int64_t size_bytes = 0;
  int64_t mtime_ns = 0;
  double duration_s = 0;
  std::string codec;
  int sample_rate = 0;
  int channels = 0;
  int64_t bit_rate = 0;
  Tags tags;
  std::string fingerprint;  // chromaprint compressed string; empty when none

  std::string display_title() const;  // title tag, else the file name without extension
  // The release a track belongs to, for grouping (diversity caps, album browsing): the album tag, else the name
  // of its folder — untagged music is nearly always one folder per release, and leaving it ungrouped would
  // exempt it from every per-album cap.
  std::string album_or_folder() const;
};

struct FileState {
  int64_t id;
  std::string path;
  int64_t size_bytes;
  int64_t mtime_ns;
};

struct ScanError {
  std::string path;
  std::string reason;
  int64_t at_unix;
};

struct VectorSet {
  std::string embedder;
  int dim = 0;
  std::vector<int64_t> ids;
  std::vector<float> data;  // row-major, ids.size() x dim

  const float* row(std::size_t i) const { return data.data() + i * static_cast<std::size_t>(dim); }
};

// Everything the scanner learned about one file, written in one transaction.
struct TrackAnalysis {
  Track track;  // id 0: insert or update by path; id != 0: update that track, path included (a moved file)
  std::vector<std::pair<std::string, double>> descriptors;
  std::vector<uint32_t> fingerprint_raw;
  std::string embedder;       // e.g. "dsp-v1"; empty: no vector written
  std::vector<float> vector;  // raw (un-normalised) embedder output
};

struct LibraryStats {
  int64_t tracks = 0;
  double total_duration_s = 0;
  int64_t scan_errors = 0;
  std::vector<std::pair<std::string, int64_t>> vectors_per_embedder;  // ordered by embedder
};

struct HistoryEntry {
  int64_t id;
  int64_t track_id;
  int64_t played_at_unix;
  std::string source;
};

struct Playlist {
  int64_t id = 0;
  std::string name;
  int64_t created_at_unix = 0;
  int64_t track_count = 0;
};

struct SearchEntry {
  int64_t id;
  std::string query;
  std::string kind;  // "text", "image", …
  int64_t at_unix;
};

class Catalog {
  struct Impl;  // the connection and its prepared statements; kept out of this header

 public:
  // The schema version this build writes. Older catalogs are migrated forward on open; newer ones refused.
  static constexpr int kSchemaVersion = 1;

  // Opens (creating the file, its folders and the schema when missing) and migrates. Throws Error when the
  // file cannot be opened, is not a catalog, or was written by a newer Audiorium.
  static Catalog open(const std::filesystem::path& db_file);

  Catalog(Catalog&&) noexcept;
  Catalog& operator=(Catalog&&) noexcept;
  ~Catalog();

  const std::filesystem::path& file() const;

  // Inserts or updates one analysed file in ONE transaction: the track row (by path, or by track.id when it is
  // set), its descriptors (replaced), fingerprint, the vector of `embedder` (replaced), and clears the path's
  // scan error. When the file's content changed (fingerprint differs, or size/mtime differ when there is no
  // fingerprint to compare), vectors of other embedders are dropped as stale. A track already at the target
  // path under another id is replaced (its file is gone). A kill at any moment leaves the old or the new state.
  // Returns the track id.
  int64_t commit_analysis(const TrackAnalysis& analysis);

  std::optional<Track> track(int64_t id) const;
  std::optional<Track> track_by_path(const std::string& path) const;
  std::vector<Track> tracks() const;            // ordered by id
  std::vector<FileState> file_states() const;   // ordered by id; cheap, for incremental scans
  std::vector<int64_t> tracks_with_fingerprint(const std::string& compressed) const;  // ordered by id
  std::vector<uint32_t> fingerprint_raw(int64_t id) const;  // empty when none

  // Points a track at a new path, keeping its id, vectors and user state. Throws Error for an unknown id.
  void move_track(int64_t id, const std::string& new_path, int64_t size_bytes, int64_t mtime_ns);
  // Removes a track with its descriptors, vectors, history, likes and playlist entries. Unknown id: no-op.
  void remove_track(int64_t id);

  std::vector<std::pair<std::string, double>> descriptors(int64_t id) const;  // ordered by name
  std::map<int64_t, std::map<std::string, double>> all_descriptors() const;

  std::optional<std::vector<float>> vector(int64_t id, const std::string& embedder) const;
  VectorSet vectors(const std::string& embedder) const;  // all of one embedder, ordered by track id
  // The dimension of the embedder's stored vectors (all share it), read from one row; 0 when it has none.
  int vector_dim(const std::string& embedder) const;
  std::vector<std::string> embedders() const;            // embedders with at least one vector
  // Stores (replaces) one embedder's raw vector of an existing track in its own transaction and bumps the
  // generation: for embedders that run after the scan (model packs, `index --embedder clap`). Throws Error for an
  // unknown track, an empty vector, or a dimension other than that of the embedder's vectors already stored.
  void put_vector(int64_t track_id, const std::string& embedder, const std::vector<float>& vector);

  // Free-form state an embedder keeps with the library (e.g. standardisation statistics as JSON). It is
  // derived from the vectors, so it does not bump generation(): whoever stores it records in it the
  // generation it was fitted at, and refits when that differs.
  void put_embedder_state(const std::string& embedder, const std::string& json);
  std::optional<std::string> embedder_state(const std::string& embedder) const;

  void record_scan_error(const std::string& path, const std::string& reason);  // upsert by path
  void clear_scan_error(const std::string& path);
  std::vector<ScanError> scan_errors() const;  // ordered by path

  // Bumped in the same transaction by every change to tracks or vectors; an index on disk
  // stores the generation it was built from and is stale when it differs.
  int64_t generation() const;

  // Resolves what a user typed to tracks, best first: an all-digit string that is a track id; an existing
  // file (absolute or relative to the working directory) that is a track; else a case-insensitive substring
  // over title, artist, album and path, ranked exact title, title prefix, title substring, artist, album,
  // path, shorter titles first within a rank.
  std::vector<int64_t> find_tracks(const std::string& query, int limit = 20) const;

  LibraryStats stats() const;

  void set_meta(const std::string& key, const std::string& value);
  std::optional<std::string> meta(const std::string& key) const;

  // User state. Minimal for now; later features add to it.
  void add_history(int64_t track_id, const std::string& source);
  std::vector<HistoryEntry> history(int limit = 100) const;  // newest first
  void like(int64_t track_id, bool on);
  std::vector<int64_t> liked() const;  // ordered by track id

  // What was searched for, newest first.
  void add_search(const std::string& query, const std::string& kind);
  std::vector<SearchEntry> searches(int limit = 100) const;

  // Playlists: named (unique, non-empty, trimmed) ordered lists of track ids; a track may appear more than once.
  // Removing a track removes its entries (positions close up on the next write). Errors (Error): an empty or
  // taken name, an unknown playlist id, an unknown track id — checked before anything is written.
  int64_t create_playlist(const std::string& name);
  void rename_playlist(int64_t id, const std::string& name);
  bool delete_playlist(int64_t id);                    // false: there was no such playlist
  std::vector<Playlist> playlists() const;             // ordered by id
  std::optional<Playlist> playlist(int64_t id) const;  // nullopt: unknown id
  std::optional<int64_t> playlist_by_name(const std::string& name) const;
  std::vector<int64_t> playlist_tracks(int64_t id) const;  // in order; Error for an unknown id
  void set_playlist_tracks(int64_t id, const std::vector<int64_t>& track_ids);  // replaces the whole list
  void add_to_playlist(int64_t id, const std::vector<int64_t>& track_ids);      // appends

  // Groups writes into one transaction (much faster for batches, and atomic):
  //   Catalog::Transaction tx(catalog); ...writes...; tx.commit();
  // Not committed when destroyed: rolled back. Nests: an inner Transaction becomes a savepoint, and
  // methods that open their own transaction join the outer one. Moving the Catalog meanwhile is fine.
  class Transaction {
   public:
    explicit Transaction(Catalog& catalog);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

   private:
    Impl* impl_;  // not owned; lives on the heap, so it stays put when the Catalog is moved
    std::string savepoint_;  // empty for the outermost transaction
    bool done_ = false;
  };

 private:
  explicit Catalog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace audiorium::catalog
