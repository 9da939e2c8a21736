// Schema versions 4 (operations.origin) and 5 (the notifications outbox), each migrated from the
// version before it with data in place.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "adu/storage/sqlite_store.h"
#include "adu/testing/temp_dir.h"
#include "schema.h"
#include "test_util.h"

namespace adu::storage {
namespace {

using namespace adu::storage::testing;
using adu::testing::TempDir;

// A version-3 history written by SQL, as the version-3 daemon left it.
void AddVersion3History(RawDb& db) {
  ASSERT_EQ(db.Exec(R"sql(
INSERT INTO operations (operation_id, kind, status, state, first_seen_at)
VALUES ('op-a', 'device', 'Running', 'active', '2026-01-01T00:00:00.000Z'),
       ('op-b', 'update', 'Failed', 'terminal', '2026-01-01T00:00:00.000Z');
INSERT INTO snapshots (operation_id, kind, observed_at, status, body, previous_status,
                       status_changed)
VALUES ('op-a', 'device', '2026-01-01T00:00:01.000Z', 'Running', '{"status":"Running"}', NULL, 1),
       ('op-b', 'update', '2026-01-01T00:00:02.000Z', 'Failed', '{"status":"Failed"}', NULL, 1);
)sql"),
            SQLITE_OK)
      << sqlite3_errmsg(db.get());
}

TEST(MigrationV4Test, ExistingOperationsStartAsConfigAndOtherOriginsAreRefused) {
  TempDir dir;
  const std::string path = dir.File("v3.db");
  CreateDatabaseAtVersion(path, 3);
  {
    RawDb raw(path);
    AddVersion3History(raw);
    ASSERT_EQ(raw.Int("SELECT count(*) FROM pragma_table_info('operations') "
                      "WHERE name = 'origin'"),
              0);
  }
  ASSERT_TRUE(internal::MigrateToVersionForTest(RawDb(path).get(), path, 4).ok());
  RawDb db(path);
  EXPECT_EQ(db.Int("PRAGMA user_version"), 4);
  EXPECT_EQ(db.Rows("SELECT operation_id, origin FROM operations ORDER BY operation_id"),
            (std::vector<std::string>{"op-a|config", "op-b|config"}));
  EXPECT_EQ(db.Exec("UPDATE operations SET origin = 'discovered' WHERE operation_id = 'op-a'"),
            SQLITE_OK);
  EXPECT_EQ(db.Exec("UPDATE operations SET origin = 'elsewhere' WHERE operation_id = 'op-b'"),
            SQLITE_CONSTRAINT);
  EXPECT_EQ(db.Int("SELECT count(*) FROM snapshots"), 2);
}

TEST(MigrationV5Test, TheOutboxIsAddedEmptyAndTheHistoryKept) {
  TempDir dir;
  const std::string path = dir.File("v4.db");
  CreateDatabaseAtVersion(path, 4);
  std::vector<std::string> transitions_before;
  {
    RawDb raw(path);
    AddVersion3History(raw);
    transitions_before = raw.Rows("SELECT * FROM transitions ORDER BY snapshot_id");
    ASSERT_EQ(transitions_before.size(), 2u);
  }
  ASSERT_TRUE(internal::MigrateToVersionForTest(RawDb(path).get(), path, 5).ok());
  RawDb db(path);
  EXPECT_EQ(db.Int("PRAGMA user_version"), 5);
  EXPECT_EQ(db.Int("SELECT count(*) FROM notifications"), 0);
  EXPECT_EQ(db.Rows("SELECT * FROM transitions ORDER BY snapshot_id"), transitions_before);
  const char* insert = R"sql(
INSERT INTO notifications (event_id, target, snapshot_id, created_at, next_attempt_at)
VALUES ('inst:1', 'ops', 1, '2026-01-01T00:00:01.000Z', '2026-01-01T00:00:01.000Z'))sql";
  ASSERT_EQ(db.Exec(insert), SQLITE_OK) << sqlite3_errmsg(db.get());
  EXPECT_EQ(db.Rows("SELECT state, attempts FROM notifications"),
            (std::vector<std::string>{"pending|0"}));
  // One row per event and target: a retry updates the row, never adds one.
  EXPECT_EQ(db.Exec(insert), SQLITE_CONSTRAINT);
  EXPECT_EQ(db.Exec("UPDATE notifications SET state = 'sent'"), SQLITE_CONSTRAINT);
  const std::vector<std::string> plan = db.Rows(
      "EXPLAIN QUERY PLAN SELECT id FROM notifications WHERE target = 'ops' AND "
      "state = 'pending' AND next_attempt_at <= '2027' ORDER BY next_attempt_at");
  EXPECT_THAT(plan, ::testing::Contains(::testing::HasSubstr("notifications_due")));
}

}  // namespace
}  // namespace adu::storage
