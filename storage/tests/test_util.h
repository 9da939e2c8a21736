// Shared helpers for the storage tests: record builders, raw SQLite access (the scratch directory
// is the shared test support's TempDir).
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "adu/core/store.h"
#include "adu/testing/temp_dir.h"

namespace adu::storage::testing {

using adu::testing::TempDir;  // tests/support

// 2026-11-27T08:00:00.000Z plus `seconds`.
WallTime T(double seconds = 0);

OperationKey Dev(const std::string& id);
OperationKey Upd(const std::string& id);

// A body that looks like the service's, unique per (id, status, tag).
std::string Body(const std::string& id, const std::string& status, const std::string& tag = "");

PollRecord SnapshotRecord(const OperationKey& key, WallTime at, const std::string& status,
                          const std::string& body, OperationState state = OperationState::kActive);
PollRecord UnchangedRecord(const OperationKey& key, WallTime at,
                           OperationState state = OperationState::kActive);
PollRecord FailedRecord(const OperationKey& key, WallTime at, ErrorCategory category,
                        std::optional<int> http_status, const std::string& code,
                        const std::string& message);

// A plain connection for checks behind the store's back.
class RawDb {
 public:
  explicit RawDb(const std::string& path, bool read_only = false);
  ~RawDb();
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  sqlite3* get() const { return db_; }
  // Runs SQL; returns SQLite's result code.
  int Exec(const std::string& sql);
  // First column of the first row, as text ("" when NULL or no row).
  std::string Text(const std::string& sql);
  int64_t Int(const std::string& sql);
  // All rows, columns joined with '|', NULL as "NULL".
  std::vector<std::string> Rows(const std::string& sql);

 private:
  sqlite3* db_ = nullptr;
};

std::string ReadFileBytes(const std::string& path);

// Creates an empty database exactly as version 2 of adu-opwatch left it (tables, window view and
// indexes; user_version 2), from a verbatim copy of that schema rather than today's code.
void CreateVersion2Database(const std::string& path);

// Creates a database at schema `version` by running this build's own migration steps up to it
// (and no further): the starting point of the test of step `version + 1`, whatever came before.
void CreateDatabaseAtVersion(const std::string& path, int version);

// The transitions view's definition up to version 2 (a window over every snapshot), as a query:
// what the view must keep returning whatever computes it now. Ordered by snapshot_id.
extern const char* const kWindowTransitionsQuery;

// docs/database.md's whole-history aggregates as written before version 6 (over the base tables),
// each with a total order (failure_reasons' ties broken by error_code): what the summary tables
// of version 6 must always reproduce, row for row.
extern const char* const kErrorsByCategoryAggregate;
extern const char* const kFailureReasonsAggregate;

// Random writes and deletes by SQL on a database of version 5 or later, as any program might make
// them: operations inserted, updated (status, latest snapshot), deleted; snapshots inserted (then
// their operation pointed at them, as the daemon does), edited and deleted, the latest one
// included; poll errors inserted and deleted. Few distinct values (NULL among them), so groups
// tie, share maxima and empty out. Deterministic for a seed.
class RandomHistory {
 public:
  RandomHistory(RawDb& db, unsigned seed) : db_(db), state_(seed) {}
  // One random change; returns the SQL it ran (for failure messages).
  std::string Step();

 private:
  unsigned Next(unsigned n);  // in [0, n)
  std::string Pick(const std::vector<std::string>& values) { return values[Next(values.size())]; }

  RawDb& db_;
  uint64_t state_;
};

}  // namespace adu::storage::testing
