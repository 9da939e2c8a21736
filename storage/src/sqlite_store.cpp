#include "adu/storage/sqlite_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <utility>

#include "adu/core/time_format.h"
#include "operation_row.h"
#include "schema.h"
#include "sqlite_util.h"

namespace adu::storage {

using internal::DbError;
using internal::DbPtr;
using internal::DbStatus;
using internal::Exec;
using internal::Query;

namespace {

constexpr const char* kEnsureOperation =
    "INSERT INTO operations (operation_id, kind, state, first_seen_at) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (kind, operation_id) DO NOTHING";

// 1 when the operation's latest snapshot has exactly this body (BINARY comparison: bytes).
constexpr const char* kLatestBodyEquals =
    "SELECT body = ?3 FROM snapshots WHERE kind = ?1 AND operation_id = ?2 "
    "ORDER BY id DESC LIMIT 1";

constexpr const char* kInsertSnapshot =
    "INSERT INTO snapshots (operation_id, kind, observed_at, status, etag, created_at, "
    "last_action_at, error_code, error_message, trace_id, body, previous_status, status_changed) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

// The status of the operation's latest snapshot, read before a new one is inserted.
constexpr const char* kLatestStatus =
    "SELECT status FROM snapshots WHERE kind = ?1 AND operation_id = ?2 ORDER BY id DESC LIMIT 1";

// After retention deleted an operation's oldest snapshots, the first one left is a first one
// for the transitions view (from_status NULL), as the view computed from snapshots always said.
constexpr const char* kMarkFirstSnapshot =
    "UPDATE snapshots SET previous_status = NULL, status_changed = 1 WHERE id = (SELECT min(id) "
    "FROM snapshots WHERE kind = ?1 AND operation_id = ?2) AND (status_changed IS NOT 1 OR "
    "previous_status IS NOT NULL)";

// ?8: last_changed_at and ?10: latest_snapshot_id, NULL when the body was a duplicate (keeps the
// previous values).
constexpr const char* kUpdateAfterSnapshot =
    "UPDATE operations SET polls = polls + 1, not_modified = not_modified + ?3, status = ?4, "
    "etag = ?5, state = ?6, last_polled_at = ?7, last_changed_at = COALESCE(?8, last_changed_at), "
    "next_poll_at = ?9, latest_snapshot_id = COALESCE(?10, latest_snapshot_id) "
    "WHERE kind = ?1 AND operation_id = ?2";

// ?6: how many unchanged polls the record stands for (the writer merges queued ones).
constexpr const char* kUpdateAfterUnchanged =
    "UPDATE operations SET polls = polls + ?6, not_modified = not_modified + ?6, state = ?3, "
    "last_polled_at = ?4, next_poll_at = ?5 WHERE kind = ?1 AND operation_id = ?2";

constexpr const char* kUpdateAfterFailure =
    "UPDATE operations SET polls = polls + 1, errors = errors + 1, state = ?3, "
    "last_polled_at = ?4, next_poll_at = ?5, last_error = ?6 WHERE kind = ?1 AND operation_id = ?2";

constexpr const char* kInsertPollError =
    "INSERT INTO poll_errors (operation_id, kind, at, category, http_status, code, message) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

// Everything but the newest ?3 rows of one operation's errors.
constexpr const char* kCapPollErrors =
    "DELETE FROM poll_errors WHERE id IN (SELECT id FROM poll_errors "
    "WHERE kind = ?1 AND operation_id = ?2 ORDER BY id DESC LIMIT -1 OFFSET ?3)";

// One pending outbox row per matching target; a row already there (the same batch written again
// after a failed commit cannot get here, but a hand-inserted one can) is left alone.
constexpr const char* kInsertNotification =
    "INSERT INTO notifications (event_id, target, snapshot_id, created_at, next_attempt_at) "
    "VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (event_id, target) DO NOTHING";

constexpr const char* kSelectKeysAndStates = "SELECT kind, operation_id, state FROM operations";

// ?4: the origin the engine gives (a watch-list entry keeps `config` / `watch_file` even when
// discovery lists it too: the engine says so).
constexpr const char* kWatchKey =
    "INSERT INTO operations (operation_id, kind, state, first_seen_at, origin) "
    "VALUES (?1, ?2, 'active', ?3, ?4) "
    "ON CONFLICT (kind, operation_id) DO UPDATE SET origin = excluded.origin, "
    "state = CASE state WHEN 'unwatched' THEN 'active' ELSE state END "
    "WHERE state = 'unwatched' OR origin <> excluded.origin";

constexpr const char* kUnwatchKey =
    "UPDATE operations SET state = 'unwatched' WHERE kind = ?1 AND operation_id = ?2";

// An operation is "terminal" for retention when the daemon marked it so, or when its last known
// status is terminal (it may have been unwatched since). Its age is that of its last change.
constexpr const char* kRetainedOperations =
    "SELECT kind, operation_id FROM operations o WHERE (state = 'terminal' OR lower(status) IN "
    "('succeeded', 'failed')) AND COALESCE(last_changed_at, last_polled_at, first_seen_at) < ?1 "
    // ... and only those with something left to prune, so a step's cost does not grow with the
    // number of long-pruned operations.
    "AND (EXISTS (SELECT 1 FROM poll_errors e WHERE e.kind = o.kind AND "
    "e.operation_id = o.operation_id) OR (SELECT count(*) FROM (SELECT 1 FROM snapshots s "
    "WHERE s.kind = o.kind AND s.operation_id = o.operation_id LIMIT 2)) > 1) LIMIT ?2";

// Old snapshots of one operation, never its latest (highest id).
constexpr const char* kPruneSnapshots =
    "DELETE FROM snapshots WHERE id IN (SELECT id FROM snapshots WHERE kind = ?1 AND "
    "operation_id = ?2 AND id < (SELECT max(id) FROM snapshots WHERE kind = ?1 AND "
    "operation_id = ?2) ORDER BY id LIMIT ?3)";

constexpr const char* kPrunePollErrors =
    "DELETE FROM poll_errors WHERE id IN (SELECT id FROM poll_errors WHERE kind = ?1 AND "
    "operation_id = ?2 ORDER BY id LIMIT ?3)";

constexpr const char* kOverCapOperations =
    "SELECT kind, operation_id FROM poll_errors GROUP BY kind, operation_id HAVING count(*) > ?1";

std::string_view Kind(const OperationKey& key) { return KindName(key.kind); }

std::optional<std::string> OptTime(const std::optional<WallTime>& t) {
  if (!t) return std::nullopt;
  return FormatTimestamp(*t);
}

std::optional<WallTime> ParseOptTime(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  return ParseTimestamp(*text);
}

std::string DescribeError(const PollError& e) {
  std::string out(CategoryName(e.category));
  if (e.http_status) out += " " + std::to_string(*e.http_status);
  if (!e.code.empty()) out += " " + e.code;
  out += ": " + e.message;
  return out;
}

// The engine's record of a row as stored; kCorrupt when its kind or state is not one we write.
Result<OperationRecord> RecordOf(const OperationRow& row, const std::string& path) {
  const auto kind = ParseKind(row.kind);
  const auto state = ParseState(row.state);
  const auto origin = ParseOrigin(row.origin);
  if (!kind || !state || !origin) {
    return Status::Corrupt("database " + path + ": operation " + row.operation_id +
                           " has an unknown kind, state or origin");
  }
  OperationRecord rec;
  rec.key = OperationKey{*kind, row.operation_id};
  rec.status = row.status;
  rec.etag = row.etag;
  rec.state = *state;
  rec.first_seen_at = ParseOptTime(row.first_seen_at);
  rec.last_polled_at = ParseOptTime(row.last_polled_at);
  rec.last_changed_at = ParseOptTime(row.last_changed_at);
  rec.next_poll_at = ParseOptTime(row.next_poll_at);
  rec.polls = row.polls;
  rec.not_modified = row.not_modified;
  rec.errors = row.errors;
  rec.last_error = row.last_error;
  rec.origin = *origin;
  return rec;
}

// Creates the file 0640 (whatever the umask) so a readers' group can query it. EEXIST is fine:
// another process created it first.
Status CreateFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) {
    if (errno == EEXIST) return Status::Ok();
    const int err = errno;
    const std::string msg = "cannot create database " + path + ": " + std::strerror(err);
    return err == EROFS ? Status::ReadOnly(msg) : Status::Io(msg);
  }
  Status st;
  if (::fchmod(fd, 0640) != 0) {
    st = Status::Io("cannot set the mode of database " + path + ": " + std::strerror(errno));
  }
  ::close(fd);
  return st;
}

