"""Geography: admin-1 boundaries, operational regions, and placing points on admin areas.

Point-in-polygon runs in geopandas on the *distinct* points of a load (a log has far fewer
places than rows), so it stays fast on a million rows.

Points are placed on the areas *in the database* (:func:`boundaries_in_db`): the bundled
extract for most countries, and whatever ``python -m etl boundaries`` loaded for the others, so
a log loaded after a boundary file lands on that file's areas.
"""

from __future__ import annotations

import csv
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rapidfuzz import fuzz, process

from etl.errors import ConfigError
from etl.vocab import label_key

KM_PER_DEGREE = 111.0
REGION_FALLBACK = "Other"


@dataclass(frozen=True)
class Boundaries:
    """Admin-1 areas (pcode, name, iso3, region, geometry) and their countries, in EPSG:4326."""

    areas: gpd.GeoDataFrame
    countries: gpd.GeoDataFrame  # iso3, geometry (union of its areas)

    @property
    def iso3s(self) -> set[str]:
        return set(self.countries["iso3"])


@lru_cache(maxsize=4)
def _load_boundaries(path: str, mtime_ns: int) -> Boundaries:
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        raise ConfigError(f"Cannot read the boundaries file {path}: {exc}",
                          "Set ACCESS_BOUNDARIES to a GeoJSON with pcode, name and iso3 properties.") from exc
    missing = {"pcode", "name", "iso3"} - set(gdf.columns)
    if missing:
        raise ConfigError(f"The boundaries file {path} lacks the properties {sorted(missing)}.",
                          "Rebuild it with scripts/build_boundaries.py.")
    gdf = gdf.set_crs(4326, allow_override=True) if gdf.crs is None else gdf.to_crs(4326)
    gdf["geometry"] = shapely.make_valid(gdf.geometry.values)
    countries = gdf.dissolve(by="iso3", as_index=False)[["iso3", "geometry"]]
    return Boundaries(gdf, countries)


def load_boundaries(path: Path) -> Boundaries:
    """The boundaries at ``path``, cached until the file changes."""
    if not path.exists():
        raise ConfigError(f"The boundaries file {path} does not exist.",
                          "Set ACCESS_BOUNDARIES, or restore data/boundaries/admin1.geojson from the repository.")
    return _load_boundaries(str(path), path.stat().st_mtime_ns)


# A cheap fingerprint of the areas used for placing points: it changes whenever an area, its
# geometry or its country's name does, so decoded geometries can be reused until then.
AREAS_FINGERPRINT = """
SELECT count(*), coalesce(bit_xor(hash(a.pcode, a.level, a.iso3, a.name, a.geometry, c.name)), 0)
FROM admin_areas a LEFT JOIN countries c ON c.iso3 = a.iso3
WHERE a.level IN (0, 1) AND a.geometry IS NOT NULL
"""
AREAS_FOR_PLACING = """
SELECT a.pcode, a.name, a.iso3, a.level, a.geometry, coalesce(c.name, a.iso3) AS country
FROM admin_areas a LEFT JOIN countries c ON c.iso3 = a.iso3
WHERE a.level IN (0, 1) AND a.geometry IS NOT NULL
ORDER BY a.level, a.pcode
"""
_DB_BOUNDARIES: OrderedDict[tuple[int, int], Boundaries] = OrderedDict()


def boundaries_in_db(con: duckdb.DuckDBPyConnection) -> Boundaries:
    """The countries (level 0) and admin-1 areas (level 1) stored in ``admin_areas``, decoded.

    Decoding a few hundred WKB polygons takes a moment, and a load places points once per file:
    the result is kept for as long as the areas' fingerprint stays the same.
    """
    row = con.execute(AREAS_FINGERPRINT).fetchone()
    key = (int(row[0]), int(row[1])) if row else (0, 0)
    cached = _DB_BOUNDARIES.get(key)
    if cached is not None:
        _DB_BOUNDARIES.move_to_end(key)
        return cached
    frame = con.execute(AREAS_FOR_PLACING).df()
    geometry = shapely.from_wkb(frame["geometry"].map(bytes).to_numpy()) if len(frame) else []
    gdf = gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=geometry, crs=4326)
    areas = gdf[gdf["level"] == 1].reset_index(drop=True)[["pcode", "name", "iso3", "country", "geometry"]]
    countries = gdf[gdf["level"] == 0][["iso3", "geometry"]]
    missing = sorted(set(areas["iso3"]) - set(countries["iso3"]))
    if missing:  # a country row is always written with its areas; rebuild it if it is not there
        extra = areas[areas["iso3"].isin(missing)].dissolve(by="iso3", as_index=False)[["iso3", "geometry"]]
        countries = pd.concat([countries, extra], ignore_index=True)
    countries = countries[countries["iso3"].isin(set(areas["iso3"]))].reset_index(drop=True)
    result = Boundaries(areas, gpd.GeoDataFrame(countries, geometry="geometry", crs=4326))
    _DB_BOUNDARIES[key] = result
    while len(_DB_BOUNDARIES) > 4:
        _DB_BOUNDARIES.popitem(last=False)
    return result


