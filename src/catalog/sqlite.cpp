#include "catalog/sqlite.h"

#include "core/error.h"

namespace audiorium::catalog::sql {

void fail(sqlite3* db, int rc, std::string_view what) {
  const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
  std::string msg = "catalog";
  if (file && *file) msg += std::string(" ") + file;
  msg += ": ";
  msg += what;
  msg += ": ";
  const int primary = rc & 0xFF;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    msg += "the database is busy (another Audiorium process is writing to it); try again when it has finished";
  else if (primary == SQLITE_FULL)
    msg += "the disk is full";
  else if (primary == SQLITE_READONLY)
    msg += "the database is read-only (check the file's permissions)";
  else if (primary == SQLITE_NOTADB)
    msg += "the file is not an SQLite database";
  else if (primary == SQLITE_CORRUPT)
    msg += "the database file is damaged";
  else
    msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw Error(msg);
}

void exec(sqlite3* db, const char* sql) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(db, rc, std::string("cannot run \"") + std::string(std::string_view(sql).substr(0, 60)) + "\"");
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw,
                                    nullptr);
  stmt_.reset(raw);
  if (rc != SQLITE_OK) fail(db, rc, "cannot prepare a query");
}

Statement& Statement::bind(int i, int64_t v) {
  if (const int rc = sqlite3_bind_int64(stmt_.get(), i, v); rc != SQLITE_OK) fail(db_, rc, "cannot bind");
  return *this;
}

Statement& Statement::bind(int i, double v) {
  if (const int rc = sqlite3_bind_double(stmt_.get(), i, v); rc != SQLITE_OK) fail(db_, rc, "cannot bind");
  return *this;
}

Statement& Statement::bind(int i, std::string_view v) {
  // A non-null pointer even for empty text, so an empty string binds as '' and not as NULL.
  const int rc = sqlite3_bind_text64(stmt_.get(), i, v.empty() ? "" : v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) fail(db_, rc, "cannot bind");
  return *this;
}

Statement& Statement::bind_blob(int i, const void* data, std::size_t bytes) {
  static const unsigned char kEmpty = 0;
  const int rc = sqlite3_bind_blob64(stmt_.get(), i, bytes ? data : &kEmpty, bytes, SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) fail(db_, rc, "cannot bind");
  return *this;
}

Statement& Statement::bind_null(int i) {
  if (const int rc = sqlite3_bind_null(stmt_.get(), i); rc != SQLITE_OK) fail(db_, rc, "cannot bind");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, rc, "query failed");
}

void Statement::run() {
  while (step()) {
  }
}

std::string Statement::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_.get(), col);
  const int n = sqlite3_column_bytes(stmt_.get(), col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}

std::span<const unsigned char> Statement::blob(int col) const {
  const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(stmt_.get(), col));
  const int n = sqlite3_column_bytes(stmt_.get(), col);
  return p ? std::span<const unsigned char>(p, static_cast<std::size_t>(n)) : std::span<const unsigned char>();
}

void Statement::reset() noexcept {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

}  // namespace audiorium::catalog::sql
