// The engine's inside: the parts it is made of, and the little it shares with other threads.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "adu/core/engine.h"
#include "adu/core/rate_limiter.h"
#include "engine/engine_state.h"
#include "engine/list_refresh.h"
#include "engine/outcome_applier.h"
#include "engine/writer_handoff.h"

namespace adu {

class Engine::Impl {
 public:
  Impl(EngineOptions options, OperationService& service, StoreWriter& writer, Clock& clock,
       std::shared_ptr<spdlog::logger> logger, uint64_t seed);

  void Start(const std::vector<OperationRecord>& records, const std::vector<WatchItem>& watch);
  MonoTime Step();
  void Run(bool once, Duration drain);
  void RequestStop();
  void Post(std::function<void()> task);
  void UpdateWatchList(const std::vector<WatchItem>& watch);
  void UpdateOptions(const EngineOptions& options);
  EngineStats Stats() const;
  MonoTime LastProgress() const;
  void PublishFiguresTo(Figures& figures) { state_.figures = &figures; }

  const engine::EngineState& state() const { return state_; }

 private:
  void RunTasks();
  MonoTime NextWake(MonoTime now, bool paused);
  void Dispatch(MonoTime now);
  void StartFetch(engine::Op& op);
  void OnFetch(const OperationKey& key, FetchOutcome outcome);
  void Drain(Duration drain);
  bool AddOrUpdate(const WatchItem& item, MonoTime now);
  size_t RemoveUnwatched(const std::vector<WatchItem>& watch);
  // Every watched operation with its origin, as the store's watch list.
  std::vector<WatchedOperation> WatchedList() const;
  void SendWatchList() { writer_.SetWatchList(WatchedList()); }
  void ResumeDiscovered(const std::vector<OperationRecord>& records, MonoTime now);
  // Discovery no longer covers their kind: discovered operations the watch list does not name.
  size_t DropUndiscovered();
  void PublishStats(MonoTime now);
  EngineStats CountStates() const;
  void PublishOperationCounts();

  OperationService& service_;
  StoreWriter& writer_;
  Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
  engine::EngineState state_;
  engine::WriterHandoff handoff_;
  engine::OutcomeApplier applier_;
  engine::ListRefresh lists_;
  RateLimiter get_budget_;
  bool paused_ = false;  // backpressure: the writer's queue is full
  MonoTime stats_due_{};
  // A step ran after the last full publish: its changes are not yet in the figures, so the engine
  // wakes at stats_due_ to publish them even when nothing else is due (once, not periodically).
  bool stats_stale_ = false;

  // Shared with other threads.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::function<void()>> inbox_;
  bool stop_requested_ = false;
  EngineStats stats_;
  MonoTime last_progress_{};
};

}  // namespace adu
