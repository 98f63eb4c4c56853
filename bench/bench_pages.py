"""Benchmark: every dashboard page's queries in DuckDB, against the same aggregates in pandas; app memory.

    python bench/bench_pages.py --rows 1000000                        # 20 runs, writes docs/performance.md
    python bench/bench_pages.py --rows 1000000 --rows 10000000
    python bench/bench_pages.py --rows 200000 --runs 3 --no-app --no-write

For each size the demo database is built with the real CLI (``python -m etl demo``) into the work
folder (default ``bench/out/pages``, git-ignored) and reused on later runs with the same size and seed.
Then, for every page of ``dashboard.db.queries.PAGES`` and each filter set (the last 12 months of data;
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
import math
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_WORK = ROOT / "bench" / "out" / "pages"
DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- bench_pages:start -->", "<!-- bench_pages:end -->"
# Targets from the issue.
TARGET_MEDIAN_S = {1_000_000: 0.25, 10_000_000: 2.0}
TARGET_APP_MB = 1536  # 1.5 GB, at 10M rows
TARGET_DRAW_S = 2.0  # at 1M rows
# Results that are not fully determined by the data (ties broken arbitrarily): columns not compared.
UNORDERED_COLUMNS = {"recent_outcomes", "streak_from", "streak_to"}
# Queries whose ORDER BY ... LIMIT does not fully order the rows: ties at the cut are broken arbitrarily, so
# only the ranking columns are compared.
RANKED_BY = {"recurring_obstacles": ["longest_streak", "months_with_obstacle", "name"]}
# Text lists whose order is not specified (string_agg without ORDER BY): compared as sets.
SET_COLUMNS = {("PROFILE_TIMELINE", "obstacles")}
TIMELINE_ROWS = 1_000  # dashboard.db.queries.TIMELINE_ROWS: the profile shows the latest ones
# Queries cut by a LIMIT whose ORDER BY leaves ties (query: (limit, ordering columns)): only when the cut is
# reached are the ties at it broken arbitrarily, and then only the ordering columns are compared.
CUT_TIES = {"PROFILE_INCIDENTS": (500, ["date"])}


# ------------------------------------------------------------------------------------ helpers


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else math.nan


def p95(xs: list[float]) -> float:
    """Nearest-rank 95th percentile (the maximum when there are fewer than 20 values)."""
    if not xs:
        return math.nan
    s = sorted(xs)
    return s[max(0, math.ceil(0.95 * len(s)) - 1)]


def fmt_s(x: float) -> str:
    if x is None or math.isnan(x):
        return "–"
    return f"{x * 1000:,.0f} ms" if x < 10 else f"{x:,.1f} s"


def encode(obj: object) -> object:
    if isinstance(obj, dt.date):
        return {"__date__": obj.isoformat()}
    if isinstance(obj, set):
        return sorted(obj)
    raise TypeError(type(obj))


def decode(obj: dict) -> object:
    return dt.date.fromisoformat(obj["__date__"]) if "__date__" in obj else obj


def run_json(cmd: list[str]) -> tuple[dict, float]:
    """Run a worker process (its stderr shown as it comes); return its JSON output and its peak RSS in MB."""
    sys.stdout.flush()
    sys.stderr.flush()
    out = tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:  # child
        os.chdir(ROOT)
        os.dup2(out.fileno(), 1)
        os.execvp(cmd[0], cmd)
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"worker failed (exit {os.waitstatus_to_exitcode(status)}): {' '.join(cmd)[:200]}")
    out.seek(0)
    return json.loads(out.read().decode(), object_hook=decode), usage.ru_maxrss / 1024


class CpuMeter:
    """CPU seconds used on the machine by others than this script (and its children) during a phase."""

    def __init__(self) -> None:
        self.tick = os.sysconf("SC_CLK_TCK")
        self.start = self._snap()

    def _snap(self) -> tuple[float, float, float]:
        with open("/proc/stat") as fh:
            f = [int(x) for x in fh.readline().split()[1:]]
        busy = (f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] if len(f) > 7 else 0)) / self.tick
        own = sum(getattr(resource.getrusage(w), a) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                  for a in ("ru_utime", "ru_stime"))
        return time.monotonic(), busy, own

    def others(self) -> tuple[float, float]:
        """(seconds elapsed, average number of cores busy with other work)."""
        t1, b1, o1 = self._snap()
        t0, b0, o0 = self.start
        wall = max(t1 - t0, 1e-9)
        return wall, max(0.0, (b1 - b0) - (o1 - o0)) / wall


# -------------------------------------------------------------------------- building the data


def etl_fingerprint() -> str:
    """Hash of the ETL's code (demo generator included): a database built by other code is not reused."""
    import hashlib

    h = hashlib.sha256()
    for path in sorted((ROOT / "etl").rglob("*.py")):  # subpackages too (etl/demo/ is the generator)
        h.update(path.relative_to(ROOT / "etl").as_posix().encode() + b"\0" + path.read_bytes())
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
    for page in Q.PAGES:
        for name, f in (("12 months", base), (f"12 months, {region}", narrowed)):
            qs = Q.page_queries(page, f, cp)
            if name != "12 months" and qs == Q.page_queries(page, base, cp):
                continue  # this page does not depend on the filters
            views.append({
                "page": page, "filters": name if page != "counterpart" else f"busiest counterpart ({cp_n:,})",
                "f": {"start": f.start, "end": f.end, "regions": list(f.regions)}, "counterpart_id": cp,
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
    """SQL text (+ parameters) -> the name of the function or constant of dashboard.db.queries behind it."""
    import inspect

    out: dict[str, str] = {}
    for name, obj in vars(Q).items():
        if name.startswith("_"):
            continue
        if isinstance(obj, str) and name.isupper():
            out[obj] = name
        elif inspect.isfunction(obj) and obj.__module__ == Q.__name__ and name != "page_queries":
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
con.execute("CREATE TEMP VIEW counterpart_profiles AS SELECT * FROM counterparts")  # the app's scoped view, unscoped
connect = time.perf_counter() - t
skip = {int(k): set(v) for k, v in spec["skip"].items()}  # view -> queries known to exceed the timeout

def page(i):
    times = []
    for j, q in enumerate(spec["views"][i]):
        if j in skip.setdefault(i, set()):
            times.append(None)
            continue
        cur = con.cursor()
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


# --------------------------------------------------------------------- the pandas baseline

LOAD_ENGAGEMENTS = """
SELECT e.engagement_id, e.request_id, e.engagement_date, e.counterpart_id, e.checkpoint_id, e.location, e.iso3,
       e.admin1_pcode, e.region, e.organisation, e.activity, e.channel, e.intermediary, e.outcome,
       e.days_to_resolution, e.follow_up_due, e.people_targeted, e.people_reached, e.notes,
       c.name AS counterpart_name, c.counterpart_type, k.name AS checkpoint_name, a.name AS area_name
FROM engagements e JOIN counterparts c USING (counterpart_id)
LEFT JOIN checkpoints k ON k.checkpoint_id = e.checkpoint_id
LEFT JOIN admin_areas a ON a.pcode = e.admin1_pcode
"""
# Columns of an engagement copied onto its obstacle and condition rows, so those can be filtered alone.
FILTER_COLUMNS = ["engagement_id", "engagement_date", "month", "region", "iso3", "admin1_pcode", "activity",
                  "organisation", "checkpoint_id", "outcome", "granted"]
SMALL_TABLES = {
    "counterparts": "SELECT * FROM counterparts", "aliases": "SELECT * FROM counterpart_aliases",
    "review": "SELECT * FROM counterpart_review", "checkpoints": "SELECT * FROM checkpoints",
    "areas": "SELECT * FROM admin_areas", "countries": "SELECT * FROM countries",
    "vocabulary": "SELECT * FROM vocabulary", "categories": "SELECT * FROM obstacle_categories",
    "loads": "SELECT * FROM loads",
    "rejected": "SELECT load_id, source_file, sheet, row_number, column_name, value, reason_code, reason "
                "FROM rejected_rows",
    # Public incident feeds: small (one row per incident, ~1 per 150 engagements in the demo).
    "incidents": "SELECT incident_id, source, source_id, incident_date, date_precision, iso3, admin1_name, place, "
                 "latitude, longitude, perpetrator_type, perpetrator_name, perpetrator_key, means_of_attack, "
                 "killed, injured, kidnapped, detained, admin1_pcode, duplicate_of FROM incidents",
    # Merge decisions: the review list and a counterpart's incidents follow them.
    "decisions": "SELECT decision_id, action, active, counterpart_id_a, counterpart_id_b, name_key_b, result_id "
                 "FROM counterpart_decisions",
}


class PandasPages:
    """The dashboard's aggregates computed with pandas on DataFrames held in memory."""

    GRANTED = ("granted", "granted_with_conditions", "partially_granted")

    def __init__(self, con) -> None:  # type: ignore[no-untyped-def]
        import numpy as np

        self.np = np
        E = con.execute(LOAD_ENGAGEMENTS).df()
        E["granted"] = E["outcome"].isin(self.GRANTED)
        E["denied"] = E["outcome"].eq("denied")
        E["month"] = E["engagement_date"].values.astype("datetime64[M]").astype(E["engagement_date"].dtype)
        ob = con.execute("SELECT e.engagement_id, o.category, o.raw_label FROM engagement_obstacles o "
                         "JOIN engagements e USING (engagement_key)").df()
        E["n_obstacles"] = E["engagement_id"].map(ob.groupby("engagement_id").size()).fillna(0).astype("int64")
        self.OB = ob.merge(E[FILTER_COLUMNS], on="engagement_id")
        C = con.execute("SELECT e.engagement_id, c.condition FROM engagement_conditions c "
                        "JOIN engagements e USING (engagement_key)").df()
        self.CO = C.merge(E[FILTER_COLUMNS], on="engagement_id")
        self.E = E
        self.t = {name: con.execute(sql).df() for name, sql in SMALL_TABLES.items()}
        v = self.t["vocabulary"]
        self.labels = {voc: dict(zip(g["code"], g["label"], strict=True)) for voc, g in v.groupby("vocabulary")}
        self.cp = self.t["counterparts"].set_index("counterpart_id")
        self.ck = self.t["checkpoints"].set_index("checkpoint_id")
        self.area_name = self.t["areas"].set_index("pcode")["name"]
        cat = self.t["categories"].set_index("category")
        self.cat_name, self.cat_number = cat["name"], cat["number"]
        inc = self.t["incidents"]
        # The region an incident counts under: its country's, "Other" when the country has none.
        inc["region"] = inc["iso3"].map(self.t["countries"].set_index("iso3")["region"]).fillna("Other")
        inc["perpetrator_label"] = self.label("perpetrator_type", inc["perpetrator_type"]).fillna(
            inc["perpetrator_type"])
        self.I = inc

    def memory_mb(self) -> float:
        frames = [self.E, self.OB, self.CO, *self.t.values()]
        return sum(int(df.memory_usage(deep=True).sum()) for df in frames) / 2**20

    # ------------------------------------------------------------------ shared pieces

    def mask(self, df, f, dates: bool = True):  # type: ignore[no-untyped-def]
        import pandas as pd

        m = self.np.ones(len(df), dtype=bool)
        if dates:
            d = df["engagement_date"]
            m &= ((d >= pd.Timestamp(f.start)) & (d <= pd.Timestamp(f.end))).to_numpy()
        for column, values in (("region", f.regions), ("iso3", f.countries), ("admin1_pcode", f.areas),
                               ("activity", f.activities), ("organisation", f.organisations)):
            if values:
                m &= df[column].isin(values).to_numpy()
        if f.checkpoint:
            m &= (df["checkpoint_id"] == f.checkpoint).to_numpy()
        return m

    def compare_rows(self, f):  # type: ignore[no-untyped-def]
        """Rows of the current and previous period (other filters applied), and the ``cur`` flag."""
        import pandas as pd

        prev = f.previous()
        d = self.E["engagement_date"]
        m = self.mask(self.E, f, dates=False) & ((d >= pd.Timestamp(prev.start)) & (d <= pd.Timestamp(f.end))
                                                 ).to_numpy()
        e = self.E[m]
        return e, (e["engagement_date"] >= pd.Timestamp(f.start)).to_numpy()

    def label(self, vocabulary: str, codes, default=None):  # type: ignore[no-untyped-def]
        out = codes.map(self.labels.get(vocabulary, {}))
        return out if default is None else out.fillna(default)

    @staticmethod
    def top(df, by, ascending, limit=None):  # type: ignore[no-untyped-def]
        out = df.sort_values(by, ascending=ascending, kind="stable")
        return (out.head(limit) if limit else out).reset_index(drop=True)

    # ------------------------------------------------------------------ trends

    def headline(self, f):  # type: ignore[no-untyped-def]
        import pandas as pd

        e = self.E[self.mask(self.E, f)]
        r = (e.sort_values("engagement_date", kind="stable").groupby("request_id", sort=False)
             .agg(final=("outcome", "last"), targeted=("people_targeted", "max"), reached=("people_reached", "max")))
        gap = (r["targeted"].fillna(0) - r["reached"].fillna(0)).clip(lower=0)
        return pd.DataFrame([{
            "engagements": len(e), "requests": len(r), "share_granted": e["granted"].mean(),
            "share_denied": e["denied"].mean(), "median_days": e["days_to_resolution"].median(),
            "people_reached": r["reached"].sum(), "people_without_access": gap[r["final"] != "granted"].sum()}])

    def monthly_outcomes(self, f):  # type: ignore[no-untyped-def]
        e = self.E[self.mask(self.E, f)]
        return e.groupby(["month", "outcome"]).size().rename("engagements").reset_index()

    def by_region(self, f):  # type: ignore[no-untyped-def]
        e, cur = self.compare_rows(f)
        g = e[["granted", "denied", "days_to_resolution"]].assign(region=e["region"].fillna("Other"))
        now = g[cur].groupby("region").agg(engagements=("granted", "size"), share_granted=("granted", "mean"),
                                           share_denied=("denied", "mean"),
                                           median_days=("days_to_resolution", "median"))
        before = g[~cur].groupby("region").agg(share_denied_before=("denied", "mean"),
                                               engagements_before=("denied", "size"))
        out = now.join(before, how="left")
        out["engagements_before"] = out["engagements_before"].fillna(0).astype("int64")
        out = out.reset_index()[["region", "engagements", "share_granted", "share_denied", "share_denied_before",
                                 "median_days", "engagements_before"]]
        return self.top(out, "engagements", False)

    def denial_changes(self, f, min_engagements: int = 10, limit: int = 10):  # type: ignore[no-untyped-def]
        """The three levels of :meth:`denial_change` in one table, as ``queries.denial_changes`` returns it."""
        import pandas as pd

        parts = [self.denial_change(f, level, min_engagements, limit).assign(level=level)
                 for level in ("area", "checkpoint", "counterpart")]
        out = pd.concat(parts, ignore_index=True)
        return out[["level", "key", "name", "engagements", "engagements_before", "share_denied",
                    "share_denied_before", "change"]]

    def denial_change(self, f, level: str, min_engagements: int = 10, limit: int = 10):  # type: ignore[no-untyped-def]
        key = {"area": "admin1_pcode", "checkpoint": "checkpoint_id", "counterpart": "counterpart_id"}[level]
        e, cur = self.compare_rows(f)
        keep = e[key].notna().to_numpy()
        g = e.loc[keep, [key, "denied"]].assign(cur=cur[keep])
        s = g.groupby([key, "cur"])["denied"].agg(["size", "mean"]).unstack("cur")
        s = s.reindex(columns=[(a, b) for a in ("size", "mean") for b in (True, False)])
        out = s.set_axis(["engagements", "engagements_before", "share_denied", "share_denied_before"], axis=1)
        out[["engagements", "engagements_before"]] = out[["engagements", "engagements_before"]].fillna(0)
        out = out[(out["engagements"] >= min_engagements) & (out["engagements_before"] >= min_engagements)]
        out = out.rename_axis("key").reset_index()
        out["change"] = out["share_denied"] - out["share_denied_before"]
        table = {"area": self.t["areas"].set_index("pcode"), "checkpoint": self.ck, "counterpart": self.cp}[level]
        out["name"] = out["key"].map(table["name"] + " (" + table["iso3"] + ")")
        out = out.assign(_abs=out["change"].abs())
        out = self.top(out, ["_abs", "key"], [False, True], limit)
        return out[["key", "name", "engagements", "engagements_before", "share_denied", "share_denied_before",
                    "change"]]

    # ------------------------------------------------------------------ map

    def area_shapes(self, f):  # type: ignore[no-untyped-def]
        a = self.t["areas"]
        a = a[a["level"].isin((0, 1))][["pcode", "name", "iso3", "level", "geometry"]]
        return self.top(a, ["level", "pcode"], True)

    def area_measures(self, f):  # type: ignore[no-untyped-def]
        e = self.E[self.mask(self.E, f) & self.E["admin1_pcode"].notna().to_numpy()]
        out = e.groupby("admin1_pcode").agg(engagements=("denied", "size"), share_denied=("denied", "mean"),
                                             median_days=("days_to_resolution", "median"),
                                             n=("n_obstacles", "sum"))
        out["obstacles_per_engagement"] = out.pop("n") / out["engagements"]
        return out.rename_axis("pcode").reset_index()

    def checkpoint_points(self, f):  # type: ignore[no-untyped-def]
        e = self.E[self.mask(self.E, f) & self.E["checkpoint_id"].notna().to_numpy()]
        g = e.groupby("checkpoint_id").agg(engagements=("denied", "size"), share_denied=("denied", "mean"))
        recent = (e.sort_values("engagement_date", ascending=False, kind="stable").groupby("checkpoint_id")
                  .head(5).groupby("checkpoint_id")["outcome"].agg(list))
        k = self.ck.loc[g.index]
        out = g.assign(name=k["name"], latitude=k["latitude"], longitude=k["longitude"], iso3=k["iso3"],
                       controlled_by=k["controlling_counterpart_id"].map(self.cp["name"]), recent_outcomes=recent)
        out = out[out["latitude"].notna()].rename_axis("checkpoint_id").reset_index()
        out = out[["checkpoint_id", "name", "latitude", "longitude", "iso3", "controlled_by", "engagements",
                   "share_denied", "recent_outcomes"]]
        return self.top(out, "engagements", False)

    def engagements_list(self, f, limit: int = 500):  # type: ignore[no-untyped-def]
        e = self.E[self.mask(self.E, f)]
        e = e.sort_values(["engagement_date", "engagement_id"], ascending=[False, True]).head(limit)
        return e.assign(activity=self.label("activity", e["activity"]), outcome=self.label("outcome", e["outcome"])
                        ).rename(columns={"engagement_date": "date", "iso3": "country", "area_name": "area",
                                          "checkpoint_name": "checkpoint", "counterpart_name": "counterpart"})[
            ["date", "country", "area", "checkpoint", "counterpart", "activity", "outcome", "organisation",
             "days_to_resolution"]].reset_index(drop=True)

    # ------------------------------------------------------------------ obstacles

    def obstacles_monthly(self, f):  # type: ignore[no-untyped-def]
        o = self.OB[self.mask(self.OB, f)]
        out = o.groupby(["month", "category"]).size().rename("obstacles").reset_index()
        out["number"] = out["category"].map(self.cat_number)
        out["category"] = out["category"].map(self.cat_name)
        return self.top(out[["month", "category", "number", "obstacles"]], ["month", "number"], True)

    def obstacles_by_region(self, f):  # type: ignore[no-untyped-def]
        n = self.E.loc[self.mask(self.E, f), "region"].fillna("Other").value_counts()
        o = self.OB[self.mask(self.OB, f)]
        out = (o.assign(region=o["region"].fillna("Other")).groupby(["region", "category"]).size()
               .rename("obstacles").reset_index())
        out["number"] = out["category"].map(self.cat_number)
        out["category"] = out["category"].map(self.cat_name)
        out["per_engagement"] = out["obstacles"] / out["region"].map(n)
        return self.top(out[["region", "category", "number", "obstacles", "per_engagement"]],
                        ["region", "number"], True)

    def recurring_obstacles(self, f, level: str = "checkpoint", limit: int = 25):  # type: ignore[no-untyped-def]
        key = "checkpoint_id" if level == "checkpoint" else "admin1_pcode"
        o = self.OB[self.mask(self.OB, f) & self.OB[key].notna().to_numpy()]
        m = o[[key, "category", "month"]].drop_duplicates().rename(columns={key: "place"})
        m = m.sort_values(["place", "category", "month"])
        month_no = m["month"].dt.year * 12 + m["month"].dt.month
        m["island"] = month_no - m.groupby(["place", "category"]).cumcount()
        streaks = m.groupby(["place", "category", "island"])["month"].agg(["size", "min", "max"]).reset_index()
        streaks = streaks.sort_values("size", ascending=False, kind="stable")
        s = streaks.groupby(["place", "category"]).agg(
            longest_streak=("size", "max"), streak_from=("min", "first"), streak_to=("max", "first"),
            months_with_obstacle=("size", "sum"), first_seen=("min", "min"), last_seen=("max", "max")).reset_index()
        s = s[s["months_with_obstacle"] >= 2]
        table = self.ck if level == "checkpoint" else self.t["areas"].set_index("pcode")
        s["name"] = s["place"].map(table["name"] + " (" + table["iso3"] + ")")
        s["category"] = s["category"].map(self.cat_name)
        out = self.top(s, ["longest_streak", "months_with_obstacle", "name"], [False, False, True], limit)
        return out[["place", "name", "category", "longest_streak", "streak_from", "streak_to",
                    "months_with_obstacle", "first_seen", "last_seen"]]

    def conditions(self, f):  # type: ignore[no-untyped-def]
        n = int(self.mask(self.E, f).sum())
        c = self.CO[self.mask(self.CO, f)]
        out = c.assign(gwc=c["outcome"].eq("granted_with_conditions")).groupby("condition").agg(
            engagements=("engagement_id", "nunique"), share_granted=("granted", "mean"),
            share_granted_with_conditions=("gwc", "mean")).reset_index()
        out["share_of_engagements"] = out["engagements"] / n
        out["condition"] = self.label("condition", out["condition"])
        return self.top(out, "engagements", False)

    # ------------------------------------------------------------------ counterparts

    def counterpart_patterns(self, f):  # type: ignore[no-untyped-def]
        e, cur = self.compare_rows(f)
        g = e[["counterpart_id", "granted", "outcome", "days_to_resolution"]].assign(
            region=e["region"].fillna("Other"),
            counterpart_type=self.label("counterpart_type", e["counterpart_type"], "Unknown type"),
            gwc=e["outcome"].eq("granted_with_conditions"))
        keys = ["region", "counterpart_type"]
        now = g[cur].groupby(keys).agg(counterparts=("counterpart_id", "nunique"), engagements=("granted", "size"),
                                       share_granted=("granted", "mean"), share_with_conditions=("gwc", "mean"),
                                       median_days=("days_to_resolution", "median"))
        before = g[~cur].groupby(keys)["granted"].mean()
        now["change_granted"] = now["share_granted"] - before.reindex(now.index)
        now["engagements_before"] = g[~cur].groupby(keys).size().reindex(now.index).fillna(0).astype("int64")
        return self.top(now.reset_index(), ["region", "engagements"], [True, False])

    def counterpart_types(self, f):  # type: ignore[no-untyped-def]
        e = self.E[self.mask(self.E, f)]
        out = (e.assign(counterpart_type=self.label("counterpart_type", e["counterpart_type"], "Unknown type"))
               .groupby("counterpart_type").agg(engagements=("granted", "size"), share_granted=("granted", "mean"))
               .reset_index())
        return self.top(out, "share_granted", True)

    def stance_changes(self, f, recent_days: int = 90, min_engagements: int = 6,  # type: ignore[no-untyped-def]
                       limit: int = 20):
        import pandas as pd

        split = pd.Timestamp(f.end - dt.timedelta(days=recent_days - 1))
        before_start = split - pd.Timedelta(days=365)
        d = self.E["engagement_date"]
        m = self.mask(self.E, f, dates=False) & ((d >= before_start) & (d <= pd.Timestamp(f.end))).to_numpy()
        e = self.E.loc[m, ["counterpart_id", "denied", "engagement_date"]]
        s = (e.assign(recent=e["engagement_date"] >= split).groupby(["counterpart_id", "recent"])["denied"]
             .agg(["size", "mean"]).unstack("recent"))
        s = s.reindex(columns=[(a, b) for a in ("size", "mean") for b in (True, False)])
        g = s.set_axis(["recent", "before", "denied_recent", "denied_before"], axis=1)
        g[["recent", "before"]] = g[["recent", "before"]].fillna(0)
        g = g[(g["recent"] >= min_engagements) & (g["before"] >= min_engagements)]
        c = self.cp.loc[g.index]
        out = g.assign(name=c["name"], iso3=c["iso3"],
                       counterpart_type=self.label("counterpart_type", c["counterpart_type"], "Unknown type"),
                       change=g["denied_recent"] - g["denied_before"])
        out = out.rename_axis("counterpart_id").reset_index()
        out = self.top(out.assign(_abs=out["change"].abs()), ["_abs", "name"], [False, True], limit)
        return out[["counterpart_id", "name", "iso3", "counterpart_type", "recent", "before", "denied_recent",
                    "denied_before", "change"]]

    def checkpoint_control(self, f, limit: int = 200):  # type: ignore[no-untyped-def]
        e = self.E[self.mask(self.E, f) & self.E["checkpoint_id"].notna().to_numpy()]
        g = e.groupby("checkpoint_id").agg(engagements=("denied", "size"), share_denied=("denied", "mean"))
        k = self.ck.loc[g.index]
        ctl = k["controlling_counterpart_id"]
        out = g.assign(checkpoint=k["name"], kind=self.label("checkpoint_kind", k["kind"], "Unknown"),
                       iso3=k["iso3"], area=k["admin1_pcode"].map(self.area_name), controlled_by_id=ctl,
                       controlled_by=ctl.map(self.cp["name"]),
                       controller_type=self.label("counterpart_type", ctl.map(self.cp["counterpart_type"]),
                                                 "Unknown type"))
        out = out.rename_axis("checkpoint_id").reset_index()
        out = self.top(out, ["engagements", "checkpoint"], [False, True], limit)
        return out[["checkpoint_id", "checkpoint", "kind", "iso3", "area", "controlled_by_id", "controlled_by",
                    "controller_type", "engagements", "share_denied"]]

    # ------------------------------------------------------------------ incidents (public record)

    def incident_rows(self, f):  # type: ignore[no-untyped-def]
        """Incidents in the period, region, country and area filters; each incident once (not duplicates)."""
        import pandas as pd

        i = self.I
        d = i["incident_date"]
        m = (i["duplicate_of"].isna() & (d >= pd.Timestamp(f.start)) & (d <= pd.Timestamp(f.end))).to_numpy().copy()
        for column, values in (("region", f.regions), ("iso3", f.countries), ("admin1_pcode", f.areas)):
            if values:
                m &= i[column].isin(values).to_numpy()
        return i[m]

    @staticmethod
    def casualties(g):  # type: ignore[no-untyped-def]
        """Per-group sums of the casualty columns, a group without any figure counted as 0."""
        return g[["killed", "injured", "kidnapped", "detained"]].sum(min_count=0)

    def incidents_monthly(self, f):  # type: ignore[no-untyped-def]
        i = self.incident_rows(f)
        i = i[(i["date_precision"] != "year").to_numpy()]
        month = i["incident_date"].values.astype("datetime64[M]").astype(i["incident_date"].dtype)
        g = i.assign(month=month).groupby("month")
        out = self.casualties(g).assign(incidents=g.size()).reset_index()
        return out[["month", "incidents", "killed", "injured", "kidnapped", "detained"]]

    def incidents_by_perpetrator(self, f):  # type: ignore[no-untyped-def]
        i = self.incident_rows(f)
        g = i.groupby("perpetrator_label")
        s = self.casualties(g)
        out = pd_frame({"incidents": g.size(), "killed": s["killed"],
                        "kidnapped_or_detained": s["kidnapped"] + s["detained"],
                        "sources": g["source"].agg(lambda x: ", ".join(sorted(set(x))))})
        out = out.rename_axis("perpetrator_type").reset_index()
        return self.top(out, "incidents", False)

    def incident_points(self, f, limit: int = 3000):  # type: ignore[no-untyped-def]
        i = self.incident_rows(f)
        i = i[(i["latitude"].notna() & i["longitude"].notna()).to_numpy()]
        i = i.sort_values(["incident_date", "incident_id"], ascending=[False, True]).head(limit)
        return i.assign(perpetrator_type=i["perpetrator_label"])[
            ["incident_id", "incident_date", "date_precision", "latitude", "longitude", "iso3", "place",
             "perpetrator_type", "perpetrator_name", "means_of_attack", "killed", "injured", "kidnapped",
             "detained", "source"]].reset_index(drop=True)

    def profile_incidents_rows(self, cp, limit: int = 500):  # type: ignore[no-untyped-def]
        d = self.t["decisions"]
        merged = d[(d["action"] == "merge") & d["active"].astype(bool) & (d["result_id"] == cp)]
        me = self.cp.loc[cp] if cp in self.cp.index else {"name_key": None, "iso3": None}  # merged away: none
        keys = {me["name_key"], *merged["name_key_b"].dropna()}
        i = self.I
        i = i[(i["iso3"] == me["iso3"]) & i["duplicate_of"].isna() & i["perpetrator_key"].notna()
              & i["perpetrator_key"].isin(keys)]
        i = i.sort_values("incident_date", ascending=False, kind="stable").head(limit)
        return i.assign(date=i["incident_date"], area=i["admin1_pcode"].map(self.area_name).fillna(i["admin1_name"]),
                        perpetrator_type=i["perpetrator_label"])[
            ["date", "date_precision", "area", "place", "perpetrator_type", "perpetrator_name", "means_of_attack",
             "killed", "injured", "kidnapped", "detained", "source", "source_id"]].reset_index(drop=True)

    # ------------------------------------------------------------------ counterpart lookup

    def search_index(self, cp):  # type: ignore[no-untyped-def]
        c = self.t["counterparts"].merge(self.t["aliases"][["counterpart_id", "alias", "times_seen"]],
                                         on="counterpart_id")
        c["counterpart_type"] = self.label("counterpart_type", c["counterpart_type"], "Unknown type")
        c = self.top(c, ["engagements", "counterpart_id", "times_seen"], [False, True, False])
        return c[["counterpart_id", "name", "iso3", "region", "counterpart_type", "engagements", "alias"]]

    def profile(self, cp):  # type: ignore[no-untyped-def]
        c = self.t["counterparts"]
        c = c[c["counterpart_id"] == cp]
        return c.assign(counterpart_type=self.label("counterpart_type", c["counterpart_type"], "Unknown type"),
                        level=self.label("counterpart_level", c["level"], "Unknown level"),
                        country=c["iso3"].map(self.t["countries"].set_index("iso3")["name"]))[
            ["counterpart_id", "name", "counterpart_type", "affiliation", "level", "iso3", "country", "region",
             "first_seen", "last_seen", "engagements"]].reset_index(drop=True)

    def profile_aliases(self, cp):  # type: ignore[no-untyped-def]
        a = self.t["aliases"]
        return self.top(a[a["counterpart_id"] == cp][["alias", "times_seen"]], "times_seen", False)

    def mine(self, cp):  # type: ignore[no-untyped-def]
        return self.E[(self.E["counterpart_id"] == cp).to_numpy()]

    def profile_places(self, cp):  # type: ignore[no-untyped-def]
        e = self.mine(cp)
        g = e.assign(checkpoint=e["checkpoint_name"].fillna("(no checkpoint)"), area=e["area_name"])
        out = g.groupby(["checkpoint", "area"], dropna=False).agg(
            engagements=("granted", "size"), share_granted=("granted", "mean"),
            last_engagement=("engagement_date", "max")).reset_index()
        return self.top(out, "engagements", False)

    def profile_timeline(self, cp):  # type: ignore[no-untyped-def]
        e = self.mine(cp)
        ids = set(e["engagement_id"])
        c = self.CO[self.CO["engagement_id"].isin(ids)]
        conds = (c.assign(label=self.label("condition", c["condition"])).groupby("engagement_id")["label"]
                 .agg(lambda s: "; ".join(sorted(s.dropna()))))
        o = self.OB[self.OB["engagement_id"].isin(ids)]
        obst = o.groupby("engagement_id")["raw_label"].agg(lambda s: "; ".join(s.drop_duplicates()))
        e = e.sort_values(["engagement_date", "engagement_id"], ascending=[False, True]).head(TIMELINE_ROWS)
        out = e.assign(activity=self.label("activity", e["activity"]), outcome=self.label("outcome", e["outcome"]),
                       conditions=e["engagement_id"].map(conds), obstacles=e["engagement_id"].map(obst),
                       channel=self.label("channel", e["channel"]))
        return out.rename(columns={"engagement_date": "date", "checkpoint_name": "checkpoint"})[
            ["date", "activity", "outcome", "conditions", "obstacles", "channel", "intermediary", "checkpoint",
             "location", "organisation", "days_to_resolution", "follow_up_due", "notes"]].reset_index(drop=True)

    def profile_outcomes_by_quarter(self, cp):  # type: ignore[no-untyped-def]
        e = self.mine(cp)
        q = e["engagement_date"].dt.to_period("Q").dt.start_time.astype(e["engagement_date"].dtype)
        out = e.assign(quarter=q).groupby(["quarter", "outcome"]).size().rename("engagements").reset_index()
        return out

    def profile_peers(self, cp):  # type: ignore[no-untyped-def]
        me = self.cp.loc[cp]
        E = self.E
        same_type = (E["counterpart_type"].isna() if me["counterpart_type"] is None or
                     (isinstance(me["counterpart_type"], float) and math.isnan(me["counterpart_type"]))
                     else E["counterpart_type"] == me["counterpart_type"])
        e = E[(same_type & (E["region"] == me["region"])).to_numpy()]
        who = self.np.where(e["counterpart_id"] == cp, "This counterpart", "Peers: same type, same region")
        out = e.assign(who=who, gwc=e["outcome"].eq("granted_with_conditions")).groupby("who").agg(
            counterparts=("counterpart_id", "nunique"), engagements=("granted", "size"),
            share_granted=("granted", "mean"), share_denied=("denied", "mean"), share_with_conditions=("gwc", "mean"),
            median_days=("days_to_resolution", "median")).reset_index()
        return self.top(out, "who", False)

    def profile_channels(self, cp):  # type: ignore[no-untyped-def]
        e = self.mine(cp)
        out = (e.assign(channel=self.label("channel", e["channel"], "Not recorded")).groupby("channel")
               .agg(engagements=("granted", "size"), share_granted=("granted", "mean")).reset_index())
        return self.top(out, "engagements", False)

    def profile_intermediaries(self, cp):  # type: ignore[no-untyped-def]
        e = self.mine(cp)
        e = e[e["intermediary"].notna()]
        out = e.groupby("intermediary").agg(engagements=("granted", "size"), granted=("granted", "sum"),
                                            share_granted=("granted", "mean")).reset_index()
        return self.top(out, ["granted", "engagements"], [False, False])

    def profile_related(self, cp):  # type: ignore[no-untyped-def]
        me = self.cp.loc[cp]
        E = self.E
        mine = E.loc[(E["counterpart_id"] == cp).to_numpy(), "checkpoint_id"].dropna().unique()
        others = E[(E["checkpoint_id"].isin(mine) & (E["counterpart_id"] != cp)).to_numpy()]
        shared = others.groupby("counterpart_id")["checkpoint_id"].nunique()
        c = self.t["counterparts"]
        c = c[(c["counterpart_id"] != cp) & (c["iso3"] == me["iso3"])]
        c = c.assign(shared_checkpoints=c["counterpart_id"].map(shared))
        same = c["affiliation"].notna() & (c["affiliation"] == me["affiliation"])
        c = c[c["shared_checkpoints"].notna() | same].assign(same_affiliation=same)
        c["shared_checkpoints"] = c["shared_checkpoints"].fillna(0).astype("int64")
        c["counterpart_type"] = self.label("counterpart_type", c["counterpart_type"], "Unknown type")
        c = self.top(c, ["same_affiliation", "shared_checkpoints", "engagements"], [False, False, False], 15)
        return c[["counterpart_id", "name", "counterpart_type", "affiliation", "shared_checkpoints",
                  "same_affiliation", "engagements"]]

    def profile_conditions(self, cp):  # type: ignore[no-untyped-def]
        e = self.mine(cp)
        c = self.CO[self.CO["engagement_id"].isin(set(e["engagement_id"]))]
        out = (c.assign(condition=self.label("condition", c["condition"])).groupby("condition")
               .agg(engagements=("engagement_id", "nunique"), last_demanded=("engagement_date", "max")).reset_index())
        out.insert(2, "share_of_engagements", out["engagements"] / len(e))
        return self.top(out, ["engagements", "condition"], [False, True])

    def profile_follow_ups(self, cp, today, overdue_days: int = 60):  # type: ignore[no-untyped-def]
        import pandas as pd

        today = pd.Timestamp(today)
        e = self.mine(cp)
        e = e[e["follow_up_due"] >= today - pd.Timedelta(days=overdue_days)]
        E = self.E
        last = E.loc[E["request_id"].isin(set(e["request_id"])).to_numpy()].groupby("request_id")[
            "engagement_date"].max()
        later = (e["request_id"].map(last) > e["engagement_date"]).to_numpy()
        e = e[(e["follow_up_due"] >= today).to_numpy() | ~later]
        out = e.assign(status=self.np.where(e["follow_up_due"] >= today, "Due", "Overdue"),
                       activity=self.label("activity", e["activity"]), outcome=self.label("outcome", e["outcome"]))
        out = self.top(out, ["status", "follow_up_due", "engagement_date"], True)
        return out.rename(columns={"engagement_date": "date", "checkpoint_name": "checkpoint"})[
            ["follow_up_due", "status", "date", "activity", "outcome", "checkpoint", "organisation", "notes"]]

    def profile_incidents(self, cp):  # type: ignore[no-untyped-def]
        return self.profile_incidents_rows(cp)

    def profile_review(self, cp):  # type: ignore[no-untyped-def]
        r = self.t["review"]
        r = r[(r["counterpart_id_a"] == cp) | (r["counterpart_id_b"] == cp)]
        names = self.cp["name"]
        is_a = r["counterpart_id_a"] == cp
        return r.assign(similar_name=self.np.where(is_a, r["counterpart_id_b"].map(names),
                                                   r["counterpart_id_a"].map(names)),
                        counterpart_id=self.np.where(is_a, r["counterpart_id_b"], r["counterpart_id_a"]))[
            ["similar_name", "counterpart_id", "similarity", "status"]].reset_index(drop=True)

    # ------------------------------------------------------------------ data

    def loads(self, f):  # type: ignore[no-untyped-def]
        d = self.t["loads"]
        d = d.assign(finished=d["finished_at"].dt.tz_convert("UTC").dt.strftime("%Y-%m-%d %H:%M UTC"))
        return self.top(d, "load_id", False)[
            ["load_id", "file_name", "file_format", "status", "rows_read", "rows_loaded", "rows_rejected",
             "rows_duplicate", "finished", "loaded_by", "content_sha256", "source_path", "column_mapping",
             "ignored_columns", "date_order"]]

    def rejected_summary(self, f):  # type: ignore[no-untyped-def]
        r = self.t["rejected"]
        rows = r.drop_duplicates(["reason_code", "load_id", "sheet", "row_number"]).groupby("reason_code").size()
        out = pd_frame({"reason_code": rows.index, "rows_": rows.to_numpy(),
                        "problems": r.groupby("reason_code").size().reindex(rows.index).to_numpy()})
        return self.top(out, ["rows_", "reason_code"], [False, True])

    def rejected(self, f, limit: int = 1000):  # type: ignore[no-untyped-def]
        r = self.t["rejected"]
        r = r.assign(_nosheet=r["sheet"].notna()).sort_values(["load_id", "_nosheet", "sheet", "row_number"],
                                                               ascending=[False, True, True, True], kind="stable")
        return r.head(limit)[["load_id", "source_file", "sheet", "row_number", "column_name", "value",
                              "reason_code", "reason"]].reset_index(drop=True)

    def merged_into(self) -> dict:
        """Counterpart id -> the id it ended up in, following active merges to the end of the chain."""
        d = self.t["decisions"]
        d = d[(d["action"] == "merge") & d["active"].astype(bool)]
        step: dict = {}
        for src, dst in zip(d["counterpart_id_b"], d["counterpart_id_a"], strict=True):
            step.setdefault(src, []).append(dst)
        final = {}
        for start in step:
            # Deepest id reached within 100 steps, as the SQL's arg_max(id, depth) over its recursive walk.
            frontier, best, depth = [start], None, 0
            while frontier and depth < 100:
                frontier = [n for x in frontier for n in step.get(x, [])]
                depth += 1
                if frontier:
                    best = frontier[0]
            final[start] = best
        return final

    def review_queue(self, f):  # type: ignore[no-untyped-def]
        r = self.t["review"]
        r = r[r["status"] == "pending"]
        final = self.merged_into()
        p = pd_frame({"iso3": r["iso3"].to_numpy(),
                      "counterpart_id_a": [final.get(x, x) for x in r["counterpart_id_a"]],
                      "counterpart_id_b": [final.get(x, x) for x in r["counterpart_id_b"]],
                      "similarity": r["similarity"].to_numpy()})
        p = p[p["counterpart_id_a"].isin(self.cp.index) & p["counterpart_id_b"].isin(self.cp.index)
              & (p["counterpart_id_a"] != p["counterpart_id_b"])]
        for side in ("a", "b"):
            ids = p[f"counterpart_id_{side}"]
            p = p.assign(**{f"name_{side}": ids.map(self.cp["name"]), f"engagements_{side}": ids.map(
                self.cp["engagements"])})
        keys = ["iso3", "counterpart_id_a", "name_a", "engagements_a", "counterpart_id_b", "name_b", "engagements_b"]
        out = p.groupby(keys, dropna=False)["similarity"].max().reset_index()
        return self.top(out, ["similarity", "iso3", "name_a", "name_b"], [False, True, True, True])

    # ------------------------------------------------------------------ by query label

    def impl(self, label: str, f, cp: str):  # type: ignore[no-untyped-def]
        """A zero-argument function computing, in pandas, the query ``label`` names; None if there is none.

        Labels are those of :func:`query_labels`: ``headline() (previous)``, ``denial_change(area)``,
        ``PROFILE_PLACES``...; the pandas methods have the same names in lower case.
        """
        g = f.previous() if label.endswith(" (previous)") else f
        name, _, rest = label.removesuffix(" (previous)").partition("(")
        args = [a.strip() for a in rest.rstrip(")").split(",") if a.strip()]
        fn = getattr(self, name.lower(), None)
        if fn is None or name.startswith("_") or name in ("impl", "mask", "label", "top", "mine"):
            return None
        if name.isupper() and name.startswith(("PROFILE", "SEARCH")):
            return lambda: fn(cp)
        if name.startswith("profile_"):
            return lambda: fn(cp, f.end)
        return lambda: fn(g, *args)


def pd_series(values: list):  # type: ignore[no-untyped-def]
    import pandas as pd

    return pd.Series(values, dtype=object)


def pd_frame(data: dict):  # type: ignore[no-untyped-def]
    import pandas as pd

    return pd.DataFrame(data)


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
        f = Filters(start=v["f"]["start"], end=v["f"]["end"], regions=tuple(v["f"]["regions"]))
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
    out, rss = run_json([sys.executable, str(Path(__file__).resolve()), "--worker-pandas", str(spec)])
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


# ----------------------------------------------------------------------------- app and browser

WAIT_JS = """
async ([stableMs, timeoutMs]) => {
  // Drawn means: the script finished, no spinner or placeholder shows, every plotly chart has drawn its
  // SVG, and every map (streamlit-folium's frame, same origin) shows a sized Leaflet container with its
  // areas or points drawn.
  const mapPending = () => {
    for (const frame of document.querySelectorAll('iframe')) {
      let doc = null;
      try { doc = frame.contentDocument; } catch (e) { continue; }
      if (!doc || !String(frame.title || frame.src || '').includes('folium')) continue;
      const box = doc.querySelector('.leaflet-container');
      if (!box || box.offsetWidth === 0 || box.offsetHeight === 0) return true;
      if (!doc.querySelector('.leaflet-overlay-pane path, .leaflet-marker-pane *')) return true;
    }
    return false;
  };
  const busy = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return true;
    if (document.querySelector('[data-testid="stSpinner"], [data-testid="stSkeleton"], '
      + '[data-testid="stStatusWidgetRunningIcon"], [data-testid="stStatusWidgetRunningManIcon"]')) return true;
    for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
      if (!chart.querySelector('.main-svg')) return true;
    }
    return mapPending();
  };
  let since = null;
  while (performance.now() < timeoutMs) {
    const now = performance.now();
    if (busy()) since = null; else if (since === null) since = now;
    if (since !== null && now - since >= stableMs) return {ok: true, at: since};
    await new Promise(r => setTimeout(r, 20));
  }
  return {ok: false, at: performance.now()};
}
"""


def vm(pid: int, key: str) -> float:
    """A /proc/PID/status memory figure in MB (VmHWM: peak RSS; VmRSS: current)."""
    text = Path(f"/proc/{pid}/status").read_text()
    return int(text.split(f"{key}:")[1].split()[0]) / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


WARMUP_LINE = re.compile(r"Warm-up done: (\d+) queries cached in ([\d.]+) s")


class WarmupWatch(threading.Thread):
    """Watches the server's console log from its start for the warm-up line (``dashboard/warmup.py``).

    A thread, so that the moment the line appears is known even while the browser is busy with a page.
    """

    def __init__(self, log_path: Path, started: float) -> None:
        super().__init__(daemon=True)
        self.log_path, self.started = log_path, started
        self.found: re.Match | None = None
        self.at: float | None = None  # seconds after the server's start
        self.done = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            found = WARMUP_LINE.search(self.log_path.read_text(errors="replace"))
            if found:
                self.found, self.at = found, time.monotonic() - self.started
                self.done.set()
                return
            time.sleep(0.05)


BENCH_USER = "bench-admin"
BENCH_PASSWORD = "bench password, never used for real data"
# Cheap password hashing for the bench's own throwaway user: sign-in is not what is measured.
BENCH_ARGON2 = {"ACCESS_ARGON2_TIME_COST": "1", "ACCESS_ARGON2_MEMORY_KIB": "8192", "ACCESS_ARGON2_PARALLELISM": "1"}


def bench_user(db: str) -> None:
    """A user who sees everything (admin with every region) in the users file beside the bench database."""
    from etl.accounts.users import UserStore, users_path
    from etl.config import Settings

    settings = Settings(db=Path(db), argon2_time_cost=1, argon2_memory_kib=8192, argon2_parallelism=1)
    store = UserStore(users_path(settings), settings)
    if not store.exists() or store.get(BENCH_USER) is None:
        store.add_user(BENCH_USER, BENCH_PASSWORD, "admin", store.known_regions())


def start_app(db: str, log_path: Path) -> tuple[subprocess.Popen, str, WarmupWatch]:
    """Start the real app as operators do (``python -m dashboard``); return it, its address, its warm-up watch."""
    port = free_port()
    bench_user(db)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ACCESS_")}, "ACCESS_DB": db, **BENCH_ARGON2}
    log = open(log_path, "w")  # noqa: SIM115 - closed by the caller's server.wait()
    started = time.monotonic()
    server = subprocess.Popen([sys.executable, "-m", "dashboard",
                               "--server.headless", "true", "--server.port", str(port),
                               "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()  # the child holds its own copy of the descriptor
    watch = WarmupWatch(log_path, started)
    watch.start()
    base = f"http://127.0.0.1:{port}"
    deadline = started + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=1).read() == b"ok":
                return server, base, watch
        except OSError:
            time.sleep(0.1)
    watch.stop.set()
    server.kill()
    server.wait()
    raise SystemExit(f"the app did not answer /_stcore/health within 120 s; see {log_path}")


# Seconds a person takes to type a username and password on the sign-in form. The app uses them to load
# the chart code (dashboard/ui/frontend.py); they are not counted in any figure.
TYPING_S = 3.0
# Sidebar titles of the pages (dashboard/streamlit_app.py), for visits made inside the app.
NAV_TITLES = {"trends": "Trends", "map": "Map", "obstacles": "Obstacles", "counterparts": "Counterparts",
              "counterpart": "Counterpart lookup", "data": "Data"}


def _drawn(page, timeout_s: float) -> dict:  # type: ignore[no-untyped-def]
    state = page.evaluate(WAIT_JS, [500, timeout_s * 1000])
    errors = page.locator('[data-testid="stException"]')
    n_err = errors.count()
    return {"at": state["at"], "ok": state["ok"], "errors": n_err,
            "error": errors.first.inner_text()[:300] if n_err else None}


def draw(page, url: str, timeout_s: float) -> dict:  # type: ignore[no-untyped-def]
    """Open ``url`` and wait until the page is fully drawn (WAIT_JS); sign in first if the form shows.

    A browser that signed in before is remembered (dashboard/session/remember.py), so a visit by address draws
    the page straight away: ``s`` is from navigation to drawn. In a browser that never signed in the
    sign-in form is drawn first (``form_s``, from navigation), then the bench waits TYPING_S as a person
    typing would, signs in, and times the page from the click (``after_sign_in_s``); ``s`` is their sum.
    """
    page.goto(url, wait_until="commit")
    x = _drawn(page, timeout_s)
    if not page.get_by_role("textbox", name="Password").count():
        return {**x, "s": x["at"] / 1000, "signed_in": False}
    form_s = x["at"] / 1000
    page.wait_for_timeout(TYPING_S * 1000)
    page.get_by_label("Username").fill(BENCH_USER)
    page.get_by_role("textbox", name="Password").fill(BENCH_PASSWORD)
    clicked = page.evaluate("performance.now()")
    page.get_by_role("button", name="Sign in").click()
    x = _drawn(page, timeout_s)
    after = (x["at"] - clicked) / 1000
    return {**x, "s": form_s + after, "form_s": form_s, "after_sign_in_s": after, "signed_in": True}


def navigate(page, name: str, timeout_s: float) -> dict:  # type: ignore[no-untyped-def]
    """Open a page from the sidebar, inside the app (the same Streamlit session: no new page load)."""
    start = page.evaluate("performance.now()")
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=NAV_TITLES[name], exact=True).click()
    x = _drawn(page, timeout_s)
    return {**x, "s": (x["at"] - start) / 1000, "signed_in": False}


def measure_app(db: str, info: dict, work: Path, rows: int, timeout_s: float, warmup_timeout_s: float,
                visit_during_warmup: bool) -> dict:
    """Start the app warmed up (``python -m dashboard``), open every page in headless Chromium three times.

    Returns draw times, the server's memory, and the warm-up: seconds until the server answered, until
    it printed "Warm-up done", and (optionally) one visit to the landing page made before that, which
    is what somebody arriving right after a restart gets. The browser is started before the app so
    that this visit can begin as soon as the server answers.
    """
    from urllib.parse import urlencode

    from playwright.sync_api import sync_playwright

    from dashboard.db.queries import PAGES

    log_path = work / f"streamlit_{rows}.log"
    result: dict = {"pages": {}, "missing": [p for p in PAGES if not (ROOT / "dashboard" / "app_pages" /
                                                                      f"{p}.py").exists()],
                    "launcher": "python -m dashboard"}
    shots = work / "screens"
    shots.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        result["chromium"] = browser.version
        server, base, watch = start_app(db, log_path)
        try:
            result["up_s"] = time.monotonic() - watch.started
            result["rss_up"] = vm(server.pid, "VmRSS")
            print(f"  app: answering after {result['up_s']:.1f} s", flush=True)
            if visit_during_warmup:
                # Its own browser context (own HTTP cache), so the first visits below still start from empty.
                early = browser.new_context(viewport={"width": 1440, "height": 1000})
                began_during = not watch.done.is_set()
                x = draw(early.new_page(), base + "/", timeout_s)
                x["began_during_warmup"] = began_during
                x["ended_during_warmup"] = not watch.done.is_set()
                x["hwm"] = vm(server.pid, "VmHWM")
                result["during_warmup"] = x
                early.close()
                print(f"  browser trends        during warm-up drawn in {x['s']:6.2f} s"
                      + (f" (sign-in form {x['form_s']:.2f} s, the page {x['after_sign_in_s']:.2f} s after the click)"
                         if x.get("signed_in") else "")
                      + ("" if began_during else "  (warm-up had already finished: not a during-warm-up figure)")
                      + ("  (warm-up finished while the page was drawn)" if began_during and
                         not x["ended_during_warmup"] else ""), flush=True)
            watch.done.wait(max(0.0, watch.started + warmup_timeout_s - time.monotonic()))
            watch.stop.set()
            found = watch.found
            result["warmup_wall_s"] = watch.at
            result["warmup_queries"] = int(found.group(1)) if found else None
            result["warmup_reported_s"] = float(found.group(2)) if found else None
            result["warmup_timeout_s"] = warmup_timeout_s
            result["rss_idle"] = vm(server.pid, "VmRSS")
            print("  app: " + (f"warm-up done: {found.group(1)} queries in {found.group(2)} s (as the app reports)"
                               f", {result['warmup_wall_s']:.1f} s after its start" if found else
                               f"no 'Warm-up done' line within {warmup_timeout_s:.0f} s of start: measuring anyway"),
                  flush=True)
            page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
            # By address: the first visit (trends: the browser has never opened the app, so it signs in),
            # the same address again, narrowed to a region; then every page again from the sidebar.
            visits = (("first visit", {}), ("again", {}), ("region", {"region": info["region"]}))
            # The lookup page last: a page that does not finish keeps the server busy after the browser leaves.
            order = [p for p in PAGES if p != "counterpart"] + (["counterpart"] if "counterpart" in PAGES else [])
            plan = [(visit, extra, name) for visit, extra in visits for name in order]
            plan += [("in the app", {}, name) for name in [*order[1:], order[0]]]
            stuck: set[str] = set()
            for visit, extra, name in plan:
                r = result["pages"].setdefault(name, {})
                if name in stuck:
                    continue
                if visit == "in the app":
                    x = navigate(page, name, timeout_s)
                else:
                    path = "" if name == "trends" else name
                    params = {**extra, **({"id": info["counterpart"]} if name == "counterpart" else {})}
                    x = draw(page, f"{base}/{path}" + (f"?{urlencode(params)}" if params else ""), timeout_s)
                if visit == "first visit":
                    page.screenshot(path=str(shots / f"{rows}_{name}.png"))
                x["hwm"] = vm(server.pid, "VmHWM")
                r[visit] = x
                if not x["ok"]:
                    stuck.add(name)
                flag = "" if x["ok"] else f"  (still running after {timeout_s:.0f} s: not visited again)"
                err = f"  {x['errors']} exception(s): {x['error'].splitlines()[0] if x['error'] else ''}" \
                    if x["errors"] else ""
                how = (f"  (sign-in form drawn in {x['form_s']:.2f} s, the page {x['after_sign_in_s']:.2f} s after "
                       "the click)" if x.get("signed_in") else "")
                print(f"  browser {name:<13} {visit:<12} drawn in {x['s']:6.2f} s   server peak "
                      f"{x['hwm']:,.0f} MB{flag}{err}{how}", flush=True)
            result["rss_end"] = vm(server.pid, "VmRSS")
            result["peak"] = vm(server.pid, "VmHWM")
        finally:
            watch.stop.set()
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            browser.close()
    return result


# ------------------------------------------------------------------------------------ report


def slowest_queries(views: list[dict], timeout: float, n: int = 8) -> list[tuple[float, float, str, str]]:
    """(warm median, cold median, page/filters, query) of the slowest queries."""
    out = []
    for v in views:
        for i, q in enumerate(v["queries"]):
            warm = median([timeout if r[i] is None else r[i] for r in v["warm_q"]])
            cold = median([timeout if r[i] is None else r[i] for r in v["cold_q"]])
            out.append((warm, cold, f"{v['page']} / {v['filters']}", q["label"]))
    return sorted(out, reverse=True)[:n]


def page_draws(x: dict) -> list[tuple[str, float]]:
    """The page draws in one visit: one, or two when the visit signed in (the form, then the page after the click)."""
    if x.get("signed_in"):
        return [(" (sign-in form)", x["form_s"]), (" (after signing in)", x["after_sign_in_s"])]
    return [("", x["s"])]


def app_summary(app: dict) -> str:
    """The paragraph on the app: how it was started, its warm-up, its memory, a visit during warm-up."""
    missing = f" Pages not written yet when measured: {', '.join(app['missing'])}." if app["missing"] else ""
    if "launcher" not in app:  # results saved by the earlier version of this script
        return (f"App (`streamlit run`, Chromium {app.get('chromium', '?')}): server RSS {app['rss_idle']:,.0f} MB "
                f"idle, **peak {app['peak']:,.0f} MB** (VmHWM) after opening every page three times; "
                f"{app['rss_end']:,.0f} MB at the end.{missing}")
    if app["warmup_wall_s"] is not None:
        warm = (f"**warm-up done {app['warmup_wall_s']:.1f} s after start** (the app's own line: "
                f"{app['warmup_queries']} queries cached in {app['warmup_reported_s']:.1f} s)")
    else:
        warm = (f"**no \"Warm-up done\" line within {app['warmup_timeout_s']:.0f} s of start** (the pages were "
                "measured anyway)")
    text = (f"App (`{app['launcher']}`, Chromium {app.get('chromium', '?')}): answering /_stcore/health "
            f"{app['up_s']:.1f} s after start, {warm}; server RSS {app['rss_up']:,.0f} MB when it first answered, "
            f"{app['rss_idle']:,.0f} MB after warm-up, **peak {app['peak']:,.0f} MB** (VmHWM) after opening every "
            f"page four times; {app['rss_end']:,.0f} MB at the end. The first visits below start after the "
            "warm-up line: the server already holds each page's default view, the browser's cache is empty; trends "
            "is the first page that browser opens, so its first visit loads Streamlit's front end (JavaScript) from "
            "nothing and shows the sign-in form; the other pages' first visits are by address in that browser, "
            "which stays signed in.")
    x = app.get("during_warmup")
    if x:
        first = app["pages"].get("trends", {}).get("first visit")
        if x["began_during_warmup"]:
            text += (f" **During warm-up** the landing page (trends, its own browser context, opened as soon as the "
                     f"server answered) took **{x['s']:.2f} s**"
                     + (f" (sign-in form drawn in {x['form_s']:.2f} s, the page {x['after_sign_in_s']:.2f} s after "
                        f"the click, {TYPING_S:.0f} s of typing left out)" if x.get("signed_in") else "")
                     + ("" if x["ok"] else " (not finished)")
                     + (" (the warm-up finished while it was drawn)" if not x["ended_during_warmup"] else "")
                     + (f"; its first visit after warm-up (below) took {first['s']:.2f} s" if first else "") + ".")
        else:
            text += (f" (A visit to the landing page during warm-up was attempted but the warm-up had already "
                     f"finished when it began; it took {x['s']:.2f} s.)")
    return text + missing


def size_report(res: dict) -> tuple[str, list[str]]:
    """Markdown for one size, and the console table."""
    rows, views, pand, app = res["rows"], res["views"], res["pandas"], res.get("app")
    target = TARGET_MEDIAN_S.get(rows)
    lines = [f"### {rows:,} demo rows", "",
             f"Database: {res['engagements']:,} engagements ({res['db_mb']:,.0f} MB file; data "
             f"{res['first']} to {res['last']}); built with "
             f"`{res['build']['command'].replace(str(ROOT) + '/', '')}` in "
             f"{res['build']['seconds']:.0f} s{' (reused from an earlier run)' if res['build']['reused'] else ''}. "
             f"Default filters: {res['start']} to {res['end']} ({res['engagements_in_period']:,} engagements); "
             f"region: {res['region']}; busiest counterpart: {res['counterpart_name']} "
             f"(`{res['counterpart']}`, {res['counterpart_engagements']:,} engagements)."
             + (f" Query figures measured {res['queries_measured']}; the app and browser figures in a later run "
                f"(`--app-only`)." if res.get("app_only") else ""), "",
             "| page | filters | queries | DuckDB cold median / p95 | DuckDB warm median / p95 | "
             "pandas median / p95 | pandas / DuckDB warm |" + (" target |" if target else ""),
             "|---|---|---|---|---|---|---|" + ("---|" if target else "")]
    console = [f"{'page':<13} {'filters':<34} {'cold med':>9} {'cold p95':>9} {'warm med':>9} {'warm p95':>9} "
               f"{'pandas med':>10} {'pandas p95':>10}"]
    for v in views:
        cm, cp, wm, wp = median(v["cold"]), p95(v["cold"]), median(v["warm"]), p95(v["warm"])
        pm, pp = median(v["pandas"]), p95(v["pandas"])
        ok = ""
        if target:
            ok = " " + ("met" if cm < target and wm < target else "warm only" if wm < target else "**not met**") \
                + " |"
        ge = "≥ " if v["timed_out"] else ""
        lines.append(f"| {v['page']} | {v['filters']} | {len(v['queries'])} | {ge}{fmt_s(cm)} / {ge}{fmt_s(cp)} | "
                     f"{ge}{fmt_s(wm)} / {ge}{fmt_s(wp)} | {fmt_s(pm)} / {fmt_s(pp)} | "
                     f"{'≤ ' if ge else ''}{pm / wm:.1f}x |{ok}")
        console.append(f"{v['page']:<13} {v['filters'][:34]:<34} {fmt_s(cm):>9} {fmt_s(cp):>9} {fmt_s(wm):>9} "
                       f"{fmt_s(wp):>9} {fmt_s(pm):>10} {fmt_s(pp):>10}")
    n_cold, n_warm, n_pd = (min(len(v[k]) for v in views) for k in ("cold", "warm", "pandas"))
    bad = [c for c in pand["checks"] if c["problem"]]
    late = sorted({f"`{q}` ({v['page']}, {v['filters']})" for v in views for q in v["timed_out"]})
    if late:
        lines += ["", f"Interrupted after {res['timeout']:.0f} s (then counted at {res['timeout']:.0f} s and not run "
                  "again, so the page figures marked ≥ are lower bounds): " + ", ".join(late) + "."]
    gaps = sorted({f"`{q}` ({v['page']})" for v in views for q in v.get("pandas_missing", [])})
    if gaps:
        lines += ["", "No pandas version (left out of the pandas time of its page): " + ", ".join(gaps) + "."]
    lines += ["", f"Runs per figure: cold {n_cold}, warm {n_warm}, pandas {n_pd} (fewer than asked when a page "
              f"used up its time budget). DuckDB connect time (in the cold figures): median "
              f"{fmt_s(median([x for v in views for x in v['connect']]))}. Peak RSS of a DuckDB worker: "
              f"{max(v['warm_rss'] for v in views):,.0f} MB.", "",
              f"pandas baseline: loading the engagements with their joined columns, the obstacle and condition rows "
              f"and the small tables (incidents and merge decisions included) took {pand['load_s']:.1f} s; the frames hold {pand['frames_mb']:,.0f} MB "
              f"(`memory_usage(deep=True)`), the process grew by {pand['rss_after'] - pand['rss_before']:,.0f} MB "
              f"and peaked at {pand['peak_rss_before_checks']:,.0f} MB while loading. Same numbers: "
              f"{len(pand['checks']) - len(bad)} of "
              f"{len(pand['checks'])} query results are identical in pandas and DuckDB (rows in any order; columns "
              f"that depend on how ties are broken, {', '.join(sorted(UNORDERED_COLUMNS))}, not compared; "
              f"{', '.join(f'`{k}`' for k in RANKED_BY)} compared on its ranking columns only, as its ORDER BY "
              f"leaves ties at the LIMIT; "
              + ", ".join(f"`{k}` likewise on {', '.join(c)} when it reaches its LIMIT {n}"
                          for k, (n, c) in CUT_TIES.items()) + ")"
              + ("." if not bad else "; **mismatches**: " + "; ".join(
                  f"{c['page']} {c['query']} ({c['problem']})" for c in bad) + "."), "",
              "Slowest queries (median over the runs):", "",
              "| query | page / filters | warm | cold |", "|---|---|---|---|"]
    for warm, cold, where, label in slowest_queries(views, res["timeout"]):
        ge = "≥ " if warm >= res["timeout"] else ""
        lines.append(f"| `{label}` | {where} | {ge}{fmt_s(warm)} | {'≥ ' if cold >= res['timeout'] else ''}"
                     f"{fmt_s(cold)} |")
    if app:
        lines += ["", app_summary(app)]
        visits = ("first visit", "again", "region", "in the app")
        lines += ["", "| page | first visit | again (cached) | region | in the app (sidebar) | server peak after its "
                      "first visit |", "|---|---|---|---|---|---|"]
        for name, r in app["pages"].items():
            cells = []
            for visit in visits:
                x = r.get(visit)
                if not x:
                    cells.append("not visited (did not finish before)" if r else "–")
                    continue
                cell = (f"sign-in form {x['form_s']:.2f} s, then {x['after_sign_in_s']:.2f} s after the click"
                        if x.get("signed_in") else f"{x['s']:.2f} s") + ("" if x["ok"] else " (not finished)")
                if x["errors"]:
                    cell += f" ({x['errors']} error{'s' if x['errors'] > 1 else ''})"
                cells.append(cell)
            peak = f"{r['first visit']['hwm']:,.0f} MB" if "first visit" in r else "–"
            lines.append(f"| {name} | {' | '.join(cells)} | {peak} |")
        errs = {(n, x["error"].splitlines()[0]) for n, r in app["pages"].items() for x in r.values() if x["error"]}
        if errs:
            lines += ["", "Errors shown by pages: " + "; ".join(f"{n}: `{e[:160]}`" for n, e in sorted(errs)) + "."]
    busy = max(c for k, (_, c) in res["contention"].items() if k != "app")
    lines += ["", "Other work on the machine while measuring (average number of cores kept busy by processes other "
              f"than the benchmark's, of {os.cpu_count()}): " + ", ".join(
                  f"{k} ({w / 60:.0f} min) {c:.2f}" for k, (w, c) in res["contention"].items() if k != "app")
              + (f"; app phase {res['contention']['app'][1]:.2f}, which counts the headless browser's own "
                 "processes" if "app" in res["contention"] else "") + "."
              + (" **The figures above were measured under contention** (other sessions' tests, browsers and "
                 "builds were running); medians are affected less than p95s." if busy >= 0.25 else "")]
    return "\n".join(lines), console


def targets(results: list[dict]) -> list[str]:
    lines = ["| target | measured | met? |", "|---|---|---|"]
    by = {r["rows"]: r for r in results}

    def yes(ok: bool | None) -> str:
        return "not measured" if ok is None else ("**yes**" if ok else "**no**")

    for rows, limit in TARGET_MEDIAN_S.items():
        r = by.get(rows)
        if not r:
            lines.append(f"| {rows / 1e6:.0f}M rows: every page's queries under {fmt_s(limit)} median | – | "
                         "not measured |")
            continue
        worst_w = max(r["views"], key=lambda v: median(v["warm"]))
        worst_c = max(r["views"], key=lambda v: median(v["cold"]))
        slow = [f"{v['page']} ({v['filters']})" for v in r["views"] if median(v["warm"]) >= limit]
        lines.append(f"| {rows / 1e6:.0f}M rows: every page's queries under {fmt_s(limit)} median (warm) | "
                     f"slowest {worst_w['page']}, {fmt_s(median(worst_w['warm']))}"
                     + (f"; over: {', '.join(slow)}" if slow else "") + f" | {yes(not slow)} |")
        slow_c = [f"{v['page']} ({v['filters']})" for v in r["views"] if median(v["cold"]) >= limit]
        lines.append(f"| {rows / 1e6:.0f}M rows: the same, cold (new process and connection) | "
                     f"slowest {worst_c['page']}, {fmt_s(median(worst_c['cold']))}"
                     + (f"; over: {', '.join(slow_c)}" if slow_c else "") + f" | {yes(not slow_c)} |")
    r = by.get(10_000_000)
    app = r.get("app") if r else None
    met = app["peak"] < TARGET_APP_MB if app else None
    lines.append("| 10M rows: app memory under 1.5 GB | " + (f"peak {app['peak']:,.0f} MB" if app else "–")
                 + f" | {yes(met)} |")
    r = by.get(1_000_000)
    app = r.get("app") if r else None
    if app:
        draws = [(t, n, v + label) for n, pr in app["pages"].items() for v, x in pr.items()
                 for label, t in page_draws(x)]
        worst = max(draws)
        ok = all(x["ok"] and not x["errors"] and all(t < TARGET_DRAW_S for _l, t in page_draws(x))
                 for pr in app["pages"].values() for x in pr.values())
        after = " (after warm-up)" if "launcher" in app else ""
        lines.append(f"| 1M rows: every page fully drawn in the browser within 2 s{after} | slowest {worst[1]} "
                     f"({worst[2]}), {worst[0]:.2f} s | {yes(ok)}"
                     + (" (pages missing or erroring: the target cannot be met yet)" if app["missing"] or any(
                         x["errors"] for pr in app["pages"].values() for x in pr.values()) else "") + " |")
        x = app.get("during_warmup")
        if x and x["began_during_warmup"]:
            slowest = max(page_draws(x), key=lambda d: d[1])
            lines.append(f"| 1M rows: the same for the landing page opened during warm-up (right after a restart) | "
                         f"trends{slowest[0]}, {slowest[1]:.2f} s | "
                         f"{yes(x['ok'] and not x['errors'] and all(t < TARGET_DRAW_S for _l, t in page_draws(x)))} |")
    else:
        lines.append("| 1M rows: every page fully drawn in the browser within 2 s | – | not measured |")
    return lines


def write_doc(args: argparse.Namespace, results: list[dict]) -> None:
    import duckdb
    import pandas as pd
    import streamlit

    cmd = "python bench/bench_pages.py " + " ".join(f"--rows {r}" for r in args.rows) + f" --runs {args.runs}" \
        + (" --no-app" if args.no_app else "")
    recorded = [(r["rows"], r["command"], r.get("queries_command")) for r in results if r.get("command")]
    if recorded and len(recorded) == len(results):  # each size says what measured it (runs may differ)
        cmd = "; ".join(f"{rows / 1e6:.0f}M: " + (f"queries `{q}`, app and browser `{c}`" if q else f"`{c}`")
                        for rows, c, q in recorded)
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    done = [r["rows"] for r in results]
    pending = [r for r in args.rows if r not in done]
    parts = [START, "## Dashboard pages (`bench/bench_pages.py`)", "",
             (f"Commands: {cmd}" if cmd.startswith(tuple("0123456789")) else f"Command: `{cmd}`")
             + (f" (sizes not measured yet: {', '.join(f'{r:,}' for r in pending)})"
                                    if pending else "")
             + f" ({dt.date.today()}, {platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GB, "
             f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, pandas {pd.__version__}, "
             f"Streamlit {streamlit.__version__}).", "",
             "Each page's full list of queries (`dashboard.db.queries.page_queries`), results fetched into pandas "
             "as the app does. **Cold**: a fresh process opens a fresh read-only connection and runs the page "
             "once (connect included; the OS file cache is warm). **Warm**: the same connection, the page run "
             "again and again. **pandas**: the same aggregates computed the usual Streamlit way, with pandas on "
             "DataFrames loaded once (engagements with their joined columns, obstacle and condition rows, small "
             "tables including incidents and merge decisions), in one process. Median and p95 (nearest rank) over "
             "the runs. Browser: the app started as operators do, `python -m dashboard` (it caches every page's "
             "default view in the background and prints \"Warm-up done\"); headless Chromium; a page is *drawn* "
             "when Streamlit reports the script finished, no spinner or placeholder shows, every plotly chart has "
             "drawn its SVG and the map its Leaflet areas and points, stable for 0.5 s. A browser that never opened "
             "the app gets the sign-in form: the form's draw (from navigation) and the page's draw (from the click "
             f"on Sign in, after a {TYPING_S:.0f} s pause for typing, during which the app loads the chart code) are "
             "timed separately; a browser that signed in stays signed in (an HttpOnly session cookie), so later "
             "visits by address are timed from navigation. One sign-in visit to the landing page as soon as the "
             "server answers, while the warm-up is still running (own browser context); then, after the warm-up "
             "line, in one browser: each page's first visit by address (trends first: the sign-in), the same page "
             "again, narrowed to a region (not warmed), and each page opened from the sidebar (the same Streamlit "
             "session; the lookup page without an id).", ""]
    parts.append("Targets (from the issue):")
    parts.append("")
    parts += targets(results)
    for r in results:
        parts += ["", r["markdown"]]
    parts.append(END)
    section = "\n".join(parts)
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Performance\n"
    if START in text:
        head, rest = text.split(START, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.write_text(text, encoding="utf-8")
    print(f"\nwrote {DOC}")


# -------------------------------------------------------------------------------------- main


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
