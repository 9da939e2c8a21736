// docs/database.md is part of the interface: every example query in it runs here against a
// populated database and must return what the text says; every column is documented.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <numeric>
#include <set>
#include <sstream>

#include "adu/core/time_format.h"
#include "adu/storage/sqlite_store.h"
#include "test_util.h"

namespace adu::storage {
namespace {

using namespace adu::storage::testing;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;
using Rows = std::vector<std::string>;

struct DocQuery {
  std::string name;
  std::string sql;
};

std::vector<DocQuery> ExtractQueries(const std::string& markdown) {
  std::vector<DocQuery> out;
  std::istringstream in(markdown);
  std::string line;
  bool in_sql = false;
  DocQuery current;
  while (std::getline(in, line)) {
    if (!in_sql && line == "```sql") {
      in_sql = true;
      current = {};
    } else if (in_sql && line == "```") {
      in_sql = false;
      out.push_back(current);
    } else if (in_sql) {
      const std::string marker = "-- query: ";
      if (current.name.empty() && current.sql.empty() && line.rfind(marker, 0) == 0) {
        current.name = line.substr(marker.size());
      } else {
        current.sql += line + "\n";
      }
    }
  }
  return out;
}

// Times relative to the real clock: the documented queries use 'now'.
class DocsQueriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("ops.db");
    auto opened = SqliteStore::Open(path_, {});
    ASSERT_TRUE(opened.ok()) << opened.error();
    auto& store = *opened;
    now_ = std::chrono::system_clock::now();
    auto ago = [&](int minutes) { return now_ - std::chrono::minutes(minutes); };

    const std::vector<OperationKey> watched = {Dev("imp-ok"), Dev("imp-fail"), Upd("upd-run"),
                                               Dev("stale"), Upd("gone")};
    std::vector<OperationKey> with_removed = watched;
    with_removed.push_back(Dev("removed"));
    ASSERT_TRUE(store->SetWatchList(with_removed, ago(4 * 24 * 60)).ok());
    ASSERT_TRUE(store->SetWatchList(watched, ago(4 * 24 * 60 - 1)).ok());

    // Succeeded 30 minutes after NotStarted, two and a half hours ago.
    ASSERT_TRUE(
        store
            ->Write({SnapshotRecord(Dev("imp-ok"), ago(180), "NotStarted",
                                    Body("imp-ok", "NotStarted")),
                     SnapshotRecord(Dev("imp-ok"), ago(170), "Running", Body("imp-ok", "Running")),
                     SnapshotRecord(Dev("imp-ok"), ago(150), "Succeeded",
                                    Body("imp-ok", "Succeeded"), OperationState::kTerminal)})
            .ok());
    // Failed 20 minutes after NotStarted, earlier today (UTC) whatever the time of day.
    const auto since_midnight = now_ - std::chrono::floor<std::chrono::days>(now_);
    failed_at_ = now_ - std::min<std::chrono::system_clock::duration>(std::chrono::minutes(100),
                                                                      since_midnight / 2);
    ASSERT_TRUE(store
                    ->Write({SnapshotRecord(Dev("imp-fail"), failed_at_ - std::chrono::minutes(20),
                                            "NotStarted", Body("imp-fail", "NotStarted")),
                             SnapshotRecord(Dev("imp-fail"), failed_at_ - std::chrono::minutes(10),
                                            "Running", Body("imp-fail", "Running")),
                             SnapshotRecord(Dev("imp-fail"), failed_at_, "Failed",
                                            Body("imp-fail", "Failed"), OperationState::kTerminal)})
                    .ok());
    // In flight, with unchanged polls and two recent errors.
    ASSERT_TRUE(
        store
            ->Write({SnapshotRecord(Upd("upd-run"), ago(30), "NotStarted",
                                    Body("upd-run", "NotStarted")),
                     SnapshotRecord(Upd("upd-run"), ago(20), "Running", Body("upd-run", "Running")),
                     UnchangedRecord(Upd("upd-run"), ago(15)),
                     UnchangedRecord(Upd("upd-run"), ago(12)),
                     FailedRecord(Upd("upd-run"), ago(10), ErrorCategory::kHttp, 503,
                                  "ServiceUnavailable", "try again"),
                     UnchangedRecord(Upd("upd-run"), ago(8)),
                     FailedRecord(Upd("upd-run"), ago(5), ErrorCategory::kThrottled, 429,
                                  "TooManyRequests", "slow down")})
            .ok());
    // Running, but last heard of three days ago.
    ASSERT_TRUE(store
                    ->Write({SnapshotRecord(Dev("stale"), ago(3 * 24 * 60), "Running",
                                            Body("stale", "Running"))})
                    .ok());
    // The service does not know it.
    auto not_found = [&](int minutes) {
      auto r = FailedRecord(Upd("gone"), ago(minutes), ErrorCategory::kHttp, 404, "NotFound",
                            "no such operation");
      r.state = OperationState::kNotFound;
      return r;
    };
    ASSERT_TRUE(store->Write({not_found(2 * 24 * 60 + 1), not_found(2 * 24 * 60)}).ok());
  }

