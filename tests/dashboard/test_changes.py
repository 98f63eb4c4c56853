"""Trends' "What changed most, and why": the decomposition against plain Python over the raw rows of a
small database with a planted change, the sentence by hand examples, the drill-through links, and the
attacks (another region's area by URL, hq reading a name or a small count from a driver).

The planted change (March 2025 against February 2025): in Aden (Yemen), denials rise from 3 of 30
engagements to 12 of 32, all of the rise at Km 14 checkpoint with one counterpart whose logged name is
hostile markup; with it come 'military operations' obstacles and a new condition, armed escort (logged in two
spellings of the same condition: two condition rows, one engagement with the condition). Lahj
(Yemen) stays as it was; Upper Nile (South Sudan, another region) jumps from 0 to 10 denials of 10.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest

from dashboard import registry
from dashboard.db import change_queries
from dashboard.db.filters import FILTER_KEYS, Filters, from_query_params
from dashboard.db.scope import ensure_scope
from dashboard.ui import change_list, change_story
from etl.accounts.roles import ALL_REGIONS, scope_for
from etl.config import Settings
from etl.intake import load_paths
from etl.store.db import connect_read
from tests.conftest import row, write_csv
from tests.dashboard.conftest import dataframes, open_page, page_text, problems

HOSTILE = "<img src=x onerror=alert(1)> [link](http://evil)"
NOW = Filters(start=dt.date(2025, 3, 1), end=dt.date(2025, 3, 31), period="custom")
PARAMS = {"period": "custom", "from": "2025-03-01", "to": "2025-03-31"}
K = 5
REAL_NAMES = (HOSTILE, "Col. Mohammed Idris", "Maj. Salem Ali", "Cmdr. Gatluak Bol")

# (month, area, checkpoint, counterpart, engagements, denied, obstacles, conditions): the planted log.
PLAN = [
    (2, "Aden", "Km 14 checkpoint", HOSTILE, 10, 1, "checkpoint delay", "staff list"),
    (2, "Aden", "Port gate", "Maj. Salem Ali", 10, 1, "checkpoint delay", "staff list"),
    (2, "Aden", "Km 14 checkpoint", "Col. Mohammed Idris", 10, 1, "", ""),
    (3, "Aden", "Km 14 checkpoint", HOSTILE, 12, 10, "military operations", "armed escort; military escort"),
    (3, "Aden", "Port gate", "Maj. Salem Ali", 10, 1, "checkpoint delay", "staff list"),
    (3, "Aden", "Km 14 checkpoint", "Col. Mohammed Idris", 10, 1, "", ""),
    (2, "Lahj", "Lahj gate", "Maj. Salem Ali", 10, 2, "", ""),
    (3, "Lahj", "Lahj gate", "Maj. Salem Ali", 10, 2, "", ""),
    (2, "Upper Nile", "Renk gate", "Cmdr. Gatluak Bol", 10, 0, "", ""),
    (3, "Upper Nile", "Renk gate", "Cmdr. Gatluak Bol", 10, 10, "military operations", "armed escort"),
]


def _rows() -> list[dict[str, str]]:
    out = []
    for month, area, checkpoint, counterpart, n, denied, obstacles, conditions in PLAN:
        for i in range(n):
            ident = f"P-{len(out) + 1}"
            # February rows on the 15th-26th, March rows on the 3rd-14th: inside the previous period whether it is
            # the calendar month before or the same number of days before (the address clamps March to the data).
            day = f"2025-{month:02d}-{(15 if month == 2 else 3) + i:02d}"
            south_sudan = area == "Upper Nile"
            out.append(row(engagement_id=ident, request_id=f"R-{ident}", date=day, request_date=day,
                           resolution_date=day, country="SSD" if south_sudan else "YEM", admin1=area,
                           checkpoint=checkpoint, counterpart=counterpart, latitude="", longitude="",
                           location="", outcome="Denied" if i < denied else "Granted", obstacles=obstacles,
                           conditions=conditions, counterpart_affiliation="", people_targeted="1200"))
    return out


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("changes")
    db = folder / "access.duckdb"
    results = load_paths([write_csv(folder / "planted.csv", _rows())], db, Settings(db=db))
    assert sum(r.rows_loaded for r in results) == sum(p[4] for p in PLAN), results
    with duckdb.connect(str(db), read_only=True) as con:  # the two spellings are two rows of one condition
        rows, pairs = con.execute("SELECT count(*), count(DISTINCT (engagement_key, condition)) "
                                  "FROM engagement_conditions").fetchone()  # type: ignore[misc]
    assert rows == pairs + 12, (rows, pairs)
    return db


def _scoped(db: Path, scope) -> duckdb.DuckDBPyConnection:  # type: ignore[no-untyped-def]
    con = connect_read(db)
    con.execute(f"SET search_path = '{ensure_scope(con, scope, 'salt')}'")
    return con


def _changes(db: Path, scope, f: Filters = NOW, **kw: int):  # type: ignore[no-untyped-def]
    con = _scoped(db, scope)
    try:
        return con.execute(*change_queries.changes(f, **kw)).df()
    finally:
        con.close()


EVERYONE = scope_for("hq", (ALL_REGIONS,))  # every region, names in clear


# ------------------------------------------------------------------ the decomposition, against plain Python


def _oracle(db: Path, f: Filters, least: int, keep=lambda e: True):  # type: ignore[no-untyped-def]
    """Rows and drivers computed in plain Python from the raw tables (no SQL aggregate), of the engagements
    ``keep`` accepts (the filters other than dates, done by hand) and of their obstacles and conditions."""
    con = duckdb.connect(str(db), read_only=True)
    engagements = con.execute("SELECT engagement_key, engagement_date, admin1_pcode, checkpoint_id, counterpart_id, "
                              "outcome FROM engagements").fetchall()
    obstacles = con.execute("SELECT engagement_key, category FROM engagement_obstacles").fetchall()
    conditions = con.execute("SELECT engagement_key, condition FROM engagement_conditions").fetchall()
    con.close()
    prev = f.previous()
    period = {}
    for key, day, *_ in filter(keep, engagements):
        if f.start <= day <= f.end:
            period[key] = "now"
        elif prev.start <= day <= prev.end:
            period[key] = "before"
    of = {"area": 2, "checkpoint": 3, "counterpart": 4}
    totals: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    drivers: dict[tuple[str, str], dict[tuple[str, str], dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int)))
    by_key = {e[0]: e for e in engagements}
    for e in engagements:
        when = period.get(e[0])
        if when is None:
            continue
        denied = int(e[5] == "denied")
        for level, i in of.items():
            if e[i] is None:
                continue
            totals[level, e[i]][when] += 1
            totals[level, e[i]][when + "_denied"] += denied
            parts = {"area": ("checkpoint", "counterpart"), "checkpoint": ("counterpart",),
                     "counterpart": ("checkpoint", "area")}[level]
            for kind in parts:
                if e[of[kind]] is not None:
                    cell = drivers[level, e[i]][kind, e[of[kind]]]
                    cell[when] += 1
                    cell[when + "_denied"] += denied
    for table, kind in ((obstacles, "obstacle"), (conditions, "condition")):
        seen = set()
        for key, label in table:
            when = period.get(key)
            if when is None or (kind == "condition" and (key, label) in seen):
                continue
            seen.add((key, label))
            e = by_key[key]
            for level, i in of.items():
                if e[i] is not None:
                    drivers[level, e[i]][kind, label][when] += 1
    rows = {k: v for k, v in totals.items() if v["now"] >= least and v["before"] >= least}
    return rows, drivers


def _assert_as_oracle(got, rows, drivers) -> None:  # type: ignore[no-untyped-def]
    assert {(r.level, r.key) for r in got.itertuples()} == set(rows)
    for r in got.to_dict("records"):
        want = rows[r["level"], r["key"]]
        assert (r["engagements"], r["engagements_before"], r["denials"], r["denials_before"]) == (
            want["now"], want["before"], want["now_denied"], want["before_denied"]), r["key"]
        assert r["change"] == pytest.approx(want["now_denied"] / want["now"] - want["before_denied"] / want["before"])
        shown = {(d["kind"], d["key"]): (d["engagements"], d["engagements_before"], d["denials"], d["denials_before"])
                 for d in r["drivers"]}
        expected = {part: (c["now"], c["before"], c["now_denied"] if part[0] in change_story.PLACE_KINDS else None,
                           c["before_denied"] if part[0] in change_story.PLACE_KINDS else None)
                    for part, c in drivers[r["level"], r["key"]].items()}
        assert shown == expected, r["key"]


def test_rows_and_drivers_match_plain_python_over_the_raw_rows(planted):
    _assert_as_oracle(_changes(planted, EVERYONE, min_engagements=10, drivers=50), *_oracle(planted, NOW, 10))


def test_the_drivers_of_a_place_follow_the_filters(planted):
    """Narrowed to Km 14 checkpoint, Aden's obstacles and conditions are those logged there only, not Port gate's
    (an area's obstacles and conditions are read from the label rows' own columns, filtered like the engagements)."""
    with duckdb.connect(str(planted), read_only=True) as con:
        (km14,) = con.execute("SELECT checkpoint_id FROM checkpoints WHERE name = 'Km 14 checkpoint'").fetchone()  # type: ignore[misc]
    f = replace(NOW, checkpoint=km14)
    got = _changes(planted, EVERYONE, f, min_engagements=10, drivers=50)
    rows, drivers = _oracle(planted, f, 10, keep=lambda e: e[3] == km14)
    assert "area" in set(got.level), got  # Aden is compared, its drivers checked below
    _assert_as_oracle(got, rows, drivers)


def test_the_planted_rise_is_found_and_explained(planted):
    got = _changes(planted, EVERYONE)
    aden = got[(got.level == "area") & (got.name == "Aden")].iloc[0]
    assert (aden.measure, aden.engagements, aden.denials, aden.engagements_before, aden.denials_before) == (
        "rate", 32, 12, 30, 3)
    assert change_story.sentence(aden) == (
        f"Aden: denials up from 10% to 38% (+28 points) on 32 engagements; most of the rise at Km 14 checkpoint "
        f"(+9 denials) and with {HOSTILE} (+9); obstacle 'Ongoing insecurity or hostilities' up from "
        "0 to 12; new condition demanded: Escort.")
    lahj = got[(got.level == "area") & (got.name == "Lahj")].iloc[0]
    assert change_story.sentence(lahj) == "Lahj: denials steady at 20% on 10 engagements."


# ------------------------------------------------------------------ the sentence, by hand examples


def _row(**kw):  # type: ignore[no-untyped-def]
    base = {"name": "Upper Nile", "level": "area", "measure": "rate", "engagements": 230, "engagements_before": 200,
            "denials": 94, "denials_before": 24, "share_denied": 0.41, "share_denied_before": 0.12, "change": 0.29,
            "volume_change": 0.15, "drivers": []}
    return {**base, **kw}


def _place(kind, name, n, n_before, d, d_before):  # type: ignore[no-untyped-def]
    return {"kind": kind, "name": name, "engagements": n, "engagements_before": n_before, "denials": d,
            "denials_before": d_before}


def test_sentence_names_only_the_drivers_that_moved_the_same_way():
    drivers = [_place("checkpoint", "Km 14", 60, 50, 50, 10), _place("checkpoint", "Gate 2", 30, 30, 2, 9),
               _place("counterpart", "Col. X", 40, 30, 30, 5)]
    assert change_story.sentence(_row(drivers=drivers)) == (
        "Upper Nile: denials up from 12% to 41% (+29 points) on 230 engagements; most of the rise at Km 14 "
        "(+40 denials) and with Col. X (+25).")


def test_sentence_for_a_fall_and_for_a_volume_change():
    fall = _row(denials=10, denials_before=60, share_denied=0.05, share_denied_before=0.3, change=-0.25,
                drivers=[_place("counterpart", "Sultan Y", 50, 50, 2, 20),  # 18 of the 50 fewer denials
                         {"kind": "condition", "name": "Fee", "engagements": 0, "engagements_before": 8}])
    assert change_story.sentence(fall) == (
        "Upper Nile: denials down from 30% to 5% (-25 points) on 230 engagements; the largest part of the fall with "
        "Sultan Y (-18 denials); no longer demanded: Fee.")
    busier = _row(measure="volume", engagements=90, engagements_before=30, share_denied=0.2, share_denied_before=0.2,
                  change=0.0, drivers=[_place("checkpoint", "Km 14", 70, 10, 14, 2),
                                       {"kind": "obstacle", "name": "Movement restrictions", "engagements": 20,
                                        "engagements_before": 6}])
    assert change_story.sentence(busier) == (
        "Upper Nile: engagements up from 30 to 90 (+200%), denials steady at 20%; most of the increase at Km 14 "
        "(+60 engagements); obstacle 'Movement restrictions' up from 6 to 20.")


def test_sentence_says_one_point_and_one_denial_in_the_singular():
    small = _row(engagements=20, engagements_before=20, denials=3, denials_before=2, share_denied=0.15,
                 share_denied_before=0.14, change=0.01, drivers=[_place("checkpoint", "Gate 1", 10, 10, 3, 2)])
    assert change_story.sentence(small) == (
        "Upper Nile: denials up from 14% to 15% (+1 point) on 20 engagements; most of the rise at Gate 1 (+1 denial).")


def test_sentence_with_k_names_no_driver_with_a_count_under_k():
    drivers = [_place("checkpoint", "Km 14", 60, 50, 50, 4), _place("counterpart", "Col. X", 40, 30, 30, 5),
               {"kind": "condition", "name": "Escort", "engagements": 12, "engagements_before": 0},
               {"kind": "obstacle", "name": "Military operations", "engagements": 61, "engagements_before": 3}]
    assert change_story.sentence(_row(drivers=drivers), k=K) == (
        "Upper Nile: denials up from 12% to 41% (+29 points) on 230 engagements; the largest part of the rise with "
        "Col. X (+25 denials).")
    assert "Km 14" in change_story.sentence(_row(drivers=drivers))  # the control: without k it is named


# ------------------------------------------------------------------ drill-through links


def test_every_link_round_trips_to_the_narrowed_filters_and_carries_only_ids(planted):
    got = _changes(planted, EVERYONE)
    f = Filters(start=NOW.start, end=NOW.end, period="custom", regions=("Middle East and North Africa",))
    first, last = dt.date(2025, 2, 15), dt.date(2025, 3, 31)
    pages = list(change_story.LINK_PAGES.values())
    checked = 0
    for level in ("area", "checkpoint", "counterpart"):
        rows = got[got.level == level]
        table = change_story.table_rows(rows, f, pages, None)
        for r, shown in zip(rows.to_dict("records"), table.to_dict("records"), strict=True):
            for column in change_story.LINK_PAGES:
                if column not in shown:
                    continue
                url = urlsplit(shown[column])
                params = parse_qs(url.query)
                assert url.scheme == "" and url.netloc == ""
                assert HOSTILE not in shown[column] and "evil" not in shown[column] and "<" not in shown[column]
                if level == "counterpart":
                    assert (url.path, params) == (registry.page("counterpart").url, {"id": [r["key"]]})
                else:
                    assert url.path in {registry.page("map").url, registry.page("obstacles").url}
                    assert set(params) <= set(FILTER_KEYS)
                    back = from_query_params(params, first, last)
                    assert back == change_story.narrowed(f, level, r["key"])
                    assert (back.areas, back.checkpoint) == (((r["key"],), None) if level == "area"
                                                             else (f.areas, r["key"]))
                checked += 1
    assert checked >= 5


def test_no_profile_link_without_the_page_and_none_for_places():
    got = change_story.links(NOW, "area", "YE24", ["map", "counterpart"])
    assert got == {"map": "/map?period=custom&from=2025-03-01&to=2025-03-31&area=YE24", "counterpart": None}
    with pytest.raises(ValueError, match="only 'area' and 'checkpoint'"):
        change_story.narrowed(NOW, "counterpart", "CP-1")


# ------------------------------------------------------------------ attacks, through the app


def _cells(at) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(df.to_csv() for df in dataframes(at))


def test_coordinator_sees_the_hostile_name_as_text_and_cannot_add_another_region_by_url(planted, use_db):
    use_db(planted)
    upper_nile = "SS07"
    at = open_page("trends", {**PARAMS, "area": ["YE24", upper_nile]}, user="test-coordinator")
    assert not problems(at), problems(at)
    cells = _cells(at)
    sentences = [s for df in dataframes(at) if "what_changed" in df for s in df["what_changed"]]
    assert any(HOSTILE in s for s in sentences), sentences  # the name, exactly as logged, in a text cell
    assert "Upper Nile" not in cells and "Renk" not in cells and "Gatluak" not in cells
    assert "Upper Nile" not in page_text(at)
    assert at.query_params.get("area") in (["YE24"], "YE24"), at.query_params  # the other region's area was dropped
    frames = dataframes(at)
    links = [v for df in frames for c in change_story.LINK_PAGES if c in df for v in df[c]]
    assert links and all(HOSTILE not in v and "evil" not in v for v in links)
    assert not any(HOSTILE in str(el.value) for el in at.main.markdown)  # never rendered as markdown


def test_hq_sees_no_name_and_no_driver_count_under_k(planted, use_db):
    use_db(planted)
    at = open_page("trends", PARAMS, user="test-hq")
    assert not problems(at), problems(at)
    cells = _cells(at)
    assert not any(name in cells for name in REAL_NAMES)
    sentences = [s for df in dataframes(at) if "what_changed" in df for s in df["what_changed"]]
    aden = [s for s in sentences if s.startswith("Aden:")]
    # Every driver of Aden's rise has a count under 5 in one period: hq reads the change, not who or where.
    assert aden == ["Aden: denials up from 10% to 38% (+28 points) on 32 engagements."]
    assert not any("open_profile" in df for df in dataframes(at))  # codes have no profile
    # Nor is one offered in words, nor reachable from any cell: hq has no profile page (etl/accounts/roles.py).
    text = page_text(at)
    assert "profile" not in text.lower(), [line for line in text.splitlines() if "profile" in line.lower()]
    assert "/counterpart" not in cells and "/counterpart" not in text
    assert not any(name in text for name in REAL_NAMES)


# ------------------------------------------------------------------ a row's link, in a real browser


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_row_opens_the_map_narrowed_to_its_area(visit) -> None:  # type: ignore[no-untyped-def]
    """Trends -> "What changed most" -> the first area's Map link: the map opens on that area, same period."""
    from tests.dashboard.conftest import error_texts, shot, wait_for_app

    visit.open("/")
    page = visit.page
    tabs = page.locator('[data-testid="stTabs"]').filter(has_text="Admin areas").first
    tabs.scroll_into_view_if_needed()
    grid = tabs.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(state="visible")
    shot(page, "trends_changes")  # (resizes the window for the shot: the table is found again after it)
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    # The first column is the Map link ("Open"); the first row sits under the header row. The grid is a canvas:
    # a link cell opens on a click once the pointer has hovered it.
    x, y = box["x"] + 22, box["y"] + 35 + change_list.SENTENCE_ROW_PX / 2
    page.mouse.move(x, y)
    page.wait_for_timeout(500)
    with page.context.expect_page(timeout=30_000) as opened:
        page.mouse.click(x, y)
    target = opened.value
    wait_for_app(target)
    if target.locator('[data-testid="stForm"]').filter(has_text="Password").count():
        raise AssertionError("the link opened the sign-in form: the remembered session did not carry over")
    query = parse_qs(urlsplit(target.url).query)
    assert urlsplit(target.url).path.rstrip("/").endswith("/map") and len(query.get("area", [])) == 1, target.url
    assert query.get("period") == ["365d"], target.url  # the period of the Trends view it came from
    area = query["area"][0]
    chips = target.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has_text="Admin area").inner_text()
    path = shot(target, "trends_changes_opened")
    assert not error_texts(target), f"errors on {target.url} (screenshot {path})"
    assert "Admin area" in chips and ", " in chips, f"no area chosen in the sidebar: {chips!r} (screenshot {path})"
    assert f"area={area}" in target.url and not visit.external
