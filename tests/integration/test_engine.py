"""The polling engine, end to end: the real `adu-opwatch run` against adu-emulator."""

import signal
import time
import unittest

from harness import IntegrationTest, query, wait_for, write_config

OP_OK = "8f1d2c3e-0000-4000-8000-00000000000a"
OP_FAIL = "8f1d2c3e-0000-4000-8000-00000000000b"
OP_UPD = "8f1d2c3e-0000-4000-8000-00000000000c"
OP_MISSING = "8f1d2c3e-0000-4000-8000-00000000000d"

LIFECYCLE = f"""\
instance_id: demo
retry_after: 1
operations:
  - id: {OP_OK}
    timeline: [{{at: 0, status: NotStarted}}, {{at: 2, status: Running}}, {{at: 4, status: Succeeded}}]
  - id: {OP_FAIL}
    timeline: [{{at: 0, status: NotStarted}}, {{at: 2, status: Running}}, {{at: 5, status: Failed}}]
    error:
      code: ImportFailed
      message: "3 of 12 devices could not be imported"
      innererror: {{code: DeviceNotFound, message: "toaster-07", innerError: {{code: Lookup}}}}
  - id: {OP_UPD}
    kind: update
    update: {{provider: Contoso, name: Toaster, version: 2.1.0}}
    timeline: [{{at: 0, status: Running}}, {{at: 3, status: Succeeded}}]
"""


def status_of(workdir, op, kind="device"):
    rows = query(workdir, "SELECT status, state FROM operations WHERE operation_id=? AND kind=?",
                 (op, kind))
    return rows[0] if rows else None


