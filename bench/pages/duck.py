"""DuckDB timings: a page's queries cold (fresh process and connection) and warm (one connection)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bench.pages.common import encode, fmt_s, median, run_json

# ------------------------------------------------------------------------------------ workers

DUCK_WORKER = r"""
import json, sys, threading, time, datetime as dt
import duckdb
hook = lambda o: dt.date.fromisoformat(o["__date__"]) if "__date__" in o else o
spec = json.load(open(sys.argv[1]), object_hook=hook)
mode = sys.argv[2]
duckdb.connect().execute("SELECT 1").df()  # import pandas and friends first: the app has them loaded
t = time.perf_counter()
con = duckdb.connect(spec["db"], read_only=True)
con.execute("SET enable_progress_bar = false")
# The app's scoped view, unscoped. Temporary objects belong to one connection and a cursor is a connection of
# its own, so every cursor gets it too (before its timer starts).
PROFILES_VIEW = "CREATE TEMP VIEW counterpart_profiles AS SELECT * FROM counterparts"
con.execute(PROFILES_VIEW)
connect = time.perf_counter() - t
skip = {int(k): set(v) for k, v in spec["skip"].items()}  # view -> queries known to exceed the timeout

def page(i):
    times = []
    for j, q in enumerate(spec["views"][i]):
        if j in skip.setdefault(i, set()):
            times.append(None)
            continue
        cur = con.cursor()
        cur.execute(PROFILES_VIEW)
        timer = threading.Timer(spec["timeout"], cur.interrupt)
        timer.start()
        t = time.perf_counter()
        try:
            cur.execute(q["sql"], q["params"]).df()
            times.append(time.perf_counter() - t)
        except duckdb.InterruptException:
            times.append(None)  # interrupted at the timeout; not run again
            skip[i].add(j)
        finally:
            timer.cancel()
            cur.close()
    return times

out = {"connect": connect, "runs": {i: [] for i in range(len(spec["views"]))}}
if mode == "warm":  # one connection for every page, as in the app; pages in turn, so bursts hit them all
    for i in range(len(spec["views"])):
        page(i)
    deadline = time.perf_counter() + spec["budget"]
    for r in range(spec["runs"]):
        for i in range(len(spec["views"])):
            out["runs"][i].append(page(i))
        if r >= 2 and time.perf_counter() > deadline:
            break
else:
    out["runs"][0].append(page(0))
out["skip"] = {i: sorted(v) for i, v in skip.items()}
print(json.dumps(out))
"""


def page_total(times: list[float | None], timeout: float) -> float:
    """A page's time: the sum of its queries, an interrupted query counted at the timeout (a lower bound)."""
    return sum(timeout if x is None else x for x in times)


def time_duckdb(db: str, views: list[dict], runs: int, budget: float, timeout: float, work: Path) -> None:
    """Cold (fresh process and connection, one page each, interleaved) and warm timings, into ``views``."""
    for v in views:
        v["cold"], v["cold_q"], v["connect"], v["skip"] = [], [], [], set()
    spec = work / "duck_spec.json"
    deadline = time.perf_counter() + budget * len(views)
    for r in range(runs):
        for v in views:
            spec.write_text(json.dumps({"db": db, "views": [v["queries"]], "timeout": timeout,
                                        "skip": {0: sorted(v["skip"])}}, default=encode))
            out, rss = run_json([sys.executable, "-c", DUCK_WORKER, str(spec), "cold"])
            q = out["runs"]["0"][0]
            v["skip"] |= set(out["skip"]["0"])
            v["cold"].append(out["connect"] + page_total(q, timeout))
            v["cold_q"].append(q)
            v["connect"].append(out["connect"])
            v["cold_rss"] = max(v.get("cold_rss", 0), rss)
        print(f"  cold run {r + 1}/{runs} done", flush=True)
        if r >= 2 and time.perf_counter() > deadline:
            print(f"  (time budget reached: {r + 1} cold runs)", flush=True)
            break
    spec.write_text(json.dumps({"db": db, "views": [v["queries"] for v in views], "timeout": timeout,
                                "skip": {i: sorted(v["skip"]) for i, v in enumerate(views)}, "runs": runs,
                                "budget": budget * len(views)}, default=encode))
    out, rss = run_json([sys.executable, "-c", DUCK_WORKER, str(spec), "warm"])
    spec.unlink()
    for i, v in enumerate(views):
        v["warm_q"] = out["runs"][str(i)]
        v["warm"] = [page_total(q, timeout) for q in v["warm_q"]]
        v["skip"] |= set(out["skip"][str(i)])
        v["timed_out"] = [v["queries"][j]["label"] for j in sorted(v["skip"])]
        late = f"  interrupted at {timeout:.0f} s: {', '.join(v['timed_out'])}" if v["timed_out"] else ""
        print(f"  {v['page']:<13} {v['filters']:<32} cold {fmt_s(median(v['cold'])):>9}  "
              f"warm {fmt_s(median(v['warm'])):>9}{late}", flush=True)
    print(f"  warm: {len(views[0]['warm'])} rounds of every page on one connection, peak RSS {rss:,.0f} MB",
          flush=True)
    for v in views:
        v["warm_rss"] = rss
