"""Shared helpers for bench/b1.py and bench/b2.py: start adu-emulator and adu-opwatch, read /proc.

Everything listens on 127.0.0.1 only. Binary paths come from ADU_OPWATCH / ADU_EMULATOR (set by
bench/run.sh to its Release build tree).
"""

import datetime
import json
import os
import re
import signal
import sqlite3
import subprocess
import time
import urllib.request

ADU_OPWATCH = os.environ.get("ADU_OPWATCH", "adu-opwatch")
ADU_EMULATOR = os.environ.get("ADU_EMULATOR", "adu-emulator")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def wait_for(predicate, timeout=60.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def guid(seed, i):
    return f"{seed:08x}-0000-4000-8000-{i:012x}"


class Emulator:
    def __init__(self, workdir, scenario_text, time_scale=1.0, name="emulator"):
        self.scenario = os.path.join(workdir, f"{name}.yaml")
        with open(self.scenario, "w") as f:
            f.write(scenario_text)
        port_file = os.path.join(workdir, f"{name}.port")
        if os.path.exists(port_file):
            os.remove(port_file)  # a stale one would name a dead emulator's port
        self.log = open(os.path.join(workdir, f"{name}.log"), "w")
        args = [ADU_EMULATOR, "--scenario", self.scenario, "--port", "0", "--port-file", port_file]
        if time_scale != 1.0:
            args += ["--time-scale", str(time_scale)]
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)

        def port():
            if self.proc.poll() is not None:
                raise RuntimeError(f"emulator exited with {self.proc.returncode}")
            try:
                with open(port_file) as f:
                    return f.read().strip()
            except FileNotFoundError:
                return ""
        self.port = int(wait_for(port, what="emulator port"))
        self.url = f"http://127.0.0.1:{self.port}"

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=30) as r:
            return json.loads(r.read())

    def global_stats(self):
        # One unknown operation: the global counters without every operation's request log.
        return self.get("/_emulator/stats?operation=_none_")["global"]

    def timeline(self):
        return self.get("/_emulator/timeline")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def transport():
    """http.transport for every daemon of the run (BENCH_TRANSPORT; the daemon's default if unset)."""
    return os.environ.get("BENCH_TRANSPORT", "")


def write_config(path, endpoint, database, ids, poll, instance="bench", http_transport=None,
                 metrics_listen=None, discover=None):
    lines = [f"endpoint: {endpoint}", f"instance_id: {instance}", "auth:", "  method: none",
             f"database: {database}", "log_level: warn"]
    if metrics_listen:
        lines += ["metrics:", f"  listen: {metrics_listen}"]
    http_transport = http_transport or transport()
    if http_transport:
        lines += ["http:", f"  transport: {http_transport}"]
    lines.append("poll:")
    lines += [f"  {k}: {v}" for k, v in poll.items()]
    if discover:
        lines.append("discover:")
        lines += [f"  {k}: {v}" for k, v in discover.items()]
    lines.append("watch:" if ids else "watch: []")
    lines += [f"  - {i}" for i in ids]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


class Daemon:
    def __init__(self, workdir, config_path, env=None, name="daemon"):
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.log = open(self.log_path, "w")
        full_env = dict(os.environ)
        full_env.pop("JOURNAL_STREAM", None)
        full_env.pop("NOTIFY_SOCKET", None)
        full_env.update(env or {})
        self.proc = subprocess.Popen([ADU_OPWATCH, "run", "--config", config_path],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=full_env)
        self.pid = self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def cpu_seconds(pid):
    """utime + stime of every thread of `pid` (from /proc/PID/stat), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def context_switches(pid):
    """Voluntary + involuntary context switches summed over every thread, and the thread count."""
    total, threads = 0, 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
            threads += 1
        except FileNotFoundError:
            pass
    return total, threads


_TS = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)")


def parse_ts(text):
    """ISO-8601 (the daemon's `...123Z` or the emulator's `...1234567+00:00`) -> POSIX seconds."""
    m = _TS.fullmatch(text)
    if not m:
        raise ValueError(f"bad timestamp {text!r}")
    base = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    frac = float("0." + m.group(2)) if m.group(2) else 0.0
    tz = m.group(3)
    offset = 0 if tz == "Z" else (1 if tz[0] == "+" else -1) * (int(tz[1:3]) * 3600 + int(tz[4:6]) * 60)
    return base.replace(tzinfo=datetime.timezone.utc).timestamp() + frac - offset


def query(database, sql, params=()):
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100); None for no values."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def git_commit(root):
    try:
        rev = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--", "core", "daemon",
                                "bench", "storage", "config"],
                               capture_output=True, text=True).stdout.strip()
        return rev + (" (with uncommitted changes)" if dirty else "")
    except (subprocess.CalledProcessError, FileNotFoundError):
        return "unknown"
