// Schema version 3: the transition fact of every snapshot is stored when it is written, so the
// `transitions` view and "latest snapshot" lookups are index lookups instead of a window over
// the whole history on every query.
//
// Existing databases hold every snapshot ever seen (a million rows is a year of a busy hub), so
// the backfill cannot be one transaction: it would hold the write lock and grow the WAL for as
// long as it runs. It goes in batches of rows, each its own transaction.
//
// Why it resumes: a NULL `status_changed` marks a snapshot not backfilled yet (version 3 writes
// never leave it NULL), so a process killed mid-way (kill -9, power loss) restarts at the first
// NULL row; nothing is done twice and no progress table is needed. Until the last transaction
// the database stays version 2 with the old view, so readers get correct answers throughout, and
// a version 2 build may even open it meanwhile (it ignores the extra columns; its new rows are
// NULL and get backfilled on the next attempt).
#include <cstdint>
#include <string>

#include "schema.h"
#include "sqlite_util.h"

namespace adu::storage::internal {
namespace {

// Columns and indexes, added in one short transaction: ALTER TABLE ADD COLUMN only edits the
// schema, the partial index is empty until the backfill marks transitions (so cheap to maintain
// meanwhile), and operations and poll errors are few next to snapshots. The last two serve the
// whole-history aggregates of docs/database.md (failure_reasons, errors_by_category) from an
// index instead of the table.
constexpr const char* kAddColumns = R"sql(
ALTER TABLE snapshots ADD COLUMN previous_status TEXT;
ALTER TABLE snapshots ADD COLUMN status_changed INTEGER;
ALTER TABLE operations ADD COLUMN latest_snapshot_id INTEGER;
CREATE INDEX snapshots_transitions_by_time ON snapshots (observed_at) WHERE status_changed = 1;
CREATE INDEX operations_by_status ON operations (status, latest_snapshot_id);
CREATE INDEX poll_errors_by_category ON poll_errors (category, http_status, at);
)sql";

// Snapshots [?1, ?2) not backfilled yet: the status of the operation's previous snapshot (by id)
// and whether this one is a transition (the first, or a different status). Two index seeks per
// row. (The write path computes the same for each new row: sqlite_store.cpp, ReadTransitionFacts.)
constexpr const char* kBackfillSnapshots = R"sql(
UPDATE snapshots AS s SET
  previous_status = (SELECT p.status FROM snapshots AS p WHERE p.kind = s.kind
                     AND p.operation_id = s.operation_id AND p.id < s.id ORDER BY p.id DESC LIMIT 1),
  status_changed = COALESCE((SELECT p.status IS NOT s.status FROM snapshots AS p
                             WHERE p.kind = s.kind AND p.operation_id = s.operation_id
                             AND p.id < s.id ORDER BY p.id DESC LIMIT 1), 1)
WHERE s.id >= ?1 AND s.id < ?2 AND s.status_changed IS NULL
)sql";

// One batch of operations by rowid [?1, ?2): the latest snapshot's id, and the first remaining
// snapshot marked as a first one (retention by an older build may have deleted its
// predecessors after it was backfilled). Idempotent, one seek per operation: it is simply
// redone on every attempt rather than tracked.
constexpr const char* kBackfillOperations = R"sql(
UPDATE operations SET latest_snapshot_id = (SELECT max(s.id) FROM snapshots AS s
  WHERE s.kind = operations.kind AND s.operation_id = operations.operation_id)
WHERE rowid >= ?1 AND rowid < ?2
)sql";

constexpr const char* kMarkFirstSnapshots = R"sql(
UPDATE snapshots SET previous_status = NULL, status_changed = 1
WHERE id IN (SELECT (SELECT min(s.id) FROM snapshots AS s WHERE s.kind = o.kind
                     AND s.operation_id = o.operation_id)
             FROM operations AS o WHERE o.rowid >= ?1 AND o.rowid < ?2)
  AND (status_changed IS NOT 1 OR previous_status IS NOT NULL)
)sql";

// The view keeps its name, columns and meaning (docs/database.md): now a filter on stored facts.
constexpr const char* kReplaceView = R"sql(
DROP VIEW transitions;
CREATE VIEW transitions AS
SELECT operation_id, kind, previous_status AS from_status, status AS to_status,
       observed_at AS at, id AS snapshot_id
FROM snapshots
WHERE status_changed = 1;
PRAGMA user_version = 3;
)sql";

class Migration {
 public:
  Migration(sqlite3* db, const std::string& path, int batch_rows)
      : db_(db), path_(path), batch_(batch_rows > 0 ? batch_rows : kDefaultMigrationBatchRows) {}

  Status Run();

 private:
  // BEGIN IMMEDIATE; *still_version2 false (and the transaction ended) when another process
  // finished the migration first.
  Status Begin(bool* still_version2);
  Status Commit(const char* what);
  Status Fail(int rc, const std::string& what) {
    Status st = Status::Error(DbError(path_, db_, rc, "schema migration to version 3: " + what));
    if (!sqlite3_get_autocommit(db_)) Exec(db_, "ROLLBACK");
    return st;
  }
  Status RangeStatement(const char* sql, int64_t lo, int64_t hi, const char* what);
  Status AddColumns(bool* still_version2);
  Status BackfillSnapshots();
  Status BackfillOperations();
  Status Finish(bool* retry);

  sqlite3* db_;
  const std::string& path_;
  const int64_t batch_;
  int64_t backfilled_to_ = 0;  // the highest snapshot id the backfill covered
};

