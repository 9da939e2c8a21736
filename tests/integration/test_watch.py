"""Watch entries written as the Operation-Location values the service returns, end to end: the
real `adu-opwatch` against adu-emulator (docs/configuration.md, "Operation-Location entries")."""

import os
import subprocess
import unittest

from harness import ADU_OPWATCH, IntegrationTest, query, wait_for, write_config

OP_DEVICE = "8f1d2c3e-0000-4000-8000-0000000000e1"
OP_UPDATE = "8f1d2c3e-0000-4000-8000-0000000000e2"
OP_LEGACY = "8f1d2c3e-0000-4000-8000-0000000000e3"

SCENARIO = f"""\
instance_id: demo
retry_after: 1
operations:
  - id: {OP_DEVICE}
    timeline: [{{at: 0, status: NotStarted}}, {{at: 1, status: Running}}, {{at: 3, status: Succeeded}}]
  - id: {OP_UPDATE}
    kind: update
    update: {{provider: Contoso, name: Toaster, version: 2.1.0}}
    timeline: [{{at: 0, status: Running}}, {{at: 2, status: Succeeded}}]
  - id: {OP_LEGACY}
    kind: update
    update: {{provider: Contoso, name: Toaster, version: 2.2.0}}
    timeline: [{{at: 0, status: Running}}, {{at: 2, status: Failed}}]
    error: {{code: ImportFailed, message: "bad manifest"}}
"""


def check_config(path):
    return subprocess.run([ADU_OPWATCH, "check-config", "--config", path], capture_output=True,
                          text=True, timeout=20)


class OperationLocationEntriesTest(IntegrationTest):
    def test_absolute_and_relative_locations_are_polled_under_their_kind_and_id(self):
        emu = self.emulator(SCENARIO)
        watch_file = os.path.join(self.dir, "watch.yaml")
        with open(watch_file, "w") as f:
            # The older path form of the recorded service, in the watch file.
            f.write(f"- /deviceupdate/demo/v2/updates/operations/{OP_LEGACY}\n")
        config = write_config(self.dir, emu.url, extra=f"""\
            poll:
              interval: 500ms
            watch_file: {watch_file}
            """, watch_yaml=f"""\
              - {emu.url}/deviceUpdate/demo/management/operations/{OP_DEVICE}?api-version=2022-10-01
              - id: /deviceUpdate/demo/updates/operations/{OP_UPDATE}
            """)
        r = check_config(config)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("watching       3 operations (1 device, 2 update)", r.stdout)

        daemon = self.daemon(config)
        daemon.wait_log(f"operation {OP_DEVICE} (device): Running -> Succeeded")
        daemon.wait_log(f"operation {OP_UPDATE} (update): Running -> Succeeded")
        daemon.wait_log(f"operation {OP_LEGACY} (update): Running -> Failed")
        wait_for(lambda: query(self.dir, "SELECT COUNT(*) FROM operations WHERE state='terminal'")
                 == [(3,)], what="all three stored as terminal")

        # Stored under the kind and ID the location names, and nothing else.
        self.assertEqual(
            query(self.dir, "SELECT DISTINCT kind, operation_id FROM snapshots ORDER BY 2"),
            [("device", OP_DEVICE), ("update", OP_UPDATE), ("update", OP_LEGACY)])
        self.assertEqual(
            query(self.dir, "SELECT kind, operation_id, status FROM operations ORDER BY 2"),
            [("device", OP_DEVICE, "Succeeded"), ("update", OP_UPDATE, "Succeeded"),
             ("update", OP_LEGACY, "Failed")])
        statuses = [row[0] for row in query(
            self.dir, "SELECT status FROM snapshots WHERE operation_id=? ORDER BY id",
            (OP_DEVICE,))]
        self.assertEqual(statuses[-1], "Succeeded")
        self.assertIn("Running", statuses)
        # The emulator was asked for each one on its own collection's path.
        ops = emu.stats()["operations"]
        for op in (OP_DEVICE, OP_UPDATE, OP_LEGACY):
            self.assertGreater(ops[op]["requests"], 0, op)

    def test_a_location_of_another_instance_is_refused_with_its_line_and_column(self):
        # Nothing listens: the configuration is refused before anything is contacted.
        endpoint = "http://127.0.0.1:9"
        config = write_config(self.dir, endpoint, watch_yaml=f"""\
              - {OP_DEVICE}
              - {endpoint}/deviceUpdate/red/management/operations/{OP_UPDATE}?api-version=2022-10-01
            """)
        r = check_config(config)
        self.assertEqual(r.returncode, 78, r.stdout + r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        # write_config: `watch:` is line 7, its items start at column 1: the second one's value is
        # at line 9, column 3.
        self.assertIn(f"{config}:9:3: watch[1]: ", lines[0])
        self.assertIn('names the instance "red", not instance_id "demo"', lines[0])
        # `run` refuses it the same way.
        r = subprocess.run([ADU_OPWATCH, "run", "--once", "--config", config], capture_output=True,
                           text=True, timeout=20)
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertIn(f"{config}:9:3: watch[1]: ", r.stderr)

    def test_a_location_on_another_host_or_in_the_watch_file_is_refused_too(self):
        endpoint = "http://127.0.0.1:9"
        config = write_config(self.dir, endpoint, watch_yaml=f"""\
              - id: http://127.0.0.2:9/deviceUpdate/demo/updates/operations/{OP_UPDATE}
            """)
        r = check_config(config)
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertIn(f"{config}:8:7: watch[0].id: ", r.stderr)
        self.assertIn("is on http://127.0.0.2:9, not on the endpoint http://127.0.0.1:9", r.stderr)

        watch_file = os.path.join(self.dir, "watch.yaml")
        with open(watch_file, "w") as f:
            f.write(f"- {OP_LEGACY}\n- /deviceUpdate/red/updates/operations/{OP_UPDATE}\n")
        config = write_config(self.dir, endpoint, extra=f"watch_file: {watch_file}\n")
        r = check_config(config)
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertIn(f"{watch_file}:2:3: watch[1]: ", r.stderr)
        self.assertIn('names the instance "red"', r.stderr)


if __name__ == "__main__":
    unittest.main()
