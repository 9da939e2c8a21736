// Reload as data: Diff(running, next) says what a new configuration changes and what it refuses.
#include "../reload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace adu::daemon {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

config::Config Running() {
  config::Config c;
  c.path = "/etc/adu-opwatch/config.yaml";
  c.endpoint = "https://example.api.adu.microsoft.com";
  c.instance_id = "inst";
  c.auth.method = config::AuthMethod::kClientSecret;
  c.auth.tenant_id = "tenant";
  c.auth.client_id = "client";
  c.watch_file = "/etc/adu-opwatch/watch.yaml";
  c.watch = {{{OperationKind::kDevice, "a"}, std::nullopt, "config.yaml:10"},
             {{OperationKind::kUpdate, "b"}, 10s, "watch.yaml:1"}};
  return c;
}

TEST(ReloadDiffTest, SameConfigurationChangesNothing) {
  const ReloadPlan plan = Diff(Running(), Running());
  EXPECT_THAT(plan.needs_restart, IsEmpty());
  EXPECT_FALSE(plan.watch_list_changed);
  EXPECT_FALSE(plan.engine_options_changed);
  EXPECT_FALSE(plan.log_level_changed);
  EXPECT_FALSE(plan.watch_file_moved);
  EXPECT_EQ(plan.applied, Running());
}

TEST(ReloadDiffTest, WatchListPollSettingsAndLogLevelApplyAtOnce) {
  config::Config next = Running();
  next.watch.push_back({{OperationKind::kDevice, "c"}, std::nullopt, "watch.yaml:2"});
  next.poll.interval = 5s;
  next.poll.max_concurrency = 8;
  next.log_level = "debug";
  const ReloadPlan plan = Diff(Running(), next);
  EXPECT_THAT(plan.needs_restart, IsEmpty());
  EXPECT_TRUE(plan.watch_list_changed);
  EXPECT_TRUE(plan.engine_options_changed);
  EXPECT_TRUE(plan.log_level_changed);
  EXPECT_EQ(plan.applied, next);
}

TEST(ReloadDiffTest, EachPollSettingIsAnEngineOptionChange) {
  const std::vector<void (*)(config::PollConfig&)> edits = {
      [](config::PollConfig& p) { p.interval = 1s; },
      [](config::PollConfig& p) { p.backoff_max = 1s; },
      [](config::PollConfig& p) { p.max_concurrency = 1; },
      [](config::PollConfig& p) { p.requests_per_minute = 1; },
      [](config::PollConfig& p) { p.list_requests_per_minute = 1; },
      [](config::PollConfig& p) { p.stop_on_terminal = false; },
      [](config::PollConfig& p) { p.use_list = config::UseList::kNever; },
  };
  for (size_t i = 0; i < edits.size(); ++i) {
    config::Config next = Running();
    edits[i](next.poll);
    EXPECT_TRUE(Diff(Running(), next).engine_options_changed) << "edit " << i;
  }
}

TEST(ReloadDiffTest, PerOperationIntervalIsAWatchListChangeButItsOriginIsNot) {
  config::Config moved = Running();
  moved.watch[1].origin = "watch.yaml:7";  // the same entry, on another line
  EXPECT_FALSE(Diff(Running(), moved).watch_list_changed);
  config::Config slower = Running();
  slower.watch[1].interval = 20s;
  EXPECT_TRUE(Diff(Running(), slower).watch_list_changed);
  config::Config reordered = Running();
  std::swap(reordered.watch[0], reordered.watch[1]);
  EXPECT_TRUE(Diff(Running(), reordered).watch_list_changed);
}

TEST(ReloadDiffTest, AnEntryMovedToTheOtherListIsAWatchListChange) {
  config::Config moved = Running();
  moved.watch[0].source = OperationOrigin::kWatchFile;  // from `watch` to the watch file
  moved.watch[0].origin = "watch.yaml:3";
  EXPECT_TRUE(Diff(Running(), moved).watch_list_changed);
  EXPECT_EQ(Diff(Running(), moved).applied.watch[0].source, OperationOrigin::kWatchFile);
}

