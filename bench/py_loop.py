#!/usr/bin/env python3
"""B2 reference: what a user would script instead of the daemon. One http.client connection
(keep-alive), a conditional GET per operation per round, a changed body parsed with json and
stored in sqlite3 (a snapshot row, committed), nothing written for a 304.

usage: py_loop.py HOST PORT INSTANCE SEED COUNT ROUNDS WARMUP DATABASE
WARMUP (0 or 1) unconditional rounds first, not measured; the CPU time (user+sys) of the ROUNDS
rounds after them is printed as JSON.
"""

import http.client
import json
import resource
import sqlite3
import sys
import time


def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main():
    host, port, instance, seed, count, rounds, warmup, database = sys.argv[1:9]
    seed, count, rounds, warmup = int(seed, 0), int(count), int(rounds), int(warmup)
    db = sqlite3.connect(database)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE IF NOT EXISTS snapshots (id INTEGER PRIMARY KEY, operation_id TEXT, "
               "observed_at TEXT, status TEXT, etag TEXT, body TEXT)")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    etags = {}
    counts = {"requests": 0, "ok": 0, "not_modified": 0, "failed": 0}
    cpu0 = cpu()
    for r in range(rounds + warmup):
        if r == warmup:
            cpu0 = cpu()
            counts = dict.fromkeys(counts, 0)
        for i in range(count):
            op = f"{seed:08x}-0000-4000-8000-{i:012x}"
            headers = {"If-None-Match": etags[op]} if op in etags else {}
            conn.request("GET", f"/deviceUpdate/{instance}/management/operations/{op}"
                         "?api-version=2022-10-01", headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            counts["requests"] += 1
            if resp.status == 200:
                counts["ok"] += 1
                doc = json.loads(body)
                etag = resp.getheader("ETag") or doc.get("etag")
                etags[op] = etag
                db.execute("INSERT INTO snapshots (operation_id, observed_at, status, etag, body) "
                           "VALUES (?, ?, ?, ?, ?)",
                           (op, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), doc["status"],
                            etag, body.decode()))
                db.commit()
            elif resp.status == 304:
                counts["not_modified"] += 1
            else:
                counts["failed"] += 1
    counts["cpu_s"] = cpu() - cpu0
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
