// What `adu-opwatch status` and `adu-opwatch history` print.
#include "adu/storage/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "adu/storage/sqlite_store.h"
#include "test_util.h"

namespace adu::storage {
namespace {

using namespace adu::storage::testing;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class ReportTest : public ::testing::Test {
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

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

TEST_F(ReportTest, StatusTableIsAligned) {
  auto out = RenderStatus(path_, false);
  ASSERT_TRUE(out.ok()) << out.error();
  const auto lines = Lines(*out);
  ASSERT_EQ(lines.size(), 4u) << *out;
  EXPECT_EQ(lines[0],
            "ID             KIND    STATUS     STATE     LAST CHANGE (UTC)    LAST POLL (UTC)      "
            "ERRORS");
  EXPECT_EQ(
      lines[1],
      "11111111-aaaa  device  Succeeded  terminal  2026-11-27 08:01:01  2026-11-27 08:01:01  0");
  EXPECT_EQ(
      lines[2],
      "weird          device  -          active    -                    -                    0");
  EXPECT_EQ(
      lines[3],
      "u-2            update  Running    active    2026-11-27 08:00:01  2026-11-27 08:01:02  1");
}

TEST_F(ReportTest, StatusJsonCarriesEveryColumnEscaped) {
  auto out = RenderStatus(path_, true);
  ASSERT_TRUE(out.ok()) << out.error();
  EXPECT_THAT(*out,
              StartsWith("[{\"operation_id\":\"11111111-aaaa\",\"kind\":\"device\","
                         "\"status\":\"Succeeded\",\"etag\":\"\\\"11111111-aaaa-Succeeded\\\"\","
                         "\"state\":\"terminal\",\"first_seen_at\":\"2026-11-27T08:00:00.000Z\","
                         "\"last_polled_at\":\"2026-11-27T08:01:01.000Z\","
                         "\"last_changed_at\":\"2026-11-27T08:01:01.000Z\","
                         "\"next_poll_at\":\"2026-11-27T08:01:31.000Z\",\"polls\":2,"
                         "\"not_modified\":0,\"errors\":0,\"last_error\":null},"));
  EXPECT_THAT(*out, HasSubstr("\"last_error\":\"http 500 Boom: said \\\"no\\\"\\n\"}]"));
  EXPECT_THAT(*out, HasSubstr("{\"operation_id\":\"weird\",\"kind\":\"device\",\"status\":null,"));
}

TEST_F(ReportTest, HostileStringsCannotBreakTheTableOrTheJson) {
  auto bad = SnapshotRecord(Dev("weird"), T(5), "Run\x1b[2Jning\tx", "{}");
  std::get<Changed>(bad.outcome).snapshot.error_message = std::string("bad utf8 \xff\xfe end");
  ASSERT_TRUE(store_->Write({bad}).ok());
  auto table = RenderStatus(path_, false);
  ASSERT_TRUE(table.ok());
  EXPECT_THAT(*table, HasSubstr("Run?[2Jning?x"));
  EXPECT_EQ(table->find('\x1b'), std::string::npos);
  auto json = RenderHistory(path_, Dev("weird"), true, false);
  ASSERT_TRUE(json.ok()) << json.error();
  EXPECT_THAT(*json, HasSubstr("\"status\":\"Run\\u001b[2Jning\\tx\""));
  EXPECT_THAT(*json, HasSubstr("\"error_message\":\"bad utf8 \\ufffd\\ufffd end\""));
}

TEST_F(ReportTest, HistoryShowsTransitionsSnapshotsAndErrors) {
  auto out = RenderHistory(path_, Dev("11111111-aaaa"), false, true);
  ASSERT_TRUE(out.ok()) << out.error();
  EXPECT_THAT(*out, StartsWith("device operation 11111111-aaaa\n  status       Succeeded\n"));
  EXPECT_THAT(*out, HasSubstr("Transitions\n"
                              "  AT (UTC)                  FROM        TO\n"
                              "  2026-11-27T08:00:01.000Z  -           NotStarted\n"
                              "  2026-11-27T08:01:01.000Z  NotStarted  Succeeded\n"));
  EXPECT_THAT(*out, HasSubstr("\nSnapshots\n  ID  OBSERVED (UTC)"));
  EXPECT_THAT(*out, HasSubstr("Poll errors\n  (none)\n"));

  auto upd = RenderHistory(path_, Upd("u-2"), false, false);
  ASSERT_TRUE(upd.ok()) << upd.error();
  EXPECT_THAT(*upd, HasSubstr("  2026-11-27T08:01:02.000Z  http      500   Boom  said \"no\"?\n"));
}

TEST_F(ReportTest, HistoryJson) {
  auto out = RenderHistory(path_, Dev("11111111-aaaa"), true, false);
  ASSERT_TRUE(out.ok()) << out.error();
  EXPECT_THAT(*out, StartsWith("{\"operation_id\":\"11111111-aaaa\",\"kind\":\"device\""));
  EXPECT_THAT(*out,
              HasSubstr("\"transitions\":[{\"from_status\":null,\"to_status\":\"NotStarted\","
                        "\"at\":\"2026-11-27T08:00:01.000Z\"},{\"from_status\":\"NotStarted\","
                        "\"to_status\":\"Succeeded\",\"at\":\"2026-11-27T08:01:01.000Z\"}]"));
  EXPECT_THAT(*out,
              HasSubstr("\"snapshots\":[{\"id\":1,\"observed_at\":\"2026-11-27T08:00:01.000Z\","
                        "\"status\":\"NotStarted\""));
  // The body is kept exactly, as a JSON string.
  EXPECT_THAT(*out, HasSubstr("\"body\":\"{\\\"operationId\\\":\\\"11111111-aaaa\\\""));
  EXPECT_THAT(*out, HasSubstr("\"poll_errors\":[]}"));
}

TEST_F(ReportTest, KindSelectionAndUnknownOperations) {
  auto wrong_kind = RenderHistory(path_, Upd("11111111-aaaa"), false, false);
  ASSERT_FALSE(wrong_kind.ok());
  EXPECT_THAT(wrong_kind.error(),
              HasSubstr("operation 11111111-aaaa is not in the database as an update operation"));
  auto any = RenderHistory(path_, Upd("11111111-aaaa"), false, true);
  EXPECT_TRUE(any.ok());
  auto unknown = RenderHistory(path_, Dev("nope"), true, true);
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.error(), HasSubstr("operation nope is not in the database"));
  // The same ID in both kinds: without --kind the user must choose.
  ASSERT_TRUE(store_->SetWatchList({Dev("u-2"), Upd("u-2")}, T(100)).ok());
  auto both = RenderHistory(path_, Dev("u-2"), false, true);
  ASSERT_FALSE(both.ok());
  EXPECT_THAT(both.error(), HasSubstr("--kind"));
  EXPECT_TRUE(RenderHistory(path_, Dev("u-2"), false, false).ok());
}

TEST(ReportFileTest, MissingDatabaseIsNotCreated) {
  TempDir dir;
  const auto path = dir.File("missing.db");
  auto out = RenderStatus(path, false);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error(), "database " + path + " does not exist (has the daemon run yet?)");
  auto hist = RenderHistory(path, Dev("x"), false, true);
  ASSERT_FALSE(hist.ok());
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(ReportFileTest, EmptyDatabaseAndOddPaths) {
  TempDir dir;
  // A path with URI-special characters must not be taken for URI parameters.
  const auto path = dir.File("odd ?name#%20.db");
  {
    auto store = SqliteStore::Open(path, {});
    ASSERT_TRUE(store.ok()) << store.error();
  }
  auto out = RenderStatus(path, false);
  ASSERT_TRUE(out.ok()) << out.error();
  EXPECT_THAT(*out, HasSubstr("(no operations in the database yet)"));
  auto json = RenderStatus(path, true);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json, "[]\n");
  // A file that is not ours.
  const auto other = dir.File("other.db");
  {
    RawDb raw(other);
    raw.Exec("CREATE TABLE t (x)");
  }
  auto refused = RenderStatus(other, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error(), HasSubstr("no adu-opwatch schema"));
}

TEST_F(ReportTest, WorksWhileAWriterHoldsTheLock) {
  RawDb shell(path_);
  ASSERT_EQ(shell.Exec("BEGIN IMMEDIATE"), SQLITE_OK);
  ASSERT_EQ(shell.Exec("UPDATE operations SET status = 'Uncommitted'"), SQLITE_OK);
  auto out = RenderStatus(path_, false);
  ASSERT_TRUE(out.ok()) << out.error();
  EXPECT_THAT(*out, Not(HasSubstr("Uncommitted")));
  EXPECT_TRUE(RenderHistory(path_, Upd("u-2"), true, false).ok());
  shell.Exec("ROLLBACK");
}

}  // namespace
}  // namespace adu::storage
