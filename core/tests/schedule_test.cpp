#include "schedule/schedule.h"

#include <gtest/gtest.h>

#include <set>

#include "adu/core/backoff.h"

namespace adu {
namespace {

using namespace std::chrono_literals;

TEST(BackoffTest, DoublesFromTheBaseUpToTheCap) {
  const Backoff b(500ms, 4s);
  EXPECT_EQ(b.Ceiling(0), 500ms);
  EXPECT_EQ(b.Ceiling(1), 500ms);
  EXPECT_EQ(b.Ceiling(2), 1s);
  EXPECT_EQ(b.Ceiling(3), 2s);
  EXPECT_EQ(b.Ceiling(4), 4s);
  EXPECT_EQ(b.Ceiling(5), 4s);
  EXPECT_EQ(b.Ceiling(1000000), 4s);  // no overflow however long the streak
}

TEST(BackoffTest, ACapBelowTheBaseNeverShortensTheBase) {
  EXPECT_EQ(Backoff(10s, 1s).Ceiling(7), 10s);
}

TEST(BackoffTest, JitteredStaysWithinBaseAndCeilingAndSpreads) {
  const Backoff b(1s, 1min);
  std::mt19937_64 rng(1);
  std::set<int64_t> seen;
  for (int i = 0; i < 200; ++i) {
    const Duration d = b.Jittered(4, rng);  // ceiling 8 s
    EXPECT_GE(d, 1s);
    EXPECT_LE(d, 8s);
    seen.insert(d.count() / 1000);
  }
  EXPECT_GE(seen.size(), 7u);  // every whole second of the range is hit
  EXPECT_EQ(b.Jittered(1, rng), 1s);
}

ScheduleOptions Opts() {
  ScheduleOptions o;
  o.interval = 10s;
  o.jitter = 0.1;
  o.backoff_max = 40s;
  o.max_retry_after = 1h;
  return o;
}

OperationKey Key(const std::string& id) { return {OperationKind::kDevice, id}; }

TEST(ScheduleTest, KeepsTheEarliestFirstAndMovesAnOperationOnSet) {
  Schedule s(Opts(), 1);
  const MonoTime t0{};
  s.Set(Key("a"), t0 + 5s);
  s.Set(Key("b"), t0 + 1s);
  s.Set(Key("c"), t0 + 3s);
  s.Set(Key("b"), t0 + 9s);
  std::vector<std::string> order;
  for (const auto& [due, key] : s) order.push_back(key.id);
  EXPECT_EQ(order, (std::vector<std::string>{"c", "a", "b"}));
  EXPECT_EQ(s.DueOf(Key("b")), t0 + 9s);
  EXPECT_EQ(s.CountDue(t0 + 5s), 2u);
  s.Remove(Key("a"));
  s.Remove(Key("zz"));
  EXPECT_FALSE(s.DueOf(Key("a")).has_value());
  EXPECT_EQ(s.CountDue(t0 + 5s), 1u);
  s.Remove(Key("b"));
  s.Remove(Key("c"));
  EXPECT_TRUE(s.empty());
}

TEST(ScheduleTest, AnswersWaitTheIntervalWithinTheJitter) {
  Schedule s(Opts(), 2);
  for (int i = 0; i < 100; ++i) {
    const Duration d = s.AfterAnswer(std::nullopt);
    EXPECT_GE(d, 9s);
    EXPECT_LE(d, 11s);
    const Duration own = s.AfterAnswer(2s);
    EXPECT_GE(own, 1800ms);
    EXPECT_LE(own, 2200ms);
  }
}

TEST(ScheduleTest, FailuresBackOffFromTheIntervalToTheCap) {
  Schedule s(Opts(), 3);
  for (int i = 0; i < 50; ++i) {
    const Duration first = s.AfterFailure(std::nullopt, 1);
    EXPECT_GE(first, 10s);
    EXPECT_LE(first, 20s);
    const Duration many = s.AfterFailure(std::nullopt, 30);
    EXPECT_GE(many, 10s);
    EXPECT_LE(many, 40s);
  }
  EXPECT_EQ(s.AfterListFailure(1), 10s);
  EXPECT_EQ(s.AfterListFailure(2), 20s);
  EXPECT_EQ(s.AfterListFailure(9), 40s);
}

TEST(ScheduleTest, RetryAfterIsClampedAndAbsentMeansNoWait) {
  Schedule s(Opts(), 4);
  EXPECT_EQ(s.RetryAfter(std::nullopt), 0ms);
  EXPECT_EQ(s.RetryAfter(std::chrono::seconds(-5)), 0ms);
  EXPECT_EQ(s.RetryAfter(std::chrono::seconds(30)), 30s);
  EXPECT_EQ(s.RetryAfter(std::chrono::seconds(86400)), 1h);
}

}  // namespace
}  // namespace adu
