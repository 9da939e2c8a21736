// B3's database generator: `adu-b3-generate DB SNAPSHOTS [SEED]` writes a database of about
// SNAPSHOTS snapshots through the product's own write path (SqliteStore::Open's migrations,
// SetWatchList, Write), as one hub's polling would have left it: SNAPSHOTS / 20 operations, 137
// a day (a year of history for 1,000,000 snapshots) up to now, each NotStarted, then Running with a
// changing body (progress) and finally Succeeded (most), Failed (about 10%) or still running (the
// recent ones); unchanged polls, poll errors (503, timeouts, 429s, resets), operations the service
// forgot (404, not_found) and operations that left the watch list (unwatched).
//
// `adu-b3-generate --migrate DB` opens DB with the store (running any migration) and prints the
// seconds it took: B3's migration time.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "adu/core/time_format.h"
#include "adu/storage/sqlite_store.h"

namespace {

using adu::OperationKey;
using adu::OperationKind;
using adu::OperationState;
using adu::PollRecord;
using adu::WallTime;
using std::chrono::milliseconds;

constexpr int kSnapshotsPerOperation = 20;
constexpr int kBatch = 500;  // records per Write(): the daemon writes one batch per poll round
// One hub's activity, whatever the size: a larger database is a longer history (1,000,000
// snapshots are a year), so time-bounded queries return about as many rows at every size and
// their cost shows how it grows with history alone.
constexpr int64_t kOperationsPerDay = 137;
constexpr int64_t kDayMs = int64_t{24} * 3600 * 1000;

enum class Event : uint8_t { kSnapshot, kUnchanged, kError, kNotFound };

struct Step {
  int64_t at_ms;  // since the epoch
  uint32_t op;
  uint16_t seq;  // snapshot number within the operation
  Event event;
};

struct Operation {
  OperationKey key;
  std::string final_status;  // Succeeded | Failed | Running (not finished by now)
  bool forgotten = false;    // the service answers 404 after its history
  bool unwatched = false;
};

std::string Guid(std::mt19937_64& rng) {
  char buf[40];
  const uint64_t a = rng(), b = rng();
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>(a >> 16) & 0xffff, static_cast<unsigned>(a) & 0xfff,
                static_cast<unsigned>(b >> 48) & 0xfff,
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string Status(const Operation& op, int seq) {
  if (seq == 0) return "NotStarted";
  if (seq == kSnapshotsPerOperation - 1 && op.final_status != "Running") return op.final_status;
  return "Running";
}

// A body like the service's (about 300 bytes), different at every step of an operation.
adu::Snapshot MakeSnapshot(const Operation& op, int seq, WallTime at, WallTime created) {
  adu::Snapshot s;
  s.key = op.key;
  s.observed_at = at;
  s.status = Status(op, seq);
  s.etag = "\"" + std::to_string(seq + 1) + "-" + op.key.id.substr(0, 8) + "\"";
  s.created_at = adu::FormatTimestamp(created);
  s.last_action_at = adu::FormatTimestamp(at - milliseconds(1500));
  s.trace_id = op.key.id.substr(0, 8) + op.key.id.substr(24, 12) + std::to_string(seq);
  std::string error;
  if (s.status == "Failed") {
    s.error_code = "ImportFailed";
    s.error_message = "The update manifest failed validation: hash mismatch for file 2.";
    error = R"(,"error":{"code":")" + s.error_code + R"(","message":")" + s.error_message +
            R"(","details":[]})";
  }
  s.body = R"({"operationId":")" + op.key.id + R"(","status":")" + s.status +
           R"(","updateId":{"provider":"Contoso","name":"Toaster","version":"1.0.)" +
           std::to_string(op.key.id[0] % 10) + R"("},"resourceLocation":"/deviceUpdate/updates/)" +
           "providers/Contoso/names/Toaster/versions/1.0\",\"progress\":" +
           std::to_string(seq * 100 / kSnapshotsPerOperation) + R"(,"createdDateTime":")" +
           s.created_at + R"(","lastActionDateTime":")" + s.last_action_at + R"(","etag":")" +
           s.etag.substr(1, s.etag.size() - 2) + R"(","traceId":")" + s.trace_id + "\"" + error +
           "}";
  return s;
}

PollRecord MakeRecord(const Operation& op, const Step& step, WallTime created,
                      std::mt19937_64& rng) {
  const WallTime at{milliseconds(step.at_ms)};
  PollRecord r;
  r.key = op.key;
  r.at = at;
  r.next_poll_at = at + std::chrono::seconds(30);
  switch (step.event) {
    case Event::kSnapshot: {
      adu::Changed changed{MakeSnapshot(op, step.seq, at, created), std::nullopt};
      const bool terminal = adu::IsTerminalStatus(changed.snapshot.status);
      r.outcome = std::move(changed);
      if (terminal) {
        r.state = OperationState::kTerminal;
        r.next_poll_at.reset();
      }
      return r;
    }
    case Event::kUnchanged:
      r.outcome = adu::Unchanged{};
      return r;
    case Event::kError:
    case Event::kNotFound: {
      adu::PollError e{op.key,
                       at,
                       adu::ErrorCategory::kHttp,
                       503,
                       "ServiceUnavailable",
                       "The service is temporarily unavailable."};
      if (step.event == Event::kNotFound) {
        e.http_status = 404;
        e.code = "NotFound";
        e.message = "Operation not found.";
        r.state = OperationState::kNotFound;
        r.next_poll_at.reset();
      } else if (const int pick = static_cast<int>(rng() % 4); pick == 1) {
        e = {op.key, at, adu::ErrorCategory::kTimeout, std::nullopt, "", "no answer in 10 s"};
      } else if (pick == 2) {
        e = {op.key, at, adu::ErrorCategory::kThrottled, 429, "TooManyRequests", "slow down"};
      } else if (pick == 3) {
        e = {op.key, at, adu::ErrorCategory::kNetwork, std::nullopt, "", "connection reset"};
      }
      r.outcome = adu::Failed{e, step.event == Event::kNotFound};
      return r;
    }
  }
  return r;
}

