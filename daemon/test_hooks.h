// Hooks for the test suite and the benchmarks, compiled in only with -DADU_TEST_HOOKS=ON (the
// default for development and test builds; the Debian package is built without them, and
// tests/package/test_package.sh checks that the shipped binary does not contain their names).
// Without ADU_TEST_HOOKS every function here is a no-op and no environment variable is read.
#pragma once

namespace adu::daemon {

// ADU_OPWATCH_TEST_STALL_FILE (tests/integration/test_systemd.py, the watchdog test): while that
// file exists the calling thread (the engine thread) is held, as a stuck poll loop would be.
void MaybeStallForTest();

// ADU_OPWATCH_BENCH_TIME_SCALE (bench/b1.py, which compresses time): the factor the budgets'
// bursts are sized for, so they burst like the uncompressed daemon's. 1 when unset.
double BenchTimeScaleForTest();

}  // namespace adu::daemon
