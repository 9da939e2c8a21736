"""Crash consistency: the real daemon, SIGKILLed at random moments under heavy churn.

Every operation's body changes every second (`churn: 1`) and statuses move along a timeline
while the daemon is killed with SIGKILL at least 30 times and restarted each time. After every
kill: the database passes `PRAGMA integrity_check`, holds no duplicate snapshot, and the next
life's first poll of each operation is conditional with exactly the ETag the database held (the
emulator logs every If-None-Match it receives). At the end every status change the emulator
served is a row of the `transitions` view, in order.
"""

import json
import os
import random
import signal
import sqlite3
import time
import unittest
import urllib.request

from harness import Daemon, IntegrationTest, wait_for, write_config

KILLS = int(os.environ.get("ADU_CRASH_KILLS", "32"))
OPS = [f"crash-{i}" for i in range(12)]
# Statuses last at least 10 s, several daemon lives each: a status can only be missed if every
# life that saw it was killed before committing it, which the schedule below rules out.
TERMINAL_AT = 30


def timeline(i):
    if i < 6:  # a full lifecycle ending in Succeeded or Failed
        start_running = 4 + (i % 3)
        return [(0, "NotStarted"), (start_running, "Running"),
                (start_running + 12, "Downloading"),
                (TERMINAL_AT + 2 * (i % 3), "Succeeded" if i % 2 == 0 else "Failed")]
    # in flight to the end, with a custom (non-enum) status in between: polled after every kill
    return [(0, "Running"), (10 + i % 3, "Installing"), (22 + i % 3, "Running"),
            (40 + i % 3, "Verifying")]


def scenario():
    lines = ["instance_id: demo", "operations:"]
    for i, op in enumerate(OPS):
        tl = ", ".join(f"{{at: {at}, status: {st}}}" for at, st in timeline(i))
        lines += [f"  - id: {op}", "    churn: 1", f"    timeline: [{tl}]"]
    return "\n".join(lines) + "\n"


def db_state(path):
    """Checks the database the killed daemon left; returns {(kind, id): (etag, state)}."""
    db = sqlite3.connect(path, timeout=10)
    try:
        integrity = db.execute("PRAGMA integrity_check").fetchall()
        if db.execute("PRAGMA user_version").fetchone()[0] == 0:
            # Killed after SQLite created the file but before the schema's first transaction
            # committed: an empty file, which the next start initialises. Anything else without a
            # schema version would be a torn migration.
            tables = db.execute("SELECT name FROM sqlite_master").fetchall()
            assert tables == [], f"tables without a schema version: {tables}"
            return integrity, [], [], {}
        dup_etag = db.execute(
            "SELECT kind, operation_id, etag, COUNT(*) FROM snapshots "
            "GROUP BY kind, operation_id, etag HAVING COUNT(*) > 1").fetchall()
        dup_body = db.execute(
            "SELECT kind, operation_id, id FROM (SELECT kind, operation_id, id, body, "
            "LAG(body) OVER (PARTITION BY kind, operation_id ORDER BY id) AS prev FROM snapshots) "
            "WHERE body = prev").fetchall()
        ops = {(k, i): (e, s) for k, i, e, s in
               db.execute("SELECT kind, operation_id, etag, state FROM operations")}
        return integrity, dup_etag, dup_body, ops
    finally:
        db.close()


