"""Authentication from the outside: the real daemon against the emulator's token endpoints.

The emulator runs in `auth: mode: bearer`, so every data-plane request needs a token it minted
(client credentials or IMDS) or one of its fixed `tokens`. Assertions use the emulator's counters
(token_requests, token_failures, auth_failures), the database and the daemon's log.
"""

import os
import re
import signal
import sqlite3
import subprocess
import textwrap
import time
import unittest

from harness import ADU_OPWATCH, IntegrationTest, query, wait_for

SECRET = "Zq8~Ab3.cD4-eF5_gH6iJ7kL8mN9oP0qR1sT2uV3"
WRONG_SECRET = "Wr0ng~not.the-secret_at-all-Xy1Zz2Ww3Vv4"
STATIC_TOKEN = "static-token-4f0c1a9e6b2d7c3e8a5f"
# Tokens the emulator mints: "emu.<16 hex>.<serial>".
MINTED = re.compile(r"emu\.[0-9a-f]{16}\.\d+")

SCENARIO = f"""\
instance_id: demo
retry_after: 1
auth:
  mode: bearer
  tokens: ["{STATIC_TOKEN}"]
  clients: [{{tenant: tenant-a, client_id: app-a, client_secret: "{SECRET}"}}]
  managed_identity: {{enabled: true, client_id: ""}}
  token_lifetime: 3599
operations:
  - id: op-a
    timeline: [{{at: 0, status: Running}}]
  - id: op-b
    kind: update
    timeline: [{{at: 0, status: Running}}]
"""

POLL = """\
poll:
  interval: 300ms
  backoff_max: 1s
"""


def write_config(workdir, endpoint, auth, log_level="info", extra=POLL):
    """A config with the given `auth:` section (a dict of key -> value) watching op-a and op-b."""
    path = os.path.join(workdir, "config.yaml")
    body = f"endpoint: {endpoint}\ninstance_id: demo\nauth:\n"
    body += "".join(f"  {k}: {v}\n" for k, v in auth.items())
    body += f"database: {os.path.join(workdir, 'operations.db')}\nlog_level: {log_level}\n"
    body += textwrap.dedent(extra)
    body += "watch:\n  - op-a\n  - {id: op-b, kind: update}\n"
    with open(path, "w") as f:
        f.write(body)
    return path


def write_file(path, content, mode=0o600):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(content)
    os.chmod(tmp, mode)
    os.rename(tmp, path)


def count(workdir, sql):
    """A count from the daemon's database; 0 while it is not created yet."""
    if not os.path.exists(os.path.join(workdir, "operations.db")):
        return 0
    try:
        return query(workdir, sql)[0][0]
    except sqlite3.OperationalError:  # the schema is being created
        return 0


def snapshots(workdir):
    return count(workdir, "SELECT COUNT(*) FROM snapshots")


def auth_errors(workdir):
    return count(workdir, "SELECT COUNT(*) FROM poll_errors WHERE category='auth'")


def db_dump(workdir):
    db = sqlite3.connect(os.path.join(workdir, "operations.db"))
    try:
        return "\n".join(db.iterdump())
    finally:
        db.close()


