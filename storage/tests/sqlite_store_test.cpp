#include "adu/storage/sqlite_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>

#include "adu/core/time_format.h"
#include "adu/storage/queries.h"
#include "test_util.h"

namespace adu::storage {
namespace {

using namespace adu::storage::testing;
using ::testing::HasSubstr;

std::unique_ptr<SqliteStore> MustOpen(const std::string& path, StoreOptions options = {}) {
  auto store = SqliteStore::Open(path, options);
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error());
  return store.ok() ? std::move(store.value()) : nullptr;
}

std::vector<std::string> Columns(RawDb& db, const std::string& table) {
  std::vector<std::string> out;
  for (const auto& row : db.Rows("SELECT name FROM pragma_table_info('" + table + "')")) {
    out.push_back(row);
  }
  return out;
}

TEST(SqliteStoreTest, CreatesTheContractSchema) {
  TempDir dir;
  const auto path = dir.File("ops.db");
  auto store = MustOpen(path);
  ASSERT_TRUE(store);
  RawDb db(path);
  EXPECT_EQ(db.Int("PRAGMA user_version"), SqliteStore::SchemaVersion());
  EXPECT_GE(SqliteStore::SchemaVersion(), 2);
  EXPECT_EQ(db.Text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(Columns(db, "operations"),
            (std::vector<std::string>{"operation_id", "kind", "status", "etag", "state",
                                      "first_seen_at", "last_polled_at", "last_changed_at",
                                      "next_poll_at", "polls", "not_modified", "errors",
                                      "last_error", "latest_snapshot_id", "origin"}));
  EXPECT_EQ(Columns(db, "snapshots"),
            (std::vector<std::string>{"id", "operation_id", "kind", "observed_at", "status", "etag",
                                      "created_at", "last_action_at", "error_code", "error_message",
                                      "trace_id", "body", "previous_status", "status_changed"}));
  EXPECT_EQ(Columns(db, "poll_errors"),
            (std::vector<std::string>{"id", "operation_id", "kind", "at", "category", "http_status",
                                      "code", "message"}));
  EXPECT_EQ(
      Columns(db, "notifications"),
      (std::vector<std::string>{"id", "event_id", "target", "snapshot_id", "state", "attempts",
                                "created_at", "next_attempt_at", "last_error", "delivered_at"}));
  auto transitions = Columns(db, "transitions");
  ASSERT_GE(transitions.size(), 5u);
  EXPECT_EQ(std::vector<std::string>(transitions.begin(), transitions.begin() + 5),
            (std::vector<std::string>{"operation_id", "kind", "from_status", "to_status", "at"}));
  // Unique on (kind, operation_id).
  EXPECT_EQ(db.Exec("INSERT INTO operations (operation_id, kind, first_seen_at) "
                    "VALUES ('x', 'device', 'now'), ('x', 'device', 'now')"),
            SQLITE_CONSTRAINT);
}

TEST(SqliteStoreTest, NewFileIsCreated0640WhateverTheUmask) {
  TempDir dir;
  for (mode_t mask : {mode_t{0}, mode_t{077}, mode_t{022}}) {
    const auto path = dir.File("mode" + std::to_string(mask) + ".db");
    const mode_t old = ::umask(mask);
    auto store = SqliteStore::Open(path, {});
    ::umask(old);
    ASSERT_TRUE(store.ok()) << store.error();
    ASSERT_TRUE(
        (*store)->Write({SnapshotRecord(Dev("a"), T(), "Running", Body("a", "Running"))}).ok());
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u) << "umask " << mask;
    // SQLite gives the WAL the database file's mode.
    ASSERT_EQ(::stat((path + "-wal").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u) << "umask " << mask;
  }
}

TEST(SqliteStoreTest, MissingDirectoryIsNamed) {
  TempDir dir;
  auto store = SqliteStore::Open(dir.File("nope/ops.db"), {});
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.error(), HasSubstr(dir.File("nope")));
  EXPECT_THAT(store.error(), HasSubstr("does not exist"));
  EXPECT_TRUE(store.status().IsNotFound()) << StatusCodeName(store.status().code());
}

TEST(SqliteStoreTest, NonDatabaseFileIsRefusedWithPathAndSqliteMessage) {
  TempDir dir;
  const auto path = dir.File("not-a.db");
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 200; ++i) out << "this is a text file, not an SQLite database\n";
  }
  const std::string before = ReadFileBytes(path);
  auto store = SqliteStore::Open(path, {});
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.error(), HasSubstr(path));
  EXPECT_THAT(store.error(), HasSubstr("file is not a database"));
  EXPECT_TRUE(store.status().IsCorrupt()) << StatusCodeName(store.status().code());
  EXPECT_EQ(ReadFileBytes(path), before);
}

