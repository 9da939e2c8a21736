// The 13-column read of an `operations` row, shared by the store (LoadOperations) and the
// read-only queries (status, history), so both read the same columns the same way.
#pragma once

#include <string>

#include "adu/storage/queries.h"
#include "sqlite_util.h"

namespace adu::storage::internal {

// "SELECT <the 13 columns> FROM operations " (trailing space): append WHERE / ORDER BY.
inline constexpr const char kOperationRowSelect[] =
    "SELECT operation_id, kind, status, etag, state, first_seen_at, last_polled_at, "
    "last_changed_at, next_poll_at, polls, not_modified, errors, last_error FROM operations ";

// The current row of a statement that starts with kOperationRowSelect.
OperationRow ReadOperationRow(const Query& q);

}  // namespace adu::storage::internal