MaintainProgress Progress(bool more) {
  return more ? MaintainProgress::kMoreWork : MaintainProgress::kDone;
}

}  // namespace

class SqliteStore::Impl {
 public:
  Impl(std::string path, StoreOptions options, DbPtr db)
      : path_(std::move(path)), options_(options), db_(std::move(db)) {}
  ~Impl() { stmts_.Clear(); }  // statements before the connection

  const std::string& path() const { return path_; }

  Result<std::vector<OperationRecord>> LoadOperations();
  Status SetWatchList(const std::vector<WatchedOperation>& watched, WallTime now);
  Status Write(const std::vector<PollRecord>& batch);
  Result<MaintainProgress> Maintain(WallTime now);

  void SetNotifyRouting(NotifyRouting routing) {
    std::lock_guard lock(routing_mu_);
    routing_ = std::move(routing);
  }
  void SetOutboxListener(std::function<void()> listener) { outbox_listener_ = std::move(listener); }

 private:
  // A failed step's message, captured before ROLLBACK overwrites sqlite3_errmsg.
  struct Failure {
    std::string message;
  };

  sqlite3_stmt* Stmt(const char* sql, std::optional<Failure>& failure) {
    sqlite3_stmt* s = stmts_.Get(db_.get(), sql);
    if (s == nullptr) failure = Failure{DbError(path_, db_.get(), "cannot prepare a statement")};
    return s;
  }

