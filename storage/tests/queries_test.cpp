// What `adu-opwatch status` and `adu-opwatch history` read (rendering:
// daemon/tests/render_test.cpp).
#include "adu/storage/queries.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "adu/storage/sqlite_store.h"
#include "test_util.h"

namespace adu::storage {
namespace {

using namespace adu::storage::testing;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class QueriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("ops.db");
    auto store = SqliteStore::Open(path_, {});
    ASSERT_TRUE(store.ok()) << store.error();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->SetWatchList({Dev("11111111-aaaa"), Upd("u-2"), Dev("weird")}, T(0)).ok());
    ASSERT_TRUE(store_
                    ->Write({SnapshotRecord(Dev("11111111-aaaa"), T(1), "NotStarted",
                                            Body("11111111-aaaa", "NotStarted")),
                             SnapshotRecord(Upd("u-2"), T(1), "Running", Body("u-2", "Running"))})
                    .ok());
    ASSERT_TRUE(
        store_
            ->Write({SnapshotRecord(Dev("11111111-aaaa"), T(61), "Succeeded",
                                    Body("11111111-aaaa", "Succeeded"), OperationState::kTerminal),
                     FailedRecord(Upd("u-2"), T(62), ErrorCategory::kHttp, 500, "Boom",
                                  "said \"no\"\n")})
            .ok());
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(QueriesTest, StatusReturnsEveryColumnOrderedByKindThenId) {
  auto ops = LoadStatus(path_);
  ASSERT_TRUE(ops.ok()) << ops.error();
  ASSERT_EQ(ops->size(), 3u);
  const OperationRow& done = (*ops)[0];
  EXPECT_EQ(done.operation_id, "11111111-aaaa");
  EXPECT_EQ(done.kind, "device");
  EXPECT_EQ(done.status, "Succeeded");
  EXPECT_EQ(done.etag, "\"11111111-aaaa-Succeeded\"");
  EXPECT_EQ(done.state, "terminal");
  EXPECT_EQ(done.first_seen_at, "2026-11-27T08:00:00.000Z");
  EXPECT_EQ(done.last_polled_at, "2026-11-27T08:01:01.000Z");
  EXPECT_EQ(done.last_changed_at, "2026-11-27T08:01:01.000Z");
  EXPECT_EQ(done.next_poll_at, "2026-11-27T08:01:31.000Z");
  EXPECT_EQ(done.polls, 2);
  EXPECT_EQ(done.not_modified, 0);
  EXPECT_EQ(done.errors, 0);
  EXPECT_EQ(done.last_error, std::nullopt);
  const OperationRow& weird = (*ops)[1];
  EXPECT_EQ(weird.operation_id, "weird");
  EXPECT_EQ(weird.status, std::nullopt);
  EXPECT_EQ(weird.state, "active");
  const OperationRow& running = (*ops)[2];
  EXPECT_EQ(running.operation_id, "u-2");
  EXPECT_EQ(running.kind, "update");
  EXPECT_EQ(running.last_changed_at, "2026-11-27T08:00:01.000Z");
  EXPECT_EQ(running.last_polled_at, "2026-11-27T08:01:02.000Z");
  EXPECT_EQ(running.errors, 1);
  EXPECT_EQ(running.last_error, "http 500 Boom: said \"no\"\n");
}

TEST_F(QueriesTest, StringsComeBackExactly) {
  auto bad = SnapshotRecord(Dev("weird"), T(5), "Run\x1b[2Jning\tx", "{}");
  std::get<Changed>(bad.outcome).snapshot.error_message = std::string("bad utf8 \xff\xfe end");
  ASSERT_TRUE(store_->Write({bad}).ok());
  auto ops = LoadStatus(path_);
  ASSERT_TRUE(ops.ok()) << ops.error();
  EXPECT_EQ((*ops)[1].status, "Run\x1b[2Jning\tx");
  auto h = LoadHistory(path_, Dev("weird"), false);
  ASSERT_TRUE(h.ok()) << h.error();
  ASSERT_EQ(h->snapshots.size(), 1u);
  EXPECT_EQ(h->snapshots[0].error_message, std::string("bad utf8 \xff\xfe end"));
}

TEST_F(QueriesTest, HistoryHasTransitionsSnapshotsAndErrors) {
  auto h = LoadHistory(path_, Dev("11111111-aaaa"), true);
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h->operation.operation_id, "11111111-aaaa");
  EXPECT_EQ(h->operation.status, "Succeeded");
  ASSERT_EQ(h->transitions.size(), 2u);
  EXPECT_EQ(h->transitions[0].from_status, std::nullopt);
  EXPECT_EQ(h->transitions[0].to_status, "NotStarted");
  EXPECT_EQ(h->transitions[0].at, "2026-11-27T08:00:01.000Z");
  EXPECT_EQ(h->transitions[1].from_status, "NotStarted");
  EXPECT_EQ(h->transitions[1].to_status, "Succeeded");
  ASSERT_EQ(h->snapshots.size(), 2u);
  EXPECT_EQ(h->snapshots[0].id, 1);
  EXPECT_EQ(h->snapshots[0].observed_at, "2026-11-27T08:00:01.000Z");
  EXPECT_EQ(h->snapshots[0].status, "NotStarted");
  EXPECT_THAT(*h->snapshots[0].body, StartsWith("{\"operationId\":\"11111111-aaaa\""));
  EXPECT_TRUE(h->poll_errors.empty());