TEST(ReloadDiffTest, SettingsBoundAtStartAreRefusedAndKept) {
  const config::Config running = Running();
  config::Config next = running;
  next.database = "/tmp/other.db";
  next.endpoint = "https://other.api.adu.microsoft.com";
  next.instance_id = "other";
  next.api_version = "2099-01-01";
  next.poll.request_timeout = 3s;
  next.auth.authority_host = "https://login.example.com";  // any auth field
  next.storage.max_errors_per_operation = 5;
  next.http.transport = config::HttpTransport::kCurl;
  next.poll.interval = 7s;  // applied
  const ReloadPlan plan = Diff(running, next);
  EXPECT_THAT(plan.needs_restart,
              ElementsAre("database", "endpoint", "instance_id", "api_version",
                          "poll.request_timeout", "auth", "storage", "http.transport"));
  config::Config expected = running;
  expected.poll.interval = 7s;
  EXPECT_EQ(plan.applied, expected);
  EXPECT_TRUE(plan.engine_options_changed);  // the interval, not the refused timeout
}

TEST(ReloadDiffTest, RefusedRequestTimeoutAloneIsNoEngineChange) {
  config::Config next = Running();
  next.poll.request_timeout = 1s;
  const ReloadPlan plan = Diff(Running(), next);
  EXPECT_THAT(plan.needs_restart, ElementsAre("poll.request_timeout"));
  EXPECT_FALSE(plan.engine_options_changed);
}

TEST(ReloadDiffTest, EveryAuthFieldCounts) {
  const std::vector<void (*)(config::AuthConfig&)> edits = {
      [](config::AuthConfig& a) { a.method = config::AuthMethod::kNone; },
      [](config::AuthConfig& a) { a.tenant_id = "x"; },
      [](config::AuthConfig& a) { a.client_id = "x"; },
      [](config::AuthConfig& a) { a.client_secret_file = "x"; },
      [](config::AuthConfig& a) { a.authority_host = "x"; },
      [](config::AuthConfig& a) { a.token_file = "x"; },
      [](config::AuthConfig& a) { a.identity_endpoint = "x"; },
  };
  for (size_t i = 0; i < edits.size(); ++i) {
    config::Config next = Running();
    edits[i](next.auth);
    const ReloadPlan plan = Diff(Running(), next);
    EXPECT_THAT(plan.needs_restart, ElementsAre("auth")) << "edit " << i;
    EXPECT_EQ(plan.applied.auth, Running().auth) << "edit " << i;
  }
}

TEST(ReloadDiffTest, WatchFileMoved) {
  config::Config next = Running();
  next.watch_file = "/srv/watch.yaml";
  EXPECT_TRUE(Diff(Running(), next).watch_file_moved);
  next.watch_file.reset();
  const ReloadPlan plan = Diff(Running(), next);
  EXPECT_TRUE(plan.watch_file_moved);
  EXPECT_EQ(plan.applied.watch_file, std::nullopt);
}

}  // namespace
}  // namespace adu::daemon

namespace adu::daemon {
namespace {

using namespace std::chrono_literals;

// Discovery turns on, off or changes at once (an engine option), wherever its key was written.
TEST(ReloadDiffTest, DiscoverySettingsApplyAtOnceButTheirOriginDoesNotCount) {
  config::Config on = Running();
  on.discover.kinds = {OperationKind::kDevice, OperationKind::kUpdate};
  on.discover.origin = "config.yaml:20";
  EXPECT_TRUE(Diff(Running(), on).engine_options_changed);
  EXPECT_TRUE(Diff(on, Running()).engine_options_changed);
  config::Config moved = on;
  moved.discover.origin = "config.yaml:30";
  EXPECT_FALSE(Diff(on, moved).engine_options_changed);
  config::Config slower = on;
  slower.discover.interval = 5min;
  const ReloadPlan plan = Diff(on, slower);
  EXPECT_TRUE(plan.engine_options_changed);
  EXPECT_TRUE(plan.needs_restart.empty());
  EXPECT_EQ(plan.applied.discover.interval, 5min);
}

}  // namespace
}  // namespace adu::daemon
