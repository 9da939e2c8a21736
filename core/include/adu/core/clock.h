// Time as the engine sees it. The only way core/ reads a clock or sleeps, so tests can drive
// time by hand.
//
// Implementations must be thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>

#include "adu/core/domain.h"

namespace adu {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time for timers and deadlines: never jumps backwards.
  virtual MonoTime Now() const = 0;
  // Wall-clock time for stored and logged timestamps.
  virtual WallTime WallNow() const = 0;

  // Blocks on `cv` until `ready()` holds or this clock reaches `deadline` (MonoTime::max(): no
  // deadline). `lock` is held on entry and on return, as for std::condition_variable. Returns
  // ready(). The default sleeps in real time for (deadline - Now()); a fake clock moves its own
  // time to the deadline instead, which lets tests drive a waiting loop such as Engine::Run().
  virtual bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                         MonoTime deadline, const std::function<bool()>& ready) const;
};

// The process's real clocks (steady_clock and system_clock).
Clock& SystemClock();

}  // namespace adu
