// The notification outbox as the delivery worker sees it, and the routing the store applies when
// it writes a snapshot (which targets get an event for which statuses).
//
// The outbox rows are written by the store in the same transaction as the snapshot that caused
// them (storage/src/sqlite_store.cpp); this interface reads and updates them afterwards. Times
// are wall-clock (stored as RFC 3339 text).
//
// Thread-safety: a NotificationOutbox may be used by several delivery threads at once (the
// storage implementation serialises them on its own connection). NotifyRouting is a plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "adu/core/domain.h"
#include "adu/core/notify.h"
#include "adu/core/result.h"

namespace adu {

// One target's `on` set.
struct NotifyRoute {
  std::string target;
  std::vector<std::string> on;  // statuses, compared case-insensitively
  bool on_any = false;          // every transition, first seen included
  bool operator==(const NotifyRoute&) const = default;
};

// What the store needs to write outbox rows: event ids are "<instance_id>:<snapshot_id>".
struct NotifyRouting {
  std::string instance_id;
  std::vector<NotifyRoute> routes;
  bool operator==(const NotifyRouting&) const = default;
};

// Whether a transition to `to_status` (nullopt: a body without a status) fires `route`.
bool RouteMatches(const NotifyRoute& route, const std::optional<std::string>& to_status);

// "<instance_id>:<snapshot_id>": the one place that spells an event id.
std::string NotificationEventId(const std::string& instance_id, int64_t snapshot_id);

// One pending row with the event it stands for.
struct PendingNotification {
  int64_t id = 0;  // the outbox row
  int attempts = 0;
  WallTime created_at;
  WallTime next_attempt_at;
  // False when retention pruned the snapshot since: the event can no longer be rendered.
  bool snapshot_stored = true;
  NotificationEvent event;
};

struct OutboxCount {
  std::string target;
  std::string state;  // "pending" | "delivered" | "abandoned"
  int64_t count = 0;
  bool operator==(const OutboxCount&) const = default;
};

class NotificationOutbox {
 public:
  virtual ~NotificationOutbox() = default;
  // `target`'s pending rows in the order their snapshots were stored, at most `limit`.
  virtual Result<std::vector<PendingNotification>> Pending(const std::string& target,
                                                           int limit) = 0;
  virtual Status MarkDelivered(int64_t id, int attempts, WallTime at) = 0;
  virtual Status MarkRetry(int64_t id, int attempts, WallTime next_attempt_at,
                           const std::string& error) = 0;
  virtual Status MarkAbandoned(int64_t id, int attempts, const std::string& reason) = 0;
  // Every pending row of `target` becomes abandoned with `reason` (a target removed).
  virtual Status AbandonTarget(const std::string& target, const std::string& reason) = 0;
  // Rows per target and state (targets with no rows are absent).
  virtual Result<std::vector<OutboxCount>> Counts() = 0;
};

}  // namespace adu
