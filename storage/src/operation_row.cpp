#include "operation_row.h"

namespace adu::storage::internal {

std::string OperationRowSelect(int schema_version) {
  return std::string(
             "SELECT operation_id, kind, status, etag, state, first_seen_at, last_polled_at, "
             "last_changed_at, next_poll_at, polls, not_modified, errors, last_error, ") +
         (schema_version >= kOriginSchemaVersion ? "origin" : "'config'") + " FROM operations ";
}

OperationRow ReadOperationRow(const Query& q) {
  OperationRow r;
  r.operation_id = q.TextOr(0, "");
  r.kind = q.TextOr(1, "");
  r.status = q.Text(2);
  r.etag = q.Text(3);
  r.state = q.TextOr(4, "");
  r.first_seen_at = q.Text(5);
  r.last_polled_at = q.Text(6);
  r.last_changed_at = q.Text(7);
  r.next_poll_at = q.Text(8);
  r.polls = q.Int(9);
  r.not_modified = q.Int(10);
  r.errors = q.Int(11);
  r.last_error = q.Text(12);
  r.origin = q.TextOr(13, "config");
  return r;
}

}  // namespace adu::storage::internal
