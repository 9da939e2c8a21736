// How long to wait after consecutive failures: one formula for every retry in the product.
//
// The wait doubles with each failure from `base` and is capped at `max` (never below `base`):
// after n failures the ceiling is min(base * 2^(n-1), max(base, max)). Callers that many
// instances share (per-operation polls) draw the wait uniformly in [base, ceiling], so a fleet
// that failed together does not retry together; a single retrier (the database writer, a list
// run) waits the ceiling itself.
//
// A value type with no state of its own: the caller counts its failures.
#pragma once

#include <random>

#include "adu/core/domain.h"

namespace adu {

class Backoff {
 public:
  Backoff(Duration base, Duration max) : base_(base), max_(max) {}

  // The longest wait after `failures` consecutive failures (base for 0 or 1).
  Duration Ceiling(int failures) const;
  // A wait drawn uniformly in [base, Ceiling(failures)].
  Duration Jittered(int failures, std::mt19937_64& rng) const;

  Duration base() const { return base_; }
  Duration max() const { return max_; }

 private:
  Duration base_;
  Duration max_;
};

}  // namespace adu
