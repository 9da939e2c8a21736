// ExecTarget over a fake ProcessRunner: what it asks the runner for (argv, the ADU_* environment,
// the json body on stdin, the timeout) and the verdict and detail for each way a hook can end.
#include "adu/core/exec_target.h"

#include <gtest/gtest.h>

#include <map>

#include "adu/core/notify_body.h"

namespace adu {
namespace {

using namespace std::chrono_literals;

class FakeRunner final : public ProcessRunner {
 public:
  ProcessResult Run(const ProcessRequest& request) override {
    requests.push_back(request);
    return result;
  }
  std::vector<ProcessRequest> requests;
  ProcessResult result;
};

NotificationEvent Event() {
  NotificationEvent e;
  e.event_id = "blue:5";
  e.instance_id = "blue";
  e.key = {OperationKind::kDevice, "op-5"};
  e.to_status = "Running";
  e.observed_at = "2026-12-02T01:00:00.000Z";
  e.snapshot_id = 5;
  e.error_message = "two\nlines";
  e.snapshot_body = R"({"status":"Running"})";
  return e;
}

ProcessResult Exited(int code, std::string stderr_head = "") {
  ProcessResult r;
  r.started = true;
  r.exit_code = code;
  r.stderr_head = std::move(stderr_head);
  return r;
}

TEST(ExecTarget, RunsTheArgvWithTheEventInTheEnvironmentAndOnStdin) {
  FakeRunner runner;
  runner.result = Exited(0);
  ExecTarget target("local", {{"/usr/local/bin/hook", "--verbose"}, 7s}, runner);
  const auto r = target.Deliver(Event());
  EXPECT_EQ(r.verdict, DeliveryVerdict::kDelivered) << r.detail;
  ASSERT_EQ(runner.requests.size(), 1u);
  const ProcessRequest& req = runner.requests[0];
  EXPECT_EQ(req.argv, (std::vector<std::string>{"/usr/local/bin/hook", "--verbose"}));
  EXPECT_EQ(req.timeout, Duration(7s));
  EXPECT_EQ(req.stdin_data, RenderEventJson(Event()));
  const std::map<std::string, std::string> env(req.extra_env.begin(), req.extra_env.end());
  EXPECT_EQ(env,
            (std::map<std::string, std::string>{{"ADU_EVENT_ID", "blue:5"},
                                                {"ADU_INSTANCE_ID", "blue"},
                                                {"ADU_KIND", "device"},
                                                {"ADU_OPERATION_ID", "op-5"},
                                                {"ADU_FROM_STATUS", ""},
                                                {"ADU_TO_STATUS", "Running"},
                                                {"ADU_OBSERVED_AT", "2026-12-02T01:00:00.000Z"},
                                                {"ADU_SNAPSHOT_ID", "5"},
                                                {"ADU_ERROR_CODE", ""},
                                                {"ADU_ERROR_MESSAGE", "two\nlines"},
                                                {"ADU_TRACE_ID", ""}}));
}

TEST(ExecTarget, NonZeroExitIsRetriedWithTheCodeAndStderrOnOneLine) {
  FakeRunner runner;
  runner.result = Exited(3, "first\nsecond\x1b[2J\n");
  ExecTarget target("local", {{"/bin/hook"}, 1s}, runner);
  const auto r = target.Deliver(Event());
  EXPECT_EQ(r.verdict, DeliveryVerdict::kRetry);
  EXPECT_NE(r.detail.find("exited with code 3"), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("first | second"), std::string::npos) << r.detail;
  EXPECT_EQ(r.detail.find('\n'), std::string::npos) << r.detail;
  EXPECT_EQ(r.detail.find('\x1b'), std::string::npos) << r.detail;
}

TEST(ExecTarget, TimeoutSignalAndFailureToStartAreRetried) {
  FakeRunner runner;
  ExecTarget target("local", {{"/bin/hook"}, 1500ms}, runner);
  runner.result = Exited(-1);
  runner.result.timed_out = true;
  runner.result.signal = 9;
  auto r = target.Deliver(Event());
  EXPECT_EQ(r.verdict, DeliveryVerdict::kRetry);
  EXPECT_NE(r.detail.find("outlived its timeout of 1500 ms"), std::string::npos) << r.detail;

  runner.result = Exited(-1);
  runner.result.signal = 15;
  r = target.Deliver(Event());
  EXPECT_EQ(r.verdict, DeliveryVerdict::kRetry);
  EXPECT_NE(r.detail.find("signal 15"), std::string::npos) << r.detail;

  runner.result = Exited(-1);
  runner.result.error = "its exit status was lost (reaped elsewhere)";
  r = target.Deliver(Event());
  EXPECT_EQ(r.verdict, DeliveryVerdict::kRetry);
  EXPECT_NE(r.detail.find("exit status was lost"), std::string::npos) << r.detail;

  runner.result = ProcessResult{};
  runner.result.error = "No such file or directory";
  r = target.Deliver(Event());
  EXPECT_EQ(r.verdict, DeliveryVerdict::kRetry);
  EXPECT_EQ(r.detail, "cannot run \"/bin/hook\": No such file or directory");
}

}  // namespace
}  // namespace adu
