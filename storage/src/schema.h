// Internal: the schema and its forward migrations, keyed on PRAGMA user_version.
#pragma once

#include <sqlite3.h>

#include <string>

#include "adu/core/result.h"

namespace adu::storage::internal {

// The version this build writes: the number of migration steps.
int LatestSchemaVersion();

// Brings the database to LatestSchemaVersion(), one transaction (BEGIN IMMEDIATE) per step.
// Refuses, without writing anything, a database from a newer build and a non-empty database
// without an adu-opwatch schema. `path` is only used in messages.
Status Migrate(sqlite3* db, const std::string& path);

// Reads PRAGMA user_version; also how Open() finds out the file is not a database.
Result<int> ReadSchemaVersion(sqlite3* db, const std::string& path);

}  // namespace adu::storage::internal
