// Schema versions: migrating older databases forward, refusing newer or foreign ones untouched.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "adu/storage/sqlite_store.h"
#include "schema.h"
#include "test_util.h"

namespace adu::storage {
namespace {

using namespace adu::storage::testing;
using ::testing::HasSubstr;

// A hand-made database as version 1 of adu-opwatch wrote it: the contract tables and view,
// none of version 2's indexes. Kept verbatim here (not shared with the code) on purpose: this is
// what files in the field look like, whatever the code says today.
constexpr const char* kVersion1Database = R"sql(
CREATE TABLE operations (
  operation_id TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('device', 'update')),
  status TEXT, etag TEXT,
  state TEXT NOT NULL DEFAULT 'active'
    CHECK (state IN ('active', 'terminal', 'not_found', 'unwatched')),
  first_seen_at TEXT NOT NULL, last_polled_at TEXT, last_changed_at TEXT, next_poll_at TEXT,
  polls INTEGER NOT NULL DEFAULT 0, not_modified INTEGER NOT NULL DEFAULT 0,
  errors INTEGER NOT NULL DEFAULT 0, last_error TEXT, UNIQUE (kind, operation_id));
CREATE TABLE snapshots (
  id INTEGER PRIMARY KEY, operation_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('device', 'update')), observed_at TEXT NOT NULL,
  status TEXT, etag TEXT, created_at TEXT, last_action_at TEXT, error_code TEXT,
  error_message TEXT, trace_id TEXT, body TEXT NOT NULL);
CREATE TABLE poll_errors (
  id INTEGER PRIMARY KEY, operation_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('device', 'update')), at TEXT NOT NULL,
  category TEXT NOT NULL
    CHECK (category IN ('http', 'network', 'timeout', 'parse', 'auth', 'throttled')),
  http_status INTEGER, code TEXT, message TEXT NOT NULL);
CREATE VIEW transitions AS
SELECT operation_id, kind, from_status, to_status, at, snapshot_id FROM (
  SELECT operation_id, kind, LAG(status) OVER w AS from_status, status AS to_status,
         observed_at AS at, id AS snapshot_id, ROW_NUMBER() OVER w AS n
  FROM snapshots WINDOW w AS (PARTITION BY kind, operation_id ORDER BY id))
WHERE n = 1 OR from_status IS NOT to_status;
INSERT INTO operations VALUES ('old-1', 'device', 'Running', '"e1"', 'active',
  '2026-01-01T00:00:00.000Z', '2026-01-01T00:01:00.000Z', '2026-01-01T00:00:30.000Z',
  '2026-01-01T00:01:30.000Z', 4, 2, 1, 'timeout: deadline');
INSERT INTO snapshots (operation_id, kind, observed_at, status, etag, body) VALUES
  ('old-1', 'device', '2026-01-01T00:00:00.000Z', 'NotStarted', '"e0"', '{"status":"NotStarted"}'),
  ('old-1', 'device', '2026-01-01T00:00:30.000Z', 'Running', '"e1"', '{"status":"Running"}');
INSERT INTO poll_errors (operation_id, kind, at, category, message) VALUES
  ('old-1', 'device', '2026-01-01T00:00:45.000Z', 'timeout', 'deadline');
PRAGMA user_version = 1;
)sql";

struct FileState {
  std::string bytes;
  struct timespec mtime {};
};

FileState Capture(const std::string& path) {
  FileState s;
  s.bytes = ReadFileBytes(path);
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  s.mtime = st.st_mtim;
  return s;
}

void ExpectUnchanged(const std::string& path, const FileState& before) {
  const FileState after = Capture(path);
  EXPECT_TRUE(after.bytes == before.bytes) << "the file's bytes changed";
  EXPECT_EQ(after.mtime.tv_sec, before.mtime.tv_sec);
  EXPECT_EQ(after.mtime.tv_nsec, before.mtime.tv_nsec);
}

TEST(MigrationTest, MigratesAVersion1DatabaseKeepingItsData) {
  TempDir dir;
  const auto path = dir.File("v1.db");
  {
    RawDb raw(path);
    ASSERT_EQ(raw.Exec(kVersion1Database), SQLITE_OK) << sqlite3_errmsg(raw.get());
    ASSERT_EQ(raw.Int("PRAGMA user_version"), 1);
    ASSERT_EQ(
        raw.Int("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"), 0);
  }
  auto store = SqliteStore::Open(path, {});
  ASSERT_TRUE(store.ok()) << store.error();
  RawDb db(path);
  EXPECT_EQ(db.Int("PRAGMA user_version"), SqliteStore::SchemaVersion());
  EXPECT_EQ(
      db.Rows("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
              "ORDER BY name"),
      (std::vector<std::string>{
          "failure_reason_groups_key", "failure_reason_messages_key", "notifications_by_snapshot",
          "notifications_due", "operations_by_state", "operations_by_status",
          "poll_error_groups_key", "poll_errors_by_category", "poll_errors_by_operation",
          "poll_errors_by_time", "snapshots_by_operation", "snapshots_transitions_by_time"}));
  // The daemon's latest-snapshot lookup uses the new index.
  const auto plan = db.Rows(
      "EXPLAIN QUERY PLAN SELECT body FROM snapshots WHERE kind = 'device' AND "
      "operation_id = 'x' ORDER BY id DESC LIMIT 1");
  ASSERT_FALSE(plan.empty());
  EXPECT_THAT(plan.back(), HasSubstr("snapshots_by_operation"));

  auto ops = (*store)->LoadOperations();
  ASSERT_TRUE(ops.ok()) << ops.error();
  ASSERT_EQ(ops->size(), 1u);
  EXPECT_EQ((*ops)[0].etag, "\"e1\"");
  EXPECT_EQ((*ops)[0].polls, 4);
  EXPECT_EQ(db.Int("SELECT count(*) FROM transitions"), 2);
  EXPECT_EQ(db.Int("SELECT count(*) FROM poll_errors"), 1);
  // The old data keeps working with new writes: the same body is still recognised.
  ASSERT_TRUE(
      (*store)
          ->Write({SnapshotRecord(Dev("old-1"), T(0), "Running", R"({"status":"Running"})")})
          .ok());
  EXPECT_EQ(db.Int("SELECT count(*) FROM snapshots"), 2);
  EXPECT_EQ(db.Int("SELECT not_modified FROM operations"), 3);
}

