"""Metrics from the outside: a real Prometheus scrapes the real daemon running against the emulator.

Prometheus (Debian's `prometheus` package, the binary run here on 127.0.0.1 with its own config,
storage directory and a free port; the package's own service plays no part) scrapes the daemon
every second while the emulator's operations go through their timelines, with throttling, faults
and a token endpoint on the way. Then Prometheus' HTTP API must agree with the two other
witnesses: the database (operations and transitions) and the emulator (requests by code).
`promtool check metrics` must find nothing to say about a scrape or about the textfile.
"""

import json
import os
import re
import signal
import socket
import subprocess
import textwrap
import time
import urllib.parse
import urllib.request
from collections import Counter

from harness import IntegrationTest, query, wait_for

PROMETHEUS = os.environ.get("ADU_PROMETHEUS", "prometheus")
PROMTOOL = os.environ.get("ADU_PROMTOOL", "promtool")
SECRET = "Zq8~Ab3.cD4-eF5_gH6iJ7kL8mN9oP0qR1sT2uV3"

# About 20 s of changes: every status of both kinds, a 503, a connection reset, a stall longer
# than the request timeout (a timeout), 429s from the rate limit, and list pages.
SCENARIO = f"""\
instance_id: demo
retry_after: 1
limits: {{get_per_minute: 20, list_per_minute: 50}}
auth:
  mode: bearer
  clients: [{{tenant: tenant-a, client_id: app-a, client_secret: "{SECRET}"}}]
  token_lifetime: 3599
operations:
  - id: dev-ok
    timeline: [{{at: 0, status: NotStarted}}, {{at: 4, status: Running}}, {{at: 12, status: Succeeded}}]
  - id: dev-failed
    timeline: [{{at: 0, status: Running}}, {{at: 9, status: Failed}}]
    faults:
      - {{request: 2, kind: status, status: 503, retry_after: 1}}
      - {{request: 4, kind: reset}}
  - id: dev-slow
    timeline: [{{at: 0, status: NotStarted}}, {{at: 15, status: Succeeded}}]
    faults:
      - {{request: 3, kind: stall, seconds: 3}}
  - id: upd-ok
    kind: update
    update: {{provider: Contoso, name: Toaster, version: 2.1.0}}
    timeline: [{{at: 0, status: Running}}, {{at: 7, status: Succeeded}}]
  - id: upd-failed
    kind: update
    timeline: [{{at: 0, status: NotStarted}}, {{at: 3, status: Running}}, {{at: 18, status: Failed}}]
    churn: 2
"""

WATCH = """\
  - dev-ok
  - dev-failed
  - dev-slow
  - {id: upd-ok, kind: update}
  - {id: upd-failed, kind: update}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def promtool_check_metrics(text):
    """promtool's exit code and what it said about `text` (nothing, when it is clean)."""
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True)
    return p.returncode, (p.stdout + p.stderr).strip()


