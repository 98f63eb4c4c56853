"""Insecurity Insight's dataset families: one Security in Numbers (SiND) schema, five kinds of victims.

Every family's export (spreadsheet on HDX, or the SiND API's JSON) has the same core columns
(Date, Country, Country ISO, Admin 1, Latitude, Longitude, Geo Precision, Reported Perpetrator,
Reported Perpetrator Name, Weapon Carried/Used, Event Description, SiND Event ID) and its own
victim counts. Columns follow the publisher's schema as published by OCHA's HDX scraper
(``hdx-scraper-insecurity-insight``, ``metadata/schema.csv`` and the API samples).

A :class:`Family` says which columns tell it apart and how its victim counts become the incident's
``killed``, ``injured``, ``kidnapped`` and ``detained`` (documented in docs/data-model.md,
"incidents"): each count is the sum of its parts, a part being the first of its columns present.
"""

from __future__ import annotations

from dataclasses import dataclass

from etl.feeds.base import FeedColumn
from etl.vocab import label_key

COUNT_FIELDS = ("killed", "injured", "kidnapped", "detained")


@dataclass(frozen=True)
class Family:
    """One of Insecurity Insight's dataset families."""

    dataset: str  # incidents.dataset
    label: str  # for people: "health care"
    words: tuple[str, ...]  # a sheet or file name containing one of them names the family
    markers: tuple[FeedColumn, ...]  # columns only this family's exports have (not loaded)
    counts: dict[str, tuple[tuple[FeedColumn, ...], ...]]  # killed/... -> parts -> first present column

    @property
    def columns(self) -> tuple[FeedColumn, ...]:
        seen = {c.key: c for parts in self.counts.values() for part in parts for c in part}
        return (*self.markers, *seen.values())


def _count(name: str, *synonyms: str, hxl: tuple[str, ...] = ()) -> FeedColumn:
    return FeedColumn(name, synonyms, hxl, distinctive=True)


def _marker(name: str, *synonyms: str) -> FeedColumn:
    return FeedColumn(name, synonyms, distinctive=True)


def _victims(who: str, tag: str | None, *more: str, extra_hxl: bool = False) -> dict[str, tuple[FeedColumn, ...]]:
    """Killed/Injured/Kidnapped/Arrested columns of one group of victims, e.g. 'Health Workers'.

    ``tag`` is the HXL attribute of the group (``#affected+healthworker+killed``); None where the
    publisher's tags do not tell the groups apart (protection's ``#affected+killed`` is on two columns).
    """
    out: dict[str, tuple[FeedColumn, ...]] = {}
    for field, verb, alt in (("killed", "Killed", ()), ("injured", "Injured", ("Wounded",)),
                             ("kidnapped", "Kidnapped", ()), ("detained", "Arrested", ("Detained",))):
        tags: tuple[str, ...] = (f"#affected+{tag}+{verb.lower()}",) if tag else ()
        if extra_hxl:
            tags += (f"#affected+{verb.lower()}",)  # the 2023 KIKA workbook's shorter tags
        names = tuple(dict.fromkeys([f"{w} {v}" for w in (who, *more) for v in (verb, *alt)]))
        out[field] = (_count(names[0], *names[1:], hxl=tags),)
    return out


_AID = _victims("Aid Workers", "aidworker", "Aid Worker", extra_hxl=True)
_HEALTH = _victims("Health Workers", "healthworker", "Health Worker")
_EDUCATORS = _victims("Educators", "teacher", "Educator", "Teachers")
_STUDENTS = _victims("Students", "student", "Student")
_FOOD = _victims("Food Security Workers", None, "Food Systems Workers")
_CAMP = _victims("Camp Resident", None, "Camp Residents", "IDPs Refugees", "IDP Refugee")
_PROVIDERS = _victims("Service Provider", None, "Service Providers")
_PROGRAMME = _victims("People Associated with Protection Programme", None)


def _parts(*groups: dict[str, tuple[FeedColumn, ...]]) -> dict[str, tuple[tuple[FeedColumn, ...], ...]]:
    return {f: tuple(g[f] for g in groups if f in g) for f in COUNT_FIELDS}


FAMILIES: tuple[Family, ...] = (
    Family("aid_workers", "aid workers", ("aid worker", "kika"),
           (_marker("Organisation Affected"), _marker("Programme Focus")), _parts(_AID)),
    Family("health_care", "health care", ("health",),
           (_marker("Health Workers Threatened"), _marker("Health Workers Assaulted"),
            _marker("Number of Attacks on Health Facilities Reporting Destruction"),
            _marker("Number of Attacks on Health Facilities Reporting Damaged"),
            _marker("Health Transportation Destroyed"), _marker("Access Denied or Obstructed")),
           _parts(_HEALTH)),
    Family("education", "education", ("education", "school"),
           (_marker("Type of Education Facility"), _marker("Attacks on Schools"),
            _marker("Attacks on Universities")),
           _parts(_EDUCATORS, _STUDENTS)),
    # The food-security export documents no victim counts (only "Infrastructure Affected"); a file that
    # has them counts food-security workers, or aid workers when only those are given.
    Family("food_security", "food security", ("food",),
           (_marker("Infrastructure Affected"), _marker("FoodSecurity", "Food Security")),
           {f: ((*_FOOD[f], *_AID[f]),) for f in COUNT_FIELDS}),
    Family("protection", "protection", ("protection", "camp", "idp", "refugee"),
           (_marker("Camp Name"), _marker("Protection Event Context"), _marker("Victim of Violence"),
            _marker("Number of Attacks on Camps Reporting Destruction")),
           _parts(_CAMP, _PROVIDERS, _PROGRAMME)),
)
FAMILY_BY_DATASET = {f.dataset: f for f in FAMILIES}
DATASETS = tuple(FAMILY_BY_DATASET)  # also the order in which one event's rows are kept (see etl.feeds.sql)


def family_columns() -> tuple[FeedColumn, ...]:
    """Every family's markers and count columns, each once."""
    seen: dict[str, FeedColumn] = {}
    for family in FAMILIES:
        for c in family.columns:
            seen.setdefault(c.key, c)
    return tuple(seen.values())


def which_family(found: set[str], names: str) -> str | None:
    """The family of a table from the columns found (their keys), else from a sheet or file name.

    >>> which_family({"health workers killed", "sind event id"}, "")
    'health_care'
    >>> which_family({"sind event id"}, "2016-2023 Attacks on Health Care")
    'health_care'
    >>> which_family({"sind event id"}, "") is None
    True
    """
    scores = {f.dataset: sum(c.key in found for c in f.columns) for f in FAMILIES}
    best = max(scores.values())
    leaders = [d for d, s in scores.items() if s == best]
    if best and len(leaders) == 1:
        return leaders[0]
    key = label_key(names)
    for family in FAMILIES:
        if (not best or family.dataset in leaders) and any(w in key for w in family.words):
            return family.dataset
    return leaders[0] if best else None
