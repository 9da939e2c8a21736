#include "adu/storage/sqlite_outbox.h"

#include <mutex>

#include "adu/core/time_format.h"
#include "sqlite_util.h"

namespace adu::storage {

using internal::DbPtr;
using internal::DbStatus;
using internal::Exec;
using internal::OpenReadWrite;
using internal::Query;

namespace {

// The transition each pending row stands for, from its snapshot (LEFT JOIN: retention may have
// pruned the snapshot since; the row is then abandoned rather than stuck).
constexpr const char* kPending =
    "SELECT n.id, n.attempts, n.created_at, n.next_attempt_at, n.event_id, n.snapshot_id, "
    "s.id IS NOT NULL, s.kind, s.operation_id, s.previous_status, s.status, s.observed_at, "
    "s.error_code, s.error_message, s.trace_id, s.body "
    "FROM notifications n LEFT JOIN snapshots s ON s.id = n.snapshot_id "
    "WHERE n.target = ?1 AND n.state = 'pending' ORDER BY n.id LIMIT ?2";

constexpr const char* kMarkDelivered =
    "UPDATE notifications SET state = 'delivered', attempts = ?2, delivered_at = ?3, "
    "last_error = NULL WHERE id = ?1 AND state = 'pending'";

constexpr const char* kMarkRetry =
    "UPDATE notifications SET attempts = ?2, next_attempt_at = ?3, last_error = ?4 "
    "WHERE id = ?1 AND state = 'pending'";

constexpr const char* kMarkAbandoned =
    "UPDATE notifications SET state = 'abandoned', attempts = ?2, last_error = ?3 "
    "WHERE id = ?1 AND state = 'pending'";

constexpr const char* kAbandonTarget =
    "UPDATE notifications SET state = 'abandoned', last_error = ?2 "
    "WHERE target = ?1 AND state = 'pending'";

constexpr const char* kCounts =
    "SELECT target, state, count(*) FROM notifications GROUP BY target, state "
    "ORDER BY target, state";

// "<instance_id>:<snapshot_id>" -> the instance id (the event id is the one place it is stored).
std::string InstanceOf(const std::string& event_id) {
  const size_t colon = event_id.rfind(':');
  return colon == std::string::npos ? std::string() : event_id.substr(0, colon);
}

PendingNotification ReadPending(const Query& q) {
  PendingNotification p;
  p.id = q.Int(0);
  p.attempts = static_cast<int>(q.Int(1));
  p.created_at = ParseTimestamp(q.TextOr(2, "")).value_or(WallTime{});
  p.next_attempt_at = ParseTimestamp(q.TextOr(3, "")).value_or(WallTime{});
  NotificationEvent& e = p.event;
  e.event_id = q.TextOr(4, "");
  e.instance_id = InstanceOf(e.event_id);
  e.snapshot_id = q.Int(5);
  p.snapshot_stored = q.Int(6) == 1;
  if (!p.snapshot_stored) return p;
  e.key.kind = ParseKind(q.TextOr(7, "")).value_or(OperationKind::kDevice);
  e.key.id = q.TextOr(8, "");
  e.from_status = q.Text(9);
  e.to_status = q.Text(10);
  e.observed_at = q.TextOr(11, "");
  e.error_code = q.Text(12);
  e.error_message = q.Text(13);
  e.trace_id = q.Text(14);
  e.snapshot_body = q.TextOr(15, "");
  return p;
}

}  // namespace

class SqliteOutbox::Impl {
 public:
  Impl(std::string path, DbPtr db) : path_(std::move(path)), db_(std::move(db)) {}
  ~Impl() { stmts_.Clear(); }

  Result<std::vector<PendingNotification>> Pending(const std::string& target, int limit) {
    std::lock_guard lock(mu_);
    auto* s = stmts_.Get(db_.get(), kPending);
    if (!s) return DbStatus(path_, db_.get(), SQLITE_ERROR, "cannot prepare a statement");
    Query q(s);
    q.Bind(1, target).Bind(2, int64_t{limit});
    std::vector<PendingNotification> out;
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) out.push_back(ReadPending(q));
    if (rc != SQLITE_DONE) return DbStatus(path_, db_.get(), rc, "cannot read notifications");
    return out;
  }

