"""The demo world: countries and admin-1 areas from the boundaries file, then towns, counterparts,
checkpoints, the offensive, request shares and near-identical names, all from one seed.

:func:`_build_world` is the one entry point; everything after it (offices, sampling, rendering)
reads the :class:`~etl.demo.model.World` it returns.
"""

from __future__ import annotations

import csv
import difflib
import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from etl.counterparts.names import name_key as _key
from etl.demo.constants import LEVEL_CODES, T_COMMUNITY, T_DFA, T_LOCAL, T_MILITIA, T_NSAG, T_POLICE, T_STATE, YEARS
from etl.demo.model import Area, Checkpoint, Counterpart, Country, Person, Place, World
from etl.demo.name_pools import COUNTRY_STYLE, NEAR_FAMILY
from etl.demo.patterns import (
    CHECKPOINT_SHARE,
    COUNTRY_WEIGHT,
    DEFAULT_TYPE_MIX,
    FRENCH_OFFICES,
    MEAN_ENGAGEMENTS_PER_REQUEST,
    OFFENSIVE_AREA_SHARE,
    OFFENSIVE_AREAS,
    OFFENSIVE_DAYS,
    OFFENSIVE_EASE_DAYS,
    OFFENSIVE_MONTHS_BEFORE_END,
    RESTRICTIVE_COUNTERPARTS,
    RESTRICTIVE_SHARE,
    SIGNATURE_LABELS,
    SIGNATURE_SHARE,
    TYPE_MIX,
)
from etl.demo.people import (
    TYPE_LABELS,
    _groups,
    _make_counterpart,
    _name_variants,
    _note_pool,
    _place_name,
)


def _add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, 1)


def _window(end_date: date) -> tuple[date, date]:
    try:
        first = end_date.replace(year=end_date.year - YEARS)
    except ValueError:  # 29 February
        first = end_date.replace(year=end_date.year - YEARS, day=28)
    return first + timedelta(days=1), end_date


def _load_boundaries(path: Path) -> tuple[list[Country], list[Area]]:
    if not path.exists():
        raise FileNotFoundError(
            f"Boundaries file {path} not found: the demo places every row in an admin-1 area. "
            "Build it with `python scripts/build_boundaries.py`, or pass boundaries=<path to a GeoJSON "
            "FeatureCollection with pcode, name, iso3, country and region properties>.")
    doc = json.loads(path.read_text(encoding="utf-8"))
    keep: set[str] | None = None
    regions_csv = path.parent.parent / "regions.csv"
    if regions_csv.exists():
        with regions_csv.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        if rows and "demo" in rows[0]:
            keep = {r["iso3"] for r in rows if str(r.get("demo", "")).strip().lower() in ("1", "true",
                                                                                          "yes", "y")}
    by_iso: dict[str, list[dict[str, Any]]] = {}
    for feat in doc["features"]:
        props = feat["properties"]
        if keep is not None and props["iso3"] not in keep and keep:
            continue
        by_iso.setdefault(props["iso3"], []).append(feat)
    if not by_iso:
        raise ValueError(f"No demo countries in {path}: check its iso3 properties against data/regions.csv.")
    countries: list[Country] = []
    areas: list[Area] = []
    for ci, iso3 in enumerate(sorted(by_iso)):
        feats = sorted(by_iso[iso3], key=lambda f: f["properties"]["pcode"])
        props0 = feats[0]["properties"]
        country = Country(ci, iso3, props0.get("country") or iso3, props0.get("region") or "", [],
                          COUNTRY_STYLE.get(iso3, "yemeni"), COUNTRY_WEIGHT.get(iso3, 0.06))
        for feat in feats:
            geom = shape(feat["geometry"])
            shapely.prepare(geom)
            area = Area(len(areas), ci, iso3, feat["properties"]["pcode"], feat["properties"]["name"], geom)
            areas.append(area)
            country.areas.append(area.index)
        country.geom = shapely.union_all([areas[i].geom for i in country.areas])
        shapely.prepare(country.geom)
        countries.append(country)
    return countries, areas


