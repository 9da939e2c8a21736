// Internal: the schema and its forward migrations, keyed on PRAGMA user_version.
#pragma once

#include <sqlite3.h>

#include <string>

#include "adu/core/result.h"

namespace adu::storage::internal {

// The version this build writes: the number of migration steps.
int LatestSchemaVersion();

// Rows per transaction of a batched migration step (version 3's backfill).
constexpr int kDefaultMigrationBatchRows = 10000;

// Brings the database to LatestSchemaVersion(), one transaction (BEGIN IMMEDIATE) per step, or
// per batch of `batch_rows` rows for a step that rewrites existing rows. Refuses, without writing
// anything, a database from a newer build and a non-empty database without an adu-opwatch
// schema. `path` is only used in messages.
Status Migrate(sqlite3* db, const std::string& path, int batch_rows = kDefaultMigrationBatchRows);

// Migrate() that stops at `version` (at most LatestSchemaVersion()): how a migration test builds a
// database at the version before its own step, whatever steps come before.
Status MigrateToVersionForTest(sqlite3* db, const std::string& path, int version);

// Migrate()'s loop: steps until user_version reaches `target`.
Status MigrateUpTo(sqlite3* db, const std::string& path, int batch_rows, int target);

// Version 3 (migrate_v3.cpp): adds snapshots.previous_status and status_changed,
// operations.latest_snapshot_id and the transitions index, backfills them in batches of
// `batch_rows` (each its own transaction; a killed process resumes where it stopped), then
// replaces the transitions view and sets user_version 3 in one last transaction.
Status MigrateToVersion3(sqlite3* db, const std::string& path, int batch_rows);

// Version 6 (schema_v6.cpp): the summary tables behind errors_by_category and failure_reasons,
// their backfill and the triggers that keep them; one transaction.
const char* SchemaV6Sql();

// Reads PRAGMA user_version; also how Open() finds out the file is not a database.
Result<int> ReadSchemaVersion(sqlite3* db, const std::string& path);

}  // namespace adu::storage::internal