  std::string Ts(WallTime t) const { return FormatTimestamp(t); }

  TempDir dir_;
  std::string path_;
  WallTime now_;
  WallTime failed_at_;
};

TEST_F(DocsQueriesTest, EveryDocumentedQueryReturnsWhatTheDocsSay) {
  const std::string markdown = ReadFileBytes(ADU_DATABASE_MD);
  ASSERT_FALSE(markdown.empty()) << "cannot read " << ADU_DATABASE_MD;
  const auto queries = ExtractQueries(markdown);
  ASSERT_GE(queries.size(), 10u);

  const std::map<std::string, std::function<void(const Rows&)>> expectations = {
      {"running_now",
       [&](const Rows& r) {
         ASSERT_EQ(r.size(), 2u);
         EXPECT_THAT(r[0], StartsWith("device|stale|Running|"));
         EXPECT_THAT(r[1], StartsWith("update|upd-run|Running|"));
       }},
      {"failed_today",
       [&](const Rows& r) {
         EXPECT_THAT(r, ElementsAre("device|imp-fail|" + Ts(failed_at_) +
                                    "|ImportFailed|the manifest is invalid|trace-imp-fail"));
       }},
      {"time_to_terminal",
       [&](const Rows& r) {
         ASSERT_EQ(r.size(), 2u);
         EXPECT_THAT(r[0], StartsWith("device|imp-ok|"));
         EXPECT_THAT(r[0], HasSubstr("|1800.0"));
         EXPECT_THAT(r[1], StartsWith("device|imp-fail|"));
         EXPECT_THAT(r[1], HasSubstr("|1200.0"));
       }},
      {"errors_last_hour",
       [&](const Rows& r) {
         EXPECT_THAT(r, ElementsAre("update|upd-run|2|" + Ts(now_ - std::chrono::minutes(5))));
       }},
      {"transitions_last_24h",
       [&](const Rows& r) {
         ASSERT_EQ(r.size(), 8u);
         EXPECT_TRUE(std::is_sorted(r.begin(), r.end()));
         EXPECT_THAT(r.front(), HasSubstr("|device|imp-ok|NULL|NotStarted"));
         // Not necessarily the last row: shortly after midnight UTC imp-fail's Failed (placed
         // "earlier today") is later than upd-run's Running.
         EXPECT_THAT(r, Contains(HasSubstr("|update|upd-run|NotStarted|Running")));
       }},
      {"polls_and_unchanged_ratio",
       [&](const Rows& r) {
         ASSERT_EQ(r.size(), 5u);  // "removed" was never polled
         EXPECT_EQ(r[0], "update|upd-run|7|3|2|42.9");
         EXPECT_EQ(r[4], "device|stale|1|0|0|0.0");
       }},
      {"errors_by_category",
       [&](const Rows& r) {
         ASSERT_EQ(r.size(), 3u);
         EXPECT_THAT(r[0], StartsWith("http|404|2|"));
         EXPECT_THAT(r[1], StartsWith("http|503|1|"));
         EXPECT_THAT(r[2], StartsWith("throttled|429|1|"));
       }},
      {"latest_snapshot",
       [&](const Rows& r) {
         ASSERT_EQ(r.size(), 4u);
         EXPECT_THAT(r[0], StartsWith("device|imp-fail|Failed|" + Ts(failed_at_)));
         EXPECT_THAT(r[1], StartsWith("device|imp-ok|Succeeded|"));
         EXPECT_THAT(r[2], StartsWith("device|stale|Running|"));
         EXPECT_THAT(r[3], StartsWith("update|upd-run|Running|"));
       }},
      {"not_seen_for_a_while",
       [&](const Rows& r) {
         ASSERT_EQ(r.size(), 1u);
         EXPECT_THAT(r[0], StartsWith("device|stale|Running|"));
       }},
      {"not_found_or_unwatched",
       [&](const Rows& r) {
         EXPECT_THAT(r, ElementsAre("device|removed|unwatched|NULL|NULL",
                                    "update|gone|not_found|NULL|http 404 NotFound: no such "
                                    "operation"));
       }},
      {"failure_reasons",
       [&](const Rows& r) {
         EXPECT_THAT(r, ElementsAre("ImportFailed|1|the manifest is invalid"));
       }},
      {"errors_per_hour",
       [&](const Rows& r) {
         ASSERT_GE(r.size(), 1u);
         ASSERT_LE(r.size(), 2u);  // the two errors may straddle an hour boundary
         int total = 0;
         for (const auto& row : r) {
           EXPECT_THAT(row, MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:00Z\\|[12]"));
           total += std::stoi(row.substr(row.find('|') + 1));
         }
         EXPECT_EQ(total, 2);
       }},
      {"one_operation_history",
       [&](const Rows& r) {
         ASSERT_EQ(r.size(), 3u);
         EXPECT_THAT(r[0], HasSubstr("|NotStarted|\"imp-ok-NotStarted\"|"));
         EXPECT_THAT(r[2], HasSubstr("|Succeeded|"));
       }},
      {"raw_body_fields",
       [&](const Rows& r) {
         EXPECT_THAT(r, ElementsAre("upd-run|NotStarted|2026-11-27T08:00:00.1234567+00:00|"
                                    "2026-11-27T08:00:00.123Z",
                                    "upd-run|Running|2026-11-27T08:00:00.1234567+00:00|"
                                    "2026-11-27T08:00:00.123Z"));
       }},
  };

  // Opened as the docs tell users to: read-only, through the URI form.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(("file:" + path_ + "?mode=ro").c_str(), &raw,
                            SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr),
            SQLITE_OK);
  sqlite3_close_v2(raw);
  RawDb db(path_, /*read_only=*/true);

  std::set<std::string> seen;
  for (const auto& q : queries) {
    SCOPED_TRACE("query " + q.name);
    ASSERT_FALSE(q.name.empty()) << "a ```sql block without '-- query: NAME':\n" << q.sql;
    EXPECT_TRUE(seen.insert(q.name).second) << "duplicate query name";
    // One statement per block.
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db.get(), q.sql.c_str(), -1, &stmt, &tail), SQLITE_OK)
        << sqlite3_errmsg(db.get()) << "\n"
        << q.sql;
    sqlite3_finalize(stmt);
    EXPECT_EQ(std::string(tail).find_first_not_of(" \n\t"), std::string::npos);
    const Rows rows = db.Rows(q.sql);
    auto it = expectations.find(q.name);
    ASSERT_NE(it, expectations.end()) << "no expectation for a documented query: add one";
    it->second(rows);
  }
  for (const auto& [name, unused] : expectations) {
    EXPECT_TRUE(seen.count(name)) << name << " is expected but no longer documented";
  }
}