  // Runs fn() inside BEGIN IMMEDIATE ... COMMIT; on any failure rolls back and returns the error.
  template <typename Fn>
  Status InTransaction(std::string_view what, Fn&& fn) {
    int rc = Exec(db_.get(), "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK) {
      return Status::Error(DbError(path_, db_.get(), rc, std::string(what) + " (cannot lock)"));
    }
    std::optional<Failure> failure = fn();
    if (!failure) {
      rc = Exec(db_.get(), "COMMIT");
      if (rc == SQLITE_OK) return Status::Ok();
      failure = Failure{DbError(path_, db_.get(), rc, std::string(what) + " (commit failed)")};
    }
    // After some errors (SQLITE_FULL, SQLITE_IOERR) SQLite has already rolled back; ROLLBACK
    // then fails harmlessly. Either way nothing of the transaction remains.
    if (!sqlite3_get_autocommit(db_.get())) Exec(db_.get(), "ROLLBACK");
    return Status::Error(failure->message);
  }

  // Steps a write statement to completion; sets `failure` on error.
  bool Run(Query& q, std::string_view what, std::optional<Failure>& failure) {
    const int rc = q.Step();
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) return true;
    failure = Failure{DbError(path_, db_.get(), rc, what)};
    return false;
  }

  std::optional<Failure> WriteRecord(const PollRecord& r);
  std::optional<Failure> WriteChanged(const PollRecord& r, const Snapshot& snap);
  std::optional<Failure> WriteUnchanged(const PollRecord& r, const Unchanged& unchanged);
  std::optional<Failure> WriteFailed(const PollRecord& r, const PollError& e);
  // Schema version 3's transition fact of a snapshot about to be inserted.
  struct TransitionFacts {
    std::optional<std::string> previous_status;  // of the latest snapshot; nullopt: none or NULL
    bool status_changed = true;  // a row of the transitions view: the first, or a new status
  };
  std::optional<Failure> ReadTransitionFacts(const OperationKey& key, const std::string& status,
                                             TransitionFacts& out);
  std::optional<Failure> MarkFirstSnapshot(const OperationKey& key);
  std::optional<Failure> WriteOutboxRows(int64_t snapshot_id, const std::string& status,
                                         WallTime at);
  std::optional<Failure> CapErrors(const OperationKey& key, int keep, int64_t* deleted);
  std::optional<Failure> ReadKeys(const char* sql, std::vector<OperationKey>& out,
                                  const std::function<void(Query&)>& bind);

  std::string path_;
  StoreOptions options_;
  DbPtr db_;
  internal::StatementCache stmts_;
  bool cap_checked_ = false;  // the whole-table error-cap pass runs once per process
  std::mutex routing_mu_;
  NotifyRouting routing_;        // guarded by routing_mu_
  NotifyRouting batch_routing_;  // routing_ as Write() found it: one routing per transaction
  int64_t outbox_rows_ = 0;      // written by the current Write()
  std::function<void()> outbox_listener_;
};

