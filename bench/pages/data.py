"""The database and the views to time: the demo database built with the real CLI, each page's query set
(:func:`dashboard.db.queries.page_queries`, pages from :mod:`dashboard.registry`) for each filter set."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.pages.common import ROOT

# -------------------------------------------------------------------------- building the data


def etl_fingerprint() -> str:
    """Hash of the ETL's code (demo generator included): a database built by other code is not reused."""
    import hashlib

    h = hashlib.sha256()
    for path in sorted((ROOT / "etl").rglob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def build(rows: int, seed: int, work: Path) -> dict:
    """The demo database for ``rows``/``seed``, built with the real CLI unless already there."""
    folder = work / f"demo_{rows}_seed{seed}"
    db = folder / "access.duckdb"
    marker = folder / "build.json"
    fingerprint = etl_fingerprint()
    if db.exists() and marker.exists():
        info = json.loads(marker.read_text())
        if info.get("etl") == fingerprint:
            print(f"Reusing {db} (built in {info['seconds']:.0f} s on {info['built']})", flush=True)
            return {**info, "db": str(db), "reused": True}
        print(f"The ETL or the demo generator changed since {db} was built: building it again", flush=True)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    cmd = [sys.executable, "-m", "etl", "demo", "--rows", str(rows), "--seed", str(seed), "--db", str(db),
           "--out", str(folder / "logs"), "--quiet"]
    print(f"Building the {rows:,}-row demo database: {' '.join(cmd[1:])}", flush=True)
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"demo build failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    summary = next((line for line in proc.stdout.splitlines() if line.startswith("Summary")), "")
    print(f"  built in {seconds:.0f} s. {summary}", flush=True)
    shutil.rmtree(folder / "logs", ignore_errors=True)  # the logs are only needed to build
    info = {"rows": rows, "seed": seed, "seconds": seconds, "built": dt.date.today().isoformat(), "etl": fingerprint,
            "summary": summary, "command": "python -m etl demo " + " ".join(
                str(Path(c).relative_to(ROOT)) if c.startswith(str(ROOT)) else c for c in cmd[4:])}
    marker.write_text(json.dumps(info, indent=1))
    return {**info, "db": str(db), "reused": False}


# ------------------------------------------------------------------------------------- views


def make_views(db: str) -> tuple[list[dict], dict]:
    """The page views to time: page, filters, counterpart, and the (sql, params, label) list."""
    import duckdb

    from dashboard import registry
    from dashboard.db import queries as Q
    from dashboard.db.filters import Filters, period_bounds

    con = duckdb.connect(db, read_only=True)
    first, last = con.execute(Q.DATE_BOUNDS).fetchone()
    start, end = period_bounds("365d", last, first)
    region = con.execute("SELECT region FROM engagements WHERE engagement_date BETWEEN ? AND ? AND region "
                         "IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1", [start, end]).fetchone()[0]
    cp, cp_name, cp_n = con.execute("SELECT counterpart_id, name, engagements FROM counterparts "
                                    "ORDER BY engagements DESC, counterpart_id LIMIT 1").fetchone()
    n_eng = con.execute("SELECT count(*) FROM engagements").fetchone()[0]
    n_period = con.execute("SELECT count(*) FROM engagements WHERE engagement_date BETWEEN ? AND ?",
                           [start, end]).fetchone()[0]
    con.close()
    base = Filters(start=start, end=end, period="365d")
    narrowed = Filters(start=start, end=end, period="365d", regions=(region,))
    labels = query_labels(Q, base, cp) | query_labels(Q, narrowed, cp)
    views = []
    for page in [p.key for p in registry.DATABASE_PAGES]:
        for name, f in (("12 months", base), (f"12 months, {region}", narrowed)):
            qs = Q.page_queries(page, f, cp)
            if name != "12 months" and qs == Q.page_queries(page, base, cp):
                continue  # this page does not depend on the filters
            views.append({
                "page": page, "filters": name if not registry.page(page).needs_id else f"busiest counterpart ({cp_n:,})",
                "f": {"start": f.start, "end": f.end, "regions": list(f.regions), "period": f.period},
                "counterpart_id": cp,
                "queries": [{"sql": s, "params": p,
                             "label": labels.get(_key(s, p)) or labels.get(s) or f"{page}#{i + 1}"}
                            for i, (s, p) in enumerate(qs)],
            })
    info = {"first": first, "last": last, "start": start, "end": end, "region": region, "counterpart": cp,
            "counterpart_name": cp_name, "counterpart_engagements": cp_n, "engagements": n_eng,
            "engagements_in_period": n_period}
    return views, info


def _key(sql: str, params: list[object]) -> str:
    return sql + "\x00" + json.dumps(params, default=str)


def query_labels(Q, f, cp: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """SQL text (+ parameters) -> the name of the function or constant of dashboard.db.queries (or of its
    profile_queries, conflict_queries and change_queries) behind it."""
    import inspect

    from dashboard.db import alerts, change_queries, conflict_queries, freshness_queries, profile_queries

    out: dict[str, str] = {}
    # The alerts' reads (etl/analysis/sql.py) take months, not filters: named here.
    for g in (f, f.previous()):
        for (sql, params), name in zip(alerts.trends_queries(g), ("alert_place_months()", "alert_country_months()"),
                                       strict=True):
            out.setdefault(_key(sql, params), name)
    for sql, params in alerts.profile_queries(cp, f.end):
        out.setdefault(_key(sql, params), "profile_alert_months()")
    modules = (Q.__name__, profile_queries.__name__, conflict_queries.__name__, change_queries.__name__,
               freshness_queries.__name__)
    for name, obj in [*vars(Q).items(), *vars(profile_queries).items(), *vars(conflict_queries).items(),
                      *vars(change_queries).items(), *vars(freshness_queries).items()]:
        if name.startswith("_"):
            continue
        if isinstance(obj, str) and name.isupper():
            out[obj] = name
        elif inspect.isfunction(obj) and obj.__module__ in modules and name != "page_queries":
            params = list(inspect.signature(obj).parameters)
            if params and params[0] == "counterpart_id":  # profile queries: (counterpart, the period's end)
                try:
                    sql, values = obj(cp, f.end)
                    out.setdefault(_key(sql, values), f"{name}()")
                except Exception:  # noqa: BLE001 - not this signature
                    pass
            if not params or params[0] != "f":
                continue
            for g, suffix in ((f, ""), (f.previous(), " (previous)")):
                for args in ((), ("area",), ("checkpoint",), ("counterpart",)):
                    try:
                        sql, params = obj(g, *args)
                    except Exception:  # noqa: BLE001 - not this signature
                        continue
                    out.setdefault(_key(sql, params), f"{name}({', '.join(args)}){suffix}")
    return out
