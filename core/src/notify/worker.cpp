#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <random>
#include <set>
#include <thread>

#include "adu/core/backoff.h"
#include "adu/core/notify_worker.h"

namespace adu {

using namespace std::chrono_literals;

namespace {

constexpr Duration kCountsEvery = 1s;  // outbox gauges are refreshed at most this often
constexpr Duration kAfterOutboxError = 5s;

std::string_view ResultName(DeliveryVerdict v) {
  switch (v) {
    case DeliveryVerdict::kDelivered:
      return "delivered";
    case DeliveryVerdict::kRetry:
      return "retry";
    case DeliveryVerdict::kAbandon:
      return "abandoned";
  }
  return "retry";
}

}  // namespace

struct NotifyWorker::Lane {
  std::shared_ptr<NotifyTarget> target;
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;   // guarded by mu: the one shutdown flag of this lane
  bool woken = false;  // guarded by mu
  std::mt19937_64 rng;
  std::thread thread;

  bool Stopping() {
    std::lock_guard lock(mu);
    return stop;
  }
};

// What one pass over a lane's pending rows found.
struct NotifyWorker::PassResult {
  std::optional<WallTime> next_due;  // the earliest retry not yet due
  bool changed = false;              // some row changed state (the gauges are stale)
  bool full = false;                 // the batch was full and something went out: read again
};

namespace {

// One attempt and its verdict recorded; false when the event waits for a retry (its
// operation's later events must wait too).
class Attempt {
 public:
  Attempt(NotificationOutbox& outbox, const Clock& clock, spdlog::logger& log, Figures* figures,
          Duration retry_for, const Backoff& backoff)
      : outbox_(outbox),
        clock_(clock),
        log_(log),
        figures_(figures),
        retry_for_(retry_for),
        backoff_(backoff) {}

  bool Run(NotifyTarget& target, PendingNotification& p, std::mt19937_64& rng) {
    if (!p.snapshot_stored) {
      Abandon(target, p, p.attempts, "its snapshot is no longer stored (retention)");
      return true;
    }
    const DeliveryResult r = target.Deliver(p.event);
    const int attempts = p.attempts + 1;
    if (figures_) figures_->CountNotificationAttempt(target.name(), ResultName(r.verdict));
    switch (r.verdict) {
      case DeliveryVerdict::kDelivered:
        Check(outbox_.MarkDelivered(p.id, attempts, clock_.WallNow()));
        log_.debug("notify {}: event {} delivered (attempt {}){}", target.name(), p.event.event_id,
                   attempts, r.detail.empty() ? "" : ": " + r.detail);
        return true;
      case DeliveryVerdict::kAbandon:
        Abandon(target, p, attempts, r.detail);
        return true;
      case DeliveryVerdict::kRetry:
        return Retry(target, p, attempts, r, rng);
    }
    return true;
  }

 private:
  bool Retry(NotifyTarget& target, PendingNotification& p, int attempts, const DeliveryResult& r,
             std::mt19937_64& rng) {
    const WallTime now = clock_.WallNow();
    const WallTime give_up_at = p.created_at + retry_for_;
    if (now >= give_up_at) {
      Abandon(target, p, attempts, "not delivered within notify_retry_for: " + r.detail);
      return true;
    }
    Duration wait = r.retry_after ? *r.retry_after : backoff_.Jittered(attempts, rng);
    wait = std::max<Duration>(wait, 0ms);
    // One last attempt at the deadline rather than none after it.
    const WallTime next = std::min(now + wait, give_up_at);
    Check(outbox_.MarkRetry(p.id, attempts, next, r.detail));
    log_.warn("notify {}: event {} not delivered (attempt {}): {}; next attempt in {} ms",
              target.name(), p.event.event_id, attempts, r.detail,
              std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count());
    p.next_attempt_at = next;
    return false;
  }