def parse_exposition(text):
    """{(name, frozenset(labels.items())): value} of a text exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        assert m, line
        labels = dict(re.findall(r'([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out[(m.group(1), frozenset(labels.items()))] = float(m.group(4))
    return out


class Prometheus:
    """The real Prometheus server on loopback, scraping one target every second."""

    def __init__(self, workdir, target):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = os.path.join(workdir, "prometheus.yml")
        with open(config, "w") as f:
            f.write(textwrap.dedent(f"""\
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: adu-opwatch
                    static_configs:
                      - targets: ["{target}"]
                """))
        self.log = open(os.path.join(workdir, "prometheus.log"), "w")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}",
             f"--storage.tsdb.path={os.path.join(workdir, 'tsdb')}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(self._ready, timeout=60, interval=0.2, what="Prometheus ready")

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("prometheus exited: see prometheus.log")
        try:
            return http_get(self.url + "/-/ready", timeout=2)
        except OSError:
            return None

    def query(self, promql):
        """[(labels, value)] of an instant query."""
        body = json.loads(http_get(self.url + "/api/v1/query?" +
                                   urllib.parse.urlencode({"query": promql})))
        assert body["status"] == "success", body
        return [(r["metric"], float(r["value"][1])) for r in body["data"]["result"]]

    def target_health(self):
        body = json.loads(http_get(self.url + "/api/v1/targets"))
        targets = body["data"]["activeTargets"]
        return targets[0]["health"] if targets else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def emulator_requests_by_code(stats):
    """What the emulator answered, as the daemon's `call`/`code` labels: {(call, code): n}.

    A connection reset on a kept-alive connection is retried at once by the HTTP library itself
    (cpprest, like libcurl, resends on a reused connection that died): the daemon sees only the
    retry's answer, so the reset is not a request of its own. Checked: each reset is followed by
    another request for the same operation within a second.
    """
    counts = Counter()
    for op_id, op in stats["operations"].items():
        log = op["log"]
        for i, entry in enumerate(log):
            fault = entry.get("fault", "")
            if fault == "reset":
                nxt = log[i + 1] if i + 1 < len(log) else None
                assert nxt and nxt["scenario_time"] - entry["scenario_time"] < 1.0, (op_id, log)
                continue
            code = "timeout" if fault == "stall" else str(entry["status"])  # stall > timeout
            counts[("get", code)] += 1
    counts[("list", "200")] = stats["list_calls"]
    counts[("token", "200")] = stats["token_requests"]
    return {k: v for k, v in counts.items() if v}


class MetricsHarness(IntegrationTest):
    """Runs the daemon against the emulator with a `metrics:` section."""

    def start(self, metrics_yaml, poll_yaml=None):
        self.emu = self.emulator(SCENARIO)
        poll = poll_yaml or """\
            poll:
              interval: 500ms
              request_timeout: 1s
              backoff_max: 2s
              use_list: always
            """
        self.base = textwrap.dedent(f"""\
            auth:
              method: client_secret
              tenant_id: tenant-a
              client_id: app-a
              client_secret_file: {self.secret_file()}
              authority_host: {self.emu.url}
            """) + textwrap.dedent(poll)
        self.config = self.write_config(self.base + textwrap.dedent(metrics_yaml))
        return self.daemon(self.config)

    def position_of(self, text):
        """config.yaml:LINE:COL of `text` in the configuration (1-based), as errors name it."""
        with open(self.config) as f:
            for n, line in enumerate(f, 1):
                if text in line:
                    return f"{self.config}:{n}:{line.index(text) + 1}"
        raise AssertionError(f"{text!r} not in the configuration")

    def secret_file(self):
        path = os.path.join(self.dir, "client-secret")
        with open(path, "w") as f:
            f.write(SECRET)
        os.chmod(path, 0o600)
        return path

    def write_config(self, extra):
        path = os.path.join(self.dir, "config.yaml")
        body = (f"endpoint: {self.emu.url}\ninstance_id: demo\n"
                f"database: {os.path.join(self.dir, 'operations.db')}\nlog_level: info\n")
        body += extra + "watch:\n" + WATCH
        with open(path, "w") as f:
            f.write(body)
        return path

    def metrics_port(self, d):
        d.wait_log("metrics: serving http://127.0.0.1:")
        return int(re.search(r"metrics: serving http://127\.0\.0\.1:(\d+)/metrics",
                             d.output()).group(1))

    # ---- the database and the emulator, as Prometheus should report them ----------------------

    def db_operations(self):
        return {(k, s, st or ""): n for k, s, st, n in query(
            self.dir, "SELECT kind, state, status, COUNT(*) FROM operations "
                      "WHERE state != 'unwatched' GROUP BY kind, state, status")}

    def db_transitions(self):
        return {(k, st): n for k, st, n in query(
            self.dir, "SELECT kind, to_status, COUNT(*) FROM transitions GROUP BY kind, to_status")}

    def prom_operations(self, prom):
        return {(m["kind"], m["state"], m.get("status", "")): int(v)
                for m, v in prom.query("adu_opwatch_operations") if v > 0}

    def prom_transitions(self, prom):
        return {(m["kind"], m["to_status"]): int(v)
                for m, v in prom.query("adu_opwatch_transitions_total") if v > 0}

    def prom_requests(self, prom):
        return {(m["call"], m["code"]): int(v)
                for m, v in prom.query("adu_opwatch_requests_total")}

    def settled(self):
        """Every watched operation has reached its last status, in the database."""
        rows = dict(query(self.dir, "SELECT operation_id, status FROM operations"))
        return (rows.get("upd-failed") == "Failed" and rows.get("dev-slow") == "Succeeded"
                and rows.get("dev-ok") == "Succeeded" and rows.get("dev-failed") == "Failed")


class MetricsTest(MetricsHarness):
    def test_prometheus_sees_what_the_database_and_the_emulator_saw(self):
        textfile = os.path.join(self.dir, "node-exporter", "adu_opwatch.prom")
        os.mkdir(os.path.dirname(textfile))
        d = self.start(f"""\
            metrics:
              listen: 127.0.0.1:0
              textfile: {textfile}
            """)
        port = self.metrics_port(d)
        prom = Prometheus(self.dir, f"127.0.0.1:{port}")
        self._started.append(prom)
        wait_for(lambda: prom.target_health() == "up", timeout=30, interval=0.5,
                 what="Prometheus scraping the daemon")
        self.assertTrue(os.path.exists(textfile), "the textfile is written at start")

        # About 30 s: the scenario's changes (20 s), then quiet (every operation terminal).
        wait_for(lambda: os.path.exists(os.path.join(self.dir, "operations.db")) and self.settled(),
                 timeout=60, interval=0.5, what="every operation at its final status")
        time.sleep(8)

        expected_ops = self.db_operations()
        self.assertEqual(sum(expected_ops.values()), 5, expected_ops)
        wait_for(lambda: self.prom_operations(prom) == self.db_operations(), timeout=20,
                 interval=0.5, what=f"adu_opwatch_operations == database {self.db_operations()}: "
                                    f"Prometheus has {self.prom_operations(prom)}")
        wait_for(lambda: self.prom_transitions(prom) == self.db_transitions(), timeout=20,
                 interval=0.5, what=f"adu_opwatch_transitions_total == transitions "
                                    f"{self.db_transitions()}: Prometheus has "
                                    f"{self.prom_transitions(prom)}")
        self.assertEqual(self.db_transitions()[("device", "Failed")], 1)
        self.assertEqual(self.db_transitions()[("update", "Failed")], 1)

        # Every operation is terminal: nothing is polled any more, so the counts stand still.
        expected = emulator_requests_by_code(self.emu.stats())
        wait_for(lambda: self.prom_requests(prom) == expected, timeout=20, interval=0.5,
                 what=f"adu_opwatch_requests_total == emulator {expected}: Prometheus has "
                      f"{self.prom_requests(prom)}")
        self.assertEqual(emulator_requests_by_code(self.emu.stats()), expected)
        for code in ("200", "304", "429", "503", "timeout"):
            self.assertIn(("get", code), expected, f"the scenario produces {code}")
        self.assertEqual(expected[("token", "200")], 1)
        self.assertGreater(expected[("list", "200")], 0)

        # Prometheus' view of the rest.
        # The last success is no older than the newest snapshot (which one brought) and not in
        # the future.
        [(_, last)] = prom.query("adu_opwatch_last_successful_poll_timestamp_seconds")
        newest = query(self.dir, "SELECT (julianday(MAX(observed_at)) - 2440587.5) * 86400.0 "
                                 "FROM snapshots")[0][0]
        self.assertGreaterEqual(last, newest - 0.002)
        self.assertLessEqual(last, time.time())
        [(_, delays)] = prom.query("adu_opwatch_detection_delay_seconds_count")
        snapshots = query(self.dir, "SELECT COUNT(*) FROM snapshots")[0][0]
        self.assertEqual(delays, snapshots)
        [(m, v)] = prom.query('adu_opwatch_build_info')
        self.assertEqual(v, 1)
        self.assertRegex(m["version"], r"^\d+\.\d+\.\d+")
        limits = {m["call"]: v for m, v in prom.query("adu_opwatch_budget_requests_per_minute")}
        self.assertEqual(limits, {"get": 510, "list": 50})
        [(_, queue)] = prom.query("adu_opwatch_store_queue_length")
        self.assertEqual(queue, 0)
        [(_, unavailable)] = prom.query("adu_opwatch_store_unavailable")
        self.assertEqual(unavailable, 0)
        throttled = {m["category"]: v for m, v in prom.query("adu_opwatch_poll_errors_total")}
        db_errors = dict(query(self.dir, "SELECT category, COUNT(*) FROM poll_errors "
                                         "GROUP BY category"))
        self.assertEqual({k: v for k, v in throttled.items() if v}, db_errors)

        # promtool on a scrape, and on the textfile once the daemon has stopped.
        rc, said = promtool_check_metrics(http_get(f"http://127.0.0.1:{port}/metrics"))
        self.assertEqual((rc, said), (0, ""))
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait(timeout=10), 0)
        with open(textfile) as f:
            text = f.read()
        rc, said = promtool_check_metrics(text)
        self.assertEqual((rc, said), (0, ""))
        series = parse_exposition(text)
        for (kind, state, status), n in self.db_operations().items():
            key = ("adu_opwatch_operations",
                   frozenset({"kind": kind, "state": state, "status": status}.items()))
            self.assertEqual(series.get(key), n, key)
        for (kind, to_status), n in self.db_transitions().items():
            key = ("adu_opwatch_transitions_total",
                   frozenset({"kind": kind, "to_status": to_status}.items()))
            self.assertEqual(series.get(key), n, key)
        self.assertEqual(oct(os.stat(textfile).st_mode & 0o777), "0o644")
        self.assertFalse(os.path.exists(textfile + ".tmp"))


def held_port():
    """A listening socket on a free loopback port (the caller closes it)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s, s.getsockname()[1]


