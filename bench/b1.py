#!/usr/bin/env python3
"""B1, budget efficiency: how fast adu-opwatch notices status changes within the service's limits.

For each N (watched operations) and each `poll.use_list` mode, one emulator with the service's
limits and one daemon run. Time is compressed by SCALE: the emulator's scenario clock runs SCALE
times faster (--time-scale), the daemon's intervals are divided by SCALE and both sides' limits
multiplied by SCALE (the emulator's rate-limit windows are real seconds). The daemon is told the
factor (ADU_OPWATCH_BENCH_TIME_SCALE) so its token buckets burst like the uncompressed daemon's.
Every figure is converted back to uncompressed time.

Phases (uncompressed): warm-up (long enough for one full pass over N at the budget), then 10% of the
operations go NotStarted -> Running -> Succeeded/Failed at random times within CHANGE_WINDOW, then
a tail long enough for the slowest mode to finish a pass. Calls are counted from the end of the
warm-up; 429s over the whole run.
"""

import argparse
import json
import os
import random
import tempfile
import time

import benchlib as bl

INTERVAL = 30.0  # poll.interval, uncompressed seconds
GET_LIMIT = 510
LIST_LIMIT = 50
# List page sizes: 100 is what the service's recorded nextLinks ask for ($top=100), the main case;
# 50 (the emulator's default) is kept as the pessimistic row, `auto` mode only.
MAIN_PAGE_SIZE = 100
PESSIMISTIC_PAGE_SIZE = 50
CHANGE_WINDOW = 600.0
CHANGING = 0.10


def scenario(n, warmup, seed, page_size):
    rng = random.Random(seed)
    changing = set(rng.sample(range(n), max(1, round(n * CHANGING))))
    lines = [
        "instance_id: bench",
        f"limits: {{get_per_minute: {GET_LIMIT * SCALE}, list_per_minute: {LIST_LIMIT * SCALE}}}",
        # Retry-After is real seconds in the emulator: 0 keeps it from stretching compressed
        # intervals (the service's few seconds are below the 30 s interval anyway).
        "retry_after: 0",
        f"page_size: {page_size}",
        "operations:",
    ]
    for i in range(n):
        lines.append(f"  - id: {bl.guid(seed, i)}")
        if i in changing:
            running = warmup + rng.uniform(0, CHANGE_WINDOW / 2)
            done = running + rng.uniform(0, warmup + CHANGE_WINDOW - running)
            final = "Succeeded" if rng.random() < 0.8 else "Failed"
            lines.append(f"    timeline: [{{at: 0, status: NotStarted}}, {{at: {running:.3f}, "
                         f"status: Running}}, {{at: {done:.3f}, status: {final}}}]")
        else:
            lines.append("    timeline: [{at: 0, status: Running}]")
    return "\n".join(lines) + "\n", [bl.guid(seed, i) for i in range(n)]


