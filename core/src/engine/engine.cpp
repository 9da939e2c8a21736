#include "adu/core/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "engine/engine_impl.h"
#include "engine/log_support.h"

namespace adu {
namespace {

// While polls are held back, how often the engine looks whether the writer has drained.
constexpr Duration kPausedRecheck = std::chrono::milliseconds(250);

}  // namespace

using engine::Op;

Engine::Impl::Impl(EngineOptions options, OperationService& service, StoreWriter& writer,
                   Clock& clock, std::shared_ptr<spdlog::logger> logger, uint64_t seed)
    : service_(service),
      writer_(writer),
      clock_(clock),
      log_(std::move(logger)),
      state_(options, seed),
      handoff_(writer, log_),
      applier_(state_, handoff_, log_),
      lists_(
          state_, applier_, service, clock, log_,
          [this](std::function<void()> task) { Post(std::move(task)); },
          [this] { SendWatchList(); }),
      get_budget_(options.requests_per_minute, clock.Now(), options.budget_time_scale) {
  last_progress_ = clock_.Now();
}

void Engine::Impl::Start(const std::vector<OperationRecord>& records,
                         const std::vector<WatchItem>& watch) {
  std::map<OperationKey, const OperationRecord*> known;
  for (const auto& rec : records) known.emplace(rec.key, &rec);
  const MonoTime now = clock_.Now();
  const WallTime wall = clock_.WallNow();
  for (const auto& item : watch) {
    Op op;
    op.key = item.key;
    op.interval = item.interval;
    op.origin = item.origin;
    MonoTime due = now;
    if (auto it = known.find(item.key); it != known.end()) {
      const OperationRecord& rec = *it->second;
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
    auto [it, inserted] = state_.ops.emplace(op.key, std::move(op));
    if (inserted && state_.Wanted(it->second)) state_.schedule.Set(it->first, due);
  }
  ResumeDiscovered(records, now);
  // Through the writer, like every other write: a user's shell holding the write lock at start
  // must delay this, not fail the start.
  SendWatchList();
  state_.demand_dirty = true;
  PublishStats(now);
}

void Engine::Impl::ResumeDiscovered(const std::vector<OperationRecord>& records, MonoTime now) {
  for (const auto& rec : records) {
    if (rec.origin != OperationOrigin::kDiscovered || rec.state == OperationState::kUnwatched ||
        !lists_.Discovers(rec.key.kind) || state_.Find(rec.key) != nullptr) {
      continue;
    }
    Op op;
    op.key = rec.key;
    op.origin = OperationOrigin::kDiscovered;
    op.status = rec.status.value_or("");
    op.etag = rec.etag.value_or("");
    op.state = rec.state;
    if (op.state == OperationState::kTerminal && !IsTerminalStatus(op.status)) {
      op.state = OperationState::kActive;
    }
    op.seen_in_list = op.state == OperationState::kActive;
    // The first run (unfiltered) brings its snapshot: a GET only should the lists fail.
    const MonoTime due = now + 2 * state_.options.discovery.interval;
    auto [it, inserted] = state_.ops.emplace(op.key, std::move(op));
    if (inserted && state_.Wanted(it->second)) state_.schedule.Set(it->first, due);
  }
}

std::vector<WatchedOperation> Engine::Impl::WatchedList() const {
  std::vector<WatchedOperation> out;
  out.reserve(state_.ops.size());
  for (const auto& [key, op] : state_.ops) out.push_back({key, op.origin});
  return out;
}

size_t Engine::Impl::DropUndiscovered() {
  size_t dropped = 0;
  for (auto it = state_.ops.begin(); it != state_.ops.end();) {
    const Op& op = it->second;
    if (op.origin != OperationOrigin::kDiscovered || lists_.Discovers(op.key.kind)) {
      ++it;
      continue;
    }
    state_.schedule.Remove(it->first);
    it = state_.ops.erase(it);
    ++dropped;
  }
  return dropped;
}

void Engine::Impl::RunTasks() {
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(mu_);
    tasks.swap(inbox_);
  }
  for (auto& task : tasks) task();
}

MonoTime Engine::Impl::Step() {
  RunTasks();
  const MonoTime now = clock_.Now();
  // What the answers yielded goes to the writer first: if it cannot take it all, no new poll.
  handoff_.Flush();
  paused_ = handoff_.PollsPaused(now, clock_.WallNow(), state_.schedule);
  if (!paused_) {
    lists_.ModeWanted();  // MaybeStart knows what each kind's runs are wanted for
    lists_.MaybeStart(OperationKind::kDevice, now);
    lists_.MaybeStart(OperationKind::kUpdate, now);
    Dispatch(now);
  }
  PublishStats(now);
  return NextWake(now, paused_);
}

MonoTime Engine::Impl::NextWake(MonoTime now, bool paused) {
  if (paused) return now + kPausedRecheck;
  if (state_.in_flight >= static_cast<size_t>(state_.options.max_concurrency)) {
    return MonoTime::max();  // a completion wakes the engine
  }
  MonoTime next = MonoTime::max();
  for (const auto& [due, key] : state_.schedule) {
    if (lists_.HoldsBack(state_.ops.at(key))) continue;
    next = due > now ? due : get_budget_.NextAvailable(now);
    break;
  }
  if (stats_stale_) next = std::min(next, stats_due_);
  return std::min(next, lists_.NextWake(now));
}

void Engine::Impl::Dispatch(MonoTime now) {
  const auto cap = static_cast<size_t>(std::max(1, state_.options.max_concurrency));
  std::vector<Op*> ready;  // pointers: ops is a map, stable while nothing is erased
  while (state_.in_flight < cap) {
    ready.clear();
    for (const auto& [due, key] : state_.schedule) {
      if (due > now || ready.size() >= cap - state_.in_flight) break;
      Op& op = state_.ops.at(key);
      if (!lists_.HoldsBack(op)) ready.push_back(&op);
    }
    if (ready.empty()) return;
    for (Op* op : ready) {
      if (!get_budget_.TryAcquire(now)) return;
      if (state_.figures != nullptr) state_.figures->CountBudgetUse(RequestCall::kGet, now);
      StartFetch(*op);
    }
  }
}

void Engine::Impl::StartFetch(Op& op) {
  state_.schedule.Remove(op.key);
  op.in_flight = true;
  ++state_.in_flight;
  const OperationKey key = op.key;
  if (log_->should_log(spdlog::level::trace)) {
    ScopedLogFields fields(engine::FieldsFor(key));
    log_->trace("operation {} ({}): GET {}", key.id, KindName(key.kind),
                op.etag.empty() ? std::string("(unconditional)") : "if-none-match " + op.etag);
  }
  service_.Fetch(key, op.etag, [this, key](FetchOutcome outcome) {
    Post([this, key, outcome = std::move(outcome)]() mutable { OnFetch(key, std::move(outcome)); });
  });
}

void Engine::Impl::OnFetch(const OperationKey& key, FetchOutcome outcome) {
  if (state_.in_flight > 0) --state_.in_flight;
  Op* op = state_.Find(key);
  if (op == nullptr || !op->in_flight) return;  // unwatched while in flight
  op->in_flight = false;
  // Our own cancellation at shutdown is no poll error (a 404 still is an answer).
  if (state_.stopping && outcome.failed() && !outcome.failed()->not_found) return;
  applier_.ApplyFetch(*op, std::move(outcome), clock_.Now(), clock_.WallNow());
}

void Engine::Impl::Run(bool once, Duration drain) {
  state_.once = once;
  if (once) {
    const MonoTime now = clock_.Now();
    for (auto& [key, op] : state_.ops) {
      if (state_.Wanted(op)) state_.schedule.Set(key, now);
    }
  }
  while (true) {
    const MonoTime next = Step();
    std::unique_lock lock(mu_);
    if (stop_requested_) break;
    if (once && state_.schedule.empty() && state_.in_flight == 0 && inbox_.empty() &&
        handoff_.held() == 0) {
      break;
    }
    if (!inbox_.empty()) continue;
    clock_.WaitUntil(lock, cv_, next, [&] { return stop_requested_ || !inbox_.empty(); });
  }
  state_.stopping = true;
  service_.CancelAll();
  Drain(drain);
  handoff_.Flush();
  if (handoff_.held() > 0) {
    log_->error("{} results could not be handed to the database writer before exit",
                handoff_.held());
  }
  PublishStats(clock_.Now());
  PublishOperationCounts();  // the final figures, whatever PublishStats' once-a-second pace
}

void Engine::Impl::Drain(Duration drain) {
  const MonoTime deadline = clock_.Now() + drain;
  while (state_.in_flight > 0 && clock_.Now() < deadline) {
    std::vector<std::function<void()>> tasks;
    {
      std::unique_lock lock(mu_);
      clock_.WaitUntil(lock, cv_, deadline, [&] { return !inbox_.empty(); });
      tasks.swap(inbox_);
    }
    for (auto& task : tasks) task();
  }
  if (state_.in_flight > 0) {
    log_->warn("{} requests did not finish before shutdown", state_.in_flight);
  }
}

void Engine::Impl::Post(std::function<void()> task) {
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

void Engine::Impl::RequestStop() {
  {
    std::lock_guard lock(mu_);
    stop_requested_ = true;
  }
  cv_.notify_all();
}

bool Engine::Impl::AddOrUpdate(const WatchItem& item, MonoTime now) {
  Op* known = state_.Find(item.key);
  if (known == nullptr) {
    Op op;
    op.key = item.key;
    op.interval = item.interval;
    op.origin = item.origin;
    state_.ops.emplace(item.key, std::move(op));
    state_.schedule.Set(item.key, now);
    ScopedLogFields scoped(engine::FieldsFor(item.key));
    log_->info("operation {} ({}): now watched", item.key.id, KindName(item.key.kind));
    return true;
  }
  // Named now: a discovered operation becomes a watch-list one, polled as such.
  if (known->origin != item.origin && known->origin == OperationOrigin::kDiscovered &&
      !known->in_flight && state_.Wanted(*known) && !state_.schedule.DueOf(item.key)) {
    state_.schedule.Set(item.key, now);
  }
  known->origin = item.origin;
  if (known->interval != item.interval) {
    known->interval = item.interval;
    const MonoTime sooner = now + state_.schedule.Jittered(state_.IntervalOf(*known));
    const auto due = state_.schedule.DueOf(item.key);
    if (due && *due > sooner && known->failures == 0) state_.schedule.Set(item.key, sooner);
  }
  return false;
}

size_t Engine::Impl::RemoveUnwatched(const std::vector<WatchItem>& watch) {
  std::set<OperationKey> keep;
  for (const auto& item : watch) keep.insert(item.key);
  size_t removed = 0;
  for (auto it = state_.ops.begin(); it != state_.ops.end();) {
    const bool still_discovered =
        it->second.origin == OperationOrigin::kDiscovered && lists_.Discovers(it->first.kind);
    if (keep.count(it->first) > 0 || still_discovered) {
      ++it;
      continue;
    }
    ScopedLogFields scoped(engine::FieldsFor(it->first));
    log_->info("operation {} ({}): no longer watched", it->first.id, KindName(it->first.kind));
    state_.schedule.Remove(it->first);
    it = state_.ops.erase(it);
    ++removed;
  }
  return removed;
}

void Engine::Impl::UpdateWatchList(const std::vector<WatchItem>& watch) {
  const MonoTime now = clock_.Now();
  size_t added = 0;
  for (const auto& item : watch) {
    if (AddOrUpdate(item, now)) ++added;
  }
  const size_t removed = RemoveUnwatched(watch);
  SendWatchList();
  state_.demand_dirty = true;
  log_->info("watch list: {} operations ({} added, {} removed)", state_.ops.size(), added, removed);
}

void Engine::Impl::UpdateOptions(const EngineOptions& options) {
  const MonoTime now = clock_.Now();
  const bool interval_shorter = options.interval < state_.options.interval;
  const DiscoveryOptions discovery_before = state_.options.discovery;
  state_.options = options;
  if (!(discovery_before == options.discovery)) {
    lists_.DiscoveryChanged(discovery_before, now);
    const size_t dropped = DropUndiscovered();
    log_->info("discovery {} ({} discovered operations no longer watched)",
               options.discovery.enabled() ? "changed" : "off", dropped);
    SendWatchList();
  }
  state_.schedule.SetOptions(engine::ScheduleOptionsFrom(options));
  get_budget_.SetRate(options.requests_per_minute, now, options.budget_time_scale);
  lists_.SetRate(options, now);
  state_.demand_dirty = true;
  for (auto& [key, op] : state_.ops) {
    const auto due = state_.schedule.DueOf(key);
    if (interval_shorter && due && op.failures == 0) {
      const MonoTime sooner = now + state_.schedule.Jittered(state_.IntervalOf(op));
      if (*due > sooner) state_.schedule.Set(key, sooner);
    }
  }
  for (auto& [key, op] : state_.ops) {
    if (!state_.schedule.DueOf(key) && !op.in_flight && state_.Wanted(op)) {
      state_.schedule.Set(key, now);
    }
  }
}

EngineStats Engine::Impl::CountStates() const {
  EngineStats s;
  s.watched = state_.ops.size();
  for (const auto& [key, op] : state_.ops) {
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
  return s;
}

void Engine::Impl::PublishStats(MonoTime now) {
  while (!state_.error_times.empty() && now - state_.error_times.front() > std::chrono::hours(1)) {
    state_.error_times.pop_front();
  }
  const bool full = now >= stats_due_;
  stats_stale_ = !full;
  EngineStats s;
  if (full) {
    stats_due_ = now + std::chrono::seconds(1);
    s = CountStates();
    s.list_mode = lists_.mode();
    s.database_unavailable_since = writer_.UnavailableSince();
    PublishOperationCounts();
  }
  std::lock_guard lock(mu_);
  last_progress_ = now;
  if (full) stats_ = s;
  stats_.requests_in_flight = state_.in_flight;
  stats_.polls = state_.polls;
  stats_.last_poll = state_.last_poll;
  stats_.errors_last_hour = state_.error_times.size();
  stats_.polls_paused = paused_;
  stats_.polls_paused_since = handoff_.paused_since();
}

void Engine::Impl::PublishOperationCounts() {
  if (state_.figures == nullptr) return;
  // A handful of groups: a linear search beats building map keys for each of 10,000 operations.
  std::vector<OperationCount> counts;
  for (const auto& entry : state_.ops) {
    // Named members, not a structured binding: clang 14 (the fuzz build) cannot capture those.
    const OperationKey& key = entry.first;
    const auto& op = entry.second;
    auto it = std::find_if(counts.begin(), counts.end(), [&](const OperationCount& c) {
      return c.kind == key.kind && c.state == op.state && c.status == op.status;
    });
    if (it == counts.end()) {
      counts.push_back({key.kind, op.state, op.status, 1});
    } else {
      ++it->count;
    }
  }
  state_.figures->SetOperations(std::move(counts));
}

EngineStats Engine::Impl::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

MonoTime Engine::Impl::LastProgress() const {
  std::lock_guard lock(mu_);
  return last_progress_;
}

// ---------------------------------------------------------------------------------------------

Engine::Engine(EngineOptions options, OperationService& service, StoreWriter& writer, Clock& clock,
               std::shared_ptr<spdlog::logger> logger, uint64_t seed)
    : impl_(std::make_unique<Impl>(options, service, writer, clock, std::move(logger), seed)) {}
Engine::~Engine() = default;

void Engine::Start(const std::vector<OperationRecord>& records,
                   const std::vector<WatchItem>& watch) {
  impl_->Start(records, watch);
}
MonoTime Engine::Step() { return impl_->Step(); }
void Engine::Run(bool once, Duration drain) { impl_->Run(once, drain); }
void Engine::RequestStop() { impl_->RequestStop(); }
void Engine::Post(std::function<void()> task) { impl_->Post(std::move(task)); }
void Engine::UpdateWatchList(const std::vector<WatchItem>& watch) { impl_->UpdateWatchList(watch); }
void Engine::UpdateOptions(const EngineOptions& options) { impl_->UpdateOptions(options); }
EngineStats Engine::Stats() const { return impl_->Stats(); }
MonoTime Engine::LastProgress() const { return impl_->LastProgress(); }
void Engine::PublishFiguresTo(Figures& figures) { impl_->PublishFiguresTo(figures); }

size_t Engine::RequestsInFlightForTest() const { return impl_->state().in_flight; }
std::optional<MonoTime> Engine::NextDueForTest(const OperationKey& key) const {
  return impl_->state().schedule.DueOf(key);
}
std::optional<OperationOrigin> Engine::OriginOfForTest(const OperationKey& key) const {
  auto it = impl_->state().ops.find(key);
  if (it == impl_->state().ops.end()) return std::nullopt;
  return it->second.origin;
}
std::optional<OperationState> Engine::StateOfForTest(const OperationKey& key) const {
  auto it = impl_->state().ops.find(key);
  if (it == impl_->state().ops.end()) return std::nullopt;
  return it->second.state;
}

}  // namespace adu
