// The notifications outbox: rows written with their snapshot (routing, event ids, only new
// history for a new target), and SqliteOutbox's reads and updates.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "adu/core/time_format.h"
#include "adu/storage/sqlite_outbox.h"
#include "adu/storage/sqlite_store.h"
#include "test_util.h"

namespace adu::storage {
namespace {

using namespace adu::storage::testing;
using namespace std::chrono_literals;

NotifyRouting Routing(std::vector<NotifyRoute> routes) { return {"blue", std::move(routes)}; }

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("ops.db");
    auto store = SqliteStore::Open(path_, {});
    ASSERT_TRUE(store.ok()) << store.error();
    store_ = std::move(*store);
    auto outbox = SqliteOutbox::Open(path_, 1000ms);
    ASSERT_TRUE(outbox.ok()) << outbox.error();
    outbox_ = std::move(*outbox);
  }
  void Snap(const std::string& id, const std::string& status, double at, const std::string& tag) {
    ASSERT_TRUE(
        store_->Write({SnapshotRecord(Dev(id), T(at), status, Body(id, status, tag))}).ok());
  }
  std::vector<std::string> Rows() {
    RawDb db(path_);
    return db.Rows(
        "SELECT event_id, target, snapshot_id, state, attempts FROM notifications ORDER BY id");
  }
  TempDir dir_;
  std::string path_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<SqliteOutbox> outbox_;
};

TEST_F(OutboxTest, OneRowPerTransitionAndMatchingTargetInTheSnapshotsTransaction) {
  store_->SetNotifyRouting(Routing({{"all", {}, true}, {"ends", {"succeeded", "Failed"}, false}}));
  int listened = 0;
  store_->SetOutboxListener([&] { ++listened; });
  Snap("a", "Running", 0, "1");    // first seen: only [any]
  Snap("a", "Running", 1, "2");    // same status, new body: not a transition
  Snap("a", "Succeeded", 2, "3");  // both (case-insensitive match)
  EXPECT_EQ(Rows(), (std::vector<std::string>{"blue:1|all|1|pending|0", "blue:3|all|3|pending|0",
                                              "blue:3|ends|3|pending|0"}));
  EXPECT_EQ(listened, 2);
  RawDb db(path_);
  // Exactly the transitions view, per target.
  EXPECT_EQ(db.Rows("SELECT snapshot_id FROM transitions ORDER BY snapshot_id"),
            (std::vector<std::string>{"1", "3"}));
}

TEST_F(OutboxTest, NoRoutingNoRowsAndANewTargetGetsOnlyWhatComesAfterIt) {
  Snap("a", "Running", 0, "1");
  EXPECT_TRUE(Rows().empty());
  store_->SetNotifyRouting(Routing({{"late", {}, true}}));
  Snap("a", "Failed", 1, "2");
  EXPECT_EQ(Rows(), (std::vector<std::string>{"blue:2|late|2|pending|0"}));
}

TEST_F(OutboxTest, AFailedBatchWritesNoOutboxRow) {
  store_->SetNotifyRouting(Routing({{"all", {}, true}}));
  RawDb blocker(path_);
  ASSERT_EQ(blocker.Exec("BEGIN IMMEDIATE"), SQLITE_OK);
  auto store = SqliteStore::Open(path_, {.busy_timeout = 50ms});
  ASSERT_TRUE(store.ok());
  (*store)->SetNotifyRouting(Routing({{"all", {}, true}}));
  EXPECT_FALSE((*store)->Write({SnapshotRecord(Dev("a"), T(0), "Running", Body("a", "R"))}).ok());
  ASSERT_EQ(blocker.Exec("COMMIT"), SQLITE_OK);
  EXPECT_TRUE(Rows().empty());
}

