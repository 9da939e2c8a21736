#!/usr/bin/env python3
"""B2, resource cost: CPU per poll, memory and idle wakeups of adu-opwatch, with two reference
clients doing the same requests against the same emulator.

- Daemon, 10,000 watched operations, emulator without rate limits, budget far above what it can
  use, use_list never, a short interval so it polls flat out: once with every operation unchanged
  (the 304 path), once with every operation changing (churn: a new body, hence a snapshot, on every
  poll). After the first pass (unconditional GETs), CPU time (utime+stime of every thread, from
  /proc/PID/stat) is sampled over MEASURE seconds and divided by the requests the emulator
  answered meanwhile. Peak RSS is VmHWM at the end of the run.
- The same unchanged run with the metrics endpoint on (`metrics.listen`), scraped every SCRAPE
  seconds by a thread of this script for the whole run: its CPU per poll and peak RSS against the
  run without it (goal: within 10 % and 2 MB).
- Idle: a daemon with 10 operations and a 1 h interval, after their first poll: context switches
  of every thread over IDLE seconds, and VmRSS.
- References against the same emulator, same operations: curl_loop (libcurl, one easy handle,
  keep-alive) and py_loop.py (http.client + json + sqlite3); each measures its own CPU time.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import benchlib as bl

COUNT = 10_000
SEED = 0xb2
MEASURE = 15.0
IDLE = 30.0
SCRAPE = 5.0
HERE = os.path.dirname(os.path.abspath(__file__))


def scenario(churn):
    return (f"instance_id: bench\nretry_after: 0\n"
            f"generate: {{count: {COUNT}, kind: device, changing_fraction: 0, seed: {SEED}, "
            f"churn: {churn}}}\n")


class Scraper:
    """GET /metrics every SCRAPE seconds, as Prometheus would, until stopped."""

    def __init__(self, port):
        self.url = f"http://127.0.0.1:{port}/metrics"
        self.scrapes = 0
        self.failures = 0
        self.bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(SCRAPE):
            try:
                with urllib.request.urlopen(self.url, timeout=10) as r:
                    self.bytes = len(r.read())
                    self.scrapes += 1
            except OSError:
                self.failures += 1

    def stop(self):
        self._stop.set()
        self._thread.join()
        return {"scrapes": self.scrapes, "scrape_failures": self.failures,
                "scrape_bytes": self.bytes, "scrape_interval_s": SCRAPE}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def daemon_poll(workdir, emu, case, extra_poll, metrics=False):
    tag = f"{case}-{bl.transport() or 'default'}{'-metrics' if metrics else ''}"
    db = os.path.join(workdir, f"b2-{tag}.db")
    cfg = os.path.join(workdir, f"b2-{tag}.yaml")
    poll = {"interval": "1s", "request_timeout": "10s", "max_concurrency": 4,
            "requests_per_minute": 100_000_000, "list_requests_per_minute": 50,
            "use_list": "never"}
    poll.update(extra_poll)
    port = free_port() if metrics else None
    bl.write_config(cfg, emu.url, db, [bl.guid(SEED, i) for i in range(COUNT)], poll,
                    metrics_listen=f"127.0.0.1:{port}" if metrics else None)
    d = bl.Daemon(workdir, cfg, name=f"daemon-{tag}")
    scraper = Scraper(port) if metrics else None
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
        scraped = scraper.stop() if scraper else {}
        rc = d.stop()
    polls = req1 - req0
    return {"polls": polls, "cpu_s": cpu1 - cpu0, "cpu_us_per_poll": (cpu1 - cpu0) * 1e6 / polls,
            "polls_per_s": polls / MEASURE, "peak_rss_kb": hwm, "rss_kb": rss,
            "threads": threads, "daemon_exit": rc, **scraped}


def idle(workdir, result, transport):
    emu = bl.Emulator(workdir, scenario(0), name=f"emu-idle-{transport}")
    cfg = os.path.join(workdir, f"idle-{transport}.yaml")
    bl.write_config(cfg, emu.url, os.path.join(workdir, f"idle-{transport}.db"),
                    [bl.guid(SEED, i) for i in range(10)], {"interval": "1h", "use_list": "never"},
                    http_transport=transport)
    d = bl.Daemon(workdir, cfg, name=f"daemon-idle-{transport}")
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
    c = subprocess.run([curl_bin, emu.url, "bench", hex(SEED), str(COUNT), "5"],
                       capture_output=True, text=True, check=True)
    # Python commits a row per changed body (an fsync each): in the changing case every answer
    # is one, so it measures 5,000 polls without a warm-up round (they are all 200s anyway).
    py_args = [str(COUNT), "2", "1"] if case == "unchanged" else [str(COUNT // 2), "1", "0"]
    py = subprocess.run([sys.executable, os.path.join(HERE, "py_loop.py"), "127.0.0.1",
                         str(emu.port), "bench", hex(SEED), *py_args,
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
    ap.add_argument("--transports", default="cpprest,curl")  # http.transport values to measure
    args = ap.parse_args()
    transports = args.transports.split(",")
    result = {"count": COUNT, "measure_s": MEASURE, "transports": transports, "cases": {},
              "idle": {}}
    with tempfile.TemporaryDirectory(prefix="adu-b2-") as workdir:
        idle_threads = []
        for case, churn in (("unchanged", 0), ("changing", 0.001)):
            emu = bl.Emulator(workdir, scenario(churn), name=f"emu-{case}")
            try:
                entry = {}
                for transport in transports:
                    os.environ["BENCH_TRANSPORT"] = transport
                    bl.log(f"B2: daemon ({transport}), {COUNT} operations, {case}")
                    d = daemon_poll(workdir, emu, case, {})
                    bl.log(f"  -> {d['cpu_us_per_poll']:.0f} us/poll, {d['polls_per_s']:.0f} "
                           f"polls/s, peak RSS {d['peak_rss_kb'] / 1024:.1f} MB, "
                           f"load {bl.loadavg()}")
                    entry[transport] = d
                    if case == "unchanged":  # the hot path, where an overhead shows most
                        bl.log(f"B2: daemon ({transport}) with the metrics endpoint, scraped "
                               f"every {SCRAPE:.0f} s")
                        m = daemon_poll(workdir, emu, case, {}, metrics=True)
                        bl.log(f"  -> {m['cpu_us_per_poll']:.0f} us/poll, peak RSS "
                               f"{m['peak_rss_kb'] / 1024:.1f} MB, {m['scrapes']} scrapes")
                        entry[f"{transport}+metrics"] = m
                if not idle_threads:  # the idle daemons sleep while the references run
                    for transport in transports:
                        r = {}
                        result["idle"][transport] = r
                        t = threading.Thread(target=idle, args=(workdir, r, transport))
                        t.start()
                        idle_threads.append(t)
                bl.log(f"B2: reference clients, {case}")
                refs = references(workdir, emu, case, args.curl_loop)
                bl.log(f"  -> libcurl {refs['libcurl']['cpu_us_per_poll']:.0f} us/poll, "
                       f"python {refs['python']['cpu_us_per_poll']:.0f} us/poll")
                result["cases"][case] = {"daemon": entry, **refs, "loadavg": bl.loadavg()}
            finally:
                emu.stop()
        for t in idle_threads:
            t.join()
        for transport, r in result["idle"].items():
            bl.log(f"B2: idle ({transport}): {r['wakeups_per_s']:.2f} wakeups/s, "
                   f"RSS {r['rss_kb'] / 1024:.1f} MB")
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
