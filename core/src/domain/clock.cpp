#include "adu/core/clock.h"

namespace adu {
namespace {

class RealClock final : public Clock {
 public:
  MonoTime Now() const override { return std::chrono::steady_clock::now(); }
  WallTime WallNow() const override { return std::chrono::system_clock::now(); }
};

}  // namespace

bool Clock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                      MonoTime deadline, const std::function<bool()>& ready) const {
  if (deadline == MonoTime::max()) {
    cv.wait(lock, ready);
    return true;
  }
  // Relative, so that a clock whose epoch is not steady_clock's still waits the right time.
  const auto wait = deadline - Now();
  if (wait <= MonoTime::duration::zero()) return ready();
  return cv.wait_for(lock, wait, ready);
}

Clock& SystemClock() {
  static RealClock clock;
  return clock;
}

}  // namespace adu
