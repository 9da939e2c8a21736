#!/usr/bin/env bash
# Emulator throughput: adu-emulator pinned to one core (taskset -c 0), the load generator on the
# other (taskset -c 1), keep-alive connections sending conditional GETs like the daemon does.
# Prints "emulator throughput: N requests/s ...".
#
# Environment: BUILD (Release build dir, default <repo>/build-bench-emulator; configured if new,
# always brought up to date), CONNECTIONS (4), REQUESTS (200000), ROUNDS (3, best is reported).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${BUILD:-$ROOT/build-bench-emulator}"
CONNECTIONS="${CONNECTIONS:-4}"
REQUESTS="${REQUESTS:-200000}"
ROUNDS="${ROUNDS:-3}"

if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DADU_SANITIZE= >/dev/null
fi
# Incremental: a no-op when the binaries are up to date, never a stale binary otherwise.
cmake --build "$BUILD" -j2 --target adu-emulator emulator-loadgen >/dev/null

tmp="$(mktemp -d)"
emu_pid=""
cleanup() {
  if [[ -n "$emu_pid" ]]; then kill "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

taskset -c 0 "$BUILD/tests/emulator/adu-emulator" --scenario "$ROOT/bench/emulator/bench.yaml" \
  --port 0 --port-file "$tmp/port" --threads 1 >"$tmp/emulator.log" 2>&1 &
emu_pid=$!
for _ in $(seq 100); do [[ -s "$tmp/port" ]] && break; sleep 0.1; done
port="$(cat "$tmp/port")"

# Warm-up (first GETs learn the etags; page cache, CPU frequency).
taskset -c 1 "$BUILD/bench/emulator/emulator-loadgen" --port "$port" --connections "$CONNECTIONS" \
  --requests 20000 --ids 1000 --prefix op --instance bench >/dev/null

# The emulator's own CPU time (utime+stime, clock ticks) from /proc: per-request cost does not
# depend on what else runs on the machine, unlike the wall-clock rate.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$emu_pid/stat"; }
hz="$(getconf CLK_TCK)"

best=0
best_line=""
for round in $(seq "$ROUNDS"); do
  before="$(cpu_ticks)"
  line="$(taskset -c 1 "$BUILD/bench/emulator/emulator-loadgen" --port "$port" \
    --connections "$CONNECTIONS" --requests "$REQUESTS" --ids 1000 --prefix op --instance bench)"
  after="$(cpu_ticks)"
  us_per_req="$(awk -v t=$((after - before)) -v hz="$hz" -v n="$REQUESTS" 'BEGIN{printf "%.1f", t * 1e6 / hz / n}')"
  line="$line emulator_cpu_us_per_request=$us_per_req"
  echo "round $round: $line"
  rps="$(sed -n 's/.* rps=\([0-9]*\).*/\1/p' <<<"$line")"
  if (( rps > best )); then best=$rps; best_line="$line"; fi
done
cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo "emulator throughput: $best requests/s (one core, $CONNECTIONS keep-alive connections; $(date -u +%Y-%m-%dT%H:%MZ); $cpu)"
echo "best round: $best_line"
cpu_us="$(sed -n 's/.*emulator_cpu_us_per_request=\([0-9.]*\).*/\1/p' <<<"$best_line")"
echo "emulator CPU per request: $cpu_us us (=> about $(awk -v u="$cpu_us" 'BEGIN{printf "%.0f", 1e6 / u}') requests/s per fully available core)"
