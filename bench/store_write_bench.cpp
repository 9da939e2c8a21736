// The daemon's write cost per record through SqliteStore::Write, with and without schema version
// 6's summary triggers (dropped from the file for the "without" runs, which is what a version 5
// database executes): B2's changing case is one snapshot per poll, so its per-snapshot cost is
// the figure that must stay within 20%.
//
//   adu-store-write-bench [--benchmark_repetitions=5 ...]
//
// Each iteration writes one batch of kBatch (100) records, so its time in microseconds / 100 is
// the cost per record; one per operation, into a database of kOperations
// operations; the cases are the daemon's three writes:
//   changing: a new Running body (a snapshot and the operation's update after it);
//   failing:  a new body whose status alternates Failed / Running with a changing error (every
//             failure_reasons trigger fires on each record: the worst case, not a daemon's day);
//   errors:   a failed poll (a poll_errors row, its group, and the per-operation cap deleting one).
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "adu/core/time_format.h"
#include "adu/storage/sqlite_store.h"

namespace {

using adu::OperationKey;
using adu::OperationKind;
using adu::PollRecord;
using adu::WallTime;

constexpr int kOperations = 1000;
constexpr int kBatch = 100;
constexpr int kErrorCap = 20;

enum Case { kChanging = 0, kFailing = 1, kErrors = 2 };

std::string Id(int i) { return "op-" + std::to_string(i); }

PollRecord Changed(int op, int64_t n, WallTime at, bool failed) {
  PollRecord r;
  r.key = OperationKey{OperationKind::kUpdate, Id(op)};
  r.at = at;
  r.next_poll_at = at + std::chrono::seconds(30);
  adu::Snapshot s;
  s.key = r.key;
  s.observed_at = at;
  s.status = failed ? "Failed" : "Running";
  s.etag = "\"" + std::to_string(n) + "\"";
  if (failed) {
    s.error_code = "Code" + std::to_string(n % 7);
    s.error_message = "message " + std::to_string(n % 13);
  }
  s.body = R"({"operationId":")" + r.key.id + R"(","status":")" + s.status + R"(","progress":)" +
           std::to_string(n) +
           R"(,"resourceLocation":"/deviceUpdate/updates/providers/Contoso/names/Toaster/)"
           R"(versions/1.0","createdDateTime":"2026-11-27T07:59:00.500Z","etag":")" +
           std::to_string(n) + R"(","traceId":"0123456789abcdef0123456789abcdef"})";
  r.outcome = adu::Changed{s, std::nullopt};
  return r;
}

PollRecord Failure(int op, WallTime at, int64_t n) {
  PollRecord r;
  r.key = OperationKey{OperationKind::kUpdate, Id(op)};
  r.at = at;
  r.next_poll_at = at + std::chrono::seconds(60);
  adu::PollError e{r.key,
                   at,
                   adu::ErrorCategory::kHttp,
                   n % 2 ? 503 : 429,
                   "ServiceUnavailable",
                   "The service is temporarily unavailable."};
  r.outcome = adu::Failed{e, false};
  return r;
}

void DropSummaryTriggers(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  std::vector<std::string> names;
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
                     "('operations', 'snapshots', 'poll_errors')",
                     -1, &stmt, nullptr);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  for (const auto& name : names) {
    sqlite3_exec(db, ("DROP TRIGGER " + name).c_str(), nullptr, nullptr, nullptr);
  }
  sqlite3_close(db);
}

void BM_Write(benchmark::State& state) {
  const auto write_case = static_cast<Case>(state.range(0));
  const bool triggers = state.range(1) != 0;
  const char* tmp = std::getenv("TMPDIR");
  const std::string path = std::string(tmp ? tmp : "/tmp") + "/adu-store-write-bench.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  adu::storage::StoreOptions options;
  options.max_errors_per_operation = kErrorCap;
  WallTime at = *adu::ParseTimestamp("2026-11-27T08:00:00.000Z");
  int64_t n = 0;
  {
    auto store = adu::storage::SqliteStore::Open(path, options);
    std::vector<PollRecord> first;
    for (int op = 0; op < kOperations; ++op) first.push_back(Changed(op, n++, at, false));
    if (!store.ok() || !(*store)->Write(first).ok()) {
      state.SkipWithError("cannot create the database");
      return;
    }
  }
  if (!triggers) DropSummaryTriggers(path);
  auto store = adu::storage::SqliteStore::Open(path, options);
  int next_op = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<PollRecord> batch;
    at += std::chrono::seconds(1);
    for (int i = 0; i < kBatch; ++i, next_op = (next_op + 1) % kOperations, ++n) {
      if (write_case == kErrors) {
        batch.push_back(Failure(next_op, at, n));
      } else {
        batch.push_back(Changed(next_op, n, at, write_case == kFailing && (n / kOperations) % 2));
      }
    }
    state.ResumeTiming();
    if (!(*store)->Write(batch).ok()) state.SkipWithError("write failed");
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

BENCHMARK(BM_Write)
    ->ArgNames({"case", "triggers"})
    ->ArgsProduct({{kChanging, kFailing, kErrors}, {0, 1}})
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
