// `adu-opwatch notify test NAME`: one synthetic event to one target, once, and what came of it.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "adu/client/cpprest_http_client.h"
#include "adu/config/config.h"
#include "adu/core/posix_process_runner.h"
#include "adu/core/time_format.h"
#include "daemon.h"
#include "instance.h"
#include "notifications.h"
#include "wiring.h"

namespace adu::daemon {
namespace {

// What a receiver sees: a device operation going from Running to Succeeded, marked as a test.
NotificationEvent SyntheticEvent(const config::Config& config) {
  const WallTime now = SystemClock().WallNow();
  const auto unix_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  NotificationEvent e;
  e.instance_id = config.instance_id;
  e.event_id = config.instance_id + ":test-" + std::to_string(unix_seconds);
  e.key = {OperationKind::kDevice, "adu-opwatch-test"};
  e.from_status = "Running";
  e.to_status = "Succeeded";
  e.observed_at = FormatTimestamp(now);
  e.snapshot_body =
      R"({"operationId":"adu-opwatch-test","status":"Succeeded","test":true,"lastActionDateTime":")" +
      e.observed_at + R"("})";
  return e;
}

std::string_view VerdictText(DeliveryVerdict v) {
  switch (v) {
    case DeliveryVerdict::kDelivered:
      return "delivered";
    case DeliveryVerdict::kRetry:
      return "not delivered (the daemon would retry)";
    case DeliveryVerdict::kAbandon:
      return "not delivered (the daemon would abandon it)";
  }
  return "not delivered";
}

}  // namespace

int NotifyTest(const CommandLine& cl) {
  auto config = config::LoadConfig(cl.config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "adu-opwatch: %s\n", config.error().c_str());
    return ExitCodeFor(config.status());
  }
  ApplyInstanceDefaults(cl.instance, *config);
  const config::NotifyTargetConfig* wanted = nullptr;
  for (const auto& t : config->notify) {
    if (t.name == cl.notify_target) wanted = &t;
  }
  if (wanted == nullptr) {
    std::fprintf(stderr, "adu-opwatch: %s: notify: no target named \"%s\"\n",
                 cl.config_path.c_str(), cl.notify_target.c_str());
    return kExitConfig;
  }
  if (config->http.transport == config::HttpTransport::kCpprest) {
    client::InitializeCpprestIoThreads(1);
  }
  auto http = MakeTransport(*config);
  if (!http) {
    std::fprintf(stderr, "adu-opwatch: %s\n", http.error().c_str());
    return ExitCodeFor(http.status());
  }
  PosixProcessRunner runner;
  auto target = MakeNotifyTarget(*wanted, **http, runner);
  if (!target) {
    std::fprintf(stderr, "adu-opwatch: %s\n", target.error().c_str());
    return ExitCodeFor(target.status());
  }
  const NotificationEvent event = SyntheticEvent(*config);
  const auto start = std::chrono::steady_clock::now();
  const DeliveryResult r = (*target)->Deliver(event);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  std::cout << "notify " << wanted->name << ": event " << event.event_id << " "
            << VerdictText(r.verdict) << " in " << ms << " ms"
            << (r.detail.empty() ? "" : ": " + r.detail) << "\n";
  return r.verdict == DeliveryVerdict::kDelivered ? kExitOk : kExitFailure;
}

}  // namespace adu::daemon
