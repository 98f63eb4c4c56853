"""Sampling the engagements: the world as numpy tables, then one chunk of rows at a time (requests,
their engagements, sites, outcomes, obstacles, conditions, channels, numbers and dates), with
the patterns applied. Vectorised, so that millions of rows stay quick.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import shapely

from etl.demo.constants import (
    ACTIVITY_CODES,
    O_COND,
    O_DEFERRED,
    O_DENIED,
    O_GRANTED,
    O_PARTIAL,
    T_MILITIA,
    T_NSAG,
    T_OTHER,
    T_STATE,
    VARIANT_SHARE,
)
from etl.demo.model import World
from etl.demo.patterns import (
    _CW,
    _MINES_COUNTRIES,
    _N_OBST,
    _OBST_INDEX,
    _OW,
    ACTIVITY_WEIGHTS,
    BASE_OUTCOMES,
    CONDITION_NAMES,
    DENIAL_END,
    DENIAL_START,
    HOSTILITY_LABELS,
    OBSTACLE_LABELS,
    OFFENSIVE_DENIAL,
    OFFENSIVE_SURGE,
    REGION_DENIAL,
    SEASON_DEFERRAL_FACTOR,
    SEASON_OBSTACLE_P,
    SEASONS,
    SIGNATURE_P,
)
from etl.demo.people import INTERMEDIARIES, ORGANISATIONS


@dataclass
class _Tables:
    """World data as numpy arrays, for vectorised sampling."""

    cp_prob: np.ndarray
    cp_country: np.ndarray
    cp_type: np.ndarray
    cp_level: np.ndarray
    cp_area: np.ndarray
    cp_denial: np.ndarray
    cp_restrictive: np.ndarray
    cp_pcheck: np.ndarray
    cp_chk: np.ndarray  # [n_cp, max] checkpoint options
    cp_nchk: np.ndarray
    chk_area: np.ndarray
    chk_kind: np.ndarray
    chk_sig: np.ndarray  # obstacle label index or -1
    area_places: np.ndarray
    area_nplaces: np.ndarray
    country_region_denial: np.ndarray
    season: np.ndarray  # [n_countries, 13] bool
    season_labels: list[np.ndarray]
    off_area: int
    off_cps: np.ndarray
    off_cp_prob: np.ndarray
    cond_cum: np.ndarray  # [2, 8, n_items] cumulative (not at / at checkpoint)
    obst_cum: np.ndarray  # [n_countries, 8, n_labels]
    n_places: int
    site_lat: np.ndarray
    site_lon: np.ndarray
    site_swap_ok: np.ndarray
    foreign_sites: list[np.ndarray]
    org_sets: np.ndarray  # [n_countries, 5]


def _tables(world: World, seed: int) -> _Tables:
    rnd = random.Random(seed + 101)
    cps = world.counterparts
    n_cp = len(cps)
    max_chk = max(1, max(len(cp.checkpoints) for cp in cps))
    cp_chk = np.zeros((n_cp, max_chk), np.int64)
    cp_nchk = np.zeros(n_cp, np.int64)
    for cp in cps:
        if cp.checkpoints:
            cp_chk[cp.index, :len(cp.checkpoints)] = cp.checkpoints
            cp_nchk[cp.index] = len(cp.checkpoints)
    n_area = len(world.areas)
    by_area: list[list[int]] = [[] for _ in range(n_area)]
    for p in world.places:
        by_area[p.area].append(p.index)
    max_pl = max(len(v) for v in by_area)
    area_places = np.zeros((n_area, max_pl), np.int64)
    area_n = np.zeros(n_area, np.int64)
    for a, lst in enumerate(by_area):
        area_places[a, :len(lst)] = lst
        area_n[a] = len(lst)
    season = np.zeros((len(world.countries), 13), bool)
    season_labels: list[np.ndarray] = []
    for c in world.countries:
        months, labels = SEASONS.get(c.iso3, ((), ()))
        season[c.index, list(months)] = True
        season_labels.append(np.array([_OBST_INDEX[x] for x in labels] or [0], np.int64))
    off = world.offensive
    off_area = off["area"] if off else -1
    off_cps = np.array([cp.index for cp in cps if cp.area == off_area and not cp.restrictive], np.int64)
    off_prob = np.array([cps[i].weight for i in off_cps]) if len(off_cps) else np.zeros(0)
    if len(off_prob):
        off_prob = off_prob / off_prob.sum()
    # conditions
    cond = np.zeros((2, 8, len(CONDITION_NAMES)))
    for t, weights in _CW.items():
        for name, w in weights.items():
            cond[:, t, CONDITION_NAMES.index(name)] = w
        if t in (T_NSAG, T_MILITIA, T_OTHER):  # fees at armed groups' checkpoints
            cond[1, t, CONDITION_NAMES.index("fee")] *= 3.0
    cond /= cond.sum(axis=2, keepdims=True)
    # obstacles by country and type
    obst = np.zeros((len(world.countries), 8, len(OBSTACLE_LABELS)))
    for c in world.countries:
        for t, weights in _OW.items():
            for label, w in weights.items():
                obst[c.index, t, _OBST_INDEX[label]] += w
            for label, w in _MINES_COUNTRIES.get(c.iso3, {}).items():
                obst[c.index, t, _OBST_INDEX[label]] += w * (1.5 if t in (T_NSAG, T_STATE) else 0.5)
    obst /= obst.sum(axis=2, keepdims=True)
    # sites: places then checkpoints
    lat = np.array([p.lat for p in world.places] + [ch.lat for ch in world.checkpoints])
    lon = np.array([p.lon for p in world.places] + [ch.lon for ch in world.checkpoints])
    site_country = np.array([world.areas[p.area].country for p in world.places]
                            + [ch.country for ch in world.checkpoints])
    all_geom = shapely.union_all([c.geom for c in world.countries])
    swapped = shapely.points(lat, lon)  # x = latitude, y = longitude
    swap_ok = (np.abs(lon) <= 90) & (shapely.distance(swapped, all_geom) > 0.5)
    foreign: list[np.ndarray] = []
    for c in world.countries:
        # far from this country, read either way round (else the ETL would see swapped coordinates)
        d = shapely.distance(shapely.points(lon, lat), c.geom)
        d_swapped = shapely.distance(swapped, c.geom)
        foreign.append(np.flatnonzero((site_country != c.index) & (d > 1.0) & (d_swapped > 1.0)))
    org_sets = np.array([sorted(rnd.sample(range(len(ORGANISATIONS)), 5)) for _ in world.countries], np.int64)
    region_denial = np.array([REGION_DENIAL.get(c.region, 1.0) for c in world.countries])
    return _Tables(
        cp_prob=np.array([cp.weight for cp in cps]), cp_country=np.array([cp.country for cp in cps]),
        cp_type=np.array([cp.ctype for cp in cps]), cp_level=np.array([cp.level for cp in cps]),
        cp_area=np.array([cp.area for cp in cps]), cp_denial=np.array([cp.denial_factor for cp in cps]),
        cp_restrictive=np.array([cp.restrictive for cp in cps]),
        cp_pcheck=np.array([cp.p_checkpoint for cp in cps]),
        cp_chk=cp_chk, cp_nchk=cp_nchk,
        chk_area=np.array([ch.area for ch in world.checkpoints], np.int64),
        chk_kind=np.array([ch.kind for ch in world.checkpoints], np.int64),
        chk_sig=np.array([_OBST_INDEX[ch.signature] if ch.signature else -1 for ch in world.checkpoints],
                         np.int64),
        area_places=area_places, area_nplaces=area_n, country_region_denial=region_denial, season=season,
        season_labels=season_labels, off_area=off_area, off_cps=off_cps, off_cp_prob=off_prob,
        cond_cum=np.cumsum(cond, axis=2), obst_cum=np.cumsum(obst, axis=2), n_places=len(world.places),
        site_lat=lat, site_lon=lon, site_swap_ok=swap_ok, foreign_sites=foreign, org_sets=org_sets)


def _cat(rng: np.random.Generator, cum: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a cumulative-probability matrix."""
    u = rng.random(cum.shape[0]) * cum[:, -1]
    return np.minimum((u[:, None] > cum).sum(axis=1), cum.shape[1] - 1)


