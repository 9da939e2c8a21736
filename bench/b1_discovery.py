#!/usr/bin/env python3
"""B1, discovery row: how fast adu-opwatch stores operations nobody typed, within the service's limits.

Operations of both kinds are created at RATE a minute (they appear in the emulator's lists at their
createdDateTime; before it a GET is a 404); each goes NotStarted -> Running -> Succeeded/Failed. The
daemon has an empty watch list and `discover: {kinds: [device, update]}`. Measured: the latency
from an operation's creation to its first stored snapshot (p50, p99) and the calls (list + GET)
spent per operation, counted over the whole run.

Time is compressed by SCALE as in bench/b1.py (emulator --time-scale, the daemon's intervals
divided and both sides' limits multiplied, ADU_OPWATCH_BENCH_TIME_SCALE for the token buckets);
figures are converted back to uncompressed time. discover.interval / SCALE must stay >= 10 s (the
key's lower bound), so SCALE is at most interval / 10 s.
"""

import argparse
import json
import os
import random
import tempfile

import benchlib as bl

GET_LIMIT = 510
LIST_LIMIT = 50
PAGE_SIZE = 100  # the service's page size as recorded
POLL_INTERVAL = 30.0


def scenario(count, rate, seed):
    rng = random.Random(seed)
    lines = [
        "instance_id: bench",
        f"limits: {{get_per_minute: {GET_LIMIT * SCALE}, list_per_minute: {LIST_LIMIT * SCALE}}}",
        "retry_after: 0",  # real seconds in the emulator: see bench/b1.py
        f"page_size: {PAGE_SIZE}",
        "operations:",
    ]
    every = 60.0 / rate
    last_end = 0.0
    for i in range(count):
        kind = "device" if i % 2 == 0 else "update"
        running = rng.uniform(10, 60)
        done = running + rng.uniform(60, 600)
        final = "Succeeded" if rng.random() < 0.8 else "Failed"
        appear = 30.0 + i * every  # after the daemon's start-up pass
        last_end = max(last_end, appear + done)
        lines.append(f"  - {{id: {bl.guid(seed, i)}, kind: {kind}, appear_at: {appear:.3f}, "
                     f"timeline: [{{at: 0, status: NotStarted}}, {{at: {running:.3f}, "
                     f"status: Running}}, {{at: {done:.3f}, status: {final}}}]}}")
    return "\n".join(lines) + "\n", last_end


def run(workdir, count, rate, interval, seed):
    text, last_end = scenario(count, rate, seed)
    end = last_end + 3 * interval  # every final status has had time to be fetched
    emu = bl.Emulator(workdir, text, time_scale=SCALE, name="emu-discovery")
    db = os.path.join(workdir, "b1-discovery.db")
    cfg = os.path.join(workdir, "b1-discovery.yaml")
    bl.write_config(cfg, emu.url, db, [], {
        "interval": f"{int(POLL_INTERVAL * 1000 / SCALE)}ms",
        "request_timeout": "10s",
        "backoff_max": f"{int(300_000 / SCALE)}ms",
        "max_concurrency": 4,
        "requests_per_minute": GET_LIMIT * SCALE,
        "list_requests_per_minute": LIST_LIMIT * SCALE,
    }, discover={
        "kinds": "[device, update]",
        "interval": f"{int(interval * 1000 / SCALE)}ms",
        "resync": f"{int(3600 * 1000 / SCALE)}ms",
        "max_age": "7d",
    })
    daemon = bl.Daemon(workdir, cfg, env={"ADU_OPWATCH_BENCH_TIME_SCALE": str(SCALE)},
                       name="daemon-discovery")
    try:
        def scenario_time():
            return emu.get("/_emulator/stats?operation=_none_")["scenario_time"]
        bl.wait_for(lambda: scenario_time() >= end, timeout=end / SCALE + 60, interval=0.5,
                    what="end of run")
        stats = emu.global_stats()
        timeline = emu.timeline()
        if not daemon.alive():
            raise RuntimeError(f"daemon exited early: see {daemon.log_path}")
    finally:
        rc = daemon.stop()
        emu.stop()

    created, finals = {}, {}
    for ch in timeline["changes"]:
        created.setdefault(ch["operation_id"], bl.parse_ts(ch["effective_at"]))
        if ch["status"] in ("Succeeded", "Failed"):
            finals[ch["operation_id"]] = ch["status"]
    first = {op: bl.parse_ts(t) for op, t in bl.query(
        db, "SELECT operation_id, min(observed_at) FROM snapshots GROUP BY operation_id")}
    stored_final = dict(bl.query(db, "SELECT operation_id, status FROM operations"))
    latencies = [max(0.0, first[op] - c) * SCALE for op, c in created.items() if op in first]
    lists = stats["list_calls"]
    gets = stats["total_requests"] - lists
    return {
        "operations": len(created), "stored": len(first),
        "finals": len(finals),
        "finals_stored": sum(1 for op, st in finals.items() if stored_final.get(op) == st),
        "p50": bl.percentile(latencies, 50), "p99": bl.percentile(latencies, 99),
        "max": max(latencies) if latencies else None,
        "list_calls": lists, "status_calls": gets,
        "calls_per_operation": (lists + gets) / len(created) if created else None,
        "gets_per_operation": gets / len(created) if created else None,
        "throttled": stats["throttled"], "run_s": end, "daemon_exit": rc,
        "loadavg": bl.loadavg(),
    }


def main():
    global SCALE
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=6)
    ap.add_argument("--count", type=int, default=100)  # 10 minutes of creations at 10 a minute
    ap.add_argument("--rate", type=float, default=10.0)  # operations created per minute
    ap.add_argument("--interval", type=float, default=60.0)  # discover.interval, seconds
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0xd15c)
    args = ap.parse_args()
    SCALE = args.scale
    if args.interval / SCALE < 10:
        raise SystemExit("discover.interval / --scale must be at least 10 s")
    bl.log(f"B1 discovery: {args.count} operations at {args.rate:g}/min, "
           f"discover.interval {args.interval:g}s (x{SCALE})")
    with tempfile.TemporaryDirectory(prefix="adu-b1d-") as workdir:
        r = run(workdir, args.count, args.rate, args.interval, args.seed)
    bl.log(f"  -> p50 {r['p50']:.1f}s p99 {r['p99']:.1f}s stored {r['stored']}/{r['operations']} "
           f"finals {r['finals_stored']}/{r['finals']} lists {r['list_calls']} "
           f"gets {r['status_calls']} calls/op {r['calls_per_operation']:.2f} "
           f"429 {r['throttled']}")
    out = {"scale": SCALE, "rate_per_min": args.rate, "interval_s": args.interval,
           "poll_interval_s": POLL_INTERVAL, "get_limit": GET_LIMIT, "list_limit": LIST_LIMIT,
           "page_size": PAGE_SIZE, "run": r,
           "commit": bl.git_commit(os.path.join(os.path.dirname(__file__), ".."))}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


SCALE = 6
if __name__ == "__main__":
    main()