Status Migration::Begin(bool* still_version2) {
  int rc = Exec(db_, "BEGIN IMMEDIATE");
  if (rc != SQLITE_OK) return Fail(rc, "cannot lock");
  auto version = QueryInt(db_, "PRAGMA user_version", &rc);
  if (!version) return Fail(rc, "cannot read PRAGMA user_version");
  *still_version2 = *version == 2;
  if (!*still_version2) Exec(db_, "COMMIT");
  return Status::Ok();
}

Status Migration::Commit(const char* what) {
  const int rc = Exec(db_, "COMMIT");
  if (rc != SQLITE_OK) return Fail(rc, what);
  return Status::Ok();
}

Status Migration::RangeStatement(const char* sql, int64_t lo, int64_t hi, const char* what) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr);
  if (rc == SQLITE_OK) {
    Query q(stmt);
    q.Bind(1, lo).Bind(2, hi);
    rc = q.Step();
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  if (rc != SQLITE_OK) {
    Status st = Fail(rc, what);
    sqlite3_finalize(stmt);
    return st;
  }
  sqlite3_finalize(stmt);
  return Status::Ok();
}

Status Migration::AddColumns(bool* still_version2) {
  if (Status st = Begin(still_version2); !st.ok() || !*still_version2) return st;
  int rc = SQLITE_OK;
  auto added = QueryInt(
      db_, "SELECT count(*) FROM pragma_table_info('snapshots') WHERE name = 'status_changed'",
      &rc);
  if (!added) return Fail(rc, "cannot read the schema");
  if (*added == 0) {
    rc = Exec(db_, kAddColumns);
    if (rc != SQLITE_OK) return Fail(rc, "cannot add the columns");
  }
  return Commit("cannot add the columns");
}

Status Migration::BackfillSnapshots() {
  int rc = SQLITE_OK;
  // Read outside a transaction: rows another (older) writer adds meanwhile have higher ids and
  // are caught by Finish().
  auto first =
      QueryInt(db_, "SELECT COALESCE(min(id), 0) FROM snapshots WHERE status_changed IS NULL", &rc);
  if (!first) return Fail(rc, "cannot find where the backfill stopped");
  auto last = QueryInt(db_, "SELECT COALESCE(max(id), 0) FROM snapshots", &rc);
  if (!last) return Fail(rc, "cannot read the snapshots");
  backfilled_to_ = *last;
  for (int64_t lo = *first; lo <= *last && *first > 0; lo += batch_) {
    bool still_version2 = false;
    if (Status st = Begin(&still_version2); !st.ok() || !still_version2) return st;
    if (Status st =
            RangeStatement(kBackfillSnapshots, lo, lo + batch_, "cannot backfill snapshots");
        !st.ok()) {
      return st;
    }
    if (Status st = Commit("cannot backfill snapshots"); !st.ok()) return st;
  }
  return Status::Ok();
}

Status Migration::BackfillOperations() {
  int rc = SQLITE_OK;
  auto last = QueryInt(db_, "SELECT COALESCE(max(rowid), 0) FROM operations", &rc);
  if (!last) return Fail(rc, "cannot read the operations");
  // Operations are about 20 times fewer than snapshots: a batch of them costs as much.
  const int64_t step = batch_ / 4 > 0 ? batch_ / 4 : 1;
  for (int64_t lo = 1; lo <= *last; lo += step) {
    bool still_version2 = false;
    if (Status st = Begin(&still_version2); !st.ok() || !still_version2) return st;
    for (const char* sql : {kBackfillOperations, kMarkFirstSnapshots}) {
      if (Status st = RangeStatement(sql, lo, lo + step, "cannot backfill operations"); !st.ok()) {
        return st;
      }
    }
    if (Status st = Commit("cannot backfill operations"); !st.ok()) return st;
  }
  return Status::Ok();
}

Status Migration::Finish(bool* retry) {
  *retry = false;
  bool still_version2 = false;
  if (Status st = Begin(&still_version2); !st.ok() || !still_version2) return st;
  int rc = SQLITE_OK;
  // Rows above the backfilled range can only come from another, older writer on the file while
  // we ran: then the passes run again rather than this transaction growing unboundedly.
  sqlite3_stmt* stmt = nullptr;
  rc = sqlite3_prepare_v2(db_, "SELECT count(*) FROM snapshots WHERE id > ?1", -1, &stmt, nullptr);
  int64_t newer = 0;
  if (rc == SQLITE_OK) {
    Query q(stmt);
    q.Bind(1, backfilled_to_);
    rc = q.Step();
    if (rc == SQLITE_ROW) newer = q.Int(0);
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW) return Fail(rc, "cannot check the backfill");
  if (newer != 0) {
    *retry = true;
    return Commit("cannot check the backfill");
  }
  rc = Exec(db_, kReplaceView);
  if (rc != SQLITE_OK) return Fail(rc, "cannot replace the transitions view");
  return Commit("cannot set the schema version");
}

Status Migration::Run() {
  bool still_version2 = false;
  if (Status st = AddColumns(&still_version2); !st.ok() || !still_version2) return st;
  for (;;) {
    if (Status st = BackfillSnapshots(); !st.ok()) return st;
    if (Status st = BackfillOperations(); !st.ok()) return st;
    bool retry = false;
    if (Status st = Finish(&retry); !st.ok() || !retry) return st;
  }
}

}  // namespace

Status MigrateToVersion3(sqlite3* db, const std::string& path, int batch_rows) {
  return Migration(db, path, batch_rows).Run();
}

}  // namespace adu::storage::internal