TEST(SqliteStoreTest, WritesSnapshotsCountersAndNormalisedTimes) {
  TempDir dir;
  const auto path = dir.File("ops.db");
  auto store = MustOpen(path);
  ASSERT_TRUE(store);
  const auto key = Dev("op-1");
  ASSERT_TRUE(store->Write({SnapshotRecord(key, T(0), "Running", Body("op-1", "Running"))}).ok());
  ASSERT_TRUE(store->Write({UnchangedRecord(key, T(30))}).ok());
  ASSERT_TRUE(store
                  ->Write({FailedRecord(key, T(60), ErrorCategory::kHttp, 503, "ServiceUnavailable",
                                        "try later")})
                  .ok());
  RawDb db(path);
  EXPECT_EQ(db.Rows("SELECT operation_id, kind, status, etag, state, first_seen_at, "
                    "last_polled_at, last_changed_at, next_poll_at, polls, not_modified, errors, "
                    "last_error FROM operations"),
            std::vector<std::string>{
                "op-1|device|Running|\"op-1-Running\"|active|2026-11-27T08:00:00.000Z|"
                "2026-11-27T08:01:00.000Z|2026-11-27T08:00:00.000Z|2026-11-27T08:02:00.000Z|3|1|1|"
                "http 503 ServiceUnavailable: try later"});
  EXPECT_EQ(db.Rows("SELECT observed_at, status, created_at, last_action_at, error_code, "
                    "trace_id, body FROM snapshots"),
            std::vector<std::string>{"2026-11-27T08:00:00.000Z|Running|2026-11-27T07:59:00.500Z|"
                                     "2026-11-27T08:00:00.123Z|NULL|trace-op-1|" +
                                     Body("op-1", "Running")});
  EXPECT_EQ(db.Rows("SELECT operation_id, kind, at, category, http_status, code, message "
                    "FROM poll_errors"),
            std::vector<std::string>{"op-1|device|2026-11-27T08:01:00.000Z|http|503|"
                                     "ServiceUnavailable|try later"});
}

TEST(SqliteStoreTest, ByteIdenticalBodyCountsAsUnchanged) {
  TempDir dir;
  const auto path = dir.File("ops.db");
  auto store = MustOpen(path);
  ASSERT_TRUE(store);
  const auto key = Upd("u1");
  const std::string a = Body("u1", "Running", "a");
  const std::string b = Body("u1", "Running", "b");
  // Twice in one batch, then again in a later batch: one row.
  ASSERT_TRUE(store
                  ->Write({SnapshotRecord(key, T(0), "Running", a),
                           SnapshotRecord(key, T(1), "Running", a)})
                  .ok());
  ASSERT_TRUE(store->Write({SnapshotRecord(key, T(2), "Running", a)}).ok());
  // One byte different (a trailing space) is a new body.
  ASSERT_TRUE(store->Write({SnapshotRecord(key, T(3), "Running", a + " ")}).ok());
  // Only the latest snapshot is compared: a, b, a is three rows.
  ASSERT_TRUE(store->Write({SnapshotRecord(key, T(4), "Running", b)}).ok());
  ASSERT_TRUE(store->Write({SnapshotRecord(key, T(5), "Running", a)}).ok());
  RawDb db(path);
  EXPECT_EQ(db.Int("SELECT count(*) FROM snapshots"), 4);
  EXPECT_EQ(db.Rows("SELECT polls, not_modified, last_changed_at FROM operations"),
            std::vector<std::string>{"6|2|2026-11-27T08:00:05.000Z"});
  // The same body under another operation is that operation's first snapshot.
  ASSERT_TRUE(store->Write({SnapshotRecord(Dev("u1"), T(6), "Running", a)}).ok());
  EXPECT_EQ(db.Int("SELECT count(*) FROM snapshots"), 5);
}

