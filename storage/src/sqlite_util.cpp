#include "sqlite_util.h"

#include <cstdio>

namespace adu::storage::internal {

std::string DbError(const std::string& path, sqlite3* db, int rc, std::string_view context) {
  std::string msg = "database " + path + ": ";
  msg.append(context);
  msg += ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  msg += " (SQLite code " + std::to_string(rc) + ")";
  return msg;
}

std::string DbError(const std::string& path, sqlite3* db, std::string_view context) {
  return DbError(path, db, db != nullptr ? sqlite3_extended_errcode(db) : SQLITE_ERROR, context);
}

StatusCode CodeOfSqlite(int rc) {
  switch (rc & 0xFF) {  // the primary code of an extended one
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StatusCode::kBusy;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kCorrupt;
    case SQLITE_READONLY:
      return StatusCode::kReadOnly;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      return StatusCode::kIo;
    default:
      return StatusCode::kError;
  }
}

Status DbStatus(const std::string& path, sqlite3* db, int rc, std::string_view context) {
  return Status::WithCode(CodeOfSqlite(rc), DbError(path, db, rc, context));
}

Query& Query::Bind(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Query& Query::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Query& Query::BindOpt(int index, const std::optional<std::string>& text) {
  return text ? Bind(index, std::string_view(*text)) : BindNull(index);
}

Query& Query::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Query& Query::BindNonEmpty(int index, std::string_view text) {
  return text.empty() ? BindNull(index) : Bind(index, text);
}

std::optional<std::string> Query::Text(int col) const {
  if (IsNull(col)) return std::nullopt;
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  const int n = sqlite3_column_bytes(stmt_, col);
  return p != nullptr ? std::string(p, static_cast<size_t>(n)) : std::string();
}

std::string Query::TextOr(int col, std::string_view fallback) const {
  auto t = Text(col);
  return t ? *t : std::string(fallback);
}

sqlite3_stmt* StatementCache::Get(sqlite3* db, const char* sql) {
  auto it = stmts_.find(sql);
  if (it != stmts_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return nullptr;
  }
  stmts_.emplace(sql, stmt);
  return stmt;
}

void StatementCache::Clear() {
  for (auto& [sql, stmt] : stmts_) sqlite3_finalize(stmt);
  stmts_.clear();
}

int Exec(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }

std::optional<int64_t> QueryInt(sqlite3* db, const char* sql, int* rc_out) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  std::optional<int64_t> out;
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      out = sqlite3_column_int64(stmt, 0);
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(stmt);
  if (rc_out != nullptr) *rc_out = rc;
  return out;
}

std::string FileUri(const std::string& path, std::string_view query) {
  // RFC 3986 unreserved characters and '/' pass; everything else ('?', '#', '%', spaces, ...)
  // is percent-encoded so that no path can smuggle URI parameters in.
  // An absolute path gets an empty authority ("file:///x"), so a path starting with "//" is
  // never read as a host name.
  std::string uri = !path.empty() && path[0] == '/' ? "file://" : "file:";
  for (unsigned char c : path) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
    if (plain) {
      uri += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      uri += buf;
    }
  }
  if (!query.empty()) {
    uri += '?';
    uri.append(query);
  }
  return uri;
}

Result<DbPtr> OpenReadWrite(const std::string& path, std::chrono::milliseconds busy_timeout) {
  sqlite3* raw = nullptr;
  // No SQLITE_OPEN_CREATE: the store creates the file itself, with its mode. FULLMUTEX is not
  // needed (one thread at a time per connection) but costs nothing measurable.
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return DbStatus(path, raw, rc, "cannot open");
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), static_cast<int>(busy_timeout.count()));
  return db;
}

}  // namespace adu::storage::internal
