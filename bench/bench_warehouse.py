"""Benchmark: the shared warehouse (DuckLake, catalog in PostgreSQL) against the embedded DuckDB file, same run.

    python bench/bench_warehouse.py load --rows 200000          # 1, 2, 3 offices at once; writes docs/performance.md
    python bench/bench_warehouse.py load --rows 20000 --mode split --no-write
    python bench/bench_warehouse.py pages --rows 1000000        # every page's queries, warm and cold
    python bench/bench_warehouse.py pages --rows 20000 --runs 2 --no-write

Both start a throwaway PostgreSQL 15 (:class:`etl.store.pgserver.LocalPostgres`, its own folder and port),
stopped at the end whatever happens (Ctrl+C included). ``load``: :mod:`bench.warehouse.load`; ``pages``:
:mod:`bench.warehouse.pages`. Every figure is paired with the embedded mode's in the same invocation, so
the ratios hold up better than the times on a shared machine; the machine's load is printed and recorded.
This is not a test: it prints its figures and records them, it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out" / "warehouse"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p_load = sub.add_parser("load", help="1, 2 and 3 offices loading at once against one embedded load")
    p_load.add_argument("--rows", type=int, default=200_000, help="N: demo rows (default 200,000)")
    p_load.add_argument("--offices", type=int, action="append", help="offices at once; repeat (default 1, 2, 3)")
    p_load.add_argument("--mode", choices=("split", "each"), action="append",
                        help="split: the same N rows shared among the offices; each: every office about N rows "
                             "(default both)")
    p_load.add_argument("--seed", type=int, default=7)
    p_load.add_argument("--work", type=Path, default=None, help="folder for logs, server and databases (default: "
                                                                "a temporary folder under /tmp, removed at the end)")
    p_load.add_argument("--no-write", action="store_true", help="do not update docs/performance.md")
    p_pages = sub.add_parser("pages", help="every page's queries on the warehouse against the embedded file")
    p_pages.add_argument("--rows", type=int, default=1_000_000, help="demo rows (default 1,000,000)")
    p_pages.add_argument("--seed", type=int, default=7)
    p_pages.add_argument("--runs", type=int, default=5, help="cold runs (fresh process) and warm rounds (default 5)")
    p_pages.add_argument("--query-timeout", type=float, default=60.0,
                         help="seconds after which a query is interrupted (and counted at this value)")
    p_pages.add_argument("--work", type=Path, default=OUT,
                         help=f"folder for the warehouse, kept and reused while the ETL is unchanged ({OUT}); "
                              "the embedded file is bench_pages' (bench/out/pages)")
    p_pages.add_argument("--no-write", action="store_true", help="do not update docs/performance.md")
    p_pages.add_argument("--report-only", action="store_true",
                         help="rewrite the docs from the results the last run saved in the work folder, without measuring")
    args = parser.parse_args()
    if args.what == "load":
        from bench.warehouse import load

        args.offices = args.offices or [1, 2, 3]
        args.mode = args.mode or ["split", "each"]
        if args.work is not None:
            return load.run(args)
        with tempfile.TemporaryDirectory(prefix="access-bench-warehouse-", dir="/tmp") as tmp:
            args.work = Path(tmp)
            return load.run(args)
    from bench.warehouse import pages

    return pages.run(args)


def interrupted(*_: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    # Ctrl+C, or SIGINT/SIGTERM sent to a run in the background (where SIGINT starts out ignored): the same
    # clean stop, the throwaway server included.
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the server was stopped by its context manager on the way out
        sys.exit("interrupted")
