// Time as the engine sees it. The only way core/ reads a clock, so tests can drive time by hand.
//
// Implementations must be thread-safe.
#pragma once

#include "adu/core/domain.h"

namespace adu {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time for timers and deadlines: never jumps backwards.
  virtual MonoTime Now() const = 0;
  // Wall-clock time for stored and logged timestamps.
  virtual WallTime WallNow() const = 0;
};

// The process's real clocks (steady_clock and system_clock).
Clock& SystemClock();

}  // namespace adu
