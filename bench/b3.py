#!/usr/bin/env python3
"""B3, the query interface at scale: every example query of docs/database.md, the README's
queries on `transitions`, `adu-opwatch status`, `status --json` and `history`, timed on databases
of each size written by adu-b3-generate through the product's own write path; plus the size per
snapshot and the time to migrate the same database from schema version 2 (through every later
version: 3's batched backfill, 6's summary tables).

The version 2 file is the generated one with the additions of versions 3 to 6 removed (the view
put back as version 2 had it, user_version 2); it is migrated by SqliteStore::Open
(adu-b3-generate --migrate), and its transitions must then equal the generated file's, row for
row.

Writes the JSON results and the B3 section of docs/performance.md (between the B3 markers).
"""

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time

import benchlib as bl

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPEAT = 7  # runs per query after one warm-up; the median is reported
ROW_LIMIT = 1000  # queries returning at most this many rows must answer in under 20 ms
TARGET_MS = 20.0
STATUS_TARGET_MS = 200.0

# Version 2's view, verbatim (storage/src/schema.cpp, kSchemaV1).
V2_VIEW = """CREATE VIEW transitions AS
SELECT operation_id, kind, from_status, to_status, at, snapshot_id
FROM (
  SELECT operation_id, kind,
         LAG(status) OVER w AS from_status,
         status AS to_status,
         observed_at AS at,
         id AS snapshot_id,
         ROW_NUMBER() OVER w AS n
  FROM snapshots
  WINDOW w AS (PARTITION BY kind, operation_id ORDER BY id)
)
WHERE n = 1 OR from_status IS NOT to_status"""


def doc_queries():
    """(name, sql) of every ```sql block of docs/database.md, as DocsQueriesTest reads them."""
    out, sql, name, in_sql = [], "", None, False
    with open(os.path.join(ROOT, "docs", "database.md")) as f:
        for line in f.read().split("\n"):
            if not in_sql and line == "```sql":
                in_sql, sql, name = True, "", None
            elif in_sql and line == "```":
                in_sql = False
                out.append((name, sql))
            elif in_sql:
                if name is None and not sql and line.startswith("-- query: "):
                    name = line[len("-- query: "):]
                else:
                    sql += line + "\n"
    return out


def readme_queries():
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    found = re.findall(r"""["'](SELECT [^"']*FROM transitions[^"']*)["']""", text)
    return [(f"README: {q}", q) for q in dict.fromkeys(found)]


def time_query(db, sql):
    """Median wall and CPU milliseconds (this process: SQLite runs in it) and the row count."""
    cur = db.cursor()
    rows = cur.execute(sql).fetchall()  # warm-up
    wall, cpu = [], []
    # At least REPEAT runs and 0.2 s: a query of tens of microseconds runs hundreds of times, so
    # its median is not one scheduler hiccup of the shared machine.
    started = time.perf_counter()
    while len(wall) < REPEAT or (time.perf_counter() - started < 0.2 and len(wall) < 500):
        t0, c0 = time.perf_counter(), time.process_time()
        rows = cur.execute(sql).fetchall()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(wall), statistics.median(cpu), len(rows)


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def time_command(args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)  # warm-up
    wall, cpu = [], []
    out = b""
    for _ in range(REPEAT):
        t0, c0 = time.perf_counter(), children_cpu()
        out = subprocess.run(args, check=True, stdout=subprocess.PIPE).stdout
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((children_cpu() - c0) * 1000)
    return statistics.median(wall), statistics.median(cpu), out


