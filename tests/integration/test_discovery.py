"""Discovery against the emulator, under the service's limits (510 GETs and 50 list calls a minute).

The real adu-opwatch binary watches operations nobody typed: they appear in the emulator's lists
and the daemon takes them in from the pages (docs/how-it-works.md, "Discovery").
"""

import datetime
import os
import random
import signal
import sqlite3
import time
import unittest

from harness import IntegrationTest, query, wait_for, write_config

LIMITS = "limits: {get_per_minute: 510, list_per_minute: 50}\n"


def parse_time(text):
    """The service's timestamps and the database's (both ISO 8601 with a zone)."""
    text = text.replace("Z", "+00:00")
    if "." in text:
        head, rest = text.split(".", 1)
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits):]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    return datetime.datetime.fromisoformat(text)


def stored(workdir, sql):
    """query()'s first value, 0 before the daemon created the database and its schema."""
    if not os.path.exists(os.path.join(workdir, "operations.db")):
        return 0
    try:
        return query(workdir, sql)[0][0]
    except sqlite3.OperationalError:  # the file exists, its tables not yet
        return 0


class DiscoveryAppearTest(IntegrationTest):
    """30 operations of both kinds appear over two minutes (about 3 minutes of real time)."""

    COUNT = 30
    INTERVAL = 10

    def scenario(self):
        rng = random.Random(15)
        lines = ["instance_id: demo", "page_size: 50", LIMITS.strip(), "operations:"]
        for i in range(self.COUNT):
            kind = "device" if i % 2 == 0 else "update"
            running = rng.uniform(2, 10)
            done = running + rng.uniform(15, 35)
            final = "Succeeded" if rng.random() < 0.8 else "Failed"
            lines.append(
                f"  - {{id: op-{i}, kind: {kind}, appear_at: {i * 4}, timeline: ["
                f"{{at: 0, status: NotStarted}}, {{at: {running:.1f}, status: Running}}, "
                f"{{at: {done:.1f}, status: {final}}}]}}")
        return "\n".join(lines) + "\n"

    def test_each_operation_is_stored_within_two_intervals_and_every_final_status_too(self):
        emu = self.emulator(self.scenario())
        config = write_config(self.dir, emu.url, extra=f"""\
            discover:
              kinds: [device, update]
              interval: {self.INTERVAL}s
              resync: 1h
              max_age: 1d
            """)
        self.daemon(config)
        timeline = wait_for(
            lambda: self._all_final(emu), timeout=240, interval=1,
            what="every operation's final status in the database")
        first = {row[0]: row[1] for row in query(
            self.dir, "SELECT operation_id, min(observed_at) FROM snapshots GROUP BY operation_id")}
        created = {}
        for change in timeline:
            created.setdefault(change["operation_id"], parse_time(change["effective_at"]))
        self.assertEqual(len(first), self.COUNT)
        late = {}
        for op, at in first.items():
            delay = (parse_time(at) - created[op]).total_seconds()
            if delay > 2 * self.INTERVAL:
                late[op] = round(delay, 1)
        self.assertEqual(late, {}, "first snapshot later than 2 x discover.interval")
        origins = query(self.dir, "SELECT DISTINCT origin FROM operations")
        self.assertEqual(origins, [("discovered",)])
        stats = emu.stats()
        self.assertEqual(stats["throttled"], 0)
        # Listed in flight they need no GET: one each, for the final snapshot.
        gets = {op: s["requests"] for op, s in stats["operations"].items() if s["requests"] > 1}
        self.assertEqual(gets, {}, "more than one GET")

    def _all_final(self, emu):
        """The emulator's timeline once the database holds every operation's final status."""
        if stored(self.dir, "SELECT count(*) FROM operations") == 0:
            return None
        timeline = emu.get("/_emulator/timeline")["changes"]
        finals = {}
        for change in timeline:
            if change["status"] in ("Succeeded", "Failed"):
                finals[change["operation_id"]] = change["status"]
        if len(finals) < self.COUNT:
            return None
        in_db = dict(query(self.dir,
                           "SELECT operation_id, status FROM operations WHERE status IN "
                           "('Succeeded', 'Failed')"))
        return timeline if in_db == finals else None


