// The engine's schedule: which operation is due when, and how long to wait after each answer.
//
// The due set orders operations earliest first; the waits are the interval with jitter after an
// answer, the shared Backoff after failures, and the server's Retry-After (clamped) over both.
// Not thread-safe: owned by the engine thread.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <utility>

#include "adu/core/backoff.h"
#include "adu/core/domain.h"

namespace adu {

struct ScheduleOptions {
  Duration interval = std::chrono::seconds(30);
  double jitter = 0.1;  // +/- fraction of the interval
  Duration backoff_max = std::chrono::minutes(5);
  Duration max_retry_after = std::chrono::hours(1);
};

class Schedule {
 public:
  using Entry = std::pair<MonoTime, OperationKey>;
  using const_iterator = std::set<Entry>::const_iterator;

  Schedule(ScheduleOptions options, uint64_t seed) : options_(options), rng_(seed) {}

  void SetOptions(const ScheduleOptions& options) { options_ = options; }
  const ScheduleOptions& options() const { return options_; }

  // The due set. Set() moves an operation already in it.
  void Set(const OperationKey& key, MonoTime due);
  void Remove(const OperationKey& key);
  std::optional<MonoTime> DueOf(const OperationKey& key) const;
  bool empty() const { return order_.empty(); }
  // How many operations are due at `now` (for the backpressure log).
  size_t CountDue(MonoTime now) const;
  const_iterator begin() const { return order_.begin(); }  // earliest first
  const_iterator end() const { return order_.end(); }

  // The waits. `own_interval` is an operation's override of the configured interval.
  Duration IntervalOf(std::optional<Duration> own_interval) const {
    return own_interval.value_or(options_.interval);
  }
  Duration Jittered(Duration d);
  // After an answer: the interval, jittered.
  Duration AfterAnswer(std::optional<Duration> own_interval) {
    return Jittered(IntervalOf(own_interval));
  }
  // After the `failures`-th failure in a row: the backoff, drawn in [interval, ceiling]. The
  // first failure may already wait up to twice the interval.
  Duration AfterFailure(std::optional<Duration> own_interval, int failures);
  // After the `failures`-th failed list run in a row: the backoff's ceiling itself (one run per
  // kind, nothing to spread).
  Duration AfterListFailure(int failures) const;
  // The server's Retry-After, clamped to max_retry_after; zero when absent.
  Duration RetryAfter(std::optional<std::chrono::seconds> retry_after) const;

 private:
  ScheduleOptions options_;
  std::mt19937_64 rng_;
  std::map<OperationKey, MonoTime> due_;
  std::set<Entry> order_;
};

}  // namespace adu