TEST_F(DocsQueriesTest, EveryColumnIsDocumented) {
  const std::string markdown = ReadFileBytes(ADU_DATABASE_MD);
  RawDb db(path_, true);
  for (const std::string table : {"operations", "snapshots", "poll_errors", "transitions"}) {
    EXPECT_THAT(markdown, HasSubstr("`" + table + "`"));
    for (const auto& col : db.Rows("SELECT name FROM pragma_table_info('" + table + "')")) {
      EXPECT_THAT(markdown, HasSubstr("`" + col + "`")) << table << "." << col;
    }
  }
  EXPECT_THAT(markdown, HasSubstr("This build writes version **" +
                                  std::to_string(SqliteStore::SchemaVersion()) + "**"));
}

}  // namespace
}  // namespace adu::storage

namespace adu::storage {
namespace {

using namespace adu::storage::testing;

std::string DocumentedQuery(const std::string& name) {
  for (const auto& q : ExtractQueries(ReadFileBytes(ADU_DATABASE_MD))) {
    if (q.name == name) return q.sql;
  }
  ADD_FAILURE() << name << " is not documented";
  return "SELECT 1";
}

// errors_by_category and failure_reasons read version 6's summary tables: they must return the
// rows of the aggregates over the base tables they replaced, whatever the history.
class SummaryQueriesTest : public ::testing::Test {
 protected:
  void ExpectSameRowsAsTheAggregates(RawDb& db, const std::string& after) {
    SCOPED_TRACE("after " + after);
    EXPECT_EQ(db.Rows(errors_by_category_), db.Rows(kErrorsByCategoryAggregate));
    EXPECT_EQ(db.Rows(failure_reasons_), db.Rows(kFailureReasonsAggregate));
  }