  void Abandon(NotifyTarget& target, const PendingNotification& p, int attempts,
               const std::string& reason) {
    Check(outbox_.MarkAbandoned(p.id, attempts, reason));
    log_.error("notify {}: event {} abandoned after {} attempts: {}", target.name(),
               p.event.event_id, attempts, reason);
  }

  // A failed update leaves the row pending: it is delivered again (at least once).
  void Check(const Status& st) {
    if (!st.ok()) log_.warn("notify: cannot record a delivery verdict: {}", st.message());
  }

  NotificationOutbox& outbox_;
  const Clock& clock_;
  spdlog::logger& log_;
  Figures* figures_;
  Duration retry_for_;
  const Backoff& backoff_;
};

}  // namespace

NotifyWorker::NotifyWorker(NotificationOutbox& outbox, const Clock& clock,
                           std::shared_ptr<spdlog::logger> logger, NotifyWorkerOptions options)
    : outbox_(outbox),
      clock_(clock),
      log_(std::move(logger)),
      options_(options),
      next_seed_(options.seed) {}

NotifyWorker::~NotifyWorker() { Stop(); }

void NotifyWorker::PublishFiguresTo(Figures& figures) { figures_ = &figures; }

void NotifyWorker::SetTarget(std::shared_ptr<NotifyTarget> target) {
  const std::string name = target->name();
  TakeAndStopLane(name);
  auto lane = std::make_unique<Lane>();
  lane->target = std::move(target);
  if (figures_) figures_->SetNotificationTargets({name});
  std::lock_guard lock(mu_);
  lane->rng.seed(next_seed_++);
  Lane& ref = *lane;
  lanes_.emplace(name, std::move(lane));
  ref.thread = std::thread([this, &ref] { RunLane(ref); });
}

bool NotifyWorker::TakeAndStopLane(const std::string& name) {
  std::unique_ptr<Lane> old;
  {
    std::lock_guard lock(mu_);
    if (auto it = lanes_.find(name); it != lanes_.end()) {
      old = std::move(it->second);
      lanes_.erase(it);
    }
  }
  if (!old) return false;
  StopLane(*old);  // outside mu_: it joins the lane's thread, which takes mu_ too
  return true;
}

void NotifyWorker::RemoveTarget(const std::string& name) {
  TakeAndStopLane(name);
  if (Status st = outbox_.AbandonTarget(name, "target removed"); !st.ok()) {
    log_->warn("notify {}: cannot abandon its pending events: {}", name, st.message());
  } else {
    log_->info("notify {}: target removed; its pending events are abandoned", name);
  }
  RefreshCounts(true);
}

void NotifyWorker::AbandonUnknownTargets() {
  auto counts = outbox_.Counts();
  if (!counts.ok()) {
    log_->warn("notify: cannot read the outbox: {}", counts.error());
    return;
  }
  std::set<std::string> unknown;
  {
    std::lock_guard lock(mu_);
    for (const OutboxCount& c : *counts) {
      if (c.state == "pending" && c.count > 0 && !lanes_.count(c.target)) unknown.insert(c.target);
    }
  }
  for (const std::string& name : unknown) RemoveTarget(name);
  RefreshCounts(true);
}

void NotifyWorker::SetRetryFor(Duration retry_for) {
  std::lock_guard lock(mu_);
  options_.retry_for = retry_for;
}

std::vector<std::string> NotifyWorker::TargetNames() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  for (const auto& [name, lane] : lanes_) names.push_back(name);
  return names;
}

void NotifyWorker::Wake() {
  counts_dirty_ = true;  // the writer added rows
  std::lock_guard lock(mu_);
  for (auto& [name, lane] : lanes_) {
    std::lock_guard lane_lock(lane->mu);
    lane->woken = true;
    lane->cv.notify_all();
  }
}

