#!/usr/bin/env bash
# Soak test (issue 9): the real adu-opwatch against adu-emulator with 500 operations, churn and 5 %
# injected faults. Not part of the unit suite.
#
#   bench/soak/run.sh                        10 minutes, Release build (build-reliability-soak)
#   bench/soak/run.sh --duration 3600        an hour
#   bench/soak/run.sh --leak-check --duration 60
#                                            the CI variant: ASan+UBSan build (build/test, what
#                                            scripts/test builds) with LeakSanitizer on; fails on
#                                            any leak or sanitizer report
# Other options go to soak.py (--ops N, --churn S, --interval D, --json FILE, --keep).
# Prints the figures as JSON and ends with "SOAK OK" (exit 0) or "SOAK FAILED: why" (exit 1).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/deps.sh
adu_install_deps

leak=0
for a in "$@"; do [[ "$a" == "--leak-check" ]] && leak=1; done
if [[ $leak == 1 ]]; then
  build=${ADU_SOAK_BUILD:-build/test}
  flags=(-DCMAKE_BUILD_TYPE=Debug -DADU_SANITIZE=address,undefined)
else
  build=${ADU_SOAK_BUILD:-build-reliability-soak}
  flags=(-DCMAKE_BUILD_TYPE=Release -DADU_SANITIZE=)
fi
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S . -B "$build" "${flags[@]}" >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target adu-opwatch adu-emulator >/dev/null
echo "soak: $(git rev-parse --short HEAD) $build" >&2
exec python3 bench/soak/soak.py --opwatch "$build/daemon/adu-opwatch" \
  --emulator "$build/tests/emulator/adu-emulator" "$@"
