#include "adu/core/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace adu {

RateLimiter::RateLimiter(int per_minute, MonoTime now, double time_scale) : last_(now) {
  SetRate(per_minute, now, time_scale);
  tokens_ = capacity_;
}

void RateLimiter::SetRate(int per_minute, MonoTime now, double time_scale) {
  Refill(now);
  per_minute_ = std::max(1, per_minute);
  const double scale = time_scale > 1.0 ? time_scale : 1.0;
  capacity_ = std::max(1, static_cast<int>(per_minute_ / scale) / 51);
  const double refill_per_minute = std::max(1.0, per_minute_ - capacity_ - 1.0);
  tokens_per_ns_ = refill_per_minute / 60e9;
  tokens_ = std::min(tokens_, capacity_);
}

void RateLimiter::Refill(MonoTime now) {
  if (now > last_) {
    const double ns = std::chrono::duration<double, std::nano>(now - last_).count();
    tokens_ = std::min(capacity_, tokens_ + ns * tokens_per_ns_);
    last_ = now;
  }
}

bool RateLimiter::TryAcquire(MonoTime now) {
  Refill(now);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return true;
  }
  return false;
}

MonoTime RateLimiter::NextAvailable(MonoTime now) {
  Refill(now);
  if (tokens_ >= 1.0) return now;
  const double ns = std::ceil((1.0 - tokens_) / tokens_per_ns_);
  return now + std::chrono::duration_cast<MonoTime::duration>(
                   std::chrono::nanoseconds(static_cast<int64_t>(ns)));
}

}  // namespace adu
