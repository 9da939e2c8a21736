#include "adu/core/metrics.h"

#include <gtest/gtest.h>

#include <thread>

namespace adu {
namespace {

using namespace std::chrono_literals;

uint64_t RequestsOf(const FiguresSnapshot& s, RequestCall call, std::string_view code) {
  for (const auto& r : s.requests) {
    if (r.call == call && r.code == code) return r.count;
  }
  return 0;
}

TEST(FiguresTest, CountsRequestsByCallAndCode) {
  Figures f;
  f.CountRequest(RequestCall::kGet, 200);
  f.CountRequest(RequestCall::kGet, 200);
  f.CountRequest(RequestCall::kGet, 304);
  f.CountRequest(RequestCall::kList, 429);
  f.CountRequest(RequestCall::kToken, RequestFailure::kTimeout);
  f.CountRequest(RequestCall::kGet, RequestFailure::kNetwork);
  f.CountRequest(RequestCall::kGet, 12345);  // out of range: kept, as 999
  const auto s = f.Read(MonoTime{});
  EXPECT_EQ(RequestsOf(s, RequestCall::kGet, "200"), 2u);
  EXPECT_EQ(RequestsOf(s, RequestCall::kGet, "304"), 1u);
  EXPECT_EQ(RequestsOf(s, RequestCall::kList, "429"), 1u);
  EXPECT_EQ(RequestsOf(s, RequestCall::kToken, "timeout"), 1u);
  EXPECT_EQ(RequestsOf(s, RequestCall::kGet, "network"), 1u);
  EXPECT_EQ(RequestsOf(s, RequestCall::kGet, "999"), 1u);
  EXPECT_EQ(s.requests.size(), 6u);  // codes never seen are not listed
}

TEST(FiguresTest, PollErrorsListEveryCategory) {
  Figures f;
  f.CountPollError(ErrorCategory::kThrottled);
  f.CountPollError(ErrorCategory::kThrottled);
  const auto s = f.Read(MonoTime{});
  ASSERT_EQ(s.poll_errors.size(), 6u);
  for (const auto& [category, n] : s.poll_errors) {
    EXPECT_EQ(n, category == ErrorCategory::kThrottled ? 2u : 0u) << CategoryName(category);
  }
}

uint64_t TransitionsOf(const FiguresSnapshot& s, OperationKind kind, std::string_view status) {
  for (const auto& t : s.transitions) {
    if (t.kind == kind && t.to_status == status) return t.count;
  }
  return 9999;  // not listed
}

TEST(FiguresTest, TransitionsByKindAndStatus) {
  Figures f;
  f.CountTransition(OperationKind::kDevice, "Running");
  f.CountTransition(OperationKind::kDevice, "Running");
  f.CountTransition(OperationKind::kUpdate, "Failed");
  f.CountTransition(OperationKind::kUpdate, "Paused");  // the service's status is free text
  const auto s = f.Read(MonoTime{});
  EXPECT_EQ(TransitionsOf(s, OperationKind::kDevice, "Running"), 2u);
  EXPECT_EQ(TransitionsOf(s, OperationKind::kUpdate, "Failed"), 1u);
  EXPECT_EQ(TransitionsOf(s, OperationKind::kUpdate, "Paused"), 1u);
  // Known statuses are listed before they happen.
  EXPECT_EQ(TransitionsOf(s, OperationKind::kDevice, "Failed"), 0u);
  EXPECT_EQ(TransitionsOf(s, OperationKind::kUpdate, "NotStarted"), 0u);
  EXPECT_EQ(s.transitions.size(), 9u);
}

TEST(FiguresTest, DetectionDelayHistogramIsCumulativeAndClampsSkew) {
  Figures f;
  f.ObserveDetectionDelay(-5s);      // clock skew: 0
  f.ObserveDetectionDelay(1500ms);   // <= 2
  f.ObserveDetectionDelay(2s);       // <= 2 (bounds are inclusive)
  f.ObserveDetectionDelay(100000s);  // above every bound: +Inf only
  const auto s = f.Read(MonoTime{});
  ASSERT_EQ(s.delay_buckets.size(), Figures::kDelayBounds.size());
  EXPECT_EQ(s.delay_buckets[0], std::make_pair(1.0, uint64_t{1}));
  EXPECT_EQ(s.delay_buckets[1], std::make_pair(2.0, uint64_t{3}));
  EXPECT_EQ(s.delay_buckets.back().second, 3u);
  EXPECT_EQ(s.delay_count, 4u);
  EXPECT_DOUBLE_EQ(s.delay_sum_seconds, 0 + 1.5 + 2 + 100000);
}

TEST(FiguresTest, BudgetUseCountsTheLastMinuteOnly) {
  Figures f;
  f.SetBudget(RequestCall::kGet, 510);
  f.SetBudget(RequestCall::kList, 50);
  const MonoTime t0 = MonoTime{} + 1000s;
  f.CountBudgetUse(RequestCall::kGet, t0);
  f.CountBudgetUse(RequestCall::kGet, t0 + 30s);
  f.CountBudgetUse(RequestCall::kList, t0 + 30s);
  auto s = f.Read(t0 + 45s);
  ASSERT_EQ(s.budgets.size(), 2u);
  EXPECT_EQ(s.budgets[0].call, RequestCall::kGet);
  EXPECT_EQ(s.budgets[0].per_minute, 510);
  EXPECT_EQ(s.budgets[0].used_last_minute, 2u);
  EXPECT_EQ(s.budgets[1].per_minute, 50);
  EXPECT_EQ(s.budgets[1].used_last_minute, 1u);
  s = f.Read(t0 + 75s);  // the first GET has left the window
  EXPECT_EQ(s.budgets[0].used_last_minute, 1u);
  // A slot reused a minute later starts from zero.
  f.CountBudgetUse(RequestCall::kGet, t0 + 60s);
  s = f.Read(t0 + 61s);
  EXPECT_EQ(s.budgets[0].used_last_minute, 2u);
  s = f.Read(t0 + 200s);
  EXPECT_EQ(s.budgets[0].used_last_minute, 0u);
}

TEST(FiguresTest, OperationsAreReplacedWhole) {
  Figures f;
  f.SetOperations({{OperationKind::kUpdate, OperationState::kTerminal, "Failed", 1},
                   {OperationKind::kDevice, OperationState::kActive, "Running", 3}});
  auto s = f.Read(MonoTime{});
  ASSERT_EQ(s.operations.size(), 2u);
  EXPECT_EQ(s.operations[0].kind, OperationKind::kDevice);  // sorted
  EXPECT_EQ(s.operations[0].count, 3u);
  f.SetOperations({});
  EXPECT_TRUE(f.Read(MonoTime{}).operations.empty());
}

TEST(FiguresTest, StoreQueueAndLastPoll) {
  Figures f;
  EXPECT_EQ(f.Read(MonoTime{}).last_successful_poll_seconds, 0.0);
  f.SetLastSuccessfulPoll(WallTime(std::chrono::milliseconds(1764633600123)));
  f.SetStoreQueue(42, true);
  const auto s = f.Read(MonoTime{});
  EXPECT_DOUBLE_EQ(s.last_successful_poll_seconds, 1764633600.123);
  EXPECT_EQ(s.store_queue_length, 42u);
  EXPECT_TRUE(s.store_unavailable);
}

// Publishers on several threads and a reader at once: every count arrives (and TSan/ASan see
// no race).
TEST(FiguresTest, ConcurrentPublishersLoseNothing) {
  Figures f;
  constexpr int kPerThread = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        f.CountRequest(RequestCall::kGet, 304);
        f.CountTransition(OperationKind::kDevice, "Running");
        f.CountBudgetUse(RequestCall::kGet, MonoTime{});
      }
    });
  }
  for (int i = 0; i < 100; ++i) (void)f.Read(MonoTime{});
  for (auto& t : threads) t.join();
  const auto s = f.Read(MonoTime{});
  EXPECT_EQ(RequestsOf(s, RequestCall::kGet, "304"), 4u * kPerThread);
  EXPECT_EQ(TransitionsOf(s, OperationKind::kDevice, "Running"), 4u * kPerThread);
  EXPECT_EQ(s.budgets[0].used_last_minute, 4u * kPerThread);
}

}  // namespace
}  // namespace adu