std::optional<SqliteStore::Impl::Failure> SqliteStore::Impl::WriteRecord(const PollRecord& r) {
  std::optional<Failure> failure;
  {
    auto* s = Stmt(kEnsureOperation, failure);
    if (!s) return failure;
    Query q(s);
    q.Bind(1, r.key.id)
        .Bind(2, Kind(r.key))
        .Bind(3, StateName(r.state))
        .Bind(4, FormatTimestamp(r.at));
    if (!Run(q, "cannot insert an operation", failure)) return failure;
  }
  if (const auto* changed = std::get_if<Changed>(&r.outcome)) {
    return WriteChanged(r, changed->snapshot);
  }
  if (const auto* unchanged = std::get_if<Unchanged>(&r.outcome)) {
    return WriteUnchanged(r, *unchanged);
  }
  return WriteFailed(r, std::get<Failed>(r.outcome).error);
}

std::optional<SqliteStore::Impl::Failure> SqliteStore::Impl::WriteChanged(const PollRecord& r,
                                                                          const Snapshot& snap) {
  std::optional<Failure> failure;
  const std::string kind(Kind(r.key));
  bool duplicate = false;
  {
    auto* s = Stmt(kLatestBodyEquals, failure);
    if (!s) return failure;
    Query q(s);
    q.Bind(1, kind).Bind(2, r.key.id).Bind(3, snap.body);
    const int rc = q.Step();
    if (rc == SQLITE_ROW) {
      duplicate = q.Int(0) == 1;
    } else if (rc != SQLITE_DONE) {
      return Failure{DbError(path_, db_.get(), rc, "cannot read the latest snapshot")};
    }
  }
  const std::string observed = FormatTimestamp(snap.observed_at);
  int64_t snapshot_id = 0;
  if (!duplicate) {
    TransitionFacts facts;
    if (auto f = ReadTransitionFacts(r.key, snap.status, facts)) return f;
    auto* s = Stmt(kInsertSnapshot, failure);
    if (!s) return failure;
    Query q(s);
    q.Bind(1, r.key.id).Bind(2, kind).Bind(3, observed).BindNonEmpty(4, snap.status);
    q.BindNonEmpty(5, snap.etag).BindNonEmpty(6, snap.created_at);
    q.BindNonEmpty(7, snap.last_action_at).BindNonEmpty(8, snap.error_code);
    q.BindNonEmpty(9, snap.error_message).BindNonEmpty(10, snap.trace_id).Bind(11, snap.body);
    q.BindOpt(12, facts.previous_status).Bind(13, int64_t{facts.status_changed ? 1 : 0});
    if (!Run(q, "cannot insert a snapshot", failure)) return failure;
    snapshot_id = sqlite3_last_insert_rowid(db_.get());
    if (facts.status_changed) {
      if (auto f = WriteOutboxRows(snapshot_id, snap.status, r.at)) return f;
    }
  }
  auto* s = Stmt(kUpdateAfterSnapshot, failure);
  if (!s) return failure;
  Query q(s);
  q.Bind(1, kind).Bind(2, r.key.id).Bind(3, int64_t{duplicate ? 1 : 0});
  q.BindNonEmpty(4, snap.status).BindNonEmpty(5, snap.etag).Bind(6, StateName(r.state));
  q.Bind(7, FormatTimestamp(r.at));
  if (duplicate) {
    q.BindNull(8).BindNull(10);
  } else {
    q.Bind(8, observed).Bind(10, snapshot_id);
  }
  q.BindOpt(9, OptTime(r.next_poll_at));
  if (!Run(q, "cannot update an operation", failure)) return failure;
  return std::nullopt;
}

