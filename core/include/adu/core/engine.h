// The polling engine: schedule, budget, conditional polls, transitions, results to the Store.
//
// One engine thread owns every operation's state, so that state needs no locks. It runs Step()
// whenever something is due or an event arrives (a completed request, a posted task, stop), and
// sleeps on a condition variable in between: no busy loop, no periodic wakeup while idle.
// Request completions arrive on I/O threads and are only queued for the engine thread.
//
// Thread-safety: Post(), RequestStop(), Stats() and LastProgress() may be called from any thread.
// Everything else belongs to the engine thread (the one calling Start/Step/Run); use Post() to
// reach it from elsewhere. Tests drive Step() by hand, or Run() through a fake Clock.
//
// The parts (core/src/engine/): the schedule (core/src/schedule/), the list refresh, applying an
// outcome to an operation's state, and the hand-off to the StoreWriter with its backpressure.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "adu/core/clock.h"
#include "adu/core/metrics.h"
#include "adu/core/operation_service.h"
#include "adu/core/store.h"
#include "adu/core/store_writer.h"

namespace spdlog {
class logger;
}

namespace adu {

enum class ListMode { kAuto, kAlways, kNever };

// Discovery: the engine reads the service's lists to take in operations nobody named (origin
// kDiscovered). Every `interval` an in-flight pass per kind, every `resync` (and at start) an
// unfiltered one; only operations created within `max_age` are taken in. Its list calls are the
// list refresh's, under list_requests_per_minute (docs/how-it-works.md).
struct DiscoveryOptions {
  std::vector<OperationKind> kinds;  // empty: discovery off
  Duration interval = std::chrono::minutes(1);
  std::optional<Duration> resync = std::chrono::hours(1);  // nullopt: never
  Duration max_age = std::chrono::hours(24 * 7);

  bool Covers(OperationKind kind) const;
  bool enabled() const { return !kinds.empty(); }
  bool operator==(const DiscoveryOptions&) const = default;
};

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
  DiscoveryOptions discovery;
};

struct WatchItem {
  OperationKey key;
  std::optional<Duration> interval;                   // overrides EngineOptions::interval
  OperationOrigin origin = OperationOrigin::kConfig;  // kConfig or kWatchFile
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
  // Backpressure: the writer's queue is full, no new polls go out until it drains.
  bool polls_paused = false;
  std::optional<WallTime> polls_paused_since;
  // When the current run of failed database writes began; nullopt while writes succeed.
  std::optional<WallTime> database_unavailable_since;
};

class Engine {
 public:
  Engine(EngineOptions options, OperationService& service, StoreWriter& writer, Clock& clock,
         std::shared_ptr<spdlog::logger> logger, uint64_t seed);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Resumes every watched operation from its persisted record (etag, status, state, next poll
  // time; the caller loaded them with Store::LoadOperations, so the engine never touches the
  // Store) and makes `watch` the watch list. With discovery on, the discovered operations of the
  // records (not unwatched) are resumed too. Call once, before Step()/Run().
  void Start(const std::vector<OperationRecord>& records, const std::vector<WatchItem>& watch);

  // Processes completed requests and posted tasks, dispatches every poll that is due and fits
  // the budget, the concurrency cap and the writer's queue. Returns the time it next has
  // something to do (MonoTime::max() when nothing is scheduled).
  MonoTime Step();

  // Step()s until RequestStop(), waiting with Clock::WaitUntil in between; then cancels what is
  // in flight, waits for it (at most `drain`), and returns. With `once`, returns by itself as
  // soon as every active operation has been polled once.
  void Run(bool once = false, Duration drain = std::chrono::milliseconds(1500));

  void RequestStop();
  void Post(std::function<void()> task);

  // Engine thread only (use Post() from elsewhere).
  void UpdateWatchList(const std::vector<WatchItem>& watch);
  void UpdateOptions(const EngineOptions& options);

  // Where the engine publishes its figures (budget use, successful polls, transitions,
  // detection delays, poll errors, operation counts). Call before Start(); `figures` must
  // outlive the engine. Without it nothing is published.
  void PublishFiguresTo(Figures& figures);

  EngineStats Stats() const;
  // When the engine thread last completed a Step(): the watchdog's proof of life.
  MonoTime LastProgress() const;

  // Tests only (engine thread).
  size_t RequestsInFlightForTest() const;
  std::optional<MonoTime> NextDueForTest(const OperationKey& key) const;
  std::optional<OperationState> StateOfForTest(const OperationKey& key) const;
  std::optional<OperationOrigin> OriginOfForTest(const OperationKey& key) const;

  class Impl;  // core/src/engine/engine_impl.h

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace adu
