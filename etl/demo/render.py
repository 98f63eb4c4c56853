"""Rendering sampled rows as one office writes them: its dates, labels, spellings, separators and
number formats, hostile notes, and the one defect of each dirty row.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np

from etl.demo.constants import DEFECT_KINDS, HOSTILE_NOTE_SHARE, KIND_CODES
from etl.demo.model import Office, World
from etl.demo.patterns import OBSTACLE_LABELS
from etl.demo.people import INTERMEDIARIES, ORGANISATIONS
from etl.demo.sampling import _Tables

# Hostile notes (valid rows that must load as text) and the values dirty rows carry.
HOSTILE_NOTES = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "Convoy held at \u202eetaG htroN\u202c for 3 hours",
    "'; DROP TABLE engagements; --",
    "[see the full report](javascript:alert(1)) **urgent**",
    "LONG",  # replaced by a 3,000-character note
)
UNKNOWN_OUTCOMES = ("maybe", "see notes", "unclear", "ask HQ")
UNKNOWN_OBSTACLES = ("bad vibes at gate", "general difficulties", "commander in a bad mood")
NON_NUMERIC_PEOPLE = ("many", "lots", "several hundred", "whole village")
UNPARSEABLE_DATES = ("sometime in May", "last week", "after Eid", "early March")
UNKNOWN_COUNTRIES = ("Atlantis",)
BAD_LATITUDES = ("123.45", "95.2", "-91.7", "181.0", "123.4567")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

class _DateTables:
    def __init__(self, start: date, span: int, offset: int) -> None:
        self.offset = offset
        self.dates = [start + timedelta(days=i - offset) for i in range(span)]
        self.text = {
            "iso": np.array([d.isoformat() for d in self.dates], object),
            "dmy": np.array([f"{d.day:02d}/{d.month:02d}/{d.year}" for d in self.dates], object),
            "dmon": np.array([f"{d.day}-{MONTHS[d.month - 1]}-{d.year}" for d in self.dates], object),
        }
        self.obj = np.empty(span, object)
        self.obj[:] = self.dates
        self.year = np.array([d.year for d in self.dates])

    def column(self, style: str, days: np.ndarray) -> np.ndarray:
        idx = days + self.offset
        vals: np.ndarray = (self.obj if style == "excel" else self.text[style])[np.maximum(idx, 0)]
        vals[days == -10**9] = None
        return vals


def _impossible_date(style: str, rnd: random.Random, year: int) -> str:
    day, month = rnd.choice(((31, 2), (30, 2), (31, 4), (31, 6), (31, 9), (31, 11)))
    if style == "iso":
        return f"{year}-{month:02d}-{day:02d}"
    return f"{day:02d}/{month:02d}/{year}"


def _labels_column(primary: np.ndarray, alts: list[tuple[str, ...]], codes: np.ndarray, pick: np.ndarray,
                   alt_idx: np.ndarray, share: float = 0.15) -> np.ndarray:
    """Office's main label per code, or (for `share` of rows) another accepted label."""
    col = primary[codes]
    use_alt = pick < share
    if use_alt.any():
        idx = np.flatnonzero(use_alt)
        col = col.copy()
        pairs = zip(codes[idx].tolist(), alt_idx[idx].tolist(), strict=True)
        col[idx] = [alts[c][a % len(alts[c])] for c, a in pairs]
    return col


def _case(label: str, style: str) -> str:
    return label[0].upper() + label[1:] if style == "sentence" else label


def _join(cols: Sequence[np.ndarray], sep: str) -> list[str | None]:
    """Join up to three label columns, filled left to right ('' = none), with the office's separator."""
    out: list[str | None] = []
    if len(cols) == 2:
        for x, y in zip(cols[0].tolist(), cols[1].tolist(), strict=True):
            out.append(None if not x else (x if not y else x + sep + y))
        return out
    for x, y, z in zip(cols[0].tolist(), cols[1].tolist(), cols[2].tolist(), strict=True):
        out.append(None if not x else (x if not y else (x + sep + y if not z else x + sep + y + sep + z)))
    return out