def _time_quantile(u: np.ndarray, growth: float = 0.5) -> np.ndarray:
    """Inverse CDF of a density rising linearly by `growth` over the window (more logging later)."""
    return (-1 + np.sqrt(1 + 2 * growth * u * (1 + growth / 2))) / growth


def _generate_chunk(world: World, tb: _Tables, seed: int, chunk: int, n_chunks: int, n: int) -> dict[str,
                                                                                                     np.ndarray]:
    rng = np.random.default_rng((seed, 2, chunk))
    ndays = (world.end - world.start).days + 1
    # requests
    n_req = int(n / 1.3) + 64
    cp = rng.choice(len(tb.cp_prob), size=n_req, p=tb.cp_prob)
    u = (chunk + rng.random(n_req)) / n_chunks
    first = np.minimum((_time_quantile(u) * ndays).astype(np.int64), ndays - 1)
    off = world.offensive
    if off is not None and len(tb.off_cps):
        o0, o1 = (off["start"] - world.start).days, (off["end"] - world.start).days
        surge = ((tb.cp_country[cp] == world.areas[off["area"]].country) & (first >= o0) & (first <= o1)
                 & ~tb.cp_restrictive[cp] & (rng.random(n_req) < OFFENSIVE_SURGE))
        cp[surge] = rng.choice(tb.off_cps, size=int(surge.sum()), p=tb.off_cp_prob)
    k = 1 + np.searchsorted(np.array([0.62, 0.89]), rng.random(n_req), side="right")
    k[tb.cp_restrictive[cp]] = 1
    cs = np.cumsum(k)
    r_used = int(np.searchsorted(cs, n)) + 1
    cp, first, k = cp[:r_used], first[:r_used], k[:r_used].copy()
    k[-1] -= int(cs[r_used - 1] - n)
    # site of each request
    at_chk = (rng.random(r_used) < tb.cp_pcheck[cp]) & (tb.cp_nchk[cp] > 0)
    chk = tb.cp_chk[cp, (rng.random(r_used) * np.maximum(tb.cp_nchk[cp], 1)).astype(np.int64)]
    chk = np.where(at_chk, chk, -1)
    area = np.where(at_chk, tb.chk_area[np.maximum(chk, 0)], tb.cp_area[cp])
    place = tb.area_places[area, (rng.random(r_used) * tb.area_nplaces[area]).astype(np.int64)]
    org = tb.org_sets[tb.cp_country[cp], rng.integers(0, tb.org_sets.shape[1], r_used)]
    act_p = np.array([ACTIVITY_WEIGHTS[a] for a in ACTIVITY_CODES], float)
    activity = rng.choice(len(ACTIVITY_CODES), size=r_used, p=act_p / act_p.sum())
    priority = rng.choice(3, size=r_used, p=[0.3, 0.5, 0.2])
    priority[activity == ACTIVITY_CODES.index("medical_evacuation")] = 0
    targeted = np.clip(np.round(np.exp(rng.normal(math.log(2500), 1.1, r_used)), -1), 200,
                       50_000).astype(np.int64)
    req_gap = np.minimum(rng.geometric(0.25, r_used) - 1, 30)
    # engagements
    req = np.repeat(np.arange(r_used), k)
    starts = np.cumsum(k) - k
    pos = np.arange(n) - starts[req]
    is_final = pos == k[req] - 1
    gap = np.where(pos == 0, 0, rng.integers(2, 22, n))
    cum = np.cumsum(gap)
    within = cum - cum[starts[req]]
    span = within[starts + k - 1]
    first = np.clip(np.minimum(first, ndays - 1 - span), 0, None)
    day = first[req] + within
    request_day = first - req_gap
    ecp = cp[req]
    country = tb.cp_country[ecp]
    ctype = tb.cp_type[ecp]
    earea = area[req]
    echk = chk[req]
    # outcome probabilities
    months = np.array([(world.start + timedelta(days=int(d))).month for d in range(ndays)])
    month = months[day]
    p = BASE_OUTCOMES[ctype].copy()
    p[:, O_DENIED] *= tb.country_region_denial[country] * tb.cp_denial[ecp]
    in_season = tb.season[country, month]
    p[in_season, O_DEFERRED] *= SEASON_DEFERRAL_FACTOR
    p /= p.sum(axis=1, keepdims=True)
    p[~is_final] = [0, 0, 0, 0, 0.65, 0.35]
    p[~is_final & in_season] = [0, 0, 0, 0, 0.85, 0.15]  # "come back when the road dries"
    frac = day / max(1, ndays - 1)
    deny = np.full(n, np.nan)
    restr = tb.cp_restrictive[ecp]
    deny[restr] = DENIAL_START + (DENIAL_END - DENIAL_START) * frac[restr]
    off_level = np.zeros(n)
    if off is not None:
        o0, o1 = (off["start"] - world.start).days, (off["end"] - world.start).days
        e1 = (off["ease_end"] - world.start).days
        here = earea == tb.off_area
        during = here & (day >= o0) & (day <= o1)
        easing = here & (day > o1) & (day <= e1)
        off_level[during] = 1.0
        off_level[easing] = 1.0 - (day[easing] - o1) / (e1 - o1 + 1)
        base_d = p[:, O_DENIED]
        sel = during | easing
        deny[sel] = base_d[sel] + (OFFENSIVE_DENIAL - base_d[sel]) * off_level[sel]
    sel = ~np.isnan(deny)
    rest = p[sel].copy()
    rest[:, O_DENIED] = 0
    rest *= ((1 - deny[sel]) / rest.sum(axis=1))[:, None]
    rest[:, O_DENIED] = deny[sel]
    p[sel] = rest
    outcome = _cat(rng, np.cumsum(p, axis=1))
    # obstacles: context slots first, then generic ones by counterpart type
    slots = np.full((n, 5), -1, np.int64)
    hostile = off_level > 0
    pick_h = hostile & (rng.random(n) < 0.85 * off_level)
    slots[pick_h, 0] = rng.choice([_OBST_INDEX[x] for x in HOSTILITY_LABELS], size=int(pick_h.sum()))
    pick_s = in_season & (rng.random(n) < SEASON_OBSTACLE_P)
    for ci in np.unique(country[pick_s]):
        m = pick_s & (country == ci)
        slots[m, 1] = rng.choice(tb.season_labels[ci], size=int(m.sum()))
    sig = np.where(echk >= 0, tb.chk_sig[np.maximum(echk, 0)], -1)
    pick_g = (sig >= 0) & (rng.random(n) < SIGNATURE_P)
    slots[pick_g, 2] = sig[pick_g]
    n_gen = _cat(rng, np.cumsum(_N_OBST[outcome], axis=1))
    cum_o = tb.obst_cum[country, ctype]
    g1 = _cat(rng, cum_o)
    g2 = _cat(rng, cum_o)
    slots[:, 3] = np.where(n_gen >= 1, g1, -1)
    slots[:, 4] = np.where(n_gen >= 2, g2, -1)
    for j in range(1, 5):
        for i in range(j):
            dup = slots[:, j] == slots[:, i]
            slots[dup, j] = -1
    order = np.argsort(slots < 0, axis=1, kind="stable")
    slots = np.take_along_axis(slots, order, axis=1)[:, :3]
    # conditions
    conds = np.full((n, 2), -1, np.int64)
    has_c = (outcome == O_COND) | ((outcome == O_PARTIAL) & (rng.random(n) < 0.3))
    # Conditions demanded but not accepted: part of the denials and deferrals log what was asked
    # for, so that "how often did a condition come with a yes" is a real question.
    demanded = rng.random(n)
    has_c |= ((outcome == O_DENIED) & (demanded < 0.35)) | ((outcome == O_DEFERRED) & (demanded < 0.12))
    at_cp_e = echk >= 0
    cum_c = tb.cond_cum[at_cp_e.astype(np.int64), ctype]
    c1 = _cat(rng, cum_c)
    c2 = _cat(rng, cum_c)
    # inspections at border crossings, on top of what the counterpart asks for
    border = at_cp_e & (tb.chk_kind[np.maximum(echk, 0)] == 3)
    insp = border & (rng.random(n) < 0.75)
    c2[insp] = CONDITION_NAMES.index("inspection")
    conds[has_c, 0] = c1[has_c]
    two = has_c & (insp | (rng.random(n) < 0.35)) & (c2 != c1)
    conds[two, 1] = c2[two]
    # channel
    level = tb.cp_level[ecp]
    ch_p = np.array([[0.55, 0.25, 0.15, 0.05], [0.45, 0.25, 0.15, 0.15], [0.35, 0.20, 0.15, 0.30]])[level]
    ch_p[at_cp_e] = [0.90, 0.05, 0.05, 0.0]
    channel = _cat(rng, np.cumsum(ch_p, axis=1))
    # numbers and dates
    etarget = targeted[req]
    reached = np.full(n, -1, np.int64)
    frac_r = np.select([outcome == O_GRANTED, outcome == O_COND, outcome == O_PARTIAL, outcome == O_DENIED],
                       [np.ones(n), rng.uniform(0.6, 1.0, n), rng.uniform(0.2, 0.7, n), np.zeros(n)], -1.0)
    ok = frac_r >= 0
    reached[ok] = np.round(etarget[ok] * frac_r[ok]).astype(np.int64)
    resolved = outcome <= O_DENIED
    follow = np.where(~resolved, day + rng.integers(3, 15, n), -1)
    note_kind = rng.random(n)
    note_idx = rng.integers(0, 24, n)
    # order rows by date (ties at random), as an office log would be
    perm = np.lexsort((rng.random(n), day))
    out = {
        "cp": ecp, "country": country, "ctype": ctype, "level": level, "area": earea, "chk": echk,
        "place": place[req], "org": org[req], "activity": activity[req], "priority": priority[req],
        "targeted": etarget, "reached": reached, "day": day, "request_day": request_day[req],
        "resolved": resolved, "follow": follow, "outcome": outcome, "channel": channel,
        "obst": slots, "cond": conds, "req": req, "note_kind": note_kind, "note_idx": note_idx,
        "variant": np.where(rng.random(n) < VARIANT_SHARE, rng.integers(0, 8, n), -1),
        "type_pick": rng.random(n), "alt_pick": rng.random((n, 4)), "alt_idx": rng.integers(0, 1000, (n, 4)),
        "intermediary": rng.integers(0, len(INTERMEDIARIES), n),
    }
    return {key: val[perm] for key, val in out.items()}
