#!/usr/bin/env python3
"""Writes docs/performance.md and docs/performance-b1.png from bench/b1.py and bench/b2.py results.

Every figure on the page comes from the JSON files of one run; nothing is typed in.
"""

import argparse
import datetime
import json
import os
import platform

import benchlib as bl

# The commit of a tree: b3.py imports this module (for machine()) and takes it from here too.
git_commit = bl.git_commit


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    return f"{model}, {os.cpu_count()} CPUs (nproc), {mem_kb / 1048576:.0f} GiB, Linux {platform.release()}"


def fmt(v, digits=1):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}"


def verdict(ok):
    return "**met**" if ok else "**missed**"


def discovery_section(d):
    """The "B1: discovery" table (bench/b1_discovery.py)."""
    r, s = d["run"], d["scale"]
    L = ["## B1: discovery", ""]
    L.append(f"An empty watch list and `discover: {{kinds: [device, update], interval: "
             f"{d['interval_s']:.0f}s}}`; operations of both kinds are created at "
             f"{d['rate_per_min']:g} a minute (each goes NotStarted -> Running -> Succeeded/Failed "
             f"within about 11 minutes), under the service's limits ({d['get_limit']} GETs and "
             f"{d['list_limit']} list calls per minute, pages of {d['page_size']}). Latency: from an "
             f"operation's creation to its first stored snapshot. Calls: every list call and GET of "
             f"the run, per operation. Time compressed x{s} as in B1, figures uncompressed."
             + (f" Run at {d['commit']}." if d.get("commit") else ""))
    L.append("")
    L.append("| operations | stored | final status stored | p50 (s) | p99 (s) | max (s) | "
             "list calls | GETs | calls / operation | GETs / operation | 429s | load |")
    L.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    L.append(f"| {r['operations']} | {r['stored']} | {r['finals_stored']}/{r['finals']} | "
             f"{fmt(r['p50'])} | {fmt(r['p99'])} | {fmt(r['max'])} | {r['list_calls']} | "
             f"{r['status_calls']} | {fmt(r['calls_per_operation'], 2)} | "
             f"{fmt(r['gets_per_operation'], 2)} | {r['throttled']} | {r['loadavg']} |")
    L.append("")
    L.append(f"A new operation waits for the next in-flight pass: at most one `discover.interval` "
             f"({d['interval_s']:.0f} s, jittered by 10 %) plus a page's round trip. The list calls "
             f"do not grow with the number of operations until more than {d['page_size']} of a "
             f"kind are in flight at once; each operation costs one GET, for its final snapshot.")
    L.append("")
    return L