class _Renderer:
    """Turns sampled rows into one office's cells (text for CSV/JSON, typed values for XLSX)."""

    def __init__(self, world: World, tb: _Tables, office: Office, dates: _DateTables, seed: int) -> None:
        self.world, self.tb, self.office, self.dates = world, tb, office, dates
        self.rnd = random.Random(seed * 31 + office.country)
        c = world.countries[office.country]
        lab = office.labels
        typed = office.fmt == "xlsx"
        self.typed = typed
        cps = world.counterparts
        self.cp_names = np.array([[cp.name, *cp.variants] for cp in cps], object)
        self.cp_type_label = np.array([cp.type_label for cp in cps], object)
        self.cp_aff = np.array([cp.affiliation for cp in cps], object)
        self.type_primary = np.array([x[0] for x in lab["type"]], object)
        self.type_alts = [x[1] for x in lab["type"]]
        self.out_primary = np.array([x[0] for x in lab["outcome"]], object)
        self.out_alts = [x[1] for x in lab["outcome"]]
        self.act_primary = np.array([x[0] for x in lab["activity"]], object)
        self.act_alts = [x[1] for x in lab["activity"]]
        self.ch_primary = np.array([x[0] for x in lab["channel"]], object)
        self.ch_alts = [x[1] for x in lab["channel"]]
        self.kind_primary = np.array([x[0] for x in lab["kind"]] + [None], object)
        self.level = np.array(lab["level"], object)
        self.priority = np.array(lab["priority"], object)
        self.obst = np.array([_case(x, office.label_case) for x in OBSTACLE_LABELS] + [""], object)
        self.cond = np.array(lab["condition"] + [""], object)
        self.orgs = np.array(ORGANISATIONS, object)
        self.area_name = np.array([a.name for a in world.areas], object)
        self.area_pcode = np.array([a.pcode for a in world.areas], object)
        self.place_name = np.array([p.name for p in world.places], object)
        self.chk_name = np.array([ch.name for ch in world.checkpoints] + [None], object)
        self.inter = np.array(INTERMEDIARIES, object)
        fmt = f"{{:.{office.coord_decimals}f}}"
        if typed:
            self.lat = np.array([round(x, office.coord_decimals) for x in tb.site_lat], object)
            self.lon = np.array([round(x, office.coord_decimals) for x in tb.site_lon], object)
        else:
            self.lat = np.array([fmt.format(x) for x in tb.site_lat], object)
            self.lon = np.array([fmt.format(x) for x in tb.site_lon], object)
        pools: list[str] = []
        self.note_offset = np.zeros(6, np.int64)
        for o in range(6):
            self.note_offset[o] = len(pools)
            pools.extend(world.notes[(c.index, o)])
        self.notes = np.array(pools, object)
        self.counter = 0
        self.req_counter = 0
        self.req_ids: dict[int, str] = {}
        self.req_chunk = -1

    def render(self, ch: dict[str, np.ndarray], rows: np.ndarray, defects: np.ndarray,
               chunk_key: int) -> tuple[list[np.ndarray | list[Any]], dict[str, int], int]:
        """Cells for the office's columns (column-major), defect counts and hostile-note count."""
        o = self.office
        tb = self.tb
        g = {k: v[rows] for k, v in ch.items()}
        n = len(rows)
        dates = self.dates
        d_style = o.date_style
        none_day = -10**9
        day = g["day"].copy()
        req_day = g["request_day"].copy()
        res_day = np.where(g["resolved"], day, none_day)
        follow = np.where(g["follow"] >= 0, g["follow"], none_day)
        defect = defects[rows]
        counts: dict[str, int] = {}
        # future dates: only the engagement date is wrong (the other dates stay plausible)
        fut = np.flatnonzero(defect == DEFECT_KINDS.index("future_date"))
        if len(fut):
            end_idx = (self.world.end - self.world.start).days
            day[fut] = end_idx + np.array([self.rnd.randint(400, 700) for _ in fut])
        cols: dict[str, Any] = {}
        # ids
        years = dates.year[g["day"] + dates.offset]
        seq = np.arange(self.counter + 1, self.counter + n + 1)
        self.counter += n
        cols["engagement_id"] = [f"{o.iso3}-{y}-{s:06d}"
                                 for y, s in zip(years.tolist(), seq.tolist(), strict=True)]
        rids: list[str] = []
        if chunk_key != self.req_chunk:  # a request never spans two chunks
            self.req_ids.clear()
            self.req_chunk = chunk_key
        for r in g["req"].tolist():
            rid = self.req_ids.get(r)
            if rid is None:
                self.req_counter += 1
                rid = f"REQ-{o.iso3}-{self.req_counter:06d}"
                self.req_ids[r] = rid
            rids.append(rid)
        cols["request_id"] = rids
        cols["date"] = dates.column(d_style, day)
        cols["request_date"] = dates.column(d_style, req_day)
        cols["resolution_date"] = dates.column(d_style, res_day)
        cols["follow_up_due"] = dates.column(d_style, follow)
        days_to = np.where(g["resolved"], g["day"] - g["request_day"], -1)
        cols["days_to_resolution"] = self._numbers(days_to)
        cols["organisation"] = self.orgs[g["org"]]
        cols["activity"] = _labels_column(self.act_primary, self.act_alts, g["activity"], g["alt_pick"][:, 0],
                                          g["alt_idx"][:, 0])
        cols["priority"] = self.priority[g["priority"]]
        cols["people_targeted"] = self._numbers(g["targeted"])
        cols["people_reached"] = self._numbers(g["reached"])
        country_col = np.empty(n, object)
        country_col[:] = o.country_value
        cols["country"] = country_col
        cols["admin1"] = self.area_name[g["area"]]
        cols["admin1_pcode"] = self.area_pcode[g["area"]]
        cols["location"] = self.place_name[g["place"]]
        at_chk = g["chk"] >= 0
        cols["checkpoint"] = self.chk_name[g["chk"]]
        kinds = np.where(at_chk, tb.chk_kind[np.maximum(g["chk"], 0)], len(KIND_CODES))
        cols["checkpoint_kind"] = self.kind_primary[kinds]
        site = np.where(at_chk, tb.n_places + g["chk"], g["place"])
        lat = self.lat[site]
        lon = self.lon[site]
        var = g["variant"]
        cols["counterpart"] = self.cp_names[g["cp"], var + 1]
        tp = g["type_pick"]
        cols["counterpart_type"] = np.where(tp < 0.75, self.cp_type_label[g["cp"]],
                                            _labels_column(self.type_primary, self.type_alts, g["ctype"],
                                                           g["alt_pick"][:, 1], g["alt_idx"][:, 1]))
        cols["counterpart_affiliation"] = self.cp_aff[g["cp"]]
        cols["counterpart_level"] = self.level[g["level"]]
        cols["channel"] = _labels_column(self.ch_primary, self.ch_alts, g["channel"], g["alt_pick"][:, 2],
                                         g["alt_idx"][:, 2])
        inter = self.inter[g["intermediary"]]
        cols["intermediary"] = np.where(g["channel"] == 2, inter, None)
        cols["outcome"] = _labels_column(self.out_primary, self.out_alts, g["outcome"], g["alt_pick"][:, 3],
                                         g["alt_idx"][:, 3], share=0.2)
        ob = g["obst"]
        obstacles = _join([self.obst[ob[:, 0]], self.obst[ob[:, 1]], self.obst[ob[:, 2]]], o.obstacle_sep)
        cd = g["cond"]
        conditions = _join([self.cond[cd[:, 0]], self.cond[cd[:, 1]]], o.condition_sep)
        # notes: ~35% blank, 1 in 200 of the others hostile
        nk = g["note_kind"]
        notes: np.ndarray = self.notes[self.note_offset[g["outcome"]] + g["note_idx"]]
        notes[nk < 0.35] = None
        hostile_rows = np.flatnonzero((nk >= 0.35) & (nk < 0.35 + 0.65 * HOSTILE_NOTE_SHARE))
        for i in hostile_rows.tolist():
            text = self.rnd.choice(HOSTILE_NOTES)
            if text == "LONG":
                unit = "Long negotiation at the gate; commander repeated the same demands. "
                text = (unit * (3000 // len(unit) + 1))[:3000]
            notes[i] = text
        cols["notes"] = notes
        # defects
        if (defect >= 0).any():
            for i in np.flatnonzero(defect >= 0).tolist():
                kind = DEFECT_KINDS[defect[i]]
                counts[kind] = counts.get(kind, 0) + 1
                self._apply_defect(kind, i, cols, lat, lon, obstacles, g, counts)
        cols["obstacles"] = obstacles
        cols["conditions"] = conditions
        cols["latitude"] = lat
        cols["longitude"] = lon
        return [cols[c] for _, c in o.columns], counts, len(hostile_rows)

    def _numbers(self, values: np.ndarray) -> np.ndarray:
        out = np.empty(len(values), object)
        ok = values >= 0
        if self.typed:
            out[ok] = values[ok].tolist()
        else:
            out[ok] = [str(v) for v in values[ok].tolist()]
        out[~ok] = None
        return out

    def _apply_defect(self, kind: str, i: int, cols: dict[str, Any], lat: np.ndarray, lon: np.ndarray,
                      obstacles: list[str | None], g: dict[str, np.ndarray], counts: dict[str, int]) -> None:
        rnd = self.rnd
        o = self.office
        if kind == "bad_date":
            sub = rnd.choice(("impossible", "unparseable", "blank"))
            counts[f"bad_date.{sub}"] = counts.get(f"bad_date.{sub}", 0) + 1
            year = int(self.dates.year[g["day"][i] + self.dates.offset])
            style = "iso" if o.date_style == "iso" else "dmy"  # numeric, so that it reads as a non-date
            cols["date"][i] = {"impossible": _impossible_date(style, rnd, year),
                               "unparseable": rnd.choice(UNPARSEABLE_DATES), "blank": None}[sub]
        elif kind == "unknown_outcome":
            cols["outcome"][i] = rnd.choice(UNKNOWN_OUTCOMES)
        elif kind == "missing_counterpart":
            cols["counterpart"][i] = None
        elif kind == "missing_activity":
            cols["activity"][i] = None
        elif kind == "swapped_coordinates":
            lat[i], lon[i] = lon[i], lat[i]
        elif kind == "latitude_out_of_range":
            bad = rnd.choice(BAD_LATITUDES)
            lat[i] = float(bad) if self.typed else bad
        elif kind == "coordinates_in_other_country":
            foreign = self.tb.foreign_sites[o.country]
            s = int(foreign[rnd.randrange(len(foreign))])
            lat[i], lon[i] = self.lat[s], self.lon[s]
        elif kind == "unknown_obstacle":  # added, or in place of the third so that there are at most 3
            bad = rnd.choice(UNKNOWN_OBSTACLES)
            parts = (obstacles[i] or "").split(o.obstacle_sep) if obstacles[i] else []
            obstacles[i] = o.obstacle_sep.join(parts[:2] + [bad])
        elif kind == "negative_people_targeted":
            v = int(g["targeted"][i])
            cols["people_targeted"][i] = -v if self.typed else f"-{v}"
        elif kind == "non_numeric_people_targeted":
            cols["people_targeted"][i] = rnd.choice(NON_NUMERIC_PEOPLE)
        elif kind == "unknown_country":
            cols["country"][i] = rnd.choice(UNKNOWN_COUNTRIES)
        # future_date is applied before the dates are written
