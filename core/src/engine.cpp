#include "adu/core/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "adu/core/log_fields.h"
#include "adu/core/time_format.h"

namespace adu {
namespace {

LogFields FieldsFor(const OperationKey& key) {
  LogFields f;
  f.operation_id = key.id;
  f.kind = std::string(KindName(key.kind));
  return f;
}

std::string DescribeError(const ServiceError& e) {
  std::string out = e.code;
  if (!e.message.empty()) out += ": " + e.message;
  for (const auto& inner : e.inner_chain) {
    out += " <- " + inner.code;
    if (!inner.message.empty()) out += ": " + inner.message;
  }
  return out;
}

}  // namespace

Engine::Engine(EngineOptions options, OperationService& service, Store& store, StoreWriter& writer,
               Clock& clock, std::shared_ptr<spdlog::logger> logger, uint64_t seed)
    : options_(options),
      service_(service),
      store_(store),
      writer_(writer),
      clock_(clock),
      log_(std::move(logger)),
      rng_(seed),
      get_budget_(options.requests_per_minute, clock.Now(), options.budget_time_scale),
      list_budget_(options.list_requests_per_minute, clock.Now(), options.budget_time_scale) {
  last_progress_ = clock_.Now();
}

Engine::~Engine() = default;

Status Engine::Start(const std::vector<WatchItem>& watch) {
  auto records = store_.LoadOperations();
  if (!records.ok()) return records.status();
  std::map<OperationKey, OperationRecord> known;
  for (auto& rec : *records) known.emplace(rec.key, std::move(rec));

  const MonoTime now = clock_.Now();
  const WallTime wall = clock_.WallNow();
  std::vector<OperationKey> keys;
  for (const auto& item : watch) {
    Op op;
    op.key = item.key;
    op.interval = item.interval;
    MonoTime due = now;
    if (auto it = known.find(item.key); it != known.end()) {
      const OperationRecord& rec = it->second;
      op.status = rec.status.value_or("");
      op.etag = rec.etag.value_or("");
      op.state = rec.state == OperationState::kUnwatched ? OperationState::kActive : rec.state;
      if (op.state == OperationState::kTerminal && !IsTerminalStatus(op.status)) {
        op.state = OperationState::kActive;
      }
      if (rec.next_poll_at && *rec.next_poll_at > wall) {
        // A wall-clock time from the database becomes a monotonic deadline once, here.
        due = now + std::chrono::duration_cast<MonoTime::duration>(*rec.next_poll_at - wall);
      }
    }
    keys.push_back(op.key);
    auto [it, inserted] = ops_.emplace(op.key, std::move(op));
    if (inserted && Wanted(it->second)) Schedule(it->second, due);
  }
  // Through the writer, like every other write: a user's shell holding the write lock at start
  // must delay this, not fail the start.
  writer_.SetWatchList(std::move(keys));
  demand_dirty_ = true;
  PublishStats(now);
  return Status::Ok();
}

bool Engine::Wanted(const Op& op) const {
  switch (op.state) {
    case OperationState::kActive:
    case OperationState::kNotFound:
      return true;
    case OperationState::kTerminal:
      return !options_.stop_on_terminal;
    case OperationState::kUnwatched:
      return false;
  }
  return false;
}

Duration Engine::IntervalOf(const Op& op) const { return op.interval.value_or(options_.interval); }

Duration Engine::Jittered(Duration d) {
  if (options_.jitter <= 0) return d;
  std::uniform_real_distribution<double> dist(1.0 - options_.jitter, 1.0 + options_.jitter);
  return Duration(static_cast<int64_t>(std::llround(static_cast<double>(d.count()) * dist(rng_))));
}

Duration Engine::Backoff(const Op& op) {
  const Duration base = IntervalOf(op);
  const int shift = std::clamp(op.failures, 0, 20);
  Duration upper = base * (int64_t{1} << shift);
  upper = std::min(upper, options_.backoff_max);
  if (upper <= base) return base;
  std::uniform_int_distribution<int64_t> dist(base.count(), upper.count());
  return Duration(dist(rng_));
}

Duration Engine::ClampRetryAfter(std::optional<std::chrono::seconds> ra) const {
  if (!ra || ra->count() <= 0) return Duration(0);
  return std::min<Duration>(*ra, options_.max_retry_after);
}

void Engine::Schedule(Op& op, MonoTime due) {
  if (op.scheduled) schedule_.erase({op.due, op.key});
  op.due = due;
  op.scheduled = true;
  schedule_.emplace(due, op.key);
}

void Engine::Unschedule(Op& op) {
  if (!op.scheduled) return;
  schedule_.erase({op.due, op.key});
  op.scheduled = false;
}

std::optional<MonoTime> Engine::NextDue(const OperationKey& key) const {
  auto it = ops_.find(key);
  if (it == ops_.end() || !it->second.scheduled) return std::nullopt;
  return it->second.due;
}

std::optional<OperationState> Engine::StateOf(const OperationKey& key) const {
  auto it = ops_.find(key);
  if (it == ops_.end()) return std::nullopt;
  return it->second.state;
}

bool Engine::ListModeWanted() {
  if (once_) return false;
  if (demand_dirty_) {
    demand_dirty_ = false;
    switch (options_.use_list) {
      case ListMode::kAlways:
        list_mode_ = true;
        break;
      case ListMode::kNever:
        list_mode_ = false;
        break;
      case ListMode::kAuto: {
        // GETs per minute needed to poll every in-flight operation once per its interval.
        double demand = 0;
        for (const auto& [key, op] : ops_) {
          if (op.state != OperationState::kActive || IsTerminalStatus(op.status)) continue;
          demand += 60000.0 / static_cast<double>(std::max<int64_t>(1, IntervalOf(op).count()));
        }
        const bool was = list_mode_;
        list_mode_ = demand > static_cast<double>(options_.requests_per_minute);
        if (list_mode_ != was) {
          log_->info(
              "{} list-based refresh: {:.0f} status calls per minute would be needed, budget is {}",
              list_mode_ ? "using" : "no longer using", demand, options_.requests_per_minute);
        }
        break;
      }
    }
  }
  return list_mode_;
}

bool Engine::BlockedByList(const Op& op) const {
  if (!list_mode_) return false;
  // Only the first run holds GETs back (they would fetch what it is about to bring). Later runs
  // can follow each other without a gap (a run longer than the interval): holding GETs for them
  // starved the operations that left the list, whose terminal snapshot only a GET fetches
  // (bench/b1.py at N = 5,000: no GET at all, 57 % of the changes never seen).
  auto it = lists_.find(op.key.kind);
  return it != lists_.end() && it->second.active && !it->second.completed_once;
}

MonoTime Engine::Step() {
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(mu_);
    tasks.swap(inbox_);
  }
  for (auto& task : tasks) task();