def transitions_digest(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    h = hashlib.sha256()
    n = 0
    for row in db.execute("SELECT operation_id, kind, from_status, to_status, at, snapshot_id "
                          "FROM transitions ORDER BY snapshot_id"):
        h.update(repr(row).encode())
        n += 1
    db.close()
    return n, h.hexdigest()


def summaries(path):
    """Version 6's summary tables, in a fixed order: the migration's must equal the write path's."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = (db.execute("SELECT category, http_status, n, last_at FROM poll_error_groups "
                       "ORDER BY category, http_status").fetchall(),
            db.execute("SELECT error_code, operations, example_message FROM failure_reason_groups "
                       "ORDER BY error_code").fetchall())
    db.close()
    return rows


def make_version2(src, dst):
    """dst: src as schema version 2 left it (the additions of versions 3 to 6 removed)."""
    with sqlite3.connect(src) as s, sqlite3.connect(dst) as d:
        s.backup(d)
    d = sqlite3.connect(dst, isolation_level=None)
    triggers = [r[0] for r in d.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
    d.executescript("BEGIN;"
                    + "".join(f"DROP TRIGGER {t};" for t in triggers) +
                    # version 6's summaries, version 5's outbox, version 4's origin
                    "DROP TABLE poll_error_groups;"
                    "DROP TABLE failure_reason_groups;"
                    "DROP TABLE failure_reason_messages;"
                    "DROP TABLE notifications;"
                    "ALTER TABLE operations DROP COLUMN origin;"
                    "DROP INDEX snapshots_transitions_by_time;"
                    "DROP INDEX operations_by_status;"
                    "DROP INDEX poll_errors_by_category;"
                    "DROP VIEW transitions;"
                    f"{V2_VIEW};"
                    "ALTER TABLE snapshots DROP COLUMN previous_status;"
                    "ALTER TABLE snapshots DROP COLUMN status_changed;"
                    "ALTER TABLE operations DROP COLUMN latest_snapshot_id;"
                    "PRAGMA user_version = 2;"
                    "COMMIT;")
    d.execute("VACUUM")
    d.close()


def measure(size, workdir, generator, daemon):
    path = os.path.join(workdir, f"b3-{size}.db")
    bl.log(f"B3: generating {size:,} snapshots")
    t0 = time.monotonic()
    subprocess.run([generator, path, str(size)], check=True, stdout=subprocess.DEVNULL)
    gen_s = time.monotonic() - t0
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("snapshots", "operations", "poll_errors", "transitions")}
    db.close()
    # Size of the file at rest (the daemon's own checkpoint leaves the WAL empty after close).
    file_bytes = os.path.getsize(path)

    bl.log("B3: migrating the same database from schema version 2")
    v2 = os.path.join(workdir, f"b3-{size}-v2.db")
    make_version2(path, v2)
    migrate_s = float(subprocess.run([generator, "--migrate", v2], check=True,
                                     stdout=subprocess.PIPE, text=True).stdout.strip())
    same = transitions_digest(v2) == transitions_digest(path)
    same_summaries = summaries(v2) == summaries(path)
    os.remove(v2)

    bl.log("B3: queries")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    queries = []
    for name, sql in doc_queries() + readme_queries():
        ms, cpu_ms, rows = time_query(db, sql)
        queries.append({"name": name, "ms": ms, "cpu_ms": cpu_ms, "rows": rows})
    op_id, kind = db.execute("SELECT operation_id, kind FROM operations WHERE state = 'terminal' "
                             "ORDER BY operation_id LIMIT 1").fetchone()
    db.close()
    for name, args in (("adu-opwatch status", ["status"]),
                       ("adu-opwatch status --json", ["status", "--json"]),
                       ("adu-opwatch history ID", ["history", op_id, "--kind", kind])):
        ms, cpu_ms, out = time_command([daemon, *args, "--db", path])
        rows = max(0, out.count(b"\n") - (1 if args == ["status"] else 0))
        if args == ["status", "--json"]:
            rows = len(json.loads(out)["operations"]) if out.strip().startswith(b"{") else \
                len(json.loads(out))
        queries.append({"name": name, "ms": ms, "cpu_ms": cpu_ms, "rows": rows, "command": True})
    os.remove(path)
    return {"size": size, "counts": counts, "file_bytes": file_bytes,
            "bytes_per_snapshot": file_bytes / max(1, counts["snapshots"]),
            "generate_s": gen_s, "migrate_s": migrate_s, "migration_same_transitions": same,
            "migration_same_summaries": same_summaries,
            "queries": queries, "loadavg": bl.loadavg()}


def section(result):
    sizes = result["sizes"]
    small, large = sizes[0], sizes[-1]
    L = ["<!-- B3 begin: generated by bench/b3.py; do not edit by hand -->",
         "## B3: the query interface at scale", "",
         f"Run {result['started']}, commit {result['commit']}, Release build, "
         f"{result['machine']}. Each database is written by `adu-b3-generate` through "
         "`SqliteStore` (the daemon's write path): one operation per 20 snapshots, 137 "
         "operations a day whatever the size (so 1,000,000 snapshots are a year of history and "
         "100,000 about five weeks: time-bounded queries return about as many rows at both sizes "
         "and the ratio shows what history alone costs), each NotStarted, Running with a "
         "changing body, then Succeeded (or Failed, about 10%); 30 s polls of which most are unchanged, poll "
         "errors (503, timeouts, 429s, resets), 2% of operations forgotten by the service "
         "(404, `not_found`) and 3% unwatched. Queries run read-only (`mode=ro`) from Python's "
         "`sqlite3`, warm cache, median of at least "
         f"{REPEAT} runs (and of 0.2 s of runs, up to 500) after a warm-up, all rows fetched; "
         f"the commands are whole processes, median of {REPEAT} runs "
         "(start-up included). Target: under "
         f"{TARGET_MS:.0f} ms at the largest size for everything returning at most "
         f"{ROW_LIMIT:,} rows, and at most 3x the time at the smallest size; `status` under "
         f"{STATUS_TARGET_MS:.0f} ms.", ""]
    L.append("| database | " + " | ".join(f"{s['size']:,} snapshots" for s in sizes) + " |")
    L.append("| --- |" + " ---: |" * len(sizes))
    for label, key in (("snapshots", "snapshots"), ("operations", "operations"),
                       ("poll errors", "poll_errors"), ("transitions", "transitions")):
        L.append(f"| {label} | " + " | ".join(f"{s['counts'][key]:,}" for s in sizes) + " |")
    L.append("| file size | " + " | ".join(f"{s['file_bytes'] / 1048576:.1f} MiB"
                                           for s in sizes) + " |")
    L.append("| bytes per snapshot | " + " | ".join(f"{s['bytes_per_snapshot']:.0f}"
                                                   for s in sizes) + " |")
    L.append("| migration from version 2 | " + " | ".join(
        f"{s['migrate_s']:.1f} s" + ("" if s["migration_same_transitions"] else
                                     " (**transitions differ**)") for s in sizes) + " |")
    L.append("| generation (write path) | " + " | ".join(f"{s['generate_s']:.0f} s"
                                                        for s in sizes) + " |")
    L.append("| load at the end | " + " | ".join(str(s["loadavg"]) for s in sizes) + " |")
    L += ["", "The migration's transitions equal the generated file's row for row"
          + (" at every size." if all(s["migration_same_transitions"] for s in sizes)
             else ": **NO** (see the table).")
          + (" Its summary tables (version 6) equal those the write path's triggers kept"
             + (" at every size." if all(s.get("migration_same_summaries") for s in sizes)
                else ": **NO**.")), ""]
    L += ["Wall time is what a reader waits; CPU time is the query's own work, which moves "
          "less with the machine's load (the load average at the end of each size is above).", ""]
    header = "| query | " + " | ".join(f"ms at {s['size']:,} (CPU)" for s in sizes) + " | " + \
        " | ".join(f"rows at {s['size']:,}" for s in sizes) + " | ratio | meets the target |"
    L += [header, "| --- |" + " ---: |" * (2 * len(sizes) + 1) + " --- |"]
    by_name = [{q["name"]: q for q in s["queries"]} for s in sizes]
    for q in large["queries"]:
        name = q["name"]
        cells = [by_name[i][name] for i in range(len(sizes))]
        ratio = cells[-1]["ms"] / cells[0]["ms"] if cells[0]["ms"] > 0 else float("inf")
        if name == "adu-opwatch status":
            verdict = "yes" if q["ms"] < STATUS_TARGET_MS else "**no**"
        elif q.get("command") and q["rows"] <= ROW_LIMIT:  # a process: start-up is ~10 ms
            verdict = "yes (ratio)" if ratio <= 3 else "**no** (ratio)"
        elif q["rows"] <= ROW_LIMIT:
            verdict = "yes" if q["ms"] < TARGET_MS and ratio <= 3 else "**no**"
        else:
            verdict = f"n/a (over {ROW_LIMIT:,} rows)"
        label = f"`{name}`" if not name.startswith("README") else \
            "README `" + name[len("README: "):] + "`"
        L.append(f"| {label} | " + " | ".join(f"{c['ms']:.2f} ({c['cpu_ms']:.2f})" for c in cells)
                 + " | " + " | ".join(f"{c['rows']:,}" for c in cells)
                 + f" | {ratio:.1f} | {verdict} |")
    L += ["", "<!-- B3 end -->"]
    return "\n".join(L)


def write_section(text):
    path = os.path.join(ROOT, "docs", "performance.md")
    with open(path) as f:
        page = f.read()
    m = re.search(r"<!-- B3 begin.*?<!-- B3 end -->", page, re.S)
    page = page[:m.start()] + text + page[m.end():] if m else page.rstrip("\n") + "\n\n" + text + "\n"
    with open(path, "w") as f:
        f.write(page)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--generator", required=True)
    ap.add_argument("--adu-opwatch", required=True)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--workdir", default=None, help="where the databases go (default: $TMPDIR)")
    ap.add_argument("--section-only", action="store_true",
                    help="rewrite the page's section from --out's JSON without measuring")
    args = ap.parse_args()
    if args.section_only:
        with open(args.out) as f:
            write_section(section(json.load(f)))
        return
    import report  # machine() and git_commit(), shared with the B1/B2 page
    result = {"started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "commit": report.git_commit(ROOT), "machine": report.machine(), "sizes": []}
    with tempfile.TemporaryDirectory(prefix="adu-b3-", dir=args.workdir) as workdir:
        for size in (int(s) for s in args.sizes.split(",")):
            r = measure(size, workdir, args.generator, args.adu_opwatch)
            bl.log(f"  -> {r['bytes_per_snapshot']:.0f} bytes/snapshot, migration "
                   f"{r['migrate_s']:.1f} s, same transitions: {r['migration_same_transitions']}")
            result["sizes"].append(r)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    write_section(section(result))


if __name__ == "__main__":
    main()
