#!/usr/bin/env python3
"""Notifications benchmark: how many events per second one webhook target takes from a loopback
receiver, and the daemon's CPU per delivered event.

1. The daemon polls N emulated operations that each go Running -> Succeeded (2N rows of the
   `transitions` view) and stops.
2. One pending outbox row per transition is added for target `bench` (the rows the writer writes
   for a target with `on: [any]`), so the whole backlog is there at once.
3. The daemon starts again with that one webhook target and nothing to poll, and delivers the
   backlog to a Python receiver on 127.0.0.1 that answers 204 at once. Events per second: the
   deliveries between the receiver's first and last request; CPU per event: the daemon's CPU
   (every thread, /proc) over the same stretch, divided by the events.

Writes the JSON results and the notifications section of docs/performance.md (between the
NOTIFY markers; bench/report.py keeps it).
"""

import argparse
import json
import os
import re
import sys
import tempfile
import time

import benchlib as bl

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from notify_receiver import Receiver  # noqa: E402  (the tests' receiver, one copy)


def scenario(n):
    lines = ["instance_id: bench", "operations:"]
    for i in range(n):
        lines += [f"  - id: {bl.guid(0xB4, i)}",
                  "    timeline: [{at: 0, status: Running}, {at: 1, status: Succeeded}]"]
    return "\n".join(lines) + "\n"


def fill_history(workdir, n):
    """Phase 1: the daemon stores 2n transitions; returns the database path."""
    db = os.path.join(workdir, "bench.db")
    emu = bl.Emulator(workdir, scenario(n))
    ids = [bl.guid(0xB4, i) for i in range(n)]
    config = os.path.join(workdir, "fill.yaml")
    bl.write_config(config, emu.url, db, ids, {"interval": "1s", "requests_per_minute": 600000,
                                               "max_concurrency": 16, "use_list": "never"})
    daemon = bl.Daemon(workdir, config, name="fill")
    try:
        bl.wait_for(lambda: os.path.exists(db) and bl.query(
            db, "SELECT count(*) FROM transitions WHERE to_status = 'Succeeded'")[0][0] == n,
            timeout=300, interval=0.5, what="every operation Succeeded")
    finally:
        daemon.stop()
        emu.stop()
    return db


