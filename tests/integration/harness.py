"""Helpers for integration tests that run the real adu-opwatch binary against adu-emulator.

Everything listens on 127.0.0.1 only. Paths to the binaries come from the environment that
ctest sets (ADU_OPWATCH, ADU_EMULATOR); each test works in its own temporary directory.
"""

import json
import os
import signal
import sqlite3
import subprocess
import tempfile
import textwrap
import time
import unittest
import urllib.request

ADU_OPWATCH = os.environ.get("ADU_OPWATCH", "adu-opwatch")
ADU_EMULATOR = os.environ.get("ADU_EMULATOR", "adu-emulator")
# "spec" (default): the emulator answers like the API's examples. "recorded": every scenario gets
# `profile: recorded`, so the emulator answers like the recorded service (docs/emulator.md):
# Z timestamps with 0-7 digits, innerError, etag only in the body, bare 304s, legacy nextLinks,
# pages of 100, rfc9110 problem 404s, repeated headers. ctest runs suites in both modes.
EMULATOR_MODE = os.environ.get("ADU_EMULATOR_MODE", "spec")
if EMULATOR_MODE not in ("spec", "recorded"):
    raise SystemExit(f"ADU_EMULATOR_MODE must be spec or recorded, not {EMULATOR_MODE!r}")


def scenario_for_mode(scenario_yaml):
    """The scenario as the emulator gets it in this run's mode (a scenario's own keys win)."""
    text = textwrap.dedent(scenario_yaml)
    if EMULATOR_MODE == "recorded" and "profile:" not in text:
        text = "profile: recorded\n" + text
    return text


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""


def wait_for(predicate, timeout=20.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Emulator:
    def __init__(self, workdir, scenario_yaml, extra_args=()):
        self.workdir = workdir
        self.scenario = os.path.join(workdir, "scenario.yaml")
        with open(self.scenario, "w") as f:
            f.write(scenario_for_mode(scenario_yaml))
        port_file = os.path.join(workdir, "emulator.port")
        self.log = open(os.path.join(workdir, "emulator.log"), "w")
        self.proc = subprocess.Popen(
            [ADU_EMULATOR, "--scenario", self.scenario, "--port", "0", "--port-file", port_file,
             *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.port = int(wait_for(lambda: _read(port_file), what="emulator port file"))
        self.url = f"http://127.0.0.1:{self.port}"

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return json.loads(r.read())

    def stats(self):
        return self.get("/_emulator/stats")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Daemon:
    def __init__(self, workdir, config_path, args=(), env=None):
        self.log_path = os.path.join(workdir, "daemon.log")
        self.log = open(self.log_path, "a")
        full_env = dict(os.environ)
        full_env.pop("JOURNAL_STREAM", None)
        full_env.pop("NOTIFY_SOCKET", None)
        if env:
            full_env.update(env)
        self.proc = subprocess.Popen([ADU_OPWATCH, "run", "--config", config_path, *args],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=full_env)

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_log(self, text, timeout=30.0, count=1):
        return wait_for(lambda: self.output().count(text) >= count, timeout=timeout,
                        what=f"log line {text!r}\n--- log ---\n{self.output()}")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=10.0):
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.log.flush()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def write_config(workdir, endpoint, watch_yaml="", extra="", instance="demo", name="config.yaml"):
    path = os.path.join(workdir, name)
    body = f"""\
endpoint: {endpoint}
instance_id: {instance}
auth:
  method: none
database: {os.path.join(workdir, 'operations.db')}
log_level: info
"""
    body += textwrap.dedent(extra)
    if watch_yaml:
        body += "watch:\n" + textwrap.dedent(watch_yaml)
    with open(path, "w") as f:
        f.write(body)
    return path


def query(workdir, sql, params=()):
    db = sqlite3.connect(f"file:{os.path.join(workdir, 'operations.db')}?mode=ro", uri=True,
                         timeout=10)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


class IntegrationTest(unittest.TestCase):
    """Gives each test a work directory and stops whatever it started."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="adu-it-")
        self.dir = self._tmp.name
        self._started = []

    def tearDown(self):
        for thing in reversed(self._started):
            thing.stop()
        if self._outcome_failed():
            for name in ("daemon.log", "emulator.log"):
                path = os.path.join(self.dir, name)
                if os.path.exists(path):
                    print(f"\n--- {name} ---\n" + open(path).read()[-6000:])
        self._tmp.cleanup()

    def _outcome_failed(self):
        outcome = getattr(self, "_outcome", None)
        errors = getattr(outcome, "errors", None) or []
        result = getattr(outcome, "result", None)
        if result is not None:
            return bool(result.failures or result.errors)
        return any(e for _, e in errors)

    def emulator(self, scenario, extra_args=()):
        emu = Emulator(self.dir, scenario, extra_args)
        self._started.append(emu)
        return emu

    def daemon(self, config_path, args=(), env=None):
        d = Daemon(self.dir, config_path, args, env)
        self._started.append(d)
        return d
