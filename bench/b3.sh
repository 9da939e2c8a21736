#!/bin/sh
# B3, the query interface at scale: generates databases of 100,000 and 1,000,000 snapshots through
# the product's write path, times every documented query, `status`, `status --json` and `history`
# on them and the migration from schema version 2, and rewrites the B3 section of
# docs/performance.md. About 10 minutes and 2 GB of temporary disk on a 2-CPU machine.
#
#   bench/b3.sh                          # both sizes
#   BENCH_B3_SIZES=100000 bench/b3.sh    # a quick run (the section is still rewritten)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BENCH_BUILD_DIR:-$ROOT/build-perf-rel}
OUT=${BENCH_OUT:-$BUILD/bench-results}

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DADU_BUILD_TESTS=ON >/dev/null
cmake --build "$BUILD" -j2 --target adu-opwatch adu-b3-generate
mkdir -p "$OUT"
# Debian's python3 (its sqlite3 module uses the system SQLite, as the product does).
PYTHONPATH="$ROOT/bench" /usr/bin/python3 "$ROOT/bench/b3.py" --out "$OUT/b3.json" \
  --generator "$BUILD/bench/adu-b3-generate" --adu-opwatch "$BUILD/daemon/adu-opwatch" \
  --sizes "${BENCH_B3_SIZES:-100000,1000000}"
echo "wrote the B3 section of $ROOT/docs/performance.md (results in $OUT/b3.json)"
