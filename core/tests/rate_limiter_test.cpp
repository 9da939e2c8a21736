#include "adu/core/rate_limiter.h"

#include <gtest/gtest.h>

#include <vector>

namespace adu {
namespace {

using namespace std::chrono_literals;

size_t WorstMinute(const std::vector<MonoTime>& times) {
  size_t lo = 0, worst = 0;
  for (size_t hi = 0; hi < times.size(); ++hi) {
    while (times[hi] - times[lo] >= 60s) ++lo;
    worst = std::max(worst, hi - lo + 1);
  }
  return worst;
}

TEST(RateLimiterTest, NoMinuteHoldsMoreThanTheBudget) {
  for (int budget : {1, 2, 50, 510, 5000}) {
    MonoTime now{};
    RateLimiter limiter(budget, now);
    std::vector<MonoTime> granted;
    for (int i = 0; i < 600000; ++i) {  // 10 minutes in 1 ms steps, always asking
      while (limiter.TryAcquire(now)) granted.push_back(now);
      now += 1ms;
    }
    EXPECT_LE(WorstMinute(granted), static_cast<size_t>(budget)) << budget;
    // ...and most of it is usable (tiny budgets pay for the safety margin).
    const size_t usable = budget >= 50 ? budget * 9 : 9;
    EXPECT_GE(granted.size(), usable) << budget;
  }
}

TEST(RateLimiterTest, NextAvailableIsExact) {
  MonoTime now{};
  RateLimiter limiter(120, now);
  while (limiter.TryAcquire(now)) {
  }
  const MonoTime next = limiter.NextAvailable(now);
  EXPECT_GT(next, now);
  EXPECT_FALSE(limiter.TryAcquire(next - 1ms));
  EXPECT_TRUE(limiter.TryAcquire(next));
}

TEST(RateLimiterTest, SetRateCapsTheBurst) {
  MonoTime now{};
  RateLimiter limiter(5100, now);
  EXPECT_EQ(limiter.burst(), 100);
  limiter.SetRate(510, now);
  int taken = 0;
  while (limiter.TryAcquire(now)) ++taken;
  EXPECT_EQ(taken, 10);
}

TEST(RateLimiterTest, TimeScaleKeepsTheUncompressedBurstAndTheRate) {
  // x20 compression of 510/50 per minute: the bursts stay those of 510 (10) and 50 (1), the
  // sustained rate is the compressed one and no minute exceeds it.
  MonoTime now{};
  RateLimiter gets(510 * 20, now, 20);
  RateLimiter lists(50 * 20, now, 20);
  EXPECT_EQ(gets.burst(), 10);
  EXPECT_EQ(lists.burst(), 1);
  std::vector<MonoTime> granted;
  for (int i = 0; i < 120000; ++i) {  // 2 minutes in 1 ms steps, always asking
    while (lists.TryAcquire(now)) granted.push_back(now);
    now += 1ms;
  }
  EXPECT_LE(WorstMinute(granted), size_t{1000});
  EXPECT_GE(granted.size(), size_t{1900});
}

}  // namespace
}  // namespace adu