TEST(SqliteStoreTest, TransitionsViewListsStatusChanges) {
  TempDir dir;
  const auto path = dir.File("ops.db");
  auto store = MustOpen(path);
  ASSERT_TRUE(store);
  const auto a = Dev("a");
  const auto b = Upd("a");  // same id, other kind: a separate history
  ASSERT_TRUE(store
                  ->Write({SnapshotRecord(a, T(0), "NotStarted", Body("a", "NotStarted")),
                           SnapshotRecord(b, T(0), "Running", Body("a", "Running", "u"))})
                  .ok());
  ASSERT_TRUE(store->Write({SnapshotRecord(a, T(10), "Running", Body("a", "Running", "1"))}).ok());
  ASSERT_TRUE(store->Write({SnapshotRecord(a, T(20), "Running", Body("a", "Running", "2"))}).ok());
  ASSERT_TRUE(store
                  ->Write({SnapshotRecord(b, T(25), "Failed", Body("a", "Failed", "u"),
                                          OperationState::kTerminal),
                           SnapshotRecord(a, T(30), "Succeeded", Body("a", "Succeeded"),
                                          OperationState::kTerminal)})
                  .ok());
  RawDb db(path);
  EXPECT_EQ(db.Rows("SELECT kind, operation_id, from_status, to_status, at FROM transitions "
                    "ORDER BY kind, at"),
            (std::vector<std::string>{
                "device|a|NULL|NotStarted|2026-11-27T08:00:00.000Z",
                "device|a|NotStarted|Running|2026-11-27T08:00:10.000Z",
                "device|a|Running|Succeeded|2026-11-27T08:00:30.000Z",
                "update|a|NULL|Running|2026-11-27T08:00:00.000Z",
                "update|a|Running|Failed|2026-11-27T08:00:25.000Z",
            }));
}

TEST(SqliteStoreTest, FailedBatchWritesNothingAndCanBeRetried) {
  TempDir dir;
  const auto path = dir.File("ops.db");
  auto store = MustOpen(path);
  ASSERT_TRUE(store);
  // The last record of the batch fails inside the transaction (a trigger refuses it).
  RawDb db(path);
  ASSERT_EQ(db.Exec("CREATE TRIGGER refuse BEFORE INSERT ON poll_errors WHEN NEW.message = 'boom' "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END"),
            SQLITE_OK);
  std::vector<PollRecord> batch = {
      SnapshotRecord(Dev("a"), T(0), "Running", Body("a", "Running")),
      FailedRecord(Dev("a"), T(0.5), ErrorCategory::kTimeout, std::nullopt, "", "deadline"),
      FailedRecord(Dev("b"), T(1), ErrorCategory::kNetwork, std::nullopt, "", "boom")};
  EXPECT_FALSE(store->Write(batch).ok());
  EXPECT_EQ(db.Int("SELECT count(*) FROM operations"), 0);
  EXPECT_EQ(db.Int("SELECT count(*) FROM snapshots"), 0);
  EXPECT_EQ(db.Int("SELECT count(*) FROM poll_errors"), 0);
  ASSERT_EQ(db.Exec("DROP TRIGGER refuse"), SQLITE_OK);
  batch.pop_back();
  ASSERT_TRUE(store->Write(batch).ok());
  EXPECT_EQ(db.Rows("SELECT polls, errors, last_error FROM operations"),
            std::vector<std::string>{"2|1|timeout: deadline"});
}

TEST(SqliteStoreTest, ErrorsAreCappedPerOperationOldestFirst) {
  TempDir dir;
  const auto path = dir.File("ops.db");
  StoreOptions options;
  options.max_errors_per_operation = 3;
  auto store = MustOpen(path, options);
  ASSERT_TRUE(store);
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(store
                    ->Write({FailedRecord(Dev("a"), T(i), ErrorCategory::kNetwork, std::nullopt, "",
                                          "refused " + std::to_string(i)),
                             FailedRecord(Dev("b"), T(i), ErrorCategory::kNetwork, std::nullopt, "",
                                          "b " + std::to_string(i))})
                    .ok());
  }
  RawDb db(path);
  EXPECT_EQ(db.Rows("SELECT message FROM poll_errors WHERE operation_id = 'a' ORDER BY id"),
            (std::vector<std::string>{"refused 3", "refused 4", "refused 5"}));
  EXPECT_EQ(db.Int("SELECT count(*) FROM poll_errors WHERE operation_id = 'b'"), 3);
  EXPECT_EQ(db.Rows("SELECT errors, last_error FROM operations WHERE operation_id = 'a'"),
            std::vector<std::string>{"5|network: refused 5"});

  // A lower cap set later is applied by Maintain() to rows written before.
  store.reset();
  options.max_errors_per_operation = 1;
  store = MustOpen(path, options);
  ASSERT_TRUE(store);
  int steps = 0;
  for (;;) {
    auto more = store->Maintain(T(100));
    ASSERT_TRUE(more.ok()) << more.error();
    ++steps;
    if (*more == MaintainProgress::kDone) break;
    ASSERT_LT(steps, 10);
  }
  EXPECT_EQ(db.Rows("SELECT message FROM poll_errors ORDER BY id"),
            (std::vector<std::string>{"refused 5", "b 5"}));
}

