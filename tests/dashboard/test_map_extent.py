"""The map opens fitted to the user's places: their regions' admin areas, narrowed by the place filters, never
another region's.

The oracle is plain Python over the raw rows of the demo database: which countries a user's regions hold
engagements in (the engagements' own ``region`` column), then the corners of those countries' admin areas
(level 0 and 1) read from the stored WKB by shapely. The dashboard computes the same corners in DuckDB through
the user's scoped views (``dashboard.db.queries.map_extent``). The folium map and the real Map page are both
checked: the page's map (AppTest) carries the ``fitBounds`` call the browser runs.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import shapely

from dashboard.db.filters import Filters
from dashboard.ui import maps
from etl.accounts.roles import scope_for
from tests.dashboard.conftest import TEST_USERS, main_elements, map_tips, open_page, problems, sql

pytestmark = pytest.mark.timeout(300)

MENA, EHA = "Middle East and North Africa", "East and Horn of Africa"
EVERYTHING = Filters(dt.date(1990, 1, 1), dt.date(2100, 1, 1))


def oracle(db: Path, regions: set[str] | None, countries: set[str] = frozenset(),  # type: ignore[assignment]
           areas: set[str] = frozenset()) -> list[list[float]] | None:  # type: ignore[assignment]
    """[[south, west], [north, east]] of the admin areas a user of ``regions`` (None: every region) sees."""
    reached = {iso3 for region, iso3, pcode in sql(db, "SELECT region, iso3, admin1_pcode FROM engagements")
               if (regions is None or region in regions) and (not countries or iso3 in countries)
               and (not areas or pcode in areas)}
    boxes = [shapely.from_wkb(bytes(geometry)).bounds
             for pcode, iso3, level, geometry in sql(db, "SELECT pcode, iso3, level, geometry FROM admin_areas")
             if iso3 in reached and geometry is not None
             and (level == 1 and pcode in areas if areas else level in (0, 1))]
    if not boxes:
        return None
    return [[min(b[1] for b in boxes), min(b[0] for b in boxes)], [max(b[3] for b in boxes), max(b[2] for b in boxes)]]


def fitted(m) -> list[list[float]]:  # type: ignore[no-untyped-def]
    """The bounds of the folium map's fit_bounds call."""
    from folium.map import FitBounds

    calls = [c for c in m._children.values() if isinstance(c, FitBounds)]
    assert len(calls) == 1, f"{len(calls)} fit_bounds calls on the map"
    return calls[0].bounds


def close(a: list[list[float]] | None, b: list[list[float]] | None) -> bool:
    if a is None or b is None:
        return a is b
    return all(abs(x - y) < 1e-9 for pa, pb in zip(a, b, strict=True) for x, y in zip(pa, pb, strict=True))


def draw(bounds: list[list[float]] | None):  # type: ignore[no-untyped-def]
    import pandas as pd

    empty = pd.DataFrame(columns=["pcode", "engagements", "share_denied"])
    points = pd.DataFrame(columns=["checkpoint_id", "latitude", "longitude", "engagements", "share_denied"])
    return maps.build_map({"countries": [], "areas": {}}, empty, points, "share_denied", leaflet_js="/l.js",
                          leaflet_css="/l.css", k=None, bounds=bounds)


def test_each_user_s_map_is_fitted_to_their_own_regions(demo_db: Path, use_db) -> None:
    use_db(demo_db)
    mena_countries = {iso3 for (iso3,) in sql(demo_db, "SELECT iso3 FROM countries WHERE region = ?", [MENA])}
    ssd_area, syr_area = (sql(demo_db, "SELECT min(admin1_pcode) FROM engagements WHERE iso3 = ?", [c])[0][0]
                          for c in ("SSD", "SYR"))
    cases = [
        # (role, regions, filters, the oracle's regions, countries, areas)
        ("coordinator", (MENA,), EVERYTHING, {MENA}, set(), set()),
        ("negotiator", (EHA,), EVERYTHING, {EHA}, set(), set()),
        ("hq", (), EVERYTHING, None, set(), set()),
        ("coordinator", (MENA,), Filters(EVERYTHING.start, EVERYTHING.end, countries=("SYR",)), {MENA}, {"SYR"}, set()),
        # another region's country or area in the address adds nothing
        ("coordinator", (MENA,), Filters(EVERYTHING.start, EVERYTHING.end, countries=("SSD", "SYR")),
         {MENA}, {"SYR"}, set()),
        ("negotiator", (EHA,), Filters(EVERYTHING.start, EVERYTHING.end, areas=(ssd_area, syr_area)),
         {EHA}, set(), {ssd_area}),
        ("coordinator", (MENA,), Filters(EVERYTHING.start, EVERYTHING.end, regions=(EHA,)), set(), set(), set()),
        ("hq", (), Filters(EVERYTHING.start, EVERYTHING.end, regions=(EHA,)), {EHA}, set(), set()),
        # activities and organisations do not move the map
        ("coordinator", (MENA,), Filters(EVERYTHING.start, EVERYTHING.end, organisations=("nobody",)),
         {MENA}, set(), set()),
    ]
    for role, regions, f, o_regions, o_countries, o_areas in cases:
        expected = oracle(demo_db, o_regions, o_countries, o_areas)
        got = maps.map_bounds(f, scope_for(role, regions))
        assert close(got, expected), f"{role} {regions} {f.describe(dates=False)}: {got} != {expected}"
        if expected is not None:
            assert close(fitted(draw(got)), expected)
    mena = oracle(demo_db, {MENA})
    assert mena is not None and mena != oracle(demo_db, None), "the demo's MENA areas are the whole map: no test"
    # The oracle is MENA's own areas: every MENA country with boundaries has engagements in the demo.
    assert close(mena, oracle(demo_db, None, mena_countries))


def test_the_map_page_opens_on_the_coordinator_s_region_whatever_the_address_says(demo_db: Path, use_db) -> None:
    """The real page, as a coordinator of MENA, with a country of another region in the address."""
    assert TEST_USERS["test-coordinator"] == ("coordinator", (MENA,))
    use_db(demo_db)
    at = open_page("map", {"period": "all", "country": ["SSD", "SYR"]}, user="test-coordinator")
    assert not problems(at), problems(at)
    scripts = [json.loads(e.proto.json_args).get("script", "") for e in main_elements(at)
               if e.type == "component_instance"]
    calls = [m.group(1) for s in scripts for m in re.finditer(r"\.fitBounds\(\s*(\[\[.*?\]\])", s, re.DOTALL)]
    assert len(calls) == 1, f"{len(calls)} fitBounds calls in the page's map"
    assert close(json.loads(calls[0]), oracle(demo_db, {MENA}, {"SYR"}))
    # Tooltips name the country, not its code.
    names = dict(sql(demo_db, "SELECT iso3, name FROM countries"))
    tips = map_tips(at)
    assert tips and not [t for t in tips for code in names if f"({code})" in t], tips[:3]
    assert any(f"({names['SYR']})" in t for t in tips), tips[:3]