// Every poll of every operation over the year, in time order.
std::vector<Step> Plan(std::vector<Operation>& ops, std::vector<int64_t>& created_ms,
                       int64_t end_ms, std::mt19937_64& rng) {
  const int64_t span_ms =
      std::max<int64_t>(kDayMs, static_cast<int64_t>(ops.size()) * kDayMs / kOperationsPerDay);
  std::vector<Step> steps;
  steps.reserve(ops.size() * (kSnapshotsPerOperation * 2 + 2));
  for (uint32_t i = 0; i < ops.size(); ++i) {
    Operation& op = ops[i];
    int64_t t = end_ms - span_ms + static_cast<int64_t>(rng() % static_cast<uint64_t>(span_ms));
    created_ms[i] = t - 2000;
    op.final_status = rng() % 10 == 0 ? "Failed" : "Succeeded";
    op.forgotten = rng() % 50 == 0;
    op.unwatched = rng() % 30 == 0;
    bool finished = true;
    // A forgotten operation answers 404 half-way through (the service dropped it).
    const uint16_t last = op.forgotten ? kSnapshotsPerOperation / 2 : kSnapshotsPerOperation;
    for (uint16_t seq = 0; seq < last; ++seq) {
      // Polls 30 s apart; a body changes every one to four polls.
      const int unchanged = static_cast<int>(rng() % 4);
      for (int u = 0; u < unchanged; ++u) {
        t += 30000;
        if (t < end_ms)
          steps.push_back({t, i, seq, rng() % 40 == 0 ? Event::kError : Event::kUnchanged});
      }
      t += 30000 + static_cast<int64_t>(rng() % 1000);
      if (t >= end_ms) {
        finished = false;
        break;
      }
      steps.push_back({t, i, seq, Event::kSnapshot});
    }
    if (!finished || op.forgotten) op.final_status = "Running";
    if (finished && op.forgotten && t + 30000 < end_ms) {
      steps.push_back({t + 30000, i, 0, Event::kNotFound});
    }
  }
  std::sort(steps.begin(), steps.end(),
            [](const Step& a, const Step& b) { return a.at_ms < b.at_ms; });
  return steps;
}

int Generate(const std::string& path, int64_t snapshots, uint64_t seed) {
  auto store = adu::storage::SqliteStore::Open(path, {});
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.error().c_str());
    return 1;
  }
  std::mt19937_64 rng(seed);
  const size_t count =
      static_cast<size_t>(std::max<int64_t>(1, snapshots / kSnapshotsPerOperation));
  std::vector<Operation> ops(count);
  std::vector<OperationKey> keys;
  for (auto& op : ops) {
    op.key = {rng() % 10 < 7 ? OperationKind::kDevice : OperationKind::kUpdate, Guid(rng)};
    keys.push_back(op.key);
  }
  const auto now = std::chrono::system_clock::now();
  const int64_t end_ms =
      std::chrono::duration_cast<milliseconds>(now.time_since_epoch()).count() - 60000;
  std::vector<int64_t> created_ms(count);
  const std::vector<Step> steps = Plan(ops, created_ms, end_ms, rng);
  const WallTime start{milliseconds(
      end_ms - (static_cast<int64_t>(count) + 1) * kDayMs / kOperationsPerDay - kDayMs)};
  if (auto st = (*store)->SetWatchList(keys, start); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  std::vector<PollRecord> batch;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    batch.push_back(MakeRecord(ops[s.op], s, WallTime{milliseconds(created_ms[s.op])}, rng));
    if (batch.size() == kBatch || i + 1 == steps.size()) {
      if (auto st = (*store)->Write(batch); !st.ok()) {
        std::fprintf(stderr, "%s\n", st.message().c_str());
        return 1;
      }
      batch.clear();
    }
  }
  std::vector<OperationKey> still_watched;
  for (const auto& op : ops) {
    if (!op.unwatched) still_watched.push_back(op.key);
  }
  if (auto st = (*store)->SetWatchList(still_watched, WallTime{milliseconds(end_ms)}); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  std::printf("%zu operations, %zu polls\n", ops.size(), steps.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--migrate") {
    const auto t0 = std::chrono::steady_clock::now();
    auto store = adu::storage::SqliteStore::Open(argv[2], {});
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - t0;
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.error().c_str());
      return 1;
    }
    std::printf("%.3f\n", took.count());
    return 0;
  }
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: %s DB SNAPSHOTS [SEED] | %s --migrate DB\n", argv[0], argv[0]);
    return 2;
  }
  const uint64_t seed = argc == 4 ? std::strtoull(argv[3], nullptr, 10) : 0xb3;
  return Generate(argv[1], std::strtoll(argv[2], nullptr, 10), seed);
}