TEST(SqliteStoreTest, RetentionPrunesOldTerminalOperationsInBatchesKeepingTheLatestSnapshot) {
  TempDir dir;
  const auto path = dir.File("ops.db");
  StoreOptions options;
  options.retention = std::chrono::hours(1);
  options.maintain_batch_rows = 2;
  auto store = MustOpen(path, options);
  ASSERT_TRUE(store);
  // old: terminal at T(10); 5 snapshots and 3 errors. active: never terminal. recent: terminal
  // but within the retention window. unwatched: left the watch list after it failed.
  for (const std::string id : {"old", "active", "recent", "unwatched"}) {
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(store
                      ->Write({SnapshotRecord(Dev(id), T(i), "Running",
                                              Body(id, "Running", std::to_string(i))),
                               FailedRecord(Dev(id), T(i), ErrorCategory::kHttp, 500, "", "boom")})
                      .ok());
    }
  }
  ASSERT_TRUE(store
                  ->Write({SnapshotRecord(Dev("old"), T(10), "Succeeded", Body("old", "Succeeded"),
                                          OperationState::kTerminal),
                           SnapshotRecord(Dev("unwatched"), T(10), "Failed",
                                          Body("unwatched", "Failed"), OperationState::kTerminal)})
                  .ok());
  ASSERT_TRUE(store->SetWatchList({Dev("old"), Dev("active"), Dev("recent")}, T(11)).ok());
  ASSERT_TRUE(store
                  ->Write({SnapshotRecord(Dev("recent"), T(3600), "Succeeded",
                                          Body("recent", "Succeeded"), OperationState::kTerminal)})
                  .ok());
  RawDb db(path);
  const int64_t total = db.Int(
      "SELECT (SELECT count(*) FROM snapshots) + "
      "(SELECT count(*) FROM poll_errors)");
  const WallTime now = T(10) + std::chrono::hours(1) + std::chrono::seconds(1);

  // Each step deletes at most maintain_batch_rows rows per table and says whether more remain.
  int steps = 0;
  int64_t remaining = total;
  for (;;) {
    auto more = store->Maintain(now);
    ASSERT_TRUE(more.ok()) << more.error();
    ++steps;
    const int64_t now_rows = db.Int(
        "SELECT (SELECT count(*) FROM snapshots) + "
        "(SELECT count(*) FROM poll_errors)");
    EXPECT_LE(remaining - now_rows, 2);
    remaining = now_rows;
    if (*more == MaintainProgress::kDone) break;
    ASSERT_LT(steps, 50);
  }
  // old and unwatched: 4 old snapshots + 4 errors each = 16 rows at 2 per step.
  EXPECT_GE(steps, 8);
  EXPECT_EQ(total - remaining, 16);
  EXPECT_EQ(db.Rows("SELECT operation_id, status FROM snapshots WHERE operation_id IN "
                    "('old', 'unwatched') ORDER BY id"),
            (std::vector<std::string>{"old|Succeeded", "unwatched|Failed"}));
  EXPECT_EQ(db.Int("SELECT count(*) FROM poll_errors WHERE operation_id IN ('old', 'unwatched')"),
            0);
  EXPECT_EQ(db.Int("SELECT count(*) FROM snapshots WHERE operation_id = 'active'"), 4);
  EXPECT_EQ(db.Int("SELECT count(*) FROM snapshots WHERE operation_id = 'recent'"), 5);
  // The counters are history too: they stay.
  EXPECT_EQ(db.Int("SELECT errors FROM operations WHERE operation_id = 'old'"), 4);
  // Nothing left: a further step is a no-op.
  auto more = store->Maintain(now);
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(*more, MaintainProgress::kDone);
}

