#include "adu/core/poll_outcome.h"

namespace adu {

Snapshot SnapshotOf(const OperationKey& key, const Operation& operation, std::string etag,
                    std::string body) {
  Snapshot s;
  s.key = key;
  s.status = operation.status;
  s.etag = std::move(etag);
  s.created_at = operation.created_at;
  s.last_action_at = operation.last_action_at;
  s.trace_id = operation.trace_id;
  s.body = std::move(body);
  if (operation.error) {
    s.error_code = operation.error->code;
    s.error_message = operation.error->message;
  }
  return s;
}

}  // namespace adu