  MonoTime now = clock_.Now();
  if (ListModeWanted()) {
    MaybeStartList(OperationKind::kDevice, now);
    MaybeStartList(OperationKind::kUpdate, now);
  }
  Dispatch(now);
  if (!pending_records_.empty()) {
    writer_.Enqueue(std::move(pending_records_));
    pending_records_.clear();
  }
  PublishStats(now);

  MonoTime next = MonoTime::max();
  if (in_flight_ < static_cast<size_t>(options_.max_concurrency)) {
    for (const auto& [due, key] : schedule_) {
      if (BlockedByList(ops_.at(key))) continue;
      next = due > now ? due : get_budget_.NextAvailable(now);
      break;
    }
    if (list_mode_) {
      for (auto kind : {OperationKind::kDevice, OperationKind::kUpdate}) {
        auto it = lists_.find(kind);
        if (it == lists_.end() || it->second.page_in_flight) continue;
        const MonoTime list_next =
            it->second.active ? list_budget_.NextAvailable(now)
                              : std::max(it->second.next_due, list_budget_.NextAvailable(now));
        next = std::min(next, list_next);
      }
    }
  }
  return next;
}

void Engine::Dispatch(MonoTime now) {
  const auto cap = static_cast<size_t>(std::max(1, options_.max_concurrency));
  std::vector<Op*> ready;  // pointers: ops_ is a map, stable while nothing is erased
  while (in_flight_ < cap) {
    ready.clear();
    for (const auto& [due, key] : schedule_) {
      if (due > now || ready.size() >= cap - in_flight_) break;
      Op& op = ops_.at(key);
      if (!BlockedByList(op)) ready.push_back(&op);
    }
    if (ready.empty()) return;
    for (Op* op : ready) {
      if (!get_budget_.TryAcquire(now)) return;
      if (figures_ != nullptr) figures_->CountBudgetUse(RequestCall::kGet, now);
      StartFetch(*op, now);
    }
  }
}