def run_one(workdir, n, mode, seed, page_size):
    full_pass = n * 60.0 / GET_LIMIT  # uncompressed seconds for one GET per operation
    warmup = max(60.0, 1.1 * full_pass)
    tail = max(3 * INTERVAL, 1.2 * full_pass)
    end = warmup + CHANGE_WINDOW + tail
    text, ids = scenario(n, warmup, seed, page_size)
    tag = f"{n}-{mode}-p{page_size}"
    emu = bl.Emulator(workdir, text, time_scale=SCALE, name=f"emu-{tag}")
    db = os.path.join(workdir, f"b1-{tag}.db")
    cfg = os.path.join(workdir, f"b1-{tag}.yaml")
    bl.write_config(cfg, emu.url, db, ids, {
        "interval": f"{int(INTERVAL * 1000 / SCALE)}ms",
        "request_timeout": "10s",
        "backoff_max": f"{int(300_000 / SCALE)}ms",
        "max_concurrency": 4,
        "requests_per_minute": GET_LIMIT * SCALE,
        "list_requests_per_minute": LIST_LIMIT * SCALE,
        "use_list": mode,
    })
    daemon = bl.Daemon(workdir, cfg, env={"ADU_OPWATCH_BENCH_TIME_SCALE": str(SCALE)},
                       name=f"daemon-{tag}")
    try:
        def scenario_time():
            return emu.get("/_emulator/stats?operation=_none_")["scenario_time"]
        bl.wait_for(lambda: scenario_time() >= warmup, timeout=warmup / SCALE + 60,
                    interval=0.2, what="end of warm-up")
        at_warm = emu.global_stats()
        bl.wait_for(lambda: scenario_time() >= end, timeout=(end - warmup) / SCALE + 60,
                    interval=0.2, what="end of run")
        at_end = emu.global_stats()
        timeline = emu.timeline()
        if not daemon.alive():
            raise RuntimeError(f"daemon exited early: see {daemon.log_path}")
    finally:
        rc = daemon.stop()
        emu.stop()
    end_wall = time.time()

    snaps = {}
    for op, observed in bl.query(db, "SELECT operation_id, observed_at FROM snapshots"):
        snaps.setdefault(op, []).append(bl.parse_ts(observed))
    for v in snaps.values():
        v.sort()
    latencies, undetected = [], 0
    for ch in timeline["changes"]:
        if ch["scenario_time"] <= 0:
            continue  # the initial status, not a change
        eff = bl.parse_ts(ch["effective_at"])
        seen = next((t for t in snaps.get(ch["operation_id"], []) if t >= eff - 0.002), None)
        if seen is None:
            undetected += 1
            latencies.append((end_wall - eff) * SCALE)  # censored at the run's end
        else:
            latencies.append(max(0.0, seen - eff) * SCALE)
    detected = len(latencies) - undetected
    lists = at_end["list_calls"] - at_warm["list_calls"]
    gets = (at_end["total_requests"] - at_warm["total_requests"]) - lists
    return {
        "n": n, "mode": mode, "page_size": page_size, "changes": len(latencies), "detected": detected,
        "undetected": undetected,
        "p50": bl.percentile(latencies, 50), "p99": bl.percentile(latencies, 99),
        "max": max(latencies) if latencies else None,
        "status_calls": gets, "list_calls": lists,
        "status_per_change": gets / detected if detected else None,
        "list_per_change": lists / detected if detected else None,
        "throttled": at_end["throttled"],
        "warmup_s": warmup, "window_s": CHANGE_WINDOW, "tail_s": tail,
        "daemon_exit": rc, "loadavg": bl.loadavg(),
    }


def main():
    global SCALE
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=20)
    ap.add_argument("--sizes", default="100,1000,5000")
    ap.add_argument("--modes", default="auto,never")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0xb1)
    args = ap.parse_args()
    SCALE = args.scale
    results = []
    sizes = [int(x) for x in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="adu-b1-") as workdir:
        runs = [(n, mode, MAIN_PAGE_SIZE) for n in sizes for mode in args.modes.split(",")]
        runs += [(n, "auto", PESSIMISTIC_PAGE_SIZE) for n in sizes]
        for n, mode, page_size in runs:
            bl.log(f"B1: N={n} use_list={mode} pages of {page_size} (x{SCALE})")
            r = run_one(workdir, n, mode, args.seed + n, page_size)
            bl.log(f"  -> p50 {r['p50']:.1f}s p99 {r['p99']:.1f}s max {r['max']:.1f}s "
                   f"detected {r['detected']}/{r['changes']} gets {r['status_calls']} "
                   f"lists {r['list_calls']} 429 {r['throttled']} load {r['loadavg']}")
            results.append(r)
    out = {"scale": SCALE, "interval_s": INTERVAL, "get_limit": GET_LIMIT,
           "list_limit": LIST_LIMIT, "page_size": MAIN_PAGE_SIZE,
           "pessimistic_page_size": PESSIMISTIC_PAGE_SIZE, "changing_fraction": CHANGING,
           "change_window_s": CHANGE_WINDOW, "runs": results}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


SCALE = 20
if __name__ == "__main__":
    main()
