#!/usr/bin/env bash
# The operation codec's CPU cost per body: builds core/client/bench/codec_bench in a Release tree
# (build-bench-codec) and runs it. Figures are CPU time per call; run it on a quiet machine.
#   bench/codec.sh [extra Google Benchmark flags, e.g. --benchmark_repetitions=5]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ADU_CODEC_BENCH_BUILD:-build-bench-codec}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DADU_BUILD_TESTS=OFF -DADU_BUILD_CODEC_BENCH=ON >/dev/null
cmake --build "$build" -j2 --target codec_bench
"$build/core/client/codec_bench" --benchmark_min_time=0.5 "$@"
