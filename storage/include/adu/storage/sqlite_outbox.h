// SqliteOutbox: the delivery worker's view of the `notifications` table (docs/database.md), on
// its own connection to the database the SqliteStore writes, so delivery never waits for the
// engine's writer thread and the writer never waits for delivery beyond SQLite's own locking.
//
// Open() expects a database the SqliteStore has already migrated (schema 5 or later). WAL; every
// update is one short statement (autocommit), retried by SQLite for up to busy_timeout while the
// writer holds the lock; errors are returned as values naming the path.
//
// Thread-safety: every method may be called from any thread; calls are serialised on the one
// connection.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "adu/core/notify_outbox.h"

namespace adu::storage {

class SqliteOutbox final : public NotificationOutbox {
 public:
  static Result<std::unique_ptr<SqliteOutbox>> Open(const std::string& path,
                                                    std::chrono::milliseconds busy_timeout);
  ~SqliteOutbox() override;
  SqliteOutbox(const SqliteOutbox&) = delete;
  SqliteOutbox& operator=(const SqliteOutbox&) = delete;

  Result<std::vector<PendingNotification>> Pending(const std::string& target, int limit) override;
  Status MarkDelivered(int64_t id, int attempts, WallTime at) override;
  Status MarkRetry(int64_t id, int attempts, WallTime next_attempt_at,
                   const std::string& error) override;
  Status MarkAbandoned(int64_t id, int attempts, const std::string& reason) override;
  Status AbandonTarget(const std::string& target, const std::string& reason) override;
  Result<std::vector<OutboxCount>> Counts() override;

 private:
  class Impl;
  explicit SqliteOutbox(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace adu::storage