def read_regions(path: Path) -> dict[str, tuple[str, str]]:
    """iso3 -> (country name, operational region) from the regions CSV."""
    if not path.exists():
        raise ConfigError(f"The regions file {path} does not exist.",
                          "Set ACCESS_REGIONS to a CSV with columns iso3,country,region.")
    with open(path, encoding="utf-8", newline="") as fh:
        return {row["iso3"].strip().upper(): (row["country"].strip(), row["region"].strip())
                for row in csv.DictReader(fh) if row.get("iso3")}


def locate_points(
    boundaries: Boundaries, points: pd.DataFrame, tolerance_km: float
) -> pd.DataFrame:
    """Admin-1 P-code for each (iso3, lat, lon), or why the point cannot be right.

    Returns the input columns plus ``pcode`` and ``problem`` (None, 'outside_country' or
    'swapped_coordinates') and ``detail`` (the country the point falls in, when another one).
    Points in countries without boundaries get no P-code and no problem.
    """
    out = points[["iso3", "lat", "lon"]].copy().reset_index(drop=True)
    out["pcode"] = None
    out["problem"] = None
    out["detail"] = None
    if out.empty:
        return out
    areas = boundaries.areas
    geom = shapely.points(out["lon"].to_numpy(), out["lat"].to_numpy())
    tree = shapely.STRtree(areas.geometry.values)
    pt_idx, area_idx = tree.query(geom, predicate="within")
    hit_pcode = np.full(len(out), None, dtype=object)
    hit_iso3 = np.full(len(out), None, dtype=object)
    # A point on a shared border can match two areas: keep the first.
    for p, a in zip(pt_idx[::-1], area_idx[::-1], strict=True):
        hit_pcode[p] = areas["pcode"].iat[a]
        hit_iso3[p] = areas["iso3"].iat[a]
    known = boundaries.iso3s
    tol_deg = tolerance_km / KM_PER_DEGREE
    country_geom = dict(zip(boundaries.countries["iso3"], boundaries.countries.geometry, strict=True))
    names = dict(zip(areas["iso3"], areas.get("country", areas["iso3"]), strict=False))
    for i in range(len(out)):
        iso3 = out.at[i, "iso3"]
        if iso3 not in known:
            continue
        if hit_iso3[i] == iso3:
            out.at[i, "pcode"] = hit_pcode[i]
            continue
        point = geom[i]
        if country_geom[iso3].distance(point) <= tol_deg:
            mine = areas[areas["iso3"] == iso3]
            nearest = int(np.argmin(shapely.distance(mine.geometry.values, point)))
            out.at[i, "pcode"] = mine["pcode"].iat[nearest]
            continue
        swapped = shapely.points(out.at[i, "lat"], out.at[i, "lon"])
        if country_geom[iso3].distance(swapped) <= tol_deg:
            out.at[i, "problem"] = "swapped_coordinates"
        else:
            out.at[i, "problem"] = "outside_country"
            if hit_iso3[i] is not None:
                out.at[i, "detail"] = f"it falls in {names.get(hit_iso3[i], hit_iso3[i])}"
    return out


def match_admin_names(areas: pd.DataFrame, wanted: pd.DataFrame, min_score: float = 90.0) -> pd.DataFrame:
    """P-code for each (iso3, raw admin-1 name): exact on a normalised key, then close fuzzy match.

    Unmatched names get no P-code (they are never guessed below ``min_score``).
    """
    out = wanted[["iso3", "raw"]].copy().reset_index(drop=True)
    out["pcode"] = None
    stop = {"state", "province", "governorate", "region", "oblast", "wilayat", "county", "district", "of"}

    def key(name: str) -> str:
        return " ".join(w for w in label_key(name).replace("al ", "al").split() if w not in stop)

    by_country: dict[str, dict[str, str]] = {}
    for iso3, name, pcode in zip(areas["iso3"], areas["name"], areas["pcode"], strict=True):
        by_country.setdefault(iso3, {})[key(name)] = pcode
    for i in range(len(out)):
        choices = by_country.get(out.at[i, "iso3"])
        if not choices:
            continue
        k = key(out.at[i, "raw"])
        if k in choices:
            out.at[i, "pcode"] = choices[k]
            continue
        best = process.extractOne(k, list(choices), scorer=fuzz.ratio, score_cutoff=min_score)
        if best is not None:
            out.at[i, "pcode"] = choices[best[0]]
    return out


def place_admin_names(areas: pd.DataFrame, wanted: pd.DataFrame) -> pd.DataFrame:
    """:func:`match_admin_names`, then the gazetteer's staged matching for the names it left.

    Boundary files loaded with ``python -m etl boundaries`` store OCHA's names ("Aj Jazirah"),
    while logs say what people say ("Gezira State"): the second pass (generic words dropped,
    transliteration-tolerant, a clear winner only) bridges the two without guessing.
    """
    from etl.geo.gazetteer import Place, reconcile

    out = match_admin_names(areas, wanted)
    todo = out.index[out["pcode"].isna()]
    if len(todo) == 0:
        return out
    places: dict[str, list[Place]] = {}
    for iso3, name, pcode in zip(areas["iso3"], areas["name"], areas["pcode"], strict=True):
        places.setdefault(iso3, []).append(Place(pcode, name))
    for iso3, rows in out.loc[todo].groupby("iso3").groups.items():
        if iso3 not in places:
            continue
        found = reconcile(list(out.loc[rows, "raw"]), places[str(iso3)], one_to_one=False)
        out.loc[rows, "pcode"] = [m.pcode for m in found]
    return out

