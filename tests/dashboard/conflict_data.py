"""Conflict events (ACLED) and monthly counts (HDX HAPI) written straight into a copy of the demo database.

The loader is not under test here (the feed tests are its own): rows go in with plain SQL, shaped as schema 5
declares them (etl/store/migrations/m0005_conflict_events.py), actor keys made as the loader makes them
(``etl.counterparts.names.name_key``). Planted on purpose:

* events in four regions, and in a country missing from ``countries`` (:data:`UNKNOWN`);
* for two counterparts, seven events each naming them (under their name or another spelling with the same
  key; one as the second actor only; one as both actors: one event), and one with their key in another
  country (not theirs);
* a marker in every text column of every row (:func:`marker`), unique to its country, so that a test can
  say which country's text a page shows; distinctive actor names and notes (what hq must not see);
* HAPI counts per admin-1 area and month with small counts (1-4) among them, and for one country both
  admin-1 and admin-2 rows of the same events (added up, they would count them twice).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from etl.counterparts.names import name_key

UNKNOWN = "ZZX"  # an ISO3 code in no region
COUNTRIES = ("AFG", "YEM", "SSD", "UKR", UNKNOWN)
TWO_LEVELS = "YEM"  # HAPI rows at admin-1 and admin-2 for this country
ACLED_TYPES = ("Battles", "Explosions/Remote violence", "Violence against civilians", "Protests", "Riots",
               "Strategic developments")
HAPI_TYPES = ("political_violence", "civilian_targeting", "demonstration")
LAST = dt.date(2026, 10, 31)  # the demo's last engagement date (seed 7)
MONTHS = 12


def marker(iso3: str, what: str, i: int) -> str:
    """Text unique to a country's rows: ``Mk<iso3>`` + what + number."""
    return f"Mk{iso3}{what}{i}"


@dataclass(frozen=True)
class Linked:
    """A counterpart named in planted events under another spelling."""

    counterpart_id: str
    name: str
    variant: str
    iso3: str


def _variant(name: str) -> str:
    variant = "Col. " + " ".join(name.upper().split()).replace(" ", "  ")
    assert name_key(variant) == name_key(name) and variant != name, (name, variant)
    return variant


def _months() -> list[dt.date]:
    first = dt.date(LAST.year, LAST.month, 1)
    out = []
    for back in range(MONTHS):
        y, m = divmod(first.year * 12 + first.month - 1 - back, 12)
        out.append(dt.date(y, m + 1, 1))
    return sorted(out)


