// The list-based refresh: when polling every operation one by one would need more GETs than the
// budget allows, one list call per page brings every in-flight operation of a kind instead.
//
// A run walks the pages of one kind; runs start one interval apart, under their own budget.
// Operations that leave the in-flight list get one GET for their terminal snapshot. Engine
// thread only.
//
// Discovery rides on the same runs: for a kind it covers, runs go every discovery interval (the
// shorter of both when list mode is on too), every resync (and the first) is unfiltered, and list
// items of operations nobody named, created within max_age, are taken in as watched operations
// (origin kDiscovered) with their snapshot from the item's bytes. One budget for all of it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "adu/core/clock.h"
#include "adu/core/operation_service.h"
#include "adu/core/rate_limiter.h"
#include "engine/engine_state.h"
#include "engine/outcome_applier.h"

namespace spdlog {
class logger;
}

namespace adu::engine {

class ListRefresh {
 public:
  using PostFn = std::function<void(std::function<void()>)>;
  using TakenInFn = std::function<void()>;  // operations were taken in: the watch list grew

  ListRefresh(EngineState& state, OutcomeApplier& applier, OperationService& service,
              const Clock& clock, std::shared_ptr<spdlog::logger> log, PostFn post,
              TakenInFn taken_in);

  // Whether list mode is on; recomputed when the demand may have changed.
  bool ModeWanted();
  bool mode() const { return mode_; }
  // Sends the next page of `kind`'s run when one is due and fits the budget.
  void MaybeStart(OperationKind kind, MonoTime now);
  // Whether `op`'s GET waits for the first run (it would fetch what the run is about to bring).
  bool HoldsBack(const Op& op) const;
  // The earliest time a page could go out (MonoTime::max() when none is wanted).
  MonoTime NextWake(MonoTime now);
  void SetRate(const EngineOptions& options, MonoTime now);
  // Whether discovery reads `kind`'s lists (never with --once).
  bool Discovers(OperationKind kind) const;
  // After EngineOptions::discovery changed from `before`: a kind it now covers gets an
  // unfiltered run at once.
  void DiscoveryChanged(const DiscoveryOptions& before, MonoTime now);

 private:
  struct Run {
    bool active = false;
    bool page_in_flight = false;
    std::optional<std::string> next_page;
    std::set<std::string> seen;
    MonoTime started{};           // when this run's first page went out
    bool completed_once = false;  // a run has finished: GETs no longer wait for runs
    MonoTime next_due{};
    int failures = 0;
    bool unfiltered = false;                 // this run reads every operation (discovery resync)
    MonoTime next_resync = MonoTime::min();  // when discovery's next unfiltered run is due
  };

  bool AnyActive(OperationKind kind) const;
  bool RunWanted(OperationKind kind) const;
  Duration RunInterval(OperationKind kind) const;
  void TakeIn(OperationKind kind, const ListPage& page, WallTime wall);
  bool WithinMaxAge(const Operation& operation, WallTime wall) const;
  double GetsPerMinuteNeeded() const;
  void OnPage(OperationKind kind, ListOutcome outcome);
  void OnFailedPage(Run& run, OperationKind kind, const ListOutcome& outcome, MonoTime now);
  void ApplyItem(OperationKind kind, const ListOutcome::Item& item, MonoTime now, WallTime wall);
  void Finish(OperationKind kind, MonoTime now);

  EngineState& state_;
  OutcomeApplier& applier_;
  OperationService& service_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
  PostFn post_;
  TakenInFn taken_in_;
  RateLimiter budget_;
  std::map<OperationKind, Run> runs_;
  bool mode_ = false;
};

}  // namespace adu::engine
