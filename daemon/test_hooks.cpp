#include "test_hooks.h"

#ifdef ADU_TEST_HOOKS
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>
#endif

namespace adu::daemon {

#ifdef ADU_TEST_HOOKS

void MaybeStallForTest() {
  // Read once: the test sets it before starting the daemon.
  static const char* stall_file = std::getenv("ADU_OPWATCH_TEST_STALL_FILE");
  if (stall_file == nullptr) return;
  while (::access(stall_file, F_OK) == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

double BenchTimeScaleForTest() {
  const char* scale = std::getenv("ADU_OPWATCH_BENCH_TIME_SCALE");
  return scale == nullptr ? 1.0 : std::max(1.0, std::atof(scale));
}

#else

void MaybeStallForTest() {}
double BenchTimeScaleForTest() { return 1.0; }

#endif

}  // namespace adu::daemon
