// Schema version 3: transition facts stored at insert time. The transitions view must return the
// same rows as version 2's window over every snapshot: after migrating a real version 2 file
// (in batches, also when killed mid-way) and under the new write path and retention.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "adu/storage/sqlite_store.h"
#include "test_util.h"

namespace adu::storage {
namespace {

using namespace adu::storage::testing;
using ::testing::HasSubstr;
using ::testing::Not;
using Rows = std::vector<std::string>;

constexpr const char* kViewRows =
    "SELECT operation_id, kind, from_status, to_status, at, snapshot_id FROM transitions "
    "ORDER BY snapshot_id";

// Rows as version 2 of the daemon wrote them, interleaved across operations as polls arrive.
// Every kind of history: first seen only, a status repeated with changed bodies, Failed, not
// found (with and without snapshots), unwatched, a NULL status, the same id in both kinds, and
// an operation whose oldest snapshots retention deleted.
constexpr const char* kVersion2History = R"sql(
INSERT INTO operations (operation_id, kind, status, state, first_seen_at) VALUES
  ('first-only', 'device', 'NotStarted', 'active', '2026-01-01T00:00:00.000Z'),
  ('repeats', 'device', 'Succeeded', 'terminal', '2026-01-01T00:00:00.000Z'),
  ('fails', 'update', 'Failed', 'terminal', '2026-01-01T00:00:00.000Z'),
  ('gone', 'update', NULL, 'not_found', '2026-01-01T00:00:00.000Z'),
  ('gone-later', 'device', 'Running', 'not_found', '2026-01-01T00:00:00.000Z'),
  ('left', 'device', 'Running', 'unwatched', '2026-01-01T00:00:00.000Z'),
  ('no-status', 'update', 'Running', 'active', '2026-01-01T00:00:00.000Z'),
  ('twin', 'device', 'Running', 'active', '2026-01-01T00:00:00.000Z'),
  ('twin', 'update', 'Succeeded', 'terminal', '2026-01-01T00:00:00.000Z'),
  ('pruned', 'device', 'Succeeded', 'terminal', '2026-01-01T00:00:00.000Z');
INSERT INTO snapshots (operation_id, kind, observed_at, status, etag, error_code, body) VALUES
  ('repeats', 'device', '2026-01-01T00:00:01.000Z', 'NotStarted', '"r1"', NULL, '{"r":1}'),
  ('pruned', 'device', '2026-01-01T00:00:01.500Z', 'NotStarted', '"p1"', NULL, '{"p":1}'),
  ('fails', 'update', '2026-01-01T00:00:02.000Z', 'NotStarted', '"f1"', NULL, '{"f":1}'),
  ('twin', 'device', '2026-01-01T00:00:02.500Z', 'Running', '"t1"', NULL, '{"t":1}'),
  ('twin', 'update', '2026-01-01T00:00:02.600Z', 'Running', '"u1"', NULL, '{"u":1}'),
  ('repeats', 'device', '2026-01-01T00:00:03.000Z', 'Running', '"r2"', NULL, '{"r":2}'),
  ('pruned', 'device', '2026-01-01T00:00:03.500Z', 'Running', '"p2"', NULL, '{"p":2}'),
  ('no-status', 'update', '2026-01-01T00:00:04.000Z', NULL, '"n1"', NULL, '{"n":1}'),
  ('repeats', 'device', '2026-01-01T00:00:05.000Z', 'Running', '"r3"', NULL, '{"r":3}'),
  ('gone-later', 'device', '2026-01-01T00:00:05.500Z', 'Running', '"g1"', NULL, '{"g":1}'),
  ('left', 'device', '2026-01-01T00:00:06.000Z', 'NotStarted', '"l1"', NULL, '{"l":1}'),
  ('no-status', 'update', '2026-01-01T00:00:06.500Z', NULL, '"n2"', NULL, '{"n":2}'),
  ('repeats', 'device', '2026-01-01T00:00:07.000Z', 'Running', '"r4"', NULL, '{"r":4}'),
  ('fails', 'update', '2026-01-01T00:00:08.000Z', 'Running', '"f2"', NULL, '{"f":2}'),
  ('twin', 'update', '2026-01-01T00:00:08.500Z', 'Succeeded', '"u2"', NULL, '{"u":2}'),
  ('pruned', 'device', '2026-01-01T00:00:08.700Z', 'Running', '"p3"', NULL, '{"p":3}'),
  ('left', 'device', '2026-01-01T00:00:09.000Z', 'Running', '"l2"', NULL, '{"l":2}'),
  ('no-status', 'update', '2026-01-01T00:00:09.500Z', 'Running', '"n3"', NULL, '{"n":3}'),
  ('fails', 'update', '2026-01-01T00:00:10.000Z', 'Failed', '"f3"', 'ImportFailed', '{"f":3}'),
  ('pruned', 'device', '2026-01-01T00:00:10.500Z', 'Succeeded', '"p4"', NULL, '{"p":4}'),
  ('repeats', 'device', '2026-01-01T00:00:11.000Z', 'Succeeded', '"r5"', NULL, '{"r":5}'),
  ('first-only', 'device', '2026-01-01T00:00:12.000Z', 'NotStarted', '"o1"', NULL, '{"o":1}');
-- Retention (version 2's, oldest first) took the first two snapshots of 'pruned'.
DELETE FROM snapshots WHERE operation_id = 'pruned' AND etag IN ('"p1"', '"p2"');
INSERT INTO poll_errors (operation_id, kind, at, category, http_status, code, message) VALUES
  ('gone', 'update', '2026-01-01T00:00:03.000Z', 'http', 404, 'NotFound', 'no such operation'),
  ('gone-later', 'device', '2026-01-01T00:00:13.000Z', 'http', 404, 'NotFound', 'gone');
)sql";

StoreOptions SmallBatches(int rows) {
  StoreOptions options;
  options.migration_batch_rows = rows;
  return options;
}

// Every operation's latest_snapshot_id is its highest snapshot id (NULL without snapshots).
void ExpectLatestSnapshotIds(RawDb& db) {
  EXPECT_EQ(db.Int("SELECT count(*) FROM operations o WHERE latest_snapshot_id IS NOT "
                   "(SELECT max(id) FROM snapshots s WHERE s.kind = o.kind AND "
                   "s.operation_id = o.operation_id)"),
            0);
}

TEST(MigrationV3Test, AVersion2DatabaseKeepsItsTransitionsRowForRow) {
  TempDir dir;
  const auto path = dir.File("v2.db");
  CreateVersion2Database(path);
  Rows before;
  {
    RawDb raw(path);
    ASSERT_EQ(raw.Exec(kVersion2History), SQLITE_OK) << sqlite3_errmsg(raw.get());
    before = raw.Rows(kViewRows);
    ASSERT_EQ(raw.Rows(kViewRows), raw.Rows(kWindowTransitionsQuery));
  }
  // What the history means, so an empty or wrong view cannot pass by accident.
  ASSERT_EQ(before.size(), 17u);
  EXPECT_EQ(before.front(), "repeats|device|NULL|NotStarted|2026-01-01T00:00:01.000Z|1");
  EXPECT_THAT(before,
              ::testing::Contains("pruned|device|NULL|Running|2026-01-01T00:00:08.700Z|16"));
  EXPECT_THAT(before,
              ::testing::Contains("no-status|update|NULL|Running|2026-01-01T00:00:09.500Z|18"));

  // Batches of 3 rows: batch boundaries fall inside every operation's history.
  auto store = SqliteStore::Open(path, SmallBatches(3));
  ASSERT_TRUE(store.ok()) << store.error();
  RawDb db(path);
  EXPECT_EQ(db.Int("PRAGMA user_version"), SqliteStore::SchemaVersion());
  EXPECT_EQ(db.Rows(kViewRows), before);
  EXPECT_EQ(db.Int("SELECT count(*) FROM snapshots WHERE status_changed IS NULL"), 0);
  ExpectLatestSnapshotIds(db);
  EXPECT_THAT(db.Text("SELECT sql FROM sqlite_master WHERE name = 'transitions'"),
              Not(HasSubstr("LAG")));
  // The README's query is an index walk, not a window over every snapshot.
  const auto plan = db.Rows(
      "EXPLAIN QUERY PLAN SELECT operation_id, from_status, to_status, at FROM transitions "
      "ORDER BY at DESC LIMIT 20");
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_THAT(plan[0], HasSubstr("snapshots_transitions_by_time"));

  // New writes continue each migrated history.
  ASSERT_TRUE((*store)
                  ->Write({SnapshotRecord(Dev("repeats"), T(20), "Succeeded", "{\"r\":6}"),
                           SnapshotRecord(Upd("no-status"), T(21), "Succeeded", "{\"n\":4}"),
                           SnapshotRecord(Dev("left"), T(22), "Running", "{\"l\":3}")})
                  .ok());
  EXPECT_EQ(db.Rows(kViewRows), db.Rows(kWindowTransitionsQuery));
  EXPECT_EQ(db.Rows(kViewRows).size(), 18u);  // only no-status changed its status
  ExpectLatestSnapshotIds(db);
}

TEST(MigrationV3Test, TheViewMatchesItsWindowDefinitionUnderWritesAndRetention) {
  TempDir dir;
  const auto path = dir.File("v3.db");
  StoreOptions options;
  options.retention = std::chrono::hours(1);
  options.maintain_batch_rows = 2;  // several steps, each stopping part-way through an operation
  auto store = SqliteStore::Open(path, options);
  ASSERT_TRUE(store.ok()) << store.error();
  RawDb db(path);
  std::vector<PollRecord> batch;
  const std::vector<std::string> statuses = {"NotStarted", "Running", "Running",
                                             "",           "Running", "Succeeded"};
  for (int i = 0; i < 5; ++i) {
    for (size_t k = 0; k < statuses.size(); ++k) {
      const auto key = i % 2 ? Dev("op" + std::to_string(i)) : Upd("op" + std::to_string(i));
      const bool last = k + 1 == statuses.size();
      batch.push_back(SnapshotRecord(key, T(static_cast<double>(10 * k + i)), statuses[k],
                                     Body(key.id, statuses[k], std::to_string(k)),
                                     last ? OperationState::kTerminal : OperationState::kActive));
      // A byte-identical body is not stored again: no row, no transition.
      if (k == 1) batch.push_back(batch.back());
    }
  }
  ASSERT_TRUE((*store)->Write(batch).ok());
  EXPECT_EQ(db.Rows(kViewRows), db.Rows(kWindowTransitionsQuery));
  EXPECT_EQ(db.Int("SELECT count(*) FROM transitions"), 5 * 5);
  ExpectLatestSnapshotIds(db);
  int steps = 0;
  for (;;) {
    auto more = (*store)->Maintain(T(3 * 3600));
    ASSERT_TRUE(more.ok()) << more.error();
    ++steps;
    // Readers between steps see what the window over the remaining snapshots says.
    ASSERT_EQ(db.Rows(kViewRows), db.Rows(kWindowTransitionsQuery)) << "after step " << steps;
    if (*more == MaintainProgress::kDone) break;
    ASSERT_LT(steps, 100);
  }
  EXPECT_GT(steps, 2);
  EXPECT_EQ(db.Int("SELECT count(*) FROM snapshots"), 5);  // the latest of each
  EXPECT_EQ(db.Int("SELECT count(*) FROM transitions WHERE from_status IS NULL"), 5);
  ExpectLatestSnapshotIds(db);
}

// A larger version 2 file: `ops` operations with 40 snapshots each, statuses repeating, some NULL.
void FillVersion2(const std::string& path, int ops) {
  CreateVersion2Database(path);
  RawDb db(path);
  const std::string n = std::to_string(ops);
  ASSERT_EQ(
      db.Exec("WITH RECURSIVE i(v) AS (SELECT 0 UNION ALL SELECT v + 1 FROM i WHERE v < " + n +
              " * 40 - 1) "
              "INSERT INTO snapshots (operation_id, kind, observed_at, status, body) "
              "SELECT 'op-' || (v % " +
              n +
              "), CASE WHEN v % 3 = 0 THEN 'update' ELSE "
              "'device' END, printf('2026-01-01T00:%02d:%02d.000Z', v / 60 % 60, v % 60), "
              "CASE (v / " +
              n +
              " + v % 5) % 6 WHEN 0 THEN 'NotStarted' WHEN 4 THEN NULL "
              "WHEN 5 THEN 'Failed' ELSE 'Running' END, printf('{\"n\":%d,\"pad\":\"%s\"}', v, "
              "hex(zeroblob(100))) "
              "FROM i"),
      SQLITE_OK)
      << sqlite3_errmsg(db.get());
  ASSERT_EQ(
      db.Exec("INSERT INTO operations (operation_id, kind, first_seen_at) "
              "SELECT DISTINCT operation_id, kind, '2026-01-01T00:00:00.000Z' FROM snapshots"),
      SQLITE_OK);
}

pid_t SpawnMigration(const std::string& path, int batch_rows) {
  const std::string rows = std::to_string(batch_rows);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl(ADU_MIGRATE_ONCE, ADU_MIGRATE_ONCE, path.c_str(), rows.c_str(), nullptr);
    ::_exit(127);
  }
  return pid;
}

TEST(MigrationV3CrashTest, KilledMidwayItResumesAndEndsWithTheSameTransitions) {
  TempDir dir;
  const auto path = dir.File("v2.db");
  FillVersion2(path, 500);  // 20,000 snapshots
  Rows before;
  {
    RawDb db(path);
    before = db.Rows(kViewRows);
    ASSERT_GT(before.size(), 1000u);
  }
  constexpr int kBatch = 200;
  const auto pristine = dir.File("pristine.db");
  std::filesystem::copy_file(path, pristine);
  // How long the victim takes to start and to migrate here, timed on a copy: each kill then
  // lands at a random point of the migration itself rather than of the process start-up.
  const auto copy = dir.File("copy.db");
  std::filesystem::copy_file(path, copy);
  auto run_us = [&] {
    const auto t0 = std::chrono::steady_clock::now();
    const pid_t pid = SpawnMigration(copy, kBatch);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 t0)
        .count();
  };
  const int64_t migrate_us = run_us();
  const int64_t start_us = run_us();  // the copy is current now: start-up and Open only
  ASSERT_GT(migrate_us, start_us);

