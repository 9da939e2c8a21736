#!/usr/bin/env python3
"""Soak: the real daemon against adu-emulator for a long time, with churn and injected faults.

500 operations whose bodies change every `--churn` seconds, every 20th GET of each operation
answered with a fault (5 %), for `--duration` seconds. Samples the daemon's RSS and open file
descriptors from /proc every 10 s and reports them at start (after a warm-up) and end, and
compares the daemon's recorded errors (poll_errors) with the faults the emulator injected.
Exit status 0 only when: the daemon is still running at the end and exits 0 on SIGTERM; every
recorded error is an injected one (none that the emulator did not inject: no 429, no network
error); file descriptors are flat; RSS is flat (release builds; under ASan its quarantine grows
RSS by design, so it is only reported); and (leak check) LeakSanitizer reported nothing.

Called by run.sh, which builds the binaries; see README.md.
"""

import argparse
import json
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
import harness  # noqa: E402  (Emulator, Daemon, write_config)

# Fault kinds, one per operation in rotation; each maps 1:1 to one recorded poll error.
# `reset` is left out on purpose: cpprest silently retries a GET once when a reused connection
# is reset, so an injected reset may or may not surface (tested in test_engine.py instead).
FAULTS = [
    ("{every: 20, kind: status, status: 500}", "http"),
    ("{every: 20, kind: status, status: 503, retry_after: 1}", "http"),
    ("{every: 20, kind: truncated}", "parse"),
    ("{every: 20, kind: empty}", "parse"),
    ("{every: 20, kind: oversized, bytes: 2000000}", "parse"),
    ("{every: 20, kind: stall, seconds: 4}", "timeout"),
]


def scenario(ops, churn):
    lines = ["instance_id: demo", "operations:"]
    for i in range(ops):
        fault, _ = FAULTS[i % len(FAULTS)]
        lines += [f"  - id: soak-{i}", f"    churn: {churn}",
                  f"    timeline: [{{at: 0, status: NotStarted}}, {{at: {5 + i % 30}, status: Running}}]",
                  f"    faults: [{fault}]"]
    return "\n".join(lines) + "\n"


