#include "adu/core/exec_target.h"

#include <chrono>

#include "adu/core/notify_body.h"
#include "adu/core/text.h"

namespace adu {
namespace {

// The most of a hook's stderr a detail quotes (the runner already bounds what it captures).
constexpr size_t kMaxStderrInDetail = 4096;

// "; stderr: "line 1 | line 2"" or "" when the hook wrote nothing: one line, control bytes
// escaped, so a hook cannot forge log lines.
std::string StderrPart(const std::string& head) {
  std::string text(TrimSpace(head.substr(0, kMaxStderrInDetail)));
  if (text.empty()) return "";
  std::string joined;
  for (const char c : text) {
    if (c == '\n') {
      joined += " | ";
    } else if (c != '\r') {
      joined += c;
    }
  }
  return "; stderr: " + Quote(joined);
}

std::string Seconds(Duration d) {
  const auto ms = d.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

}  // namespace

std::vector<std::pair<std::string, std::string>> ExecEnvironment(const NotificationEvent& e) {
  const auto value = [](const std::optional<std::string>& s) { return s.value_or(""); };
  return {{"ADU_EVENT_ID", e.event_id},
          {"ADU_INSTANCE_ID", e.instance_id},
          {"ADU_KIND", std::string(KindName(e.key.kind))},
          {"ADU_OPERATION_ID", e.key.id},
          {"ADU_FROM_STATUS", value(e.from_status)},
          {"ADU_TO_STATUS", value(e.to_status)},
          {"ADU_OBSERVED_AT", e.observed_at},
          {"ADU_SNAPSHOT_ID", std::to_string(e.snapshot_id)},
          {"ADU_ERROR_CODE", value(e.error_code)},
          {"ADU_ERROR_MESSAGE", value(e.error_message)},
          {"ADU_TRACE_ID", value(e.trace_id)}};
}

ExecTarget::ExecTarget(std::string name, ExecOptions options, ProcessRunner& runner)
    : name_(std::move(name)), options_(std::move(options)), runner_(runner) {}

DeliveryResult ExecTarget::Deliver(const NotificationEvent& event) {
  if (options_.argv.empty()) return DeliveryResult::Retry("no command configured");
  ProcessRequest request;
  request.argv = options_.argv;
  request.extra_env = ExecEnvironment(event);
  request.stdin_data = RenderEventJson(event);
  request.timeout = options_.timeout;
  const ProcessResult r = runner_.Run(request);
  const std::string program = Quote(options_.argv.front());
  if (!r.started) return DeliveryResult::Retry("cannot run " + program + ": " + r.error);
  const std::string stderr_part = StderrPart(r.stderr_head);
  if (r.timed_out) {
    return DeliveryResult::Retry(program + " outlived its timeout of " + Seconds(options_.timeout) +
                                 ": its process group was killed" + stderr_part);
  }
  if (r.signal != 0) {
    return DeliveryResult::Retry(program + " was killed by signal " + std::to_string(r.signal) +
                                 stderr_part);
  }
  if (r.exit_code == 0) return DeliveryResult::Delivered(program + " exited 0" + stderr_part);
  if (r.exit_code < 0) return DeliveryResult::Retry(program + ": " + r.error + stderr_part);
  return DeliveryResult::Retry(program + " exited with code " + std::to_string(r.exit_code) +
                               stderr_part);
}

}  // namespace adu
