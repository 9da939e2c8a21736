// The read-only side of the database: what `adu-opwatch status` and `adu-opwatch history` show,
// as rows (the CLI renders them: daemon/render.h).
//
// Every function opens the file with SQLite's `file:PATH?mode=ro` URI, never creates a database,
// never writes, and works while the daemon is writing (WAL readers do not block the writer). Each
// call reads in one transaction, so its parts are consistent with each other. Text columns are
// returned exactly as stored (NULL as nullopt): escaping for a terminal or JSON is the renderer's.
//
// Thread-safety: free functions with no shared state; callable from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "adu/core/domain.h"
#include "adu/core/result.h"

namespace adu::storage {

// One `operations` row, every column (docs/database.md).
struct OperationRow {
  std::string operation_id;
  std::string kind;  // "device" | "update"
  std::optional<std::string> status, etag;
  std::string state;  // "active" | "terminal" | "not_found" | "unwatched"
  std::optional<std::string> first_seen_at, last_polled_at, last_changed_at, next_poll_at;
  int64_t polls = 0, not_modified = 0, errors = 0;
  std::optional<std::string> last_error;
  std::string origin = "config";  // "config" | "watch_file" | "discovered"
};

struct TransitionRow {
  std::optional<std::string> from_status, to_status, at;
};

struct SnapshotRow {
  int64_t id = 0;
  std::optional<std::string> observed_at, status, etag, created_at, last_action_at, error_code,
      error_message, trace_id, body;
};

struct PollErrorRow {
  int64_t id = 0;
  std::optional<std::string> at, category;
  std::optional<int64_t> http_status;
  std::optional<std::string> code, message;
};

// One operation: its row and, oldest first, its transitions, snapshots and poll errors.
struct History {
  OperationRow operation;
  std::vector<TransitionRow> transitions;
  std::vector<SnapshotRow> snapshots;
  std::vector<PollErrorRow> poll_errors;
};

// Every operation, ordered by kind then ID.
// A missing file -> kNotFound "database PATH does not exist (has the daemon run yet?)"; a file
// without the adu-opwatch schema -> kCorrupt; SQLite's failures with their codes (kBusy, ...).
Result<std::vector<OperationRow>> LoadStatus(const std::string& db_path);

// One operation's history. `any_kind` (no --kind given): match `key.id` in either kind; when it
// exists in both, the error asks for --kind. Unknown -> kNotFound "operation ID is not in the
// database ...". Other errors as LoadStatus's.
Result<History> LoadHistory(const std::string& db_path, const OperationKey& key, bool any_kind);

}  // namespace adu::storage