class DiscoveryBulkTest(IntegrationTest):
    """A first start against 2,000 completed operations (pages of 100), then a restart.

    50 more, 8 days old, are listed too (one more page) but older than max_age: never taken in.
    """

    SCENARIO = f"""\
        instance_id: demo
        page_size: 100
        {LIMITS.strip()}
        generate:
          - {{count: 1000, kind: device, prefix: dev, status: Succeeded, appear_at: -432000, appear_every: 60}}
          - {{count: 1000, kind: update, prefix: upd, status: Failed, appear_at: -432000, appear_every: 60}}
          - {{count: 50, kind: device, prefix: old, status: Succeeded, appear_at: -700000}}
        """

    def test_two_thousand_completed_operations_come_from_the_pages_and_once_only(self):
        emu = self.emulator(self.SCENARIO)
        config = write_config(self.dir, emu.url, extra="""\
            discover:
              kinds: [device, update]
              interval: 1m
              resync: 1h
              max_age: 7d
            """)
        count = "SELECT count(*) FROM snapshots"
        daemon = self.daemon(config)
        wait_for(lambda: stored(self.dir, count) >= 2000, timeout=120, interval=0.5,
                 what="2,000 snapshots")
        wait_for(lambda: emu.stats()["list_calls"] >= 21, timeout=30, what="the last page, too")
        time.sleep(1)
        stats = emu.stats()
        self.assertEqual(query(self.dir, count)[0][0], 2000)
        self.assertEqual(query(self.dir, "SELECT count(*) FROM operations WHERE operation_id "
                                         "LIKE 'old-%'"), [(0,)], "older than max_age")
        self.assertLessEqual(stats["list_calls"], 22)
        self.assertEqual(stats["operations"], {}, "no GET of any operation")
        self.assertEqual(stats["throttled"], 0)
        self.assertEqual(
            query(self.dir, "SELECT origin, state, count(*) FROM operations GROUP BY 1, 2"),
            [("discovered", "terminal", 2000)])
        daemon.stop()
        with open(daemon.log_path) as f:
            log_before = len(f.read())
        first_calls = stats["list_calls"]
        again = self.daemon(config)
        # The restart's unfiltered pass reads every page again...
        wait_for(lambda: emu.stats()["list_calls"] >= first_calls + 21, timeout=90, interval=0.5,
                 what="the restart's unfiltered pass")
        time.sleep(2)  # ... and whatever it yielded reached the database
        self.assertEqual(query(self.dir, count)[0][0], 2000, "a restart stores nothing again")
        self.assertEqual(emu.stats()["operations"], {})
        self.assertNotIn("taken in", again.output()[log_before:], "resumed, not discovered again")


class DiscoveryReloadTest(IntegrationTest):
    """SIGHUP turns discovery off and on again without a restart."""

    SCENARIO = f"""\
        instance_id: demo
        {LIMITS.strip()}
        operations:
          - {{id: found, timeline: [{{at: 0, status: Running}}]}}
          - {{id: named, timeline: [{{at: 0, status: Running}}]}}
        """

    def write(self, url, discover):
        return write_config(self.dir, url, watch_yaml="  - named\n", extra=discover)

    def test_off_unwatches_what_only_discovery_found_and_on_finds_it_again(self):
        emu = self.emulator(self.SCENARIO)
        on = """\
            discover:
              kinds: [device]
              interval: 10s
            """
        config = self.write(emu.url, on)
        daemon = self.daemon(config)
        rows = "SELECT operation_id, origin, state FROM operations ORDER BY operation_id"
        wait_for(lambda: stored(self.dir, "SELECT count(*) FROM snapshots") >= 2, timeout=30,
                 what="both operations stored")
        self.assertEqual(query(self.dir, rows),
                         [("found", "discovered", "active"), ("named", "config", "active")])
        self.write(emu.url, "")
        daemon.signal(signal.SIGHUP)
        wait_for(lambda: query(self.dir, rows)[0][2] == "unwatched", timeout=20,
                 what="the discovered operation unwatched")
        self.assertEqual(query(self.dir, rows),
                         [("found", "discovered", "unwatched"), ("named", "config", "active")])
        self.write(emu.url, on)
        daemon.signal(signal.SIGHUP)
        wait_for(lambda: query(self.dir, rows)[0][2] == "active", timeout=20,
                 what="the operation discovered again")
        self.assertEqual(query(self.dir, "SELECT count(*) FROM snapshots WHERE operation_id = "
                                         "'found'"), [(1,)], "its history kept, nothing twice")
        self.assertEqual(daemon.proc.poll(), None, "no restart")


if __name__ == "__main__":
    unittest.main()
