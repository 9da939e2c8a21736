#include "adu/core/time_format.h"

#include <gtest/gtest.h>

namespace adu {
namespace {

TEST(TimeFormatTest, FormatsUtcWithMilliseconds) {
  using namespace std::chrono;
  WallTime t =
      sys_days{year{2026} / 11 / 27} + hours{8} + minutes{26} + seconds{56} + milliseconds{5};
  EXPECT_EQ(FormatTimestamp(t), "2026-11-27T08:26:56.005Z");
}

TEST(TimeFormatTest, NormalisesServiceForms) {
  EXPECT_EQ(NormalizeTimestamp("2020-04-22T21:01:43.9401420+00:00"), "2020-04-22T21:01:43.940Z");
  EXPECT_EQ(NormalizeTimestamp("2020-04-22T21:01:43Z"), "2020-04-22T21:01:43.000Z");
  EXPECT_EQ(NormalizeTimestamp("2020-04-22T23:01:43.5+02:00"), "2020-04-22T21:01:43.500Z");
  EXPECT_EQ(NormalizeTimestamp("2020-01-01T00:30:00-01:00"), "2020-01-01T01:30:00.000Z");
}

TEST(TimeFormatTest, LeavesGarbageAsReceived) {
  EXPECT_EQ(NormalizeTimestamp("yesterday"), "yesterday");
  EXPECT_EQ(ParseTimestamp("2020-04-22T21:01:43"), std::nullopt);  // no zone
  EXPECT_EQ(ParseTimestamp("2020-13-22T21:01:43Z"), std::nullopt);
  EXPECT_EQ(ParseTimestamp(""), std::nullopt);
  EXPECT_EQ(ParseTimestamp("2020-04-22T21:01:43.Z"), std::nullopt);
}

// Every form the service was recorded to send (docs/emulator.md): `Z` with 0 to 7 fraction
// digits, `+00:00` and `-07:00` offsets. Each lands on the exact UTC instant.
TEST(TimeFormatTest, EveryRecordedFormLandsOnTheRightInstant) {
  using namespace std::chrono;
  const WallTime base = sys_days{year{2026} / 6 / 24} + hours{22} + minutes{53} + seconds{22};
  const struct {
    const char* text;
    nanoseconds fraction;
    const char* normalised;
  } cases[] = {
      {"2026-06-24T22:53:22Z", 0ns, "2026-06-24T22:53:22.000Z"},
      {"2026-06-24T22:53:22.9Z", 900ms, "2026-06-24T22:53:22.900Z"},
      {"2026-06-24T22:53:22.03Z", 30ms, "2026-06-24T22:53:22.030Z"},
      {"2026-06-24T22:53:22.123Z", 123ms, "2026-06-24T22:53:22.123Z"},
      {"2026-06-24T22:53:22.0022Z", 2200us, "2026-06-24T22:53:22.002Z"},
      {"2026-06-24T22:53:22.00227Z", 2270us, "2026-06-24T22:53:22.002Z"},
      {"2026-06-24T22:53:22.002276Z", 2276us, "2026-06-24T22:53:22.002Z"},
      {"2026-06-24T22:53:22.9401420Z", 940142us, "2026-06-24T22:53:22.940Z"},
      {"2026-06-24T22:53:22.9401420+00:00", 940142us, "2026-06-24T22:53:22.940Z"},
      {"2026-06-24T15:53:22.940142-07:00", 940142us, "2026-06-24T22:53:22.940Z"},
      {"2026-06-25T05:23:22.5+06:30", 500ms, "2026-06-24T22:53:22.500Z"},
  };
  for (const auto& c : cases) {
    const auto t = ParseTimestamp(c.text);
    ASSERT_TRUE(t.has_value()) << c.text;
    EXPECT_EQ(*t, base + duration_cast<WallTime::duration>(c.fraction)) << c.text;
    EXPECT_EQ(NormalizeTimestamp(c.text), c.normalised) << c.text;
  }
  // An offset that crosses midnight (and a month end) backwards.
  EXPECT_EQ(NormalizeTimestamp("2020-04-30T20:01:43.9401420-07:00"), "2020-05-01T03:01:43.940Z");
}

TEST(TimeFormatTest, ADayThatTheMonthDoesNotHaveIsRejected) {
  EXPECT_EQ(ParseTimestamp("2026-02-30T00:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseTimestamp("2026-04-31T00:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseTimestamp("2025-02-29T00:00:00Z"), std::nullopt);
  EXPECT_TRUE(ParseTimestamp("2024-02-29T00:00:00Z").has_value());
  EXPECT_TRUE(ParseTimestamp("2000-02-29T00:00:00Z").has_value());
  EXPECT_EQ(ParseTimestamp("1900-02-29T00:00:00Z"), std::nullopt);
}

// Found by the codec fuzz target: WallTime (64-bit nanoseconds) ends in 2262.
TEST(TimeFormatTest, AYearBeyondWhatWallTimeHoldsIsKeptAsReceived) {
  EXPECT_EQ(ParseTimestamp("4109-11-27T08:49:30Z"), std::nullopt);
  EXPECT_EQ(ParseTimestamp("1200-01-01T00:00:00Z"), std::nullopt);
  EXPECT_EQ(NormalizeTimestamp("9999-12-31T23:59:59.9999999+00:00"),
            "9999-12-31T23:59:59.9999999+00:00");
  EXPECT_EQ(NormalizeTimestamp("2261-12-31T23:59:59Z"), "2261-12-31T23:59:59.000Z");
}

TEST(TimeFormatTest, RoundTrips) {
  auto t = ParseTimestamp("2026-11-27T08:26:56.005Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(FormatTimestamp(*t), "2026-11-27T08:26:56.005Z");
}

}  // namespace
}  // namespace adu
