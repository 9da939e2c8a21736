"""Notifications end to end: the real daemon, the emulator and a loopback webhook receiver.

- 503 three times then 200: delivered once, after growing waits;
- 400: abandoned at once and logged as an error, never retried;
- the crash test: the daemon SIGKILLed 20 times at random moments while operations change and
  the receiver is down part of the time; at the end every `transitions` row was delivered at
  least once to every matching target, nothing else was delivered, and every repeat of an event
  carries the same event id and body.
"""

import os
import random
import signal
import sqlite3
import time
import unittest

from harness import Daemon, IntegrationTest, query, wait_for, write_config
from notify_receiver import Receiver

KILLS = int(os.environ.get("ADU_NOTIFY_CRASH_KILLS", "20"))


def safe_query(workdir, sql):
    """query(), or [] while the daemon has not created the database yet."""
    try:
        return query(workdir, sql)
    except sqlite3.OperationalError:
        return []


def one_op_scenario(op="nt-1"):
    return f"""\
instance_id: demo
operations:
  - id: {op}
    timeline: [{{at: 0, status: Running}}, {{at: 2, status: Succeeded}}]
"""


def notify_yaml(url, targets):
    """`targets`: (name, on list, path) triples, all webhooks on `url`."""
    out = "notify:\n"
    for name, on, path in targets:
        out += (f"  - name: {name}\n    on: [{', '.join(on)}]\n"
                f"    webhook:\n      url: {url}{path}\n      timeout: 2s\n")
    return out


POLL = """\
poll:
  interval: 500ms
  requests_per_minute: 6000
  use_list: never
  backoff_max: 1s
"""


