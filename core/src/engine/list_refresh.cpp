#include "engine/list_refresh.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "adu/core/log_fields.h"
#include "adu/core/time_format.h"
#include "engine/log_support.h"

namespace adu::engine {

ListRefresh::ListRefresh(EngineState& state, OutcomeApplier& applier, OperationService& service,
                         const Clock& clock, std::shared_ptr<spdlog::logger> log, PostFn post,
                         TakenInFn taken_in)
    : state_(state),
      applier_(applier),
      service_(service),
      clock_(clock),
      log_(std::move(log)),
      post_(std::move(post)),
      taken_in_(std::move(taken_in)),
      budget_(state.options.list_requests_per_minute, clock.Now(),
              state.options.budget_time_scale) {}

void ListRefresh::SetRate(const EngineOptions& options, MonoTime now) {
  budget_.SetRate(options.list_requests_per_minute, now, options.budget_time_scale);
}

double ListRefresh::GetsPerMinuteNeeded() const {
  // GETs per minute needed to poll every in-flight operation once per its interval.
  double demand = 0;
  for (const auto& [key, op] : state_.ops) {
    if (op.state != OperationState::kActive || IsTerminalStatus(op.status)) continue;
    // Discovery's runs bring these: they need no GET while listed.
    if (op.origin == OperationOrigin::kDiscovered && Discovers(key.kind)) continue;
    demand += 60000.0 / static_cast<double>(std::max<int64_t>(1, state_.IntervalOf(op).count()));
  }
  return demand;
}

bool ListRefresh::ModeWanted() {
  if (state_.once) return false;
  if (!state_.demand_dirty) return mode_;
  state_.demand_dirty = false;
  switch (state_.options.use_list) {
    case ListMode::kAlways:
      mode_ = true;
      break;
    case ListMode::kNever:
      mode_ = false;
      break;
    case ListMode::kAuto: {
      const double demand = GetsPerMinuteNeeded();
      const bool was = mode_;
      mode_ = demand > static_cast<double>(state_.options.requests_per_minute);
      if (mode_ != was) {
        log_->info(
            "{} list-based refresh: {:.0f} status calls per minute would be needed, budget is {}",
            mode_ ? "using" : "no longer using", demand, state_.options.requests_per_minute);
      }
      break;
    }
  }
  return mode_;
}

bool ListRefresh::HoldsBack(const Op& op) const {
  if (!mode_) return false;
  // Only the first run holds GETs back (they would fetch what it is about to bring). Later runs
  // can follow each other without a gap (a run longer than the interval): holding GETs for them
  // starved the operations that left the list, whose terminal snapshot only a GET fetches
  // (bench/b1.py at N = 5,000: no GET at all, 57 % of the changes never seen).
  auto it = runs_.find(op.key.kind);
  return it != runs_.end() && it->second.active && !it->second.completed_once;
}

bool ListRefresh::Discovers(OperationKind kind) const {
  return !state_.once && state_.options.discovery.Covers(kind);
}

bool ListRefresh::RunWanted(OperationKind kind) const {
  return (mode_ && AnyActive(kind)) || Discovers(kind);
}

Duration ListRefresh::RunInterval(OperationKind kind) const {
  if (!Discovers(kind)) return state_.options.interval;
  const Duration discovery = state_.options.discovery.interval;
  return mode_ ? std::min(discovery, state_.options.interval) : discovery;
}

void ListRefresh::DiscoveryChanged(const DiscoveryOptions& before, MonoTime now) {
  for (auto kind : {OperationKind::kDevice, OperationKind::kUpdate}) {
    if (before.Covers(kind) || !Discovers(kind)) continue;
    Run& run = runs_[kind];
    run.next_resync = now;
    if (!run.active) run.next_due = now;
  }
}

MonoTime ListRefresh::NextWake(MonoTime now) {
  MonoTime next = MonoTime::max();
  for (auto kind : {OperationKind::kDevice, OperationKind::kUpdate}) {
    auto it = runs_.find(kind);
    // In list mode a kind's next run time wakes the engine even while none of its operations is
    // active (as before discovery): the STATUS= line and figures are refreshed on those wakes.
    if (it == runs_.end() || it->second.page_in_flight || !(mode_ || Discovers(kind))) continue;
    const MonoTime list_next = it->second.active
                                   ? budget_.NextAvailable(now)
                                   : std::max(it->second.next_due, budget_.NextAvailable(now));
    next = std::min(next, list_next);
  }
  return next;
}

bool ListRefresh::AnyActive(OperationKind kind) const {
  for (const auto& [key, op] : state_.ops) {
    if (key.kind == kind && op.state == OperationState::kActive) return true;
  }
  return false;
}

void ListRefresh::MaybeStart(OperationKind kind, MonoTime now) {
  if (!RunWanted(kind)) return;
  Run& run = runs_[kind];
  if (run.page_in_flight) return;
  if (!run.active) {
    if (now < run.next_due) return;
    run.active = true;
    run.started = now;
    run.next_page.reset();
    run.seen.clear();
    // The unfiltered run brings the in-flight operations too: it replaces that run.
    run.unfiltered = Discovers(kind) && now >= run.next_resync;
  }
  if (state_.in_flight >= static_cast<size_t>(state_.options.max_concurrency)) return;
  if (!budget_.TryAcquire(now)) return;
  if (state_.figures != nullptr) state_.figures->CountBudgetUse(RequestCall::kList, now);
  run.page_in_flight = true;
  ++state_.in_flight;
  auto done = [this, kind](ListOutcome outcome) {
    post_(
        [this, kind, outcome = std::move(outcome)]() mutable { OnPage(kind, std::move(outcome)); });
  };
  if (run.unfiltered) {
    service_.ListAll(kind, run.next_page, std::move(done));
  } else {
    service_.ListInFlight(kind, run.next_page, std::move(done));
  }
}

void ListRefresh::OnFailedPage(Run& run, OperationKind kind, const ListOutcome& outcome,
                               MonoTime now) {
  const FetchFailure& failure = *outcome.failure();
  run.active = false;
  ++run.failures;
  state_.error_times.push_back(now);
  const Duration delay = std::max(state_.schedule.AfterListFailure(run.failures),
                                  state_.schedule.RetryAfter(outcome.retry_after));
  run.next_due = now + delay;
  log_->warn(
      "list of in-flight {} operations failed ({}, {}): {}; polling one by one meanwhile",
      KindName(kind), CategoryName(failure.category),
      failure.http_status ? std::to_string(*failure.http_status) : std::string("no HTTP status"),
      failure.message);
}

void ListRefresh::ApplyItem(OperationKind kind, const ListOutcome::Item& item, MonoTime now,
                            WallTime wall) {
  Op* op = state_.Find(OperationKey{kind, item.operation.operation_id});
  if (op == nullptr) return;
  if (!state_.Wanted(*op) || op->in_flight || op->state == OperationState::kTerminal) return;
  const bool discovered = op->origin == OperationOrigin::kDiscovered;
  // Outside list mode a named operation keeps its own GETs (and their shorter interval).
  if (!mode_ && !discovered) return;
  // The per-operation fallback should lists stop: a discovered one is listed every run.
  const Duration next = (discovered ? RunInterval(kind) : state_.IntervalOf(*op)) * 2;
  std::optional<Changed> changed;
  if (op->etag.empty() || item.etag != op->etag) {
    changed =
        Changed{SnapshotOf(op->key, item.operation, item.etag, item.body), item.operation.error};
  }
  applier_.ApplyListed(*op, std::move(changed), next, now, wall);
}

void ListRefresh::OnPage(OperationKind kind, ListOutcome outcome) {
  if (state_.in_flight > 0) --state_.in_flight;
  Run& run = runs_[kind];
  run.page_in_flight = false;
  if (!run.active || state_.stopping) return;
  const MonoTime now = clock_.Now();
  const WallTime wall = clock_.WallNow();
  ++state_.polls;
  state_.last_poll = now;
  const ListPage* page = outcome.page();
  if (page == nullptr) {
    OnFailedPage(run, kind, outcome, now);
    return;
  }
  run.failures = 0;
  if (state_.figures != nullptr) state_.figures->SetLastSuccessfulPoll(wall);
  if (Discovers(kind)) TakeIn(kind, *page, wall);
  for (const auto& item : page->items) {
    run.seen.insert(item.operation.operation_id);
    ApplyItem(kind, item, now, wall);
  }
  if (outcome.retry_after) run.next_due = now + state_.schedule.RetryAfter(outcome.retry_after);
  if (page->next_page) {
    run.next_page = page->next_page;
  } else {
    Finish(kind, now);
  }
}

bool ListRefresh::WithinMaxAge(const Operation& operation, WallTime wall) const {
  const auto created = ParseTimestamp(operation.created_at);
  // An unreadable creation time is no reason to miss an operation: taken in.
  return !created || wall - *created <= state_.options.discovery.max_age;
}

void ListRefresh::TakeIn(OperationKind kind, const ListPage& page, WallTime wall) {
  size_t taken = 0;
  for (const auto& item : page.items) {
    OperationKey key{kind, item.operation.operation_id};
    if (key.id.empty() || state_.Find(key) != nullptr) continue;
    if (!WithinMaxAge(item.operation, wall)) continue;
    Op op;
    op.key = key;
    op.origin = OperationOrigin::kDiscovered;
    if (log_->should_log(spdlog::level::debug)) {
      ScopedLogFields fields(FieldsFor(key));
      log_->debug("operation {} ({}): discovered", key.id, KindName(kind));
    }
    state_.ops.emplace(std::move(key), std::move(op));
    ++taken;
  }
  if (taken == 0) return;
  log_->info("discovery: {} new {} operations taken in", taken, KindName(kind));
  state_.demand_dirty = true;
  taken_in_();  // before their snapshots reach the writer: the store learns their origin first
}

void ListRefresh::Finish(OperationKind kind, MonoTime now) {
  Run& run = runs_[kind];
  run.active = false;
  run.completed_once = true;
  if (run.unfiltered) {
    const auto& resync = state_.options.discovery.resync;
    run.next_resync = resync ? run.started + *resync : MonoTime::max();
  }
  // Runs start one interval apart, counted from the start of this one: counted from its end, a
  // run of many pages (20 pages at 50 calls/min take 25 s) stretched the cycle to interval + run
  // time, and the detection latency's p99 with it (bench/b1.py: 70 s at N = 1,000 for a 30 s
  // interval). A run longer than the interval is followed at once, within the list budget.
  run.next_due = std::max(run.next_due,
                          std::max(now, run.started + state_.schedule.Jittered(RunInterval(kind))));
  for (auto& [key, op] : state_.ops) {
    if (key.kind != kind || !state_.Wanted(op) || op.in_flight || run.seen.count(key.id) > 0) {
      continue;
    }
    // Outside list mode only what the lists brought (discovered operations) is theirs to follow.
    if (!mode_ && op.origin != OperationOrigin::kDiscovered) continue;
    const bool was_in_flight =
        op.seen_in_list || (!op.status.empty() && !IsTerminalStatus(op.status));
    op.seen_in_list = false;
    // It left the in-flight list: one GET fetches its terminal snapshot.
    const auto due = state_.schedule.DueOf(key);
    if (was_in_flight && (!due || *due > now)) state_.schedule.Set(key, now);
  }
}

}  // namespace adu::engine
