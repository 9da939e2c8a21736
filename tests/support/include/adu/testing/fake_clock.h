// A Clock that moves only when the test says so. Both clocks start far from their epochs (so
// "now minus an interval" never underflows) and move together with Advance; SetWall moves the
// wall clock alone (a clock step). Thread-safe: tests may read it from a server thread.
#pragma once

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

 private:
  mutable std::mutex mu_;
  MonoTime mono_ = MonoTime{} + std::chrono::hours(1000);
  WallTime wall_ = WallTime{} + std::chrono::hours(24 * 365 * 56);
};

}  // namespace adu::testing
