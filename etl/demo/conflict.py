"""Synthetic conflict-event feeds for the demo, in ACLED's and HDX HAPI's own file formats.

The dashboard shows the conflict around the negotiations (Trends, the map, a counterpart's
profile). :func:`write_conflict_feeds` writes what a data manager would download beside the logs:

- ``demo_acled_events.csv``: an ACLED export in the current format (lower-case columns, text
  'inter' labels), about one event per 20 engagements (at least 150, at most 50,000), where the
  incidents are (the armed actors' areas, more in later years) and concentrated in the offensive;
  about a quarter of the political-violence events name a demo counterpart of an armed or de facto
  type as ``actor1``, so that its profile lists them. Two rows are dirty and are turned away
  (a negative fatality count, a blank date).
- ``demo_hdx_hapi_conflict_events.csv``: HDX HAPI's download of the same events aggregated per
  admin-1 area, event type and month (UTF-8 with BOM, an HXL row under the header).

Every value is made up; only the formats and vocabularies follow the publishers. The manifest's
``conflict_feeds`` section says what loading them gives.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from etl.demo.incidents import ARMED_TYPES, _Builder, _pick
from etl.demo.model import Counterpart, World
from etl.demo.sampling import _time_quantile

ACLED_FILE = "demo_acled_events.csv"
HAPI_FILE = "demo_hdx_hapi_conflict_events.csv"
CONFLICT_FILES = (ACLED_FILE, HAPI_FILE)
ENGAGEMENTS_PER_EVENT = 20
MIN_EVENTS, MAX_EVENTS = 150, 50_000
OFFENSIVE_SHARE = 0.15
NAMED_SHARE = 0.25  # of the political-violence events: actor1 is a demo counterpart
FIRST_ID = 90_001  # ACLED's per-country numbers; far above the real ones

ACLED_HEADER = ("event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
                "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
                "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3",
                "location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
                "fatalities", "tags", "timestamp")
HAPI_HEADER = ("location_code", "has_hrp", "in_gho", "provider_admin1_name", "provider_admin2_name", "admin1_code",
               "admin1_name", "admin2_code", "admin2_name", "admin_level", "event_type", "events", "fatalities",
               "reference_period_start", "reference_period_end", "dataset_hdx_id", "resource_hdx_id", "warning",
               "error")
HAPI_HXL = ("#country+code", "#meta+has_hrp", "#meta+in_gho", "#adm1+name+provider", "#adm2+name+provider",
            "#adm1+code", "#adm1+name", "#adm2+code", "#adm2+name", "#adm+level", "#event+type",
            "#indicator+event+num", "#affected+killed", "#date+start", "#date+end", "#meta+dataset_id",
            "#meta+resource_id", "#meta+warning", "#meta+error")
# (event type, sub-event type, disorder type, weight); the fatality draw depends on the type.
EVENT_TYPES = (
    ("Battles", "Armed clash", "Political violence", 0.30),
    ("Explosions/Remote violence", "Shelling/artillery/missile attack", "Political violence", 0.12),
    ("Explosions/Remote violence", "Air/drone strike", "Political violence", 0.08),
    ("Violence against civilians", "Attack", "Political violence", 0.14),
    ("Violence against civilians", "Abduction/forced disappearance", "Political violence", 0.06),
    ("Protests", "Peaceful protest", "Demonstrations", 0.18),
    ("Riots", "Violent demonstration", "Demonstrations", 0.06),
    ("Strategic developments", "Looting/property destruction", "Strategic developments", 0.06),
)
MAX_FATALITIES = {"Battles": 12, "Explosions/Remote violence": 8, "Violence against civilians": 3, "Riots": 1}
INTER_OF_TYPE = {0: "State forces", 1: "State forces", 2: "Rebel group", 3: "Political militia",
                 6: "Identity militia"}  # demo counterpart type -> ACLED actor type
SOURCES = (("Local media", 0.4), ("Radio station", 0.2), ("Humanitarian partner", 0.2), ("Social media", 0.2))


def event_count(rows: int) -> int:
    """ACLED-like events for a demo of ``rows`` engagements: one per 20, at least 150, at most 50,000.

    >>> event_count(30_000), event_count(1_000), event_count(10_000_000), event_count(0)
    (1500, 150, 50000, 0)
    """
    if rows <= 0:
        return 0
    return min(MAX_EVENTS, max(MIN_EVENTS, round(rows / ENGAGEMENTS_PER_EVENT)))


def _iso_numeric(iso3: str) -> str:
    from hdx.location.country import Country

    Country.set_use_live_default(False)
    return str(Country.get_m49_from_iso3(iso3) or "")


def _fatalities(rnd: random.Random, event_type: str) -> int:
    top = MAX_FATALITIES.get(event_type, 0)
    return min(top, int(rnd.expovariate(1.2))) if top else 0


class _Events:
    """Draws the events from the demo world, all from one seed."""

    def __init__(self, world: World, seed: int) -> None:
        self.world = world
        self.rnd = random.Random(seed * 7717 + 9)
        self.weights = _Builder(world, seed)  # where the armed actors are, as for the incidents
        self.ndays = (world.end - world.start).days + 1
        self.towns: dict[int, list[Any]] = {}
        for p in world.places:
            self.towns.setdefault(p.area, []).append(p)
        self.armed: dict[int, list[Counterpart]] = {}
        for cp in world.counterparts:
            if cp.ctype in ARMED_TYPES:
                self.armed.setdefault(cp.country, []).append(cp)
        self.numbers: Counter[str] = Counter()

    def _where(self, offensive: bool) -> tuple[int, int]:
        off = self.world.offensive
        if offensive and off:
            return self.world.areas[off["area"]].country, off["area"]
        countries = [c.index for c in self.world.countries]
        country = self.rnd.choices(countries, weights=[self.weights.country_weight[c] for c in countries])[0]
        areas = self.world.countries[country].areas
        return country, self.rnd.choices(areas, weights=[self.weights.area_weight[a] for a in areas])[0]

    def _day(self, offensive: bool) -> dt.date:
        off = self.world.offensive
        if offensive and off:
            return off["start"] + dt.timedelta(days=self.rnd.randint(0, (off["end"] - off["start"]).days))
        frac = float(_time_quantile(np.array([self.rnd.random()]))[0])
        return self.world.start + dt.timedelta(days=min(self.ndays - 1, int(frac * self.ndays)))

    def _actors(self, country: int, disorder: str, event_type: str) -> tuple[str, str, str, str, str | None]:
        """(actor1, inter1, actor2, inter2, the counterpart named as actor1)."""
        name = self.world.countries[country].name
        rnd = self.rnd
        if disorder == "Demonstrations":
            kind = "Rioters" if event_type == "Riots" else "Protesters"
            return f"{kind} ({name})", kind, "", "", None
        pool = self.armed.get(country, [])
        if disorder == "Political violence" and pool and rnd.random() < NAMED_SHARE:
            cp = rnd.choices(pool, weights=[c.weight for c in pool])[0]
            actor1, inter1, named = cp.name, INTER_OF_TYPE.get(cp.ctype, "Political militia"), cp.name
        elif rnd.random() < 0.5:
            actor1, inter1, named = f"Military Forces of {name}", "State forces", None
        else:
            actor1, inter1, named = f"Unidentified Armed Group ({name})", "Political militia", None
        if event_type == "Violence against civilians":
            return actor1, inter1, f"Civilians ({name})", "Civilians", named
        if event_type == "Battles":
            other = f"Unidentified Armed Group ({name})" if inter1 == "State forces" else f"Military Forces of {name}"
            return actor1, inter1, other, "Political militia" if inter1 == "State forces" else "State forces", named
        return actor1, inter1, "", "", named

    def event(self, offensive: bool) -> dict[str, Any]:
        rnd, world = self.rnd, self.world
        country, area = self._where(offensive)
        c = world.countries[country]
        event_type, sub_type, disorder, _w = _pick(rnd, EVENT_TYPES[:3] if offensive else EVENT_TYPES)
        actor1, inter1, actor2, inter2, named = self._actors(country, disorder, event_type)
        town = rnd.choice(self.towns[area])
        day = self._day(offensive)
        self.numbers[c.iso3] += 1
        civilian = event_type == "Violence against civilians" or (
            event_type == "Explosions/Remote violence" and rnd.random() < 0.3)
        return {
            "event_id_cnty": f"{c.iso3}{FIRST_ID + self.numbers[c.iso3]}", "day": day,
            "time_precision": rnd.choices(("1", "2", "3"), weights=(0.85, 0.1, 0.05))[0],
            "disorder_type": disorder, "event_type": event_type, "sub_event_type": sub_type,
            "actor1": actor1, "inter1": inter1, "actor2": actor2, "inter2": inter2,
            "interaction": f"{inter1}-{inter2}" if inter2 else f"{inter1} only",
            "civilian_targeting": "Civilian targeting" if civilian else "", "iso3": c.iso3, "country": c.name,
            "region": c.region, "admin1": world.areas[area].name, "pcode": world.areas[area].pcode,
            "location": town.name, "latitude": round(town.lat, 4), "longitude": round(town.lon, 4),
            "geo_precision": rnd.choices(("1", "2", "3"), weights=(0.7, 0.25, 0.05))[0],
            "source": _pick(rnd, SOURCES)[0], "fatalities": _fatalities(rnd, event_type), "named": named,
        }


def _csv_line(cells: list[object]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()


def _acled_rows(events: list[dict[str, Any]], iso_codes: dict[str, str]) -> list[str]:
    lines = []
    for e in events:
        day = e["day"]
        text = "" if day is None else day.isoformat()
        lines.append(_csv_line([
            e["event_id_cnty"], text, day.year if day else "", e["time_precision"], e["disorder_type"], e["event_type"],
            e["sub_event_type"], e["actor1"], "", e["inter1"], e["actor2"], "", e["inter2"], e["interaction"],
            e["civilian_targeting"], iso_codes[e["iso3"]], e["region"], e["country"], e["admin1"], "", "",
            e["location"], e["latitude"], e["longitude"], e["geo_precision"], e["source"], "Subnational",
            f"{e['event_type']} near {e['location']} (demo data).", e["fatalities"], "", 1_700_000_000]))
    return lines


def _hapi_rows(events: list[dict[str, Any]]) -> tuple[list[str], Counter[tuple[str, str, str, str]]]:
    """Monthly counts per admin-1 area and HAPI event type; returns the CSV lines and the event counts."""
    counts: Counter[tuple[str, str, str, str]] = Counter()
    deaths: Counter[tuple[str, str, str, str]] = Counter()
    names = {e["pcode"]: e["admin1"] for e in events}
    for e in events:
        month = e["day"].strftime("%Y-%m")
        types = []
        if e["disorder_type"] == "Political violence":
            types.append("political_violence")
        if e["disorder_type"] == "Demonstrations":
            types.append("demonstration")
        if e["civilian_targeting"]:
            types.append("civilian_targeting")
        for t in types:
            key = (e["iso3"], e["pcode"], t, month)
            counts[key] += 1
            deaths[key] += e["fatalities"]
    lines = []
    for (iso3, pcode, t, month), n in sorted(counts.items()):
        start = dt.date.fromisoformat(month + "-01")
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        fatalities = "" if t == "demonstration" else deaths[(iso3, pcode, t, month)]
        lines.append(_csv_line([iso3, "Y", "Y", names[pcode], "", pcode, names[pcode], "", "", 1, t, n, fatalities,
                                start.isoformat(), end.isoformat(), "demo-dataset", "demo-resource", "", ""]))
    return lines, counts


def write_conflict_feeds(out_dir: Path, world: World, rows: int, seed: int) -> tuple[list[Path], dict[str, Any]]:
    """Write the demo's ACLED and HDX HAPI files; returns their paths and the manifest section.

    :param out_dir: the demo folder.
    :param world: the demo world.
    :param rows: demo engagements; sets the number of events (:func:`event_count`).
    :param seed: random seed.
    """
    n = event_count(rows)
    if n == 0:
        return [], {"files": [], "rows_written": 0, "loaded": 0}
    draw = _Events(world, seed)
    n_off = round(n * OFFENSIVE_SHARE) if world.offensive else 0
    events = [draw.event(i < n_off) for i in range(n)]
    events.sort(key=lambda e: (e["day"], e["event_id_cnty"]))
    iso_codes = {c.iso3: _iso_numeric(c.iso3) for c in world.countries}
    # two dirty rows, as exports have them: a negative count and a blank date (both turned away)
    dirty = [dict(events[len(events) // 3], event_id_cnty=f"{events[0]['iso3']}{FIRST_ID}", fatalities=-1),
             dict(events[len(events) // 2], event_id_cnty=f"{events[0]['iso3']}{FIRST_ID - 1}", day=None)]
    lines = _acled_rows(events, iso_codes)
    bad_lines = _acled_rows(dirty, iso_codes)
    lines.insert(len(lines) // 4, bad_lines[0])
    lines.insert(len(lines) // 2, bad_lines[1])
    # CSV record numbers (the header is 1) of the rows the loader turns away, and why
    rejected_rows = {lines.index(bad_lines[0]) + 2: "negative_number", lines.index(bad_lines[1]) + 2:
                     "missing_event_date"}
    acled_path = out_dir / ACLED_FILE
    acled_path.write_text(_csv_line(list(ACLED_HEADER)) + "".join(lines), encoding="utf-8", newline="")
    hapi_lines, counts = _hapi_rows(events)
    hapi_path = out_dir / HAPI_FILE
    hapi_path.write_text("\ufeff" + _csv_line(list(HAPI_HEADER)) + _csv_line(list(HAPI_HXL)) + "".join(hapi_lines),
                         encoding="utf-8", newline="")
    by_country = Counter(e["iso3"] for e in events)
    fatalities: Counter[str] = Counter()
    for e in events:
        fatalities[e["iso3"]] += e["fatalities"]
    named = Counter(e["named"] for e in events if e["named"])
    hapi_events: Counter[str] = Counter()
    for (_iso3, _pcode, t, _month), k in counts.items():
        hapi_events[t] += k
    section: dict[str, Any] = {
        "files": [
            {"file": ACLED_FILE, "feed": "acled", "rows": len(lines), "loaded": n, "rejected": 2,
             "rejected_rows": sorted(rejected_rows.items())},
            {"file": HAPI_FILE, "feed": "hdx_hapi_conflict", "rows": len(hapi_lines), "loaded": len(hapi_lines),
             "rejected": 0},
        ],
        "rows_written": len(lines) + len(hapi_lines),
        "loaded": n + len(hapi_lines),
        "events_by_country": dict(sorted(by_country.items())),
        "fatalities_by_country": dict(sorted(fatalities.items())),
        "events_by_admin1": dict(sorted(Counter(e["pcode"] for e in events).items())),
        "hapi_events_by_type": dict(sorted(hapi_events.items())),
        "named_after_counterparts": sum(named.values()),
        "counterparts_named": dict(sorted(named.items())),
        "offensive_events": n_off,
    }
    return [acled_path, hapi_path], section
