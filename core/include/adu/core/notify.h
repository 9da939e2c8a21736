// Notifications: one event per stored transition, delivered at least once to each matching
// target (a webhook, an exec hook). The outbox (storage) decides what is due; a delivery worker
// hands each event to its target and records the verdict.
//
// Thread-safety: NotificationEvent and DeliveryResult are plain values. A NotifyTarget is used by
// one delivery thread at a time (its worker's); Deliver() may block up to the target's timeout.
// A ProcessRunner may be shared by several threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adu/core/domain.h"

namespace adu {

// One row of the `transitions` view, with what a receiver needs to act on it.
struct NotificationEvent {
  std::string event_id;  // "<instance_id>:<snapshot_id>": stable across retries and restarts
  std::string instance_id;
  OperationKey key;
  std::optional<std::string> from_status;  // nullopt: the operation's first snapshot
  std::optional<std::string> to_status;    // nullopt only for a body without a status
  std::string observed_at;                 // as stored: RFC 3339 UTC with milliseconds
  int64_t snapshot_id = 0;
  std::optional<std::string> error_code;
  std::optional<std::string> error_message;
  std::optional<std::string> trace_id;
  std::string snapshot_body;  // the stored body, byte for byte (a JSON object)
};

// What one delivery attempt came to.
enum class DeliveryVerdict {
  kDelivered,  // the target took it (2xx, exit 0)
  kRetry,      // worth trying again later (408, 429, 5xx, timeout, network error, non-zero exit)
  kAbandon,    // never worth retrying (any other 4xx)
};

struct DeliveryResult {
  DeliveryVerdict verdict = DeliveryVerdict::kRetry;
  // For the log and `notifications.last_error`: never a secret, a URL path or a query.
  std::string detail;
  std::optional<Duration> retry_after;  // the receiver's Retry-After, when it sent one

  static DeliveryResult Delivered(std::string detail = {}) {
    return {DeliveryVerdict::kDelivered, std::move(detail), std::nullopt};
  }
  static DeliveryResult Retry(std::string detail, std::optional<Duration> after = std::nullopt) {
    return {DeliveryVerdict::kRetry, std::move(detail), after};
  }
  static DeliveryResult Abandon(std::string detail) {
    return {DeliveryVerdict::kAbandon, std::move(detail), std::nullopt};
  }
};

// One configured destination (`notify[]` entry).
class NotifyTarget {
 public:
  virtual ~NotifyTarget() = default;
  virtual const std::string& name() const = 0;
  // One attempt. Blocks at most the target's timeout (plus a little to clean up).
  virtual DeliveryResult Deliver(const NotificationEvent& event) = 0;
};

// The one seam through which the daemon starts processes (exec hooks): tests fake it.
struct ProcessRequest {
  std::vector<std::string> argv;                               // argv[0] an absolute path; no shell
  std::vector<std::pair<std::string, std::string>> extra_env;  // added to a minimal environment
  std::string stdin_data;
  Duration timeout{30000};
};

struct ProcessResult {
  bool started = false;     // false: it could not be started (`error` says why)
  bool timed_out = false;   // it outlived its timeout: its whole process group was killed
  int exit_code = -1;       // valid when it exited normally
  int signal = 0;           // the signal that ended it, else 0
  std::string stderr_head;  // the first lines of its stderr (bounded)
  std::string error;
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // Runs the process to completion or its timeout; never throws.
  virtual ProcessResult Run(const ProcessRequest& request) = 0;
};

}  // namespace adu