void Engine::StartFetch(Op& op, MonoTime /*now*/) {
  Unschedule(op);
  op.in_flight = true;
  ++in_flight_;
  const OperationKey key = op.key;
  if (log_->should_log(spdlog::level::trace)) {
    ScopedLogFields fields(FieldsFor(key));
    log_->trace("operation {} ({}): GET {}", key.id, KindName(key.kind),
                op.etag.empty() ? std::string("(unconditional)") : "if-none-match " + op.etag);
  }
  service_.Fetch(key, op.etag, [this, key](FetchOutcome outcome) {
    Post([this, key, outcome = std::move(outcome)]() mutable { OnFetch(key, std::move(outcome)); });
  });
}

void Engine::Enqueue(const Op& op, PollRecord::Type type, WallTime at, std::optional<Duration> next,
                     std::optional<Snapshot> snapshot, std::optional<PollError> error) {
  PollRecord rec;
  rec.type = type;
  rec.key = op.key;
  rec.at = at;
  rec.state = op.state;
  if (next) rec.next_poll_at = at + *next;
  rec.snapshot = std::move(snapshot);
  rec.error = std::move(error);
  pending_records_.push_back(std::move(rec));
}

void Engine::OnFetch(const OperationKey& key, FetchOutcome outcome) {
  if (in_flight_ > 0) --in_flight_;
  auto it = ops_.find(key);
  if (it == ops_.end() || !it->second.in_flight) return;  // unwatched while in flight
  Op& op = it->second;
  op.in_flight = false;
  if (stopping_ && outcome.type == FetchOutcome::Type::kFailed) return;  // our own cancellation

  const MonoTime now = clock_.Now();
  const WallTime wall = clock_.WallNow();
  if (log_->should_log(spdlog::level::trace)) {
    // The answer as the engine sees it; bodies are operation JSON, which never holds a secret.
    ScopedLogFields fields(FieldsFor(key));
    constexpr size_t kMaxDump = 2048;
    log_->trace(
        "operation {} ({}): answer HTTP {}, etag {}, retry-after {}, {} body bytes{}{}", key.id,
        KindName(key.kind), outcome.http_status ? std::to_string(*outcome.http_status) : "-",
        outcome.etag.empty() ? "-" : outcome.etag,
        outcome.retry_after ? std::to_string(outcome.retry_after->count()) + "s" : "-",
        outcome.body.size(), outcome.body.empty() ? "" : ": ", outcome.body.substr(0, kMaxDump));
  }
  op.polled_once = true;
  ++polls_;
  last_poll_ = now;

  PollRecord::Type type = PollRecord::Type::kUnchanged;
  std::optional<Snapshot> snapshot;
  std::optional<PollError> error;
  Duration delay{0};
  const auto prior_state = op.state;

  switch (outcome.type) {
    case FetchOutcome::Type::kBody:
      if (!op.etag.empty() && outcome.etag == op.etag) {
        if (log_->should_log(spdlog::level::debug)) {
          ScopedLogFields fields(FieldsFor(op.key));
          log_->debug("operation {} ({}): unchanged (same etag)", op.key.id, KindName(op.key.kind));
        }
      } else {
        type = PollRecord::Type::kSnapshot;
        snapshot = ApplyBody(op, outcome.operation, outcome.etag, outcome.body, wall);
      }
      [[fallthrough]];
    case FetchOutcome::Type::kNotModified:
      // The 304 path is the hot one: no log fields built unless debug is on.
      if (outcome.type == FetchOutcome::Type::kNotModified &&
          log_->should_log(spdlog::level::debug)) {
        ScopedLogFields fields(FieldsFor(op.key));
        log_->debug("operation {} ({}): not modified", op.key.id, KindName(op.key.kind));
      }
      ClearFailureStreak(op);
      if (op.state == OperationState::kNotFound) op.state = OperationState::kActive;
      if (figures_ != nullptr) figures_->SetLastSuccessfulPoll(wall);
      delay = Jittered(IntervalOf(op));
      break;
    case FetchOutcome::Type::kNotFound:
    case FetchOutcome::Type::kFailed:
      type = PollRecord::Type::kFailed;
      ++op.failures;
      if (outcome.type == FetchOutcome::Type::kNotFound) op.state = OperationState::kNotFound;
      error = ApplyFailure(op, outcome.failure, wall);
      delay = Backoff(op);
      break;
  }
  delay = std::max(delay, ClampRetryAfter(outcome.retry_after));
  if (op.state != prior_state) demand_dirty_ = true;

  const bool again = Wanted(op) && !once_;
  if (again) Schedule(op, now + delay);
  Enqueue(op, type, wall, Wanted(op) ? std::optional<Duration>(delay) : std::nullopt,
          std::move(snapshot), std::move(error));
}