class EngineIntegrationTest(IntegrationTest):
    def test_lifecycle_failure_not_found_and_update_kind(self):
        emu = self.emulator(LIFECYCLE)
        config = write_config(self.dir, emu.url, extra="""\
            poll:
              interval: 500ms
            """, watch_yaml=f"""\
              - {OP_OK}
              - {OP_FAIL}
              - {OP_MISSING}
              - id: {OP_UPD}
                kind: update
            """)
        daemon = self.daemon(config)
        daemon.wait_log(f"operation {OP_OK} (device): Running -> Succeeded")
        daemon.wait_log(f"operation {OP_FAIL} (device): Running -> Failed")
        daemon.wait_log(f"operation {OP_UPD} (update): Running -> Succeeded")
        wait_for(lambda: status_of(self.dir, OP_UPD, "update") == ("Succeeded", "terminal"),
                 what="update operation stored as terminal")
        wait_for(lambda: status_of(self.dir, OP_FAIL) == ("Failed", "terminal"),
                 what="failed operation stored as terminal")
        wait_for(lambda: status_of(self.dir, OP_OK) == ("Succeeded", "terminal"),
                 what="succeeded operation stored as terminal")
        wait_for(lambda: status_of(self.dir, OP_MISSING) and status_of(self.dir, OP_MISSING)[1] ==
                 "not_found", what="missing operation stored as not_found")

        out = daemon.output()
        self.assertIn(f"operation {OP_OK} (device): first seen NotStarted", out)
        self.assertIn(f"operation {OP_OK} (device): NotStarted -> Running", out)
        self.assertEqual(out.count(f"operation {OP_OK} (device): NotStarted -> Running"), 1)
        self.assertIn(f"operation {OP_FAIL} (device): failed: ImportFailed: 3 of 12 devices could "
                      f"not be imported <- DeviceNotFound: toaster-07 <- Lookup", out)

        transitions = query(self.dir, "SELECT from_status, to_status FROM transitions WHERE "
                            "operation_id=? ORDER BY at", (OP_OK,))
        self.assertEqual(transitions, [(None, "NotStarted"), ("NotStarted", "Running"),
                                       ("Running", "Succeeded")])
        err = query(self.dir, "SELECT error_code, error_message FROM snapshots WHERE "
                    "operation_id=? AND status='Failed'", (OP_FAIL,))
        self.assertEqual(err, [("ImportFailed", "3 of 12 devices could not be imported")])
        body = query(self.dir, "SELECT body FROM snapshots WHERE operation_id=? AND "
                     "status='Succeeded'", (OP_UPD,))[0][0]
        self.assertIn("resourceLocation", body)
        nf = query(self.dir, "SELECT http_status, category FROM poll_errors WHERE operation_id=?",
                   (OP_MISSING,))
        self.assertTrue(nf)
        self.assertTrue(all(row == (404, "http") for row in nf))

        # Conditional polling: 304s happened, and terminal operations are polled no more.
        stats = emu.stats()
        ops = stats["operations"]
        self.assertGreater(ops[OP_OK]["not_modified"], 0)
        self.assertGreater(ops[OP_OK]["conditional_requests"], 0)
        before = ops[OP_OK]["requests"]
        time.sleep(2.5)
        self.assertEqual(emu.stats()["operations"][OP_OK]["requests"], before)
        daemon.signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(), 0)

    def test_every_fault_kind_still_reaches_the_final_status(self):
        op = "fault-op-1"
        emu = self.emulator(f"""\
            instance_id: demo
            retry_after: 1
            operations:
              - id: {op}
                timeline: [{{at: 0, status: NotStarted}}, {{at: 3, status: Running}}, {{at: 14, status: Succeeded}}]
                faults:
                  - {{request: 2, kind: status, status: 503, retry_after: 1}}
                  - {{request: 3, kind: truncated}}
                  - {{request: 4, kind: empty}}
                  # cpprest retries a GET once when a reused connection is reset, so the
                  # second reset (on a fresh connection) is the one the daemon sees.
                  - {{request: 5, kind: reset}}
                  - {{request: 6, kind: reset}}
                  - {{request: 7, kind: stall, seconds: 10}}
                  - {{request: 8, kind: trickle, bytes_per_second: 40}}
                  - {{request: 9, kind: oversized, bytes: 3000000}}
                  - {{request: 10, kind: status, status: 429, retry_after: 1}}
            """)
        config = write_config(self.dir, emu.url, extra="""\
            poll:
              interval: 500ms
              request_timeout: 1500ms
              backoff_max: 1s
            """, watch_yaml=f"  - {op}\n")
        daemon = self.daemon(config)
        daemon.wait_log(f"operation {op} (device): Running -> Succeeded", timeout=60)
        wait_for(lambda: status_of(self.dir, op) == ("Succeeded", "terminal"),
                 what="final status stored")
        errors = query(self.dir, "SELECT category, http_status, message FROM poll_errors")
        categories = {row[0] for row in errors}
        self.assertTrue({"http", "parse", "network", "timeout", "throttled"} <= categories,
                        categories)
        self.assertEqual(emu.stats()["operations"][op]["faults"], 9)
        self.assertEqual(status_of(self.dir, op), ("Succeeded", "terminal"))

    def test_a_thousand_operations_with_list_refresh_stay_within_the_limits(self):
        emu = self.emulator("""\
            instance_id: demo
            retry_after: 5
            page_size: 250
            limits: {get_per_minute: 510, list_per_minute: 50}
            generate: {count: 1000, prefix: bulk, changing_fraction: 0.1, duration: 30, seed: 7}
            """)
        watch = "".join(f"  - bulk-{i}\n" for i in range(1000))
        config = write_config(self.dir, emu.url, extra="""\
            poll:
              interval: 5s
              max_concurrency: 8
              use_list: auto
            """, watch_yaml=watch)
        daemon = self.daemon(config)
        daemon.wait_log("using list-based refresh")

        def served_final():
            timeline = emu.get("/_emulator/timeline")
            final = {}
            for change in timeline["changes"]:
                final[change["operation_id"]] = change["status"]
            return final

        # The emulator's changes end at 30 s; give the daemon until every final status is stored.
        time.sleep(30)

        def all_stored():
            final = served_final()
            rows = dict(query(self.dir, "SELECT operation_id, status FROM operations"))
            missing = {k: v for k, v in final.items() if rows.get(k) != v}
            return not missing

        wait_for(all_stored, timeout=60, interval=1, what="every final status stored")
        stats = emu.stats()
        self.assertEqual(stats["global"]["throttled"], 0)
        # Every status change the emulator made is a transition in the database.
        served = emu.get("/_emulator/timeline")["changes"]
        stored = {(r[0], r[1]) for r in query(self.dir, "SELECT operation_id, to_status FROM "
                                                         "transitions")}
        for change in served:
            if change["status"] in ("Succeeded", "Failed"):
                self.assertIn((change["operation_id"], change["status"]), stored)
        daemon.signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(), 0)


if __name__ == "__main__":
    unittest.main()
