#include "schedule/schedule.h"

#include <algorithm>
#include <cmath>

namespace adu {

void Schedule::Set(const OperationKey& key, MonoTime due) {
  auto [it, inserted] = due_.try_emplace(key, due);
  if (!inserted) {
    order_.erase({it->second, key});
    it->second = due;
  }
  order_.emplace(due, key);
}

void Schedule::Remove(const OperationKey& key) {
  auto it = due_.find(key);
  if (it == due_.end()) return;
  order_.erase({it->second, key});
  due_.erase(it);
}

std::optional<MonoTime> Schedule::DueOf(const OperationKey& key) const {
  auto it = due_.find(key);
  if (it == due_.end()) return std::nullopt;
  return it->second;
}

size_t Schedule::CountDue(MonoTime now) const {
  size_t n = 0;
  for (auto it = order_.begin(); it != order_.end() && it->first <= now; ++it) ++n;
  return n;
}

Duration Schedule::Jittered(Duration d) {
  if (options_.jitter <= 0) return d;
  std::uniform_real_distribution<double> dist(1.0 - options_.jitter, 1.0 + options_.jitter);
  return Duration(static_cast<int64_t>(std::llround(static_cast<double>(d.count()) * dist(rng_))));
}

Duration Schedule::AfterFailure(std::optional<Duration> own_interval, int failures) {
  return Backoff(IntervalOf(own_interval), options_.backoff_max).Jittered(failures + 1, rng_);
}

Duration Schedule::AfterListFailure(int failures) const {
  return Backoff(options_.interval, options_.backoff_max).Ceiling(failures);
}

Duration Schedule::RetryAfter(std::optional<std::chrono::seconds> retry_after) const {
  if (!retry_after || retry_after->count() <= 0) return Duration(0);
  return std::min<Duration>(*retry_after, options_.max_retry_after);
}

}  // namespace adu
