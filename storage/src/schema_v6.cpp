// Schema version 6: summary tables for the whole-history aggregates of docs/database.md
// (`errors_by_category`, `failure_reasons`), kept by SQLite triggers, so those queries read one
// row per group instead of every poll error or every failed operation.
//
// Why triggers rather than code in the write path: they see every change, the daemon's inserts
// but also the per-operation error cap, retention, and any other program's writes, in the same
// transaction as the change, and the daemon's statements stay as they are. Each trigger does a
// few index seeks; those on the hot path (a snapshot insert, the operation update after it) are
// guarded by WHEN clauses that are false for almost every row.
//
// The groups' max() columns cannot simply be decremented: when a deleted row held a group's
// maximum, it is looked up again from an index (poll_errors_by_category for `last_at`,
// failure_reason_messages' key for `example_message`), one seek.
//
// The backfill is one transaction: an aggregate over poll_errors by its category index and over
// the failed operations' latest snapshots, milliseconds on a database of a million snapshots
// (measured in docs/performance.md, B3).
#include <string>

#include "schema.h"

namespace adu::storage::internal {
namespace {

constexpr const char* kTables = R"sql(
CREATE TABLE poll_error_groups (
  category    TEXT NOT NULL,
  http_status INTEGER,
  n           INTEGER NOT NULL,
  last_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX poll_error_groups_key ON poll_error_groups (category, http_status);
CREATE TABLE failure_reason_messages (
  error_code    TEXT,
  error_message TEXT,
  operations    INTEGER NOT NULL
);
CREATE UNIQUE INDEX failure_reason_messages_key
  ON failure_reason_messages (error_code, error_message);
CREATE TABLE failure_reason_groups (
  error_code      TEXT,
  operations      INTEGER NOT NULL,
  example_message TEXT
);
CREATE UNIQUE INDEX failure_reason_groups_key ON failure_reason_groups (error_code);
)sql";

// NULL keys (http_status, error_code, error_message) are distinct in a UNIQUE index, so the
// triggers find a group with IS (the index serves it) and insert it only when it is missing.

// `failure_reason_groups` is the sum of `failure_reason_messages` per error_code; its
// example_message the greatest message (max() ignores NULL, as the aggregate does).
constexpr const char* kFailureGroupTriggers = R"sql(
CREATE TRIGGER failure_reason_groups_insert AFTER INSERT ON failure_reason_messages BEGIN
  UPDATE failure_reason_groups SET operations = operations + NEW.operations,
         example_message = CASE WHEN example_message IS NULL
                                  OR NEW.error_message > example_message
                           THEN NEW.error_message ELSE example_message END
   WHERE error_code IS NEW.error_code;
  INSERT INTO failure_reason_groups (error_code, operations, example_message)
  SELECT NEW.error_code, NEW.operations, NEW.error_message
   WHERE NOT EXISTS (SELECT 1 FROM failure_reason_groups WHERE error_code IS NEW.error_code);
END;
CREATE TRIGGER failure_reason_groups_update AFTER UPDATE OF operations
  ON failure_reason_messages BEGIN
  UPDATE failure_reason_groups SET operations = operations + NEW.operations - OLD.operations
   WHERE error_code IS NEW.error_code;
END;
CREATE TRIGGER failure_reason_groups_delete AFTER DELETE ON failure_reason_messages BEGIN
  DELETE FROM failure_reason_groups
   WHERE error_code IS OLD.error_code AND operations <= OLD.operations;
  UPDATE failure_reason_groups SET operations = operations - OLD.operations,
         example_message = CASE WHEN OLD.error_message < example_message THEN example_message
                           ELSE (SELECT max(m.error_message) FROM failure_reason_messages AS m
                                 WHERE m.error_code IS OLD.error_code) END
   WHERE error_code IS OLD.error_code;
END;
)sql";

constexpr const char* kBackfill = R"sql(
INSERT INTO poll_error_groups (category, http_status, n, last_at)
SELECT category, http_status, count(*), max(at) FROM poll_errors GROUP BY category, http_status;
INSERT INTO failure_reason_messages (error_code, error_message, operations)
SELECT s.error_code, s.error_message, count(*)
FROM operations AS o JOIN snapshots AS s ON s.id = o.latest_snapshot_id
WHERE o.status = 'Failed'
GROUP BY s.error_code, s.error_message;
)sql";

// ---- poll_errors -> poll_error_groups ----------------------------------------------------

// The statements adding the poll error `row` ("NEW" or "OLD") to its group.
std::string AddPollError(const std::string& row) {
  const std::string key =
      " WHERE category = " + row + ".category AND http_status IS " + row + ".http_status";
  return "UPDATE poll_error_groups SET n = n + 1, last_at = CASE WHEN " + row +
         ".at > last_at THEN " + row + ".at ELSE last_at END" + key +
         ";\n"
         "INSERT INTO poll_error_groups (category, http_status, n, last_at) SELECT " +
         row + ".category, " + row + ".http_status, 1, " + row + ".at" +
         " WHERE NOT EXISTS (SELECT 1 FROM poll_error_groups" + key + ");\n";
}

// The statements removing the poll error `row` (already gone from poll_errors) from its group.
std::string RemovePollError(const std::string& row) {
  const std::string key =
      " WHERE category = " + row + ".category AND http_status IS " + row + ".http_status";
  return "DELETE FROM poll_error_groups" + key +
         " AND n <= 1;\n"
         "UPDATE poll_error_groups SET n = n - 1, last_at = CASE WHEN " +
         row + ".at < last_at THEN last_at ELSE (SELECT max(e.at) FROM poll_errors AS e " +
         "WHERE e.category = " + row + ".category AND e.http_status IS " + row +
         ".http_status) END" + key + ";\n";
}