  TempDir dir_;
  const std::string errors_by_category_ = DocumentedQuery("errors_by_category");
  const std::string failure_reasons_ = DocumentedQuery("failure_reasons");
};

// A failed snapshot with the given error (empty: NULL).
PollRecord FailedSnapshot(const OperationKey& key, WallTime at, const std::string& code,
                          const std::string& message) {
  PollRecord r = SnapshotRecord(key, at, "Failed", Body(key.id, "Failed", code + message),
                                OperationState::kTerminal);
  auto& snap = std::get<Changed>(r.outcome).snapshot;
  snap.error_code = code;
  snap.error_message = message;
  return r;
}

TEST_F(SummaryQueriesTest, TheDaemonsHistoryPrunedCappedRetriedAndDeleted) {
  const std::string path = dir_.File("ops.db");
  StoreOptions options;
  options.max_errors_per_operation = 2;  // the cap deletes errors, the group's latest among them
  options.retention = std::chrono::hours(24);
  options.maintain_batch_rows = 3;
  auto store = SqliteStore::Open(path, options);
  ASSERT_TRUE(store.ok()) << store.error();
  std::vector<PollRecord> batch;
  for (int i = 0; i < 5; ++i) {  // network errors: NULL http_status; ties on at
    batch.push_back(
        FailedRecord(Dev("flaky"), T(i / 2), ErrorCategory::kNetwork, std::nullopt, "", "reset"));
    batch.push_back(
        FailedRecord(Upd("busy"), T(i), ErrorCategory::kHttp, 503 + i % 2, "Busy", "try again"));
  }
  // Failed twice with the same code and different messages, with NULL code or message, and
  // two codes tied on their count.
  batch.push_back(FailedSnapshot(Dev("f1"), T(10), "ImportFailed", "b message"));
  batch.push_back(FailedSnapshot(Dev("f2"), T(11), "ImportFailed", "a message"));
  batch.push_back(FailedSnapshot(Dev("f3"), T(12), "", "no code"));
  batch.push_back(FailedSnapshot(Dev("f4"), T(13), "", ""));
  batch.push_back(FailedSnapshot(Dev("f5"), T(14), "Quota", ""));
  batch.push_back(FailedSnapshot(Dev("f6"), T(15), "Tied", "t"));
  // Failed, then retried: running again, then failed with another error.
  batch.push_back(SnapshotRecord(Upd("retried"), T(16), "NotStarted", Body("retried", "NS")));
  batch.push_back(FailedSnapshot(Upd("retried"), T(17), "Timeout", "first try"));
  batch.push_back(SnapshotRecord(Upd("retried"), T(18), "Running", Body("retried", "R")));
  ASSERT_TRUE((*store)->Write(batch).ok());
  RawDb db(path);
  ExpectSameRowsAsTheAggregates(db, "writes");
  ASSERT_GE(db.Rows(failure_reasons_).size(), 4u);
  EXPECT_EQ(db.Int("SELECT count(*) FROM poll_errors"), 4);  // the cap kept 2 of each

  ASSERT_TRUE((*store)->Write({FailedSnapshot(Upd("retried"), T(19), "Quota", "again")}).ok());
  ExpectSameRowsAsTheAggregates(db, "the retry failed again");

  // Retention: every terminal operation's older snapshots and errors go.
  for (int i = 0; i < 20; ++i) {
    auto progress = (*store)->Maintain(T(3 * 24 * 3600));
    ASSERT_TRUE(progress.ok()) << progress.error();
    ExpectSameRowsAsTheAggregates(db, "a retention step");
    if (*progress == MaintainProgress::kDone) break;
  }
  // Deletes by hand: the row holding a group's latest error, a failed operation's latest
  // snapshot (and so its place in failure_reasons), the operation holding a group's example.
  for (const char* sql :
       {"DELETE FROM poll_errors WHERE id = (SELECT id FROM poll_errors ORDER BY at DESC LIMIT 1)",
        "DELETE FROM snapshots WHERE id = (SELECT latest_snapshot_id FROM operations "
        "WHERE operation_id = 'f6')",
        "DELETE FROM operations WHERE operation_id = 'f1'",
        "UPDATE operations SET status = 'Running' WHERE operation_id = 'f5'",
        "DELETE FROM poll_errors"}) {
    ASSERT_EQ(db.Exec(sql), SQLITE_OK) << sql;
    ExpectSameRowsAsTheAggregates(db, sql);
  }
  EXPECT_EQ(db.Rows(errors_by_category_).size(), 0u);
}

TEST_F(SummaryQueriesTest, AnyChangeBySql) {
  const std::string path = dir_.File("ops.db");
  ASSERT_TRUE(SqliteStore::Open(path, {}).ok());
  RawDb db(path);
  RandomHistory history(db, 19);
  for (int i = 0; i < 600 && !HasFailure(); ++i) {
    const std::string sql = history.Step();
    ExpectSameRowsAsTheAggregates(db, sql);
  }
}

}  // namespace
}  // namespace adu::storage
