// What one poll yields, as one of three: a new body, nothing new, or a failure.
//
// The same three types travel the whole path: the client produces them, the engine applies them
// to an operation's state, the writer queues them and the store writes them. A std::variant, so
// no reader can take a field that the outcome does not carry.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>

#include "adu/core/domain.h"

namespace adu {

// A body the daemon has not seen (a 200 with a new ETag, or a list item with one).
struct Changed {
  Snapshot snapshot;
  // The body's Error as decoded, whole: the snapshot keeps its code and message, the engine's
  // failure log names the inner chain too. The store ignores it.
  std::optional<ServiceError> service_error;
};

// Nothing new (304, or a 200 with the ETag already held): counters only.
struct Unchanged {
  int64_t polls = 1;  // > 1 when the writer merged several queued unchanged polls of one operation
};

// No usable answer.
struct Failed {
  PollError error;
  bool not_found = false;  // a 404: the operation does not exist (yet)
};

using PollOutcome = std::variant<Changed, Unchanged, Failed>;

// A snapshot of `key` from a decoded operation: timestamps as the codec normalised them,
// observed_at left to the engine.
Snapshot SnapshotOf(const OperationKey& key, const Operation& operation, std::string etag,
                    std::string body);

}  // namespace adu