// ---- operations and snapshots -> failure_reason_messages --------------------------------

// An operation counts in failure_reasons when its status is 'Failed' and its latest snapshot
// exists: a source (c, m, k) is "k operations with the error (c, m)", the contribution of one
// row of operations or of snapshots.
std::string OperationSource(const std::string& row) {
  return "SELECT s.error_code AS c, s.error_message AS m, 1 AS k FROM snapshots AS s WHERE " + row +
         ".status = 'Failed' AND s.id = " + row + ".latest_snapshot_id";
}

std::string SnapshotSource(const std::string& row) {
  return "SELECT " + row + ".error_code AS c, " + row +
         ".error_message AS m, count(*) AS k FROM operations AS o "
         "WHERE o.status = 'Failed' AND o.latest_snapshot_id = " +
         row + ".id HAVING count(*) > 0";
}

// A trigger's UPDATE cannot alias its table, hence the qualified names.
constexpr const char* kMessageIsSource =
    " WHERE failure_reason_messages.error_code IS src.c AND "
    "failure_reason_messages.error_message IS src.m";
constexpr const char* kMessageMatch =
    "failure_reason_messages AS f ON f.error_code IS src.c AND f.error_message IS src.m";

std::string AddFailure(const std::string& source) {
  return "UPDATE failure_reason_messages SET operations = operations + src.k FROM (" + source +
         ") AS src" + kMessageIsSource +
         ";\n"
         "INSERT INTO failure_reason_messages (error_code, error_message, operations) "
         "SELECT src.c, src.m, src.k FROM (" +
         source +
         ") AS src WHERE NOT EXISTS (SELECT 1 FROM failure_reason_messages AS f "
         "WHERE f.error_code IS src.c AND f.error_message IS src.m);\n";
}

std::string RemoveFailure(const std::string& source) {
  return "DELETE FROM failure_reason_messages WHERE rowid IN (SELECT f.rowid FROM (" + source +
         ") AS src JOIN " + kMessageMatch +
         " WHERE f.operations <= src.k);\n"
         "UPDATE failure_reason_messages SET operations = operations - src.k FROM (" +
         source + ") AS src" + kMessageIsSource + ";\n";
}

std::string Trigger(const std::string& name, const std::string& event, const std::string& when,
                    const std::string& body) {
  return "CREATE TRIGGER " + name + " " + event + (when.empty() ? "" : " WHEN " + when) +
         " BEGIN\n" + body + "END;\n";
}

std::string BaseTableTriggers() {
  std::string sql;
  sql +=
      Trigger("poll_error_groups_insert", "AFTER INSERT ON poll_errors", "", AddPollError("NEW"));
  sql += Trigger("poll_error_groups_delete", "AFTER DELETE ON poll_errors", "",
                 RemovePollError("OLD"));
  sql += Trigger("poll_error_groups_update",
                 "AFTER UPDATE OF category, http_status, at ON poll_errors", "",
                 RemovePollError("OLD") + AddPollError("NEW"));
  sql += Trigger("failure_reasons_operation_insert", "AFTER INSERT ON operations",
                 "NEW.status = 'Failed'", AddFailure(OperationSource("NEW")));
  sql += Trigger("failure_reasons_operation_delete", "AFTER DELETE ON operations",
                 "OLD.status = 'Failed'", RemoveFailure(OperationSource("OLD")));
  // Fires on the daemon's every snapshot update, so the WHEN clause reads no table.
  sql += Trigger("failure_reasons_operation_update",
                 "AFTER UPDATE OF status, latest_snapshot_id ON operations",
                 "(OLD.status = 'Failed' OR NEW.status = 'Failed') AND "
                 "(OLD.status IS NOT NEW.status OR "
                 "OLD.latest_snapshot_id IS NOT NEW.latest_snapshot_id)",
                 RemoveFailure(OperationSource("OLD")) + AddFailure(OperationSource("NEW")));
  // The daemon inserts a snapshot before pointing its operation at it, so this is false on its
  // path (one seek of operations_by_status); it keeps the groups exact for any other order.
  const std::string points_at =
      "EXISTS (SELECT 1 FROM operations WHERE status = 'Failed' AND "
      "latest_snapshot_id = ";
  sql += Trigger("failure_reasons_snapshot_insert", "AFTER INSERT ON snapshots",
                 points_at + "NEW.id)", AddFailure(SnapshotSource("NEW")));
  sql += Trigger("failure_reasons_snapshot_delete", "AFTER DELETE ON snapshots",
                 points_at + "OLD.id)", RemoveFailure(SnapshotSource("OLD")));
  sql += Trigger("failure_reasons_snapshot_update",
                 "AFTER UPDATE OF id, error_code, error_message ON snapshots",
                 "OLD.id IS NOT NEW.id OR OLD.error_code IS NOT NEW.error_code OR "
                 "OLD.error_message IS NOT NEW.error_message",
                 RemoveFailure(SnapshotSource("OLD")) + AddFailure(SnapshotSource("NEW")));
  return sql;
}

}  // namespace

const char* SchemaV6Sql() {
  // Tables, the summary's own triggers, the backfill (which they turn into groups), and only
  // then the triggers on the base tables: the backfill and they never count a row twice.
  static const std::string sql =
      std::string(kTables) + kFailureGroupTriggers + kBackfill + BaseTableTriggers();
  return sql.c_str();
}

}  // namespace adu::storage::internal
