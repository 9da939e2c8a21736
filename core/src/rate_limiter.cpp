#include "adu/core/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace adu {

RateLimiter::RateLimiter(int per_minute, MonoTime now) : last_(now) {
  SetRate(per_minute, now);
  tokens_ = capacity_;
}

void RateLimiter::SetRate(int per_minute, MonoTime now) {
  Refill(now);
  per_minute_ = std::max(1, per_minute);
  capacity_ = std::max(1, per_minute_ / 51);
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
