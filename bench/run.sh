#!/bin/sh
# Runs B1 (budget efficiency) and B2 (resource cost) and regenerates docs/performance.md and
# docs/performance-b1.png from the results. About 12 minutes on a 2-CPU machine.
#
#   bench/run.sh                 # everything
#   BENCH_B1_SIZES=100 bench/run.sh   # a quick B1 (page still regenerated)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BENCH_BUILD_DIR:-$ROOT/build-perf-rel}
OUT=${BENCH_OUT:-$BUILD/bench-results}

# Debian packages the benchmark needs beyond the build's (the libcurl reference client, the plot).
missing=""
for p in libcurl4-openssl-dev python3-matplotlib; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  apt-get install -y $missing >/dev/null
fi

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DADU_BUILD_TESTS=ON >/dev/null
cmake --build "$BUILD" -j2 --target adu-opwatch adu-emulator
mkdir -p "$OUT"
cc -O2 -Wall -o "$OUT/curl_loop" "$ROOT/bench/curl_loop.c" -lcurl

export ADU_OPWATCH="$BUILD/daemon/adu-opwatch"
export ADU_EMULATOR="$BUILD/tests/emulator/adu-emulator"
# Debian's python3: python3-matplotlib is installed for it (another python3 may come first in PATH).
PY=/usr/bin/python3
export PYTHONPATH="$ROOT/bench"
started=$(date -u '+%Y-%m-%d %H:%M UTC')
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
t0=$(date +%s)
"$PY" "$ROOT/bench/b1.py" --out "$OUT/b1.json" --sizes "${BENCH_B1_SIZES:-100,1000,5000}"
"$PY" "$ROOT/bench/b1_discovery.py" --out "$OUT/b1-discovery.json"
"$PY" "$ROOT/bench/b2.py" --out "$OUT/b2.json" --curl-loop "$OUT/curl_loop"
t1=$(date +%s)
printf '{"started": "%s", "seconds": %d, "commit": "%s"}\n' "$started" $((t1 - t0)) "$commit" \
  > "$OUT/meta.json"
"$PY" "$ROOT/bench/report.py" --b1 "$OUT/b1.json" --b2 "$OUT/b2.json" --meta "$OUT/meta.json" \
  --b1-discovery "$OUT/b1-discovery.json" --root "$ROOT"
echo "wrote $ROOT/docs/performance.md and $ROOT/docs/performance-b1.png (results in $OUT)"