def _points_in(geom: Any, n: int, rng: np.random.Generator, inset: float = 0.02) -> np.ndarray:
    """n points inside geom (and at least `inset` degrees from its edge when possible), by rejection."""
    minx, miny, maxx, maxy = geom.bounds
    inner = geom.buffer(-inset) if inset else geom
    target = inner if (not inner.is_empty and inner.area > geom.area * 0.05) else geom
    shapely.prepare(target)
    out: list[np.ndarray] = []
    got = 0
    for _ in range(200):
        xs = rng.uniform(minx, maxx, 256)
        ys = rng.uniform(miny, maxy, 256)
        ok = shapely.contains_xy(target, xs, ys)
        pts = np.column_stack([ys[ok], xs[ok]])  # lat, lon
        out.append(pts)
        got += len(pts)
        if got >= n:
            break
    pts = np.concatenate(out)[:n]
    if len(pts) < n:  # tiny area: use its representative point
        rp = geom.representative_point()
        pts = np.vstack([pts, np.tile([rp.y, rp.x], (n - len(pts), 1))])
    return np.round(pts, 5)

def _can_hold_checkpoint(cp: Counterpart) -> bool:
    """Armed actors hold checkpoints; of the de facto authorities' offices, only the security ones."""
    if cp.ctype not in (T_STATE, T_POLICE, T_NSAG, T_MILITIA, T_DFA):
        return False
    return cp.ctype != T_DFA or cp.person is not None or cp.name.startswith(("Intelligence", "Department of Sec"))


