// Hermetic stand-ins for the engine's seams: a hand-driven clock, a service whose requests the
// test answers, an in-memory store, and a logger that keeps every line.
#pragma once

#include <spdlog/sinks/base_sink.h>
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

namespace adu::testing {

class FakeClock final : public Clock {
 public:
  MonoTime Now() const override { return mono_; }
  WallTime WallNow() const override { return wall_; }
  void Advance(Duration d) {
    mono_ += d;
    wall_ += d;
  }
  void SetWall(WallTime t) { wall_ = t; }

  // Simulated waiting: time jumps to the deadline at once (nothing else runs meanwhile), so a
  // loop such as Engine::Run() goes through hours in milliseconds. Without a deadline it waits
  // for real, for another thread to make `ready` true.
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, MonoTime deadline,
                 const std::function<bool()>& ready) const override {
    if (ready()) return true;
    if (deadline == MonoTime::max()) {
      cv.wait(lock, ready);
      return true;
    }
    if (deadline > mono_) {
      const auto step = deadline - mono_;
      mono_ += step;
      wall_ += std::chrono::duration_cast<WallTime::duration>(step);
      ++waits;
    }
    return ready();
  }
  mutable int waits = 0;  // how many simulated waits moved the time

 private:
  mutable MonoTime mono_ = MonoTime{} + std::chrono::hours(1000);
  mutable WallTime wall_ = WallTime{} + std::chrono::hours(24 * 365 * 56);
};

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
  Status SetWatchList(const std::vector<OperationKey>& watched, WallTime) override {
    if (fail_writes) return Status::Error("database is locked");
    watch_lists.push_back(watched);
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
  std::vector<PollRecord> written;
  bool fail_writes = false;
  int write_calls = 0;
};

// Keeps every formatted line, spdlog-style: the base sink takes the lock for us.
class CaptureSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  struct Line {
    spdlog::level::level_enum level;
    std::string text;
  };
  std::vector<Line> Lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  std::vector<std::string> AtLevel(spdlog::level::level_enum level) {
    std::vector<std::string> out;
    for (const auto& l : Lines()) {
      if (l.level == level) out.push_back(l.text);
    }
    return out;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines_.push_back({msg.level, std::string(msg.payload.begin(), msg.payload.end())});
  }
  void flush_() override {}

 private:
  std::vector<Line> lines_;
};

inline std::shared_ptr<spdlog::logger> CaptureLogger(std::shared_ptr<CaptureSink>& sink) {
  sink = std::make_shared<CaptureSink>();
  auto logger = std::make_shared<spdlog::logger>("test", sink);
  logger->set_level(spdlog::level::trace);
  return logger;
}

}  // namespace adu::testing
