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

TEST(TimeFormatTest, RoundTrips) {
  auto t = ParseTimestamp("2026-11-27T08:26:56.005Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(FormatTimestamp(*t), "2026-11-27T08:26:56.005Z");
}

}  // namespace
}  // namespace adu
