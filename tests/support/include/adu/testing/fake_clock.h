// A Clock that moves only when the test says so. Both clocks start far from their epochs (so
// "now minus an interval" never underflows) and move together with Advance; SetWall moves the
// wall clock alone (a clock step). WaitUntil simulates waiting: time jumps to the deadline at
// once, so a loop such as Engine::Run() goes through hours in milliseconds. Thread-safe: tests may
// read it from a server thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>

#include "adu/core/clock.h"

namespace adu::testing {

class FakeClock final : public Clock {
 public:
  MonoTime Now() const override {
    std::lock_guard lock(mu_);
    return mono_;
  }
  WallTime WallNow() const override {
    std::lock_guard lock(mu_);
    return wall_;
  }
  void Advance(Duration d) {
    std::lock_guard lock(mu_);
    mono_ += d;
    wall_ += d;
  }
  void SetWall(WallTime t) {
    std::lock_guard lock(mu_);
    wall_ = t;
  }

  // Without a deadline it waits for real, for another thread to make `ready` true.
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, MonoTime deadline,
                 const std::function<bool()>& ready) const override {
    if (ready()) return true;
    if (deadline == MonoTime::max()) {
      cv.wait(lock, ready);
      return true;
    }
    {
      std::lock_guard guard(mu_);
      if (deadline > mono_) {
        const auto step = deadline - mono_;
        mono_ += step;
        wall_ += std::chrono::duration_cast<WallTime::duration>(step);
        ++waits_;
      }
    }
    return ready();
  }
  // How many simulated waits moved the time.
  int WaitsForTest() const {
    std::lock_guard lock(mu_);
    return waits_;
  }

 private:
  mutable std::mutex mu_;
  mutable MonoTime mono_ = MonoTime{} + std::chrono::hours(1000);
  mutable WallTime wall_ = WallTime{} + std::chrono::hours(24 * 365 * 56);
  mutable int waits_ = 0;
};

}  // namespace adu::testing