std::optional<SqliteStore::Impl::Failure> SqliteStore::Impl::WriteUnchanged(
    const PollRecord& r, const Unchanged& unchanged) {
  std::optional<Failure> failure;
  auto* s = Stmt(kUpdateAfterUnchanged, failure);
  if (!s) return failure;
  Query q(s);
  q.Bind(1, Kind(r.key))
      .Bind(2, r.key.id)
      .Bind(3, StateName(r.state))
      .Bind(4, FormatTimestamp(r.at));
  q.BindOpt(5, OptTime(r.next_poll_at)).Bind(6, int64_t{unchanged.polls});
  if (!Run(q, "cannot update an operation", failure)) return failure;
  return std::nullopt;
}

std::optional<SqliteStore::Impl::Failure> SqliteStore::Impl::WriteFailed(const PollRecord& r,
                                                                         const PollError& e) {
  std::optional<Failure> failure;
  const std::string kind(Kind(r.key));
  {
    auto* s = Stmt(kInsertPollError, failure);
    if (!s) return failure;
    Query q(s);
    q.Bind(1, r.key.id).Bind(2, kind).Bind(3, FormatTimestamp(e.at));
    q.Bind(4, CategoryName(e.category));
    if (e.http_status) {
      q.Bind(5, int64_t{*e.http_status});
    } else {
      q.BindNull(5);
    }
    q.BindNonEmpty(6, e.code).Bind(7, e.message);
    if (!Run(q, "cannot insert a poll error", failure)) return failure;
  }
  {
    auto* s = Stmt(kUpdateAfterFailure, failure);
    if (!s) return failure;
    Query q(s);
    q.Bind(1, kind).Bind(2, r.key.id).Bind(3, StateName(r.state)).Bind(4, FormatTimestamp(r.at));
    q.BindOpt(5, OptTime(r.next_poll_at)).Bind(6, DescribeError(e));
    if (!Run(q, "cannot update an operation", failure)) return failure;
  }
  if (options_.max_errors_per_operation > 0) {
    return CapErrors(r.key, options_.max_errors_per_operation, nullptr);
  }
  return std::nullopt;
}

// Stored with each snapshot (schema version 3) so the transitions view is a lookup, not a window
// over every snapshot: one index seek, the same as the duplicate-body check's.
std::optional<SqliteStore::Impl::Failure> SqliteStore::Impl::ReadTransitionFacts(
    const OperationKey& key, const std::string& status, TransitionFacts& out) {
  std::optional<Failure> failure;
  auto* s = Stmt(kLatestStatus, failure);
  if (!s) return failure;
  Query q(s);
  q.Bind(1, Kind(key)).Bind(2, key.id);
  const int rc = q.Step();
  if (rc == SQLITE_DONE) return std::nullopt;  // the first snapshot: a transition from nothing
  if (rc != SQLITE_ROW) {
    return Failure{DbError(path_, db_.get(), rc, "cannot read the latest snapshot")};
  }
  out.previous_status = q.Text(0);
  // As stored: an empty status is NULL (BindNonEmpty), and NULL to NULL is no change.
  const std::optional<std::string> now =
      status.empty() ? std::nullopt : std::optional<std::string>(status);
  out.status_changed = out.previous_status != now;
  return std::nullopt;
}

