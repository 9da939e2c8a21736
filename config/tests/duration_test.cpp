#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "adu/config/config.h"

namespace adu::config {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

Duration Ok(std::string_view text) {
  auto d = ParseDuration(text);
  EXPECT_TRUE(d.ok()) << text << ": " << (d.ok() ? "" : d.error());
  return d.ok() ? *d : Duration(-1);
}

std::string Err(std::string_view text) {
  auto d = ParseDuration(text);
  EXPECT_FALSE(d.ok()) << text << " parsed as " << (d.ok() ? d->count() : 0) << "ms";
  return d.ok() ? "" : d.error();
}

TEST(ParseDuration, EveryUnit) {
  EXPECT_EQ(Ok("250ms"), 250ms);
  EXPECT_EQ(Ok("30s"), 30s);
  EXPECT_EQ(Ok("5m"), 5min);
  EXPECT_EQ(Ok("1h"), 1h);
  EXPECT_EQ(Ok("2d"), 48h);
  EXPECT_EQ(Ok("90d"), std::chrono::hours(24 * 90));
  EXPECT_EQ(Ok("0s"), 0ms);
}

TEST(ParseDuration, Combinations) {
  EXPECT_EQ(Ok("1m30s"), 90s);
  EXPECT_EQ(Ok("1h30m"), 90min);
  EXPECT_EQ(Ok("1d2h3m4s5ms"), 93784005ms);
  EXPECT_EQ(Ok("1s500ms"), 1500ms);
  EXPECT_THAT(Err("30s1m"), HasSubstr("largest to the smallest"));
  EXPECT_THAT(Err("1s1s"), HasSubstr("largest to the smallest"));
}

TEST(ParseDuration, Fractions) {
  EXPECT_EQ(Ok("1.5s"), 1500ms);
  EXPECT_EQ(Ok("0.25m"), 15s);
  EXPECT_EQ(Ok(".5s"), 500ms);
  EXPECT_THAT(Err("0.5ms"), HasSubstr("whole number of milliseconds"));
  EXPECT_THAT(Err("1.0001s"), HasSubstr("whole number of milliseconds"));
  EXPECT_THAT(Err("1.s"), HasSubstr("a digit must follow"));
  EXPECT_THAT(Err("1.0000000001s"), HasSubstr("too many decimal places"));
}

TEST(ParseDuration, SurroundingWhitespaceIsIgnoredInnerIsNot) {
  EXPECT_EQ(Ok("  30s\t"), 30s);
  EXPECT_THAT(Err("30 s"), HasSubstr("no space"));
}

TEST(ParseDuration, Empty) {
  EXPECT_THAT(Err(""), HasSubstr("empty duration"));
  EXPECT_THAT(Err("   "), HasSubstr("empty duration"));
}

TEST(ParseDuration, NegativeAndSigned) {
  EXPECT_THAT(Err("-5s"), HasSubstr("negative"));
  EXPECT_THAT(Err("+5s"), HasSubstr("without a sign"));
}

TEST(ParseDuration, MissingOrUnknownUnit) {
  EXPECT_THAT(Err("30"), HasSubstr("unit is missing"));
  EXPECT_THAT(Err("5y"), HasSubstr("unknown unit \"y\""));
  EXPECT_THAT(Err("5sec"), HasSubstr("unknown unit \"sec\""));
  EXPECT_THAT(Err("5S"), HasSubstr("unknown unit \"S\""));
  EXPECT_THAT(Err("1m30"), HasSubstr("unit is missing"));
  EXPECT_THAT(Err("5s!"), HasSubstr("expected a number at \"!\""));
}

TEST(ParseDuration, NotADurationAtAll) {
  EXPECT_EQ(Err("soon"), "\"soon\" is not a duration (examples: 500ms, 30s, 5m)");
  EXPECT_THAT(Err("s"), HasSubstr("is not a duration"));
}

TEST(ParseDuration, Overflow) {
  // int64 milliseconds hold 106 751 991 167 days and a bit over 7 hours.
  EXPECT_EQ(Ok("106751991167d"), std::chrono::hours(24) * 106751991167LL);
  EXPECT_THAT(Err("106751991168d"), HasSubstr("too large"));
  EXPECT_THAT(Err("99999999999999999999999s"), HasSubstr("too large"));
  EXPECT_THAT(Err("9223372036854775807ms1ms"), HasSubstr("largest to the smallest"));
  EXPECT_EQ(Ok("106751991167d7h"), std::chrono::hours(24 * 106751991167LL + 7));
  EXPECT_THAT(Err("106751991167d8h"), HasSubstr("too large"));
  EXPECT_EQ(Ok("9223372036854775807ms"), Duration(9223372036854775807));
  EXPECT_THAT(Err("9223372036854775808ms"), HasSubstr("too large"));
}

TEST(FormatDuration, ShortestFormRoundTrips) {
  EXPECT_EQ(FormatDuration(250ms), "250ms");
  EXPECT_EQ(FormatDuration(30s), "30s");
  EXPECT_EQ(FormatDuration(90s), "1m30s");
  EXPECT_EQ(FormatDuration(5min), "5m");
  EXPECT_EQ(FormatDuration(std::chrono::hours(24 * 90)), "90d");
  EXPECT_EQ(FormatDuration(0ms), "0s");
  for (Duration d : {1ms, 1500ms, 93784005ms, Duration(9223372036854775807)}) {
    EXPECT_EQ(Ok(FormatDuration(d)), d) << FormatDuration(d);
  }
}

}  // namespace
}  // namespace adu::config
