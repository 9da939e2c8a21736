// A `notify[]` exec hook: the configured argv run once per attempt through a ProcessRunner (no
// shell), with the event in its environment and the json body on its stdin. Exit 0 = delivered;
// a non-zero exit, a signal, a timeout or a failure to start = retried, with the exit code or
// signal and the first lines of its stderr in `detail`.
//
// Environment (every value a string; empty when the event has none): ADU_EVENT_ID,
// ADU_INSTANCE_ID, ADU_KIND, ADU_OPERATION_ID, ADU_FROM_STATUS, ADU_TO_STATUS, ADU_OBSERVED_AT,
// ADU_SNAPSHOT_ID, ADU_ERROR_CODE, ADU_ERROR_MESSAGE, ADU_TRACE_ID.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "adu/core/notify.h"

namespace adu {

// What the daemon maps a `notify[]` exec entry to: no config type needed here.
struct ExecOptions {
  std::vector<std::string> argv;  // argv[0] an absolute path (the config loader checks)
  Duration timeout{30000};        // per attempt; past it the hook's process group is killed
};

// The ADU_* variables for `event`, in the order listed above.
std::vector<std::pair<std::string, std::string>> ExecEnvironment(const NotificationEvent& event);

class ExecTarget final : public NotifyTarget {
 public:
  // `runner` must outlive the target; it may be shared with other targets.
  ExecTarget(std::string name, ExecOptions options, ProcessRunner& runner);

  const std::string& name() const override { return name_; }
  DeliveryResult Deliver(const NotificationEvent& event) override;

 private:
  std::string name_;
  ExecOptions options_;
  ProcessRunner& runner_;
};

}  // namespace adu
