// Hermetic stand-ins for the engine's seams: a service whose requests the test answers and an
// in-memory store; the hand-driven clock and the logger that keeps every line are the shared
// test support's (tests/support).
#pragma once

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "adu/core/clock.h"
#include "adu/core/operation_service.h"
#include "adu/core/store.h"
#include "adu/testing/fake_clock.h"   // FakeClock
#include "adu/testing/log_capture.h"  // CaptureSink, CaptureLogger

namespace adu::testing {

class FakeService final : public OperationService {
 public:
  struct FetchCall {
    OperationKey key;
    std::string if_none_match;
    MonoTime at;
    FetchCallback done;
  };
  struct ListCall {
    OperationKind kind;
    std::optional<std::string> page;
    ListCallback done;
    MonoTime at{};
    bool all = false;  // ListAll (no in-flight filter)
  };

  explicit FakeService(const Clock& clock) : clock_(clock) {}

  void Fetch(const OperationKey& key, const std::string& if_none_match,
             FetchCallback done) override {
    calls.push_back({key, if_none_match, clock_.Now(), done});
    pending.push_back(calls.size() - 1);
    if (auto_answer) {
      auto outcome = auto_answer(calls.back());
      pending.pop_back();
      done(std::move(outcome));
    }
  }
  void ListInFlight(OperationKind kind, const std::optional<std::string>& page,
                    ListCallback done) override {
    lists.push_back({kind, page, std::move(done), clock_.Now()});
  }
  void ListAll(OperationKind kind, const std::optional<std::string>& page,
               ListCallback done) override {
    lists.push_back({kind, page, std::move(done), clock_.Now(), true});
  }
  void CancelAll() override {
    ++cancels;
    while (!pending.empty()) Answer(Failure(ErrorCategory::kNetwork, "cancelled"));
  }

  // Answers the oldest unanswered fetch.
  void Answer(FetchOutcome outcome) {
    const size_t i = pending.front();
    pending.pop_front();
    calls[i].done(std::move(outcome));
  }
  void AnswerList(size_t i, ListOutcome outcome) { lists.at(i).done(std::move(outcome)); }

  static FetchOutcome Body(const std::string& id, const std::string& status,
                           const std::string& etag, std::optional<int> retry_after = {}) {
    Operation op;
    op.operation_id = id;
    op.status = status;
    op.etag = etag;
    op.created_at = "2026-11-27T08:00:00.0000000+00:00";
    op.last_action_at = "2026-11-27T08:00:01.5+00:00";
    const std::string body =
        "{\"operationId\":\"" + id + "\",\"status\":\"" + status + "\",\"etag\":" + etag + "}";
    FetchOutcome o;
    o.result = Changed{SnapshotOf({OperationKind::kDevice, id}, op, etag, body), std::nullopt};
    o.http_status = 200;
    if (retry_after) o.retry_after = std::chrono::seconds(*retry_after);
    return o;
  }
  static FetchOutcome NotModified(std::optional<int> retry_after = {}) {
    FetchOutcome o;
    o.result = Unchanged{};
    o.http_status = 304;
    if (retry_after) o.retry_after = std::chrono::seconds(*retry_after);
    return o;
  }
  static FetchOutcome Failure(ErrorCategory category, std::string message,
                              std::optional<int> http_status = {},
                              std::optional<int> retry_after = {}) {
    FetchOutcome o;
    Failed failed;
    failed.error.category = category;
    failed.error.http_status = http_status;
    failed.error.message = std::move(message);
    o.result = std::move(failed);
    o.http_status = http_status;
    if (retry_after) o.retry_after = std::chrono::seconds(*retry_after);
    return o;
  }
  static FetchOutcome NotFound() {
    FetchOutcome o = Failure(ErrorCategory::kHttp, "Not Found", 404);
    std::get<Failed>(o.result).not_found = true;
    return o;
  }
  // A list item as the codec decodes it, from the same parts as Body().
  static ListOutcome::Item Item(const std::string& id, const std::string& status,
                                const std::string& etag) {
    const auto o = Body(id, status, etag);
    Operation op;
    op.operation_id = id;
    op.status = status;
    op.etag = etag;
    return {op, etag, o.changed()->snapshot.body};
  }

  std::vector<FetchCall> calls;
  std::deque<size_t> pending;
  std::vector<ListCall> lists;
  int cancels = 0;
  std::function<FetchOutcome(const FetchCall&)> auto_answer;

 private:
  const Clock& clock_;
};

class FakeStore final : public Store {
 public:
  Result<std::vector<OperationRecord>> LoadOperations() override { return loaded; }
  using Store::SetWatchList;
  Status SetWatchList(const std::vector<WatchedOperation>& watched, WallTime) override {
    if (fail_writes) return Status::Error("database is locked");
    std::vector<OperationKey> keys;
    for (const auto& w : watched) keys.push_back(w.key);
    watch_lists.push_back(std::move(keys));
    watched_origins.push_back(watched);
    return Status::Ok();
  }
  Status Write(const std::vector<PollRecord>& batch) override {
    ++write_calls;
    if (fail_writes) return Status::Error("database is locked");
    written.insert(written.end(), batch.begin(), batch.end());
    return Status::Ok();
  }
  Result<MaintainProgress> Maintain(WallTime) override { return MaintainProgress::kDone; }

  // Written records of one kind (Changed, Unchanged, Failed); unchanged ones count their polls
  // (the writer merges queued unchanged polls of one operation).
  template <typename Outcome>
  size_t Count() const {
    size_t n = 0;
    for (const auto& r : written) {
      if (const auto* u = std::get_if<Unchanged>(&r.outcome);
          u && std::is_same_v<Outcome, Unchanged>) {
        n += static_cast<size_t>(u->polls);
      } else if (std::holds_alternative<Outcome>(r.outcome)) {
        ++n;
      }
    }
    return n;
  }

  std::vector<OperationRecord> loaded;
  std::vector<std::vector<OperationKey>> watch_lists;
  std::vector<std::vector<WatchedOperation>> watched_origins;  // the same, with origins
  std::vector<PollRecord> written;
  bool fail_writes = false;
  int write_calls = 0;
};

}  // namespace adu::testing