Snapshot Engine::ApplyBody(Op& op, const Operation& operation, const std::string& etag,
                           const std::string& body, WallTime now) {
  Snapshot s;
  s.key = op.key;
  s.observed_at = now;
  s.status = operation.status;
  s.etag = etag;
  s.created_at = NormalizeTimestamp(operation.created_at);
  s.last_action_at = NormalizeTimestamp(operation.last_action_at);
  s.trace_id = operation.trace_id;
  s.body = body;
  if (operation.error) {
    s.error_code = operation.error->code;
    s.error_message = operation.error->message;
  }

  const std::string old_status = op.status;
  const std::string_view kind = KindName(op.key.kind);
  LogFields fields = FieldsFor(op.key);
  fields.status = operation.status;
  fields.old_status = old_status;
  if (operation.error) fields.error_code = operation.error->code;
  ScopedLogFields scoped(fields);
  const bool changed = old_status != operation.status;
  if (old_status.empty()) {
    log_->info("operation {} ({}): first seen {}", op.key.id, kind, operation.status);
  } else if (changed) {
    log_->info("operation {} ({}): {} -> {}", op.key.id, kind, old_status, operation.status);
  } else {
    log_->debug("operation {} ({}): body changed, still {}", op.key.id, kind, operation.status);
  }
  if (changed && !IsKnownStatus(operation.status)) {
    log_->warn("operation {} ({}): unknown status \"{}\" (stored as received, not terminal)",
               op.key.id, kind, operation.status);
  }
  if (changed && operation.error && IsTerminalStatus(operation.status) &&
      operation.status != "Succeeded") {
    log_->warn("operation {} ({}): failed: {}", op.key.id, kind, DescribeError(*operation.error));
  }

  PublishSnapshotFigures(op, s, old_status.empty() || changed);
  op.status = operation.status;
  op.etag = etag;
  if (IsTerminalStatus(operation.status)) {
    op.state = OperationState::kTerminal;
  } else {
    op.state = OperationState::kActive;
  }
  return s;
}

PollError Engine::ApplyFailure(Op& op, const FetchFailure& failure, WallTime now) {
  PollError e;
  e.key = op.key;
  e.at = now;
  e.category = failure.category;
  e.http_status = failure.http_status;
  e.code = failure.code;
  e.message = failure.message;
  if (figures_ != nullptr) figures_->CountPollError(failure.category);

  error_times_.push_back(clock_.Now());
  const std::string signature = std::string(CategoryName(failure.category)) + "|" +
                                std::to_string(failure.http_status.value_or(0)) + "|" +
                                failure.code;
  LogFields fields = FieldsFor(op.key);
  fields.status = op.status;
  fields.http_status = failure.http_status;
  fields.error_code = failure.code;
  ScopedLogFields scoped(fields);
  const std::string status_text =
      failure.http_status ? "HTTP " + std::to_string(*failure.http_status) : "no HTTP status";
  if (signature == op.failure_signature) {
    ++op.repeats;
    log_->debug("operation {} ({}): poll failed again ({}, {}{}{}): {} [{} in a row]", op.key.id,
                KindName(op.key.kind), CategoryName(failure.category), status_text,
                failure.code.empty() ? "" : ", ", failure.code, failure.message, op.repeats + 1);
    return e;
  }
  if (op.repeats > 0) {
    log_->warn("operation {} ({}): previous failure repeated {} more times", op.key.id,
               KindName(op.key.kind), op.repeats);
  }
  op.failure_signature = signature;
  op.repeats = 0;
  log_->warn("operation {} ({}): poll failed ({}, {}{}{}): {}", op.key.id, KindName(op.key.kind),
             CategoryName(failure.category), status_text, failure.code.empty() ? "" : ", ",
             failure.code, failure.message);
  return e;
}

