// The polling engine: schedule, budget, conditional polls, transitions, results to the Store.
//
// One engine thread owns every operation's state, so that state needs no locks. It runs Step()
// whenever something is due or an event arrives (a completed request, a posted task, stop), and
// sleeps on a condition variable in between: no busy loop, no periodic wakeup while idle.
// Request completions arrive on I/O threads and are only queued for the engine thread.
//
// Thread-safety: Post(), RequestStop(), Stats() and LastProgress() may be called from any thread.
// Everything else belongs to the engine thread (the one calling Start/Step/Run); use Post() to
// reach it from elsewhere. Tests drive Step() by hand with a fake Clock and OperationService.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "adu/core/clock.h"
#include "adu/core/metrics.h"
#include "adu/core/operation_service.h"
#include "adu/core/rate_limiter.h"
#include "adu/core/result.h"
#include "adu/core/store.h"
#include "adu/core/store_writer.h"

namespace spdlog {
class logger;
}

namespace adu {

enum class ListMode { kAuto, kAlways, kNever };

struct EngineOptions {
  Duration interval = std::chrono::seconds(30);
  Duration backoff_max = std::chrono::minutes(5);
  Duration max_retry_after = std::chrono::hours(1);  // a longer Retry-After is clamped to this
  int max_concurrency = 4;
  int requests_per_minute = 510;
  int list_requests_per_minute = 50;
  bool stop_on_terminal = true;
  ListMode use_list = ListMode::kAuto;
  double jitter = 0.1;  // +/- fraction of the interval
  // Benchmarks only (bench/b1): time compressed by this factor (intervals divided, budgets
  // multiplied). The budgets' bursts are then sized as for the uncompressed rates. 1 = real time.
  double budget_time_scale = 1.0;
};

struct WatchItem {
  OperationKey key;
  std::optional<Duration> interval;  // overrides EngineOptions::interval
};

// A consistent picture for STATUS= lines and logs.
struct EngineStats {
  size_t watched = 0;
  size_t in_flight_operations = 0;  // watched, not terminal
  size_t done = 0;                  // terminal
  size_t not_found = 0;
  size_t requests_in_flight = 0;
  uint64_t polls = 0;
  uint64_t errors_last_hour = 0;
  std::optional<MonoTime> last_poll;
  bool list_mode = false;
};

class Engine {
 public:
  Engine(EngineOptions options, OperationService& service, Store& store, StoreWriter& writer,
         Clock& clock, std::shared_ptr<spdlog::logger> logger, uint64_t seed);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Loads the persisted state of every operation (etag, status, state, next poll time) and
  // makes `watch` the watch list. Call once, before Step()/Run().
  Status Start(const std::vector<WatchItem>& watch);

  // Processes completed requests and posted tasks, dispatches every poll that is due and fits
  // the budget and the concurrency cap. Returns the time it next has something to do
  // (MonoTime::max() when nothing is scheduled).
  MonoTime Step();

  // Step()s until RequestStop(), sleeping in between; then cancels what is in flight, waits
  // for it (at most `drain`), and returns. With `once`, returns by itself as soon as every
  // active operation has been polled once.
  void Run(bool once = false, Duration drain = std::chrono::milliseconds(1500));

  void RequestStop();
  void Post(std::function<void()> task);

  // Engine thread only (use Post() from elsewhere).
  void UpdateWatchList(const std::vector<WatchItem>& watch);
  void UpdateOptions(const EngineOptions& options);

  // Where the engine publishes its figures (budget use, successful polls, transitions,
  // detection delays, poll errors, operation counts). Call before Start(); `figures` must
  // outlive the engine. Without it nothing is published.
  void PublishFiguresTo(Figures& figures) { figures_ = &figures; }

  EngineStats Stats() const;
  // When the engine thread last completed a Step(): the watchdog's proof of life.
  MonoTime LastProgress() const;

  // Test hooks.
  size_t RequestsInFlight() const { return in_flight_; }
  std::optional<MonoTime> NextDue(const OperationKey& key) const;
  std::optional<OperationState> StateOf(const OperationKey& key) const;

 private:
  struct Op {
    OperationKey key;
    std::optional<Duration> interval;
    std::string status;  // empty: never seen
    std::string etag;
    OperationState state = OperationState::kActive;
    MonoTime due{};
    bool scheduled = false;
    bool in_flight = false;
    int failures = 0;
    bool polled_once = false;  // --once bookkeeping
    bool seen_in_list = false;
    // Repeated identical failures are logged once with a count.
    std::string failure_signature;
    uint64_t repeats = 0;
  };
  struct ListRun {
    bool active = false;
    bool page_in_flight = false;
    std::optional<std::string> next_page;
    std::set<std::string> seen;
    MonoTime started{};           // when this run's first page went out
    bool completed_once = false;  // a run has finished: GETs no longer wait for runs
    MonoTime next_due{};
    int failures = 0;
  };

  void Schedule(Op& op, MonoTime due);
  void Unschedule(Op& op);
  bool Wanted(const Op& op) const;
  Duration IntervalOf(const Op& op) const;
  Duration Jittered(Duration d);
  Duration Backoff(const Op& op);
  Duration ClampRetryAfter(std::optional<std::chrono::seconds> ra) const;

  void Dispatch(MonoTime now);
  void StartFetch(Op& op, MonoTime now);
  void OnFetch(const OperationKey& key, FetchOutcome outcome);
  void OnListPage(OperationKind kind, ListOutcome outcome);
  Snapshot ApplyBody(Op& op, const Operation& operation, const std::string& etag,
                     const std::string& body, WallTime now);
  PollError ApplyFailure(Op& op, const FetchFailure& failure, WallTime now);
  void ClearFailureStreak(Op& op);
  bool ListModeWanted();
  bool BlockedByList(const Op& op) const;
  void Enqueue(const Op& op, PollRecord::Type type, WallTime at, std::optional<Duration> next,
               std::optional<Snapshot> snapshot, std::optional<PollError> error);
  void MaybeStartList(OperationKind kind, MonoTime now);
  void FinishList(OperationKind kind, MonoTime now);
  void PublishStats(MonoTime now);
  void PublishOperationCounts();
  void PublishSnapshotFigures(const Op& op, const Snapshot& s, bool transition);

  EngineOptions options_;
  OperationService& service_;
  Store& store_;
  StoreWriter& writer_;
  Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
  std::mt19937_64 rng_;
  Figures* figures_ = nullptr;

  std::map<OperationKey, Op> ops_;
  std::set<std::pair<MonoTime, OperationKey>> schedule_;
  RateLimiter get_budget_;
  RateLimiter list_budget_;
  std::map<OperationKind, ListRun> lists_;
  size_t in_flight_ = 0;
  uint64_t polls_ = 0;
  std::deque<MonoTime> error_times_;  // for errors_last_hour
  std::optional<MonoTime> last_poll_;
  std::vector<PollRecord> pending_records_;
  bool once_ = false;
  bool stopping_ = false;
  bool demand_dirty_ = true;
  bool list_mode_ = false;
  MonoTime stats_due_{};

  // Shared with other threads.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::function<void()>> inbox_;
  bool stop_requested_ = false;
  EngineStats stats_;
  MonoTime last_progress_{};
};

}  // namespace adu