  std::mt19937 rng(std::random_device{}());
  int killed_midway = 0;
  int64_t backfilled_before = 0;
  for (int run = 0; run < 60 && killed_midway < 3; ++run) {
    const pid_t pid = SpawnMigration(path, kBatch);
    ASSERT_GT(pid, 0);
    ::usleep(static_cast<useconds_t>(
        start_us + std::uniform_int_distribution<int64_t>(0, migrate_us - start_us)(rng)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    RawDb db(path);
    ASSERT_EQ(db.Text("PRAGMA integrity_check"), "ok") << "after run " << run;
    if (db.Int("PRAGMA user_version") >= 3) {
      // Version 3 finished before the kill (later steps are one transaction each): start
      // again from the version 2 file.
      EXPECT_EQ(db.Rows(kViewRows), before);
      for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
      std::filesystem::copy_file(pristine, path);
      backfilled_before = 0;
      continue;
    }
    ASSERT_EQ(db.Int("PRAGMA user_version"), 2);
    // Until the last transaction, readers keep the old view and its answers.
    ASSERT_EQ(db.Rows(kViewRows), before) << "after run " << run;
    const bool has_columns = db.Int(
                                 "SELECT count(*) FROM pragma_table_info('snapshots') "
                                 "WHERE name = 'status_changed'") == 1;
    const int64_t done =
        has_columns ? db.Int("SELECT count(*) FROM snapshots WHERE status_changed IS NOT NULL") : 0;
    // Progress is kept: a resumed run never loses what an earlier one committed.
    EXPECT_GE(done, backfilled_before);
    if (done > backfilled_before && done < 20000) ++killed_midway;
    backfilled_before = done;
  }
  EXPECT_GE(killed_midway, 1) << "no kill landed in the middle of the backfill";

  const pid_t pid = SpawnMigration(path, kBatch);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  RawDb db(path);
  EXPECT_EQ(db.Int("PRAGMA user_version"), SqliteStore::SchemaVersion());
  EXPECT_EQ(db.Text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(db.Rows(kViewRows), before);
  EXPECT_EQ(db.Int("SELECT count(*) FROM snapshots WHERE status_changed IS NULL"), 0);
  ExpectLatestSnapshotIds(db);
}

}  // namespace
}  // namespace adu::storage
