// The exposition text of the figures: every contract series with its type and labels.
#include "families.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace adu::metrics {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

std::string TextOf(const Figures& f, MonoTime now = MonoTime{}) {
  return ExpositionText(FamiliesOf(f.Read(now), "1.2.3"));
}

TEST(FamiliesTest, AnIdleDaemonShowsEveryUnlabelledSeries) {
  Figures f;
  const std::string text = TextOf(f);
  EXPECT_THAT(text, HasSubstr("# TYPE adu_opwatch_build_info gauge\n"
                              "adu_opwatch_build_info{version=\"1.2.3\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_last_successful_poll_timestamp_seconds 0\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE adu_opwatch_detection_delay_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_detection_delay_seconds_bucket{le=\"+Inf\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_store_queue_length 0\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_store_unavailable 0\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_poll_errors_total{category=\"throttled\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_budget_used_requests_per_minute{call=\"list\"} 0\n"));
  // Families without samples still say what they are (HELP and TYPE).
  EXPECT_THAT(text, HasSubstr("# TYPE adu_opwatch_requests_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE adu_opwatch_transitions_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE adu_opwatch_operations gauge\n"));
  EXPECT_THAT(text, Not(HasSubstr("adu_opwatch_requests_total{")));
}

TEST(FamiliesTest, LabelledSeries) {
  Figures f;
  f.SetOperations({{OperationKind::kDevice, OperationState::kActive, "Running", 3},
                   {OperationKind::kUpdate, OperationState::kActive, "", 1},
                   {OperationKind::kUpdate, OperationState::kTerminal, "Failed", 2}});
  f.CountRequest(RequestCall::kGet, 304);
  f.CountRequest(RequestCall::kGet, 304);
  f.CountRequest(RequestCall::kList, 429);
  f.CountRequest(RequestCall::kToken, RequestFailure::kTimeout);
  f.CountPollError(ErrorCategory::kThrottled);
  f.CountTransition(OperationKind::kDevice, "Succeeded");
  f.SetLastSuccessfulPoll(WallTime(1764633600500ms));
  f.ObserveDetectionDelay(3s);
  f.SetBudget(RequestCall::kGet, 510);
  f.CountBudgetUse(RequestCall::kGet, MonoTime{} + 10s);
  f.SetStoreQueue(7, true);
  const std::string text = TextOf(f, MonoTime{} + 20s);
  EXPECT_THAT(text, HasSubstr("adu_opwatch_operations{kind=\"device\",state=\"active\","
                              "status=\"Running\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_operations{kind=\"update\",state=\"active\","
                              "status=\"\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_operations{kind=\"update\",state=\"terminal\","
                              "status=\"Failed\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_requests_total{call=\"get\",code=\"304\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_requests_total{call=\"list\",code=\"429\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_requests_total{call=\"token\",code=\"timeout\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_poll_errors_total{category=\"throttled\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_transitions_total{kind=\"device\","
                              "to_status=\"Succeeded\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_last_successful_poll_timestamp_seconds 1764633600.5\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_detection_delay_seconds_bucket{le=\"2\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_detection_delay_seconds_bucket{le=\"5\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_detection_delay_seconds_count 1\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_detection_delay_seconds_sum 3\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_budget_requests_per_minute{call=\"get\"} 510\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_budget_used_requests_per_minute{call=\"get\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_store_queue_length 7\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_store_unavailable 1\n"));
}

TEST(FamiliesTest, NotificationSeries) {
  Figures f;
  EXPECT_THAT(TextOf(f), HasSubstr("# TYPE adu_opwatch_notifications gauge\n"));
  EXPECT_THAT(TextOf(f), HasSubstr("# TYPE adu_opwatch_notification_attempts_total counter\n"));
  f.SetNotificationTargets({"ops"});
  f.CountNotificationAttempt("ops", "retry");
  f.CountNotificationAttempt("ops", "retry");
  f.SetNotificationCounts({{{"ops", "pending"}, 4}, {{"ops", "delivered"}, 9}});
  const std::string text = TextOf(f);
  EXPECT_THAT(text, HasSubstr("adu_opwatch_notifications{target=\"ops\",state=\"pending\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_notifications{target=\"ops\",state=\"delivered\"} 9\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_notification_attempts_total{target=\"ops\","
                              "result=\"retry\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_notification_attempts_total{target=\"ops\","
                              "result=\"delivered\"} 0\n"));
}

TEST(FamiliesTest, LabelValuesAreEscaped) {
  Figures f;
  f.CountTransition(OperationKind::kDevice,
                    "Odd\"status\\\n");  // the service's status is free text
  EXPECT_THAT(TextOf(f), HasSubstr("to_status=\"Odd\\\"status\\\\\\n\"} 1\n"));
}

TEST(FamiliesTest, CollectableReadsThroughTheClock) {
  Figures f;
  f.CountBudgetUse(RequestCall::kGet, SystemClock().Now());
  FiguresCollectable c(f, SystemClock(), "9");
  const std::string text = ExpositionText(c.Collect());
  EXPECT_THAT(text, HasSubstr("adu_opwatch_budget_used_requests_per_minute{call=\"get\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("adu_opwatch_build_info{version=\"9\"} 1\n"));
}

}  // namespace
}  // namespace adu::metrics
