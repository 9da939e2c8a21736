#include "adu/core/backoff.h"

#include <algorithm>

namespace adu {

Duration Backoff::Ceiling(int failures) const {
  const Duration cap = std::max(base_, max_);
  if (base_.count() <= 0) return Duration(0);
  Duration wait = base_;
  // Doubling stops at the cap, so no shift can overflow however many failures there were.
  for (int i = 1; i < failures && wait < cap; ++i) wait *= 2;
  return std::min(wait, cap);
}

Duration Backoff::Jittered(int failures, std::mt19937_64& rng) const {
  const Duration upper = Ceiling(failures);
  if (upper <= base_) return upper;
  std::uniform_int_distribution<int64_t> dist(base_.count(), upper.count());
  return Duration(dist(rng));
}

}  // namespace adu