def _build_world(boundaries: Path, seed: int, end_date: date) -> World:
    countries, areas = _load_boundaries(boundaries)
    rnd = random.Random(seed)
    geo_rng = np.random.default_rng((seed, 1))
    start, end = _window(end_date)

    # offensive area
    offensive: dict[str, Any] | None = None
    for iso3, aname in OFFENSIVE_AREAS:
        hits = [a for a in areas if a.iso3 == iso3 and a.name.lower() == aname.lower()]
        if hits:
            off_start = _add_months(end, -OFFENSIVE_MONTHS_BEFORE_END) + timedelta(days=14)
            offensive = {"iso3": iso3, "admin1": hits[0].name, "pcode": hits[0].pcode, "area": hits[0].index,
                         "start": off_start, "end": off_start + timedelta(days=OFFENSIVE_DAYS - 1),
                         "ease_end": off_start + timedelta(days=OFFENSIVE_DAYS + OFFENSIVE_EASE_DAYS - 1)}
            break

    counterparts: list[Counterpart] = []
    places: list[Place] = []
    checkpoints: list[Checkpoint] = []
    notes: dict[tuple[int, int], list[str]] = {}
    restrictive_by_iso = {r[0]: r for r in RESTRICTIVE_COUNTERPARTS}
    for c in countries:
        french = c.iso3 in FRENCH_OFFICES
        used_places: set[str] = set()
        # places: 3-8 per area, fewer per area in countries with many areas
        per_area = max(3, min(8, 120 // max(1, len(c.areas))))
        towns: list[str] = []
        area_places: dict[int, list[int]] = {}
        for ai in c.areas:
            pts = _points_in(areas[ai].geom, per_area, geo_rng)
            area_places[ai] = []
            for lat, lon in pts:
                pname = _place_name(rnd, c.style, used_places)
                places.append(Place(len(places), ai, pname, float(lat), float(lon)))
                area_places[ai].append(len(places) - 1)
                towns.append(pname)
        groups = _groups(rnd, c.style, used_places)
        # area activity weights; the offensive area carries a fixed share of its country
        aw = {ai: float(np.exp(rnd.gauss(0, 0.7))) for ai in c.areas}
        # counterparts
        mix = np.array(TYPE_MIX.get(c.iso3, DEFAULT_TYPE_MIX))
        n_cp = rnd.randint(30, 40)
        used_keys: set[str] = set()
        reserved: set[str] = set()
        restr = restrictive_by_iso.get(c.iso3)
        if restr:
            reserved.update(restr[1].split()[-2:])
        types = rnd.choices(range(8), weights=mix.tolist(), k=n_cp)
        # at least three armed types that can hold checkpoints
        armed = [t for t in range(8) if mix[t] > 0 and t in (T_STATE, T_POLICE, T_NSAG, T_MILITIA, T_DFA)]
        for i in range(3):
            if sum(t in armed for t in types) < 6:
                types[i] = armed[i % len(armed)]
        first_cp = len(counterparts)
        area_list = list(c.areas)
        area_weights = [aw[a] for a in area_list]
        for t in sorted(types):
            home = rnd.choices(area_list, weights=area_weights)[0]
            name, aff, level, person, tlabel = _make_counterpart(rnd, c, areas, t, home, used_keys, reserved,
                                                                 towns,
                                                                 groups, french)
            if person is None:
                key = _key(name)
                if key in used_keys:
                    continue
                used_keys.add(key)
            cp = Counterpart(len(counterparts), c.index, name, t, aff, level, home, tlabel, person)
            cp.weight = float(np.exp(rnd.gauss(0, 0.8))) * (1.3, 1.0, 0.6)[level]
            cp.denial_factor = float(np.exp(rnd.gauss(0, 0.35)))
            counterparts.append(cp)
        if restr:
            _, rname, rtype, raff, rlevel, _ = restr
            title = {"Col.": "col", "Mawlawi": "mawlawi", "Cmdr.": "cmdr"}[rname.split()[0]]
            words = rname.split()[1:]
            person = Person(title, tuple(words[:-1]), (words[-1],))
            rarea = sorted(c.areas, key=lambda a: -aw[a])[1 % len(c.areas)]
            if rtype == T_DFA and c.iso3 == "AFG":
                raff = f"{raff}, {areas[rarea].name}"
            cp = Counterpart(len(counterparts), c.index, rname, rtype, raff, LEVEL_CODES.index(rlevel), rarea,
                             TYPE_LABELS[rtype][0], person, restrictive=True)
            counterparts.append(cp)
        country_cps = counterparts[first_cp:]
        # offensive area: make sure armed actors, an authority and a leader are based there
        if offensive and offensive["iso3"] == c.iso3:
            need = [T_STATE, T_STATE, T_NSAG, T_MILITIA, T_LOCAL, T_COMMUNITY, T_STATE]
            for t in need:
                cands = [cp for cp in country_cps if cp.ctype == t and cp.area != offensive["area"]
                         and not cp.restrictive]
                if cands:
                    cands[0].area = offensive["area"]
        # checkpoints
        n_chk = rnd.randint(5, 8)
        holders = [cp for cp in country_cps if _can_hold_checkpoint(cp)]
        armed_cps = [cp for cp in holders if cp.level < 2] or holders
        kinds = [3] + rnd.choices([0, 1, 2, 4, 5], weights=[35, 8, 15, 12, 15], k=n_chk - 1)
        border_dist = c.geom.boundary
        used_cp_names: set[str] = set()
        controllers_used: list[int] = []
        for kind in kinds:
            if kind == 3:
                pool = [cp for cp in armed_cps if cp.ctype in (T_STATE, T_POLICE, T_DFA)] or armed_cps
            else:
                pool = armed_cps
            fresh = [cp for cp in pool if cp.index not in controllers_used]
            restr_cp = [cp for cp in country_cps if cp.restrictive and restr and restr[5]]
            if restr_cp and restr_cp[0].index not in controllers_used and kind != 3:
                ctrl = restr_cp[0]
            elif offensive and offensive["iso3"] == c.iso3 and not any(
                    checkpoints[k].area == offensive["area"] for k in range(len(checkpoints))
                    if checkpoints[k].country == c.index):
                off_armed = [cp for cp in pool if cp.area == offensive["area"]] or pool
                ctrl = off_armed[0]
            else:
                ctrl = rnd.choice(fresh or pool)
            controllers_used.append(ctrl.index)
            area = ctrl.area
            if kind == 3:
                # border crossing: an area on the national border, the point near the border
                touching = [a for a in c.areas if areas[a].geom.distance(border_dist) < 1e-6
                            and areas[a].geom.boundary.intersection(border_dist).length > 0.05]
                if area not in touching and touching:
                    area = rnd.choice(touching)
                pts = _points_in(areas[area].geom, 40, geo_rng, inset=0.05)
                d = shapely.distance(shapely.points(pts[:, 1], pts[:, 0]), border_dist)
                lat, lon = pts[int(np.argmin(d))]
            else:
                lat, lon = _points_in(areas[area].geom, 1, geo_rng)[0]
            aname = areas[area].name
            for _ in range(50):
                town = rnd.choice([places[p].name for p in area_places[area]])
                name = {
                    0: rnd.choice((f"Km {rnd.randint(3, 140)} checkpoint", f"{town} checkpoint",
                                   f"{town} junction checkpoint", f"Airport road checkpoint ({town})")),
                    1: f"{town} market checkpoint",
                    2: rnd.choice((f"Mobile checkpoint, {town} road", f"Flying checkpoint near {town}")),
                    3: rnd.choice((f"{aname} border crossing", f"{town} crossing point")),
                    4: rnd.choice((f"Bridge Gate {rnd.choice(('North', 'South', 'East', 'West'))}",
                                   f"{town} {rnd.choice(('North', 'South'))} Gate", f"{town} road gate")),
                    5: rnd.choice((f"{town} roadblock", f"Earth mound at {town} junction")),
                }[kind]
                if name not in used_cp_names:
                    break
            used_cp_names.add(name)
            chk = Checkpoint(len(checkpoints), c.index, area, name, kind, float(lat), float(lon), ctrl.index)
            checkpoints.append(chk)
            ctrl.controls.append(chk.index)
        for outcome in range(6):
            notes[(c.index, outcome)] = _note_pool(
                rnd, towns, [ch.name for ch in checkpoints if ch.country == c.index], outcome)

    # signature obstacles at ~20% of checkpoints
    n_sig = max(1, round(SIGNATURE_SHARE * len(checkpoints)))
    for ci in sorted(rnd.sample(range(len(checkpoints)), n_sig)):
        chk = checkpoints[ci]
        chk.signature = rnd.choice(SIGNATURE_LABELS[counterparts[chk.controller].ctype])

    # where counterparts are met: controllers at their checkpoints, other armed actors at checkpoints
    # held by the same type in their country
    for cp in counterparts:
        if cp.controls:
            cp.checkpoints = list(cp.controls)
            cp.p_checkpoint = 0.8
        elif _can_hold_checkpoint(cp) and cp.level < 2:
            # checkpoints in their own area first; else those their kind holds elsewhere in the country
            here = [ch.index for ch in checkpoints if ch.area == cp.area]
            same = [ch.index for ch in checkpoints if ch.country == cp.country
                    and counterparts[ch.controller].ctype == cp.ctype]
            in_offensive = offensive is not None and cp.area == offensive["area"]
            cp.checkpoints = here or ([] if in_offensive else same)
            cp.p_checkpoint = 0.4 if here else 0.25 if cp.checkpoints else 0.0
    # request shares: country weight x counterpart weight; patterns get fixed shares
    total_w = sum(c.weight for c in countries)
    probs = np.zeros(len(counterparts))
    for c in countries:
        idx = [cp.index for cp in counterparts if cp.country == c.index]
        w = np.array([counterparts[i].weight * (1.6 if counterparts[i].controls else 1.0) for i in idx])
        share = c.weight / total_w
        p = w / w.sum() * share
        restr_idx = [k for k, i in enumerate(idx) if counterparts[i].restrictive]
        for k in restr_idx:
            others = np.ones(len(idx), bool)
            others[restr_idx] = False
            req_share = RESTRICTIVE_SHARE * MEAN_ENGAGEMENTS_PER_REQUEST
            p[others] *= (share - req_share * len(restr_idx)) / p[others].sum()
            p[k] = req_share
        if offensive and offensive["iso3"] == c.iso3:
            in_area = np.array([counterparts[i].area == offensive["area"] and not counterparts[i].restrictive
                                for i in idx])
            out_area = ~in_area & ~np.array([counterparts[i].restrictive for i in idx])
            free = p[in_area].sum() + p[out_area].sum()
            target = OFFENSIVE_AREA_SHARE * share
            p[in_area] *= target / p[in_area].sum()
            p[out_area] *= (free - target) / p[out_area].sum()
        probs[idx] = p
    probs /= probs.sum()
    for cp in counterparts:
        cp.weight = float(probs[cp.index])
    # scale checkpoint probabilities so that about half of the engagements happen at one
    # (engagement-weighted: restrictive counterparts' requests have one engagement, others 1.49)
    eng = {cp.index: cp.weight * (1.0 if cp.restrictive else MEAN_ENGAGEMENTS_PER_REQUEST)
           for cp in counterparts}
    for _ in range(8):  # clipping at 0.95 needs a few rounds
        expected = sum(eng[cp.index] * cp.p_checkpoint for cp in counterparts) / sum(eng.values())
        if expected <= 0 or abs(expected - CHECKPOINT_SHARE) < 0.002:
            break
        for cp in counterparts:
            cp.p_checkpoint = min(0.95, cp.p_checkpoint * CHECKPOINT_SHARE / expected)

    for cp in counterparts:
        cp.variants = _name_variants(cp, rnd)

    # near-identical pairs: a different counterpart whose family name is one letter away
    near_pairs: list[dict[str, str]] = []
    order = sorted(countries, key=lambda c: -c.weight)
    for round_ in range(4):
        for c in order:
            if len(near_pairs) >= 10:
                break
            cands = [cp for cp in counterparts if cp.country == c.index and cp.person is not None
                     and not cp.restrictive and cp.person.family and cp.person.family[-1] in NEAR_FAMILY
                     and not any(cp.name in (p["a"], p["b"]) for p in near_pairs)]
            if len(cands) <= round_:
                continue
            base = cands[round_]
            p = base.person
            assert p is not None
            twin_person = Person(p.title, p.given, (*p.family[:-1], NEAR_FAMILY[p.family[-1]]), p.fixed)
            twin_name = twin_person.render()
            if any(_key(twin_name) == _key(o.name) for o in counterparts if o.country == c.index):
                continue
            # near enough that a fuzzy matcher must hesitate (etl.counterparts.names flags ratio >= 88)
            if difflib.SequenceMatcher(None, _key(base.name), _key(twin_name)).ratio() < 0.9:
                continue
            same_type = [o for o in counterparts
                         if o.country == c.index and o.ctype == base.ctype and o is not base]
            twin = Counterpart(len(counterparts), c.index, twin_name, base.ctype,
                               rnd.choice(same_type).affiliation if same_type else base.affiliation,
                               base.level, rnd.choice(c.areas), base.type_label, twin_person)
            twin.weight = base.weight
            twin.denial_factor = float(np.exp(rnd.gauss(0, 0.35)))
            twin.checkpoints = list(base.checkpoints) if not base.controls else []
            twin.p_checkpoint = base.p_checkpoint if twin.checkpoints else 0.0
            twin.variants = _name_variants(twin, rnd)
            counterparts.append(twin)
            near_pairs.append({"iso3": c.iso3, "a": base.name, "b": twin_name})
    final = np.array([cp.weight for cp in counterparts])
    final /= final.sum()
    for cp in counterparts:
        cp.weight = float(final[cp.index])

    return World(countries, areas, counterparts, checkpoints, places, start, end, offensive, near_pairs,
                 notes)