def plant(con: duckdb.DuckDBPyConnection, seed: int = 12) -> list[Linked]:
    """Insert the planted rows into an open (writable) demo database; returns the linked counterparts."""
    rnd = random.Random(seed)
    linked = [Linked(cid, name, _variant(name), iso3) for cid, name, iso3 in con.execute(
        "SELECT counterpart_id, name, iso3 FROM counterparts WHERE iso3 IN ('AFG', 'SSD') "
        "QUALIFY row_number() OVER (PARTITION BY iso3 ORDER BY engagements DESC, counterpart_id) = 1 "
        "ORDER BY iso3").fetchall()]
    areas = {iso3: con.execute("SELECT pcode, name, geometry IS NOT NULL FROM admin_areas WHERE level = 1 AND iso3 = ? "
                               "ORDER BY pcode", [iso3]).fetchall() for iso3 in COUNTRIES}
    load_id = con.execute("SELECT max(load_id) FROM loads").fetchone()[0]
    events = []
    n = 0
    for iso3 in COUNTRIES:
        mine = [c for c in linked if c.iso3 == iso3]
        for i in range(60):
            n += 1
            day = LAST - dt.timedelta(days=rnd.randrange(0, 365))
            area = rnd.choice(areas[iso3]) if areas[iso3] else (f"{iso3}01", marker(iso3, "Area", 0), False)
            actor1, actor2 = marker(iso3, "Actor", i), (marker(iso3, "Target", i) if i % 3 else None)
            if mine and i < 7:  # seven events naming the counterpart, under its name or another spelling
                actor1 = mine[0].variant if i % 2 else mine[0].name
                actor2 = mine[0].variant if i == 6 else actor2  # named as both actors: one event
                if i == 5:  # named as the second actor only
                    actor1, actor2 = marker(iso3, "Actor", i), mine[0].variant
            events.append([
                f"{iso3}{n}", "acled", f"{iso3}{n}", day, "day" if i % 5 else "month", "Political violence",
                ACLED_TYPES[i % len(ACLED_TYPES)], marker(iso3, "Sub", i), actor1,
                name_key(actor1), marker(iso3, "Assoc", i), "Rebel group", actor2,
                name_key(actor2) if actor2 else None, None, "Civilians", "Rebel group-Civilians", i % 4 == 0,
                iso3, marker(iso3, "Country", 0), area[1], None, None, marker(iso3, "Place", i),
                10.0 + rnd.random() * 20, 30.0 + rnd.random() * 30, 1, None, area[0], marker(iso3, "Outlet", i),
                f"{marker(iso3, 'Note', i)}: reported by a named witness", rnd.choice([0, 0, 1, 2, 3, 7, 12]),
                hashlib.sha1(f"{iso3}{n}".encode()).hexdigest(), i + 1, load_id])
    # The counterpart's key in another country: not this counterpart.
    other = linked[0]
    events.append([f"UKR{n + 1}", "acled", f"UKR{n + 1}", LAST, "day", None, "Battles", None, other.variant,
                   name_key(other.variant), None, None, None, None, None, None, None, False, "UKR", "Ukraine",
                   None, None, None, marker("UKR", "Place", 99), 48.0, 31.0, 1, None, None, None, None, 1,
                   "x", 999, load_id])
    con.executemany("INSERT INTO conflict_events VALUES (" + ", ".join(["?"] * 35) + ")", events)
    counts = []
    for iso3 in COUNTRIES:
        for month in _months():
            for event_type in HAPI_TYPES:
                for pcode, name, _ in (areas[iso3] or [(f"{iso3}01", marker(iso3, "Area", 0), False)])[:6]:
                    events_n = rnd.choice([0, 1, 2, 3, 4, 6, 9, 15, 30])
                    deaths = rnd.choice([0, 1, 2, 5, 8, 20])
                    row = ["hdx_hapi", iso3, 1, pcode, name, None, None, event_type, month,
                           month + dt.timedelta(days=27), events_n, deaths]
                    if iso3 == TWO_LEVELS:  # the same events at admin-2, split in two districts
                        a = events_n // 2
                        for j, part in enumerate((a, events_n - a)):
                            counts.append(["hdx_hapi", iso3, 2, pcode, name, f"{pcode}0{j}", f"{name} district {j}",
                                           event_type, month, month + dt.timedelta(days=27), part,
                                           deaths if j == 0 else 0])
                    counts.append(row)
    con.executemany("INSERT INTO conflict_event_counts VALUES (" + ", ".join(["?"] * 15) + ")",
                    [[*r, hashlib.sha1(repr(r).encode()).hexdigest(), i + 1, load_id] for i, r in enumerate(counts)])
    return linked


def conflict_copy(demo_db: Path, folder: Path) -> tuple[Path, list[Linked]]:
    """A copy of the demo database with the planted rows; the linked counterparts."""
    db = folder / "access.duckdb"
    shutil.copy(demo_db, db)
    con = duckdb.connect(str(db))
    try:
        linked = plant(con)
    finally:
        con.close()
    return db, linked


def raw(db: Path, table: str) -> list[dict[str, object]]:
    """Every row of ``table`` as dicts, read-only (the oracles' input)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute(f"SELECT * FROM main.{table}")  # a table name from the tests' own code
        columns = [d[0] for d in cur.description]
        return [dict(zip(columns, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
