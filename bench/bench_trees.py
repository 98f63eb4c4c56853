"""Benchmark: this checkout against another one (an earlier release) on the same files, in the same run.

    git worktree add /tmp/before 8c9ea23
    python bench/bench_trees.py --other /tmp/before --rows 200000 --db bench/out/pages/demo_1000000_7/access.duckdb

Two figures, each side in turn (A B A B ...) so that a drift of the machine hits both:
- **load**: ``python -m etl load`` of the same demo logs into a new database, as a whole process
  (wall seconds; the logs are written once, by this checkout's generator, before any run);
- **pages**: every page's query set (the registry's pages; ``page_queries``) through the scope views of
  a coordinator and of hq, on a copy of ``--db`` (upgraded in place for the side that needs a newer
  schema), warm, median of ``--runs`` runs.
Each side imports only its own tree (the editable install's finder is switched off in the child).
This is not a test: it prints its figures, it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Run in the child, with sys.path[0] = the tree: only that tree's etl and dashboard are importable.
ISOLATE = ("import sys; sys.meta_path = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]; "
           "sys.path.insert(0, sys.argv[1]); import etl; assert etl.__file__.startswith(sys.argv[1]), etl.__file__; ")
LOAD = ISOLATE + """
try:
    from etl.cli.main import main
except ImportError:  # a release before the re-layout
    from etl.cli import main
sys.exit(main(["load", sys.argv[2], "--db", sys.argv[3], "--quiet"]))
"""
PAGES = ISOLATE + """
import datetime as dt, json, statistics, time
from pathlib import Path
try:
    from dashboard import registry
    from dashboard.db import queries as Q
    from dashboard.db.filters import Filters
    from dashboard.db.scope import ensure_scope
    from etl.accounts.roles import scope_for
    from etl.store.db import connect_read
    pages = [p.key for p in registry.DATABASE_PAGES]
except ImportError:  # a release before the re-layout
    from dashboard import queries as Q
    from dashboard.filters import Filters
    from dashboard.scope import ensure_scope
    from etl.db import connect_read
    from etl.roles import scope_for
    pages = list(Q.PAGES)
con = connect_read(Path(sys.argv[2]))
last = con.execute("SELECT max(engagement_date) FROM engagements").fetchone()[0]
f = Filters(start=last - dt.timedelta(days=364), end=last)
region = con.execute("SELECT region FROM engagements GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
cp = con.execute("SELECT counterpart_id FROM counterparts WHERE region = ? ORDER BY engagements DESC LIMIT 1",
                 [region]).fetchone()[0]
out = {}
for role, regions in (("coordinator", (region,)), ("hq", ())):
    path = ensure_scope(con, scope_for(role, regions), "bench-salt")
    for page in pages:
        if role == "hq" and page == "counterpart":
            continue  # hq opens no profile outside its granted regions
        cur = con.cursor()
        cur.execute(f"SET search_path = '{path}'")
        times = []
        for i in range(int(sys.argv[3]) + 1):
            t = time.perf_counter()
            for sql, params in Q.page_queries(page, f, cp):
                cur.execute(sql, params).df()
            if i:  # the first run warms the caches
                times.append(time.perf_counter() - t)
        cur.close()
        out[f"{page} ({role})"] = statistics.median(times)
print(json.dumps(out))
"""


def run_load(tree: Path, logs: Path, work: Path) -> float:
    db = work / f"{tree.name}.duckdb"
    for stale in work.glob(f"{tree.name}.*"):
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", LOAD, str(tree), str(logs), str(db)], cwd=tree, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def run_pages(tree: Path, db: Path, runs: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", PAGES, str(tree), str(db), str(runs)], cwd=tree, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--other", type=Path, required=True, help="the other checkout (e.g. a git worktree)")
    parser.add_argument("--rows", type=int, default=200_000, help="demo rows for the load figure")
    parser.add_argument("--loads", type=int, default=4, help="load runs per side")
    parser.add_argument("--db", type=Path, help="a database for the page figures (copied, never changed)")
    parser.add_argument("--runs", type=int, default=5, help="warm runs per page")
    parser.add_argument("--rounds", type=int, default=2, help="page rounds per side")
    args = parser.parse_args()
    trees = {"this": ROOT, "other": args.other.resolve()}
    work = Path(tempfile.mkdtemp(prefix="bench_trees_"))
    sys.path.insert(0, str(ROOT))
    from etl.demo import write_demo_logs

    logs = work / "logs"
    write_demo_logs(logs, rows=args.rows, seed=7)
    loads: dict[str, list[float]] = {side: [] for side in trees}
    for _ in range(args.loads):
        for side, tree in trees.items():
            loads[side].append(run_load(tree, logs, work))
    print(f"load of {args.rows:,} demo rows, wall seconds (median of {args.loads}):")
    for side in trees:
        print(f"  {side:6} {statistics.median(loads[side]):7.2f}  runs {[round(x, 2) for x in loads[side]]}")
    ratio = statistics.median(a / b for a, b in zip(loads["this"], loads["other"], strict=True))
    print(f"  this/other, pair by pair, median: {ratio:.3f}")
    if not args.db:
        return
    dbs = {}
    for side, tree in trees.items():
        dbs[side] = work / f"pages-{side}.duckdb"
        shutil.copy(args.db, dbs[side])
        # The side whose schema is newer upgrades its copy; an older side reads the file as it was.
        subprocess.run([sys.executable, "-c", ISOLATE + "from etl.cli.main import main; sys.exit(main("
                        "['upgrade', '--db', sys.argv[2]]))", str(tree), str(dbs[side])], cwd=tree,
                       capture_output=True, text=True)
    pages: dict[str, list[dict[str, float]]] = {side: [] for side in trees}
    for _ in range(args.rounds):
        for side, tree in trees.items():
            pages[side].append(run_pages(tree, dbs[side], args.runs))
    print(f"\npage query sets, warm, median ms ({args.runs} runs x {args.rounds} rounds):")
    print(f"  {'page (role)':28} {'this':>8} {'other':>8} {'this/other':>10}")
    for key in pages["this"][0]:
        a = statistics.median(r[key] for r in pages["this"]) * 1000
        b = statistics.median(r[key] for r in pages["other"]) * 1000
        print(f"  {key:28} {a:8.0f} {b:8.0f} {a / b:10.2f}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
