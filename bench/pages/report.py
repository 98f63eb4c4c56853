"""The report: console summaries, the targets, and the section of docs/performance.md."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform

from bench.docs import put_block
from bench.pages.browser import TYPING_S
from bench.pages.common import END, ROOT, START, TARGET_APP_MB, TARGET_DRAW_S, TARGET_MEDIAN_S, fmt_s, median, p95
from bench.pages.pandas_run import CUT_TIES, RANKED_BY, UNORDERED_COLUMNS

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
    put_block(section, START, END)
