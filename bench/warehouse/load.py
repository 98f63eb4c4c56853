"""Load throughput: 1, 2 and 3 offices loading into one warehouse at once, against one embedded load of the
same rows in the same run (``bench/bench_warehouse.py load``).

The logs are the demo's (:func:`etl.demo.write_demo_logs`, as ``bench/bench_load.py`` makes them: its
incident feeds moved aside, so only field logs are loaded). A demo holds one log per country office;
an *office* here is a share of those files, balanced by rows, loaded by its own ``python -m etl load``
process with ``ACCESS_WAREHOUSE`` set. Two ways to share (``--mode``):

- ``split``: the same N rows split across k offices (so k offices of about N/k rows each);
- ``each``: k offices of about N rows each (the demo of k x N rows, split across k offices).

Each round: the embedded load (``python -m etl load`` of all the round's files into a fresh DuckDB file),
then a fresh warehouse (its own catalog database and data folder, ``warehouse init`` not timed) and the k
office processes started together; the round's wall time runs from the first start to the last exit.
After each load the engagements, their distinct ids and row hashes and the rejected rows are counted
against the generated files (the demo's manifest: clean rows and planted bad rows), so a failed or
doubled load cannot pass for a fast one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.bench_load import cpu_snapshot, others_busy, run_with_rss
from bench.warehouse.common import ROOT, check_counts, counts, machine_load, new_warehouse, write_section


def demo_logs(work: Path, rows: int, seed: int) -> list[dict]:
    """The demo's field logs for ``rows`` (written once per work folder), each with its manifest entry and path."""
    from etl.demo import write_demo_logs
    from etl.demo.constants import MANIFEST_NAME
    from etl.demo.feeds import FEED_FILES

    folder = work / f"logs_{rows}_seed{seed}"
    manifest = folder / MANIFEST_NAME
    if not (manifest.is_file() and json.loads(manifest.read_text())["rows_written"] == rows):
        print(f"Writing {rows:,} demo rows to {folder} ...", flush=True)
        written = write_demo_logs(folder, rows=rows, seed=seed)
        aside = folder / "feeds"  # the incident and conflict feeds: another loader, left out as bench_load does
        aside.mkdir(exist_ok=True)
        for path in written:
            if path.name in FEED_FILES or "access_log" not in path.name:
                path.rename(aside / path.name)
    files = json.loads(manifest.read_text())["files"]
    return [{**f, "path": folder / f["file"]} for f in files]


def offices(files: list[dict], k: int) -> list[list[dict]]:
    """The files shared among ``k`` offices, balanced by rows (biggest file first to the lightest office).

    >>> [[f["rows"] for f in o] for o in offices([{"rows": r} for r in (5, 4, 3, 3, 1)], 2)]
    [[5, 3], [4, 3, 1]]
    """
    shares: list[list[dict]] = [[] for _ in range(k)]
    for f in sorted(files, key=lambda f: -f["rows"]):
        min(shares, key=lambda s: sum(x["rows"] for x in s)).append(f)
    return shares


def fresh(db: Path) -> None:
    """Remove a database file and what lies beside it (its outbox folder, lock, audit trail)."""
    for stale in db.parent.glob(f"{db.stem}*"):
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()


def load_at_once(shares: list[list[dict]], wh_env: dict[str, str], work: Path) -> tuple[float, list[float]]:
    """Start one ``python -m etl load`` per office together; (wall from start to the last exit, each office's wall)."""
    procs: dict[int, tuple[int, subprocess.Popen, object, list[str]]] = {}
    start = time.perf_counter()
    walls = [0.0] * len(shares)
    failed = []
    try:
        for j, share in enumerate(shares):
            out = open(work / f"office{j + 1}.out", "w+")  # noqa: SIM115 - closed below
            cmd = [sys.executable, "-m", "etl", "load", *[str(f["path"]) for f in share],
                   "--db", str(work / f"office{j + 1}.duckdb"), "--quiet"]
            proc = subprocess.Popen(cmd, cwd=ROOT, env=wh_env, stdout=out, stderr=subprocess.STDOUT)
            procs[proc.pid] = (j, proc, out, cmd)
        while procs:
            pid, status, _ = os.wait4(-1, 0)
            if pid not in procs:
                continue
            j, proc, out, cmd = procs.pop(pid)
            proc.returncode = os.waitstatus_to_exitcode(status)
            walls[j] = time.perf_counter() - start
            if proc.returncode != 0:
                out.seek(0)
                failed.append(f"office {j + 1} failed: {' '.join(cmd[2:5])} ...\n{out.read()[-2000:]}")
            out.close()
    finally:  # interrupted: the offices still loading are stopped too (before the server is)
        for _, proc, out, _ in procs.values():
            proc.terminate()
            proc.wait()
            out.close()
    if failed:
        raise SystemExit("\n".join(failed))
    return max(walls), walls