// The outbox rows of one transition, in the snapshot's transaction: a crash can neither lose an
// event nor leave one without its snapshot.
std::optional<SqliteStore::Impl::Failure> SqliteStore::Impl::WriteOutboxRows(
    int64_t snapshot_id, const std::string& status, WallTime at) {
  const std::optional<std::string> to_status =
      status.empty() ? std::nullopt : std::optional<std::string>(status);
  std::optional<Failure> failure;
  for (const NotifyRoute& route : batch_routing_.routes) {
    if (!RouteMatches(route, to_status)) continue;
    auto* s = Stmt(kInsertNotification, failure);
    if (!s) return failure;
    Query q(s);
    q.Bind(1, NotificationEventId(batch_routing_.instance_id, snapshot_id)).Bind(2, route.target);
    q.Bind(3, snapshot_id).Bind(4, FormatTimestamp(at));
    if (!Run(q, "cannot insert a notification", failure)) return failure;
    outbox_rows_ += sqlite3_changes(db_.get());
  }
  return std::nullopt;
}

std::optional<SqliteStore::Impl::Failure> SqliteStore::Impl::MarkFirstSnapshot(
    const OperationKey& key) {
  std::optional<Failure> failure;
  auto* s = Stmt(kMarkFirstSnapshot, failure);
  if (!s) return failure;
  Query q(s);
  q.Bind(1, Kind(key)).Bind(2, key.id);
  if (!Run(q, "cannot prune old data", failure)) return failure;
  return std::nullopt;
}

std::optional<SqliteStore::Impl::Failure> SqliteStore::Impl::CapErrors(const OperationKey& key,
                                                                       int keep, int64_t* deleted) {
  std::optional<Failure> failure;
  auto* s = Stmt(kCapPollErrors, failure);
  if (!s) return failure;
  Query q(s);
  q.Bind(1, Kind(key)).Bind(2, key.id).Bind(3, int64_t{keep});
  if (!Run(q, "cannot cap poll errors", failure)) return failure;
  if (deleted) *deleted += sqlite3_changes(db_.get());
  return std::nullopt;
}

std::optional<SqliteStore::Impl::Failure> SqliteStore::Impl::ReadKeys(
    const char* sql, std::vector<OperationKey>& out, const std::function<void(Query&)>& bind) {
  std::optional<Failure> failure;
  auto* s = Stmt(sql, failure);
  if (!s) return failure;
  Query q(s);
  bind(q);
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    auto kind = ParseKind(q.TextOr(0, ""));
    if (kind) out.push_back(OperationKey{*kind, q.TextOr(1, "")});
  }
  if (rc != SQLITE_DONE) return Failure{DbError(path_, db_.get(), rc, "cannot read operations")};
  return std::nullopt;
}

Status SqliteStore::Impl::Write(const std::vector<PollRecord>& batch) {
  if (batch.empty()) return Status::Ok();
  {
    std::lock_guard lock(routing_mu_);
    batch_routing_ = routing_;
  }
  outbox_rows_ = 0;
  Status st =
      InTransaction("cannot write a batch of " + std::to_string(batch.size()) + " poll results",
                    [&]() -> std::optional<Failure> {
                      for (const auto& r : batch) {
                        if (auto f = WriteRecord(r)) return f;
                      }
                      return std::nullopt;
                    });
  if (st.ok() && outbox_rows_ > 0 && outbox_listener_) outbox_listener_();
  return st;
}

Result<std::vector<OperationRecord>> SqliteStore::Impl::LoadOperations() {
  std::optional<Failure> failure;
  // The store's database has the latest schema (migrated at open).
  static const std::string kLoadOperations =
      internal::OperationRowSelect(internal::LatestSchemaVersion()) + "ORDER BY kind, operation_id";
  auto* s = Stmt(kLoadOperations.c_str(), failure);
  if (!s) return Status::Error(failure->message);
  std::vector<OperationRecord> out;
  Query q(s);
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    auto rec = RecordOf(internal::ReadOperationRow(q), path_);
    if (!rec) return rec.status();
    out.push_back(std::move(*rec));
  }
  if (rc != SQLITE_DONE) return DbStatus(path_, db_.get(), rc, "cannot load operations");
  return out;
}

