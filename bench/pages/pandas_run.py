"""The pandas baseline, run: a worker process loads the data, times every view and compares each result with
DuckDB's; :func:`time_pandas` runs it."""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
import time
from pathlib import Path

from bench.pages.common import ROOT, decode, encode, fmt_s, median, run_json
from bench.pages.pandas_pages import pd_series
from bench.pages.pandas_profile import PandasPages

# Results that are not fully determined by the data (ties broken arbitrarily): columns not compared.
UNORDERED_COLUMNS = {"recent_outcomes", "streak_from", "streak_to"}
# Queries whose ORDER BY ... LIMIT does not fully order the rows: ties at the cut are broken arbitrarily, so
# only the ranking columns are compared.
RANKED_BY = {"recurring_obstacles": ["longest_streak", "months_with_obstacle", "name"]}
# Text lists whose order is not specified (string_agg without ORDER BY): compared as sets.
SET_COLUMNS = {("PROFILE_TIMELINE", "obstacles")}
# Queries cut by a LIMIT whose ORDER BY leaves ties (query: (limit, ordering columns)): only when the cut is
# reached are the ties at it broken arbitrarily, and then only the ordering columns are compared.
CUT_TIES = {"PROFILE_INCIDENTS": (500, ["date"])}



def _normal(df):  # type: ignore[no-untyped-def]
    """A copy of a result with comparable cells: dates as ISO text, numbers as floats, missing as None."""
    import pandas as pd

    out = pd.DataFrame(index=range(len(df)))
    for col in df.columns:
        s = df[col].reset_index(drop=True)
        if pd.api.types.is_datetime64_any_dtype(s):
            s = s.dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(" 00:00:00", "", regex=False)
            out[col] = pd.Series([x if isinstance(x, str) else None for x in s.tolist()], dtype=object)
        elif pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            out[col] = pd.Series([None if pd.isna(x) else float(x) for x in s.tolist()], dtype=object)
        else:
            def cell(x):  # type: ignore[no-untyped-def]
                if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA or x is pd.NaT:
                    return None
                if isinstance(x, (pd.Timestamp, dt.date)):
                    return x.isoformat().replace("T00:00:00", "")
                if hasattr(x, "tolist"):
                    return str(x.tolist())
                return str(x) if not isinstance(x, (int, float)) else float(x)
            out[col] = pd.Series([cell(x) for x in s.tolist()], dtype=object)
    return out


def compare(label: str, mine, theirs) -> str | None:  # type: ignore[no-untyped-def]
    """None when the pandas result equals DuckDB's (rows in any order), else what differs."""
    cols = [c for c in theirs.columns if c not in UNORDERED_COLUMNS]
    cols = RANKED_BY.get(label.split("(")[0], cols)
    if label in CUT_TIES and len(theirs) >= CUT_TIES[label][0]:
        cols = CUT_TIES[label][1]
    missing = [c for c in cols if c not in mine.columns]
    if missing:
        return f"columns missing in the pandas result: {missing}"
    if len(mine) != len(theirs):
        return f"{len(mine)} rows in pandas, {len(theirs)} in DuckDB"
    a, b = _normal(mine[cols]), _normal(theirs[cols])
    for q, col in SET_COLUMNS:
        if q == label and col in cols:
            for df in (a, b):
                df[col] = pd_series([x if x is None else "; ".join(sorted(x.split("; "))) for x in df[col]])

    def key(df):  # type: ignore[no-untyped-def]
        k = df.map(lambda x: "" if x is None else (f"{x:.6g}" if isinstance(x, float) else str(x)))
        return df.loc[k.apply(tuple, axis=1).sort_values().index].reset_index(drop=True)

    a, b = key(a), key(b)
    for col in cols:
        for i, (x, y) in enumerate(zip(a[col], b[col], strict=True)):
            x, y = (None if isinstance(z, float) and math.isnan(z) else z for z in (x, y))
            if x is None and y is None:
                continue
            if isinstance(x, float) and isinstance(y, float):
                if math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9):
                    continue
            elif x == y:
                continue
            return f"column {col!r}, row {i}: pandas {x!r}, DuckDB {y!r}"
    return None


