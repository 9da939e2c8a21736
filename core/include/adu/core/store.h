// The persistence seam of the engine. `SqliteStore` (storage/) implements it; tests use fakes.
//
// Thread-safety: a Store is used by one thread at a time (the StoreWriter's; the daemon's main
// thread before that thread starts); implementations need no internal locking for callers but must
// be safe against other *processes* using the same file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "adu/core/domain.h"
#include "adu/core/poll_outcome.h"
#include "adu/core/result.h"

namespace adu {

// The persisted per-operation state (the `operations` table), loaded on start to resume.
struct OperationRecord {
  OperationKey key;
  std::optional<std::string> status;
  std::optional<std::string> etag;
  OperationState state = OperationState::kActive;
  std::optional<WallTime> first_seen_at;
  std::optional<WallTime> last_polled_at;
  std::optional<WallTime> last_changed_at;
  std::optional<WallTime> next_poll_at;
  int64_t polls = 0;
  int64_t not_modified = 0;
  int64_t errors = 0;
  std::optional<std::string> last_error;
  OperationOrigin origin = OperationOrigin::kConfig;
};

// One operation of the watch list and how the daemon learned of it (the `origin` column).
struct WatchedOperation {
  OperationKey key;
  OperationOrigin origin = OperationOrigin::kConfig;
  bool operator==(const WatchedOperation&) const = default;
};

// `keys`, each of `origin`.
inline std::vector<WatchedOperation> WatchedOf(const std::vector<OperationKey>& keys,
                                               OperationOrigin origin) {
  std::vector<WatchedOperation> all;
  all.reserve(keys.size());
  for (const auto& key : keys) all.push_back({key, origin});
  return all;
}

// What one poll yielded, as the store records it.
struct PollRecord {
  OperationKey key;
  WallTime at;                                     // when the answer arrived
  OperationState state = OperationState::kActive;  // the operation's state after this poll
  std::optional<WallTime> next_poll_at;
  // Changed: a `snapshots` row (unless byte-identical to the latest one); Unchanged: counters
  // only; Failed: a `poll_errors` row.
  PollOutcome outcome = Unchanged{};
};

// What one Maintain() step left behind.
enum class MaintainProgress {
  kDone,      // nothing more to do until the next regular step
  kMoreWork,  // call again soon: a step does a bounded amount of work
};

class Store {
 public:
  virtual ~Store() = default;

  // Every operation the database knows, watched or not.
  virtual Result<std::vector<OperationRecord>> LoadOperations() = 0;

  // Makes `watched` the watch list: unknown keys are inserted as `active`, `unwatched` ones
  // become `active` again, known ones keep their state, and every other key becomes `unwatched`.
  // Each key's origin is written as given (the engine decides: a watch-list entry is `config` or
  // `watch_file` even when discovery also lists it).
  virtual Status SetWatchList(const std::vector<WatchedOperation>& watched, WallTime now) = 0;
  // The same, every key of origin `config`. Implementations add `using Store::SetWatchList;`.
  Status SetWatchList(const std::vector<OperationKey>& watched, WallTime now) {
    return SetWatchList(WatchedOf(watched, OperationOrigin::kConfig), now);
  }

  // Writes `batch` in one transaction, in order. Either all of it is written or none of it is
  // (the caller keeps the batch and retries later). A Changed whose body is byte-identical to
  // the operation's latest stored snapshot is counted as unchanged instead of stored again.
  virtual Status Write(const std::vector<PollRecord>& batch) = 0;

  // One small step of housekeeping (retention, error caps). kMoreWork lets the caller schedule
  // another step soon without ever blocking on a large prune.
  virtual Result<MaintainProgress> Maintain(WallTime now) = 0;
};

}  // namespace adu