  auto upd = LoadHistory(path_, Upd("u-2"), false);
  ASSERT_TRUE(upd.ok()) << upd.error();
  ASSERT_EQ(upd->poll_errors.size(), 1u);
  const PollErrorRow& e = upd->poll_errors[0];
  EXPECT_EQ(e.at, "2026-11-27T08:01:02.000Z");
  EXPECT_EQ(e.category, "http");
  EXPECT_EQ(e.http_status, 500);
  EXPECT_EQ(e.code, "Boom");
  EXPECT_EQ(e.message, "said \"no\"\n");
}

TEST_F(QueriesTest, KindSelectionAndUnknownOperations) {
  auto wrong_kind = LoadHistory(path_, Upd("11111111-aaaa"), false);
  ASSERT_FALSE(wrong_kind.ok());
  EXPECT_TRUE(wrong_kind.status().IsNotFound());
  EXPECT_THAT(wrong_kind.error(),
              HasSubstr("operation 11111111-aaaa is not in the database as an update operation"));
  auto any = LoadHistory(path_, Upd("11111111-aaaa"), true);
  EXPECT_TRUE(any.ok());
  auto unknown = LoadHistory(path_, Dev("nope"), true);
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(unknown.status().IsNotFound());
  EXPECT_THAT(unknown.error(), HasSubstr("operation nope is not in the database"));
  // The same ID in both kinds: without --kind the user must choose.
  ASSERT_TRUE(store_->SetWatchList({Dev("u-2"), Upd("u-2")}, T(100)).ok());
  auto both = LoadHistory(path_, Dev("u-2"), true);
  ASSERT_FALSE(both.ok());
  EXPECT_THAT(both.error(), HasSubstr("--kind"));
  EXPECT_TRUE(LoadHistory(path_, Dev("u-2"), false).ok());
}

TEST(QueriesFileTest, MissingDatabaseIsNotCreated) {
  TempDir dir;
  const auto path = dir.File("missing.db");
  auto out = LoadStatus(path);
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(out.status().IsNotFound());
  EXPECT_EQ(out.error(), "database " + path + " does not exist (has the daemon run yet?)");
  auto hist = LoadHistory(path, Dev("x"), true);
  ASSERT_FALSE(hist.ok());
  EXPECT_TRUE(hist.status().IsNotFound());
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(QueriesFileTest, EmptyDatabaseAndOddPaths) {
  TempDir dir;
  // A path with URI-special characters must not be taken for URI parameters.
  const auto path = dir.File("odd ?name#%20.db");
  {
    auto store = SqliteStore::Open(path, {});
    ASSERT_TRUE(store.ok()) << store.error();
  }
  auto out = LoadStatus(path);
  ASSERT_TRUE(out.ok()) << out.error();
  EXPECT_TRUE(out->empty());
  // A file that is not ours.
  const auto other = dir.File("other.db");
  {
    RawDb raw(other);
    raw.Exec("CREATE TABLE t (x)");
  }
  auto refused = LoadStatus(other);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().IsCorrupt());
  EXPECT_THAT(refused.error(), HasSubstr("no adu-opwatch schema"));
}

TEST_F(QueriesTest, WorksWhileAWriterHoldsTheLock) {
  RawDb shell(path_);
  ASSERT_EQ(shell.Exec("BEGIN IMMEDIATE"), SQLITE_OK);
  ASSERT_EQ(shell.Exec("UPDATE operations SET status = 'Uncommitted'"), SQLITE_OK);
  auto out = LoadStatus(path_);
  ASSERT_TRUE(out.ok()) << out.error();
  for (const auto& op : *out) EXPECT_NE(op.status, "Uncommitted");
  EXPECT_TRUE(LoadHistory(path_, Upd("u-2"), false).ok());
  shell.Exec("ROLLBACK");
}

}  // namespace
}  // namespace adu::storage