Status SqliteStore::Impl::SetWatchList(const std::vector<WatchedOperation>& watched, WallTime now) {
  const std::string at = FormatTimestamp(now);
  return InTransaction("cannot update the watch list", [&]() -> std::optional<Failure> {
    std::optional<Failure> failure;
    std::map<OperationKey, OperationOrigin> keep;
    for (const auto& w : watched) keep[w.key] = w.origin;
    std::vector<OperationKey> unwatch;
    {
      auto* s = Stmt(kSelectKeysAndStates, failure);
      if (!s) return failure;
      Query q(s);
      int rc;
      while ((rc = q.Step()) == SQLITE_ROW) {
        auto kind = ParseKind(q.TextOr(0, ""));
        if (!kind) continue;
        OperationKey key{*kind, q.TextOr(1, "")};
        if (!keep.count(key) && q.TextOr(2, "") != "unwatched") unwatch.push_back(std::move(key));
      }
      if (rc != SQLITE_DONE) {
        return Failure{DbError(path_, db_.get(), rc, "cannot read operations")};
      }
    }
    for (const auto& [key, origin] : keep) {
      auto* s = Stmt(kWatchKey, failure);
      if (!s) return failure;
      Query q(s);
      q.Bind(1, key.id).Bind(2, Kind(key)).Bind(3, at).Bind(4, OriginName(origin));
      if (!Run(q, "cannot watch an operation", failure)) return failure;
    }
    for (const auto& key : unwatch) {
      auto* s = Stmt(kUnwatchKey, failure);
      if (!s) return failure;
      Query q(s);
      q.Bind(1, Kind(key)).Bind(2, key.id);
      if (!Run(q, "cannot unwatch an operation", failure)) return failure;
    }
    return std::nullopt;
  });
}

Result<MaintainProgress> SqliteStore::Impl::Maintain(WallTime now) {
  const int batch = options_.maintain_batch_rows > 0 ? options_.maintain_batch_rows : 500;
  int64_t deleted = 0;
  bool more = false;

  // Once per process: apply the error cap to every operation, for databases written with a
  // larger cap (Write() keeps it from then on). One operation per step keeps steps short.
  if (!cap_checked_ && options_.max_errors_per_operation > 0) {
    std::vector<OperationKey> over;
    Status st = InTransaction("cannot cap poll errors", [&]() -> std::optional<Failure> {
      if (auto f = ReadKeys(kOverCapOperations, over, [&](Query& q) {
            q.Bind(1, int64_t{options_.max_errors_per_operation});
          })) {
        return f;
      }
      if (over.empty()) return std::nullopt;
      return CapErrors(over.front(), options_.max_errors_per_operation, &deleted);
    });
    if (!st.ok()) return st;
    if (over.size() > 1) return MaintainProgress::kMoreWork;
    cap_checked_ = true;
    if (!over.empty()) more = true;
  }

  if (!options_.retention) return Progress(more);
  const std::string cutoff = FormatTimestamp(now - *options_.retention);
  Status st = InTransaction("cannot prune old data", [&]() -> std::optional<Failure> {
    std::vector<OperationKey> ops;
    if (auto f = ReadKeys(kRetainedOperations, ops,
                          [&](Query& q) { q.Bind(1, cutoff).Bind(2, int64_t{batch}); })) {
      return f;
    }
    std::optional<Failure> failure;
    int64_t budget = batch;
    for (const auto& key : ops) {
      for (const char* sql : {kPruneSnapshots, kPrunePollErrors}) {
        if (budget <= 0) {
          more = true;
          return std::nullopt;
        }
        auto* s = Stmt(sql, failure);
        if (!s) return failure;
        Query q(s);
        q.Bind(1, Kind(key)).Bind(2, key.id).Bind(3, budget);
        if (!Run(q, "cannot prune old data", failure)) return failure;
        budget -= sqlite3_changes(db_.get());
        if (sql == kPruneSnapshots) {
          if (auto f = MarkFirstSnapshot(key)) return f;
        }
      }
    }
    if (budget <= 0) more = true;
    return std::nullopt;
  });
  if (!st.ok()) return st;
  return Progress(more);
}

// ---------------------------------------------------------------------------------------------

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

int SqliteStore::SchemaVersion() { return internal::LatestSchemaVersion(); }

