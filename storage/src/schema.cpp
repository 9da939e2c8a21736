#include "schema.h"

#include <string>
#include <vector>

#include "sqlite_util.h"

namespace adu::storage::internal {
namespace {

// Version 1: the contract tables and view of docs/database.md. Column names never change;
// later versions only add (columns, tables, views, indexes).
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE operations (
  operation_id    TEXT NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('device', 'update')),
  status          TEXT,
  etag            TEXT,
  state           TEXT NOT NULL DEFAULT 'active'
                  CHECK (state IN ('active', 'terminal', 'not_found', 'unwatched')),
  first_seen_at   TEXT NOT NULL,
  last_polled_at  TEXT,
  last_changed_at TEXT,
  next_poll_at    TEXT,
  polls           INTEGER NOT NULL DEFAULT 0,
  not_modified    INTEGER NOT NULL DEFAULT 0,
  errors          INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  UNIQUE (kind, operation_id)
);
CREATE TABLE snapshots (
  id             INTEGER PRIMARY KEY,
  operation_id   TEXT NOT NULL,
  kind           TEXT NOT NULL CHECK (kind IN ('device', 'update')),
  observed_at    TEXT NOT NULL,
  status         TEXT,
  etag           TEXT,
  created_at     TEXT,
  last_action_at TEXT,
  error_code     TEXT,
  error_message  TEXT,
  trace_id       TEXT,
  body           TEXT NOT NULL
);
CREATE TABLE poll_errors (
  id           INTEGER PRIMARY KEY,
  operation_id TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('device', 'update')),
  at           TEXT NOT NULL,
  category     TEXT NOT NULL
               CHECK (category IN ('http', 'network', 'timeout', 'parse', 'auth', 'throttled')),
  http_status  INTEGER,
  code         TEXT,
  message      TEXT NOT NULL
);
CREATE VIEW transitions AS
SELECT operation_id, kind, from_status, to_status, at, snapshot_id
FROM (
  SELECT operation_id, kind,
         LAG(status) OVER w AS from_status,
         status AS to_status,
         observed_at AS at,
         id AS snapshot_id,
         ROW_NUMBER() OVER w AS n
  FROM snapshots
  WINDOW w AS (PARTITION BY kind, operation_id ORDER BY id)
)
WHERE n = 1 OR from_status IS NOT to_status;
)sql";

// Version 2: indexes for the daemon's own queries (latest snapshot of an operation, the
// per-operation error cap) and for users' time-window queries on poll_errors.
constexpr const char* kSchemaV2 = R"sql(
CREATE INDEX snapshots_by_operation ON snapshots (kind, operation_id, id);
CREATE INDEX poll_errors_by_operation ON poll_errors (kind, operation_id, id);
CREATE INDEX poll_errors_by_time ON poll_errors (at);
CREATE INDEX operations_by_state ON operations (state);
)sql";

// Version 4: where each watched operation came from (discovery): `config`, `watch_file` or
// `discovered`. Rows of older databases all came from the watch list; the daemon rewrites the
// column for every operation it watches when it starts, so `config` is only a starting value.
constexpr const char* kSchemaV4 = R"sql(
ALTER TABLE operations ADD COLUMN origin TEXT NOT NULL DEFAULT 'config'
  CHECK (origin IN ('config', 'watch_file', 'discovered'));
)sql";

// Version 5: the notification outbox. One row per (stored transition, matching target), written
// in the snapshot's own transaction; event_id is "<instance_id>:<snapshot_id>", stable across
// retries and restarts. The partial index is the delivery worker's "what is due" lookup.
constexpr const char* kSchemaV5 = R"sql(
CREATE TABLE notifications (
  id              INTEGER PRIMARY KEY,
  event_id        TEXT NOT NULL,
  target          TEXT NOT NULL,
  snapshot_id     INTEGER NOT NULL REFERENCES snapshots (id),
  state           TEXT NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'delivered', 'abandoned')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_at      TEXT NOT NULL,
  next_attempt_at TEXT NOT NULL,
  last_error      TEXT,
  delivered_at    TEXT,
  UNIQUE (event_id, target)
);
CREATE INDEX notifications_due ON notifications (target, next_attempt_at, id)
  WHERE state = 'pending';
CREATE INDEX notifications_by_snapshot ON notifications (snapshot_id);
)sql";

// One step from user_version i to i + 1: either SQL run in one transaction, or a batched
// migration that runs its own transactions (a rewrite of every row would hold the write lock for
// seconds on a large database) and sets user_version itself, last.
struct MigrationStep {
  const char* sql;
  Status (*batched)(sqlite3* db, const std::string& path, int batch_rows);
};