def run(args) -> int:  # type: ignore[no-untyped-def]
    from etl.store.pgserver import LocalPostgres

    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)  # PostgreSQL runs as its own account when this is root: it must reach its folder
    plan = [(mode, k) for mode in args.mode for k in args.offices if not (mode == "each" and k == 1
                                                                          and "split" in args.mode)]
    rounds, wrong = [], []
    print(f"Machine at the start: {machine_load()}", flush=True)
    with LocalPostgres(work / "pg").running() as pg:
        for mode, k in plan:
            files = demo_logs(work, args.rows * (k if mode == "each" else 1), args.seed)
            shares = offices(files, k)
            rows = sum(f["rows"] for f in files)
            clean, dirty = sum(f["clean_rows"] for f in files), sum(f["dirty_rows"] for f in files)
            meter = cpu_snapshot()
            db = work / "embedded" / "access.duckdb"
            db.parent.mkdir(exist_ok=True)
            fresh(db)
            emb_s, emb_mb, _ = run_with_rss([sys.executable, "-m", "etl", "load", *[str(f["path"]) for f in files],
                                             "--db", str(db), "--quiet"])
            wrong += check_counts(f"embedded, {mode} {k}", counts(db), clean, dirty)
            name = f"{mode}_{k}"
            shutil.rmtree(work / name, ignore_errors=True)
            wh = new_warehouse(pg.new_database(name), work / name)
            wh_s, walls = load_at_once(shares, wh.env(), work / name)
            wrong += check_counts(f"warehouse, {mode} {k}", counts(wh), clean, dirty)
            busy = others_busy(meter)
            r = {"mode": mode, "offices": k, "rows": rows, "office_rows": [sum(f["rows"] for f in s) for s in shares],
                 "embedded_s": emb_s, "embedded_mb": emb_mb, "warehouse_s": wh_s, "office_s": walls, "busy": busy,
                 "load": machine_load()}
            rounds.append(r)
            print(f"  {mode:<5} {k} office(s), {rows:>9,} rows ({' + '.join(f'{n:,}' for n in r['office_rows'])}): "
                  f"embedded {emb_s:6.1f} s, warehouse {wh_s:6.1f} s (offices {', '.join(f'{w:.1f}' for w in walls)}"
                  f" s), ratio {wh_s / emb_s:4.2f}x; others busy {busy:.2f} cores; {r['load']}", flush=True)
    print()
    for line in table(rounds):
        print(line)
    if wrong:
        print("\nWRONG COUNTS (the figures above measure a failure; docs not written):\n  " + "\n  ".join(wrong))
        return 1
    print("\nEvery round's counts match the generated files (engagements = clean rows, no duplicate id or row "
          "hash, rejected rows = planted bad rows).")
    (work / f"load_{args.rows}.json").write_text(json.dumps(rounds, indent=1))
    if not args.no_write:
        write_section(f"bench_warehouse_load_{args.rows}", section(args, rounds))  # one section per size
    return 0


def table(rounds: list[dict]) -> list[str]:
    out = ["| offices at once | rows in all (per office) | embedded load | warehouse, all offices | warehouse rows/s "
           "| ratio warehouse / embedded | other work (cores) |",
           "|---|---|---:|---:|---:|---:|---:|"]
    for r in rounds:
        how = "the same rows split" if r["mode"] == "split" and r["offices"] > 1 else \
            "each its own" if r["mode"] == "each" else "one office"
        out.append(f"| {r['offices']} ({how}) | {r['rows']:,} ({' + '.join(f'{n:,}' for n in r['office_rows'])}) "
                   f"| {r['embedded_s']:.1f} s | {r['warehouse_s']:.1f} s "
                   f"(each {', '.join(f'{w:.1f}' for w in r['office_s'])}) | {r['rows'] / r['warehouse_s']:,.0f} "
                   f"| **{r['warehouse_s'] / r['embedded_s']:.2f}x** | {r['busy']:.2f} |")
    return out


def section(args, rounds: list[dict]) -> str:  # type: ignore[no-untyped-def]
    import duckdb

    cmd = f"python bench/bench_warehouse.py load --rows {args.rows}" + (
        f" --mode {' --mode '.join(args.mode)}" if args.mode != ["split", "each"] else "")
    return "\n".join([
        f"### Loading {args.rows:,} rows: offices at once into the warehouse (`bench/bench_warehouse.py load`)", "",
        f"Command: `{cmd}` ({dt.datetime.now().strftime('%Y-%m-%d %H:%M')}, {platform.machine()}, "
        f"{os.cpu_count()} cores shared with other work, Python {platform.python_version()}, DuckDB "
        f"{duckdb.__version__}, PostgreSQL from {__import__('etl.store.pgserver', fromlist=['x']).postgres_bin()}; "
        f"machine at the end: {machine_load()}). Demo field logs (seed {args.seed}; about 2.5% of rows planted bad "
        "and rejected), one run per round, each round on a fresh warehouse (encrypted data files, the default) "
        "and a fresh database file. *Embedded*: one `python -m etl load` of all the round's files into a "
        "DuckDB file. *Warehouse*: the demo's country logs shared among the offices (balanced by rows), one "
        "`python -m etl load` process per office with `ACCESS_WAREHOUSE` set, all started together; wall time "
        "from the first start to the last exit. *The same rows split*: the N rows shared among k offices; "
        "*each its own*: k offices of about N rows each (the demo of k x N rows). After every load the "
        "engagements, their distinct ids and row hashes, and the rejected rows were counted against the "
        "demo's manifest: all matched.", "",
        *table(rounds), ""])
