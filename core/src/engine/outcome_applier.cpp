#include "engine/outcome_applier.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "adu/core/log_fields.h"
#include "adu/core/time_format.h"
#include "engine/log_support.h"

namespace adu::engine {
namespace {

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

void OutcomeApplier::Hand(const Op& op, WallTime at, std::optional<Duration> next,
                          PollOutcome outcome) {
  PollRecord rec;
  rec.key = op.key;
  rec.at = at;
  rec.state = op.state;
  if (next) rec.next_poll_at = at + *next;
  rec.outcome = std::move(outcome);
  handoff_.Hand(std::move(rec));
}

void OutcomeApplier::TraceAnswer(const Op& op, const FetchOutcome& outcome) const {
  if (!log_->should_log(spdlog::level::trace)) return;
  // The answer as the engine sees it; bodies are operation JSON, which never holds a secret.
  ScopedLogFields fields(FieldsFor(op.key));
  constexpr size_t kMaxDump = 2048;
  const Changed* changed = outcome.changed();
  const std::string etag =
      changed && !changed->snapshot.etag.empty() ? changed->snapshot.etag : "-";
  const std::string body = changed ? changed->snapshot.body : std::string();
  log_->trace("operation {} ({}): answer HTTP {}, etag {}, retry-after {}, {} body bytes{}{}",
              op.key.id, KindName(op.key.kind),
              outcome.http_status ? std::to_string(*outcome.http_status) : "-", etag,
              outcome.retry_after ? std::to_string(outcome.retry_after->count()) + "s" : "-",
              body.size(), body.empty() ? "" : ": ", body.substr(0, kMaxDump));
}

void OutcomeApplier::ApplyFetch(Op& op, FetchOutcome outcome, MonoTime now, WallTime wall) {
  TraceAnswer(op, outcome);
  op.polled_once = true;
  ++state_.polls;
  state_.last_poll = now;
  const auto prior_state = op.state;
  Duration delay{0};
  PollOutcome stored = Unchanged{};
  if (auto* failed = std::get_if<Failed>(&outcome.result)) {
    ++op.failures;
    if (failed->not_found) op.state = OperationState::kNotFound;
    ApplyFailure(op, *failed, now, wall);
    delay = state_.schedule.AfterFailure(op.interval, op.failures);
    stored = std::move(*failed);
  } else {
    auto* changed = std::get_if<Changed>(&outcome.result);
    // The 304 path is the hot one: no log fields built unless debug is on.
    if (changed && !(!op.etag.empty() && changed->snapshot.etag == op.etag)) {
      ApplyChanged(op, *changed, wall);
      stored = std::move(*changed);
    } else if (log_->should_log(spdlog::level::debug)) {
      ScopedLogFields fields(FieldsFor(op.key));
      log_->debug("operation {} ({}): {}", op.key.id, KindName(op.key.kind),
                  changed ? "unchanged (same etag)" : "not modified");
    }
    ClearFailureStreak(op);
    if (op.state == OperationState::kNotFound) op.state = OperationState::kActive;
    if (state_.figures != nullptr) state_.figures->SetLastSuccessfulPoll(wall);
    delay = state_.schedule.AfterAnswer(op.interval);
  }
  delay = std::max(delay, state_.schedule.RetryAfter(outcome.retry_after));
  if (op.state != prior_state) state_.demand_dirty = true;
  const bool wanted = state_.Wanted(op);
  if (wanted && !state_.once) state_.schedule.Set(op.key, now + delay);
  Hand(op, wall, wanted ? std::optional<Duration>(delay) : std::nullopt, std::move(stored));
}

void OutcomeApplier::ApplyListed(Op& op, std::optional<Changed> changed, Duration next,
                                 MonoTime now, WallTime wall) {
  op.seen_in_list = true;
  if (!changed) {
    Hand(op, wall, next, Unchanged{});
  } else {
    ApplyChanged(op, *changed, wall);
    state_.demand_dirty = true;
    const bool wanted = state_.Wanted(op);
    Hand(op, wall, wanted ? std::optional(next) : std::nullopt, std::move(*changed));
  }
  ClearFailureStreak(op);
  if (state_.Wanted(op)) {
    state_.schedule.Set(op.key, now + next);
  } else {
    state_.schedule.Remove(op.key);
  }
}

void OutcomeApplier::ApplyChanged(Op& op, Changed& changed, WallTime wall) {
  Snapshot& s = changed.snapshot;
  s.key = op.key;
  s.observed_at = wall;
  LogTransition(op, changed);
  PublishSnapshot(op, s);
  op.status = s.status;
  op.etag = s.etag;
  op.state = IsTerminalStatus(s.status) ? OperationState::kTerminal : OperationState::kActive;
}

void OutcomeApplier::PublishSnapshot(const Op& op, const Snapshot& s) const {
  if (state_.figures == nullptr) return;
  // The first status and every change: exactly the rows of the transitions view.
  if (op.status.empty() || op.status != s.status)
    state_.figures->CountTransition(op.key.kind, s.status);
  // observed_at - lastActionDateTime: how long the change took to reach the database.
  if (auto last_action = ParseTimestamp(s.last_action_at)) {
    state_.figures->ObserveDetectionDelay(
        std::chrono::duration_cast<Duration>(s.observed_at - *last_action));
  }
}

void OutcomeApplier::LogTransition(const Op& op, const Changed& changed) const {
  const std::string& status = changed.snapshot.status;
  const std::string& old_status = op.status;
  const std::string_view kind = KindName(op.key.kind);
  LogFields fields = FieldsFor(op.key);
  fields.status = status;
  fields.old_status = old_status;
  if (changed.service_error) fields.error_code = changed.service_error->code;
  ScopedLogFields scoped(fields);
  const bool transition = old_status != status;
  if (old_status.empty()) {
    log_->info("operation {} ({}): first seen {}", op.key.id, kind, status);
  } else if (transition) {
    log_->info("operation {} ({}): {} -> {}", op.key.id, kind, old_status, status);
  } else {
    log_->debug("operation {} ({}): body changed, still {}", op.key.id, kind, status);
  }
  if (transition && !IsKnownStatus(status)) {
    log_->warn("operation {} ({}): unknown status \"{}\" (stored as received, not terminal)",
               op.key.id, kind, status);
  }
  if (transition && changed.service_error && IsTerminalStatus(status) && status != "Succeeded") {
    log_->warn("operation {} ({}): failed: {}", op.key.id, kind,
               DescribeError(*changed.service_error));
  }
}

void OutcomeApplier::ApplyFailure(Op& op, Failed& failed, MonoTime now, WallTime wall) {
  PollError& e = failed.error;
  e.key = op.key;
  e.at = wall;
  state_.error_times.push_back(now);
  if (state_.figures != nullptr) state_.figures->CountPollError(e.category);
  const std::string signature = std::string(CategoryName(e.category)) + "|" +
                                std::to_string(e.http_status.value_or(0)) + "|" + e.code;
  LogFields fields = FieldsFor(op.key);
  fields.status = op.status;
  fields.http_status = e.http_status;
  fields.error_code = e.code;
  ScopedLogFields scoped(fields);
  const std::string status_text =
      e.http_status ? "HTTP " + std::to_string(*e.http_status) : "no HTTP status";
  const std::string_view kind = KindName(op.key.kind);
  if (signature == op.failure_signature) {
    ++op.repeats;
    log_->debug("operation {} ({}): poll failed again ({}, {}{}{}): {} [{} in a row]", op.key.id,
                kind, CategoryName(e.category), status_text, e.code.empty() ? "" : ", ", e.code,
                e.message, op.repeats + 1);
    return;
  }
  if (op.repeats > 0) {
    log_->warn("operation {} ({}): previous failure repeated {} more times", op.key.id, kind,
               op.repeats);
  }
  op.failure_signature = signature;
  op.repeats = 0;
  log_->warn("operation {} ({}): poll failed ({}, {}{}{}): {}", op.key.id, kind,
             CategoryName(e.category), status_text, e.code.empty() ? "" : ", ", e.code, e.message);
}

void OutcomeApplier::ClearFailureStreak(Op& op) {
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

}  // namespace adu::engine
