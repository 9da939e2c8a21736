// The read-only side of the database: what `adu-opwatch status` and `adu-opwatch history` print.
//
// Every function opens the file with SQLite's `file:PATH?mode=ro` URI, never creates a database,
// never writes, and works while the daemon is writing (WAL readers do not block the writer).
// JSON output is written by hand (no JSON library in storage/) and is always valid UTF-8 JSON.
//
// Thread-safety: free functions with no shared state; callable from any thread.
#pragma once

#include <string>

#include "adu/core/domain.h"
#include "adu/core/result.h"

namespace adu::storage {

// Every operation in the database: an aligned table (ID, KIND, STATUS, STATE, LAST CHANGE,
// LAST POLL, ERRORS) or, with `json`, a JSON array of objects carrying every `operations` column.
// A missing file -> "database PATH does not exist (has the daemon run yet?)".
Result<std::string> RenderStatus(const std::string& db_path, bool json);

// One operation's summary, transitions, snapshots and most recent poll errors, as text or a JSON
// object. `any_kind` (no --kind given): match `key.id` in either kind; when it exists in both,
// the error asks for --kind. Unknown -> "operation ID is not in the database ...".
Result<std::string> RenderHistory(const std::string& db_path, const OperationKey& key, bool json,
                                  bool any_kind);

}  // namespace adu::storage
