"""Every page's queries on the warehouse against the embedded file holding the same rows, same run
(``bench/bench_warehouse.py pages``).

The embedded file is ``bench_pages.py``'s demo database (:func:`bench.pages.data.build`: built with
``python -m etl demo`` unless already there for this ETL), and the views to time are its
(:func:`bench.pages.data.make_views`: every page of ``dashboard.registry`` and filter set). The warehouse
is filled by the same command with ``ACCESS_WAREHOUSE`` set (``warehouse init``, then ``python -m etl
demo`` of the same size and seed: the same log files, loaded by the same loader), kept in the work folder
and reused while the ETL's fingerprint is unchanged; the two are checked to hold the same number of rows in
every table the pages read. Each side is timed by :mod:`bench.warehouse.worker` (the app's path):

- **cold**: a fresh process and connection per page (connect included), the two sides alternately, ``--runs`` times;
- **warm**: one process and connection per side, every page once untimed, then ``--runs`` rounds.
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

from bench.pages.common import CpuMeter, decode, encode, fmt_s, median, run_json
from bench.warehouse.common import ROOT, Warehouse, machine_load, new_warehouse, write_section

EMBEDDED_WORK = ROOT / "bench" / "out" / "pages"
TARGET_S = 0.25  # the page target at 1M rows (docs/performance.md)
# Tables the pages read, counted on both sides before anything is timed.
SAME_ROWS = ("engagements", "engagement_obstacles", "engagement_conditions", "access_requests", "counterparts",
             "checkpoints", "incidents", "conflict_events", "conflict_event_counts", "engagement_months",
             "rejected_rows", "admin_areas", "countries")


def lake(pg, folder: Path, rows: int, seed: int) -> tuple[Warehouse, dict]:  # type: ignore[no-untyped-def]
    """The warehouse holding the demo of ``rows``/``seed``: built with ``python -m etl demo`` unless already there."""
    from bench.pages.data import etl_fingerprint

    marker = folder / "build.json"
    if marker.is_file():  # checked by :func:`stale` before the server started
        info = json.loads(marker.read_text())
        print(f"Reusing the warehouse in {folder} (built in {info['seconds']:.0f} s on {info['built']})", flush=True)
        return Warehouse(pg.url, folder / "lake", folder / "audit.duckdb"), {**info, "reused": True}
    wh = new_warehouse(pg.url, folder)
    cmd = [sys.executable, "-m", "etl", "demo", "--rows", str(rows), "--seed", str(seed), "--db", str(wh.audit_db),
           "--out", str(folder / "logs"), "--quiet"]
    print(f"Loading the {rows:,}-row demo into the warehouse: {' '.join(cmd[1:])}", flush=True)
    t = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=wh.env(), capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"the demo load into the warehouse failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    summary = next((line for line in done.stdout.splitlines() if line.startswith("Summary")), "")
    print(f"  loaded in {seconds:.0f} s. {summary}", flush=True)
    shutil.rmtree(folder / "logs", ignore_errors=True)
    info = {"rows": rows, "seed": seed, "seconds": seconds, "built": dt.date.today().isoformat(), "etl": etl_fingerprint(),
            "summary": summary, "load": machine_load()}
    marker.write_text(json.dumps(info, indent=1))
    return wh, {**info, "reused": False}


def clear_if_stale(folder: Path) -> None:
    """Remove a warehouse folder built by other ETL code, or whose build did not finish (no marker)."""
    from bench.pages.data import etl_fingerprint

    marker = folder / "build.json"
    if marker.is_file() and json.loads(marker.read_text())["etl"] == etl_fingerprint():
        return
    if folder.exists():
        print(f"{folder} was built by other ETL code or not finished: building it again", flush=True)
        shutil.rmtree(folder)


def same_rows(db: Path, wh: Warehouse, counterpart: str) -> list[str]:
    """What differs between the file and the warehouse: row counts of :data:`SAME_ROWS`, the busiest counterpart."""
    import duckdb

    from etl.store import warehouse

    file_con = duckdb.connect(str(db), read_only=True)
    wrong = []
    try:
        with warehouse.reading(wh.settings()) as lake_con:
            for table in SAME_ROWS:
                sql = f"SELECT count(*) FROM {table}"  # noqa: S608 - table names are constants
                a, b = file_con.execute(sql).fetchone()[0], lake_con.execute(sql).fetchone()[0]
                if a != b:
                    wrong.append(f"{table}: {a:,} rows in the file, {b:,} in the warehouse")
            sql = "SELECT name, engagements FROM counterparts WHERE counterpart_id = ?"
            a, b = file_con.execute(sql, [counterpart]).fetchall(), lake_con.execute(sql, [counterpart]).fetchall()
            if a != b:
                wrong.append(f"counterpart {counterpart}: {a} in the file, {b} in the warehouse")
    finally:
        file_con.close()
    return wrong


def worker(spec_path: Path, spec: dict, mode: str) -> dict:
    fd = os.open(spec_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds the catalog's URL (a password)
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(spec, default=encode))
    out, _ = run_json([sys.executable, "-m", "bench.warehouse.worker", str(spec_path), mode])
    return out


def run(args) -> int:  # type: ignore[no-untyped-def]
    from bench.pages.data import build, make_views
    from etl.store.pgserver import LocalPostgres

    if args.report_only:  # the docs from the results an earlier run saved
        res = json.loads((args.work / f"pages_{args.rows}.json").read_text(), object_hook=decode)
        lines = report(res, args.query_timeout)
        print("\n".join(lines))
        write_section("bench_warehouse_pages", section(res, lines))
        return 0
    print(f"Machine at the start: {machine_load()}", flush=True)
    emb = build(args.rows, args.seed, EMBEDDED_WORK)
    db = Path(emb["db"])
    views, info = make_views(str(db))
    print(f"{len(views)} views; filters {info['start']} to {info['end']}, region {info['region']}", flush=True)
    folder = args.work / f"demo_{args.rows}_seed{args.seed}"
    clear_if_stale(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for parent in (args.work, folder):
        parent.chmod(0o755)  # PostgreSQL runs as its own account when this is root: it must reach its folder
    with LocalPostgres(folder / "pg").running() as pg:
        wh, built = lake(pg, folder, args.rows, args.seed)
        wrong = same_rows(db, wh, info["counterpart"])
        if wrong:
            print("THE FILE AND THE WAREHOUSE DIFFER (figures not comparable; docs not written):\n  "
                  + "\n  ".join(wrong))
            return 1
        print("The file and the warehouse hold the same rows in every table the pages read.", flush=True)
        sides = {"file": {"db": str(db), "warehouse": None, "data": None},
                 "warehouse": {"db": str(wh.audit_db), "warehouse": wh.url, "data": str(wh.data)}}
        spec = args.work / "spec.json"
        meter = CpuMeter()
        for v in views:
            v["cold"] = {s: [] for s in sides}
            v["connect"] = {s: [] for s in sides}
            v["cold_q"] = {s: [] for s in sides}
        for r in range(args.runs):
            for v in views:
                for side, where in sides.items():
                    out = worker(spec, {**where, "views": [v["queries"]], "timeout": args.query_timeout}, "cold")
                    q = out["runs"]["0"][0]
                    v["cold_q"][side].append(q)
                    v["connect"][side].append(out["connect"])
                    v["cold"][side].append(out["connect"] + sum(args.query_timeout if x is None else x for x in q))
            print(f"  cold run {r + 1}/{args.runs} done ({machine_load()})", flush=True)
        for side, where in sides.items():
            out = worker(spec, {**where, "views": [v["queries"] for v in views], "timeout": args.query_timeout,
                                "runs": args.runs, "catalog": side == "warehouse"}, "warm")
            for i, v in enumerate(views):
                if side == "warehouse":
                    v["catalog"] = out["catalog"][str(i)]
                v.setdefault("warm_q", {})[side] = out["runs"][str(i)]
                v.setdefault("warm", {})[side] = [sum(args.query_timeout if x is None else x for x in q)
                                                  for q in out["runs"][str(i)]]
            print(f"  warm {side} done ({machine_load()})", flush=True)
        spec.unlink()
    busy = meter.others()[1]
    res = {"rows": args.rows, "views": views, "info": info, "embedded_build": emb, "warehouse_build": built,
           "busy": busy, "load": machine_load(), "when": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
           "command": f"python bench/bench_warehouse.py pages --rows {args.rows} --runs {args.runs}"}
    lines = report(res, args.query_timeout)
    print()
    print("\n".join(lines))
    (args.work / f"pages_{args.rows}.json").write_text(json.dumps(res, default=encode, indent=1))
    if not args.no_write:
        write_section("bench_warehouse_pages", section(res, lines))
    return 0


def q_median(runs: list[list[float | None]], j: int, timeout: float) -> float:
    return median([timeout if r[j] is None else r[j] for r in runs])


def report(res: dict, timeout: float) -> list[str]:
    """The table (per page and filter set) and, for warehouse pages over the target, the queries that dominate."""
    views = res["views"]
    out = ["| page | filters | queries | file cold | warehouse cold | ratio | file warm | warehouse warm | ratio "
           "| catalog queries, warm (their time) |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for v in views:
        fc, wc = median(v["cold"]["file"]), median(v["cold"]["warehouse"])
        fw, ww = median(v["warm"]["file"]), median(v["warm"]["warehouse"])
        cat = f"{v['catalog'][0]} ({v['catalog'][1]:,.0f} ms)" if "catalog" in v else "–"
        out.append(f"| {v['page']} | {v['filters']} | {len(v['queries'])} | {fmt_s(fc)} | {fmt_s(wc)} | {wc / fc:.1f}x "
                   f"| {fmt_s(fw)} | {fmt_s(ww)} | {ww / fw:.1f}x | {cat} |")
    every = [x for v in views for x in v["connect"]["file"]]
    lake_c = [x for v in views for x in v["connect"]["warehouse"]]
    cold = {s: median([median(v["cold"][s]) for v in views]) for s in ("file", "warehouse")}
    warm = {s: median([median(v["warm"][s]) for v in views]) for s in ("file", "warehouse")}
    out += ["", f"Median over the pages: cold {fmt_s(cold['file'])} on the file, {fmt_s(cold['warehouse'])} on the "
                f"warehouse ({cold['warehouse'] / cold['file']:.1f}x); warm {fmt_s(warm['file'])} and "
                f"{fmt_s(warm['warehouse'])} ({warm['warehouse'] / warm['file']:.1f}x). Connect (in the cold "
                f"figures): {fmt_s(median(every))} on the file, {fmt_s(median(lake_c))} on the warehouse (median)."]
    over = [v for v in views if median(v["warm"]["warehouse"]) > TARGET_S or median(v["cold"]["warehouse"]) > TARGET_S]
    if over:
        out += ["", f"Pages over {TARGET_S * 1000:.0f} ms on the warehouse, and their three slowest queries "
                    "(warehouse warm / cold median; the file's warm median in brackets):"]
        for v in over:
            qs = sorted(((q_median(v["warm_q"]["warehouse"], j, timeout), q_median(v["cold_q"]["warehouse"], j, timeout),
                          q_median(v["warm_q"]["file"], j, timeout), q["label"]) for j, q in enumerate(v["queries"])),
                        reverse=True)[:3]
            out.append(f"- {v['page']} ({v['filters']}, {len(v['queries'])} queries): " + "; ".join(
                f"`{label}` {fmt_s(w)} / {fmt_s(c)} ({fmt_s(f)})" for w, c, f, label in qs))
    return out


def section(res: dict, lines: list[str]) -> str:
    import duckdb

    emb, built = res["embedded_build"], res["warehouse_build"]
    info = res["info"]
    return "\n".join([
        "### Pages: every page's queries on the warehouse (`bench/bench_warehouse.py pages`)", "",
        f"Command: `{res['command']}` ({res['when']}, {platform.machine()}, {os.cpu_count()} cores shared with "
        f"other work, Python {platform.python_version()}, DuckDB {duckdb.__version__}; other processes kept "
        f"{res['busy']:.2f} cores busy on average; machine at the end: {res['load']}). The embedded file is "
        f"`bench_pages.py`'s {res['rows']:,}-row demo ({emb['summary'].removeprefix('Summary: ').rstrip('.')}); the warehouse "
        f"holds the same: `python -m etl demo` of the same size and seed with `ACCESS_WAREHOUSE` set "
        f"({built['seconds']:.0f} s to load into the warehouse, against {emb['seconds']:.0f} s into the file when "
        "each was built, not in the same run), checked to have the same row count in every table the pages read. "
        f"Filters: the last 12 months ({info['start']} to {info['end']}), and the same narrowed to "
        f"{info['region']}. Both sides are read the app's way: `etl/store/reader.py` (the warehouse pinned at its "
        "latest snapshot), the scoped views of `hq` granted every region (`*`: the scope that may open every page; "
        "names and notes in clear), each query on a cursor, fetched into pandas. **Cold**: a fresh process and connection for the page (connect included: ATTACH, "
        "the catalog asked for the latest snapshot, the salt, the scope's views), the two sides alternately. "
        "**Warm**: one connection per side, the page run again and again. Medians.", "",
        *lines, ""])