void NotifyWorker::Stop() {
  std::map<std::string, std::unique_ptr<Lane>> lanes;
  {
    std::lock_guard lock(mu_);
    lanes.swap(lanes_);
  }
  // Every lane is told first, so they wind down together rather than one after another.
  for (auto& [name, lane] : lanes) {
    std::lock_guard lane_lock(lane->mu);
    lane->stop = true;
    lane->cv.notify_all();
  }
  for (auto& [name, lane] : lanes) StopLane(*lane);
}

void NotifyWorker::StopLane(Lane& lane) {
  {
    std::lock_guard lock(lane.mu);
    lane.stop = true;
    lane.cv.notify_all();
  }
  if (lane.thread.joinable()) lane.thread.join();
}

void NotifyWorker::RunLane(Lane& lane) {
  while (!lane.Stopping()) {
    const PassResult pass = DeliverDue(lane);
    if (pass.changed) counts_dirty_ = true;
    // Counting is a scan of the table: only after a change, and at most once a second (a
    // skipped change is counted at the next pass, at most idle_poll later).
    if (counts_dirty_) RefreshCounts(false);
    if (pass.full) continue;
    WaitForWork(lane, pass.next_due);
  }
}

NotifyWorker::PassResult NotifyWorker::DeliverDue(Lane& lane) {
  PassResult result;
  NotifyTarget& target = *lane.target;
  auto pending = outbox_.Pending(target.name(), options_.batch);
  if (!pending.ok()) {
    log_->warn("notify {}: cannot read the outbox: {}", target.name(), pending.error());
    result.next_due = clock_.WallNow() + kAfterOutboxError;
    return result;
  }
  Duration retry_for;
  {
    std::lock_guard lock(mu_);
    retry_for = options_.retry_for;
  }
  const Backoff backoff(options_.backoff_base, options_.backoff_max);
  Attempt attempt(outbox_, clock_, *log_, figures_, retry_for, backoff);
  std::set<OperationKey> waiting;  // operations with an earlier event not yet out
  const auto wait_for = [&](const PendingNotification& p) {
    waiting.insert(p.event.key);
    if (!result.next_due || p.next_attempt_at < *result.next_due) {
      result.next_due = p.next_attempt_at;
    }
  };
  bool sent = false;
  for (PendingNotification& p : *pending) {
    if (lane.Stopping()) break;
    if (p.snapshot_stored && waiting.count(p.event.key)) continue;
    if (p.next_attempt_at > clock_.WallNow()) {
      wait_for(p);
      continue;
    }
    result.changed = true;
    if (attempt.Run(target, p, lane.rng)) {
      sent = true;
    } else {
      wait_for(p);
    }
  }
  result.full = sent && pending->size() >= static_cast<size_t>(options_.batch);
  return result;
}

void NotifyWorker::WaitForWork(Lane& lane, std::optional<WallTime> next_due) {
  Duration wait = options_.idle_poll;
  if (next_due) {
    wait = std::clamp<Duration>(std::chrono::duration_cast<Duration>(*next_due - clock_.WallNow()),
                                0ms, options_.idle_poll);
  }
  std::unique_lock lock(lane.mu);
  clock_.WaitUntil(lock, lane.cv, clock_.Now() + wait, [&] { return lane.stop || lane.woken; });
  lane.woken = false;
}

void NotifyWorker::RefreshCounts(bool force) {
  if (!figures_) return;
  {
    std::lock_guard lock(mu_);
    const MonoTime now = clock_.Now();
    if (!force && now - counts_at_ < kCountsEvery) return;
    counts_at_ = now;
  }
  counts_dirty_ = false;
  auto counts = outbox_.Counts();
  if (!counts.ok()) return;
  std::map<std::pair<std::string, std::string>, uint64_t> by_key;
  for (const std::string& name : TargetNames()) {
    for (const char* state : {"pending", "delivered", "abandoned"}) by_key[{name, state}] = 0;
  }
  for (const OutboxCount& c : *counts) by_key[{c.target, c.state}] = c.count;
  figures_->SetNotificationCounts(std::move(by_key));
}

}  // namespace adu