def plot(b1, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    styles = {"auto": ("tab:blue", "o"), "never": ("tab:red", "s")}
    main_page = b1["page_size"]
    for mode in ("auto", "never"):
        runs = sorted((r for r in b1["runs"]
                       if r["mode"] == mode and r.get("page_size", main_page) == main_page),
                      key=lambda r: r["n"])
        if not runs:
            continue
        ns = [r["n"] for r in runs]
        color, marker = styles[mode]
        ax.plot(ns, [r["p50"] for r in runs], color=color, marker=marker, linestyle="--",
                label=f"use_list: {mode}, p50")
        ax.plot(ns, [r["p99"] for r in runs], color=color, marker=marker, linestyle="-",
                label=f"use_list: {mode}, p99")
    small = sorted((r for r in b1["runs"] if r.get("page_size", main_page) != main_page),
                   key=lambda r: r["n"])
    if small:
        ax.plot([r["n"] for r in small], [r["p99"] for r in small], color="tab:gray", marker="^",
                linestyle="-", label=f"use_list: auto, pages of {small[0]['page_size']}, p99")
    ax.axhline(2 * b1["interval_s"], color="gray", linestyle=":", label="target: 2 x poll.interval")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("watched operations (N)")
    ax.set_ylabel("detection latency, s (uncompressed)")
    ax.set_title(f"B1: status change -> snapshot (interval {b1['interval_s']:.0f} s, "
                 f"{b1['get_limit']}/{b1['list_limit']} calls/min)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--b1", required=True)
    ap.add_argument("--b2", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--meta", required=True)  # {"started": ..., "seconds": ...} from run.sh
    ap.add_argument("--b1-discovery")  # optional: bench/b1_discovery.py's result
    args = ap.parse_args()
    with open(args.b1) as f:
        b1 = json.load(f)
    with open(args.b2) as f:
        b2 = json.load(f)
    with open(args.meta) as f:
        meta = json.load(f)
    png = os.path.join(args.root, "docs", "performance-b1.png")
    plot(b1, png)

    L = []
    L.append("# Performance")
    L.append("")
    L.append("Generated by `bench/run.sh` (see `bench/README.md`); do not edit by hand. Every figure "
             "below comes from the run described here.")
    L.append("")
    L.append("| | |")
    L.append("| --- | --- |")
    L.append(f"| machine | {machine()} |")
    L.append(f"| date | {meta['started']} |")
    # The commit the benchmarks ran at (run.sh records it before they start), else HEAD.
    L.append(f"| commit | {meta.get('commit') or bl.git_commit(args.root)} |")
    L.append("| build | Release (`build-perf-rel`); B1 with the default HTTP transport (cpprest) |")
    L.append(f"| run time | {meta['seconds'] / 60:.1f} min |")
    L.append("")
    L.append("The machine is shared with other builds. Wall-clock latencies depend on that, so "
             "each row gives the load average (1, 5, 15 min) at its end. CPU time per poll depends "
             "on it less, but still moves by a third or so between runs on this VM (caches, "
             "clock, steal), for the references as much as for the daemon: compare the ratios, "
             "which are measured side by side in one run.")
    L.append("")

    # ---- B1
    s = b1["scale"]
    L.append("## B1: budget efficiency")
    L.append("")
    L.append(f"The emulator with the service's limits ({b1['get_limit']} status GETs and "
             f"{b1['list_limit']} list calls per minute, list pages of {b1['page_size']} as the "
             f"service's recorded `nextLink`s ask for; pages of "
             f"{b1.get('pessimistic_page_size', b1['page_size'])} as a pessimistic row), "
             f"N watched device operations of which {b1['changing_fraction']:.0%} go NotStarted -> "
             f"Running -> Succeeded/Failed at random times within {b1['change_window_s']:.0f} s "
             f"(the others stay Running), `poll.interval` {b1['interval_s']:.0f} s.")
    L.append("")
    L.append(f"**Time is compressed x{s}**: the emulator runs its scenario clock {s} times faster "
             f"(`--time-scale {s}`), the daemon's interval is {b1['interval_s'] / s * 1000:.0f} ms "
             f"and both sides' limits are {b1['get_limit'] * s}/min and {b1['list_limit'] * s}/min "
             f"(the emulator's rate-limit windows are real seconds); the daemon sizes its token "
             f"buckets' bursts as for the uncompressed limits (`ADU_OPWATCH_BENCH_TIME_SCALE`). "
             f"All times below are converted back to uncompressed seconds.")
    L.append("")
    L.append("Latency: from the emulator's `effective_at` of a status change to the `observed_at` "
             "of the first snapshot stored after it. Calls are counted after a warm-up (one full "
             "pass over N at the budget) and divided by the changes detected; 429s over the whole "
             "run. A change not detected by the end of the run counts with its age at the end.")
    L.append("")
    L.append("| N | use_list | page | changes | detected | p50 s | p99 s | max s "
             "| status calls / change | list calls / change | 429s | load |")
    L.append("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    main_page = b1["page_size"]
    for r in sorted(b1["runs"], key=lambda r: (r["n"], -r.get("page_size", main_page), r["mode"])):
        L.append(f"| {r['n']:,} | {r['mode']} | {r.get('page_size', main_page)} | "
                 f"{r['changes']} | {r['detected']} | {fmt(r['p50'])} | "
                 f"{fmt(r['p99'])} | {fmt(r['max'])} | {fmt(r['status_per_change'], 2)} | "
                 f"{fmt(r['list_per_change'], 2)} | {r['throttled']} | {r['loadavg']} |")
    L.append("")
    L.append("![B1 latency against N](performance-b1.png)")
    L.append("")
    pages = [b1["page_size"], b1.get("pessimistic_page_size", b1["page_size"])]
    pages = sorted(set(pages), reverse=True)
    per_min = {p: b1["list_limit"] * p + b1["get_limit"] for p in pages}
    L.append("What the limits allow: with list pages of P, the two budgets observe at most "
             + " or ".join(f"{b1['list_limit']} x {p} + {b1['get_limit']} = {per_min[p]:,} "
                           f"(P = {p})" for p in pages)
             + " operations per minute. A change waits for its operation's next observation, "
             "so p99 cannot be much below the longer of `poll.interval` and the time it takes "
             "to observe all N once:")
    L.append("")
    L.append("| N | " + " | ".join(f"full pass, lists of {p} + GETs" for p in pages)
             + " | full pass with GETs only |")
    L.append("| ---: | " + " | ".join("---:" for _ in pages) + " | ---: |")
    for n in sorted({r["n"] for r in b1["runs"]}):
        L.append(f"| {n:,} | " + " | ".join(f"{60.0 * n / per_min[p]:.1f} s" for p in pages)
                 + f" | {60.0 * n / b1['get_limit']:.1f} s |")
    L.append("")
    need = (5000 - b1["get_limit"]) / b1["list_limit"]
    L.append(f"At N = 5,000 a p99 of {2 * b1['interval_s']:.0f} s would need pages of at least "
             f"{need:.0f} operations; the service's recorded `nextLink`s ask for 100 (`$top=100`).")
    L.append("")

    if args.b1_discovery:
        with open(args.b1_discovery) as f:
            L.extend(discovery_section(json.load(f)))

    # ---- B2
    cases = b2["cases"]
    transports = b2["transports"]
    L.append("## B2: resource cost")
    L.append("")
    L.append(f"The daemon watching {b2['count']:,} operations against an emulator without rate "
             f"limits (budget far above reach, `use_list: never`, interval 1 s, "
             f"`max_concurrency` 4: it polls flat out), once per HTTP transport "
             f"(`http.transport`; `cpprest` is the default). CPU time is utime+stime of every "
             f"thread (`/proc/PID/stat`) over {b2['measure_s']:.0f} s after the first passes, "
             f"divided by the requests the emulator answered meanwhile; peak RSS is VmHWM. "
             f"Reference clients against the same emulator, same operations, same conditional "
             f"GETs, each measuring its own CPU time (getrusage): `bench/curl_loop.c` (libcurl, "
             f"one easy handle, keep-alive, ETags in memory) and `bench/py_loop.py` (http.client, "
             f"json, a sqlite3 row committed per changed body).")
    L.append("")
    L.append("| case | client | CPU us/poll | polls/s | daemon / libcurl | daemon / Python "
             "| peak RSS MB |")
    L.append("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for name in ("unchanged", "changing"):
        c = cases[name]
        lc = c["libcurl"]["cpu_us_per_poll"]
        py = c["python"]["cpu_us_per_poll"]
        label = "unchanged (304)" if name == "unchanged" else "changing (snapshot per poll)"
        for t in transports:
            d = c["daemon"][t]
            L.append(f"| {label} | adu-opwatch, `{t}` | {d['cpu_us_per_poll']:.1f} | "
                     f"{d['polls_per_s']:,.0f} | {d['cpu_us_per_poll'] / lc:.2f} | "
                     f"{d['cpu_us_per_poll'] / py:.2f} | {d['peak_rss_kb'] / 1024:.1f} |")
            m = c["daemon"].get(f"{t}+metrics")
            if m:
                L.append(f"| {label} | adu-opwatch, `{t}`, metrics endpoint scraped every "
                         f"{m['scrape_interval_s']:.0f} s | {m['cpu_us_per_poll']:.1f} | "
                         f"{m['polls_per_s']:,.0f} | {m['cpu_us_per_poll'] / lc:.2f} | "
                         f"{m['cpu_us_per_poll'] / py:.2f} | {m['peak_rss_kb'] / 1024:.1f} |")
        L.append(f"| {label} | libcurl loop | {lc:.1f} | | | | |")
        L.append(f"| {label} | Python loop | {py:.1f} | | | | |")
    L.append("")
    L.append("Load average at the end of each case: " +
             "; ".join(f"{n}: {cases[n]['loadavg']}" for n in ("unchanged", "changing")) + ".")
    L.append("")
    L.append("Idle: 10 operations, interval 1 h, after their first poll; context switches of "
             "every thread over the measured span:")
    L.append("")
    L.append("| transport | threads | context switches | seconds | per second | RSS MB "
             "| peak RSS MB |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for t in transports:
        i = b2["idle"][t]
        L.append(f"| `{t}` | {i['threads']} | {i['context_switches']} | {i['seconds']:.0f} | "
                 f"{i['wakeups_per_s']:.2f} | {i['rss_kb'] / 1024:.1f} | "
                 f"{i['peak_rss_kb'] / 1024:.1f} |")
    L.append("")

    # ---- targets
    L.append("## Targets")
    L.append("")
    L.append("| target | figure | |")
    L.append("| --- | --- | --- |")
    total_429 = sum(r["throttled"] for r in b1["runs"])
    L.append(f"| B1: zero 429 | {total_429} | {verdict(total_429 == 0)} |")
    for n in (1000, 5000):
        r = next((r for r in b1["runs"] if r["n"] == n and r["mode"] == "auto"
                  and r.get("page_size", b1["page_size"]) == b1["page_size"]), None)
        if r:
            ok = r["p99"] is not None and r["p99"] <= 2 * b1["interval_s"]
            L.append(f"| B1: `auto` p99 <= 2 x interval ({2 * b1['interval_s']:.0f} s) at "
                     f"N = {n:,} | {fmt(r['p99'])} s | {verdict(ok)} |")
    for t in transports:
        i = b2["idle"][t]
        L.append(f"| B2 `{t}`: idle RSS < 20 MB | {i['rss_kb'] / 1024:.1f} MB | "
                 f"{verdict(i['rss_kb'] < 20 * 1024)} |")
        peak = max(cases[n]["daemon"][t]["peak_rss_kb"] for n in cases)
        L.append(f"| B2 `{t}`: RSS < 50 MB at {b2['count']:,} operations | {peak / 1024:.1f} MB | "
                 f"{verdict(peak < 50 * 1024)} |")
        L.append(f"| B2 `{t}`: idle wakeups <= 1 per second | {i['wakeups_per_s']:.2f}/s | "
                 f"{verdict(i['wakeups_per_s'] <= 1.0)} |")
        m = cases["unchanged"]["daemon"].get(f"{t}+metrics")
        if m:
            base = cases["unchanged"]["daemon"][t]
            ok = (m["cpu_us_per_poll"] <= 1.1 * base["cpu_us_per_poll"]
                  and m["peak_rss_kb"] <= base["peak_rss_kb"] + 2048)
            L.append(f"| B2 `{t}` (goal): metrics endpoint on, scraped every "
                     f"{m['scrape_interval_s']:.0f} s: CPU per poll within 10 % and peak RSS within "
                     f"2 MB (unchanged) | {m['cpu_us_per_poll']:.1f} vs "
                     f"{base['cpu_us_per_poll']:.1f} us, {m['peak_rss_kb'] / 1024:.1f} vs "
                     f"{base['peak_rss_kb'] / 1024:.1f} MB, {m['scrapes']} scrapes | {verdict(ok)} |")
        for name in ("unchanged", "changing"):
            c = cases[name]
            d = c["daemon"][t]["cpu_us_per_poll"]
            py, lc = c["python"]["cpu_us_per_poll"], c["libcurl"]["cpu_us_per_poll"]
            L.append(f"| B2 `{t}`: CPU per poll <= Python's ({name}) | {d:.1f} vs {py:.1f} us | "
                     f"{verdict(d <= py)} |")
            L.append(f"| B2 `{t}` (aim): CPU per poll <= 2 x libcurl's ({name}) | {d:.1f} vs "
                     f"2 x {lc:.1f} us | {verdict(d <= 2 * lc)} |")
    L.append("")
    page = os.path.join(args.root, "docs", "performance.md")
    # B3 (bench/b3.py) and the notifications benchmark (bench/notify_bench.py) write their own
    # sections of the page: keep each as its run left it.
    kept = ""
    if os.path.exists(page):
        with open(page) as f:
            old = f.read()
        for name in ("B3", "NOTIFY"):
            start, end = old.find(f"<!-- {name} begin"), old.find(f"<!-- {name} end -->")
            if start >= 0 and end > start:
                kept += "\n" + old[start:end + len(f"<!-- {name} end -->")] + "\n"
    with open(page, "w") as f:
        f.write("\n".join(L) + kept)


if __name__ == "__main__":
    main()
