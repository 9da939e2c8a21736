// Schema version 6: the summary tables behind errors_by_category and failure_reasons, backfilled
// from a version 5 database with data in place, then kept by triggers through any change.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "adu/testing/temp_dir.h"
#include "schema.h"
#include "test_util.h"

namespace adu::storage {
namespace {

using namespace adu::storage::testing;
using adu::testing::TempDir;

// The summary tables read back in the aggregates' shape and order.
constexpr const char* kPollErrorGroups =
    "SELECT category, http_status, n, last_at FROM poll_error_groups "
    "ORDER BY n DESC, category, http_status";
constexpr const char* kFailureReasonGroups =
    "SELECT error_code, operations, example_message FROM failure_reason_groups "
    "ORDER BY operations DESC, error_code";

void ExpectSummariesEqualAggregates(RawDb& db, const std::string& after) {
  SCOPED_TRACE("after " + after);
  EXPECT_EQ(db.Rows(kPollErrorGroups), db.Rows(kErrorsByCategoryAggregate));
  EXPECT_EQ(db.Rows(kFailureReasonGroups), db.Rows(kFailureReasonsAggregate));
  // The per-message counts under failure_reason_groups: none empty, none duplicated.
  EXPECT_EQ(db.Int("SELECT count(*) FROM failure_reason_messages WHERE operations <= 0"), 0);
  EXPECT_EQ(db.Rows("SELECT error_code, error_message, operations FROM failure_reason_messages "
                    "ORDER BY 1, 2"),
            db.Rows("SELECT s.error_code, s.error_message, count(*) FROM operations AS o JOIN "
                    "snapshots AS s ON s.id = o.latest_snapshot_id WHERE o.status = 'Failed' "
                    "GROUP BY 1, 2 ORDER BY 1, 2"));
}

TEST(MigrationV6Test, TheBackfillEqualsTheAggregatesOverTheHistoryInPlace) {
  TempDir dir;
  const std::string path = dir.File("v5.db");
  CreateDatabaseAtVersion(path, 5);
  {
    RawDb raw(path);
    RandomHistory history(raw, 6);
    for (int i = 0; i < 300; ++i) history.Step();
    ASSERT_GT(raw.Int("SELECT count(*) FROM poll_errors"), 0);
    ASSERT_GT(raw.Rows(kFailureReasonsAggregate).size(), 1u);
    ASSERT_EQ(raw.Int("SELECT count(*) FROM sqlite_master WHERE name = 'poll_error_groups'"), 0);
  }
  ASSERT_TRUE(internal::MigrateToVersionForTest(RawDb(path).get(), path, 6).ok());
  RawDb db(path);
  EXPECT_EQ(db.Int("PRAGMA user_version"), 6);
  ASSERT_GT(db.Rows(kPollErrorGroups).size(), 1u);
  ExpectSummariesEqualAggregates(db, "the migration");
}

TEST(MigrationV6Test, TriggersKeepTheSummariesEqualToTheAggregatesThroughEveryChange) {
  TempDir dir;
  const std::string path = dir.File("v6.db");
  CreateDatabaseAtVersion(path, 6);
  RawDb db(path);
  for (unsigned seed : {1u, 2u, 3u}) {
    RandomHistory history(db, seed);
    for (int i = 0; i < 400; ++i) {
      const std::string sql = history.Step();
      ExpectSummariesEqualAggregates(db, sql);
      if (::testing::Test::HasFailure()) return;
    }
  }
  // Everything deleted: the groups go with their last rows.
  ASSERT_EQ(db.Exec("DELETE FROM poll_errors; DELETE FROM snapshots; DELETE FROM operations"),
            SQLITE_OK);
  EXPECT_EQ(db.Int("SELECT count(*) FROM poll_error_groups"), 0);
  EXPECT_EQ(db.Int("SELECT count(*) FROM failure_reason_groups"), 0);
  EXPECT_EQ(db.Int("SELECT count(*) FROM failure_reason_messages"), 0);
}

}  // namespace
}  // namespace adu::storage