TEST(SqliteStoreTest, NoRetentionKeepsEverything) {
  TempDir dir;
  const auto path = dir.File("ops.db");
  auto store = MustOpen(path);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store
                  ->Write({SnapshotRecord(Dev("a"), T(0), "Running", Body("a", "Running")),
                           SnapshotRecord(Dev("a"), T(1), "Failed", Body("a", "Failed"),
                                          OperationState::kTerminal)})
                  .ok());
  auto more = store->Maintain(T(0) + std::chrono::hours(24 * 365 * 10));
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(*more, MaintainProgress::kDone);
  RawDb db(path);
  EXPECT_EQ(db.Int("SELECT count(*) FROM snapshots"), 2);
}

TEST(SqliteStoreTest, ResumeLoadsEveryOperationAfterReopen) {
  TempDir dir;
  const auto path = dir.File("ops.db");
  {
    auto store = MustOpen(path);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->SetWatchList({Dev("a"), Upd("b"), Dev("c")}, T(0)).ok());
    ASSERT_TRUE(store
                    ->Write({SnapshotRecord(Dev("a"), T(1), "Running", Body("a", "Running")),
                             SnapshotRecord(Upd("b"), T(2), "Succeeded", Body("b", "Succeeded"),
                                            OperationState::kTerminal),
                             UnchangedRecord(Dev("a"), T(3)),
                             FailedRecord(Dev("c"), T(4), ErrorCategory::kHttp, 404, "NotFound",
                                          "no such operation")})
                    .ok());
    ASSERT_TRUE(store->SetWatchList({Dev("a"), Upd("b")}, T(5)).ok());
  }
  auto store = MustOpen(path);
  ASSERT_TRUE(store);
  auto ops = store->LoadOperations();
  ASSERT_TRUE(ops.ok()) << ops.error();
  ASSERT_EQ(ops->size(), 3u);
  const OperationRecord& a = (*ops)[0];
  EXPECT_EQ(a.key, Dev("a"));
  EXPECT_EQ(a.status, "Running");
  EXPECT_EQ(a.etag, "\"a-Running\"");
  EXPECT_EQ(a.state, OperationState::kActive);
  EXPECT_EQ(a.first_seen_at, T(0));
  EXPECT_EQ(a.last_polled_at, T(3));
  EXPECT_EQ(a.last_changed_at, T(1));
  EXPECT_EQ(a.next_poll_at, T(33));
  EXPECT_EQ(a.polls, 2);
  EXPECT_EQ(a.not_modified, 1);
  EXPECT_EQ(a.errors, 0);
  EXPECT_EQ(a.last_error, std::nullopt);
  const OperationRecord& c = (*ops)[1];
  EXPECT_EQ(c.key, Dev("c"));
  EXPECT_EQ(c.state, OperationState::kUnwatched);
  EXPECT_EQ(c.status, std::nullopt);
  EXPECT_EQ(c.etag, std::nullopt);
  EXPECT_EQ(c.errors, 1);
  EXPECT_EQ(c.last_error, "http 404 NotFound: no such operation");
  const OperationRecord& b = (*ops)[2];
  EXPECT_EQ(b.key, Upd("b"));
  EXPECT_EQ(b.state, OperationState::kTerminal);
  EXPECT_EQ(b.status, "Succeeded");
  EXPECT_EQ(b.next_poll_at, T(32));
}

