#include "adu/client/retry_after.h"

#include <gtest/gtest.h>

#include "adu/core/time_format.h"

namespace adu::client {
namespace {

using std::chrono::seconds;

WallTime At(const char* iso) { return *ParseTimestamp(iso); }

TEST(RetryAfter, DeltaSeconds) {
  const WallTime now = At("2026-11-27T08:00:00Z");
  EXPECT_EQ(ParseRetryAfter("120", now), seconds(120));
  EXPECT_EQ(ParseRetryAfter(" 7 ", now), seconds(7));
  EXPECT_EQ(ParseRetryAfter("0", now), seconds(0));
}

TEST(RetryAfter, HttpDateIsSecondsFromNow) {
  const WallTime now = At("1994-11-06T08:49:00Z");
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now), seconds(37));
  // Fractions of a second round up, so the client never comes back early.
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now + std::chrono::milliseconds(500)),
            seconds(37));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:48:00 GMT", now), seconds(0));  // in the past
}

TEST(RetryAfter, GarbageAndNegativeAreIgnored) {
  const WallTime now = At("2026-11-27T08:00:00Z");
  for (const char* bad : {"", "   ", "-5", "+5", "1.5", "12abc", "soon", "Sun, 06 Nov 1994",
                          "Sun, 31 Feb 2026 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT",
                          "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                          "Sun, 06 Nov 1994 08:49:37 UTC"}) {
    EXPECT_EQ(ParseRetryAfter(bad, now), std::nullopt) << "'" << bad << "'";
  }
}

TEST(RetryAfter, HugeValuesAreClampedToADay) {
  const WallTime now = At("2026-11-27T08:00:00Z");
  EXPECT_EQ(ParseRetryAfter("86401", now), kMaxRetryAfter);
  EXPECT_EQ(ParseRetryAfter("99999999999999999999999999", now), kMaxRetryAfter);
  EXPECT_EQ(ParseRetryAfter("Fri, 01 Jan 2100 00:00:00 GMT", now), kMaxRetryAfter);
  // Beyond system_clock's nanosecond range (year 2262): no overflow (a fuzzer finding).
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 3568 08:49:37 GMT", now), kMaxRetryAfter);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 0001 08:49:37 GMT", now), seconds(0));
}

}  // namespace
}  // namespace adu::client
