"""Daemon lifecycle from the outside: start, reloads, watch-file edits, shutdown."""

import os
import signal
import sqlite3
import time
import unittest

from harness import ADU_OPWATCH, IntegrationTest, query, wait_for, write_config

SCENARIO = """\
instance_id: demo
retry_after: 1
operations:
  - id: op-a
    timeline: [{at: 0, status: Running}]
  - id: op-b
    timeline: [{at: 0, status: Running}]
  - id: op-c
    timeline: [{at: 0, status: Running}]
  - id: op-d
    timeline: [{at: 0, status: Running}]
  - id: op-hang
    timeline: [{at: 0, status: Running}]
    faults:
      - {request: 2, kind: stall, seconds: 60}
"""

POLL = """\
poll:
  interval: 500ms
"""


def requests_for(emu, op):
    return emu.stats()["operations"].get(op, {}).get("requests", 0)


class DaemonLifecycleTest(IntegrationTest):
    def test_reloads_watch_file_and_broken_config(self):
        emu = self.emulator(SCENARIO)
        watch_file = os.path.join(self.dir, "watch.yaml")
        with open(watch_file, "w") as f:
            f.write("[]\n")
        config = write_config(self.dir, emu.url, extra=POLL + f"watch_file: {watch_file}\n",
                              watch_yaml="  - op-a\n  - op-b\n")
        daemon = self.daemon(config)
        daemon.wait_log("adu-opwatch ")
        start_line = [l for l in daemon.output().splitlines() if "starting:" in l][0]
        for part in (f"endpoint {emu.url}", "instance demo", "auth none", "api-version 2022-10-01",
                     "2 watched operations", os.path.join(self.dir, "operations.db")):
            self.assertIn(part, start_line)
        daemon.wait_log("operation op-b (device): first seen Running")

        # SIGHUP with a changed watch list: op-c starts, op-b stops and becomes unwatched.
        write_config(self.dir, emu.url, extra=POLL + f"watch_file: {watch_file}\n",
                     watch_yaml="  - op-a\n  - op-c\n")
        daemon.signal(signal.SIGHUP)
        daemon.wait_log("operation op-c (device): first seen Running")
        wait_for(lambda: query(self.dir, "SELECT state FROM operations WHERE operation_id='op-b'")
                 == [("unwatched",)], what="op-b unwatched")
        b_before = requests_for(emu, "op-b")
        time.sleep(1.5)
        self.assertEqual(requests_for(emu, "op-b"), b_before)

        # A watch-file edit, no signal: op-d is picked up within a few seconds.
        with open(watch_file + ".tmp", "w") as f:
            f.write("- op-d\n")
        os.rename(watch_file + ".tmp", watch_file)
        daemon.wait_log("operation op-d (device): first seen Running", timeout=10)

        # An invalid watch file is refused with its location; the old list stays.
        with open(watch_file, "w") as f:
            f.write("- id: op-e\n  kind: sideways\n")
        daemon.wait_log("watch list not changed: ", timeout=10)
        self.assertIn("watch.yaml:2:", daemon.output())

        # SIGHUP with a broken config: logged with file:line:col, the old one stays in force.
        with open(config, "a") as f:
            f.write("bogus_key: 1\n")
        daemon.signal(signal.SIGHUP)
        daemon.wait_log("reload failed, keeping the running configuration: ")
        self.assertIn("config.yaml:", daemon.output().split("reload failed")[-1])
        a_before = requests_for(emu, "op-a")
        wait_for(lambda: requests_for(emu, "op-a") > a_before + 1, what="op-a still polled")
        self.assertIsNone(daemon.proc.poll())

        daemon.signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(), 0)

    def test_sigterm_while_a_request_hangs_exits_within_two_seconds(self):
        emu = self.emulator(SCENARIO)
        config = write_config(self.dir, emu.url, extra="""\
            poll:
              interval: 500ms
              request_timeout: 30s
            """, watch_yaml="  - op-hang\n")
        daemon = self.daemon(config)
        daemon.wait_log("operation op-hang (device): first seen Running")
        wait_for(lambda: requests_for(emu, "op-hang") >= 2, what="the hanging request")
        time.sleep(0.3)
        started = time.monotonic()
        daemon.signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(timeout=5), 0)
        self.assertLess(time.monotonic() - started, 2.0)
        db = sqlite3.connect(os.path.join(self.dir, "operations.db"))
        self.assertEqual(db.execute("PRAGMA integrity_check").fetchone(), ("ok",))
        self.assertEqual(db.execute("SELECT COUNT(*) FROM snapshots").fetchone(), (1,))
        # Our own cancellation is not an error of the operation.
        self.assertEqual(db.execute("SELECT COUNT(*) FROM poll_errors").fetchone(), (0,))
        db.close()

    def test_once_polls_every_operation_and_exits(self):
        emu = self.emulator(SCENARIO)
        config = write_config(self.dir, emu.url, watch_yaml="  - op-a\n  - op-b\n")
        daemon = self.daemon(config, args=["--once"])
        self.assertEqual(daemon.wait(timeout=20), 0)
        self.assertEqual(query(self.dir, "SELECT COUNT(*) FROM snapshots"), [(2,)])

    def test_bad_config_exits_78_with_one_line(self):
        path = os.path.join(self.dir, "bad.yaml")
        with open(path, "w") as f:
            f.write("endpoint: http://example.com\ninstance_id: x\nauth: {method: none}\n")
        import subprocess
        r = subprocess.run([ADU_OPWATCH, "run", "--config", path], capture_output=True, text=True,
                           timeout=10)
        self.assertEqual(r.returncode, 78)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("bad.yaml:1:", r.stderr)

    def test_exit_codes_of_database_and_configuration_failures(self):
        """docs/cli.md: 1 for a database that can't be used, 78 for the configuration."""
        import subprocess
        # Loopback port 9 (discard): nothing is polled, the database is what fails first.
        config = write_config(self.dir, "http://127.0.0.1:9", watch_yaml="  - op-a\n")
        db = os.path.join(self.dir, "operations.db")

        def run(*args):
            return subprocess.run([ADU_OPWATCH, *args], capture_output=True, text=True,
                                  timeout=20)

        foreign = sqlite3.connect(db)
        foreign.execute("CREATE TABLE customers (name TEXT)")
        foreign.commit()
        foreign.close()
        r = run("run", "--once", "--config", config, "--log-target", "stderr")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("not an adu-opwatch database", r.stderr)
        r = run("status", "--db", db)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("no adu-opwatch schema", r.stderr)

        os.remove(db)
        newer = sqlite3.connect(db)
        newer.execute("PRAGMA user_version = 999")
        newer.commit()
        newer.close()
        r = run("run", "--once", "--config", config, "--log-target", "stderr")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("newer adu-opwatch", r.stderr)

        os.remove(db)
        r = run("status", "--config", config)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("does not exist (has the daemon run yet?)", r.stderr)
        r = run("history", "op-a", "--config", os.path.join(self.dir, "missing.yaml"))
        self.assertEqual(r.returncode, 78, r.stderr)
        r = run("check-config", "--config", os.path.join(self.dir, "missing.yaml"))
        self.assertEqual(r.returncode, 78, r.stderr)


if __name__ == "__main__":
    unittest.main()