  // One UPDATE with its bindings: `bind` fills ?1..?n.
  template <typename Bind>
  Status Update(const char* sql, Bind&& bind) {
    std::lock_guard lock(mu_);
    auto* s = stmts_.Get(db_.get(), sql);
    if (!s) return DbStatus(path_, db_.get(), SQLITE_ERROR, "cannot prepare a statement");
    Query q(s);
    bind(q);
    const int rc = q.Step();
    if (rc != SQLITE_DONE) return DbStatus(path_, db_.get(), rc, "cannot update notifications");
    return Status::Ok();
  }

  Result<std::vector<OutboxCount>> Counts() {
    std::lock_guard lock(mu_);
    auto* s = stmts_.Get(db_.get(), kCounts);
    if (!s) return DbStatus(path_, db_.get(), SQLITE_ERROR, "cannot prepare a statement");
    Query q(s);
    std::vector<OutboxCount> out;
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) {
      out.push_back({q.TextOr(0, ""), q.TextOr(1, ""), q.Int(2)});
    }
    if (rc != SQLITE_DONE) return DbStatus(path_, db_.get(), rc, "cannot count notifications");
    return out;
  }

 private:
  std::string path_;
  std::mutex mu_;
  DbPtr db_;
  internal::StatementCache stmts_;
};

Result<std::unique_ptr<SqliteOutbox>> SqliteOutbox::Open(const std::string& path,
                                                         std::chrono::milliseconds busy_timeout) {
  auto opened = OpenReadWrite(path, busy_timeout);
  if (!opened) return opened.status();
  DbPtr db = std::move(*opened);
  // The store has set WAL (a property of the file); asking again is harmless and checks it.
  if (const int w = Exec(db.get(), "PRAGMA journal_mode = WAL"); w != SQLITE_OK) {
    return DbStatus(path, db.get(), w, "cannot enable WAL");
  }
  if (const int w = Exec(db.get(), "PRAGMA synchronous = NORMAL"); w != SQLITE_OK) {
    return DbStatus(path, db.get(), w, "PRAGMA synchronous = NORMAL");
  }
  auto impl = std::make_unique<Impl>(path, std::move(db));
  return std::unique_ptr<SqliteOutbox>(new SqliteOutbox(std::move(impl)));
}

SqliteOutbox::SqliteOutbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteOutbox::~SqliteOutbox() = default;

Result<std::vector<PendingNotification>> SqliteOutbox::Pending(const std::string& target,
                                                               int limit) {
  return impl_->Pending(target, limit);
}

Status SqliteOutbox::MarkDelivered(int64_t id, int attempts, WallTime at) {
  return impl_->Update(kMarkDelivered, [&](Query& q) {
    q.Bind(1, id).Bind(2, int64_t{attempts}).Bind(3, FormatTimestamp(at));
  });
}

Status SqliteOutbox::MarkRetry(int64_t id, int attempts, WallTime next_attempt_at,
                               const std::string& error) {
  return impl_->Update(kMarkRetry, [&](Query& q) {
    q.Bind(1, id).Bind(2, int64_t{attempts}).Bind(3, FormatTimestamp(next_attempt_at));
    q.Bind(4, error);
  });
}

Status SqliteOutbox::MarkAbandoned(int64_t id, int attempts, const std::string& reason) {
  return impl_->Update(kMarkAbandoned,
                       [&](Query& q) { q.Bind(1, id).Bind(2, int64_t{attempts}).Bind(3, reason); });
}

Status SqliteOutbox::AbandonTarget(const std::string& target, const std::string& reason) {
  return impl_->Update(kAbandonTarget, [&](Query& q) { q.Bind(1, target).Bind(2, reason); });
}

Result<std::vector<OutboxCount>> SqliteOutbox::Counts() { return impl_->Counts(); }

}  // namespace adu::storage