class NotifyTest(IntegrationTest):
    def receiver(self, **kwargs):
        r = Receiver(**kwargs)
        self._started.append(r)
        return r

    def outbox(self):
        return safe_query(self.dir, "SELECT event_id, target, state, attempts, last_error "
                                    "FROM notifications ORDER BY id")

    def test_503_three_times_then_200_is_delivered_once_after_backoff(self):
        emu = self.emulator(one_op_scenario())
        rx = self.receiver(script=[503, 503, 503])
        config = write_config(self.dir, emu.url, watch_yaml="  - nt-1\n",
                              extra=POLL + notify_yaml(rx.url, [("hook", ["Succeeded"], "/h")]))
        daemon = self.daemon(config)
        wait_for(lambda: [r for r in self.outbox() if r[2] == "delivered"], timeout=60,
                 what="the event delivered")
        reqs = rx.all()
        self.assertEqual([r["status"] for r in reqs], [503, 503, 503, 200])
        ids = {r["headers"]["X-Adu-Opwatch-Event"] for r in reqs}
        self.assertEqual(len(ids), 1, "every attempt carries the same event id")
        snapshot_id = query(self.dir, "SELECT snapshot_id FROM transitions "
                                      "WHERE to_status = 'Succeeded'")[0][0]
        self.assertEqual(ids, {f"demo:{snapshot_id}"})
        gaps = [b["at"] - a["at"] for a, b in zip(reqs, reqs[1:])]
        self.assertTrue(all(g >= 0.9 for g in gaps), f"waited between attempts: {gaps}")
        self.assertGreater(gaps[1] + gaps[2], gaps[0], f"the waits grow: {gaps}")
        (row,) = self.outbox()
        self.assertEqual(row[2:4], ("delivered", 4))
        time.sleep(1.5)
        self.assertEqual(len(rx.delivered()), 1, "delivered once, never again")
        self.assertIn("not delivered (attempt 1)", daemon.output())

    def test_400_is_abandoned_at_once_and_logged(self):
        emu = self.emulator(one_op_scenario())
        rx = self.receiver(default=400)
        config = write_config(self.dir, emu.url, watch_yaml="  - nt-1\n",
                              extra=POLL + notify_yaml(rx.url, [("hook", ["any"], "/secret-path")]))
        daemon = self.daemon(config)
        wait_for(lambda: len([r for r in self.outbox() if r[2] == "abandoned"]) == 2, timeout=30,
                 what="both events abandoned")
        time.sleep(1.5)
        self.assertEqual(len(rx.all()), 2, "one attempt per event, no retry")
        for _, _, state, attempts, error in self.outbox():
            self.assertEqual((state, attempts), ("abandoned", 1))
            self.assertIn("400", error)
        log = daemon.output()
        self.assertRegex(log, r"error notify hook: event demo:\d+ abandoned after 1 attempts: HTTP 400")
        self.assertNotIn("/secret-path", log, "a webhook URL's path never reaches the log")

    def test_reload_removes_adds_and_changes_targets(self):
        emu = self.emulator("""\
instance_id: demo
operations:
  - id: nt-1
    timeline: [{at: 0, status: Running}, {at: 12, status: Succeeded}]
""")
        rx = self.receiver(default=503, retry_after=3600)
        config = write_config(self.dir, emu.url, watch_yaml="  - nt-1\n",
                              extra=POLL + notify_yaml(rx.url, [("a", ["any"], "/a")]))
        daemon = self.daemon(config)
        wait_for(lambda: [r for r in self.outbox() if r[3] >= 1], timeout=30,
                 what="a's first attempt")
        rx.default = 200
        write_config(self.dir, emu.url, watch_yaml="  - nt-1\n",
                     extra=POLL + notify_yaml(rx.url, [("b", ["any"], "/b")]))
        daemon.signal(signal.SIGHUP)
        daemon.wait_log("configuration reloaded")
        wait_for(lambda: self.outbox() and self.outbox()[0][2] == "abandoned", timeout=10,
                 what="a's pending event abandoned")
        self.assertEqual(self.outbox()[0][1:3], ("a", "abandoned"))
        self.assertEqual(self.outbox()[0][4], "target removed")
        self.assertIn("notify a: target removed", daemon.output())
        # b is sent only what is stored after it: the Succeeded transition, not the Running one.
        self.assertNotIn("Succeeded", daemon.output(), "reloaded before the second transition")
        wait_for(lambda: [r for r in self.outbox() if r[1] == "b" and r[2] == "delivered"],
                 timeout=30, what="b's event delivered")
        rows = [r for r in self.outbox() if r[1] == "b"]
        succeeded = query(self.dir, "SELECT snapshot_id FROM transitions "
                                    "WHERE to_status = 'Succeeded'")[0][0]
        self.assertEqual([r[0] for r in rows], [f"demo:{succeeded}"])
        self.assertEqual([r["path"] for r in rx.delivered()], ["/b"])

    def test_exec_hook_gets_every_transition_through_the_daemon(self):
        emu = self.emulator(one_op_scenario())
        out = os.path.join(self.dir, "hook.out")
        hook = os.path.join(self.dir, "hook.sh")
        with open(hook, "w") as f:
            f.write(f"#!/bin/sh\necho \"$ADU_EVENT_ID $ADU_FROM_STATUS>$ADU_TO_STATUS $(cat)\" >> {out}\n")
        os.chmod(hook, 0o755)
        config = write_config(self.dir, emu.url, watch_yaml="  - nt-1\n", extra=POLL + f"""\
notify:
  - name: hook
    on: [any]
    exec: [{hook}]
    timeout: 5s
""")
        self.daemon(config)
        wait_for(lambda: len([r for r in self.outbox() if r[2] == "delivered"]) == 2, timeout=30,
                 what="both events delivered to the hook")
        with open(out) as f:
            lines = f.read().splitlines()
        ids = [sid for (sid,) in query(self.dir, "SELECT snapshot_id FROM transitions "
                                                 "ORDER BY snapshot_id")]
        self.assertEqual([line.split(" ")[0:2] for line in lines],
                         [[f"demo:{ids[0]}", ">Running"], [f"demo:{ids[1]}", "Running>Succeeded"]])
        self.assertIn('"event_id":"demo:', lines[0])  # the json body on stdin

    def test_notify_test_command(self):
        rx = self.receiver()
        config = write_config(self.dir, "http://127.0.0.1:9",
                              extra=notify_yaml(rx.url, [("hook", ["any"], "/h")]))
        import subprocess
        from harness import ADU_OPWATCH
        ok = subprocess.run([ADU_OPWATCH, "notify", "test", "hook", "--config", config],
                            capture_output=True, text=True, timeout=30)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertRegex(ok.stdout, r"notify hook: event demo:test-\d+ delivered in \d+ ms")
        (req,) = rx.all()
        self.assertEqual(req["json"]["operation_id"], "adu-opwatch-test")
        rx.default = 500
        bad = subprocess.run([ADU_OPWATCH, "notify", "test", "hook", "--config", config],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("would retry", bad.stdout)
        missing = subprocess.run([ADU_OPWATCH, "notify", "test", "nope", "--config", config],
                                 capture_output=True, text=True, timeout=30)
        self.assertEqual(missing.returncode, 78)
        usage = subprocess.run([ADU_OPWATCH, "notify", "test"], capture_output=True, text=True)
        self.assertEqual(usage.returncode, 64)


CRASH_OPS = [f"nc-{i}" for i in range(6)]


def crash_scenario():
    lines = ["instance_id: demo", "operations:"]
    for i, op in enumerate(CRASH_OPS):
        a = 2 + i % 3
        tl = [(0, "NotStarted"), (a, "Running"), (a + 8, "Downloading"), (a + 16, "Running"),
              (a + 24, "Succeeded" if i % 2 == 0 else "Failed")]
        lines += [f"  - id: {op}", "    churn: 1",
                  "    timeline: [" + ", ".join(f"{{at: {t}, status: {s}}}" for t, s in tl) + "]"]
    return "\n".join(lines) + "\n"


class NotifyCrashTest(IntegrationTest):
    def test_sigkills_lose_and_invent_no_event(self):
        rng = random.Random(int(os.environ.get("ADU_CRASH_SEED", str(int(time.time())))))
        emu = self.emulator(crash_scenario())
        rx = Receiver()
        self._started.append(rx)
        targets = [("all", ["any"], "/all"), ("ends", ["Succeeded", "Failed"], "/ends")]
        config = write_config(self.dir, emu.url, watch_yaml="".join(f"  - {op}\n" for op in CRASH_OPS),
                              extra=POLL + notify_yaml(rx.url, targets))
        started = time.monotonic()
        for life in range(KILLS):
            # Down for a stretch in the middle (kills 6-12) and now and then besides.
            if 6 <= life <= 12 or rng.random() < 0.2:
                rx.down()
            else:
                rx.up()
            daemon = Daemon(self.dir, config)
            time.sleep(rng.uniform(0.2, 1.8))
            daemon.signal(signal.SIGKILL)
            daemon.wait()
            daemon.log.close()
        rx.up()
        # The last life runs until every status has arrived and every event is out.
        final = Daemon(self.dir, config)
        self._started.append(final)
        wait_for(lambda: time.monotonic() - started > 32, timeout=60, interval=0.5,
                 what="the timelines' end")
        pending = "SELECT count(*) FROM notifications WHERE state = 'pending'"
        ends = "SELECT count(*) FROM transitions WHERE to_status IN ('Succeeded', 'Failed')"
        wait_for(lambda: safe_query(self.dir, ends) == [(len(CRASH_OPS),)]
                 and safe_query(self.dir, pending) == [(0,)], timeout=60, interval=0.5,
                 what="every event delivered")

        transitions = {f"demo:{sid}": to for sid, to in
                       query(self.dir, "SELECT snapshot_id, to_status FROM transitions")}
        self.assertGreaterEqual(len(transitions), 5 * len(CRASH_OPS) - 6)
        expected = {("/all", e) for e in transitions}
        expected |= {("/ends", e) for e, to in transitions.items() if to in ("Succeeded", "Failed")}
        got = {}
        for r in rx.delivered():
            event_id = r["headers"]["X-Adu-Opwatch-Event"]
            self.assertEqual(r["json"]["event_id"], event_id)
            got.setdefault((r["path"], event_id), set()).add(r["body"])
        self.assertEqual(set(got) - expected, set(), "delivered but not a transitions row")
        self.assertEqual(expected - set(got), set(), "a transitions row never delivered")
        for key, bodies in got.items():
            self.assertEqual(len(bodies), 1, f"repeats of {key} differ")
        self.assertEqual(query(self.dir, "SELECT count(*) FROM notifications WHERE state != "
                                         "'delivered'")[0][0], 0)
        self.assertLess(time.monotonic() - started, 180)


if __name__ == "__main__":
    unittest.main()