void Engine::ClearFailureStreak(Op& op) {
  if (op.failure_signature.empty()) return;
  ScopedLogFields scoped(FieldsFor(op.key));
  if (op.repeats > 0) {
    log_->warn("operation {} ({}): previous failure repeated {} more times, now recovered",
               op.key.id, KindName(op.key.kind), op.repeats);
  } else {
    log_->info("operation {} ({}): polling recovered", op.key.id, KindName(op.key.kind));
  }
  op.failure_signature.clear();
  op.repeats = 0;
  op.failures = 0;
}

void Engine::MaybeStartList(OperationKind kind, MonoTime now) {
  bool any = false;
  for (const auto& [key, op] : ops_) {
    if (key.kind == kind && op.state == OperationState::kActive) {
      any = true;
      break;
    }
  }
  if (!any) return;
  ListRun& run = lists_[kind];
  if (run.page_in_flight) return;
  if (!run.active) {
    if (now < run.next_due) return;
    run.active = true;
    run.started = now;
    run.next_page.reset();
    run.seen.clear();
  }
  if (in_flight_ >= static_cast<size_t>(options_.max_concurrency)) return;
  if (!list_budget_.TryAcquire(now)) return;
  if (figures_ != nullptr) figures_->CountBudgetUse(RequestCall::kList, now);
  run.page_in_flight = true;
  ++in_flight_;
  service_.ListInFlight(kind, run.next_page, [this, kind](ListOutcome outcome) {
    Post([this, kind, outcome = std::move(outcome)]() mutable {
      OnListPage(kind, std::move(outcome));
    });
  });
}

void Engine::OnListPage(OperationKind kind, ListOutcome outcome) {
  if (in_flight_ > 0) --in_flight_;
  ListRun& run = lists_[kind];
  run.page_in_flight = false;
  if (!run.active || stopping_) return;
  const MonoTime now = clock_.Now();
  const WallTime wall = clock_.WallNow();
  ++polls_;
  last_poll_ = now;

  if (!outcome.ok) {
    run.active = false;
    ++run.failures;
    error_times_.push_back(now);
    Duration delay = options_.interval * (int64_t{1} << std::clamp(run.failures - 1, 0, 10));
    delay = std::min(std::max(delay, options_.interval),
                     std::max(options_.backoff_max, options_.interval));
    delay = std::max(delay, ClampRetryAfter(outcome.retry_after));
    run.next_due = now + delay;
    log_->warn("list of in-flight {} operations failed ({}, {}): {}; polling one by one meanwhile",
               KindName(kind), CategoryName(outcome.failure.category),
               outcome.failure.http_status ? std::to_string(*outcome.failure.http_status)
                                           : std::string("no HTTP status"),
               outcome.failure.message);
    return;
  }
  run.failures = 0;
  if (figures_ != nullptr) figures_->SetLastSuccessfulPoll(wall);
  for (const auto& item : outcome.items) {
    run.seen.insert(item.operation.operation_id);
    auto it = ops_.find(OperationKey{kind, item.operation.operation_id});
    if (it == ops_.end()) continue;
    Op& op = it->second;
    if (!Wanted(op) || op.in_flight || op.state == OperationState::kTerminal) continue;
    op.seen_in_list = true;
    const Duration next = IntervalOf(op) * 2;  // per-operation fallback should lists stop working
    if (!op.etag.empty() && item.etag == op.etag) {
      Enqueue(op, PollRecord::Type::kUnchanged, wall, next, std::nullopt, std::nullopt);
    } else {
      auto snapshot = ApplyBody(op, item.operation, item.etag, item.body, wall);
      demand_dirty_ = true;
      Enqueue(op, PollRecord::Type::kSnapshot, wall,
              Wanted(op) ? std::optional(next) : std::nullopt, std::move(snapshot), std::nullopt);
    }
    ClearFailureStreak(op);
    if (Wanted(op)) {
      Schedule(op, now + next);
    } else {
      Unschedule(op);
    }
  }
  if (outcome.retry_after) run.next_due = now + ClampRetryAfter(outcome.retry_after);
  if (outcome.next_page) {
    run.next_page = outcome.next_page;
  } else {
    FinishList(kind, now);
  }
}