TEST_F(OutboxTest, PendingJoinsTheTransitionInOrder) {
  store_->SetNotifyRouting(Routing({{"all", {}, true}}));
  Snap("a", "Running", 0, "1");
  Snap("b", "Running", 1, "1");
  Snap("a", "Failed", 2, "2");
  auto pending = outbox_->Pending("all", 10);
  ASSERT_TRUE(pending.ok()) << pending.error();
  ASSERT_EQ(pending->size(), 3u);
  const auto& first = (*pending)[0];
  EXPECT_EQ(first.event.event_id, "blue:1");
  EXPECT_EQ(first.event.instance_id, "blue");
  EXPECT_EQ(first.event.key, Dev("a"));
  EXPECT_EQ(first.event.from_status, std::nullopt);
  EXPECT_EQ(first.event.to_status, "Running");
  EXPECT_EQ(first.event.snapshot_body, Body("a", "Running", "1"));
  EXPECT_EQ(first.event.observed_at, FormatTimestamp(T(0)));
  EXPECT_EQ(first.created_at, T(0));
  EXPECT_TRUE(first.snapshot_stored);
  const auto& third = (*pending)[2];
  EXPECT_EQ(third.event.event_id, "blue:3");
  EXPECT_EQ(third.event.from_status, "Running");
  EXPECT_EQ(third.event.to_status, "Failed");
  EXPECT_EQ(outbox_->Pending("all", 2)->size(), 2u);
  EXPECT_TRUE(outbox_->Pending("other", 10)->empty());
}

TEST_F(OutboxTest, MarksAndCounts) {
  store_->SetNotifyRouting(Routing({{"x", {}, true}, {"y", {}, true}}));
  Snap("a", "Running", 0, "1");
  Snap("b", "Running", 0, "1");
  Snap("c", "Running", 0, "1");
  auto x = *outbox_->Pending("x", 10);
  ASSERT_EQ(x.size(), 3u);
  ASSERT_TRUE(outbox_->MarkDelivered(x[0].id, 1, T(5)).ok());
  ASSERT_TRUE(outbox_->MarkRetry(x[1].id, 2, T(60), "HTTP 503").ok());
  ASSERT_TRUE(outbox_->MarkAbandoned(x[2].id, 1, "HTTP 400").ok());
  ASSERT_TRUE(outbox_->AbandonTarget("y", "target removed").ok());
  RawDb db(path_);
  EXPECT_EQ(db.Rows("SELECT target, state, attempts, next_attempt_at, last_error, delivered_at "
                    "FROM notifications ORDER BY target, id"),
            (std::vector<std::string>{
                "x|delivered|1|" + FormatTimestamp(T(0)) + "|NULL|" + FormatTimestamp(T(5)),
                "x|pending|2|" + FormatTimestamp(T(60)) + "|HTTP 503|NULL",
                "x|abandoned|1|" + FormatTimestamp(T(0)) + "|HTTP 400|NULL",
                "y|abandoned|0|" + FormatTimestamp(T(0)) + "|target removed|NULL",
                "y|abandoned|0|" + FormatTimestamp(T(0)) + "|target removed|NULL",
                "y|abandoned|0|" + FormatTimestamp(T(0)) + "|target removed|NULL"}));
  // A row no longer pending is not changed again (a late verdict after removal).
  ASSERT_TRUE(outbox_->MarkDelivered(x[2].id, 9, T(9)).ok());
  EXPECT_EQ(db.Text("SELECT state FROM notifications WHERE id = " + std::to_string(x[2].id)),
            "abandoned");
  auto counts = outbox_->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(*counts, (std::vector<OutboxCount>{{"x", "abandoned", 1},
                                               {"x", "delivered", 1},
                                               {"x", "pending", 1},
                                               {"y", "abandoned", 3}}));
}

TEST_F(OutboxTest, APrunedSnapshotIsReportedNotStuck) {
  store_->SetNotifyRouting(Routing({{"x", {}, true}}));
  Snap("a", "Running", 0, "1");
  RawDb db(path_);
  ASSERT_EQ(db.Exec("DELETE FROM snapshots"), SQLITE_OK);
  auto pending = outbox_->Pending("x", 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_FALSE((*pending)[0].snapshot_stored);
  EXPECT_EQ((*pending)[0].event.event_id, "blue:1");
}

TEST(RouteMatchesTest, StatusesAnyAndNoStatus) {
  EXPECT_TRUE(RouteMatches({"t", {}, true}, std::nullopt));
  EXPECT_TRUE(RouteMatches({"t", {"Failed"}, false}, "failed"));
  EXPECT_FALSE(RouteMatches({"t", {"Failed"}, false}, "Succeeded"));
  EXPECT_FALSE(RouteMatches({"t", {"Failed"}, false}, std::nullopt));
  EXPECT_EQ(NotificationEventId("blue", 42), "blue:42");
}

}  // namespace
}  // namespace adu::storage
