"""Red team: can an ``hq`` user (every region, counterpart names pseudonymised) learn a count under
``small_cell_k``, a share of fewer than k engagements, a name or an engagement row from what the
pages show?

Attacks tried, each as a link would (URL query parameters) or as a click would:

* narrowing: one day and one checkpoint (or one admin area) holding 1-4 engagements, on every page
  in reach, found with plain SQL on the raw database file;
* walking every figure an hq page shows over several filter settings: metrics, ``st.dataframe``
  cells, plotly figure JSON (values, ``customdata``, ``text``, ``hovertext``) and the map's tooltips;
* subtraction: a suppressed cell recovered from a total and the cells beside it (secondary suppression);
* the table toolbar's own "Download as CSV" and copy, which bypassed the export rules.

Expected values come from SQL over the raw tables, never from the app's queries. A coordinator
(names in clear in its region) must still see the exact small counts: the control that shows these
tests can fail.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.dashboard.conftest import (
    APP,
    FILTERED_PAGES,
    PAGES,
    Visit,
    main_elements,
    metrics,
    open_page,
    page_text,
    problems,
    shot,
    sql,
    wait_for_app,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

K = 5  # the default small_cell_k (etl/config.py); the tests run without ACCESS_* settings
LESS = f"< {K}"
TOO_NARROW = f"Fewer than {K} engagements match these filters"
HQ, COORDINATOR = "test-hq", "test-coordinator"
MENA = "Middle East and North Africa"
HQ_PAGES = FILTERED_PAGES  # trends, map, obstacles, counterparts: what test-hq may open

# Table columns that count engagements, events or people (what must be >= k or "< k" for hq).
COUNT_COLUMNS = {"engagements", "engagements_before", "requests", "obstacles", "incidents", "counterparts", "killed",
                 "injured", "kidnapped", "detained", "kidnapped_or_detained", "recent", "before", "checkpoints",
                 "people_reached", "people_without_access", "times_seen", "events", "events_before",
                 "events_targeting_civilians", "fatalities"}
COUNT_METRICS = {"Engagements", "Access requests", "People reached", "People left without access"}
SHARE_METRICS = {"Share granted", "Share denied", "Median days to access"}
# How a tooltip gives a count: "Engagements: 12" (or in bold), "Incidents: 3", "Fatalities: 2", "2 killed",
# "12 events".
TIP_COUNTS = [re.compile(r"(Engagements|Incidents|Fatalities):\s*(?:<b>)?\s*([^<]+?)\s*(?:</b>|<br>|$)"),
              re.compile(r"((?:<\s*)?[\d,]+) (killed|injured|kidnapped|detained|events|fatalities)")]
NUMBER = re.compile(r"[-+]?[\d,]*\.?\d+(%| pts)?")  # "+3.2 pts": a change of a share, in points
PSEUDONYM = re.compile(r"Counterpart [0-9A-F]{6,}|CP~")


# ------------------------------------------------------------------------------ ground truth


@dataclass(frozen=True)
class Narrow:
    """URL parameters that narrow the view to 1-4 engagements, and what they hold (plain SQL)."""

    params: dict[str, str]
    engagements: int
    what: str


def _narrowing(db: Path, checkpoint: bool) -> Narrow:
    """The busiest (2 to k-1 engagements) day at one checkpoint, or in one admin area."""
    if checkpoint:
        rows = sql(db, """
            SELECT e.engagement_date, e.iso3, e.admin1_pcode, e.checkpoint_id, count(*) AS n
            FROM engagements e JOIN admin_areas a ON a.pcode = e.admin1_pcode AND a.level = 1
            WHERE e.checkpoint_id IS NOT NULL GROUP BY ALL HAVING count(*) BETWEEN 2 AND ?
            ORDER BY n DESC, e.engagement_date DESC, e.checkpoint_id LIMIT 1""", [K - 1])
    else:
        rows = sql(db, """
            SELECT e.engagement_date, e.iso3, e.admin1_pcode, NULL, count(*) AS n
            FROM engagements e JOIN admin_areas a ON a.pcode = e.admin1_pcode AND a.level = 1
            GROUP BY ALL HAVING count(*) BETWEEN 2 AND ?
            ORDER BY n DESC, e.engagement_date DESC, e.admin1_pcode LIMIT 1""", [K - 1])
    assert rows, "no day with 2 to k-1 engagements in one place in the demo data"
    day, iso3, pcode, ck, n = rows[0]
    params = {"period": "custom", "from": day.isoformat(), "to": day.isoformat(), "country": iso3, "area": pcode}
    if checkpoint:
        params["checkpoint"] = ck
    return Narrow(params, n, f"{day} {pcode}" + (f" {ck}" if checkpoint else ""))


@pytest.fixture(scope="module")
def narrow_checkpoint(demo_db: Path) -> Narrow:
    return _narrowing(demo_db, checkpoint=True)


@pytest.fixture(scope="module")
def narrow_area(demo_db: Path) -> Narrow:
    return _narrowing(demo_db, checkpoint=False)


@pytest.fixture(scope="module")
def secrets(demo_db: Path) -> dict[str, set[str]]:
    """What hq must never see: counterpart names, perpetrator names (distinctive ones)."""
    names = {n for (n,) in sql(demo_db, "SELECT name FROM counterparts") if n and len(n) >= 8}
    perpetrators = {n for (n,) in sql(demo_db, "SELECT DISTINCT perpetrator_name FROM incidents "
                                               "WHERE perpetrator_name IS NOT NULL") if len(n) >= 8}
    assert perpetrators, "the demo incidents name no perpetrator: the test could not see a leak"
    return {"names": names, "perpetrators": perpetrators}


# ------------------------------------------------------------------------- what a page shows


def _decode(values: object) -> list[object]:
    """A plotly array as a list (plotly 6 sends numpy arrays as base64 ``bdata``)."""
    if isinstance(values, dict) and "bdata" in values:
        arr = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
        if "shape" in values:
            shape = [int(s) for s in str(values["shape"]).split(",")]
            arr = arr.reshape(shape)
        return arr.tolist()
    if isinstance(values, list):
        return values
    return [] if values is None else [values]


def _flat(values: object) -> Iterator[object]:
    for v in _decode(values):
        if isinstance(v, list | dict):
            yield from _flat(v)
        else:
            yield v


def _number(v: object) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int | float | np.integer | np.floating):
        return None if math.isnan(float(v)) else float(v)
    return None


@dataclass
class Shown:
    """Everything a page shows that could carry a figure or a name."""

    page: str
    metrics: dict[str, str]
    deltas: dict[str, str | None]
    frames: list[pd.DataFrame]
    figures: list[dict]
    tips: list[str]
    html: list[str]
    text: str

    def all_text(self) -> str:
        cells = "\n".join(f.astype(str).to_csv(index=False) for f in self.frames)
        return "\n".join([self.text, cells, *self.tips, *self.html, *(json.dumps(f) for f in self.figures)])


def _tips(script: str) -> list[str]:
    """The tooltip HTML of every map feature (each feature's ``tip`` property, a JSON string)."""
    return [html.unescape(json.loads(m.group(1)))
            for m in re.finditer(r'"tip":\s*("(?:[^"\\]|\\.)*")', script)]


def shown(at, page: str) -> Shown:
    frames, figures, tips, htmls = [], [], [], []
    deltas: dict[str, str | None] = {}
    for e in main_elements(at):
        proto = e.proto
        if e.type == "dataframe":
            frames.append(e.value)
        elif e.type == "plotly_chart":
            figures.append(json.loads(proto.spec))
        elif e.type == "component_instance":
            args = json.loads(proto.json_args)
            tips += _tips(args.get("script", "") + args.get("feature_group", ""))
            htmls.append(args.get("script", ""))
        elif e.type == "html":
            htmls.append(proto.body)
        elif e.type == "metric":
            deltas[proto.label] = proto.delta or None
    return Shown(page, metrics(at), deltas, frames, figures, tips, htmls, page_text(at))


def _count_ok(value: object) -> bool:
    """A count shown to hq: "< k", a blank, a hidden cell, or a whole number >= k."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if text in (LESS, "–", "", "hidden", "nan", "None", "<NA>"):
            return True
        try:
            return float(text) >= K
        except ValueError:
            return False
    n = _number(value)
    return n is None or n >= K


def violations(s: Shown) -> list[str]:
    """Every count under k, or share of fewer than k engagements, that ``s`` shows."""
    out: list[str] = []
    for label, value in s.metrics.items():
        if label in COUNT_METRICS and not _count_ok(value):
            out.append(f"metric {label!r} = {value!r}")
    engagements = s.metrics.get("Engagements")
    if engagements is not None and engagements.strip() == LESS:
        out += [f"metric {label!r} = {v!r} from fewer than {K} engagements" for label, v in s.metrics.items()
                if label in SHARE_METRICS and v.strip() != "–"]
    for i, frame in enumerate(s.frames):
        for col in frame.columns:
            if col in COUNT_COLUMNS:
                bad = [v for v in frame[col].tolist() if not _count_ok(v)]
                if bad:
                    out.append(f"table {i} column {col!r}: {bad[:5]}")
        if "engagements" in frame.columns:
            small = frame["engagements"].astype(str).str.strip() == LESS
            for col in frame.columns:
                if col in COUNT_COLUMNS:
                    continue
                figures = [v for v in frame.loc[small, col].tolist() if _number(v) is not None
                           or (isinstance(v, str) and NUMBER.fullmatch(v.strip()))]
                if figures:
                    out.append(f"table {i} column {col!r}: {figures[:3]} from fewer than {K} engagements")
    for fig in s.figures:
        out += _figure_violations(fig)
    for tip in s.tips:
        for m in TIP_COUNTS[0].finditer(tip):
            if not _count_ok(m.group(2)):
                out.append(f"tooltip {m.group(1)}: {m.group(2)!r} in {tip[:160]!r}")
        for m in TIP_COUNTS[1].finditer(tip):
            if not _count_ok(m.group(1)):
                out.append(f"tooltip {m.group(2)}: {m.group(1)!r} in {tip[:160]!r}")
        if f"Engagements: {LESS}" in tip and re.search(r"\d+%", tip):
            out.append(f"tooltip: a share of fewer than {K} engagements: {tip[:160]!r}")
    for body in s.html:
        for m in re.finditer(r"largest ([\d,]+)", body):
            if not _count_ok(m.group(1)):
                out.append(f"legend: largest {m.group(1)}")
    for m in re.finditer(r"([\d,]+) engagements have no admin area", s.text):
        if not _count_ok(m.group(1)):
            out.append(f"caption: {m.group(0)}")
    return out


COUNT_AXES = {"Engagements", "Obstacles", "Incidents", "Conflict events"}


def _axis_title(layout: dict, axis: str) -> str:
    title = (layout.get(axis) or {}).get("title") or {}
    return title.get("text", "") if isinstance(title, dict) else str(title)


def _figure_violations(fig: dict) -> list[str]:
    out: list[str] = []
    layout = fig.get("layout", {})
    name = (layout.get("title") or {}).get("text", "") if isinstance(layout.get("title"), dict) else ""
    for trace in fig.get("data", []):
        yaxis = "yaxis" + (trace.get("yaxis", "y")[1:] or "")
        counts = _axis_title(layout, yaxis) in COUNT_AXES and trace.get("type") in ("bar", "scatter")
        if counts:
            bad = [v for v in _flat(trace.get("y")) if not _count_ok(v)]
            if bad:
                out.append(f"chart {name!r} trace {trace.get('name')!r}: counts {bad[:5]}")
        bad = [v for v in _flat(trace.get("customdata")) if _number(v) is not None and not _count_ok(v)]
        if bad:
            out.append(f"chart {name!r} trace {trace.get('name')!r}: customdata {bad[:5]}")
        for key in ("text", "hovertext"):
            for v in _flat(trace.get(key)):
                if isinstance(v, int | float) and not _count_ok(v):
                    out.append(f"chart {name!r} {key}: {v}")
                elif isinstance(v, str) and re.fullmatch(r"\s*[0-4]\s*", v):
                    out.append(f"chart {name!r} {key}: {v!r}")
    return out


def _open(page: str, params: dict[str, str], user: str = HQ, incidents: bool = True):  # type: ignore[no-untyped-def]
    at = open_page(page, params, user=user)
    assert not problems(at), problems(at)
    if page == "map" and incidents and any(getattr(t, "key", None) == "map_incidents" for t in at.toggle):
        at.toggle(key="map_incidents").set_value(True).run()  # absent when the page stopped before the map
        assert not problems(at), problems(at)
    return at


# ------------------------------------------------------------------------------ narrowing


@pytest.mark.parametrize("page", HQ_PAGES)
@pytest.mark.parametrize("kind", ["checkpoint", "area"])
def test_narrowing_to_a_few_engagements_shows_no_figure(page: str, kind: str, narrow_checkpoint: Narrow,
                                                       narrow_area: Narrow, secrets: dict[str, set[str]],
                                                       demo_db: Path, use_db) -> None:
    use_db(demo_db)
    narrow = narrow_checkpoint if kind == "checkpoint" else narrow_area
    at = _open(page, narrow.params)
    s = shown(at, page)
    assert TOO_NARROW in s.text, f"{page} narrowed to {narrow.what} ({narrow.engagements} engagements) " \
                                 f"does not say the filters are too narrow"
    found = violations(s)
    assert not found, f"{page} narrowed to {narrow.what} ({narrow.engagements} engagements):\n" + "\n".join(found)
    # Nothing drawn from those engagements at all: no metric, table, chart or map.
    drawn = [e.type for e in main_elements(at) if e.type in ("metric", "dataframe", "plotly_chart",
                                                             "component_instance")]
    assert not drawn, f"{page} narrowed to {narrow.what}: still draws {drawn}"
    text = s.all_text()
    leaked = [n for n in secrets["names"] | secrets["perpetrators"] if n in text]
    assert not leaked, f"{page}: names shown: {leaked[:3]}"
    assert not PSEUDONYM.search(text), f"{page}: a counterpart (pseudonym) shown"


def test_a_coordinator_narrowing_to_its_region_still_sees_the_exact_count(demo_db: Path, use_db) -> None:
    """The control: names in clear, so no suppression; the exact small count is shown."""
    use_db(demo_db)
    row = sql(demo_db, """
        SELECT e.engagement_date, e.iso3, e.admin1_pcode, count(*) FROM engagements e
        JOIN admin_areas a ON a.pcode = e.admin1_pcode AND a.level = 1 WHERE e.region = ?
        GROUP BY ALL HAVING count(*) BETWEEN 2 AND ? ORDER BY 4 DESC, 1 DESC LIMIT 1""", [MENA, K - 1])[0]
    day, iso3, pcode, n = row
    params = {"period": "custom", "from": day.isoformat(), "to": day.isoformat(), "country": iso3, "area": pcode}
    at = _open("trends", params, user=COORDINATOR)
    assert metrics(at)["Engagements"] == str(n)
    assert TOO_NARROW not in page_text(at)
    at = _open("map", params, user=COORDINATOR)
    assert metrics(at)["Engagements"] == str(n)
    engagements = [f for f in shown(at, "map").frames if "counterpart" in f.columns]
    assert engagements and len(engagements[0]) == n, "the coordinator's engagement list is not shown whole"


# ----------------------------------------------------------------- every figure, several views


def _views(db: Path) -> list[dict[str, str]]:
    last = sql(db, "SELECT max(engagement_date) FROM engagements")[0][0]
    # A country with few engagements in the last 30 days (small cells on every page).
    small_country = sql(db, """
        SELECT iso3 FROM engagements WHERE engagement_date > ? GROUP BY 1 ORDER BY count(*), 1 LIMIT 1""",
                        [last - dt.timedelta(days=30)])[0][0]
    week = {"period": "custom", "from": (last - dt.timedelta(days=6)).isoformat(), "to": last.isoformat()}
    return [{"period": "all"}, {"period": "30d"}, week, {"period": "90d", "country": small_country},
            {**week, "region": MENA}]


@pytest.mark.parametrize("page", HQ_PAGES)
def test_every_figure_hq_sees_is_at_least_k_or_marked(page: str, demo_db: Path, secrets: dict[str, set[str]],
                                                       use_db) -> None:
    use_db(demo_db)
    for params in _views(demo_db):
        at = _open(page, params)
        s = shown(at, page)
        found = violations(s)
        assert not found, f"{page} {params}:\n" + "\n".join(found)
        text = s.all_text()
        leaked = [n for n in secrets["names"] | secrets["perpetrators"] if n in text]
        assert not leaked, f"{page} {params}: names shown: {leaked[:3]}"


@pytest.mark.parametrize("page", ["trends", "map", "obstacles", "counterparts"])
def test_the_same_walk_finds_the_exact_small_counts_a_coordinator_sees(page: str, demo_db: Path, use_db) -> None:
    """The control: names in clear in its region, a coordinator sees exact counts under k, and the walk
    above reports them (so it can fail)."""
    use_db(demo_db)
    at = _open(page, {"period": "30d"}, user=COORDINATOR)
    s = shown(at, page)
    assert violations(s), f"{page}: no count under {K} found for a coordinator: the walk sees nothing"
    assert LESS not in s.all_text(), f"{page}: a coordinator's figures are suppressed"


def test_hq_sees_no_engagement_rows_nor_who_controls_a_checkpoint(demo_db: Path, use_db) -> None:
    use_db(demo_db)
    at = _open("map", {"period": "all"})
    cols = [set(f.columns) for f in shown(at, "map").frames]
    assert not [c for c in cols if {"date", "counterpart"} & c], f"the map lists engagements to hq: {cols}"
    at = _open("counterparts", {"period": "all"})
    cols = [set(f.columns) for f in shown(at, "counterparts").frames]
    assert not [c for c in cols if "controlled_by" in c or "checkpoint" in c], \
        f"the counterparts page lists who controls which checkpoint: {cols}"
    at = _open("map", {"period": "all"})
    tips = shown(at, "map").tips
    assert tips, "no map tooltip to check"
    assert not [t for t in tips if "Controlled by" in t or "Last five outcomes" in t], \
        "a checkpoint tooltip names its controller or the outcomes of single engagements"


def test_hq_sees_no_perpetrator_name(demo_db: Path, secrets: dict[str, set[str]], use_db) -> None:
    use_db(demo_db)
    for page in ("trends", "map"):
        at = _open(page, {"period": "all"})
        s = shown(at, page)
        if page == "map":
            assert any("Security incident" in t for t in s.tips), "no incident tooltip drawn: nothing checked"
        text = s.all_text()
        leaked = [n for n in secrets["perpetrators"] if n in text]
        assert not leaked, f"{page}: perpetrator names shown to hq: {leaked}"


# ------------------------------------------------------------- ground truth: small cells by SQL


@pytest.fixture(scope="module")
def small_week(demo_db: Path) -> tuple[dict[str, str], dict[str, int]]:
    """A week in which some regions hold 1-4 engagements: (URL params, engagements per region)."""
    last = sql(demo_db, "SELECT max(engagement_date) FROM engagements")[0][0]
    for back in range(0, 400, 7):
        end = last - dt.timedelta(days=back)
        start = end - dt.timedelta(days=6)
        counts = dict(sql(demo_db, "SELECT coalesce(region, 'Other'), count(*) FROM engagements "
                                   "WHERE engagement_date BETWEEN ? AND ? GROUP BY 1", [start, end]))
        if MENA in counts and 1 <= counts[MENA] < K and sum(1 for v in counts.values() if v < K) >= 1 \
                and sum(counts.values()) >= K:
            return {"period": "custom", "from": start.isoformat(), "to": end.isoformat()}, counts
    pytest.fail("no week with a small MENA count in the demo data")


def test_small_regions_are_marked_for_hq_and_exact_for_a_coordinator(small_week, demo_db: Path, use_db) -> None:
    use_db(demo_db)
    params, counts = small_week
    at = _open("trends", params)
    regions = next(f for f in shown(at, "trends").frames if "region" in f.columns)
    got = dict(zip(regions["region"], regions["engagements"], strict=True))
    for region, n in counts.items():
        if n < K:
            assert str(got[region]).strip() == LESS, f"hq sees {region}: {got[region]!r} (truth {n})"
    chart = next(f for f in shown(at, "trends").figures if "region" in json.dumps(f.get("layout", {})).lower())
    for trace in chart["data"]:
        if trace.get("name") == "This period":
            xs, ys = _decode(trace["x"]), _decode(trace["y"])
            for x, y in zip(xs, ys, strict=True):
                if counts.get(x, 0) < K:
                    assert _number(y) is None, f"the chart shows the share denied of {x} ({counts[x]} engagements)"
    at = _open("trends", {**params, "region": MENA}, user=COORDINATOR)
    assert metrics(at)["Engagements"] == str(counts[MENA]), "the coordinator lost its exact small count"


def test_small_areas_on_the_map_are_marked_in_their_tooltips(demo_db: Path, use_db) -> None:
    use_db(demo_db)
    last = sql(demo_db, "SELECT max(engagement_date) FROM engagements")[0][0]
    start = last - dt.timedelta(days=29)
    small = dict(sql(demo_db, "SELECT a.name, count(*) FROM engagements e JOIN admin_areas a "
                              "ON a.pcode = e.admin1_pcode WHERE e.engagement_date BETWEEN ? AND ? GROUP BY 1 "
                              "HAVING count(*) < ?", [start, last, K]))
    assert small, "no admin area with few engagements in the last 30 days"
    at = _open("map", {"period": "30d"})
    tips = shown(at, "map").tips
    for name in small:
        tip = next((t for t in tips if t.startswith(f"<b>{name}</b>")), None)
        assert tip is not None, f"no tooltip for {name}"
        assert f"Engagements: {LESS}" in tip or f"Engagements: <b>{LESS}</b>" in tip, tip


# ------------------------------------------------------------------- subtraction (complementary)


def test_a_single_suppressed_cell_cannot_be_recovered_by_subtraction() -> None:
    """Rule (dashboard/db/disclosure.py): in each count column, and in each group of rows sharing a key,
    no cell is hidden alone: a second one (the smallest other) is hidden too."""
    from dashboard.ui.components import suppress_small_cells  # what hq's downloads go through

    monthly = pd.DataFrame({"month": ["Jan", "Jan", "Jan", "Feb", "Feb"],
                            "outcome": ["granted", "denied", "deferred", "granted", "denied"],
                            "engagements": [40, 3, 12, 30, 25]})
    out = suppress_small_cells(monthly, K)
    hidden = out["engagements"].map(lambda v: isinstance(v, str))
    assert out.loc[1, "engagements"] == LESS
    assert hidden.sum() >= 2, f"one suppressed cell beside a known total: recoverable\n{out}"
    for _, group in out.assign(h=hidden).groupby("month"):
        assert group["h"].sum() != 1 or len(group) == 1, f"one hidden cell in a month\n{out}"
    for _, group in out.assign(h=hidden).groupby("outcome"):
        assert group["h"].sum() != 1 or len(group) == 1, f"one hidden cell in an outcome\n{out}"
    total = monthly["engagements"].sum()  # the headline shows it
    shown_sum = sum(v for v in out["engagements"] if not isinstance(v, str))
    assert total - shown_sum != 3, "the suppressed 3 equals total minus what is shown"


def test_a_rate_does_not_give_back_a_small_base() -> None:
    """6 obstacles (shown) at 2.0 per engagement would say: 3 engagements."""
    from dashboard.ui.components import suppress_small_cells

    frame = pd.DataFrame({"region": ["A", "B", "C"], "category": ["x", "x", "x"], "obstacles": [6, 40, 50],
                          "per_engagement": [2.0, 0.5, 0.4]})
    out = suppress_small_cells(frame, K)
    assert pd.isna(out.loc[0, "per_engagement"]), f"per engagement of 3 engagements shown\n{out}"
    assert out.loc[1, "per_engagement"] == 0.5


def test_the_rule_applies_unless_every_region_in_view_is_granted() -> None:
    from dashboard.db.disclosure import k_for
    from dashboard.db.filters import Filters
    from etl.accounts.roles import scope_for

    day = dt.date(2026, 1, 1)
    granted = scope_for("hq", ("Asia",))
    assert k_for(granted, Filters(day, day)) == K, "hq looking at every region: the rule applies"
    assert k_for(granted, Filters(day, day, regions=("Asia", MENA))) == K, "a region not granted is in view"
    assert k_for(granted, Filters(day, day, regions=("Asia",))) is None, "only a granted region in view"
    assert k_for(scope_for("hq", ("*",)), Filters(day, day)) is None
    assert k_for(scope_for("coordinator", (MENA,)), Filters(day, day)) is None


def test_exports_use_the_same_rule_as_the_screen() -> None:
    from dashboard.db import disclosure
    from dashboard.ui import components

    frame = pd.DataFrame({"region": ["A", "B", "C"], "engagements": [3, 40, 41], "share_denied": [0.5, 0.1, 0.2]})
    assert components.suppress_small_cells(frame, K).equals(disclosure.protect(frame, K))


# ------------------------------------------------------------------------------ toolbar


def test_the_table_toolbar_download_is_off_in_the_app_config() -> None:
    """``client.disableDataExport``: read from .streamlit/config.toml (AppTest and ``python -m dashboard``)."""
    import tomllib

    config = tomllib.loads((APP.parents[1] / ".streamlit" / "config.toml").read_text())
    assert config.get("client", {}).get("disableDataExport") is True
    from streamlit import config as st_config

    assert st_config.get_option("client.disableDataExport") is True


def test_every_table_on_every_page_has_the_audited_export(demo_db: Path, use_db) -> None:
    """With the toolbar download off, each table must have the one export path (components.downloads)
    under it, so nobody loses a download."""
    use_db(demo_db)
    missing = []
    for user, page in [(HQ, p) for p in HQ_PAGES] + [(COORDINATOR, p) for p in HQ_PAGES]:
        at = _open(page, {"period": "all"}, user=user)
        kinds = [e.type for e in main_elements(at)]
        for i, kind in enumerate(kinds):
            if kind == "dataframe":
                after = kinds[i + 1:]
                stop = next((j for j, t in enumerate(after) if t in ("dataframe", "subheader")), len(after))
                if "download_button" not in after[:stop]:
                    missing.append(f"{user} {page}: table #{kinds[:i].count('dataframe')} has no download")
    assert not missing, "\n".join(missing)


@pytest.mark.browser
@pytest.mark.parametrize("user", [HQ, COORDINATOR, "test-admin"])
def test_the_table_toolbar_offers_no_download_or_copy(user: str, visit: Visit) -> None:
    visit.user = user
    visit.open("/?period=all")
    page = visit.page
    table = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').first
    table.wait_for(state="visible", timeout=60_000)
    table.scroll_into_view_if_needed()
    table.hover()
    toolbar = page.locator('[data-testid="stElementToolbar"]').filter(
        has=page.locator('[data-testid="stElementToolbarButton"]')).first
    # The toolbar shows on hover: wait for its search button (it is there with or without the download).
    page.get_by_role("button", name="Search").first.wait_for(state="visible", timeout=30_000)
    labels = [b.get_attribute("aria-label") or b.inner_text() for b in
              toolbar.locator("button").all()]
    assert not [x for x in labels if x and ("Download" in x or "Copy" in x)], f"{user}: toolbar offers {labels}"
    assert page.get_by_role("button", name="Download as CSV").count() == 0, f"{user}: Download as CSV offered"
    # Copy: select a cell and press the copy keys; nothing reaches the clipboard.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=visit.server.url)
    page.evaluate("navigator.clipboard.writeText('nothing copied')")
    box = table.bounding_box()
    assert box
    page.mouse.click(box["x"] + 60, box["y"] + 50)
    page.keyboard.press("Control+C")
    # A copy lands within moments: look for one until a 3 s deadline, and expect none.
    deadline = time.monotonic() + 3
    copied = None
    while copied is None and time.monotonic() < deadline:
        text = page.evaluate("navigator.clipboard.readText()")
        copied = text if text != "nothing copied" else None
        page.wait_for_timeout(100)  # the polling interval
    assert copied is None, f"{user}: a cell was copied: {copied!r}"
    assert not visit.external, visit.external


# ------------------------------------------------------------------------------ browser


@pytest.mark.browser
@pytest.mark.parametrize("width", [1366])  # the refusal is the server's, whatever the width: one width is enough
def test_a_narrowing_link_in_the_browser_says_too_narrow(width: int, visit: Visit, narrow_checkpoint: Narrow,
                                                         secrets: dict[str, set[str]]) -> None:
    """The same attack as a shared link, in a real browser; screenshots of each hq page."""
    from urllib.parse import urlencode

    visit.user = HQ
    visit.page.set_viewport_size({"width": width, "height": 900})
    for name in HQ_PAGES:
        path = PAGES[name][1] + "?" + urlencode(narrow_checkpoint.params)
        visit.open(path)
        visit.page.get_by_text(TOO_NARROW).first.wait_for(state="visible", timeout=60_000)
        wait_for_app(visit.page)
        body = visit.page.inner_text('[data-testid="stMain"]')
        assert visit.page.locator('[data-testid="stMain"] [data-testid="stMetric"]').count() == 0, name
        assert visit.page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').count() == 0, name
        leaked = [n for n in secrets["names"] | secrets["perpetrators"] if n in body]
        assert not leaked, f"{name}: {leaked[:3]}"
        shot(visit.page, f"hq-narrow-{name}-{width}")
        # The same page, not narrowed: the "< k" marks as a reader sees them.
        visit.open(PAGES[name][1] + "?period=30d")
        visit.page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=60_000)
        shot(visit.page, f"hq-{name}-30d-{width}")
    assert not visit.external, visit.external