void Engine::FinishList(OperationKind kind, MonoTime now) {
  ListRun& run = lists_[kind];
  run.active = false;
  run.completed_once = true;
  // Runs start one interval apart, counted from the start of this one: counted from its end, a
  // run of many pages (20 pages at 50 calls/min take 25 s) stretched the cycle to interval + run
  // time, and the detection latency's p99 with it (bench/b1.py: 70 s at N = 1,000 for a 30 s
  // interval). A run longer than the interval is followed at once, within the list budget.
  run.next_due = std::max(run.next_due, std::max(now, run.started + Jittered(options_.interval)));
  for (auto& [key, op] : ops_) {
    if (key.kind != kind || !Wanted(op) || op.in_flight || run.seen.count(key.id) > 0) continue;
    const bool was_in_flight =
        op.seen_in_list || (!op.status.empty() && !IsTerminalStatus(op.status));
    op.seen_in_list = false;
    // It left the in-flight list: one GET fetches its terminal snapshot.
    if (was_in_flight && (!op.scheduled || op.due > now)) Schedule(op, now);
  }
}

void Engine::PublishStats(MonoTime now) {
  while (!error_times_.empty() && now - error_times_.front() > std::chrono::hours(1)) {
    error_times_.pop_front();
  }
  std::lock_guard lock(mu_);
  last_progress_ = now;
  if (now < stats_due_) {
    stats_.requests_in_flight = in_flight_;
    stats_.polls = polls_;
    stats_.last_poll = last_poll_;
    stats_.errors_last_hour = error_times_.size();
    return;
  }
  stats_due_ = now + std::chrono::seconds(1);
  EngineStats s;
  s.watched = ops_.size();
  for (const auto& [key, op] : ops_) {
    switch (op.state) {
      case OperationState::kTerminal:
        ++s.done;
        break;
      case OperationState::kNotFound:
        ++s.not_found;
        break;
      default:
        ++s.in_flight_operations;
    }
  }
  s.requests_in_flight = in_flight_;
  s.polls = polls_;
  s.errors_last_hour = error_times_.size();
  s.last_poll = last_poll_;
  s.list_mode = list_mode_;
  stats_ = s;
  PublishOperationCounts();
}

void Engine::PublishOperationCounts() {
  if (figures_ == nullptr) return;
  // A handful of groups: a linear search beats building map keys for each of 10,000 operations.
  std::vector<OperationCount> counts;
  for (const auto& [key, op] : ops_) {
    auto it = std::find_if(counts.begin(), counts.end(), [&](const OperationCount& c) {
      return c.kind == key.kind && c.state == op.state && c.status == op.status;
    });
    if (it == counts.end()) {
      counts.push_back({key.kind, op.state, op.status, 1});
    } else {
      ++it->count;
    }
  }
  figures_->SetOperations(std::move(counts));
}

void Engine::PublishSnapshotFigures(const Op& op, const Snapshot& s, bool transition) {
  if (figures_ == nullptr) return;
  if (transition) figures_->CountTransition(op.key.kind, s.status);
  // observed_at - lastActionDateTime: how long the change took to reach the database.
  if (auto last_action = ParseTimestamp(s.last_action_at)) {
    figures_->ObserveDetectionDelay(
        std::chrono::duration_cast<Duration>(s.observed_at - *last_action));
  }
}

EngineStats Engine::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

MonoTime Engine::LastProgress() const {
  std::lock_guard lock(mu_);
  return last_progress_;
}

void Engine::Post(std::function<void()> task) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    // The engine thread only waits with an empty inbox and takes all of it per Step: a task
    // added behind others needs no second wakeup.
    wake = inbox_.empty();
    inbox_.push_back(std::move(task));
  }
  if (wake) cv_.notify_all();
}

