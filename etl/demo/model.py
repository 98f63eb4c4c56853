"""The demo world's data model: countries, admin-1 areas, places, counterparts, checkpoints, the
offices that write the logs, and the :class:`World` that holds them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from etl.demo.constants import FILE_PREFIX
from etl.demo.name_pools import TITLE_FORMS


@dataclass
class Area:
    index: int
    country: int
    iso3: str
    pcode: str
    name: str
    geom: Any


@dataclass
class Country:
    index: int
    iso3: str
    name: str
    region: str
    areas: list[int]
    style: str
    weight: float
    geom: Any = None


@dataclass
class Person:
    title: str | None  # key of TITLE_FORMS
    given: tuple[str, ...]
    family: tuple[str, ...]
    fixed: str = ""  # honorific that is part of the name ("U", "Alhaji", "Father")

    def render(self) -> str:
        parts = [TITLE_FORMS[self.title][0]] if self.title else []
        if self.fixed:
            parts.append(self.fixed)
        return " ".join([*parts, *self.given, *self.family])


@dataclass
class Counterpart:
    index: int
    country: int
    name: str
    ctype: int
    affiliation: str
    level: int
    area: int
    type_label: str
    person: Person | None = None
    variants: list[str] = field(default_factory=list)
    weight: float = 1.0
    denial_factor: float = 1.0
    restrictive: bool = False
    checkpoints: list[int] = field(default_factory=list)  # checkpoints it can be met at
    controls: list[int] = field(default_factory=list)
    p_checkpoint: float = 0.0


@dataclass
class Checkpoint:
    index: int
    country: int
    area: int
    name: str
    kind: int
    lat: float
    lon: float
    controller: int
    signature: str | None = None


@dataclass
class Place:
    index: int
    area: int
    name: str
    lat: float
    lon: float


@dataclass
class Office:
    iso3: str
    country: int
    fmt: str  # csv, xlsx, json
    encoding: str | None
    date_style: str  # iso, dmy, dmon, excel
    columns: list[tuple[str, str]]  # (header, canonical column)
    country_value: str
    title_rows: bool = False
    xlsx_date_format: str = "yyyy-mm-dd"
    lineterminator: str = "\n"
    obstacle_sep: str = "; "
    condition_sep: str = "; "
    label_case: str = "lower"
    coord_decimals: int = 5
    labels: dict[str, Any] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"{FILE_PREFIX}{self.iso3.lower()}_access_log.{self.fmt}"


@dataclass
class World:
    countries: list[Country]
    areas: list[Area]
    counterparts: list[Counterpart]
    checkpoints: list[Checkpoint]
    places: list[Place]
    start: date
    end: date
    offensive: dict[str, Any] | None
    near_pairs: list[dict[str, str]]
    notes: dict[tuple[int, int], list[str]]