def add_backlog(db):
    import sqlite3
    con = sqlite3.connect(db, timeout=30)
    with con:
        con.execute("INSERT INTO notifications (event_id, target, snapshot_id, created_at, "
                    "next_attempt_at) SELECT 'bench:' || snapshot_id, 'bench', snapshot_id, "
                    "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                    "FROM transitions")
    count = con.execute("SELECT count(*) FROM notifications WHERE state = 'pending'").fetchone()[0]
    con.close()
    return count


def deliver(workdir, db, events, transport):
    rx = Receiver(default=204)
    config = os.path.join(workdir, f"deliver-{transport or 'default'}.yaml")
    bl.write_config(config, "http://127.0.0.1:9", db, [], {"interval": "30s"},
                    http_transport=transport)
    with open(config) as f:
        text = f.read().replace("watch:\n", "watch: []\n")
    text += (f"notify:\n  - name: bench\n    on: [any]\n    webhook:\n"
             f"      url: {rx.url}/hook\n      timeout: 5s\n")
    with open(config, "w") as f:
        f.write(text)
    daemon = bl.Daemon(workdir, config, name=f"deliver-{transport or 'default'}")
    try:
        bl.wait_for(lambda: len(rx.all()) >= 1, timeout=60, interval=0.002, what="first delivery")
        cpu0, t0 = bl.cpu_seconds(daemon.pid), time.monotonic()
        bl.wait_for(lambda: len(rx.all()) >= events, timeout=600, interval=0.01,
                    what="every event received")
        cpu1, t1 = bl.cpu_seconds(daemon.pid), time.monotonic()
        reqs = rx.all()
        span = reqs[-1]["at"] - reqs[0]["at"]
        pending = lambda: bl.query(db, "SELECT count(*) FROM notifications "
                                       "WHERE state = 'pending'")[0][0]
        bl.wait_for(lambda: pending() == 0, timeout=60, what="every verdict recorded")
        distinct = len({r["headers"]["X-Adu-Opwatch-Event"] for r in reqs})
    finally:
        daemon.stop()
        rx.stop()
    return {"transport": transport or "cpprest", "events": events, "requests": len(reqs),
            "distinct_events": distinct, "seconds": span,
            "events_per_second": (events - 1) / span if span > 0 else None,
            "cpu_us_per_event": (cpu1 - cpu0) * 1e6 / (events - 1),
            "wall_s": t1 - t0, "loadavg": bl.loadavg()}


def reset_outbox(db):
    import sqlite3
    con = sqlite3.connect(db, timeout=30)
    with con:
        con.execute("UPDATE notifications SET state = 'pending', attempts = 0, delivered_at = NULL")
    con.close()


def section(result):
    L = ["<!-- NOTIFY begin: generated by bench/notify_bench.py; do not edit by hand -->",
         "## Notifications: events per second to one webhook", "",
         f"Run {result['started']}, commit {result['commit']}, Release build, {result['machine']}. "
         f"A backlog of {result['events']} pending events (one per `transitions` row of "
         f"{result['operations']} operations) is delivered to one webhook target, `on: [any]`, "
         "whose receiver is Python's `http.server` on 127.0.0.1 answering 204 at once; the "
         "daemon polls nothing meanwhile. Events per second are counted between the receiver's "
         "first and last request; CPU per event is the daemon's CPU (every thread) over the same "
         "stretch divided by the events, which includes reading the outbox, rendering the json "
         "body, the HTTP request and recording the verdict.", "",
         "| transport | events | requests | events/s | daemon CPU per event | load average |",
         "| --- | --- | --- | --- | --- | --- |"]
    for r in result["runs"]:
        L.append(f"| `{r['transport']}` | {r['events']} | {r['requests']} | "
                 f"{r['events_per_second']:.0f} | {r['cpu_us_per_event']:.0f} us | "
                 f"{r['loadavg']} |")
    L += ["", "One event is in flight per target at a time (per-operation order needs no more), so "
          "the rate is one round trip per event: with a receiver on another host it is bounded by "
          "the network's round-trip time (at 20 ms about 50 events per second per target), and "
          "several targets deliver in parallel. The receiver here is a single Python process; "
          "the figures say what one target costs the daemon, not what a receiver can take.", "",
          "<!-- NOTIFY end -->"]
    return "\n".join(L)


def write_section(text):
    path = os.path.join(ROOT, "docs", "performance.md")
    with open(path) as f:
        page = f.read()
    m = re.search(r"<!-- NOTIFY begin.*?<!-- NOTIFY end -->", page, re.S)
    page = page[:m.start()] + text + page[m.end():] if m else page.rstrip("\n") + "\n\n" + text + "\n"
    with open(path, "w") as f:
        f.write(page)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--operations", type=int, default=1000)
    ap.add_argument("--transports", default="cpprest,curl")
    ap.add_argument("--workdir", default=None,
                    help="keep the database and logs here (default: a temporary directory)")
    ap.add_argument("--section-only", action="store_true",
                    help="rewrite the page's section from --out's JSON without measuring")
    args = ap.parse_args()
    if args.section_only:
        with open(args.out) as f:
            write_section(section(json.load(f)))
        return
    import report  # machine(), shared with the B1/B2 page
    result = {"started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "commit": bl.git_commit(ROOT), "machine": report.machine(),
              "operations": args.operations, "runs": []}
    with tempfile.TemporaryDirectory(prefix="adu-notify-bench-") as tmp:
        workdir = args.workdir or tmp
        os.makedirs(workdir, exist_ok=True)
        bl.log(f"storing the history of {args.operations} operations")
        db = fill_history(workdir, args.operations)
        events = add_backlog(db)
        result["events"] = events
        for transport in args.transports.split(","):
            reset_outbox(db)
            bl.log(f"delivering {events} events ({transport})")
            r = deliver(workdir, db, events, transport)
            bl.log(f"  -> {r['events_per_second']:.0f} events/s, {r['cpu_us_per_event']:.0f} us "
                   f"CPU per event")
            result["runs"].append(r)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    write_section(section(result))


if __name__ == "__main__":
    main()
