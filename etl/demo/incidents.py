"""Synthetic aid-worker incidents for the demo: where, when, who and what, drawn from the demo world.

Incidents concentrate where the demo's patterns say access is hardest: the offensive area during
the offensive, the restrictive counterparts' areas more and more as their denials rise, and the
armed actors' home areas. About a third name a demo counterpart of an armed or de facto type in
the same country as the perpetrator, so the counterpart profile can link them. A few rows get
AWSD's real-world dirt. :mod:`etl.demo.feeds` writes them in the publishers' formats.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from etl.demo.constants import T_DFA, T_MILITIA, T_NSAG, T_POLICE, T_STATE
from etl.demo.model import Checkpoint, Counterpart, Place, World
from etl.demo.patterns import DENIAL_END, DENIAL_START, REGION_DENIAL
from etl.demo.sampling import _time_quantile

ENGAGEMENTS_PER_INCIDENT = 150
MIN_INCIDENTS, MAX_INCIDENTS = 40, 20_000
# Real AWSD ids run to about 5,200; demo ids start far above so that loading the real export into
# the demo database never makes a demo incident look like a corrected real one.
FIRST_ID = 900_001
OFFENSIVE_SHARE = 0.12  # of all incidents, in the offensive area during the offensive and its easing
RESTRICTIVE_SHARE = 0.03  # of all incidents, each restrictive counterpart (rising with its denials)
NAMED_SHARE = 0.30  # of the other incidents: perpetrator named after a demo counterpart

# (means of attack, attack context, weight) by who attacked. "Landmine " and "Rape/sexual assault "
# carry AWSD's own trailing space.
MEANS: dict[str, tuple[tuple[str, str, float], ...]] = {
    "offensive": (("Aerial bombardment", "Combat/Crossfire", 0.35), ("Shelling", "Combat/Crossfire", 0.30),
                  ("Shooting", "Combat/Crossfire", 0.20), ("Shooting", "Ambush", 0.15)),
    "state": (("Detention/arrest", "Detention", 0.30), ("Bodily assault", "Individual attack", 0.25),
              ("Shooting", "Raid", 0.15), ("Aerial bombardment", "Combat/Crossfire", 0.10),
              ("Shelling", "Combat/Crossfire", 0.10), ("Bodily assault", "Raid", 0.10)),
    "armed_group": (("Kidnapping", "Ambush", 0.35), ("Shooting", "Ambush", 0.25), ("Roadside IED", "Ambush", 0.10),
                    ("Landmine ", "Unknown", 0.05), ("Kidnap-killing", "Unknown", 0.05),
                    ("Bodily assault", "Raid", 0.10), ("Complex attack", "Raid", 0.05), ("Kidnapping", "Raid", 0.05)),
    "other": (("Shooting", "Individual attack", 0.30), ("Bodily assault", "Mob violence", 0.20),
              ("Kidnapping", "Unknown", 0.15), ("Unknown", "Unknown", 0.20),
              ("Rape/sexual assault ", "Individual attack", 0.05), ("Bodily assault", "Individual attack", 0.10)),
    "foreign": (("Shelling", "Combat/Crossfire", 0.50), ("Aerial bombardment", "Combat/Crossfire", 0.50)),
}
# Unnamed perpetrators: (AWSD actor type, actor name, weight).
UNNAMED = (("Unknown", "Unknown", 0.62), ("Criminal", "Unknown", 0.10), ("Unaffiliated", "Not applicable", 0.12),
           ("Aid recipient", "Not applicable", 0.05), ("Staff member", "Not applicable", 0.03),
           ("State: unknown", "Unknown", 0.03), ("Non-state armed group: Unknown", "Unknown", 0.05))
# Where the perpetrators are mostly the other side's forces: a share of unnamed "foreign forces".
FOREIGN_FORCES = {"UKR": 0.8, "SYR": 0.25}
# The demo's Ukrainian counterparts are the host state's offices: never named as perpetrators.
NEVER_NAMED = frozenset({"UKR"})
LOCATIONS = (("Road", 0.40), ("Project site", 0.15), ("Office/compound", 0.10), ("Home", 0.10),
             ("Public location", 0.13), ("Unknown", 0.12))

# Counterpart types that attack as an armed actor or a de facto authority (they can be named).
ARMED_TYPES = (T_STATE, T_POLICE, T_NSAG, T_DFA, T_MILITIA)
NSAG_TYPES = ("Non-state armed group: National", "Non-state armed group: Subnational",
              "Non-state armed group: Regional")
WORDS = {1: "One", 2: "Two", 3: "Three", 4: "Four", 5: "Five", 6: "Six"}

@dataclass
class _Incident:
    day: dt.date
    iso3: str
    area: int
    town: str
    district: str
    lat: float
    lon: float
    means: str
    context: str
    location: str
    actor_type: str
    actor_name: str
    counterpart: str | None  # the demo counterpart named as perpetrator
    killed: int = 0
    wounded: int = 0
    kidnapped: int = 0
    detained: int = 0
    internationals: dict[str, int] = field(default_factory=dict)
    offensive: bool = False
    month_blank: bool = False
    day_blank: bool = False
    coordinates_blank: bool = False
    region_blank: bool = False
    source_id: int = 0
    details: str = ""
    extras: dict[str, str] = field(default_factory=dict)


def incident_count(rows: int) -> int:
    """AWSD incidents for a demo of ``rows`` engagements: one per 150, at least 40, at most 20,000.

    >>> incident_count(30_000), incident_count(4_000), incident_count(10_000_000), incident_count(0)
    (200, 40, 20000, 0)
    """
    if rows <= 0:
        return 0
    return min(MAX_INCIDENTS, max(MIN_INCIDENTS, round(rows / ENGAGEMENTS_PER_INCIDENT)))


def _pick(rnd: random.Random, options: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    """One option of a tuple of (..., weight) tuples, by weight."""
    return rnd.choices(options, weights=[o[-1] for o in options])[0]


def _rising(u: float, start: float, end: float) -> float:
    """Inverse CDF on [0, 1] of a density rising linearly from ``start`` to ``end`` (e.g. a denial rate)."""
    slope = end - start
    if abs(slope) < 1e-9:
        return u
    return (-start + (start * start + 2 * slope * u * (start + slope / 2)) ** 0.5) / slope


class _Builder:
    """Draws the incidents from the demo world: where, when, who and what, all from one seed."""

    def __init__(self, world: World, seed: int) -> None:
        self.world = world
        self.rnd = random.Random(seed * 7717 + 5)
        self.ndays = (world.end - world.start).days + 1
        cps = world.counterparts
        self.towns: dict[int, list[Place]] = {}
        for p in world.places:
            self.towns.setdefault(p.area, []).append(p)
        self.armed: dict[int, list[Counterpart]] = {}
        for cp in cps:
            if cp.ctype in ARMED_TYPES:
                self.armed.setdefault(cp.country, []).append(cp)
        # Where armed actors operate is where incidents happen: each area weighs what its armed
        # counterparts weigh in the engagements, times how often they say no (plus a floor).
        self.area_weight: dict[int, float] = {a.index: 0.002 for a in world.areas}
        for cp in cps:
            if cp.ctype in ARMED_TYPES:
                self.area_weight[cp.area] += cp.weight * cp.denial_factor * (3.0 if cp.restrictive else 1.0)
        self.country_weight = {c.index: c.weight * REGION_DENIAL.get(c.region, 1.0) for c in world.countries}

    # ------------------------------------------------------------------------------ drawing

    def _date(self, frac: float) -> dt.date:
        return self.world.start + dt.timedelta(days=min(self.ndays - 1, int(frac * self.ndays)))

    def _site(self, area: int, checkpoint: Checkpoint | None = None) -> tuple[str, str, float, float]:
        """(town, district, lat, lon): AWSD geocodes an incident to its town; at a checkpoint, to it."""
        towns = self.towns[area]
        town = self.rnd.choice(towns)
        district = self.rnd.choice(towns).name if self.rnd.random() < 0.6 else ""
        if checkpoint is not None:
            return town.name, district, checkpoint.lat, checkpoint.lon
        return town.name, district, town.lat, town.lon

    def _actor(self, cp: Counterpart | None, iso3: str) -> tuple[str, str, str]:
        """(actor type, actor name, means class) for a named counterpart, or an unnamed perpetrator."""
        if cp is None:
            if self.rnd.random() < FOREIGN_FORCES.get(iso3, 0.0):
                return "Foreign or coalition forces", "Unknown", "foreign"
            kind, name, _w = _pick(self.rnd, UNNAMED)
            return kind, name, "armed_group" if kind.startswith("Non-state") else "other"
        if cp.ctype in (T_STATE, T_DFA):
            return "Host state", cp.name, "state"
        if cp.ctype == T_POLICE:
            return "Police or paramilitary", cp.name, "state"
        if cp.ctype == T_MILITIA:
            return "Non-state armed group: Subnational", cp.name, "armed_group"
        return self.rnd.choice(NSAG_TYPES), cp.name, "armed_group"

    def _named(self, country: int, area: int | None) -> Counterpart | None:
        """An armed or de facto counterpart of the country, from the area when it has one."""
        if self.world.countries[country].iso3 in NEVER_NAMED:
            return None
        pool = self.armed.get(country, [])
        here = [cp for cp in pool if cp.area == area] if area is not None else []
        pool = here or pool
        if not pool:
            return None
        return self.rnd.choices(pool, weights=[cp.weight for cp in pool])[0]

    def _make(self, frac: float, country: int, area: int, cp: Counterpart | None, means_class: str | None = None,
              checkpoint: Checkpoint | None = None) -> _Incident:
        iso3 = self.world.countries[country].iso3
        actor_type, actor_name, cls = self._actor(cp, iso3)
        means, context, _w = _pick(self.rnd, MEANS[means_class or cls])
        town, district, lat, lon = self._site(area, checkpoint)
        location = "Custody" if context == "Detention" else "Road" if checkpoint else _pick(self.rnd, LOCATIONS)[0]
        inc = _Incident(self._date(frac), iso3, area, town, district, lat, lon, means, context, location,
                        actor_type, actor_name, cp.name if cp else None)
        self._casualties(inc)
        return inc

    def _casualties(self, inc: _Incident) -> None:
        """Aid workers affected, by means of attack; AWSD records incidents with at least one victim."""
        r = self.rnd
        m = inc.means.strip()
        if m in ("Aerial bombardment", "Shelling"):
            inc.killed = 1 if r.random() < 0.7 else r.randint(2, 3)
            inc.wounded = r.choice((0, 0, 1, 2))
        elif m == "Shooting":
            if r.random() < 0.5:
                inc.killed = 1
            else:
                inc.wounded = r.randint(1, 2)
        elif m == "Kidnapping":
            inc.kidnapped = r.choice((1, 1, 1, 2, 2, 3, 4))
        elif m in ("Kidnap-killing", "Unknown"):
            inc.killed = r.choice((1, 1, 1, 2))
        elif m == "Detention/arrest":
            inc.detained = r.choice((1, 1, 2, 3))
        elif m in ("Roadside IED", "Landmine", "Complex attack"):
            inc.killed, inc.wounded = r.choice((0, 1, 1, 2)), r.randint(1, 3)
        else:  # bodily or sexual assault
            inc.wounded = 1
        for k in ("killed", "wounded", "kidnapped", "detained"):
            n = getattr(inc, k)
            inc.internationals[k] = sum(r.random() < 0.08 for _ in range(n))

    def build(self, n: int) -> list[_Incident]:
        world, rnd = self.world, self.rnd
        out: list[_Incident] = []
        off = world.offensive
        n_off = round(n * OFFENSIVE_SHARE) if off else 0
        if off:
            # during the offensive, then easing linearly to nothing over the easing period
            o0 = (off["start"] - world.start).days
            o1 = (off["end"] - world.start).days
            e1 = (off["ease_end"] - world.start).days
            country = world.areas[off["area"]].country
            for _ in range(n_off):
                if rnd.random() < 0.8:
                    day = rnd.randint(o0, o1)
                else:  # easing: density falling to zero
                    day = o1 + 1 + int((e1 - o1) * (1 - (1 - rnd.random()) ** 0.5))
                cp = self._named(country, off["area"]) if rnd.random() < 0.5 else None
                inc = self._make((day + 0.5) / self.ndays, country, off["area"], cp, "offensive")
                inc.offensive = True
                out.append(inc)
        # restrictive counterparts: their incidents rise with their denial rate
        restrictive = [cp for cp in world.counterparts if cp.restrictive]
        for cp in restrictive:
            for _ in range(round(n * RESTRICTIVE_SHARE)):
                frac = _rising(rnd.random(), DENIAL_START, DENIAL_END)
                chk = world.checkpoints[rnd.choice(cp.controls)] if cp.controls and rnd.random() < 0.5 else None
                area = chk.area if chk else cp.area
                named = cp if rnd.random() < 0.6 else None
                out.append(self._make(frac, cp.country, area, named, None if named else "armed_group", chk))
        # everything else: by country and area weight, more in later years (as the logging)
        countries = [c.index for c in world.countries]
        cweights = [self.country_weight[c] for c in countries]
        areas_of = {c.index: c.areas for c in world.countries}
        for _ in range(max(0, n - len(out))):
            country = rnd.choices(countries, weights=cweights)[0]
            area = rnd.choices(areas_of[country], weights=[self.area_weight[a] for a in areas_of[country]])[0]
            frac = float(_time_quantile(np.array([rnd.random()]))[0])
            cp = self._named(country, area) if rnd.random() < NAMED_SHARE else None
            out.append(self._make(frac, country, area, cp))
        out.sort(key=lambda i: (i.day, i.iso3, i.town))
        for k, inc in enumerate(out):
            inc.source_id = FIRST_ID + k
            inc.details = _details(inc, world)
        return out


def _details(inc: _Incident, world: World) -> str:
    """A narrative in AWSD's plain style, from the incident's own fields."""
    parts = []
    for k, verb in (("killed", "killed"), ("wounded", "wounded"), ("kidnapped", "kidnapped"),
                    ("detained", "detained")):
        n = getattr(inc, k)
        if n:
            parts.append(f"{WORDS.get(n, str(n))} aid worker{'s' if n > 1 else ''} {verb}")
    what = " and ".join(parts) or "Aid workers attacked"
    how = {"Aerial bombardment": "in an airstrike", "Shelling": "by shelling",
           "Roadside IED": "by a roadside IED", "Detention/arrest": "at a checkpoint" if inc.location == "Road"
           else "by security forces", "Kidnapping": "on the road" if inc.location == "Road" else "by armed men"}
    area = world.areas[inc.area].name
    return f"{what} {how.get(inc.means.strip(), 'in an attack')} near {inc.town}, {area} (demo data)."


# ---------------------------------------------------------------------------------------- dirt


def _add_dirt(incidents: list[_Incident], rnd: random.Random) -> dict[str, int]:
    """AWSD's real-world dirt on a few rows; returns how many rows got each kind."""
    n = len(incidents)
    order = list(range(n))
    rnd.shuffle(order)
    take = iter(order)

    def some(share: float, at_least: int = 1) -> list[_Incident]:
        return [incidents[next(take)] for _ in range(max(at_least, round(n * share)))]

    dirt = Counter[str]()
    for inc in some(0.03):
        inc.day_blank = True
        dirt["blank_day"] += 1
    for inc in some(0.01):
        inc.month_blank = inc.day_blank = True
        dirt["blank_month_and_day"] += 1
    for inc in some(0.01):
        inc.coordinates_blank = True
        dirt["missing_coordinates"] += 1
    for inc in some(0.04):
        inc.region_blank = True
        dirt["blank_region"] += 1
    for inc in some(0.02):
        inc.extras["source"] = rnd.choice(("Official Report ", "ACLED "))
        dirt["trailing_spaces"] += 1
    for inc in some(0.02):
        inc.extras["source"] = rnd.choice(("Focal point", "media", "Official report"))
        dirt["case_variants"] += 1
    hosts = [i for i in incidents if i.actor_type == "Host state"]
    for inc in rnd.sample(hosts, min(len(hosts), max(1, round(n * 0.01)))):
        inc.actor_type = "Host State"
        dirt["case_variants"] += 1
    dirt["trailing_spaces"] += sum(i.means != i.means.strip() for i in incidents)
    return dict(sorted(dirt.items()))
