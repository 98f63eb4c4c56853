"""Conflict events (ACLED) and HDX HAPI counts on Trends, the map and a counterpart's profile.

The figures are checked against plain Python over the rows planted in the database
(tests/dashboard/conflict_data.py), never the app's SQL: events per month and type with fatalities, events
per type against the previous period, the located events of the map, HAPI's monthly series and per-area
counts (each event once although one country has admin-1 and admin-2 rows of the same events), and the
events naming a counterpart (same country, actor1's or actor2's key is the counterpart's, whatever the
spelling; an event naming it twice is one event). Then AppTest opens each page with and without conflict data.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pytest

from dashboard.db import conflict_queries as cq
from dashboard.db.filters import Filters
from dashboard.db.scope import ensure_scope
from dashboard.lookup import brief
from etl.accounts.roles import scope_for
from etl.store.db import connect_read
from tests.dashboard.conflict_data import LAST, TWO_LEVELS, UNKNOWN, raw
from tests.dashboard.conftest import dataframes, map_tips, open_page, page_text, problems

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

YEAR = Filters(start=LAST - dt.timedelta(days=364), end=LAST)
QUARTER = Filters(start=LAST - dt.timedelta(days=89), end=LAST, period="90d")


def _filters(db: Path) -> list[Filters]:
    """The year; a region; a country; an admin area; the last quarter of one country."""
    area = next(r["admin1_pcode"] for r in raw(db, "conflict_events") if r["iso3"] == "AFG")
    return [YEAR, Filters(start=YEAR.start, end=LAST, regions=("East and Horn of Africa",)),
            Filters(start=YEAR.start, end=LAST, countries=("AFG",)),
            Filters(start=YEAR.start, end=LAST, areas=(area,)),
            Filters(start=QUARTER.start, end=LAST, countries=("YEM",)), Filters(start=YEAR.start, end=LAST,
                                                                              regions=("Other",))]


def _run(db: Path, role: str, regions: tuple[str, ...], sql: str, params: list[object]) -> list[dict[str, object]]:
    """``sql`` as a user of ``role`` granted ``regions`` reads it (the app's scoped views)."""
    con = connect_read(db)
    try:
        con.execute(f"SET search_path = '{ensure_scope(con, scope_for(role, regions), 'salt')}'")
        cur = con.execute(sql, params)
        columns = [d[0] for d in cur.description]
        return [dict(zip(columns, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


# ------------------------------------------------------------------------------------ the oracle


def _region_of(db: Path) -> dict[str, str]:
    return {c["iso3"]: c["region"] for c in raw(db, "countries")}


def _kept(row: dict, f: Filters, regions: dict[str, str]) -> bool:
    region = regions.get(str(row["iso3"])) or "Other"
    return ((not f.regions or region in f.regions) and (not f.countries or row["iso3"] in f.countries)
            and (not f.areas or row["admin1_pcode"] in f.areas))


def _events(db: Path, f: Filters) -> list[dict]:
    regions = _region_of(db)
    return [r for r in raw(db, "conflict_events") if f.start <= r["event_date"] <= f.end and _kept(r, f, regions)]


def _month(d: dt.date) -> dt.date:
    return d.replace(day=1)


def _hapi(db: Path, f: Filters) -> list[dict]:
    """HAPI rows in view: each country at its finest admin level only, months that overlap the period."""
    rows = raw(db, "conflict_event_counts")
    finest: dict[str, int] = {}
    for r in rows:
        finest[r["iso3"]] = max(finest.get(r["iso3"], 0), r["admin_level"])
    regions = _region_of(db)
    return [r for r in rows if r["admin_level"] == finest[r["iso3"]] and _month(f.start) <= r["month"] <= f.end
            and _kept(r, f, regions)]


def _sums(rows: list[dict], key, fields=("events", "fatalities")) -> dict:  # type: ignore[no-untyped-def]
    out: dict = defaultdict(lambda: [0] * len(fields))
    for r in rows:
        for i, name in enumerate(fields):
            out[key(r)][i] += 1 if name == "count" else (r[name] or 0)
    return {k: tuple(v) for k, v in out.items()}


# ------------------------------------------------------------------------------------ figures


def test_events_per_month_and_type_match_a_count_in_python(conflict_db) -> None:
    db, _ = conflict_db
    for f in _filters(db):
        want = _sums([r for r in _events(db, f) if r["date_precision"] != "year"],
                     lambda r: (_month(r["event_date"]), r["event_type"]), ("count", "fatalities"))
        got = {(r["month"], r["event_type"]): (r["events"], r["fatalities"])
               for r in _run(db, "hq", ("*",), *cq.events_monthly(f))}
        assert got == want, f.describe()
        assert got, f"nothing planted for {f.describe()}: the test sees nothing"


def test_events_by_type_against_the_previous_period(conflict_db) -> None:
    db, _ = conflict_db
    for f in _filters(db):
        now = _sums(_events(db, f), lambda r: r["event_type"], ("count", "fatalities"))
        civilians = Counter(r["event_type"] for r in _events(db, f) if r["civilian_targeting"])
        before = Counter(r["event_type"] for r in _events(db, f.previous()))
        want = {t: (n, deaths, civilians[t], before[t]) for t, (n, deaths) in now.items()}
        got = {r["event_type"]: (r["events"], r["fatalities"], r["events_targeting_civilians"], r["events_before"])
               for r in _run(db, "hq", ("*",), *cq.events_by_type(f))}
        assert got == want, f.describe()


def test_the_map_draws_every_located_event_in_view(conflict_db) -> None:
    db, _ = conflict_db
    for f in _filters(db):
        want = {r["event_id"] for r in _events(db, f) if r["latitude"] is not None and r["longitude"] is not None}
        got = [r["event_id"] for r in _run(db, "hq", ("*",), *cq.event_points(f))]
        assert sorted(got) == sorted(want), f.describe()


def test_hapi_series_and_areas_count_each_event_once(conflict_db) -> None:
    db, _ = conflict_db
    for f in _filters(db):
        want = _sums(_hapi(db, f), lambda r: (r["month"], r["event_type"]))
        got = {(r["month"], r["event_type"]): (r["events"], r["fatalities"])
               for r in _run(db, "hq", ("*",), *cq.counts_monthly(f))}
        assert got == want, f.describe()
        want_areas = _sums([r for r in _hapi(db, f) if r["admin1_pcode"]],
                           lambda r: (r["admin1_pcode"], r["event_type"]))
        got_areas = {(r["pcode"], r["event_type"]): (r["events"], r["fatalities"])
                     for r in _run(db, "hq", ("*",), *cq.counts_by_area(f))}
        assert got_areas == want_areas, f.describe()
    # The trap is armed: adding up both levels of the two-level country would give more.
    every = [r for r in raw(db, "conflict_event_counts") if r["iso3"] == TWO_LEVELS]
    once = sum(r["events"] for r in _hapi(db, Filters(start=dt.date(2000, 1, 1), end=LAST, countries=(TWO_LEVELS,))))
    assert sum(r["events"] for r in every) > once > 0


# ------------------------------------------------------------------------------------ the profile


def _naming(db: Path, cid: str) -> list[dict]:
    """Raw events naming the counterpart: same country, an actor's key among its keys (its own, merged ones)."""
    me = next(c for c in raw(db, "counterparts") if c["counterpart_id"] == cid)
    keys = {me["name_key"]} | {d["name_key_b"] for d in raw(db, "counterpart_decisions")
                               if d["action"] == "merge" and d["active"] and d["result_id"] == cid}
    return [r for r in raw(db, "conflict_events")
            if r["iso3"] == me["iso3"] and (r["actor1_key"] in keys or r["actor2_key"] in keys)]


def test_a_profile_lists_the_events_naming_the_counterpart_whatever_the_spelling(conflict_db) -> None:
    db, linked = conflict_db
    for cp in linked:
        want = _naming(db, cp.counterpart_id)
        # seven planted; the demo's own ACLED file may name the same counterpart too (counted in `want` as well)
        assert len(want) >= 7, f"planted seven events naming {cp.name}"
        assert any(cp.variant in (r["actor1"], r["actor2"]) for r in want), "no spelling variant planted"
        elsewhere = [r["source_id"] for r in raw(db, "conflict_events")
                     if r["iso3"] != cp.iso3 and r["actor1_key"] == want[0]["actor1_key"]]
        assert elsewhere or cp != linked[0], "the same key in another country is not planted"
        # its region's coordinator, and a user who reaches every region (the other country's event too)
        for role, regions in (("coordinator", (_region_of(db)[cp.iso3],)), ("hq", ("*",))):
            con = connect_read(db)
            try:
                con.execute(f"SET search_path = '{ensure_scope(con, scope_for(role, regions), 'salt')}'")
                p = brief.load_profile(lambda q, params, con=con: con.execute(q, list(params)).df(),
                                       cp.counterpart_id)
            finally:
                con.close()
            assert p is not None
            assert sorted(p.conflict_events["source_id"]) == sorted(r["source_id"] for r in want), role
            assert not set(elsewhere) & set(p.conflict_events["source_id"]), "an event of another country is listed"
            names = set(p.conflict_events["actor1"]) | set(p.conflict_events["actor2"].dropna())
            assert names >= {cp.variant, cp.name}, role
            assert f"Conflict events naming this counterpart ({len(want)})" in brief.render_brief(p)


# ------------------------------------------------------------------------------------ pages


def test_the_pages_show_the_conflict_data(conflict_db, use_db) -> None:
    db, linked = conflict_db
    use_db(db)
    at = open_page("trends", {"period": "365d"})
    assert not problems(at), problems(at)
    titles = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("Conflict events and denials" in s for s in titles) and any("HDX HAPI" in s for s in titles)
    by_type = next(d for d in dataframes(at) if "event_type" in d.columns)
    assert dict(zip(by_type["event_type"], by_type["events"], strict=True)) == {
        t: n for t, (n, _) in _sums(_events(db, YEAR), lambda r: r["event_type"], ("count", "fatalities")).items()}
    at = open_page("map", {"period": "365d"})
    for key in ("map_conflict_events", "map_conflict_areas"):
        at.toggle(key=key).set_value(True).run()
        assert not problems(at), problems(at)
    tips = map_tips(at)
    assert sum(t.startswith("<b>Conflict event</b>") for t in tips) == len(_events(db, YEAR)), \
        "not every located event is drawn"
    assert any(t.startswith("Conflict events in <b>") for t in tips), "no HAPI area circle drawn"
    assert "conflict event (ACLED)" in "".join(h.proto.body for h in at.get("html"))  # the legend
    cp = linked[0]
    at = open_page("counterpart", {"id": cp.counterpart_id})
    assert not problems(at), problems(at)
    assert f"Conflict events ({len(_naming(db, cp.counterpart_id))})" in [t.label for t in at.tabs]


@pytest.fixture(scope="module")
def no_conflict_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database without its conflict files' rows (as before any ACLED or HAPI file is loaded)."""
    db = tmp_path_factory.mktemp("no_conflict") / "access.duckdb"
    shutil.copy(demo_db, db)
    con = duckdb.connect(str(db))
    try:
        con.execute("DELETE FROM conflict_events")
        con.execute("DELETE FROM conflict_event_counts")
    finally:
        con.close()
    return db


def test_the_pages_without_conflict_data_say_so(no_conflict_db: Path, use_db) -> None:
    assert not raw(no_conflict_db, "conflict_events") and not raw(no_conflict_db, "conflict_event_counts")
    use_db(no_conflict_db)
    at = open_page("trends", {"period": "365d"})
    assert not problems(at), problems(at)
    assert "No conflict events from the public record" in page_text(at)
    at = open_page("map", {"period": "365d"})
    for key in ("map_conflict_events", "map_conflict_areas"):
        at.toggle(key=key).set_value(True).run()
        assert not problems(at), problems(at)
    assert "No located conflict events for these filters" in page_text(at)
    cid = raw(no_conflict_db, "counterparts")[0]["counterpart_id"]
    at = open_page("counterpart", {"id": cid})
    assert not problems(at), problems(at)
    assert "Conflict events (0)" in [t.label for t in at.tabs]


def test_an_unknown_country_is_planted(conflict_db) -> None:
    """The security tests rely on it (tests/security/test_conflict_scope.py)."""
    db, _ = conflict_db
    assert UNKNOWN not in _region_of(db)
    assert any(r["iso3"] == UNKNOWN for r in raw(db, "conflict_events"))
    assert any(r["iso3"] == UNKNOWN for r in raw(db, "conflict_event_counts"))


# ------------------------------------------------------------------------------------ hostile text

HOSTILE = '<img src=x onerror="alert(1)">'


def test_text_from_the_publishers_is_never_html() -> None:
    """Every value of an event or a count reaches the map's tooltips and legend, and the charts, escaped."""
    import pandas as pd

    from dashboard.ui import charts, conflict_map

    event = pd.Series({"event_id": "E1", "event_date": dt.date(2026, 1, 2), "date_precision": "day", "iso3": "AFG",
                       "latitude": 34.5, "longitude": 69.2, "location": HOSTILE, "admin1_name": HOSTILE,
                       "event_type": HOSTILE, "sub_event_type": HOSTILE, "actor1": HOSTILE, "actor2": HOSTILE,
                       "fatalities": 3, "notes": HOSTILE, "source": HOSTILE})
    tip = conflict_map.event_tooltip(event)
    counts = pd.DataFrame({"pcode": ["AF01"], "area": [HOSTILE], "iso3": ["AFG"], "event_type": [HOSTILE],
                           "events": [12], "fatalities": [3]})
    shapes = {"areas": {"AF01": {"geometry": {"type": "Point", "coordinates": [69.2, 34.5]}}}}
    layer, _ = conflict_map.area_layer(shapes, counts, HOSTILE, k=None)
    assert layer is not None
    texts = [tip, conflict_map.area_tooltip(counts, HOSTILE, None), conflict_map.legend_html(True, HOSTILE, 12.0)]
    monthly = pd.DataFrame({"month": [pd.Timestamp("2026-01-01")], "event_type": [HOSTILE], "events": [12],
                            "fatalities": [3]})
    outcomes = pd.DataFrame({"month": [pd.Timestamp("2026-01-01")], "outcome": ["denied"], "engagements": [9]})
    texts += [charts.conflict_beside_denials(outcomes, monthly, k=None).to_json(),
              charts.conflict_counts_monthly(monthly, k=None).to_json()]
    for text in texts:
        text = text.replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&")  # as JSON writes them
        assert "<img" not in text and "&lt;img" in text, text[:300]