class CrashConsistencyTest(IntegrationTest):
    def post(self, emu, path):
        req = urllib.request.Request(emu.url + path, data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.read()

    def test_sigkill_at_random_moments_loses_and_duplicates_nothing(self):
        rng = random.Random(int(os.environ.get("ADU_CRASH_SEED", str(int(time.time())))))
        emu = self.emulator(scenario())
        config = write_config(self.dir, emu.url, extra="""\
            poll:
              interval: 500ms
              requests_per_minute: 6000
              use_list: never
              backoff_max: 1s
            """, watch_yaml="".join(f"  - {op}\n" for op in OPS))
        db_path = os.path.join(self.dir, "operations.db")
        stored = {}  # (kind, id) -> (etag, state) as read after the previous kill
        checked_first_polls = 0
        lives_with_checks = 0

        for life in range(KILLS):
            self.post(emu, "/_emulator/reset-stats")
            daemon = Daemon(self.dir, config)
            started = time.monotonic()
            if life % 2 == 0:
                # A random moment anywhere in the life: during start-up, migration, the first
                # polls, a write.
                time.sleep(rng.uniform(0.05, 1.8))
            else:
                # A life long enough to commit its first answers, then a random moment.
                wait_for(lambda: all(emu.stats()["operations"].get(op, {}).get("requests", 0)
                                     for op in OPS if stored.get(("device", op), (0, ""))[1]
                                     != "terminal"),
                         timeout=20, what="first polls of this life")
                time.sleep(0.3 + rng.uniform(0.0, 1.2))
            daemon.proc.send_signal(signal.SIGKILL)
            daemon.proc.wait()
            daemon.log.close()
            self.assertEqual(daemon.proc.returncode, -signal.SIGKILL)
            time.sleep(0.05)  # let the emulator log whatever reached it before the kill

            # The first request of this life for each operation carried the ETag stored before.
            ops_stats = emu.stats()["operations"]
            checked_this_life = 0
            for op in OPS:
                log = ops_stats.get(op, {}).get("log", [])
                etag, state = stored.get(("device", op), (None, None))
                if state == "terminal":
                    self.assertEqual(log, [], f"terminal {op} polled again in life {life}")
                    continue
                if not log:
                    continue
                self.assertEqual(log[0]["if_none_match"], etag,
                                 f"life {life}, {op}: first poll after restart "
                                 f"(after {time.monotonic() - started:.2f}s)")
                checked_this_life += 1
            checked_first_polls += checked_this_life
            lives_with_checks += checked_this_life > 0

            if not os.path.exists(db_path):
                continue  # killed before the database was created
            integrity, dup_etag, dup_body, stored = db_state(db_path)
            self.assertEqual(integrity, [("ok",)], f"after kill {life}")
            self.assertEqual(dup_etag, [], f"same etag stored twice after kill {life}")
            self.assertEqual(dup_body, [], f"same body stored twice in a row after kill {life}")

        # Not a vacuous check: most lives polled, and their first polls were compared.
        self.assertGreaterEqual(lives_with_checks, KILLS // 2)
        self.assertGreaterEqual(checked_first_polls, KILLS * 3)

        # A last life, left alone until the emulator's timeline is over and everything stored.
        self.post(emu, "/_emulator/reset-stats")
        with open(os.path.join(self.dir, "daemon.log")) as f:
            starts = f.read().count("starting:")
        daemon = self.daemon(config)
        # Up and polling (a SIGTERM before the daemon has blocked it would simply kill it).
        daemon.wait_log("starting:", count=starts + 1)
        wait_for(lambda: any(s["requests"] for s in emu.stats()["operations"].values()),
                 what="the last life polling")
        last_change = max(at for i in range(len(OPS)) for at, _ in timeline(i))

        def scenario_time():
            return emu.get("/_emulator/timeline")["scenario_time"]

        wait_for(lambda: scenario_time() > last_change + 3, timeout=120, interval=0.5,
                 what="the end of the scenario")

        def served():
            per_op = {}
            for change in emu.get("/_emulator/timeline")["changes"]:
                if change["first_served_at"] is not None:
                    per_op.setdefault(change["operation_id"], []).append(change["status"])
            return per_op

        def stored_transitions():
            db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
            try:
                per_op = {}
                for op, to in db.execute("SELECT operation_id, to_status FROM transitions "
                                         "ORDER BY operation_id, at, rowid"):
                    per_op.setdefault(op, []).append(to)
                return per_op
            finally:
                db.close()

        wait_for(lambda: served() == stored_transitions(), timeout=20, interval=0.5,
                 what="every served status change stored\nserved: "
                 f"{json.dumps(served())}\nstored: {json.dumps(stored_transitions())}")
        want = served()
        self.assertEqual(set(want), set(OPS))
        self.assertGreaterEqual(sum(len(v) for v in want.values()), 40)
        daemon.signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(), 0)
        integrity, dup_etag, dup_body, _ = db_state(db_path)
        self.assertEqual((integrity, dup_etag, dup_body), ([("ok",)], [], []))


if __name__ == "__main__":
    unittest.main()
