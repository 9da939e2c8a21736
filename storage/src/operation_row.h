// The 14-column read of an `operations` row, shared by the store (LoadOperations) and the
// read-only queries (status, history), so both read the same columns the same way.
#pragma once

#include <string>

#include "adu/storage/queries.h"
#include "sqlite_util.h"

namespace adu::storage::internal {

// "SELECT <the 14 columns> FROM operations " (trailing space): append WHERE / ORDER BY. The
// store's database always has the latest schema; a reader may open an older one: before schema
// version 4 there is no `origin` column and every row reads 'config' (what version 4 writes).
std::string OperationRowSelect(int schema_version);
inline constexpr int kOriginSchemaVersion = 4;

// The current row of a statement that starts with kOperationRowSelect.
OperationRow ReadOperationRow(const Query& q);

}  // namespace adu::storage::internal
