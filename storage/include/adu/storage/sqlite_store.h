// SqliteStore: the engine's Store on an SQLite file that users query directly (docs/database.md).
//
// The schema is a public, versioned interface (PRAGMA user_version). Open() creates the file (0640)
// when it is missing and runs every forward migration, each in one transaction; a database written
// by a newer build, or a file that is not an SQLite database, is refused without being modified.
//
// Writes: WAL, synchronous=NORMAL, one connection, every write in BEGIN IMMEDIATE, prepared
// statements only. When the file is busy (a user's shell holding a write lock longer than
// busy_timeout), full, read-only or failing, Write() rolls back and returns an error Status naming
// the path and SQLite's message; nothing of the batch is written, so the caller can keep the batch
// and hand the same batch to Write() again later without anything being stored twice.
//
// Thread-safety: one thread at a time per SqliteStore (the engine's). Other processes (readers,
// the `sqlite3` shell, a second daemon) may use the same file concurrently.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adu/core/domain.h"
#include "adu/core/notify_outbox.h"
#include "adu/core/result.h"
#include "adu/core/store.h"

namespace adu::storage {

struct StoreOptions {
  // How long a write waits for another connection's lock before Write() gives up with an error.
  std::chrono::milliseconds busy_timeout{5000};
  // Prune snapshots and poll errors of operations terminal for longer than this (never the
  // latest snapshot of an operation). nullopt: keep everything.
  std::optional<Duration> retention;
  // poll_errors rows kept per operation; the oldest go first. <= 0: unlimited.
  int max_errors_per_operation = 1000;
  // Rows deleted per Maintain() step, so one step never holds the write lock for long.
  int maintain_batch_rows = 500;
  // Rows per transaction when Open() migrates an older database in batches (schema version 3's
  // backfill), so no transaction holds the write lock or grows the WAL for long.
  int migration_batch_rows = 10000;
};

class SqliteStore final : public adu::Store {
 public:
  // Opens the database at `path` (creating it 0640 if missing; its directory must exist) and
  // migrates it to SchemaVersion(). Errors name the path and, where there is one, SQLite's message.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path, StoreOptions options);

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Result<std::vector<OperationRecord>> LoadOperations() override;
  using Store::SetWatchList;
  Status SetWatchList(const std::vector<WatchedOperation>& watched, WallTime now) override;
  Status Write(const std::vector<PollRecord>& batch) override;
  // One retention / error-cap step of at most maintain_batch_rows rows per table.
  Result<MaintainProgress> Maintain(WallTime now) override;

  const std::string& path() const;

  // Which targets get an outbox row (`notifications`) for which new statuses, from the next
  // Write() on: each stored snapshot that is a row of the transitions view gets one pending row
  // per matching target, in the same transaction. Empty routes: no rows. Thread-safe (the daemon
  // sets it at start and on reload while the writer thread writes).
  void SetNotifyRouting(NotifyRouting routing);
  // Called on the writing thread after a Write() committed at least one outbox row, so delivery
  // need not poll. Set before the first Write().
  void SetOutboxListener(std::function<void()> listener);

  // The schema version this build writes (PRAGMA user_version after Open()).
  static int SchemaVersion();

 private:
  class Impl;
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace adu::storage
