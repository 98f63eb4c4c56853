"""Red team on the conflict data (ACLED events, HDX HAPI counts): can a user reach another region's events, an
actor's name or an event's notes where names are pseudonymised, or a small count as hq?

The database is the demo with conflict rows planted by SQL (tests/dashboard/conflict_data.py): every text
cell carries a marker of its country (``Mk<ISO3>...``), so any cell a page or a query returns says which
country it comes from. Attacks:

* every query of the Trends, map and profile query sets (``page_queries``: what the pages and their downloads
  show), run as a coordinator of each region with filters naming its own region, another region, another
  country, and every planted counterpart's id: no cell of another region's country, and the events
  counted are exactly the region's (plain Python over the raw rows);
* the pages themselves (AppTest, map layers on): no marker of another region anywhere on the page;
* an event of a country in no region (``Other``) reaches no coordinator of an ordinary region;
* hq (names pseudonymised): no actor name, associated actor or notes on any page or in any view, no count
  of events or fatalities under k in tables, charts or tooltips; a coordinator sees them in its region
  (the control: the same walk can fail).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from dashboard.db import conflict_queries as cq
from dashboard.db import queries
from dashboard.db.filters import Filters
from dashboard.db.scope import ensure_scope
from etl.accounts.roles import Scope, scope_for
from etl.store.db import connect_read
from tests.dashboard.conflict_data import COUNTRIES, LAST, UNKNOWN, raw
from tests.security.test_hq_disclosure import COORDINATOR, HQ, MENA, K, _open, shown, violations

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

YEAR = Filters(start=LAST - dt.timedelta(days=364), end=LAST)
PAGES = ("trends", "map", "counterpart")


def _regions(db: Path) -> dict[str, str]:
    """ISO3 -> region of every country (the demo's own conflict files cover its countries) and of every
    planted one (``Other`` for one outside ``countries``)."""
    known = {c["iso3"]: c["region"] for c in raw(db, "countries")}
    return {**known, **{iso3: known.get(iso3) or "Other" for iso3 in COUNTRIES}}


def _foreign(values: list[object], mine: set[str]) -> list[str]:
    """Markers of a planted country outside ``mine`` found in ``values`` (each with a little of what follows)."""
    out = []
    for v in values:
        text = str(v)
        for iso3 in COUNTRIES:
            at = text.find(f"Mk{iso3}") if iso3 not in mine else -1
            if at >= 0:
                out.append(text[at:at + 24])
    return out


def _cells(df: pd.DataFrame) -> list[object]:
    return [v for col in df.columns for v in df[col].tolist()]


def test_a_coordinator_reaches_no_other_regions_conflict_data_through_any_page_query(conflict_db) -> None:
    db, linked = conflict_db
    region_of = _regions(db)
    events = raw(db, "conflict_events")
    areas = {r["admin1_pcode"]: r["iso3"] for r in raw(db, "conflict_event_counts")}
    cps = [c.counterpart_id for c in linked]
    con = connect_read(db)
    leaks, wrong = [], []
    try:
        for region in sorted(set(region_of.values())):
            mine = {iso3 for iso3, r in region_of.items() if r == region}
            cur = con.cursor()
            cur.execute(f"SET search_path = '{ensure_scope(con, scope_for('coordinator', (region,)), 'salt')}'")
            others = sorted(set(region_of.values()) - {region})
            attempts = [YEAR, Filters(start=YEAR.start, end=LAST, regions=tuple(others)),
                        Filters(start=YEAR.start, end=LAST, countries=tuple(set(COUNTRIES) - mine))]
            for f in attempts:
                for page in PAGES:
                    for cp in (cps if page == "counterpart" else cps[:1]):
                        for sql, params in queries.page_queries(page, f, cp):
                            if sql == queries.AREA_SHAPES:  # reference data: every scope sees every shape
                                continue
                            df = cur.execute(sql, params).df()
                            found = _foreign(_cells(df), mine)
                            if "iso3" in df.columns:
                                found += [v for v in df["iso3"] if v in region_of and v not in mine]
                            if "pcode" in df.columns:
                                found += [v for v in df["pcode"] if areas.get(v, next(iter(mine))) not in mine]
                            if found:
                                leaks.append(f"{region} {page} {f.describe()}: {found[:3]}")
            # What the region's own view counts: exactly its own events.
            got = int(cur.execute(*cq.events_monthly(YEAR)).df()["events"].sum())
            want = sum(1 for r in events if r["iso3"] in mine and YEAR.start <= r["event_date"] <= LAST
                       and r["date_precision"] != "year")
            if got != want:
                wrong.append(f"{region}: {got} events counted, {want} are its own")
            cur.close()
    finally:
        con.close()
    assert not leaks, "\n".join(leaks[:10])
    assert not wrong, "\n".join(wrong)


def test_an_event_of_a_country_in_no_region_reaches_no_ordinary_region(conflict_db) -> None:
    db, _ = conflict_db
    ordinary = sorted({c["region"] for c in raw(db, "countries")})
    con = connect_read(db)
    try:
        def seen(role: str, regions: tuple[str, ...], table: str) -> set[str]:
            path = ensure_scope(con, scope_for(role, regions), "salt")
            return {r for (r,) in con.execute(f"SELECT DISTINCT iso3 FROM {path}.{table}").fetchall()}

        for table in ("conflict_events", "conflict_event_counts"):
            for region in ordinary:
                assert UNKNOWN not in seen("coordinator", (region,), table), f"{region} reaches {UNKNOWN} ({table})"
            assert UNKNOWN not in seen("coordinator", tuple(ordinary), table), table
            assert seen("coordinator", ("Other",), table) == {UNKNOWN}, table
            assert UNKNOWN in seen("hq", (), table), f"the control: hq reaches every region ({table})"
    finally:
        con.close()


def test_a_coordinator_sees_no_other_regions_conflict_data_on_the_pages(conflict_db, use_db) -> None:
    db, _ = conflict_db
    use_db(db)
    mine = {iso3 for iso3, r in _regions(db).items() if r == MENA}
    for page, params in (("trends", {"period": "365d"}), ("map", {"period": "365d"}),
                         ("trends", {"period": "365d", "country": "AFG"})):
        at = _open(page, params, user=COORDINATOR)
        if page == "map":
            for key in ("map_conflict_events", "map_conflict_areas"):
                at.toggle(key=key).set_value(True).run()
        s = shown(at, page)
        text = s.all_text()
        assert not _foreign([text], mine), f"{page} {params}: {_foreign([text], mine)[:3]}"
        if page == "map":
            assert any("MkYEMActor" in t for t in s.tips), "the control: the region's own events are not drawn"
    # The region's own figures, exactly (the by-type table): plain Python over the raw rows.
    at = _open("trends", {"period": "365d"}, user=COORDINATOR)
    table = next(f for f in shown(at, "trends").frames if "event_type" in f.columns)
    want: dict[str, int] = {}
    for r in raw(db, "conflict_events"):
        if r["iso3"] in mine and YEAR.start <= r["event_date"] <= LAST:
            want[r["event_type"]] = want.get(r["event_type"], 0) + 1
    assert dict(zip(table["event_type"], table["events"], strict=True)) == want


# ------------------------------------------------------------------------------------------- hq


def _secrets(db: Path) -> set[str]:
    """Actor names, associated actors and notes of every planted event (distinctive ones)."""
    out = set()
    for r in raw(db, "conflict_events"):
        out |= {str(r[c]) for c in ("actor1", "actor2", "assoc_actor_1", "assoc_actor_2", "notes")
                if r[c] is not None and len(str(r[c])) >= 8}
    return out


def test_hq_sees_no_actor_nor_notes_in_the_views(conflict_db) -> None:
    db, _ = conflict_db
    columns = ("actor1", "actor1_key", "assoc_actor_1", "actor2", "actor2_key", "assoc_actor_2", "notes")
    con = connect_read(db)
    try:
        path = ensure_scope(con, scope_for("hq", ()), "salt")
        rows = con.execute(f"SELECT {', '.join(columns)} FROM {path}.conflict_events").fetchall()
        assert rows and all(v is None for r in rows for v in r), "hq sees an actor or notes"
        path = ensure_scope(con, scope_for("hq", ("Asia",)), "salt")
        named = {iso3 for (iso3,) in con.execute(f"SELECT DISTINCT iso3 FROM {path}.conflict_events "
                                                 "WHERE actor1 IS NOT NULL OR notes IS NOT NULL").fetchall()}
        region_of = _regions(db)
        want = {r["iso3"] for r in raw(db, "conflict_events")
                if region_of.get(r["iso3"]) == "Asia" and (r["actor1"] is not None or r["notes"] is not None)}
        assert "AFG" in want and named == want, f"hq granted Asia sees names in {named}, expected {want}"
        # An event's notes (free text that may name people) are hidden where notes are hidden or where names are
        # pseudonymised, whichever the role says (no role today says one without the other).
        for names, notes in ((True, False), (False, True)):
            scope = Scope("mixed", True, frozenset(), False, frozenset(), names, notes)
            path = ensure_scope(con, scope, "salt")
            shown = con.execute(f"SELECT count(notes), count(actor1) FROM {path}.conflict_events").fetchone()
            assert shown[0] == 0, f"notes shown with names pseudonymised={names}, notes hidden={notes}"
            assert (shown[1] == 0) == names
    finally:
        con.close()


@pytest.mark.parametrize("params", [{"period": "365d"}, {"period": "30d", "country": "SSD"}])
def test_hq_pages_show_no_actor_notes_or_small_count(params: dict[str, str], conflict_db, use_db) -> None:
    db, linked = conflict_db
    use_db(db)
    secrets = _secrets(db) | {c.name for c in linked} | {c.variant for c in linked}
    for page in ("trends", "map"):
        at = _open(page, params, user=HQ)
        if page == "map":
            for key in ("map_conflict_events", "map_conflict_areas"):
                at.toggle(key=key).set_value(True).run()
        s = shown(at, page)
        found = violations(s)
        assert not found, f"{page} {params}:\n" + "\n".join(found[:10])
        text = s.all_text()
        leaked = [n for n in secrets if n in text]
        assert not leaked, f"{page} {params}: actors or notes shown to hq: {leaked[:3]}"
        if page == "map":
            tips = [t for t in s.tips if "Conflict event" in t]
            assert tips, "no conflict tooltip drawn: nothing checked"
            assert any(f"< {K}" in t for t in tips), "no small count marked in the conflict tooltips"


def test_the_same_walk_finds_names_and_small_counts_a_coordinator_sees(conflict_db, use_db) -> None:
    """The control: in its region a coordinator sees actors, notes and exact small counts, and the walk above
    reports them."""
    db, _ = conflict_db
    use_db(db)
    at = _open("map", {"period": "365d"}, user=COORDINATOR)
    for key in ("map_conflict_events", "map_conflict_areas"):
        at.toggle(key=key).set_value(True).run()
    s = shown(at, "map")
    assert [n for n in _secrets(db) if n in s.all_text()], "no actor or notes shown in clear: the walk sees nothing"
    assert [v for v in violations(s) if "tooltip" in v], "no small count found in the tooltips"


def test_hq_downloads_follow_the_small_cell_rule() -> None:
    """What hq takes away of the conflict tables goes through the screen's rule (components.downloads)."""
    from dashboard.ui.components import suppress_small_cells

    frame = pd.DataFrame({"event_type": ["Battles", "Riots", "Protests"], "events": [3, 40, 41],
                          "fatalities": [2, 30, 50], "events_before": [12, 1, 20]})
    out = suppress_small_cells(frame, K)
    assert out.loc[0, "events"] == f"< {K}" and out.loc[0, "fatalities"] == f"< {K}"
    assert out.loc[1, "events_before"] == f"< {K}"
    assert sum(isinstance(v, str) for v in out["events"]) >= 2, "one hidden cell beside a known total"
