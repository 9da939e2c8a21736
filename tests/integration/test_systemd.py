"""Plays systemd: a notify socket and a watchdog, asserting what the daemon tells the manager."""

import os
import signal
import socket
import time
import unittest

from harness import IntegrationTest, write_config


class NotifyListener:
    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.messages = []  # (monotonic time, text)

    def drain(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                data = self.sock.recv(4096)
                self.messages.append((time.monotonic(), data.decode()))
            except socket.timeout:
                pass

    def wait_for(self, prefix, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for t, m in self.messages:
                if m.startswith(prefix):
                    return m
            self.drain(0.2)
        raise AssertionError(f"no {prefix!r} among {self.messages}")

    def close(self):
        self.sock.close()
        if os.path.exists(self.path):
            os.unlink(self.path)


class SystemdNotifyTest(IntegrationTest):
    def test_ready_status_reloading_watchdog_stopping(self):
        emu = self.emulator("""\
            instance_id: demo
            retry_after: 1
            operations:
              - id: op-a
                timeline: [{at: 0, status: Running}]
            """)
        config = write_config(self.dir, emu.url, extra="poll:\n  interval: 500ms\n",
                              watch_yaml="  - op-a\n")
        listener = NotifyListener(os.path.join(self.dir, "notify.sock"))
        self.addCleanup(listener.close)
        stall = os.path.join(self.dir, "stall")
        daemon = self.daemon(config, env={"NOTIFY_SOCKET": listener.path,
                                          "WATCHDOG_USEC": "1000000",
                                          "ADU_OPWATCH_TEST_STALL_FILE": stall})
        listener.wait_for("READY=1")
        status = listener.wait_for("STATUS=watching 1 operation:")  # singular since issue 18
        self.assertRegex(status, r"errors in the last hour")
        listener.drain(2)
        pings = [t for t, m in listener.messages if m == "WATCHDOG=1"]
        self.assertGreaterEqual(len(pings), 3)

        daemon.signal(signal.SIGHUP)
        reloading = listener.wait_for("RELOADING=1")
        self.assertIn("MONOTONIC_USEC=", reloading)
        after_reload = [m for _, m in listener.messages]
        listener.drain(1)
        after = [m for _, m in listener.messages][after_reload.index(reloading):]
        self.assertIn("READY=1", after)

        # A stuck poll loop: the pings stop; once it moves again they resume.
        open(stall, "w").close()
        listener.drain(2.5)
        listener.messages.clear()
        listener.drain(2)
        self.assertNotIn("WATCHDOG=1", [m for _, m in listener.messages])
        os.unlink(stall)
        listener.messages.clear()
        listener.wait_for("WATCHDOG=1", timeout=5)

        daemon.signal(signal.SIGTERM)
        listener.wait_for("STOPPING=1")
        self.assertEqual(daemon.wait(), 0)


if __name__ == "__main__":
    unittest.main()
