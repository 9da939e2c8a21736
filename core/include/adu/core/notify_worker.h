// NotifyWorker: delivers the outbox's pending events to their targets, at least once.
//
// One thread per target (a "lane"), never the engine's: a slow or hanging target holds up only
// itself. A lane reads its target's pending rows in the order their snapshots were stored and
// hands them to NotifyTarget::Deliver one at a time; an operation whose event is waiting for a
// retry blocks that operation's later events (per target, one operation's events go out in
// order) but not other operations'. Verdicts: delivered -> `delivered`; abandon -> `abandoned`
// at once with an error log; retry -> tried again after Backoff (doubling from backoff_base,
// jittered) or the receiver's Retry-After, until `retry_for` after the row was written, then
// abandoned. Logs name the target, the event id and the target's detail string (never a secret
// or a URL path).
//
// Time and sleeping go through the Clock, so tests drive it with a fake one. Wake() (the store's
// outbox listener) makes every lane read the outbox at once; without it a lane reads it every
// idle_poll.
//
// Thread-safety: every method may be called from any one thread (the daemon's main thread);
// lanes run on their own threads. Removing, replacing or stopping a lane waits for the attempt
// in flight, which the target bounds by its timeout.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adu/core/clock.h"
#include "adu/core/metrics.h"
#include "adu/core/notify.h"
#include "adu/core/notify_outbox.h"

namespace spdlog {
class logger;
}

namespace adu {

struct NotifyWorkerOptions {
  Duration retry_for = std::chrono::hours(24);  // notify_retry_for
  Duration backoff_base = std::chrono::seconds(1);
  Duration backoff_max = std::chrono::minutes(10);
  Duration idle_poll = std::chrono::seconds(5);  // re-read the outbox this often unwoken
  int batch = 200;                               // rows read per pass
  uint64_t seed = 0;                             // jitter
};

class NotifyWorker {
 public:
  NotifyWorker(NotificationOutbox& outbox, const Clock& clock,
               std::shared_ptr<spdlog::logger> logger, NotifyWorkerOptions options);
  ~NotifyWorker();  // Stop()
  NotifyWorker(const NotifyWorker&) = delete;
  NotifyWorker& operator=(const NotifyWorker&) = delete;

  // Before the first SetTarget: the outbox gauges and the attempt counters go there.
  void PublishFiguresTo(Figures& figures);

  // Starts a lane for `target`, replacing (stopping first) a lane of the same name: its pending
  // events stay pending and the new target delivers them.
  void SetTarget(std::shared_ptr<NotifyTarget> target);
  // Stops the lane and abandons its target's pending events ("target removed"). Also for a
  // target known only from the outbox (configured once, not any more).
  void RemoveTarget(const std::string& name);
  // Abandons the pending events of every target in the outbox without a lane (at start).
  void AbandonUnknownTargets();
  void SetRetryFor(Duration retry_for);
  std::vector<std::string> TargetNames() const;

  void Wake();
  // Stops every lane (after its attempt in flight); idempotent.
  void Stop();

 private:
  struct Lane;
  struct PassResult;
  void RunLane(Lane& lane);
  PassResult DeliverDue(Lane& lane);
  void WaitForWork(Lane& lane, std::optional<WallTime> next_due);
  void StopLane(Lane& lane);
  // Removes the target's lane from lanes_ (under mu_) and stops it; false when there was none.
  bool TakeAndStopLane(const std::string& name);
  void RefreshCounts(bool force);

  NotificationOutbox& outbox_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
  NotifyWorkerOptions options_;
  Figures* figures_ = nullptr;
  mutable std::mutex mu_;  // guards lanes_, options_.retry_for and the counts' throttle
  std::map<std::string, std::unique_ptr<Lane>> lanes_;
  MonoTime counts_at_{};
  std::atomic<bool> counts_dirty_{true};  // the outbox changed since the gauges were counted
  uint64_t next_seed_ = 0;
};

}  // namespace adu