const std::string& SqliteStore::path() const { return impl_->path(); }

Result<std::vector<OperationRecord>> SqliteStore::LoadOperations() {
  return impl_->LoadOperations();
}

Status SqliteStore::SetWatchList(const std::vector<WatchedOperation>& watched, WallTime now) {
  return impl_->SetWatchList(watched, now);
}

Status SqliteStore::Write(const std::vector<PollRecord>& batch) { return impl_->Write(batch); }

void SqliteStore::SetNotifyRouting(NotifyRouting routing) {
  impl_->SetNotifyRouting(std::move(routing));
}

void SqliteStore::SetOutboxListener(std::function<void()> listener) {
  impl_->SetOutboxListener(std::move(listener));
}

Result<MaintainProgress> SqliteStore::Maintain(WallTime now) { return impl_->Maintain(now); }

namespace {

// Refuses a non-database, a foreign database and one from a newer build while the file is still
// untouched (call before anything that writes: journal_mode=WAL rewrites the header). Returns
// the schema version found.
Result<int> CheckSchemaBeforeWriting(sqlite3* db, const std::string& path) {
  auto version = internal::ReadSchemaVersion(db, path);
  if (!version) return version.status();
  if (*version == 0) {
    int rc = SQLITE_OK;
    auto objects = internal::QueryInt(db, "SELECT count(*) FROM sqlite_master", &rc);
    if (!objects) return DbStatus(path, db, rc, "cannot read the schema");
    if (*objects != 0) {
      return Status::Corrupt("database " + path +
                             " is not an adu-opwatch database (it has tables but no adu-opwatch "
                             "schema version); refusing to modify it");
    }
  }
  if (*version > internal::LatestSchemaVersion()) {
    return Status::Incompatible(
        "database " + path + " was written by a newer adu-opwatch (schema " +
        std::to_string(*version) + ", this build knows " +
        std::to_string(internal::LatestSchemaVersion()) + "); refusing to modify it");
  }
  return version;
}

// WAL, synchronous=NORMAL and a WAL size limit on the writer connection.
Status ConfigureWriter(sqlite3* db, const std::string& path) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &stmt, nullptr);
  std::string mode;
  if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    mode = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    rc = SQLITE_OK;
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_OK) return DbStatus(path, db, rc, "cannot enable WAL");
  if (mode != "wal") {
    return Status::Io("database " + path + ": cannot enable WAL (journal mode is " + mode + ")");
  }
  // NORMAL is durable across application crashes in WAL mode; only a power loss can lose the
  // last transactions, never corrupt the file. journal_size_limit keeps the WAL from staying
  // huge after a long reader made it grow.
  for (const char* pragma :
       {"PRAGMA synchronous = NORMAL", "PRAGMA journal_size_limit = 67108864"}) {
    rc = Exec(db, pragma);
    if (rc != SQLITE_OK) return DbStatus(path, db, rc, pragma);
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       StoreOptions options) {
  namespace fs = std::filesystem;
  if (path.empty()) return Status::Error("the database path is empty");
  std::error_code ec;
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  if (!fs::is_directory(parent, ec)) {
    return Status::NotFound("directory " + parent.string() + " of database " + path +
                            " does not exist");
  }
  if (Status st = CreateFile(path); !st.ok()) return st;

  auto opened = internal::OpenReadWrite(path, options.busy_timeout);  // the file exists now
  if (!opened) return opened.status();
  DbPtr db = std::move(*opened);

  auto version = CheckSchemaBeforeWriting(db.get(), path);
  if (!version) return version.status();
  if (Status st = ConfigureWriter(db.get(), path); !st.ok()) return st;
  // A current database needs no write lock at all, so the daemon starts even while a user's
  // shell holds one (its writes then wait and retry like any other).
  if (*version < internal::LatestSchemaVersion()) {
    if (Status st = internal::Migrate(db.get(), path, options.migration_batch_rows); !st.ok())
      return st;
  }

  auto impl = std::make_unique<Impl>(path, options, std::move(db));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

}  // namespace adu::storage
