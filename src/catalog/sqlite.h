// A thin RAII layer over the SQLite C API, internal to the catalog: owned handles, prepared statements with
// bind/step/column helpers, and errors turned into audiorium::Error with the database file named.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace audiorium::catalog::sql {

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// Throws Error for result code rc, with the connection's message and the file it belongs to.
[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what);

// Runs SQL text without results (may hold several statements).
void exec(sqlite3* db, const char* sql);

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);

  // Parameters are 1-based, as in SQLite. Text and blobs are copied (SQLITE_TRANSIENT).
  Statement& bind(int i, int64_t v);
  Statement& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
  Statement& bind(int i, double v);
  Statement& bind(int i, std::string_view v);
  Statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Statement& bind_blob(int i, const void* data, std::size_t bytes);
  Statement& bind_null(int i);

  // Binds the arguments to parameters 1, 2, ... in order.
  template <class... Args>
  Statement& bind_all(const Args&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  bool step();  // true: a row is ready; false: done. Throws on error.
  void run();   // steps to the end, for statements without results

  // Columns are 0-based. A NULL reads as 0 or empty.
  int64_t int64(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
  int integer(int col) const { return sqlite3_column_int(stmt_.get(), col); }
  double real(int col) const { return sqlite3_column_double(stmt_.get(), col); }
  std::string text(int col) const;
  std::span<const unsigned char> blob(int col) const;
  bool is_null(int col) const { return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL; }

  // Ready to run again: ends any read the statement holds open (which would pin the WAL) and clears bindings.
  void reset() noexcept;

 private:
  sqlite3* db_;  // not owned
  StmtPtr stmt_;
};

}  // namespace audiorium::catalog::sql
