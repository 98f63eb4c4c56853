"""Benchmark: what the per-user scope views cost, against the same page queries on the tables themselves.

    python bench/bench_scope.py --rows 1000000            # builds (or reuses) the 1M demo database
    python bench/bench_scope.py --db path/to/access.duckdb --runs 5 --no-write

Every dashboard query runs inside a user's scope (``dashboard/db/scope.py``): views named like the tables,
restricting rows to the user's regions (the region of each row decided by ``REGION_OF``) and redacting
names for ``hq``. For every page of ``dashboard.registry.DATABASE_PAGES`` (the last 12 months; the lookup page on the
busiest counterpart) this times the page's full list of queries, warm, in one process and on one
connection:

- **tables** (the baseline, same run): the queries on the tables, as ``bench_pages.py`` times them;
- **coordinator**: through the scope of a coordinator granted the busiest region;
- **hq**: through the scope of an ``hq`` user with no region granted (every row, names as codes, the most
  rewriting). The lookup page is not timed for hq: a profile opens only for counterparts in clear.

The figure is the ratio of each scope's median to the baseline's. Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.docs import put_block  # noqa: E402 - after the path that makes `bench` importable

DEFAULT_WORK = ROOT / "bench" / "out" / "pages"  # shared with bench_pages.py: the same demo databases
START, END = "<!-- bench_scope:start -->", "<!-- bench_scope:end -->"


def build(rows: int, seed: int, work: Path) -> Path:
    db = work / f"demo_{rows}_{seed}" / "access.duckdb"
    if not db.exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "etl", "demo", "--rows", str(rows), "--seed", str(seed), "--db",
                        str(db), "--out", str(db.parent / "logs"), "--quiet"], cwd=ROOT, check=True)
    return db


def time_page(cur, queries: list[tuple[str, list[object]]], runs: int) -> float:  # type: ignore[no-untyped-def]
    """Median seconds to run (and fetch into pandas) every query of one page view."""
    for sql, params in queries:  # once untimed: the data in the buffer pool, as in a running app
        cur.execute(sql, params).df()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        for sql, params in queries:
            cur.execute(sql, params).df()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path, help="an existing database instead of the demo of --rows")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/performance.md")
    args = parser.parse_args()

    from dashboard import registry
    from dashboard.db import queries as Q
    from dashboard.db.filters import Filters, period_bounds
    from dashboard.db.scope import ensure_scope
    from etl.accounts.roles import scope_for
    from etl.store.db import connect_read

    db = args.db or build(args.rows, args.seed, args.work)
    con = connect_read(db)
    raw = con.cursor()
    raw.execute("USE access")
    raw.execute("CREATE TEMP VIEW counterpart_profiles AS SELECT * FROM counterparts")  # the app's view, unscoped
    first, last = raw.execute(Q.DATE_BOUNDS).fetchone()
    start, end = period_bounds("365d", last, first)
    region = raw.execute("SELECT region FROM engagements GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
    cp = raw.execute("SELECT counterpart_id FROM counterparts WHERE region = ? ORDER BY engagements DESC, "
                     "counterpart_id LIMIT 1", [region]).fetchone()[0]
    engagements = raw.execute("SELECT count(*) FROM engagements").fetchone()[0]
    f = Filters(start=start, end=end, period="365d")
    scoped = {}
    for name, scope in (("coordinator", scope_for("coordinator", (region,))), ("hq", scope_for("hq", ()))):
        cur = con.cursor()
        cur.execute(f"SET search_path = '{ensure_scope(con, scope, 'bench-salt')}'")
        scoped[name] = cur
    rows = []
    for page in [p.key for p in registry.DATABASE_PAGES]:
        queries = Q.page_queries(page, f, cp)
        base = time_page(raw, queries, args.runs)
        coordinator = time_page(scoped["coordinator"], queries, args.runs)
        hq = time_page(scoped["hq"], queries, args.runs) if page != "counterpart" else None
        rows.append((page, base, coordinator, hq))
        print(f"{page:<13} tables {base * 1000:7.0f} ms   coordinator {coordinator * 1000:7.0f} ms "
              f"({coordinator / base:4.2f}x)   hq " + (f"{hq * 1000:7.0f} ms ({hq / base:4.2f}x)" if hq else "–"),
              flush=True)
    con.close()
    lines = [START, "",
             f"Scope views against the tables, {engagements:,} engagements ({db.name}), {args.runs} warm runs, "
             f"medians; coordinator of {region}; command: `python bench/bench_scope.py"
             + (f" --rows {args.rows}" if not args.db else " --db ...") + "`", "",
             "| page | tables | coordinator | ratio | hq | ratio |", "|---|---:|---:|---:|---:|---:|"]
    for page, base, coordinator, hq in rows:
        lines.append(f"| {page} | {base * 1000:,.0f} ms | {coordinator * 1000:,.0f} ms | {coordinator / base:.2f}x | "
                     + (f"{hq * 1000:,.0f} ms | {hq / base:.2f}x |" if hq else "– | – |"))
    lines += ["", END]
    if not args.no_write:
        put_block("\n".join(lines), START, END, heading="## Scope views\n\n")


if __name__ == "__main__":
    main()