// Step i (0-based) takes the database from user_version i to i + 1. To add version N, append
// one entry: existing entries never change, since databases in the field ran them.
const std::vector<MigrationStep>& Migrations() {
  static const std::vector<MigrationStep> steps = {
      {kSchemaV1, nullptr},         {kSchemaV2, nullptr},
      {nullptr, MigrateToVersion3},  // migrate_v3.cpp: transition facts stored at insert time
      {kSchemaV4, nullptr},          // operations.origin (discovery)
      {kSchemaV5, nullptr},          // the notifications outbox
      {SchemaV6Sql(), nullptr},      // schema_v6.cpp: summaries of the whole-history aggregates
  };
  return steps;
}

// Ends the open migration transaction without writing and fails with `message`.
Status RollBack(sqlite3* db, std::string message) {
  Exec(db, "ROLLBACK");
  return Status::Error(std::move(message));
}

// Inside the write transaction: why a database at `version` is not ours to migrate, or OK.
Status CheckOursToMigrate(sqlite3* db, const std::string& path, int version) {
  const int latest = LatestSchemaVersion();
  if (version > latest) {
    return Status::Error("database " + path + " was written by a newer adu-opwatch (schema " +
                         std::to_string(version) + ", this build knows " + std::to_string(latest) +
                         "); refusing to modify it");
  }
  if (version < 0) {
    return Status::Error("database " + path + " has an invalid schema version " +
                         std::to_string(version) + "; refusing to modify it");
  }
  if (version == 0) {
    // Version 0 is SQLite's default: only an empty file is ours to initialise. Anything else
    // is some other program's database, which we must not alter.
    int rc = SQLITE_OK;
    auto objects = QueryInt(db, "SELECT count(*) FROM sqlite_master", &rc);
    if (!objects) return Status::Error(DbError(path, db, rc, "cannot read the schema"));
    if (*objects != 0) {
      return Status::Error("database " + path +
                           " is not an adu-opwatch database (it has tables but no adu-opwatch "
                           "schema version); refusing to modify it");
    }
  }
  return Status::Ok();
}

// Inside the write transaction: runs a one-transaction step to `to_version` and commits it
// together with the new user_version, or rolls everything back.
Status ApplyAndCommit(sqlite3* db, const std::string& path, const char* sql, int to_version) {
  int rc = Exec(db, sql);
  if (rc == SQLITE_OK) {
    // PRAGMA takes no bound parameters; the value is this build's own constant, not input.
    const std::string set_version = "PRAGMA user_version = " + std::to_string(to_version);
    rc = Exec(db, set_version.c_str());
  }
  if (rc == SQLITE_OK) rc = Exec(db, "COMMIT");
  if (rc != SQLITE_OK) {
    return RollBack(
        db, DbError(path, db, rc,
                    "schema migration to version " + std::to_string(to_version) + " failed"));
  }
  return Status::Ok();
}

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(Migrations().size()); }

Result<int> ReadSchemaVersion(sqlite3* db, const std::string& path) {
  // Reading sqlite_master first makes SQLite parse the header and the schema page: a file that
  // is not a database (or whose first pages are corrupt) fails here, before anything is written.
  int rc = SQLITE_OK;
  if (!QueryInt(db, "SELECT count(*) FROM sqlite_master", &rc)) {
    return DbStatus(path, db, rc, "cannot read the schema");
  }
  auto version = QueryInt(db, "PRAGMA user_version", &rc);
  if (!version) return DbStatus(path, db, rc, "cannot read PRAGMA user_version");
  return static_cast<int>(*version);
}

Status Migrate(sqlite3* db, const std::string& path, int batch_rows) {
  return MigrateUpTo(db, path, batch_rows, LatestSchemaVersion());
}

Status MigrateToVersionForTest(sqlite3* db, const std::string& path, int version) {
  return MigrateUpTo(db, path, kDefaultMigrationBatchRows, version);
}

Status MigrateUpTo(sqlite3* db, const std::string& path, int batch_rows, int target) {
  for (;;) {
    // The version is re-read inside the write transaction: another process may have migrated
    // the file between our read and our lock.
    const int rc = Exec(db, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK) {
      return Status::Error(DbError(path, db, rc, "cannot start the schema migration"));
    }
    auto version = ReadSchemaVersion(db, path);
    if (!version) return RollBack(db, version.error());
    const int v = *version;
    if (Status st = CheckOursToMigrate(db, path, v); !st.ok()) return RollBack(db, st.message());
    if (v >= target) {
      Exec(db, "COMMIT");  // nothing was written: a read-only end of the transaction
      return Status::Ok();
    }
    const MigrationStep& step = Migrations()[static_cast<size_t>(v)];
    if (step.batched != nullptr) {
      Exec(db, "COMMIT");  // nothing was written; the step takes the lock per batch
      if (Status st = step.batched(db, path, batch_rows); !st.ok()) return st;
      continue;
    }
    if (Status st = ApplyAndCommit(db, path, step.sql, v + 1); !st.ok()) return st;
  }
}

}  // namespace adu::storage::internal
