"""A coordinator of any region sees that region's rows by every page, and nothing of another region's.

The old rule gave every incident, checkpoint and request to the region that sorts last (West and
Central Africa): its coordinator read every region's incidents on the map, with perpetrator names,
and every other coordinator saw none. Here each region's coordinator opens every page it may (the
map with its incident layer on) and everything the app sends to the browser (metrics, tables, chart
data, map HTML and tooltips, text) is searched for strings that only other regions' rows hold:
incident places, perpetrator names and descriptions, checkpoint names, counterpart names. What
belongs to which region is computed in plain Python from the raw tables (country -> region from
``countries``); the positive control (the region's own incidents do show on the map) makes the test
fail if the rule hides everything instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import registry
from etl.accounts import roles
from tests.dashboard.conftest import figures, open_page, page_text, problems, region_users, sql

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# Every page showing negotiation content (a coordinator opens them all, for its region).
PAGES = tuple(p.key for p in registry.DATABASE_PAGES if p.needs in roles.CONTENT)


def _distinctive(db: Path) -> dict[str, set[str]]:
    """Per region, strings found only in that region's rows (long enough to search for)."""
    region_of = {iso3: region for iso3, region in sql(db, "SELECT iso3, region FROM countries")}
    found: dict[str, set[str]] = {}

    def add(region: str | None, *texts: object) -> None:
        for t in texts:
            if isinstance(t, str) and len(t) >= 8:
                found.setdefault(region or "Other", set()).add(t)

    for iso3, place, name, description in sql(db, "SELECT iso3, place, perpetrator_name, description FROM incidents "
                                                  "WHERE duplicate_of IS NULL"):
        add(region_of.get(iso3), place, name, description)
    for iso3, name in sql(db, "SELECT iso3, name FROM checkpoints"):
        add(region_of.get(iso3), name)
    for region, name in sql(db, "SELECT region, name FROM counterparts"):
        add(region, name)
    # keep only strings that are not part of another region's strings ("1st Battalion" is in many names)
    out = {}
    for region, texts in found.items():
        others = "\n".join(t for r, ts in found.items() if r != region for t in ts)
        out[region] = {t for t in texts if t not in others}
    return out


def _everything_sent(at) -> str:
    blob = b"".join(b for _t, b in figures(at)).decode("utf-8", "replace")
    return blob + "\n" + page_text(at)


def test_each_regions_coordinator_sees_only_its_region_on_every_page(demo_db: Path, use_db) -> None:
    use_db(demo_db)
    users = region_users(demo_db, ("coordinator",))
    marks = _distinctive(demo_db)
    incidents_of = {region: {p for (p,) in sql(
        demo_db, "SELECT i.place FROM incidents i JOIN countries c USING (iso3) WHERE c.region = ? AND "
                 "i.duplicate_of IS NULL AND i.latitude IS NOT NULL AND i.place IS NOT NULL", [region])}
        for (_role, region) in users}
    leaks, missing = [], []
    for (_role, region), user in sorted(users.items()):
        foreign = set().union(*(t for r, t in marks.items() if r != region))
        for page in PAGES:
            at = open_page(page, {"period": "all"}, user=user)
            if page == "map":
                at.toggle(key="map_incidents").set_value(True).run()
            assert not at.exception, problems(at)
            sent = _everything_sent(at)
            shown = sorted(t for t in foreign if t in sent)
            if shown:
                leaks.append(f"{user} ({region}) on {page}: {shown[:5]}")
            if page == "map" and incidents_of[region] and not any(p in sent for p in incidents_of[region]):
                missing.append(f"{user} ({region}): none of its {len(incidents_of[region])} incidents on the map")
    assert not leaks, "other regions' rows shown:\n" + "\n".join(leaks)
    assert not missing, "\n".join(missing)
