// LoadStatus and LoadHistory: the read-only queries behind `status` and `history`.
#include "adu/storage/queries.h"

#include <sys/stat.h>

#include <functional>
#include <string>
#include <vector>

#include "operation_row.h"
#include "sqlite_util.h"

namespace adu::storage {
namespace {

using internal::DbPtr;
using internal::DbStatus;
using internal::Query;

std::optional<int64_t> OptInt(const Query& q, int col) {
  if (q.IsNull(col)) return std::nullopt;
  return q.Int(col);
}

// The read-only connection, in one read transaction.
class Reader {
 public:
  static Result<Reader> Open(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return Status::NotFound("database " + path + " does not exist (has the daemon run yet?)");
    }
    sqlite3* raw = nullptr;
    const std::string uri = internal::FileUri(path, "mode=ro");
    // NOMUTEX: the connection never leaves this thread, so SQLite need not lock it on each of
    // the hundreds of thousands of column reads of a large `status`.
    const int rc = sqlite3_open_v2(
        uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
    DbPtr db(raw);
    if (rc != SQLITE_OK) return DbStatus(path, raw, rc, "cannot open read-only");
    // The daemon holds the write lock only for short transactions; wait for it briefly.
    sqlite3_busy_timeout(db.get(), 5000);
    Reader r(path, std::move(db));
    // One read transaction for the whole report, so its parts are consistent with each other.
    if (internal::Exec(r.db(), "BEGIN") != SQLITE_OK) {
      return DbStatus(path, r.db(), sqlite3_extended_errcode(r.db()),
                      "cannot start a read transaction");
    }
    int vrc = SQLITE_OK;
    auto version = internal::QueryInt(r.db(), "PRAGMA user_version", &vrc);
    if (!version) return DbStatus(path, r.db(), vrc, "cannot read the schema");
    if (*version < 1) {
      return Status::Corrupt("database " + path + " has no adu-opwatch schema (user_version " +
                             std::to_string(*version) + ")");
    }
    r.version_ = static_cast<int>(*version);
    return r;
  }

  sqlite3* db() const { return db_.get(); }
  int version() const { return version_; }

  // Runs `sql` with `bind`, calling `row` per result row.
  Status Each(const char* sql, const std::function<void(Query&)>& bind,
              const std::function<void(const Query&)>& row) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db(), sql, -1, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return DbStatus(path_, db(), rc, "cannot query");
    }
    {
      Query q(stmt);
      bind(q);
      while ((rc = q.Step()) == SQLITE_ROW) row(q);
    }
    if (rc != SQLITE_DONE) {
      Status st = DbStatus(path_, db(), rc, "cannot query");
      sqlite3_finalize(stmt);
      return st;
    }
    sqlite3_finalize(stmt);
    return Status::Ok();
  }

 private:
  Reader(std::string path, DbPtr db) : path_(std::move(path)), db_(std::move(db)) {}
  std::string path_;
  DbPtr db_;
  int version_ = 0;
};

Status NotInTheDatabase(const std::string& db_path, const OperationKey& key, bool any_kind) {
  const std::string kind(KindName(key.kind));
  return Status::NotFound(
      "operation " + key.id + " is not in the database" +
      (any_kind ? std::string()
                : std::string(key.kind == OperationKind::kUpdate ? " as an " : " as a ") + kind +
                      " operation") +
      " (" + db_path + ")");
}

// The one operation `key` names (in either kind with `any_kind`).
Result<OperationRow> FindOperation(Reader& reader, const std::string& db_path,
                                   const OperationKey& key, bool any_kind) {
  std::vector<OperationRow> matches;
  const std::string kind(KindName(key.kind));
  const std::string sql = internal::OperationRowSelect(reader.version()) +
                          "WHERE operation_id = ?1 AND (?2 OR kind = ?3) ORDER BY kind";
  Status st = reader.Each(
      sql.c_str(),
      [&](Query& q) { q.Bind(1, key.id).Bind(2, int64_t{any_kind ? 1 : 0}).Bind(3, kind); },
      [&](const Query& q) { matches.push_back(internal::ReadOperationRow(q)); });
  if (!st.ok()) return st;
  if (matches.empty()) return NotInTheDatabase(db_path, key, any_kind);
  if (matches.size() > 1) {
    return Status::Error("operation " + key.id +
                         " is both a device and an update operation; choose one with --kind");
  }
  return std::move(matches.front());
}

// Transitions, snapshots and poll errors of `h.operation`, oldest first.
Status LoadRowsOf(Reader& reader, History& h) {
  const OperationRow& op = h.operation;
  auto bind_key = [&](Query& q) { q.Bind(1, op.kind).Bind(2, op.operation_id); };
  Status st = reader.Each(
      "SELECT from_status, to_status, at FROM transitions WHERE kind = ?1 AND operation_id = ?2 "
      "ORDER BY snapshot_id",
      bind_key, [&](const Query& q) {
        h.transitions.push_back({q.Text(0), q.Text(1), q.Text(2)});
      });
  if (!st.ok()) return st;
  st = reader.Each(
      "SELECT id, observed_at, status, etag, created_at, last_action_at, error_code, "
      "error_message, trace_id, body FROM snapshots WHERE kind = ?1 AND operation_id = ?2 "
      "ORDER BY id",
      bind_key, [&](const Query& q) {
        h.snapshots.push_back({q.Int(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5),
                               q.Text(6), q.Text(7), q.Text(8), q.Text(9)});
      });
  if (!st.ok()) return st;
  return reader.Each(
      "SELECT id, at, category, http_status, code, message FROM poll_errors "
      "WHERE kind = ?1 AND operation_id = ?2 ORDER BY id",
      bind_key, [&](const Query& q) {
        h.poll_errors.push_back(
            {q.Int(0), q.Text(1), q.Text(2), OptInt(q, 3), q.Text(4), q.Text(5)});
      });
}

}  // namespace

Result<std::vector<OperationRow>> LoadStatus(const std::string& db_path) {
  auto reader = Reader::Open(db_path);
  if (!reader) return reader.status();
  std::vector<OperationRow> ops;
  // Sized first: tens of thousands of rows of about 400 bytes, moved on every doubling otherwise.
  int rc = SQLITE_OK;
  if (auto n = internal::QueryInt(reader->db(), "SELECT count(*) FROM operations", &rc); n) {
    ops.reserve(static_cast<size_t>(*n));
  }
  const std::string sql =
      internal::OperationRowSelect(reader->version()) + "ORDER BY kind, operation_id";
  Status st = reader->Each(
      sql.c_str(), [](Query&) {},
      [&](const Query& q) { ops.push_back(internal::ReadOperationRow(q)); });
  if (!st.ok()) return st;
  return ops;
}

Result<History> LoadHistory(const std::string& db_path, const OperationKey& key, bool any_kind) {
  auto reader = Reader::Open(db_path);
  if (!reader) return reader.status();
  auto op = FindOperation(*reader, db_path, key, any_kind);
  if (!op) return op.status();
  History h;
  h.operation = std::move(*op);
  if (Status st = LoadRowsOf(*reader, h); !st.ok()) return st;
  return h;
}

}  // namespace adu::storage
