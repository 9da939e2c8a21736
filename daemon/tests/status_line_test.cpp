// The STATUS= line: what `systemctl status` shows an operator at a glance.
#include "status_line.h"

#include <gtest/gtest.h>

#include "adu/core/time_format.h"

namespace adu::daemon {
namespace {

TEST(StatusLineTest, AQuietDaemonSaysWhatItWatchesAndWhenItLastPolled) {
  EngineStats s;
  s.watched = 3;
  s.in_flight_operations = 2;
  s.done = 1;
  const MonoTime now{std::chrono::seconds(1000)};
  s.last_poll = now - std::chrono::seconds(12);
  s.errors_last_hour = 0;
  EXPECT_EQ(StatusLine(s, now),
            "watching 3 operations: 2 in flight, 1 done; last poll 12s ago; 0 errors in the "
            "last hour");
}

TEST(StatusLineTest, OneOperationBeforeItsFirstPollIsSingular) {
  EngineStats s;
  s.watched = 1;
  s.in_flight_operations = 1;
  EXPECT_EQ(StatusLine(s, MonoTime{}),
            "watching 1 operation: 1 in flight, 0 done; no poll yet; 0 errors in the last hour");
}

TEST(StatusLineTest, TroubleIsNamedWithItsStartTime) {
  EngineStats s;
  s.watched = 10;
  s.in_flight_operations = 7;
  s.done = 1;
  s.not_found = 2;
  s.errors_last_hour = 4;
  s.list_mode = true;
  s.database_unavailable_since = *ParseTimestamp("2026-12-02T01:00:00.000Z");
  s.polls_paused = true;
  EXPECT_EQ(StatusLine(s, MonoTime{}),
            "watching 10 operations: 7 in flight, 1 done, 2 not found; no poll yet; 4 errors in "
            "the last hour; list-based refresh; database unavailable since "
            "2026-12-02T01:00:00.000Z; polls paused until queued results are written");
}

}  // namespace
}  // namespace adu::daemon
