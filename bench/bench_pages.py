"""Benchmark: every dashboard page's queries in DuckDB, against the same aggregates in pandas; app memory.

    python bench/bench_pages.py --rows 1000000                        # 20 runs, writes docs/performance.md
    python bench/bench_pages.py --rows 1000000 --rows 10000000
    python bench/bench_pages.py --rows 200000 --runs 3 --no-app --no-write

For each size the demo database is built with the real CLI (``python -m etl demo``) into the work
folder (default ``bench/out/pages``, git-ignored) and reused on later runs with the same size and seed.
Then, for every page of ``dashboard.registry.DATABASE_PAGES`` and each filter set (the last 12 months of data;
the same narrowed to the busiest region, for pages whose queries depend on filters; the busiest
counterpart for the lookup page), the page's full list of queries (``page_queries``) is timed:

- **DuckDB cold**: a fresh process opens a fresh read-only connection and runs the page's queries
  once, fetching each result into pandas as the app does (connect time included; the operating
  system's file cache is *not* dropped, so this is "new process, new connection", not "disk cold");
- **DuckDB warm**: one process, one connection, the page run once untimed, then ``--runs`` times;
- **pandas**: the usual Streamlit way. One process loads the engagements (with the joined columns
  the pages need), the obstacle and condition rows (with their engagement's filter columns) and
  the small tables (incidents and merge decisions included) into DataFrames once (load time and memory reported), then computes each
  page's aggregates with pandas filtering and groupby, ``--runs`` times. At the end it runs the
  DuckDB queries and compares the results: every mismatch is printed loudly.

Median and p95 over the runs (p95 is the nearest-rank value, i.e. the maximum when runs < 20).
Then the real app is started on the database as operators start it, ``python -m dashboard``, which
caches every page's default queries in the background and prints "Warm-up done: N queries cached in
X s." (its time to answer /_stcore/health and to print that line are reported). As soon as it answers,
headless Chromium signs in on the landing page once in a separate context (what a visitor gets during
the warm-up); after the warm-up line, in one browser, it opens every page by address three times
(first visit: the sign-in on trends, then the browser stays signed in; same view again; narrowed to
the region) and once from the sidebar, and records when the page is fully drawn (WAIT_JS: script
finished, no spinner or placeholder, every chart's SVG and the map's areas drawn, stable for 0.5 s).
The sign-in form and the page after the click on Sign in are timed separately; the pause for typing
(TYPING_S) is not counted. The server's peak RSS is read from /proc/PID/status (VmHWM).
CPU time used by other processes during each phase is measured (/proc/stat) and reported.
This is not a test: it prints its figures and records them, it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pages.browser import measure_app  # noqa: E402
from bench.pages.common import DEFAULT_WORK, CpuMeter, decode, encode, fmt_s  # noqa: E402
from bench.pages.data import build, make_views  # noqa: E402
from bench.pages.duck import time_duckdb  # noqa: E402
from bench.pages.pandas_run import pandas_worker, time_pandas  # noqa: E402
from bench.pages.report import size_report, slowest_queries, targets, write_doc  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="demo size; repeat for several (default 1M)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help=f"folder for the databases ({DEFAULT_WORK})")
    parser.add_argument("--budget", type=float, default=120.0,
                        help="seconds per page and method after which fewer runs are done (at least 3)")
    parser.add_argument("--query-timeout", type=float, default=60.0,
                        help="seconds after which a query is interrupted (and not run again; counted at this value)")
    parser.add_argument("--page-timeout", type=float, default=120.0,
                        help="seconds to wait for a page in the browser")
    parser.add_argument("--warmup-timeout", type=float, default=600.0,
                        help="seconds after the app's start to wait for its 'Warm-up done' line")
    parser.add_argument("--no-warmup-visit", action="store_true",
                        help="do not time a visit to the landing page while the app is still warming up")
    parser.add_argument("--no-app", action="store_true", help="skip the app and browser measurements")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/performance.md")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite the docs from the results saved in the work folder, without measuring")
    parser.add_argument("--app-only", action="store_true",
                        help="measure only the app in the browser; the query figures are those saved in the work "
                             "folder by an earlier run (said so in the report)")
    parser.add_argument("--worker-pandas", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker_pandas:
        pandas_worker(args.worker_pandas)
        return 0
    args.rows = args.rows or [1_000_000]
    args.work.mkdir(parents=True, exist_ok=True)
    results = []
    if args.report_only:
        for rows in args.rows:
            res = json.loads((args.work / f"results_{rows}.json").read_text(), object_hook=decode)
            res["markdown"], _ = size_report(res)
            results.append(res)
        print("\n".join(targets(results)))
        if not args.no_write:
            write_doc(args, results)
        return 0
    for rows in args.rows:
        print(f"\n=== {rows:,} rows ===", flush=True)
        meter = CpuMeter()
        build_info = build(rows, args.seed, args.work)
        contention = {} if build_info["reused"] else {"build": meter.others()}
        db = build_info["db"]
        views, info = make_views(db)
        res = {"rows": rows, "build": build_info, "db_mb": Path(db).stat().st_size / 2**20, "views": views, **info}
        print(f"Views: {len(views)}; filters {info['start']} to {info['end']}, region {info['region']}, "
              f"counterpart {info['counterpart']} ({info['counterpart_engagements']:,} engagements)", flush=True)
        if args.app_only:
            saved = json.loads((args.work / f"results_{rows}.json").read_text(), object_hook=decode)
            res.update(views=saved["views"], pandas=saved["pandas"], timeout=saved["timeout"])
            contention = {k: v for k, v in saved.get("contention", {}).items() if k != "app"}
            res["app_only"] = True
            res["queries_command"] = (saved.get("queries_command") if saved.get("app_only") else saved.get("command")) \
                or "an earlier run: see the notes below"
            res["queries_measured"] = saved.get("queries_measured", "an earlier run")
            views = res["views"]
        else:
            meter = CpuMeter()
            res["timeout"] = args.query_timeout
            res["queries_measured"] = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
            time_duckdb(db, views, args.runs, args.budget, args.query_timeout, args.work)
            contention["DuckDB"] = meter.others()
            meter = CpuMeter()
            res["pandas"] = time_pandas(db, views, args.runs, args.budget, args.work)
            contention["pandas"] = meter.others()
        if not args.no_app:
            meter = CpuMeter()
            res["app"] = measure_app(db, info, args.work, rows, timeout_s=args.page_timeout,
                                     warmup_timeout_s=args.warmup_timeout,
                                     visit_during_warmup=not args.no_warmup_visit)
            contention["app"] = meter.others()
        res["contention"] = contention
        res["command"] = "python bench/bench_pages.py " + " ".join(sys.argv[1:])
        res["markdown"], console = size_report(res)
        print()
        print("\n".join(console))
        print()
        print("Slowest queries (warm median, cold median):")
        for warm, cold, where, label in slowest_queries(views, args.query_timeout):
            print(f"  {fmt_s(warm):>9} {fmt_s(cold):>9}  {label:<36} {where}")
        if "app" in res:
            print(f"App peak RSS: {res['app']['peak']:,.0f} MB")
        print("Other work on the machine (average cores busy): "
              + ", ".join(f"{k} {c:.2f}" for k, (_, c) in contention.items()))
        results.append(res)
        (args.work / f"results_{rows}.json").write_text(json.dumps(
            {k: v for k, v in res.items() if k != "markdown"}, default=encode, indent=1))
        if not args.no_write:  # after each size, so that a failure at a later size keeps the figures so far
            write_doc(args, results)
    print()
    print("\n".join(targets(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