def pandas_worker(spec_path: str) -> None:
    """Child process: load into pandas, time every view, compare with DuckDB; JSON on stdout."""
    import warnings

    import duckdb

    from dashboard.db.filters import Filters

    warnings.filterwarnings("ignore", message=".*inplace keyword.*")
    spec = json.loads(Path(spec_path).read_text(), object_hook=decode)
    rss = lambda: int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) / 1024  # noqa: E731
    before = rss()
    t = time.perf_counter()
    con = duckdb.connect(spec["db"], read_only=True)
    con.execute("SET enable_progress_bar = false")
    con.execute("CREATE TEMP VIEW counterpart_profiles AS SELECT * FROM counterparts")  # the app's view, unscoped
    P = PandasPages(con)
    con.close()
    load_s = time.perf_counter() - t
    import gc

    gc.collect()
    out: dict = {"load_s": load_s, "rss_before": before, "rss_after": rss(), "frames_mb": P.memory_mb(),
                 "rows": len(P.E), "views": []}
    print(f"  pandas: loaded {len(P.E):,} engagements in {load_s:.1f} s, {out['frames_mb']:,.0f} MB in frames, "
          f"RSS +{out['rss_after'] - before:,.0f} MB", file=sys.stderr, flush=True)
    plans = []
    for v in spec["views"]:
        f = Filters(start=v["f"]["start"], end=v["f"]["end"], regions=tuple(v["f"]["regions"]),
                    period=v["f"].get("period", "365d"))
        fns = [(q["label"], P.impl(q["label"], f, v["counterpart_id"])) for q in v["queries"]]
        missing = [name for name, fn in fns if fn is None]
        if missing:
            print(f"  !!!!! no pandas version of {missing} (page {v['page']}): left out of its pandas time",
                  file=sys.stderr, flush=True)
        plans.append([(name, fn) for name, fn in fns if fn is not None])
        out["views"].append({"labels": [name for name, _ in plans[-1]], "runs": [], "missing": missing})
    results: list[list] = [[] for _ in plans]
    deadline = time.perf_counter() + spec["budget"] * len(plans)
    for r in range(spec["runs"]):  # pages in turn, as for DuckDB warm
        for i, fns in enumerate(plans):
            times, results[i] = [], []
            for _, fn in fns:
                t = time.perf_counter()
                results[i].append(fn())
                times.append(time.perf_counter() - t)
            out["views"][i]["runs"].append(times)
        if r >= 2 and time.perf_counter() > deadline:
            break
    for v, pv in zip(spec["views"], out["views"], strict=True):
        print(f"  pandas {v['page']:<13} {v['filters']:<32} {fmt_s(median([sum(r) for r in pv['runs']])):>9} "
              f"({len(pv['runs'])} runs)", file=sys.stderr, flush=True)
    out["peak_rss_before_checks"] = int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0]) / 1024
    # Same numbers? Every pandas result against DuckDB's for the same query.
    con = duckdb.connect(spec["db"], read_only=True)
    con.execute("CREATE TEMP VIEW counterpart_profiles AS SELECT * FROM counterparts")  # the app's view, unscoped
    checks = []
    for v, mine, pv in zip(spec["views"], results, out["views"], strict=True):
        sql = {q["label"]: q for q in v["queries"]}
        for name, frame in zip(pv["labels"], mine, strict=True):
            q = sql[name]
            theirs = con.execute(q["sql"], q["params"]).df()
            problem = compare(name, frame, theirs)
            checks.append({"page": v["page"], "filters": v["filters"], "query": name, "rows": len(theirs),
                           "problem": problem})
    con.close()
    out["checks"] = checks
    print(json.dumps(out, default=encode))


def time_pandas(db: str, views: list[dict], runs: int, budget: float, work: Path) -> dict:
    spec = work / "pandas_spec.json"
    spec.write_text(json.dumps({"db": db, "views": views, "runs": runs, "budget": budget}, default=encode))
    out, rss = run_json([sys.executable, str(ROOT / "bench" / "bench_pages.py"), "--worker-pandas", str(spec)])
    spec.unlink()
    out["peak_rss"] = rss
    for v, pv in zip(views, out["views"], strict=True):
        v["pandas"] = [sum(r) for r in pv["runs"]]
        v["pandas_q"] = pv["runs"]
        v["pandas_labels"] = pv["labels"]
        v["pandas_missing"] = pv["missing"]
    bad = [c for c in out["checks"] if c["problem"]]
    print(f"  checks: {len(out['checks']) - len(bad)} of {len(out['checks'])} query results identical in pandas "
          f"and DuckDB", flush=True)
    for c in bad:
        print(f"  !!!!! MISMATCH {c['page']} / {c['filters']} / {c['query']}: {c['problem']}", flush=True)
    return out
