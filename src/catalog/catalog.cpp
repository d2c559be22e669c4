#include "catalog/catalog.h"

#include "catalog/sqlite.h"
#include "catalog/text.h"
#include "core/error.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <system_error>
#include <tuple>
#include <unordered_map>

namespace audiorium::catalog {

namespace fs = std::filesystem;

// Vectors and raw fingerprints are stored as the machine's float32/uint32 bytes; every platform we build for is
// little-endian, and this keeps a catalog file portable between them.
static_assert(std::endian::native == std::endian::little, "catalog BLOB layout assumes a little-endian machine");

namespace {

// "AUDI": marks the file as ours, so opening some other application's SQLite file fails clearly.
constexpr int kApplicationId = 0x41554449;

int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Schema migrations: kMigrations[i] takes a catalog from user_version i to i + 1.
const char* const kMigrations[] = {
    // 0 -> 1: the first schema.
    R"sql(
CREATE TABLE meta(
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES ('generation', '0');

-- AUTOINCREMENT: ids are never reused, so a stale index can never point at a different track.
CREATE TABLE tracks(
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  path            TEXT NOT NULL UNIQUE,
  size_bytes      INTEGER NOT NULL DEFAULT 0,
  mtime_ns        INTEGER NOT NULL DEFAULT 0,
  duration_s      REAL NOT NULL DEFAULT 0,
  codec           TEXT NOT NULL DEFAULT '',
  sample_rate     INTEGER NOT NULL DEFAULT 0,
  channels        INTEGER NOT NULL DEFAULT 0,
  bit_rate        INTEGER NOT NULL DEFAULT 0,
  title           TEXT NOT NULL DEFAULT '',
  artist          TEXT NOT NULL DEFAULT '',
  album           TEXT NOT NULL DEFAULT '',
  album_artist    TEXT NOT NULL DEFAULT '',
  genre           TEXT NOT NULL DEFAULT '',
  label           TEXT NOT NULL DEFAULT '',
  comment         TEXT NOT NULL DEFAULT '',
  year            INTEGER NOT NULL DEFAULT 0,
  track_number    INTEGER NOT NULL DEFAULT 0,
  fingerprint     TEXT NOT NULL DEFAULT '',
  fingerprint_raw BLOB,           -- uint32 little-endian
  added_at        INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX tracks_fingerprint ON tracks(fingerprint);

CREATE TABLE descriptors(
  track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
  name     TEXT NOT NULL,
  value    REAL NOT NULL,
  PRIMARY KEY (track_id, name)
) WITHOUT ROWID;

CREATE TABLE vectors(
  track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
  embedder TEXT NOT NULL,
  dim      INTEGER NOT NULL,
  data     BLOB NOT NULL,         -- dim float32 little-endian, as the embedder produced them
  PRIMARY KEY (track_id, embedder)
);
CREATE INDEX vectors_embedder ON vectors(embedder, track_id);

CREATE TABLE embedder_state(
  embedder   TEXT PRIMARY KEY,
  json       TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE scan_errors(
  path   TEXT PRIMARY KEY,
  reason TEXT NOT NULL,
  at     INTEGER NOT NULL
);

CREATE TABLE history(
  id        INTEGER PRIMARY KEY,
  track_id  INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
  played_at INTEGER NOT NULL,
  source    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX history_track ON history(track_id);
CREATE INDEX history_played ON history(played_at);

CREATE TABLE playlists(
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);

CREATE TABLE playlist_tracks(
  playlist_id INTEGER NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
  position    INTEGER NOT NULL,
  track_id    INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
  PRIMARY KEY (playlist_id, position)
);
CREATE INDEX playlist_tracks_track ON playlist_tracks(track_id);

CREATE TABLE likes(
  track_id INTEGER PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE,
  at       INTEGER NOT NULL
);

CREATE TABLE search_history(
  id    INTEGER PRIMARY KEY,
  query TEXT NOT NULL,
  kind  TEXT NOT NULL DEFAULT '',
  at    INTEGER NOT NULL
);
CREATE INDEX search_history_at ON search_history(at);
)sql",
};
static_assert(std::size(kMigrations) == Catalog::kSchemaVersion, "one migration per schema version");

#define AUDIORIUM_TRACK_COLUMNS                                                                                 \
  "id, path, size_bytes, mtime_ns, duration_s, codec, sample_rate, channels, bit_rate, title, artist, album, " \
  "album_artist, genre, label, comment, year, track_number, fingerprint"

Track read_track(const sql::Statement& s) {
  Track t;
  t.id = s.int64(0);
  t.path = s.text(1);
  t.size_bytes = s.int64(2);
  t.mtime_ns = s.int64(3);
  t.duration_s = s.real(4);
  t.codec = s.text(5);
  t.sample_rate = s.integer(6);
  t.channels = s.integer(7);
  t.bit_rate = s.int64(8);
  t.tags.title = s.text(9);
  t.tags.artist = s.text(10);
  t.tags.album = s.text(11);
  t.tags.album_artist = s.text(12);
  t.tags.genre = s.text(13);
  t.tags.label = s.text(14);
  t.tags.comment = s.text(15);
  t.tags.year = s.integer(16);
  t.tags.track_number = s.integer(17);
  t.fingerprint = s.text(18);
  return t;
}

std::vector<float> floats_from_blob(std::span<const unsigned char> blob, int dim, int64_t id) {
  if (dim < 0 || blob.size() != static_cast<std::size_t>(dim) * sizeof(float))
    throw Error("catalog: the stored vector of track " + std::to_string(id) + " is damaged (size does not match dim)");
  std::vector<float> v(static_cast<std::size_t>(dim));
  if (!blob.empty()) std::memcpy(v.data(), blob.data(), blob.size());
  return v;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------

struct Catalog::Impl {
  fs::path file;
  sql::DbPtr db;
  int savepoints = 0;  // names nested savepoints uniquely

  struct Cached {
    std::unique_ptr<sql::Statement> stmt;
    bool in_use = false;
  };
  std::unordered_map<std::string, Cached> cache;

  // A cached prepared statement in use; reset when the scope ends, so no read stays open and pins the WAL.
  class Query {
   public:
    explicit Query(Cached& c) : c_(&c) { c_->in_use = true; }
    ~Query() {
      c_->stmt->reset();
      c_->in_use = false;
    }
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;
    sql::Statement* operator->() const { return c_->stmt.get(); }
    sql::Statement& operator*() const { return *c_->stmt; }

   private:
    Cached* c_;
  };

  Query query(const char* text) {
    Cached& c = cache[text];
    if (!c.stmt) c.stmt = std::make_unique<sql::Statement>(db.get(), text);
    // The same statement twice at once would reset the outer use under its feet.
    if (c.in_use) throw std::logic_error(std::string("catalog statement used re-entrantly: ") + text);
    return Query(c);
  }

  void exec(const char* text) { sql::exec(db.get(), text); }

  int64_t changes() const { return sqlite3_changes64(db.get()); }

  void bump_generation() {
    query("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")->run();
  }

  bool track_exists(int64_t id) {
    auto q = query("SELECT 1 FROM tracks WHERE id = ?");
    q->bind(1, id);
    return q->step();
  }

  void require_track(int64_t id, const char* action) {
    if (!track_exists(id))
      throw Error(std::string("cannot ") + action + ": there is no track with id " + std::to_string(id));
  }

  int pragma_int(const char* text) {
    sql::Statement s(db.get(), text);
    return s.step() ? s.integer(0) : 0;
  }

  void migrate();
};

void Catalog::Impl::migrate() {
  const std::string name = file.string();
  auto check_version = [&](int version) {
    if (version > kSchemaVersion)
      throw Error("catalog " + name + " was written by a newer version of Audiorium (schema version " +
                  std::to_string(version) + ", this build knows up to " + std::to_string(kSchemaVersion) +
                  "); upgrade Audiorium to open it");
  };
  auto check_application = [&](int version) {
    const int app = pragma_int("PRAGMA application_id");
    if (app != 0 && app != kApplicationId)
      throw Error(name + " is a database of another application, not an Audiorium catalog");
    if (version == 0 && pragma_int("SELECT count(*) FROM sqlite_schema") != 0)
      throw Error(name + " is an SQLite database of some other application, not an Audiorium catalog");
  };

  int version = pragma_int("PRAGMA user_version");
  check_version(version);
  if (version == kSchemaVersion) return;
  check_application(version);

  // IMMEDIATE: two processes opening an old catalog at once must not both migrate it; the second one waits
  // (busy_timeout), then sees the new version and does nothing.
  exec("BEGIN IMMEDIATE");
  try {
    version = pragma_int("PRAGMA user_version");
    check_version(version);
    check_application(version);
    for (; version < kSchemaVersion; ++version) exec(kMigrations[version]);
    exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
    exec(("PRAGMA application_id = " + std::to_string(kApplicationId)).c_str());
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

// ---------------------------------------------------------------------------------------------------------------

std::string Track::display_title() const {
  if (!tags.title.empty()) return tags.title;
  return fs::path(path).stem().string();
}

std::string Track::album_or_folder() const {
  if (!tags.album.empty()) return tags.album;
  return fs::path(path).parent_path().filename().string();
}

Catalog::Catalog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Catalog::Catalog(Catalog&&) noexcept = default;
Catalog& Catalog::operator=(Catalog&&) noexcept = default;
Catalog::~Catalog() = default;

const fs::path& Catalog::file() const { return impl_->file; }

Catalog Catalog::open(const fs::path& db_file) {
  auto impl = std::make_unique<Impl>();
  impl->file = db_file;
  const std::string name = db_file.string();
  if (db_file.empty()) throw Error("catalog: no database file given");
  if (db_file.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(db_file.parent_path(), ec);
    if (ec) throw Error("cannot create the folder for catalog " + name + ": " + ec.message());
  }

  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(name.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  impl->db.reset(raw);  // owned even when the open failed: SQLite still allocated a handle
  if (rc != SQLITE_OK) sql::fail(raw, rc, "cannot open");
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);

  {
    // WAL: readers (the server) run beside the writer (a scan); a killed writer leaves the old or new state.
    sql::Statement wal(raw, "PRAGMA journal_mode = WAL");
    wal.step();
  }
  // NORMAL is safe with WAL against a crashed or killed process; only a power cut may lose the last commits.
  impl->exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL");
  impl->migrate();
  return Catalog(std::move(impl));
}

// --- Transactions ----------------------------------------------------------------------------------------------

Catalog::Transaction::Transaction(Catalog& catalog) : impl_(catalog.impl_.get()) {
  Impl& impl = *impl_;
  if (sqlite3_get_autocommit(impl.db.get())) {
    // IMMEDIATE takes the write lock now, so the transaction cannot fail half-way on a lock upgrade.
    impl.exec("BEGIN IMMEDIATE");
  } else {
    savepoint_ = "sp" + std::to_string(++impl.savepoints);
    impl.exec(("SAVEPOINT " + savepoint_).c_str());
  }
}

void Catalog::Transaction::commit() {
  if (done_) return;
  Impl& impl = *impl_;
  impl.exec(savepoint_.empty() ? "COMMIT" : ("RELEASE " + savepoint_).c_str());
  done_ = true;
}

Catalog::Transaction::~Transaction() {
  if (done_) return;
  sqlite3* db = impl_->db.get();
  // Errors are ignored: some failures (disk full) have already rolled the transaction back.
  if (savepoint_.empty()) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  } else {
    const std::string text = "ROLLBACK TO " + savepoint_ + "; RELEASE " + savepoint_;
    sqlite3_exec(db, text.c_str(), nullptr, nullptr, nullptr);
  }
}

// --- Tracks ----------------------------------------------------------------------------------------------------

namespace {
// Tags reach JSON and the page; whoever filled them in, they must be valid UTF-8 of sane length.
Tags clean_tags(const Tags& in) {
  Tags t = in;
  for (std::string* s : {&t.title, &t.artist, &t.album, &t.album_artist, &t.genre, &t.label, &t.comment})
    *s = clamp_utf8(sanitize_utf8(*s), kMaxTagBytes);
  return t;
}

// Parameters 1–19 of the track INSERT and UPDATE, which list the columns in the same order.
void bind_track_columns(sql::Statement& q, const Track& t, const std::vector<uint32_t>& fingerprint_raw) {
  q.bind_all(t.path, t.size_bytes, t.mtime_ns, t.duration_s, t.codec, t.sample_rate, t.channels, t.bit_rate,
             t.tags.title, t.tags.artist, t.tags.album, t.tags.album_artist, t.tags.genre, t.tags.label,
             t.tags.comment, t.tags.year, t.tags.track_number, t.fingerprint);
  q.bind_blob(19, fingerprint_raw.data(), fingerprint_raw.size() * sizeof(uint32_t));
}
}  // namespace

int64_t Catalog::commit_analysis(const TrackAnalysis& a) {
  Track t = a.track;
  t.tags = clean_tags(a.track.tags);
  t.codec = sanitize_utf8(t.codec);
  if (t.path.empty()) throw Error("cannot store an analysis without a file path");
  if (a.vector.size() > 0 && a.embedder.empty())
    throw Error("cannot store the vector of " + t.path + ": no embedder named");
  for (float x : a.vector)
    if (!std::isfinite(x))
      throw Error("cannot store the vector of " + t.path + " from " + a.embedder + ": it contains NaN or infinity");
  if (a.vector.size() > static_cast<std::size_t>(std::numeric_limits<int>::max() / 4))
    throw Error("cannot store the vector of " + t.path + ": it is too large");

  Impl& impl = *impl_;
  Transaction tx(*this);
  const int64_t now = now_unix();

  // The row this analysis replaces, if any: by id for a moved file, else by path.
  std::optional<std::tuple<int64_t, int64_t, int64_t, std::string>> old;  // id, size, mtime, fingerprint
  {
    auto q = t.id != 0 ? impl.query("SELECT id, size_bytes, mtime_ns, fingerprint FROM tracks WHERE id = ?")
                       : impl.query("SELECT id, size_bytes, mtime_ns, fingerprint FROM tracks WHERE path = ?");
    if (t.id != 0) q->bind(1, t.id); else q->bind(1, t.path);
    if (q->step()) old.emplace(q->int64(0), q->int64(1), q->int64(2), q->text(3));
  }
  if (t.id != 0 && !old)
    throw Error("cannot update track " + std::to_string(t.id) + " (" + t.path + "): there is no track with that id");

  int64_t id = 0;
  if (old) {
    id = std::get<0>(*old);
    if (t.id != 0) {
      // A track still registered at the target path belongs to a file that has been replaced by this one.
      auto q = impl.query("DELETE FROM tracks WHERE path = ? AND id <> ?");
      q->bind_all(t.path, id).run();
    }
    auto q = impl.query(
        "UPDATE tracks SET path = ?, size_bytes = ?, mtime_ns = ?, duration_s = ?, codec = ?, sample_rate = ?, "
        "channels = ?, bit_rate = ?, title = ?, artist = ?, album = ?, album_artist = ?, genre = ?, label = ?, "
        "comment = ?, year = ?, track_number = ?, fingerprint = ?, fingerprint_raw = ?, updated_at = ? WHERE id = ?");
    bind_track_columns(*q, t, a.fingerprint_raw);
    q->bind(20, now).bind(21, id).run();
  } else {
    auto q = impl.query(
        "INSERT INTO tracks(path, size_bytes, mtime_ns, duration_s, codec, sample_rate, channels, bit_rate, title, "
        "artist, album, album_artist, genre, label, comment, year, track_number, fingerprint, fingerprint_raw, "
        "added_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    bind_track_columns(*q, t, a.fingerprint_raw);
    q->bind(20, now).bind(21, now).run();
    id = sqlite3_last_insert_rowid(impl.db.get());
  }

  {
    impl.query("DELETE FROM descriptors WHERE track_id = ?")->bind(1, id).run();
    auto q = impl.query("INSERT OR REPLACE INTO descriptors(track_id, name, value) VALUES (?, ?, ?)");
    for (const auto& [name, value] : a.descriptors) {
      if (!std::isfinite(value)) continue;  // "undefined" (e.g. the key of silence) is stored as absent
      q->bind_all(id, name, value).run();
      q->reset();
    }
  }

  // Vectors of other embedders describe the old audio when the content changed. The fingerprint tells best
  // (a tag edit changes size and mtime, not the audio); without one, size and mtime have to do.
  if (old) {
    const auto& [old_id, old_size, old_mtime, old_fp] = *old;
    (void)old_id;
    const bool changed = (!old_fp.empty() && !t.fingerprint.empty())
                             ? old_fp != t.fingerprint
                             : (old_size != t.size_bytes || old_mtime != t.mtime_ns);
    if (changed) impl.query("DELETE FROM vectors WHERE track_id = ? AND embedder <> ?")->bind_all(id, a.embedder).run();
  }

  if (!a.embedder.empty()) {
    if (a.vector.empty()) {
      impl.query("DELETE FROM vectors WHERE track_id = ? AND embedder = ?")->bind_all(id, a.embedder).run();
    } else {
      const int dim = static_cast<int>(a.vector.size());
      {
        // Every stored vector of an embedder has its dimension (this check keeps it so), so one row tells.
        // (Asking for a row with another dimension read every vector of the embedder: O(library) per track,
        // 9 ms per commit at 25k tracks.)
        auto q = impl.query("SELECT dim FROM vectors WHERE embedder = ? AND track_id <> ? LIMIT 1");
        q->bind_all(a.embedder, id);
        if (q->step() && q->integer(0) != dim)
          throw Error("cannot store the vector of " + t.path + ": embedder " + a.embedder + " gave " +
                      std::to_string(dim) + " dimensions but the catalog holds its vectors with " +
                      std::to_string(q->integer(0)) + "; an embedder whose output changes needs a new id");
      }
      auto q = impl.query("INSERT OR REPLACE INTO vectors(track_id, embedder, dim, data) VALUES (?, ?, ?, ?)");
      q->bind_all(id, a.embedder, dim);
      q->bind_blob(4, a.vector.data(), a.vector.size() * sizeof(float));
      q->run();
    }
  }

  impl.query("DELETE FROM scan_errors WHERE path = ?")->bind(1, t.path).run();
  impl.bump_generation();
  tx.commit();
  return id;
}

std::optional<Track> Catalog::track(int64_t id) const {
  auto q = impl_->query("SELECT " AUDIORIUM_TRACK_COLUMNS " FROM tracks WHERE id = ?");
  q->bind(1, id);
  if (!q->step()) return std::nullopt;
  return read_track(*q);
}

std::optional<Track> Catalog::track_by_path(const std::string& path) const {
  auto q = impl_->query("SELECT " AUDIORIUM_TRACK_COLUMNS " FROM tracks WHERE path = ?");
  q->bind(1, path);
  if (!q->step()) return std::nullopt;
  return read_track(*q);
}

std::vector<Track> Catalog::tracks() const {
  std::vector<Track> out;
  auto q = impl_->query("SELECT " AUDIORIUM_TRACK_COLUMNS " FROM tracks ORDER BY id");
  while (q->step()) out.push_back(read_track(*q));
  return out;
}

std::vector<FileState> Catalog::file_states() const {
  std::vector<FileState> out;
  auto q = impl_->query("SELECT id, path, size_bytes, mtime_ns FROM tracks ORDER BY id");
  while (q->step()) out.push_back({q->int64(0), q->text(1), q->int64(2), q->int64(3)});
  return out;
}

std::vector<int64_t> Catalog::tracks_with_fingerprint(const std::string& compressed) const {
  std::vector<int64_t> out;
  if (compressed.empty()) return out;  // "no fingerprint" is not a match
  auto q = impl_->query("SELECT id FROM tracks WHERE fingerprint = ? ORDER BY id");
  q->bind(1, compressed);
  while (q->step()) out.push_back(q->int64(0));
  return out;
}

std::vector<uint32_t> Catalog::fingerprint_raw(int64_t id) const {
  auto q = impl_->query("SELECT fingerprint_raw FROM tracks WHERE id = ?");
  q->bind(1, id);
  if (!q->step()) return {};
  const auto blob = q->blob(0);
  std::vector<uint32_t> out(blob.size() / sizeof(uint32_t));
  if (!out.empty()) std::memcpy(out.data(), blob.data(), out.size() * sizeof(uint32_t));
  return out;
}

void Catalog::move_track(int64_t id, const std::string& new_path, int64_t size_bytes, int64_t mtime_ns) {
  if (new_path.empty()) throw Error("cannot move track " + std::to_string(id) + ": no new path given");
  Impl& impl = *impl_;
  Transaction tx(*this);
  impl.require_track(id, ("move track " + std::to_string(id) + " to " + new_path).c_str());
  impl.query("DELETE FROM tracks WHERE path = ? AND id <> ?")->bind_all(new_path, id).run();
  impl.query("UPDATE tracks SET path = ?, size_bytes = ?, mtime_ns = ?, updated_at = ? WHERE id = ?")
      ->bind_all(new_path, size_bytes, mtime_ns, now_unix(), id)
      .run();
  impl.query("DELETE FROM scan_errors WHERE path = ?")->bind(1, new_path).run();
  impl.bump_generation();
  tx.commit();
}

void Catalog::remove_track(int64_t id) {
  Impl& impl = *impl_;
  Transaction tx(*this);
  impl.query("DELETE FROM tracks WHERE id = ?")->bind(1, id).run();
  if (impl.changes() > 0) impl.bump_generation();
  tx.commit();
}

// --- Descriptors and vectors -----------------------------------------------------------------------------------

std::vector<std::pair<std::string, double>> Catalog::descriptors(int64_t id) const {
  std::vector<std::pair<std::string, double>> out;
  auto q = impl_->query("SELECT name, value FROM descriptors WHERE track_id = ? ORDER BY name");
  q->bind(1, id);
  while (q->step()) out.emplace_back(q->text(0), q->real(1));
  return out;
}

std::map<int64_t, std::map<std::string, double>> Catalog::all_descriptors() const {
  std::map<int64_t, std::map<std::string, double>> out;
  auto q = impl_->query("SELECT track_id, name, value FROM descriptors");
  while (q->step()) out[q->int64(0)][q->text(1)] = q->real(2);
  return out;
}

std::optional<std::vector<float>> Catalog::vector(int64_t id, const std::string& embedder) const {
  auto q = impl_->query("SELECT dim, data FROM vectors WHERE track_id = ? AND embedder = ?");
  q->bind_all(id, embedder);
  if (!q->step()) return std::nullopt;
  return floats_from_blob(q->blob(1), q->integer(0), id);
}

void Catalog::put_vector(int64_t track_id, const std::string& embedder, const std::vector<float>& vector) {
  if (vector.empty() || embedder.empty()) throw Error("catalog: an empty vector or embedder id cannot be stored");
  Impl& impl = *impl_;
  Transaction tx(*this);
  impl.require_track(track_id, ("store a " + embedder + " vector for track " + std::to_string(track_id)).c_str());
  const int dim = static_cast<int>(vector.size());
  {
    auto q = impl.query("SELECT dim FROM vectors WHERE embedder = ? AND track_id <> ? LIMIT 1");  // one row tells
    q->bind_all(embedder, track_id);
    if (q->step() && q->integer(0) != dim)
      throw Error("cannot store the vector of track " + std::to_string(track_id) + ": embedder " + embedder + " gave " +
                  std::to_string(dim) + " dimensions but the catalog holds its vectors with " +
                  std::to_string(q->integer(0)) + "; an embedder whose output changes needs a new id");
  }
  auto q = impl.query("INSERT OR REPLACE INTO vectors(track_id, embedder, dim, data) VALUES (?, ?, ?, ?)");
  q->bind_all(track_id, embedder, dim);
  q->bind_blob(4, vector.data(), vector.size() * sizeof(float));
  q->run();
  impl.bump_generation();
  tx.commit();
}

int Catalog::vector_dim(const std::string& embedder) const {
  auto q = impl_->query("SELECT dim FROM vectors WHERE embedder = ? LIMIT 1");
  q->bind(1, embedder);
  return q->step() ? q->integer(0) : 0;
}

VectorSet Catalog::vectors(const std::string& embedder) const {
  VectorSet set;
  set.embedder = embedder;
  {
    auto count = impl_->query("SELECT count(*), max(dim) FROM vectors WHERE embedder = ?");
    count->bind(1, embedder);
    if (count->step()) {
      set.ids.reserve(static_cast<std::size_t>(count->int64(0)));
      set.data.reserve(static_cast<std::size_t>(count->int64(0) * count->int64(1)));
    }
  }
  auto q = impl_->query("SELECT track_id, dim, data FROM vectors WHERE embedder = ? ORDER BY track_id");
  q->bind(1, embedder);
  while (q->step()) {
    const int64_t id = q->int64(0);
    const int dim = q->integer(1);
    if (set.ids.empty()) set.dim = dim;
    if (dim != set.dim)
      throw Error("catalog: vectors of embedder " + embedder + " have mixed dimensions (" + std::to_string(set.dim) +
                  " and " + std::to_string(dim) + " at track " + std::to_string(id) + ")");
    const auto blob = q->blob(2);
    if (blob.size() != static_cast<std::size_t>(dim) * sizeof(float))
      throw Error("catalog: the stored vector of track " + std::to_string(id) + " is damaged (size does not match dim)");
    const std::size_t at = set.data.size();
    set.data.resize(at + static_cast<std::size_t>(dim));
    if (!blob.empty()) std::memcpy(set.data.data() + at, blob.data(), blob.size());
    set.ids.push_back(id);
  }
  return set;
}

std::vector<std::string> Catalog::embedders() const {
  std::vector<std::string> out;
  auto q = impl_->query("SELECT DISTINCT embedder FROM vectors ORDER BY embedder");
  while (q->step()) out.push_back(q->text(0));
  return out;
}

void Catalog::put_embedder_state(const std::string& embedder, const std::string& json) {
  Impl& impl = *impl_;
  Transaction tx(*this);
  impl.query("INSERT OR REPLACE INTO embedder_state(embedder, json, updated_at) VALUES (?, ?, ?)")
      ->bind_all(embedder, json, now_unix())
      .run();
  tx.commit();
}

std::optional<std::string> Catalog::embedder_state(const std::string& embedder) const {
  auto q = impl_->query("SELECT json FROM embedder_state WHERE embedder = ?");
  q->bind(1, embedder);
  if (!q->step()) return std::nullopt;
  return q->text(0);
}

// --- Scan errors, meta, stats ----------------------------------------------------------------------------------

void Catalog::record_scan_error(const std::string& path, const std::string& reason) {
  impl_->query("INSERT OR REPLACE INTO scan_errors(path, reason, at) VALUES (?, ?, ?)")
      ->bind_all(path, clamp_utf8(sanitize_utf8(reason), 4096), now_unix())
      .run();
}

void Catalog::clear_scan_error(const std::string& path) {
  impl_->query("DELETE FROM scan_errors WHERE path = ?")->bind(1, path).run();
}

std::vector<ScanError> Catalog::scan_errors() const {
  std::vector<ScanError> out;
  auto q = impl_->query("SELECT path, reason, at FROM scan_errors ORDER BY path");
  while (q->step()) out.push_back({q->text(0), q->text(1), q->int64(2)});
  return out;
}

int64_t Catalog::generation() const {
  auto q = impl_->query("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation'");
  return q->step() ? q->int64(0) : 0;
}

void Catalog::set_meta(const std::string& key, const std::string& value) {
  if (key == "generation") throw Error("catalog: the meta key \"generation\" is kept by the catalog itself");
  impl_->query("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)")->bind_all(key, value).run();
}

std::optional<std::string> Catalog::meta(const std::string& key) const {
  auto q = impl_->query("SELECT value FROM meta WHERE key = ?");
  q->bind(1, key);
  if (!q->step()) return std::nullopt;
  return q->text(0);
}

LibraryStats Catalog::stats() const {
  LibraryStats s;
  {
    auto q = impl_->query("SELECT count(*), coalesce(sum(duration_s), 0) FROM tracks");
    if (q->step()) {
      s.tracks = q->int64(0);
      s.total_duration_s = q->real(1);
    }
  }
  {
    auto q = impl_->query("SELECT count(*) FROM scan_errors");
    if (q->step()) s.scan_errors = q->int64(0);
  }
  auto q = impl_->query("SELECT embedder, count(*) FROM vectors GROUP BY embedder ORDER BY embedder");
  while (q->step()) s.vectors_per_embedder.emplace_back(q->text(0), q->int64(1));
  return s;
}

// --- Finding tracks from what a user typed ---------------------------------------------------------------------

std::vector<int64_t> Catalog::find_tracks(const std::string& query, int limit) const {
  const auto first = query.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || limit <= 0) return {};
  const std::string q = query.substr(first, query.find_last_not_of(" \t\r\n") - first + 1);

  // An id. Past 18 digits it cannot be one, and stoll would throw.
  if (q.size() <= 18 && std::all_of(q.begin(), q.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const int64_t id = std::stoll(q);
    if (impl_->track_exists(id)) return {id};
  }

  // A path: as stored, or canonicalised (the scanner stores canonical absolute paths).
  if (auto t = track_by_path(q)) return {t->id};
  {
    std::error_code ec;
    const fs::path canonical = fs::canonical(fs::path(q), ec);
    if (!ec) {
      if (auto t = track_by_path(canonical.string())) return {t->id};
    }
  }

  // Text: rank 0 exact title, 1 title prefix, 2 title substring, 3 artist, 4 album, 5 path.
  const std::string needle = fold_case(q);
  struct Hit {
    int rank;
    std::size_t title_len;
    int64_t id;
    bool operator<(const Hit& o) const { return std::tie(rank, title_len, id) < std::tie(o.rank, o.title_len, o.id); }
  };
  std::vector<Hit> hits;
  auto sq = impl_->query("SELECT id, title, artist, album, path FROM tracks");
  while (sq->step()) {
    std::string title = sq->text(1);
    const std::string path = sq->text(4);
    if (title.empty()) title = fs::path(path).stem().string();  // what the user sees as its title
    const std::string ft = fold_case(title);
    int rank = -1;
    if (ft == needle) rank = 0;
    else if (ft.starts_with(needle)) rank = 1;
    else if (ft.find(needle) != std::string::npos) rank = 2;
    else if (fold_case(sq->text(2)).find(needle) != std::string::npos) rank = 3;
    else if (fold_case(sq->text(3)).find(needle) != std::string::npos) rank = 4;
    else if (fold_case(path).find(needle) != std::string::npos) rank = 5;
    if (rank >= 0) hits.push_back({rank, title.size(), sq->int64(0)});
  }
  const auto n = std::min(hits.size(), static_cast<std::size_t>(limit));
  std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(n), hits.end());
  std::vector<int64_t> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(hits[i].id);
  return out;
}

// --- User state ------------------------------------------------------------------------------------------------

void Catalog::add_history(int64_t track_id, const std::string& source) {
  Impl& impl = *impl_;
  impl.require_track(track_id, "add to the history");
  impl.query("INSERT INTO history(track_id, played_at, source) VALUES (?, ?, ?)")
      ->bind_all(track_id, now_unix(), source)
      .run();
}

std::vector<HistoryEntry> Catalog::history(int limit) const {
  std::vector<HistoryEntry> out;
  auto q = impl_->query("SELECT id, track_id, played_at, source FROM history ORDER BY played_at DESC, id DESC LIMIT ?");
  q->bind(1, limit);
  while (q->step()) out.push_back({q->int64(0), q->int64(1), q->int64(2), q->text(3)});
  return out;
}

void Catalog::like(int64_t track_id, bool on) {
  Impl& impl = *impl_;
  if (on) {
    impl.require_track(track_id, "like");
    impl.query("INSERT OR IGNORE INTO likes(track_id, at) VALUES (?, ?)")->bind_all(track_id, now_unix()).run();
  } else {
    impl.query("DELETE FROM likes WHERE track_id = ?")->bind(1, track_id).run();
  }
}

std::vector<int64_t> Catalog::liked() const {
  std::vector<int64_t> out;
  auto q = impl_->query("SELECT track_id FROM likes ORDER BY track_id");
  while (q->step()) out.push_back(q->int64(0));
  return out;
}

void Catalog::add_search(const std::string& query, const std::string& kind) {
  impl_->query("INSERT INTO search_history(query, kind, at) VALUES (?, ?, ?)")
      ->bind_all(sanitize_utf8(query), kind, now_unix())
      .run();
}

std::vector<SearchEntry> Catalog::searches(int limit) const {
  std::vector<SearchEntry> out;
  auto q = impl_->query("SELECT id, query, kind, at FROM search_history ORDER BY at DESC, id DESC LIMIT ?");
  q->bind(1, limit);
  while (q->step()) out.push_back({q->int64(0), q->text(1), q->text(2), q->int64(3)});
  return out;
}

// --- Playlists -------------------------------------------------------------------------------------------------

namespace {

std::string playlist_name(const std::string& name) {
  const auto first = name.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) throw Error("a playlist needs a name");
  return sanitize_utf8(name.substr(first, name.find_last_not_of(" \t\r\n") - first + 1));
}

}  // namespace

std::optional<int64_t> Catalog::playlist_by_name(const std::string& name) const {
  const auto first = name.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return std::nullopt;
  auto q = impl_->query("SELECT id FROM playlists WHERE name = ?");
  q->bind(1, playlist_name(name));
  if (!q->step()) return std::nullopt;
  return q->int64(0);
}

int64_t Catalog::create_playlist(const std::string& name) {
  const std::string n = playlist_name(name);
  if (playlist_by_name(n)) throw Error("there is already a playlist named \"" + n + "\"");
  impl_->query("INSERT INTO playlists(name, created_at) VALUES (?, ?)")->bind_all(n, now_unix()).run();
  return sqlite3_last_insert_rowid(impl_->db.get());
}

void Catalog::rename_playlist(int64_t id, const std::string& name) {
  const std::string n = playlist_name(name);
  if (!playlist(id)) throw Error("there is no playlist with id " + std::to_string(id));
  if (const auto other = playlist_by_name(n); other && *other != id)
    throw Error("there is already a playlist named \"" + n + "\"");
  impl_->query("UPDATE playlists SET name = ? WHERE id = ?")->bind_all(n, id).run();
}

bool Catalog::delete_playlist(int64_t id) {
  Impl& impl = *impl_;
  Transaction tx(*this);
  impl.query("DELETE FROM playlist_tracks WHERE playlist_id = ?")->bind(1, id).run();
  impl.query("DELETE FROM playlists WHERE id = ?")->bind(1, id).run();
  const bool removed = impl.changes() > 0;
  tx.commit();
  return removed;
}

std::vector<Playlist> Catalog::playlists() const {
  std::vector<Playlist> out;
  auto q = impl_->query(
      "SELECT p.id, p.name, p.created_at, (SELECT count(*) FROM playlist_tracks t WHERE t.playlist_id = p.id) "
      "FROM playlists p ORDER BY p.id");
  while (q->step()) out.push_back({q->int64(0), q->text(1), q->int64(2), q->int64(3)});
  return out;
}

std::optional<Playlist> Catalog::playlist(int64_t id) const {
  auto q = impl_->query(
      "SELECT p.id, p.name, p.created_at, (SELECT count(*) FROM playlist_tracks t WHERE t.playlist_id = p.id) "
      "FROM playlists p WHERE p.id = ?");
  q->bind(1, id);
  if (!q->step()) return std::nullopt;
  return Playlist{q->int64(0), q->text(1), q->int64(2), q->int64(3)};
}

std::vector<int64_t> Catalog::playlist_tracks(int64_t id) const {
  if (!playlist(id)) throw Error("there is no playlist with id " + std::to_string(id));
  std::vector<int64_t> out;
  auto q = impl_->query("SELECT track_id FROM playlist_tracks WHERE playlist_id = ? ORDER BY position");
  q->bind(1, id);
  while (q->step()) out.push_back(q->int64(0));
  return out;
}

void Catalog::set_playlist_tracks(int64_t id, const std::vector<int64_t>& track_ids) {
  Impl& impl = *impl_;
  Transaction tx(*this);
  if (!playlist(id)) throw Error("there is no playlist with id " + std::to_string(id));
  for (const int64_t t : track_ids) impl.require_track(t, "add to a playlist");
  impl.query("DELETE FROM playlist_tracks WHERE playlist_id = ?")->bind(1, id).run();
  auto q = impl.query("INSERT INTO playlist_tracks(playlist_id, position, track_id) VALUES (?, ?, ?)");
  int64_t position = 0;
  for (const int64_t t : track_ids) {
    q->bind_all(id, position++, t).run();
    q->reset();
  }
  tx.commit();
}

void Catalog::add_to_playlist(int64_t id, const std::vector<int64_t>& track_ids) {
  auto all = playlist_tracks(id);
  all.insert(all.end(), track_ids.begin(), track_ids.end());
  set_playlist_tracks(id, all);
}

}  // namespace audiorium::catalog