TEST(MigrationTest, EachStepStopsAtItsVersionAndTheRestFollowOnOpen) {
  TempDir dir;
  for (int v = 1; v <= internal::LatestSchemaVersion(); ++v) {
    const std::string path = dir.File("v" + std::to_string(v) + ".db");
    CreateDatabaseAtVersion(path, v);
    auto store = SqliteStore::Open(path, {});
    ASSERT_TRUE(store.ok()) << "from version " << v << ": " << store.error();
    store->reset();
    RawDb db(path, /*read_only=*/true);
    EXPECT_EQ(db.Int("PRAGMA user_version"), internal::LatestSchemaVersion()) << "from " << v;
  }
}

TEST(MigrationTest, AnEmptyFileIsInitialised) {
  TempDir dir;
  const auto path = dir.File("empty.db");
  { std::ofstream touch(path); }
  auto store = SqliteStore::Open(path, {});
  ASSERT_TRUE(store.ok()) << store.error();
  RawDb db(path);
  EXPECT_EQ(db.Int("PRAGMA user_version"), SqliteStore::SchemaVersion());
  EXPECT_EQ(db.Int("SELECT count(*) FROM sqlite_master WHERE name = 'operations'"), 1);
}

TEST(MigrationTest, ReopeningACurrentDatabaseChangesNothing) {
  TempDir dir;
  const auto path = dir.File("ops.db");
  {
    auto store = SqliteStore::Open(path, {});
    ASSERT_TRUE(store.ok()) << store.error();
  }
  RawDb db(path);
  const auto schema = db.Rows("SELECT sql FROM sqlite_master ORDER BY name");
  auto again = SqliteStore::Open(path, {});
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(db.Rows("SELECT sql FROM sqlite_master ORDER BY name"), schema);
}

TEST(MigrationTest, ANewerSchemaIsRefusedAndTheFileLeftUntouched) {
  TempDir dir;
  const auto path = dir.File("newer.db");
  {
    RawDb raw(path);
    ASSERT_EQ(raw.Exec(kVersion1Database), SQLITE_OK);
    ASSERT_EQ(raw.Exec("CREATE TABLE from_the_future (x); PRAGMA user_version = 99"), SQLITE_OK);
  }
  const FileState before = Capture(path);
  auto store = SqliteStore::Open(path, {});
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(store.status().IsIncompatible()) << StatusCodeName(store.status().code());
  EXPECT_EQ(store.error(), "database " + path +
                               " was written by a newer adu-opwatch (schema 99, this build knows " +
                               std::to_string(SqliteStore::SchemaVersion()) +
                               "); refusing to modify it");
  ExpectUnchanged(path, before);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
  EXPECT_FALSE(std::filesystem::exists(path + "-journal"));
}

TEST(MigrationTest, AForeignDatabaseIsRefusedAndLeftUntouched) {
  TempDir dir;
  const auto path = dir.File("foreign.db");
  {
    RawDb raw(path);
    ASSERT_EQ(raw.Exec("CREATE TABLE customers (name TEXT); INSERT INTO customers VALUES ('x')"),
              SQLITE_OK);
  }
  const FileState before = Capture(path);
  auto store = SqliteStore::Open(path, {});
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.error(), HasSubstr(path));
  EXPECT_THAT(store.error(), HasSubstr("not an adu-opwatch database"));
  EXPECT_TRUE(store.status().IsCorrupt()) << StatusCodeName(store.status().code());
  ExpectUnchanged(path, before);
}

TEST(MigrationTest, ATruncatedDatabaseIsRefusedWithSqlitesMessage) {
  TempDir dir;
  const auto path = dir.File("broken.db");
  {
    auto store = SqliteStore::Open(path, {});
    ASSERT_TRUE(store.ok()) << store.error();
  }
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  // Keep the 100-byte header, overwrite the schema page with garbage.
  std::string bytes = ReadFileBytes(path);
  ASSERT_GT(bytes.size(), 4096u);
  for (size_t i = 100; i < 4096; ++i) bytes[i] = static_cast<char>(0xA5);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  auto store = SqliteStore::Open(path, {});
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.error(), HasSubstr(path));
  EXPECT_THAT(store.error(), HasSubstr("malformed"));
  EXPECT_TRUE(store.status().IsCorrupt()) << StatusCodeName(store.status().code());
}

}  // namespace
}  // namespace adu::storage