void Engine::RequestStop() {
  {
    std::lock_guard lock(mu_);
    stop_requested_ = true;
  }
  cv_.notify_all();
}

void Engine::UpdateWatchList(const std::vector<WatchItem>& watch) {
  const MonoTime now = clock_.Now();
  std::set<OperationKey> keep;
  std::vector<OperationKey> keys;
  size_t added = 0;
  for (const auto& item : watch) {
    keep.insert(item.key);
    keys.push_back(item.key);
    auto it = ops_.find(item.key);
    if (it == ops_.end()) {
      Op op;
      op.key = item.key;
      op.interval = item.interval;
      auto [ins, ok] = ops_.emplace(item.key, std::move(op));
      Schedule(ins->second, now);
      ++added;
      ScopedLogFields scoped(FieldsFor(item.key));
      log_->info("operation {} ({}): now watched", item.key.id, KindName(item.key.kind));
      continue;
    }
    Op& op = it->second;
    if (op.interval != item.interval) {
      op.interval = item.interval;
      const MonoTime sooner = now + Jittered(IntervalOf(op));
      if (op.scheduled && op.due > sooner && op.failures == 0) Schedule(op, sooner);
    }
  }
  size_t removed = 0;
  for (auto it = ops_.begin(); it != ops_.end();) {
    if (keep.count(it->first) > 0) {
      ++it;
      continue;
    }
    ScopedLogFields scoped(FieldsFor(it->first));
    log_->info("operation {} ({}): no longer watched", it->first.id, KindName(it->first.kind));
    Unschedule(it->second);
    it = ops_.erase(it);
    ++removed;
  }
  writer_.SetWatchList(std::move(keys));
  demand_dirty_ = true;
  log_->info("watch list: {} operations ({} added, {} removed)", ops_.size(), added, removed);
}

void Engine::UpdateOptions(const EngineOptions& options) {
  const MonoTime now = clock_.Now();
  const bool interval_shorter = options.interval < options_.interval;
  options_ = options;
  get_budget_.SetRate(options_.requests_per_minute, now, options_.budget_time_scale);
  list_budget_.SetRate(options_.list_requests_per_minute, now, options_.budget_time_scale);
  demand_dirty_ = true;
  if (interval_shorter) {
    for (auto& [key, op] : ops_) {
      const MonoTime sooner = now + Jittered(IntervalOf(op));
      if (op.scheduled && op.due > sooner && op.failures == 0) Schedule(op, sooner);
    }
  }
  for (auto& [key, op] : ops_) {
    if (!op.scheduled && !op.in_flight && Wanted(op)) Schedule(op, now);
  }
}

void Engine::Run(bool once, Duration drain) {
  once_ = once;
  if (once_) {
    const MonoTime now = clock_.Now();
    for (auto& [key, op] : ops_) {
      if (Wanted(op)) Schedule(op, now);
    }
  }
  while (true) {
    const MonoTime next = Step();
    std::unique_lock lock(mu_);
    if (stop_requested_) break;
    if (once_ && schedule_.empty() && in_flight_ == 0 && inbox_.empty()) break;
    if (!inbox_.empty()) continue;
    auto wake = [&] { return stop_requested_ || !inbox_.empty(); };
    if (next == MonoTime::max()) {
      cv_.wait(lock, wake);
    } else {
      const auto wait = next - clock_.Now();
      if (wait > MonoTime::duration::zero()) cv_.wait_for(lock, wait, wake);
    }
  }

  stopping_ = true;
  service_.CancelAll();
  const MonoTime deadline = clock_.Now() + drain;
  while (in_flight_ > 0 && clock_.Now() < deadline) {
    std::vector<std::function<void()>> tasks;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, deadline - clock_.Now(), [&] { return !inbox_.empty(); });
      tasks.swap(inbox_);
    }
    for (auto& task : tasks) task();
  }
  if (in_flight_ > 0) log_->warn("{} requests did not finish before shutdown", in_flight_);
  if (!pending_records_.empty()) {
    writer_.Enqueue(std::move(pending_records_));
    pending_records_.clear();
  }
  PublishStats(clock_.Now());
  PublishOperationCounts();  // the final figures, whatever PublishStats' once-a-second pace
}

}  // namespace adu
