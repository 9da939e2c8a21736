"""Hostile inputs against the real binary: a 50 MB answer, bad paths for the config and database."""

import os
import signal
import stat
import subprocess
import unittest

from harness import ADU_OPWATCH, IntegrationTest, query, wait_for, write_config

MIB = 1024 * 1024


def proc_status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


class HostileInputTest(IntegrationTest):
    def test_fifty_megabyte_answer_is_refused_with_memory_bounded(self):
        emu = self.emulator("""\
            instance_id: demo
            operations:
              - id: big
                timeline: [{at: 0, status: Running}]
                faults:
                  - {request: 3, kind: oversized, bytes: 52428800}
            """)
        config = write_config(self.dir, emu.url, extra="""\
            poll:
              interval: 1s
              backoff_max: 1s
            """, watch_yaml="  - big\n")
        daemon = self.daemon(config)
        pid = daemon.proc.pid
        daemon.wait_log("operation big (device): first seen Running")
        # Peak RSS so far (start-up, first polls), just before the 50 MB answer is due.
        wait_for(lambda: emu.stats()["operations"]["big"]["requests"] >= 2, what="second poll")
        peak_before = proc_status_kib(pid, "VmHWM")
        wait_for(lambda: query(self.dir, "SELECT category, message FROM poll_errors"),
                 timeout=30, what="the oversized answer recorded")
        (category, message), = query(self.dir, "SELECT category, message FROM poll_errors")
        self.assertEqual(category, "parse")
        self.assertIn("larger than 1048576 bytes", message)
        self.assertEqual(emu.stats()["operations"]["big"]["faults"], 1)
        peak_after = proc_status_kib(pid, "VmHWM")
        # The answer is refused at the 1 MiB cap: the peak grows by far less than 50 MB.
        growth_mib = (peak_after - peak_before) / 1024
        print(f"\nVmHWM before {peak_before / 1024:.1f} MiB, after {peak_after / 1024:.1f} MiB, "
              f"growth {growth_mib:.1f} MiB")
        self.assertLess(growth_mib, 10, f"peak RSS grew by {growth_mib:.1f} MiB")
        # And polling goes on: the next poll succeeds.
        before = emu.stats()["operations"]["big"]["requests"]
        wait_for(lambda: emu.stats()["operations"]["big"]["requests"] > before + 1,
                 what="polling continues")
        self.assertIsNone(daemon.proc.poll())
        daemon.signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(), 0)

    def run_binary(self, config_path, timeout=20):
        return subprocess.run([ADU_OPWATCH, "run", "--config", config_path],
                              capture_output=True, text=True, timeout=timeout)

    def test_config_path_that_is_a_directory_a_fifo_or_unreadable(self):
        fifo = os.path.join(self.dir, "fifo.yaml")
        os.mkfifo(fifo)
        unreadable = write_config(self.dir, "http://127.0.0.1:9", name="unreadable.yaml")
        os.chmod(unreadable, 0)
        paths = [self.dir, fifo]
        if os.geteuid() != 0:  # root reads a 0000 file anyway
            paths.append(unreadable)
        for path in paths:
            r = self.run_binary(path)  # a FIFO must not block: the timeout would fire
            self.assertEqual(r.returncode, 78, (path, r.stderr))
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertIn(path, r.stderr)

    def test_database_in_a_missing_directory_or_not_sqlite_is_refused(self):
        missing = os.path.join(self.dir, "no", "such", "dir", "operations.db")
        config = write_config(self.dir, "http://127.0.0.1:9", watch_yaml="  - a\n",
                              name="missing.yaml")
        with open(config) as f:
            text = f.read().replace(os.path.join(self.dir, "operations.db"), missing)
        with open(config, "w") as f:
            f.write(text)
        r = self.run_binary(config)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(missing, r.stderr + r.stdout)
        self.assertFalse(os.path.exists(os.path.dirname(missing)))

        not_db = os.path.join(self.dir, "operations.db")
        junk = b"this is not a database, it is a shopping list\n" * 200
        with open(not_db, "wb") as f:
            f.write(junk)
        config = write_config(self.dir, "http://127.0.0.1:9", watch_yaml="  - a\n")
        r = self.run_binary(config)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(not_db, r.stderr + r.stdout)
        self.assertIn("not a database", r.stderr + r.stdout)
        with open(not_db, "rb") as f:
            self.assertEqual(f.read(), junk)  # refused, never altered


if __name__ == "__main__":
    unittest.main()
