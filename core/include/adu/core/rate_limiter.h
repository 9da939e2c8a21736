// A token bucket that keeps every 60-second window at or under a per-minute budget.
//
// A plain bucket with capacity B refilled at R/60 per second lets B + R calls through in some
// minute. This one refills at (R - B - 1) / 60 per second (one call of margin for network jitter
// between our clock and the server's), so no minute ever sees more than R calls, while a burst of
// B still goes out at once after an idle spell.
//
// `time_scale` (> 1 only in benchmarks that compress time: intervals divided and budgets
// multiplied by the same factor) sizes the burst as for per_minute / time_scale, so a compressed
// run bursts exactly like the uncompressed daemon would instead of time_scale times more.
//
// Not thread-safe: owned by the engine thread.
#pragma once

#include "adu/core/domain.h"

namespace adu {

class RateLimiter {
 public:
  RateLimiter(int per_minute, MonoTime now, double time_scale = 1.0);

  // Changes the budget; tokens already held are capped at the new burst size.
  void SetRate(int per_minute, MonoTime now, double time_scale = 1.0);

  // Takes one token if one is available at `now`.
  bool TryAcquire(MonoTime now);

  // When the next token will be available (now, if one is).
  MonoTime NextAvailable(MonoTime now);

  int per_minute() const { return per_minute_; }
  int burst() const { return static_cast<int>(capacity_); }

 private:
  void Refill(MonoTime now);

  int per_minute_ = 1;
  double capacity_ = 1;
  double tokens_ = 0;
  double tokens_per_ns_ = 0;
  MonoTime last_;
};

}  // namespace adu