TEST(SqliteStoreTest, SetWatchListInsertsUnwatchesAndReactivates) {
  TempDir dir;
  const auto path = dir.File("ops.db");
  auto store = MustOpen(path);
  ASSERT_TRUE(store);
  RawDb db(path);
  auto states = [&] {
    return db.Rows(
        "SELECT kind, operation_id, state, first_seen_at FROM operations "
        "ORDER BY kind, operation_id");
  };
  ASSERT_TRUE(store->SetWatchList({Dev("a"), Dev("b")}, T(0)).ok());
  EXPECT_EQ(states(), (std::vector<std::string>{"device|a|active|2026-11-27T08:00:00.000Z",
                                                "device|b|active|2026-11-27T08:00:00.000Z"}));
  ASSERT_TRUE(store
                  ->Write({SnapshotRecord(Dev("a"), T(1), "Succeeded", Body("a", "Succeeded"),
                                          OperationState::kTerminal)})
                  .ok());
  ASSERT_TRUE(store->SetWatchList({Dev("a"), Upd("c")}, T(10)).ok());
  EXPECT_EQ(states(), (std::vector<std::string>{"device|a|terminal|2026-11-27T08:00:00.000Z",
                                                "device|b|unwatched|2026-11-27T08:00:00.000Z",
                                                "update|c|active|2026-11-27T08:00:10.000Z"}));
  ASSERT_TRUE(store->SetWatchList({Dev("b"), Dev("a")}, T(20)).ok());
  EXPECT_EQ(states(), (std::vector<std::string>{"device|a|terminal|2026-11-27T08:00:00.000Z",
                                                "device|b|active|2026-11-27T08:00:00.000Z",
                                                "update|c|unwatched|2026-11-27T08:00:10.000Z"}));
  ASSERT_TRUE(store->SetWatchList(std::vector<OperationKey>{}, T(30)).ok());
  EXPECT_EQ(db.Int("SELECT count(*) FROM operations WHERE state = 'unwatched'"), 3);
}

}  // namespace
}  // namespace adu::storage

namespace adu::storage {
namespace {

using namespace adu::storage::testing;

// operations.origin (schema v4): written as the watch list gives it, read back on resume and by
// `status`; the same key seen by discovery after the watch list named it stays `config`.
TEST(SqliteStoreOriginTest, WatchListOriginsAreWrittenAndReadBack) {
  TempDir dir;
  const auto path = dir.File("ops.db");
  auto store = MustOpen(path);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store
                  ->SetWatchList({{Dev("named"), OperationOrigin::kConfig},
                                  {Dev("filed"), OperationOrigin::kWatchFile},
                                  {Upd("found"), OperationOrigin::kDiscovered}},
                                 T(0))
                  .ok());
  ASSERT_TRUE(
      store->Write({SnapshotRecord(Upd("found"), T(1), "Running", Body("found", "R"))}).ok());
  RawDb db(path);
  EXPECT_EQ(db.Rows("SELECT kind, operation_id, origin FROM operations ORDER BY operation_id"),
            (std::vector<std::string>{"device|filed|watch_file", "update|found|discovered",
                                      "device|named|config"}));
  // The watch file now names the discovered one: it is no longer "discovered".
  ASSERT_TRUE(store
                  ->SetWatchList({{Dev("named"), OperationOrigin::kConfig},
                                  {Upd("found"), OperationOrigin::kWatchFile}},
                                 T(2))
                  .ok());
  store.reset();
  store = MustOpen(path);
  auto records = store->LoadOperations();
  ASSERT_TRUE(records.ok()) << records.error();
  std::map<std::string, OperationOrigin> origins;
  for (const auto& r : *records) origins[r.key.id] = r.origin;
  EXPECT_EQ(origins["named"], OperationOrigin::kConfig);
  EXPECT_EQ(origins["filed"], OperationOrigin::kWatchFile);  // unwatched, origin kept
  EXPECT_EQ(origins["found"], OperationOrigin::kWatchFile);
  auto status = LoadStatus(path);
  ASSERT_TRUE(status.ok()) << status.error();
  std::map<std::string, std::string> shown;
  for (const auto& row : *status) shown[row.operation_id] = row.origin;
  EXPECT_EQ(shown["found"], "watch_file");
  EXPECT_EQ(shown["named"], "config");
}

TEST(SqliteStoreOriginTest, StatusOfADatabaseBeforeTheOriginColumnReadsConfig) {
  TempDir dir;
  const auto path = dir.File("ops.db");
  CreateDatabaseAtVersion(path, 3);
  {
    RawDb db(path);
    ASSERT_EQ(db.Exec("INSERT INTO operations (operation_id, kind, state, first_seen_at) VALUES "
                      "('old', 'device', 'active', '2026-11-27T08:00:00.000Z')"),
              SQLITE_OK);
  }
  auto status = LoadStatus(path);
  ASSERT_TRUE(status.ok()) << status.error();
  ASSERT_EQ(status->size(), 1u);
  EXPECT_EQ(status->front().origin, "config");
}

}  // namespace
}  // namespace adu::storage