class AuthTest(IntegrationTest):
    def secret_auth(self, emu, secret_file):
        auth = {"method": "client_secret", "tenant_id": "tenant-a", "client_id": "app-a",
                "authority_host": emu.url}
        if secret_file:
            auth["client_secret_file"] = secret_file
        return auth

    def assert_polled_with_tokens(self, emu, token_requests):
        stats = emu.stats()
        self.assertEqual(stats["token_requests"], token_requests, stats)
        self.assertEqual(stats["token_failures"], 0, stats)
        self.assertEqual(stats["auth_failures"], 0, stats)
        self.assertEqual(snapshots(self.dir), 2)
        self.assertEqual(query(self.dir, "SELECT COUNT(*) FROM poll_errors"), [(0,)])

    def test_client_secret_from_a_file(self):
        emu = self.emulator(SCENARIO)
        secret_file = os.path.join(self.dir, "client-secret")
        write_file(secret_file, SECRET + "\n", 0o640)
        config = write_config(self.dir, emu.url, self.secret_auth(emu, secret_file))
        daemon = self.daemon(config, args=["--once"])
        self.assertEqual(daemon.wait(timeout=30), 0, daemon.output())
        # One token for both operations: cached, not fetched per request.
        self.assert_polled_with_tokens(emu, 1)
        out = daemon.output()
        self.assertIn("acquired a token for tenant tenant-a (client app-a), valid for 3599 s", out)
        self.assertNotIn("readable by other users", out)

    def test_client_secret_from_credentials_directory(self):
        emu = self.emulator(SCENARIO)
        creds = os.path.join(self.dir, "creds")
        os.mkdir(creds)
        write_file(os.path.join(creds, "client-secret"), SECRET + "\n", 0o400)
        config = write_config(self.dir, emu.url, self.secret_auth(emu, None))
        daemon = self.daemon(config, args=["--once"], env={"CREDENTIALS_DIRECTORY": creds})
        self.assertEqual(daemon.wait(timeout=30), 0, daemon.output())
        self.assert_polled_with_tokens(emu, 1)

    def test_missing_secret_is_a_configuration_error(self):
        emu = self.emulator(SCENARIO)
        missing = os.path.join(self.dir, "no-such-secret")
        config = write_config(self.dir, emu.url, self.secret_auth(emu, missing))
        daemon = self.daemon(config)
        self.assertEqual(daemon.wait(timeout=15), 78)
        self.assertIn(f"cannot read {missing}: No such file or directory", daemon.output())
        # Without a file and without $CREDENTIALS_DIRECTORY: the same, saying how to fix it.
        config = write_config(self.dir, emu.url, self.secret_auth(emu, None))
        env = dict(os.environ)
        env.pop("CREDENTIALS_DIRECTORY", None)
        r = subprocess.run([ADU_OPWATCH, "run", "--config", config], capture_output=True,
                           text=True, timeout=15, env=env)
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertIn("LoadCredential=client-secret", r.stderr)
        self.assertEqual(emu.stats()["total_requests"], 0)

    def test_world_readable_secret_is_warned_about(self):
        emu = self.emulator(SCENARIO)
        secret_file = os.path.join(self.dir, "client-secret")
        write_file(secret_file, SECRET, 0o644)
        config = write_config(self.dir, emu.url, self.secret_auth(emu, secret_file))
        daemon = self.daemon(config, args=["--once"])
        self.assertEqual(daemon.wait(timeout=30), 0, daemon.output())
        self.assertIn(f"client secret file {secret_file} is readable by other users",
                      daemon.output())

    def test_managed_identity(self):
        emu = self.emulator(SCENARIO)
        config = write_config(self.dir, emu.url, {
            "method": "managed_identity",
            "identity_endpoint": emu.url + "/metadata/identity/oauth2/token"})
        daemon = self.daemon(config, args=["--once"])
        self.assertEqual(daemon.wait(timeout=30), 0, daemon.output())
        self.assert_polled_with_tokens(emu, 1)
        self.assertIn("acquired a token for the system-assigned managed identity, valid for 3599 s",
                      daemon.output())

    def test_user_assigned_managed_identity(self):
        emu = self.emulator(SCENARIO.replace('client_id: ""', "client_id: uami-1"))
        endpoint = emu.url + "/metadata/identity/oauth2/token"
        config = write_config(self.dir, emu.url, {
            "method": "managed_identity", "client_id": "uami-1", "identity_endpoint": endpoint})
        daemon = self.daemon(config, args=["--once"])
        self.assertEqual(daemon.wait(timeout=30), 0, daemon.output())
        self.assert_polled_with_tokens(emu, 1)
        self.assertIn("user-assigned managed identity (client uami-1), valid for 3599 s",
                      daemon.output())
        # Another identity than the VM has: IMDS's error, and no API request without a token.
        before = emu.stats()
        config = write_config(self.dir, emu.url, {
            "method": "managed_identity", "client_id": "uami-2", "identity_endpoint": endpoint})
        daemon = self.daemon(config)
        daemon.wait_log("HTTP 400 invalid_request: Identity not found")
        self.assertIn("cannot get a token for the user-assigned managed identity (client uami-2)",
                      daemon.output())
        after = emu.stats()
        self.assertGreater(after["token_failures"], before["token_failures"])
        self.assertEqual(after["total_requests"] - before["total_requests"],
                         after["token_requests"] - before["token_requests"])
        self.assertIsNone(daemon.proc.poll())

    def test_token_file_is_read_again_when_it_changes(self):
        emu = self.emulator(SCENARIO)
        token_file = os.path.join(self.dir, "token")
        write_file(token_file, "a-token-the-service-refuses\n")
        config = write_config(self.dir, emu.url, {"method": "token_file",
                                                  "token_file": token_file})
        daemon = self.daemon(config)
        # A refused token: one refresh (the file again) and one retry, then an `auth` poll error.
        wait_for(lambda: auth_errors(self.dir) >= 2, what="auth poll errors")
        self.assertEqual(snapshots(self.dir), 0)
        self.assertGreaterEqual(emu.stats()["auth_failures"], 4)
        self.assertIsNone(daemon.proc.poll())

        write_file(token_file, STATIC_TOKEN + "\n")
        wait_for(lambda: snapshots(self.dir) == 2, timeout=15, what="snapshots with the new token")
        failures = emu.stats()["auth_failures"]
        time.sleep(1.0)
        self.assertEqual(emu.stats()["auth_failures"], failures)  # the new token keeps working
        self.assertEqual(emu.stats()["token_requests"], 0)  # nothing minted: the file is the source
        daemon.signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(), 0)

    def test_wrong_secret_is_reported_and_fixing_the_file_recovers(self):
        emu = self.emulator(SCENARIO)
        secret_file = os.path.join(self.dir, "client-secret")
        write_file(secret_file, WRONG_SECRET + "\n")
        config = write_config(self.dir, emu.url, self.secret_auth(emu, secret_file))
        daemon = self.daemon(config)
        daemon.wait_log("AADSTS7000215")
        line = [l for l in daemon.output().splitlines() if "AADSTS7000215" in l][0]
        for part in ("error", "cannot get a token for tenant tenant-a (client app-a)", "HTTP 401",
                     "invalid_client", "next attempt in"):
            self.assertIn(part, line)
        # Polls wait for a token: no data-plane request went out without one.
        wait_for(lambda: emu.stats()["token_failures"] >= 2, what="a second token attempt")
        stats = emu.stats()
        self.assertEqual(stats["auth_failures"], 0, stats)
        self.assertEqual(stats["operations"], {}, stats)
        self.assertEqual(stats["total_requests"], stats["token_requests"], stats)
        # Back-off: far fewer token requests than polls (every 300 ms) would have made.
        time.sleep(2.0)
        self.assertLessEqual(emu.stats()["token_requests"], 5)
        self.assertIsNone(daemon.proc.poll())
        errors = query(self.dir, "SELECT DISTINCT category FROM poll_errors")
        self.assertEqual(errors, [("auth",)])
        self.assertIn("tenant-a", query(self.dir, "SELECT message FROM poll_errors LIMIT 1")[0][0])

        # Fixed on disk, no signal: the daemon picks it up on its own.
        write_file(secret_file, SECRET + "\n")
        wait_for(lambda: snapshots(self.dir) == 2, timeout=15, what="snapshots after the fix")
        self.assertIn("recovered after", daemon.output())
        dump = db_dump(self.dir)
        self.assertNotIn(WRONG_SECRET, dump)
        self.assertNotIn(WRONG_SECRET, daemon.output())
        daemon.signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(), 0)

    def test_no_secret_or_token_in_a_trace_level_run_or_the_database(self):
        emu = self.emulator(SCENARIO.replace("token_lifetime: 3599", "token_lifetime: 2"))
        secret_file = os.path.join(self.dir, "client-secret")
        write_file(secret_file, WRONG_SECRET + "\n")
        config = write_config(self.dir, emu.url, self.secret_auth(emu, secret_file),
                              log_level="trace")
        daemon = self.daemon(config, args=["--log-level", "trace"])
        # A failure first (the wrong secret goes out in a request), then the right one ...
        daemon.wait_log("AADSTS7000215")
        write_file(secret_file, SECRET + "\n")
        daemon.wait_log("acquired a token for tenant tenant-a")
        # ... and short-lived tokens (2 s), so several are minted, used and replaced.
        wait_for(lambda: emu.stats()["token_requests"] >= 4, timeout=20, what="token refreshes")
        wait_for(lambda: snapshots(self.dir) == 2, what="snapshots")
        daemon.signal(signal.SIGHUP)
        daemon.wait_log("configuration reloaded")
        daemon.signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(), 0)
        out = daemon.output()
        # It really was a trace-level run: the token requests and answers are described.
        self.assertIn(f"POST {emu.url}/tenant-a/oauth2/v2.0/token (form: ", out)
        self.assertIn("client_secret=<40 bytes, not logged>", out)
        self.assertIn("answered HTTP 200 (", out)
        self.assertIn("not modified", out)  # and debug lines too
        dump = db_dump(self.dir)
        for text, where in ((out, "log"), (dump, "database")):
            self.assertNotIn(SECRET, text, where)
            self.assertNotIn(WRONG_SECRET, text, where)
            self.assertIsNone(MINTED.search(text), where)
            self.assertNotIn("Bearer ", text, where)

        # The same for a token read from a file, on a fresh database.
        token_file = os.path.join(self.dir, "token")
        write_file(token_file, STATIC_TOKEN)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(os.path.join(self.dir, "operations.db" + suffix)):
                os.remove(os.path.join(self.dir, "operations.db" + suffix))
        config = write_config(self.dir, emu.url, {"method": "token_file", "token_file": token_file},
                              log_level="trace")
        daemon = self.daemon(config, args=["--once", "--log-level", "trace"])
        self.assertEqual(daemon.wait(timeout=30), 0)
        self.assertEqual(snapshots(self.dir), 2)
        self.assertNotIn(STATIC_TOKEN, daemon.output())
        self.assertNotIn(STATIC_TOKEN, db_dump(self.dir))


if __name__ == "__main__":
    unittest.main()
