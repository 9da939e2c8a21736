// Internal helpers around the SQLite C API shared by the store and the reports.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "adu/core/result.h"

namespace adu::storage::internal {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

// "database PATH: CONTEXT: SQLite's message (code N)". Call before anything else touches `db`,
// or the message is overwritten.
std::string DbError(const std::string& path, sqlite3* db, std::string_view context);
std::string DbError(const std::string& path, sqlite3* db, int rc, std::string_view context);

// The StatusCode of SQLite result code `rc` (primary or extended): BUSY/LOCKED -> kBusy,
// CORRUPT/NOTADB -> kCorrupt, READONLY -> kReadOnly, IOERR/FULL/CANTOPEN/PERM -> kIo, else kError.
StatusCode CodeOfSqlite(int rc);
// DbError's message with CodeOfSqlite(rc) as its code.
Status DbStatus(const std::string& path, sqlite3* db, int rc, std::string_view context);

// A borrowed prepared statement used once: bindings and state are reset when it goes out of
// scope, so cached statements can be reused safely even on early returns.
class Query {
 public:
  explicit Query(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Query() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& Bind(int index, std::string_view text);
  Query& Bind(int index, int64_t value);
  Query& BindOpt(int index, const std::optional<std::string>& text);  // NULL when nullopt
  Query& BindNull(int index);
  // NULL when empty: optional service fields are NULL rather than '' so `IS NULL` works.
  Query& BindNonEmpty(int index, std::string_view text);

  int Step() { return sqlite3_step(stmt_); }

  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::optional<std::string> Text(int col) const;
  std::string TextOr(int col, std::string_view fallback) const;
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }

 private:
  sqlite3_stmt* stmt_;
};

// Prepared statements by SQL text, prepared once per connection (SQLITE_PREPARE_PERSISTENT).
class StatementCache {
 public:
  StatementCache() = default;
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;
  ~StatementCache() { Clear(); }

  // nullptr on error; sqlite3_errmsg(db) says why.
  sqlite3_stmt* Get(sqlite3* db, const char* sql);
  void Clear();

 private:
  std::unordered_map<std::string, sqlite3_stmt*> stmts_;
};

// Runs SQL without parameters (DDL, PRAGMA, BEGIN/COMMIT); SQLITE_OK or the error code.
int Exec(sqlite3* db, const char* sql);

// Reads a single integer (e.g. PRAGMA user_version). nullopt on error.
std::optional<int64_t> QueryInt(sqlite3* db, const char* sql, int* rc_out = nullptr);

// Opens an existing database read-write (never creates it) with extended result codes and the
// busy timeout: the writer's and the outbox's connections.
Result<DbPtr> OpenReadWrite(const std::string& path, std::chrono::milliseconds busy_timeout);

// `file:` URI for `path` (percent-encoded) with the given query string, e.g. "mode=ro".
std::string FileUri(const std::string& path, std::string_view query);

}  // namespace adu::storage::internal