class MetricsConfigurationTest(MetricsHarness):
    """What the daemon says, and does, when a metrics setting cannot be applied."""

    def test_a_port_in_use_stops_the_start_with_exit_78_naming_the_key(self):
        sock, port = held_port()
        self.addCleanup(sock.close)
        d = self.start(f"metrics:\n  listen: 127.0.0.1:{port}\n")
        self.assertEqual(d.wait(timeout=20), 78)
        self.assertIn(f"{self.position_of(f'127.0.0.1:{port}')}: metrics.listen: cannot listen on "
                      f"127.0.0.1:{port}: port {port} is in use by another program", d.output())

    def test_a_missing_textfile_directory_stops_the_start_with_exit_78(self):
        missing = os.path.join(self.dir, "no-such-dir", "adu_opwatch.prom")
        d = self.start(f"metrics:\n  textfile: {missing}\n")
        self.assertEqual(d.wait(timeout=20), 78)
        self.assertIn(f"{self.position_of(missing)}: metrics.textfile: directory "
                      f"{os.path.dirname(missing)} does not exist", d.output())

    def test_listen_that_is_not_host_port_is_refused_by_the_loader(self):
        d = self.start("metrics:\n  listen: 9469\n")
        self.assertEqual(d.wait(timeout=20), 78)
        self.assertIn(f"{self.position_of('9469')}: metrics.listen: \"9469\": expected HOST:PORT",
                      d.output())

    def test_reload_keeps_the_running_setting_when_the_new_one_fails(self):
        textfile = os.path.join(self.dir, "adu_opwatch.prom")
        d = self.start(f"metrics:\n  listen: 127.0.0.1:0\n  textfile: {textfile}\n")
        first = self.metrics_port(d)
        self.assertIn("adu_opwatch_build_info", http_get(f"http://127.0.0.1:{first}/metrics"))

        # A port in use and a directory that does not exist: both logged, both kept.
        sock, busy = held_port()
        self.addCleanup(sock.close)
        missing = os.path.join(self.dir, "gone", "x.prom")
        self.write_config(self.base + f"metrics:\n  listen: 127.0.0.1:{busy}\n"
                                      f"  textfile: {missing}\n")
        d.signal(signal.SIGHUP)
        d.wait_log("configuration reloaded")
        out = d.output()
        self.assertIn(f"reload: {self.position_of(f'127.0.0.1:{busy}')}: metrics.listen: cannot "
                      f"listen on 127.0.0.1:{busy}: port {busy} is in use by another program; "
                      f"still serving the previous setting", out)
        self.assertIn(f"reload: {self.position_of(missing)}: metrics.textfile: directory "
                      f"{os.path.dirname(missing)} does not exist; still writing the previous "
                      f"setting", out)
        self.assertIn("adu_opwatch_build_info", http_get(f"http://127.0.0.1:{first}/metrics"))
        self.assertTrue(os.path.exists(textfile))

        # A free port: the endpoint moves; the old port is closed.
        new = free_port()
        self.write_config(self.base + f"metrics:\n  listen: 127.0.0.1:{new}\n")
        d.signal(signal.SIGHUP)
        d.wait_log("configuration reloaded", count=2)
        d.wait_log(f"metrics: serving http://127.0.0.1:{new}/metrics")
        self.assertIn("adu_opwatch_build_info", http_get(f"http://127.0.0.1:{new}/metrics"))
        with self.assertRaises(OSError):
            http_get(f"http://127.0.0.1:{first}/metrics", timeout=2)
        # metrics.textfile removed: no longer written, and the stale file is gone.
        self.assertFalse(os.path.exists(textfile))
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait(timeout=10), 0)
