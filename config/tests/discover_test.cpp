// discover: its keys, defaults, bounds and errors, and what check-config's summary says of it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace adu::config {
namespace {

using namespace std::chrono_literals;
using testing::ConfigFixture;
using ::testing::HasSubstr;
using testing::kMinimal;
using ::testing::Not;

class DiscoverTest : public ConfigFixture {
 protected:
  // `block` follows "discover:\n" at line 5.
  DiscoverConfig Discover(const std::string& block) {
    return Ok(std::string(kMinimal) + "discover:\n" + block).discover;
  }
  std::string DiscoverError(const std::string& block) {
    return Error(std::string(kMinimal) + "discover:\n" + block);
  }
};

TEST_F(DiscoverTest, AbsentIsOffWithTheDefaults) {
  const DiscoverConfig d = Ok(kMinimal).discover;
  EXPECT_FALSE(d.enabled());
  EXPECT_TRUE(d.kinds.empty());
  EXPECT_EQ(d.interval, 1min);
  EXPECT_EQ(d.resync, std::optional<Duration>(1h));
  EXPECT_EQ(d.max_age, std::chrono::hours(24 * 7));
  EXPECT_EQ(d.origin, "");
  EXPECT_EQ(d, DiscoverConfig{});
}

TEST_F(DiscoverTest, BothKindsWithTheDefaultsAndTheOriginOfTheKey) {
  const DiscoverConfig d = Discover("  kinds: [device, update]\n");
  EXPECT_TRUE(d.enabled());
  EXPECT_EQ(d.kinds, (std::vector<OperationKind>{OperationKind::kDevice, OperationKind::kUpdate}));
  EXPECT_EQ(d.interval, 1min);
  EXPECT_EQ(d.resync, std::optional<Duration>(1h));
  EXPECT_EQ(d.max_age, std::chrono::hours(24 * 7));
  EXPECT_EQ(d.origin, dir_.File("config.yaml") + ":5");
}

TEST_F(DiscoverTest, EveryKeySet) {
  const DiscoverConfig d =
      Discover("  kinds:\n    - update\n  interval: 10s\n  resync: 30m\n  max_age: 1d\n");
  EXPECT_EQ(d.kinds, (std::vector<OperationKind>{OperationKind::kUpdate}));
  EXPECT_EQ(d.interval, 10s);
  EXPECT_EQ(d.resync, std::optional<Duration>(30min));
  EXPECT_EQ(d.max_age, 24h);
}

TEST_F(DiscoverTest, ResyncOff) {
  EXPECT_FALSE(Discover("  kinds: [device]\n  resync: off\n").resync.has_value());
}

TEST_F(DiscoverTest, EmptyKindsOrEmptyBlockIsOff) {
  const DiscoverConfig empty_list = Discover("  kinds: []\n  interval: 20s\n");
  EXPECT_FALSE(empty_list.enabled());
  EXPECT_EQ(empty_list.interval, 20s);
  EXPECT_EQ(empty_list.origin, dir_.File("config.yaml") + ":5");
  EXPECT_FALSE(Discover("").enabled());
  EXPECT_FALSE(Ok(std::string(kMinimal) + "discover: {}\n").discover.enabled());
}

TEST_F(DiscoverTest, Bounds) {
  EXPECT_TRUE(Discover("  interval: 10s\n  max_age: 1m\n  resync: 1m\n").kinds.empty());
  EXPECT_EQ(Discover("  interval: 1h\n  max_age: 7d\n  resync: 7d\n").interval, 1h);
  EXPECT_EQ(DiscoverError("  interval: 9s\n"),
            "config.yaml:6:13: discover.interval: 9s is too short (at least 10s)");
  EXPECT_EQ(DiscoverError("  interval: 61m\n"),
            "config.yaml:6:13: discover.interval: 61m is too long (at most 1h)");
  EXPECT_EQ(DiscoverError("  max_age: 30s\n"),
            "config.yaml:6:12: discover.max_age: 30s is too short (at least 1m)");
  EXPECT_EQ(DiscoverError("  max_age: 8d\n"),
            "config.yaml:6:12: discover.max_age: 8d is too long (at most 7d)");
  EXPECT_EQ(DiscoverError("  resync: 59s\n"),
            "config.yaml:6:11: discover.resync: 59s is too short (at least 1m)");
  EXPECT_EQ(DiscoverError("  resync: 8d\n"),
            "config.yaml:6:11: discover.resync: 8d is too long (at most 7d)");
}

TEST_F(DiscoverTest, ValueErrors) {
  EXPECT_EQ(DiscoverError("  interval: soon\n"),
            "config.yaml:6:13: discover.interval: \"soon\" is not a duration (examples: 500ms, "
            "30s, 5m)");
  EXPECT_EQ(DiscoverError("  resync: never\n"),
            "config.yaml:6:11: discover.resync: \"never\" is not a duration (examples: 500ms, "
            "30s, 5m)");
  EXPECT_EQ(DiscoverError("  max_age:\n"),
            "config.yaml:6:3: discover.max_age: has no value (expected a duration such as 30s)");
  EXPECT_EQ(Error(std::string(kMinimal) + "discover: yes\n"),
            "config.yaml:5:11: discover: expected a map of keys, found a string");
}

TEST_F(DiscoverTest, KindsErrors) {
  EXPECT_EQ(DiscoverError("  kinds: device\n"),
            "config.yaml:6:10: discover.kinds: expected a list of kinds such as [device, update], "
            "found a string");
  EXPECT_EQ(DiscoverError("  kinds: [device, devices]\n"),
            "config.yaml:6:19: discover.kinds[1]: \"devices\" is not one of device or update; did "
            "you mean device?");
  EXPECT_EQ(DiscoverError("  kinds: [update, device, update]\n"),
            "config.yaml:6:27: discover.kinds[2]: \"update\" is listed twice (already "
            "discover.kinds[0])");
  EXPECT_EQ(DiscoverError("  kinds: [[device]]\n"),
            "config.yaml:6:11: discover.kinds[0]: expected one of device or update, found a list");
  EXPECT_EQ(DiscoverError("  kinds: [Device]\n"),
            "config.yaml:6:11: discover.kinds[0]: \"Device\" is not one of device or update; did "
            "you mean device?");
}

TEST_F(DiscoverTest, UnknownKeysAreRefusedLikeElsewhere) {
  EXPECT_EQ(DiscoverError("  intervall: 10s\n"),
            "config.yaml:6:3: discover.intervall: unknown key; did you mean discover.interval?");
  EXPECT_EQ(DiscoverError("  kind: [device]\n"),
            "config.yaml:6:3: discover.kind: unknown key; did you mean discover.kinds?");
  EXPECT_EQ(DiscoverError("  lists: [device]\n"),
            "config.yaml:6:3: discover.lists: unknown key (known keys here: kinds, interval, "
            "resync or max_age)");
  EXPECT_EQ(DiscoverError("  kinds: [device]\n  kinds: [update]\n"),
            "config.yaml:7:3: discover.kinds: duplicate key (already set at line 6)");
  EXPECT_EQ(Error(std::string(kMinimal) + "max_age: 7d\n"),
            "config.yaml:5:1: max_age: unknown key; did you mean discover.max_age? (it belongs "
            "under discover:)");
  EXPECT_EQ(Error(std::string(kMinimal) + "discovery:\n  kinds: [device]\n"),
            "config.yaml:5:1: discovery: unknown key; did you mean discover?");
}

// ---- check-config's summary ----------------------------------------------------------------

TEST_F(DiscoverTest, SummarySaysWhenDiscoveryIsOff) {
  const std::string s = Summary(Ok(kMinimal));
  EXPECT_THAT(s, HasSubstr("discover       off: only the watch list is polled"));
  EXPECT_THAT(s, Not(HasSubstr("discover cost")));
}

TEST_F(DiscoverTest, SummaryOfBothKindsWithTheBudgetArithmetic) {
  const std::string s =
      Summary(Ok(std::string(kMinimal) + "discover:\n  kinds: [device, update]\n"));
  EXPECT_THAT(s, HasSubstr("discover       device and update lists: in-flight operations every "
                           "1m, every operation (unfiltered) every 1h, operations created within "
                           "7d\n"));
  EXPECT_THAT(s, HasSubstr("discover cost  1 list call per page of up to 100 operations, per "
                           "kind: at least 2 calls per pass every 1m = 2 of the 50 list "
                           "calls/minute (shared with the list refresh), which read up to 5000 "
                           "operations a minute; a resync costs 1 call per 100 operations listed "
                           "(completed ones stay listed 7 days)\n"));
  EXPECT_THAT(s, HasSubstr("discover gap   update delete operations are not returned by the "
                           "update list: they still need the watch list\n"));
}

TEST_F(DiscoverTest, AnEmptyWatchListDoesNotIdleWhileDiscovering) {
  const std::string s = Summary(Ok(std::string(kMinimal) + "discover:\n  kinds: [update]\n"));
  EXPECT_THAT(s, HasSubstr("watching       0 operations listed: discovery finds the instance's "
                           "operations (see discover)\n"));
  EXPECT_THAT(s, Not(HasSubstr("idles")));
}

TEST_F(DiscoverTest, SummaryArithmeticFollowsIntervalKindsAndBudget) {
  const std::string fast =
      Summary(Ok(std::string(kMinimal) +
                 "poll:\n  list_requests_per_minute: 20\ndiscover:\n  kinds: [device, update]\n"
                 "  interval: 10s\n  resync: off\n"));
  EXPECT_THAT(fast, HasSubstr("at least 2 calls per pass every 10s = 12 of the 20 list "
                              "calls/minute (shared with the list refresh), which read up to "
                              "2000 operations a minute"));
  EXPECT_THAT(fast, HasSubstr("no unfiltered resync (resync off)"));
  EXPECT_THAT(fast, Not(HasSubstr("passes will run late")));

  const std::string odd =
      Summary(Ok(std::string(kMinimal) + "discover:\n  kinds: [device]\n  interval: 45s\n"));
  EXPECT_THAT(odd, HasSubstr("at least 1 call per pass every 45s = 1.3 of the 50 list"));
  EXPECT_THAT(odd, HasSubstr("discover gap   update operations are not discovered (kinds without "
                             "update): they need the watch list\n"));

  const std::string over =
      Summary(Ok(std::string(kMinimal) +
                 "poll:\n  list_requests_per_minute: 5\ndiscover:\n  kinds: [device, update]\n"
                 "  interval: 10s\n"));
  EXPECT_THAT(over, HasSubstr("= 12 of the 5 list calls/minute"));
  EXPECT_THAT(over, HasSubstr("; more than the budget: passes will run late"));
}

}  // namespace
}  // namespace adu::config
