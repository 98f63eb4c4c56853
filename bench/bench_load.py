"""Benchmark: the validated load (`python -m etl load`) against plain DuckDB on the same files.

    python bench/bench_load.py                 # 1,000,000 demo rows, 3 runs each, writes docs/performance.md
    python bench/bench_load.py --rows 200000 --runs 1 --no-write

Both sides run as separate processes on the same demo CSV files, alternately, from a cold
process each time, and write a DuckDB file:
- **etl**: ``python -m etl load DIR --db FILE`` (read, validate, normalise, place on admin areas,
  resolve counterparts, de-duplicate, insert into five tables, publish atomically);
- **plain**: ``read_csv`` of the same files + ``INSERT`` into one table + ``CHECKPOINT``.
Wall time is measured around each process; peak memory is the process' max RSS (``wait4``).
This is not a test: it prints its figures and records them, it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.docs import put_block  # noqa: E402 - after the path that makes `bench` importable

PLAIN = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("SET enable_progress_bar = false")
con.execute("CREATE TABLE log AS SELECT * FROM read_csv(?, union_by_name = true) LIMIT 0", [sys.argv[2]])
con.execute("INSERT INTO log BY NAME SELECT * FROM read_csv(?, union_by_name = true)", [sys.argv[2]])
con.execute("CHECKPOINT")
print(con.execute("SELECT count(*) FROM log").fetchone()[0])
con.close()
"""


def cpu_snapshot() -> tuple[float, float, float]:
    """(now, CPU seconds used on the whole machine, CPU seconds used by this script and its children)."""
    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as fh:
        f = [int(x) for x in fh.readline().split()[1:]]
    busy = (f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] if len(f) > 7 else 0)) / tick
    own = sum(getattr(resource.getrusage(who), a) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
              for a in ("ru_utime", "ru_stime"))
    return time.monotonic(), busy, own


def others_busy(start: tuple[float, float, float]) -> float:
    """Average number of cores kept busy by other processes since ``start``: both sides share the machine."""
    t1, b1, o1 = cpu_snapshot()
    t0, b0, o0 = start
    return max(0.0, (b1 - b0) - (o1 - o0)) / max(t1 - t0, 1e-9)


