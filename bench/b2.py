#!/usr/bin/env python3
"""B2, resource cost: CPU per poll, memory and idle wakeups of adu-opwatch, with two reference
clients doing the same requests against the same emulator.

- Daemon, 10,000 watched operations, emulator without rate limits, budget far above what it can
  use, use_list never, a short interval so it polls flat out: once with every operation unchanged
  (the 304 path), once with every operation changing (churn: a new body, hence a snapshot, on every
  poll). After the first pass (unconditional GETs), CPU time (utime+stime of every thread, from
  /proc/PID/stat) is sampled over MEASURE seconds and divided by the requests the emulator
  answered meanwhile. Peak RSS is VmHWM at the end of the run.
- Idle: a daemon with 10 operations and a 1 h interval, after their first poll: context switches
  of every thread over IDLE seconds, and VmRSS.
- References against the same emulator, same operations: curl_loop (libcurl, one easy handle,
  keep-alive) and py_loop.py (http.client + json + sqlite3); each measures its own CPU time.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import benchlib as bl

COUNT = 10_000
SEED = 0xb2
MEASURE = 15.0
IDLE = 30.0
HERE = os.path.dirname(os.path.abspath(__file__))


def scenario(churn):
    return (f"instance_id: bench\nretry_after: 0\n"
            f"generate: {{count: {COUNT}, kind: device, changing_fraction: 0, seed: {SEED}, "
            f"churn: {churn}}}\n")


def daemon_poll(workdir, emu, case, extra_poll):
    db = os.path.join(workdir, f"b2-{case}.db")
    cfg = os.path.join(workdir, f"b2-{case}.yaml")
    poll = {"interval": "1s", "request_timeout": "10s", "max_concurrency": 4,
            "requests_per_minute": 100_000_000, "list_requests_per_minute": 50,
            "use_list": "never"}
    poll.update(extra_poll)
    bl.write_config(cfg, emu.url, db, [bl.guid(SEED, i) for i in range(COUNT)], poll)
    d = bl.Daemon(workdir, cfg, name=f"daemon-{case}")
    try:
        start = emu.global_stats()["total_requests"]
        bl.wait_for(lambda: emu.global_stats()["total_requests"] - start >= 2 * COUNT,
                    timeout=300, interval=0.2, what="first passes")
        cpu0, req0 = bl.cpu_seconds(d.pid), emu.global_stats()["total_requests"]
        time.sleep(MEASURE)
        cpu1, req1 = bl.cpu_seconds(d.pid), emu.global_stats()["total_requests"]
        hwm = bl.status_kb(d.pid, "VmHWM")
        rss = bl.status_kb(d.pid, "VmRSS")
        threads = bl.context_switches(d.pid)[1]
        if not d.alive():
            raise RuntimeError(f"daemon exited early: see {d.log_path}")
    finally:
        rc = d.stop()
    polls = req1 - req0
    return {"polls": polls, "cpu_s": cpu1 - cpu0, "cpu_us_per_poll": (cpu1 - cpu0) * 1e6 / polls,
            "polls_per_s": polls / MEASURE, "peak_rss_kb": hwm, "rss_kb": rss,
            "threads": threads, "daemon_exit": rc}


def idle(workdir, result):
    emu = bl.Emulator(workdir, scenario(0), name="emu-idle")
    cfg = os.path.join(workdir, "idle.yaml")
    bl.write_config(cfg, emu.url, os.path.join(workdir, "idle.db"),
                    [bl.guid(SEED, i) for i in range(10)], {"interval": "1h", "use_list": "never"})
    d = bl.Daemon(workdir, cfg, name="daemon-idle")
    try:
        bl.wait_for(lambda: emu.global_stats()["total_requests"] >= 10, timeout=60,
                    what="first polls")
        time.sleep(3)  # results written, nothing due for an hour
        cs0, threads = bl.context_switches(d.pid)
        time.sleep(IDLE)
        cs1, _ = bl.context_switches(d.pid)
        result.update({"wakeups_per_s": (cs1 - cs0) / IDLE, "context_switches": cs1 - cs0,
                       "seconds": IDLE, "rss_kb": bl.status_kb(d.pid, "VmRSS"),
                       "peak_rss_kb": bl.status_kb(d.pid, "VmHWM"), "threads": threads,
                       "requests": emu.global_stats()["total_requests"]})
    finally:
        result["daemon_exit"] = d.stop()
        emu.stop()


def references(workdir, emu, case, curl_bin):
    rounds_c, rounds_py = 5, 2
    c = subprocess.run([curl_bin, emu.url, "bench", hex(SEED), str(COUNT), str(rounds_c)],
                       capture_output=True, text=True, check=True)
    py = subprocess.run([sys.executable, os.path.join(HERE, "py_loop.py"), "127.0.0.1",
                         str(emu.port), "bench", hex(SEED), str(COUNT), str(rounds_py),
                         os.path.join(workdir, f"py-{case}.db")],
                        capture_output=True, text=True, check=True)
    out = {}
    for name, proc in (("libcurl", c), ("python", py)):
        r = json.loads(proc.stdout)
        r["cpu_us_per_poll"] = r["cpu_s"] * 1e6 / r["requests"]
        out[name] = r
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--curl-loop", required=True)
    ap.add_argument("--transport", default="")  # http.transport, when the daemon has a choice
    args = ap.parse_args()
    extra = {}
    result = {"count": COUNT, "measure_s": MEASURE, "cases": {}}
    with tempfile.TemporaryDirectory(prefix="adu-b2-") as workdir:
        idle_result = {}
        idle_thread = None
        for case, churn in (("unchanged", 0), ("changing", 0.001)):
            emu = bl.Emulator(workdir, scenario(churn), name=f"emu-{case}")
            try:
                bl.log(f"B2: daemon, {COUNT} operations, {case}")
                d = daemon_poll(workdir, emu, case, extra)
                bl.log(f"  -> {d['cpu_us_per_poll']:.0f} us/poll, {d['polls_per_s']:.0f} polls/s, "
                       f"peak RSS {d['peak_rss_kb'] / 1024:.1f} MB, load {bl.loadavg()}")
                if idle_thread is None:  # the idle daemon sleeps while the references run
                    idle_thread = threading.Thread(target=idle, args=(workdir, idle_result))
                    idle_thread.start()
                bl.log(f"B2: reference clients, {case}")
                refs = references(workdir, emu, case, args.curl_loop)
                bl.log(f"  -> libcurl {refs['libcurl']['cpu_us_per_poll']:.0f} us/poll, "
                       f"python {refs['python']['cpu_us_per_poll']:.0f} us/poll")
                result["cases"][case] = {"daemon": d, **refs, "loadavg": bl.loadavg()}
            finally:
                emu.stop()
        idle_thread.join()
        bl.log(f"B2: idle: {idle_result['wakeups_per_s']:.2f} wakeups/s, "
               f"RSS {idle_result['rss_kb'] / 1024:.1f} MB")
        result["idle"] = idle_result
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