def proc_sample(pid):
    rss = None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, fds


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--opwatch", required=True)
    p.add_argument("--emulator", required=True)
    p.add_argument("--duration", type=int, default=600)
    p.add_argument("--ops", type=int, default=500)
    p.add_argument("--churn", type=int, default=30)
    p.add_argument("--interval", default="10s")
    p.add_argument("--leak-check", action="store_true")
    p.add_argument("--json", help="write the figures here too")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    args = p.parse_args()

    harness.ADU_OPWATCH = args.opwatch
    harness.ADU_EMULATOR = args.emulator
    work = tempfile.mkdtemp(prefix="adu-soak-")
    emu = harness.Emulator(work, scenario(args.ops, args.churn), extra_args=["--threads", "2"])
    config = harness.write_config(work, emu.url, extra=f"""\
        poll:
          interval: {args.interval}
          request_timeout: 2s
          backoff_max: 30s
          max_concurrency: 8
          requests_per_minute: 10000
          use_list: never
        """, watch_yaml="".join(f"  - soak-{i}\n" for i in range(args.ops)))
    env = {}
    if args.leak_check:
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:exitcode=23"
        env["LSAN_OPTIONS"] = "suppressions=" + os.path.join(HERE, "..", "..", "tests", "lsan.supp")
    daemon = harness.Daemon(work, config, env=env)
    pid = daemon.proc.pid
    started = time.monotonic()
    warmup = min(60, max(10, args.duration // 10))
    samples = []  # (seconds, rss_kib, fds)
    failures = []
    try:
        while True:
            elapsed = time.monotonic() - started
            if daemon.proc.poll() is not None:
                failures.append(f"daemon exited early with {daemon.proc.returncode}")
                break
            rss, fds = proc_sample(pid)
            samples.append((round(elapsed), rss, fds))
            if elapsed >= args.duration:
                break
            time.sleep(min(10, max(0.1, args.duration - elapsed)))
        daemon.signal(signal.SIGTERM)
        code = daemon.wait(timeout=30)
        if code != 0:
            failures.append(f"daemon exit code {code} after SIGTERM")
        # After the daemon is gone: every fault it could have seen is counted.
        stats = emu.stats()
    finally:
        daemon.stop()
        emu.stop()

    db = sqlite3.connect(os.path.join(work, "operations.db"))
    errors = dict(db.execute("SELECT category, COUNT(*) FROM poll_errors GROUP BY category"))
    throttled_http = db.execute("SELECT COUNT(*) FROM poll_errors WHERE http_status = 429").fetchone()[0]
    polls, not_modified, snapshots = db.execute(
        "SELECT SUM(polls), SUM(not_modified), (SELECT COUNT(*) FROM snapshots) FROM operations").fetchone()
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()

    injected = {}
    for i in range(args.ops):
        cat = FAULTS[i % len(FAULTS)][1]
        injected[cat] = injected.get(cat, 0) + stats["operations"].get(f"soak-{i}", {}).get("faults", 0)
    total_injected = sum(injected.values())
    total_errors = sum(errors.values())
    start = next((s for s in samples if s[0] >= warmup), samples[0])
    end = samples[-1]
    log = open(daemon.log_path).read()
    leak_report = "LeakSanitizer" in log or "AddressSanitizer" in log

    result = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()} {os.cpu_count()} CPU, {platform.release()}",
        "duration_s": end[0], "operations": args.ops, "churn_s": args.churn,
        "interval": args.interval, "leak_check": args.leak_check,
        "requests": stats["global"]["total_requests"], "polls": polls,
        "not_modified": not_modified, "snapshots": snapshots,
        "injected_faults": injected, "injected_total": total_injected,
        "recorded_errors": errors, "recorded_total": total_errors,
        "throttled": stats["global"]["throttled"],
        "rss_kib_start": start[1], "rss_kib_end": end[1], "fds_start": start[2], "fds_end": end[2],
        "rss_kib_max": max(s[1] for s in samples), "fds_max": max(s[2] for s in samples),
        "start_sample_at_s": start[0], "integrity": integrity, "sanitizer_report": leak_report,
    }

    # Every recorded error is an injected one. A fault can be injected and not recorded only if
    # it was in flight at SIGTERM (cancelled answers are not errors): at most max_concurrency.
    for cat, n in errors.items():
        if n > injected.get(cat, 0):
            failures.append(f"{n} {cat} errors recorded, only {injected.get(cat, 0)} injected")
    if total_injected - total_errors > 8:
        failures.append(f"{total_injected} faults injected but {total_errors} errors recorded")
    if throttled_http or stats["global"]["throttled"]:
        failures.append("throttled (429) answers: the daemon exceeded the budget")
    if integrity != "ok":
        failures.append(f"integrity_check: {integrity}")
    if end[2] > start[2] + 4:
        failures.append(f"open fds grew from {start[2]} to {end[2]}")
    if not args.leak_check and end[1] > start[1] * 1.25 + 4096:
        failures.append(f"RSS grew from {start[1]} KiB to {end[1]} KiB")
    if leak_report:
        failures.append("sanitizer report in the daemon's log")
    result["failures"] = failures

    print(json.dumps(result, indent=2))
    print("\nRSS/fd samples (s, RSS KiB, fds):", " ".join(f"{s[0]}:{s[1]}/{s[2]}" for s in samples))
    if leak_report:
        print(log[log.find("=====") - 200:][:6000])
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    if args.keep or failures:
        print(f"work directory kept: {work}")
    else:
        subprocess.run(["rm", "-rf", work])
    print("SOAK " + ("FAILED: " + "; ".join(failures) if failures else "OK"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