def run_with_rss(cmd: list[str]) -> tuple[float, float, str]:
    """Run a command in a child and return (wall seconds, peak RSS MB of that child, stdout)."""
    start = time.perf_counter()
    read_fd, write_fd = os.pipe()
    err_file = tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:  # child
        os.chdir(ROOT)
        os.close(read_fd)
        os.dup2(write_fd, 1)
        os.dup2(err_file.fileno(), 2)
        os.execvp(cmd[0], cmd)
    os.close(write_fd)
    chunks = []
    with os.fdopen(read_fd) as fh:
        chunks.append(fh.read())
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        err_file.seek(0)
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{err_file.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024, "".join(chunks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=None, help="folder for the logs and databases (default: temp)")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/performance.md")
    args = parser.parse_args()

    from etl.demo import write_demo_logs
    from etl.demo.feeds import FEED_FILES

    work = args.work or Path(tempfile.mkdtemp(prefix="bench_load_"))
    logs = work / "logs"
    print(f"Writing {args.rows:,} demo rows to {logs} ...", flush=True)
    t = time.perf_counter()
    written = write_demo_logs(logs, rows=args.rows, seed=args.seed)
    # The demo also writes public incident feeds (another loader, another table, about 1 row per 150
    # engagements): moved aside, so that both sides load the same field logs as in earlier runs.
    feeds = work / "feeds"
    feeds.mkdir(exist_ok=True)
    moved = [p.rename(feeds / p.name) for p in written if p.name in FEED_FILES]
    files = [p for p in written if p.suffix == ".csv" and p.name not in FEED_FILES]
    others = [p.name for p in written if p.suffix != ".csv" and p.name not in FEED_FILES]
    if others:  # small demos mix formats; the plain side reads CSV only, so the two would not compare
        print(f"  note: not CSV, loaded by the ETL only: {', '.join(others)}", flush=True)
    print(f"  {len(files)} CSV files, {sum(p.stat().st_size for p in files) / 1e6:.0f} MB, "
          f"in {time.perf_counter() - t:.1f} s", flush=True)

    etl_runs: list[tuple[float, float]] = []
    plain_runs: list[tuple[float, float]] = []
    loaded = plain_rows = 0
    meter = cpu_snapshot()
    for i in range(args.runs):
        for side in ("etl", "plain"):
            db = work / f"{side}.duckdb"
            for stale in work.glob(f"{side}.duckdb*"):  # the database and what lies beside it (the outbox folder)
                shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
            if side == "etl":
                wall, rss, out = run_with_rss([sys.executable, "-m", "etl", "load", str(logs), "--db", str(db),
                                               "--quiet"])
                loaded = int(next(line for line in out.splitlines() if line.startswith("Summary"))
                             .split(" rows read, ")[1].split(" loaded")[0].replace(",", ""))
                etl_runs.append((wall, rss))
            else:
                wall, rss, out = run_with_rss([sys.executable, "-c", PLAIN, str(db), str(logs / "*.csv")])
                plain_rows = int(out.strip())
                plain_runs.append((wall, rss))
            print(f"  run {i + 1} {side:<5} {wall:6.2f} s  peak {rss:6.0f} MB", flush=True)

    busy = others_busy(meter)
    etl_s = statistics.median(w for w, _ in etl_runs)
    plain_s = statistics.median(w for w, _ in plain_runs)
    etl_mb = max(m for _, m in etl_runs)
    plain_mb = max(m for _, m in plain_runs)
    ratio = etl_s / plain_s
    print()
    print(f"rows in files          {plain_rows:>12,}")
    print(f"rows loaded by the ETL {loaded:>12,}  (the rest rejected with reasons)")
    print(f"plain DuckDB           {plain_s:8.2f} s  {plain_rows / plain_s:>12,.0f} rows/s  peak {plain_mb:,.0f} MB")
    print(f"validated ETL load     {etl_s:8.2f} s  {plain_rows / etl_s:>12,.0f} rows/s  peak {etl_mb:,.0f} MB")
    print(f"ratio ETL / plain      {ratio:8.2f} x   (target <= 3x, aim 2x; peak memory target < 2 GB)")
    print(f"other work on the machine meanwhile: {busy:.2f} cores busy on average, of {os.cpu_count()}")

    if not args.no_write:
        left_out = (f"\n(the incident feed files the demo also writes, {', '.join(p.name for p in moved)}, are left "
                    "out of both sides)") if moved else ""
        contended = (": **measured under contention**; both sides are timed alternately in the same run, so the "
                     "ratio suffers less than the times") if busy >= 0.25 else ""
        section = f"""<!-- bench_load:start -->
## Loading logs (`bench/bench_load.py`)

Command: `python bench/bench_load.py --rows {args.rows} --runs {args.runs}` ({dt.date.today()},
{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, DuckDB
{__import__('duckdb').__version__}). {len(files)} demo CSV files, {plain_rows:,} rows, about 2.5% of them dirty{left_out}.
Median of {args.runs} runs, each a fresh process; peak memory is the process' maximum RSS.

| | wall time | rows/s | peak memory |
|---|---|---|---|
| plain DuckDB `read_csv` + `INSERT` (baseline, same files, same run) | {plain_s:.2f} s | {plain_rows / plain_s:,.0f} | {plain_mb:,.0f} MB |
| `python -m etl load` (validated, normalised, placed, de-duplicated) | {etl_s:.2f} s | {plain_rows / etl_s:,.0f} | {etl_mb:,.0f} MB |
| **ratio** | **{ratio:.2f}x** | | |

Other work on the machine while measuring: {busy:.2f} cores busy on average (of {os.cpu_count()}) with processes
other than the benchmark's{contended}.

Targets: validated load within 3x of the plain load (aim 2x); peak memory under 2 GB.
<!-- bench_load:end -->"""
        put_block(section, "<!-- bench_load:start -->", "<!-- bench_load:end -->")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
