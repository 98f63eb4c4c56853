"""Reading one boundary file: its format, its naming convention, its features as valid EPSG:4326 areas.

Boundary files come in many shapes: GeoJSON, zipped shapefiles, GeoPackages, GeoParquet; OCHA
COD-AB field names old (``ADM1_PCODE``, ``ADM1_EN``) and new (``adm1_pcode``, ``adm1_name``),
geoBoundaries (``shapeName``, ``shapeISO``, ``shapeGroup``, no P-codes), GADM (``GID_0``,
``NAME_1``) and this project's own extract (``pcode``, ``name``, ``iso3``). Everything the
dashboard joins on is a P-code, so each area must end up with one:

:func:`read_boundary_file` reads a file into a :class:`BoundaryFile` and writes nothing;
:mod:`etl.geo.boundaries` gives the areas their P-codes and stores them.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from etl.errors import AccessDataError, InputFileError
from etl.geo.countries import country_iso3
from etl.geo.gazetteer import iso3_from_code

# Same tolerance as the bundled extract (about 1.1 km): the map stays light and borders shared.
SIMPLIFY_DEGREES = 0.01


@dataclass
class Fields:
    """Which properties of a boundary file hold what."""

    label: str  # e.g. "COD-AB (old field names)"
    level: int
    name: str | None
    pcode: str | None = None
    parent: str | None = None
    country: str | None = None  # a column of ISO3 / ISO2 codes or country names
    extra: dict[str, str] = field(default_factory=dict)  # other columns worth naming in the mapping

    def mapping(self) -> dict[str, str]:
        roles = {self.name: "name", self.pcode: "pcode", self.parent: "parent_pcode", self.country: "iso3"}
        return {k: v for k, v in roles.items() if k} | self.extra


@dataclass
class BoundaryFile:
    """A boundary file read into memory: features in EPSG:4326 and how its fields were understood."""

    path: Path
    frame: gpd.GeoDataFrame
    fields: Fields
    points: bool  # a file of points (centroids), not polygons
    iso3: list[str | None]  # country of each feature (None: to be found from its P-code)
    notes: list[str] = field(default_factory=list)
    layer: str | None = None


def _pick(names: Sequence[str], level: int | None, what: str, path: Path) -> str:
    """One layer (or zip member) out of several, by admin level in its name."""
    if len(names) == 1:
        return names[0]
    wanted = 1 if level is None else level
    hits = [n for n in names if re.search(rf"adm(?:in)?[_ -]?{wanted}(?!\d)", n, re.IGNORECASE)]
    if len(hits) == 1:
        return hits[0]
    raise InputFileError(path, f"holds several {what} ({', '.join(names[:8])}) and none is clearly admin level "
                         f"{wanted}.", "Add --level N to pick one, or export the one you want on its own.")


def _read_frame(path: Path, level: int | None) -> tuple[gpd.GeoDataFrame, str | None]:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".geoparquet"):
        return gpd.read_parquet(path), None
    import pyogrio

    source = str(path)
    if suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            members = [n for n in zf.namelist() if n.lower().endswith((".shp", ".gpkg", ".geojson", ".json"))
                       and not n.lower().endswith("metadata.json") and "/." not in n]
        if not members:
            raise InputFileError(path, "holds no shapefile, GeoPackage or GeoJSON.",
                                 "Zip the .shp with its .dbf, .shx and .prj, or give the file itself.")
        source = f"/vsizip/{path}/{_pick(members, level, 'boundary files', path)}"
    layers = [str(x[0]) for x in pyogrio.list_layers(source)]
    layer = _pick(layers, level, "layers", path) if len(layers) > 1 else None
    return gpd.read_file(source, layer=layer), layer


def _detect_fields(frame: pd.DataFrame, level: int | None, path: Path) -> Fields:
    """Tell the naming convention from the columns (see the module docstring)."""
    cols = [str(c) for c in frame.columns if c != "geometry"]
    lower = {c.lower(): c for c in cols}

    def get(*names: str) -> str | None:
        return next((lower[n] for n in names if n in lower), None)

    cod = sorted(int(m.group(1)) for c in cols if (m := re.fullmatch(r"adm([0-5])_pcode", c, re.IGNORECASE)))
    cod = [n for n in cod if n >= 1]
    if cod:
        n = cod[-1] if level is None else level
        if n not in cod:
            raise InputFileError(path, f"has no admin-{n} fields (it has ADM{cod[-1]}_PCODE).",
                                 f"Drop --level or use --level {cod[-1]}.")
        if level is not None and level < cod[-1]:
            raise InputFileError(path, f"its features are admin-{cod[-1]} areas (it has ADM{cod[-1]}_PCODE).",
                                 f"Drop --level or use --level {cod[-1]}.")
        pcode = lower[f"adm{n}_pcode"]
        old = pcode.isupper()
        name = get(*(f.format(n=n) for f in ("adm{n}_en", "adm{n}_name", "adm{n}_fr", "adm{n}_es", "adm{n}_pt",
                                              "adm{n}_ref", "adm{n}_name1")))
        return Fields("COD-AB (old field names)" if old else "COD-AB (new field names)", n, name, pcode,
                      lower.get(f"adm{n - 1}_pcode") if n >= 2 else None,
                      get("iso3", "adm0_pcode", "adm0_en", "adm0_name"))
    if "shapename" in lower:
        types = {str(t).upper() for t in frame[lower["shapetype"]].dropna()} if "shapetype" in lower else set()
        found = [int(t[3:]) for t in types if re.fullmatch(r"ADM\d", t)]
        n = level if level is not None else (found[0] if len(found) == 1 else 1)
        if level is not None and found and found != [level]:
            raise InputFileError(path, f"its shapeType says {', '.join(sorted(types))}, not admin level {level}.",
                                 "Drop --level.")
        roles = {"shapeiso": "iso_3166_2 (not a P-code)", "shapetype": "level"}
        extra: dict[str, str] = {lower[c]: role for c, role in roles.items() if c in lower}
        return Fields("geoBoundaries", n, lower["shapename"], country=get("shapegroup"), extra=extra)
    gadm = sorted(int(m.group(1)) for c in cols if (m := re.fullmatch(r"name_([1-5])", c, re.IGNORECASE)))
    if gadm and "gid_0" in lower:
        n = gadm[-1] if level is None else level
        if n not in gadm:
            raise InputFileError(path, f"has no NAME_{n} field.", f"Use --level {gadm[-1]}.")
        return Fields("GADM", n, lower[f"name_{n}"], country=lower["gid_0"])
    if "pcode" in lower and "name" in lower:
        return Fields("pcode/name/iso3", level or 1, lower["name"], lower["pcode"],
                      get("parent_pcode"), get("iso3"))
    raise InputFileError(
        path, f"its properties ({', '.join(cols[:10])}) say neither the area names nor their P-codes.",
        "Expected COD-AB fields (ADM1_PCODE/ADM1_EN or adm1_pcode/adm1_name), geoBoundaries (shapeName, "
        "shapeGroup), GADM (GID_0, NAME_1) or pcode/name/iso3.")


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _feature_countries(frame: pd.DataFrame, fields: Fields, iso3: str | None, path: Path) -> list[str | None]:
    """The country of each feature, from its fields or ``--iso3`` (they must agree)."""
    if fields.country is None:
        return [iso3] * len(frame)
    memo: dict[str, str | None] = {}
    out: list[str | None] = []
    for raw in frame[fields.country]:
        text = _text(raw)
        if text not in memo:
            memo[text] = (iso3_from_code(text) or country_iso3(text)) if text else None
        out.append(memo[text] or iso3)
    found = sorted({c for c in out if c})
    if iso3 and found and found != [iso3]:
        raise InputFileError(path, f"its field '{fields.country}' says {', '.join(found)}, but --iso3 says {iso3}.",
                             "Drop --iso3, or check you picked the right file.")
    return out


def _refuse_metadata(path: Path) -> None:
    """geoBoundaries ships a ``*-metaData.json`` beside each boundary file: say what it is, not "unreadable"."""
    if path.suffix.lower() != ".json" or path.stat().st_size > 100_000:
        return
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return
    if isinstance(meta, dict) and "boundaryID" in meta and "type" not in meta:
        licence = meta.get("boundaryLicense") or "not stated"
        raise InputFileError(
            path, f"is geoBoundaries metadata for {meta.get('boundaryID')} (licence: {licence}), not boundaries.",
            f"Load the boundary file it describes instead (e.g. {meta.get('boundaryISO', 'XXX')}-"
            f"{meta.get('boundaryType', 'ADM1')}.geojson or the zipped shapefile), and keep this file with it for "
            "the licence.")


def read_boundary_file(path: Path, level: int | None = None, iso3: str | None = None) -> BoundaryFile:
    """Read a boundary file, detect its fields, and bring its geometries to valid EPSG:4326.

    >>> b = read_boundary_file(Path("SDN-ADM1.geojson"))  # doctest: +SKIP
    >>> b.fields.label, b.fields.level  # doctest: +SKIP
    ('geoBoundaries', 1)
    """
    _refuse_metadata(path)
    try:
        frame, layer = _read_frame(path, level)
    except AccessDataError:
        raise
    except Exception as exc:  # pyogrio, pyarrow and zipfile each raise their own errors for unreadable files
        # pyogrio's messages repeat the full path and add driver advice: keep their first clause.
        text = str(exc).strip().replace(f"'{path}'", "").replace(str(path), "").strip()
        first = text.splitlines()[0].split(";")[0][:200].rstrip(".") if text else type(exc).__name__
        raise InputFileError(path, f"cannot be read as a boundary file ({first}).",
                             "Give a GeoJSON, GeoPackage, zipped shapefile or GeoParquet file.") from exc
    if frame.empty:
        raise InputFileError(path, "has no features.", "Check you exported the right layer.")
    fields = _detect_fields(frame, level, path)
    notes: list[str] = []
    geoms = frame.geometry
    empty = geoms.isna() | geoms.is_empty
    if empty.any():
        notes.append(f"{int(empty.sum())} feature(s) without a geometry left out")
        frame = frame[~empty].reset_index(drop=True)
    kinds = frame.geometry.geom_type
    polygonal = kinds.isin(["Polygon", "MultiPolygon"])
    pointy = kinds.isin(["Point", "MultiPoint"])
    if not polygonal.any() and not pointy.any():
        raise InputFileError(path, f"holds {', '.join(sorted(set(kinds)))} features, not areas.",
                             "Give a file of polygons (areas) or of points (label points).")
    points = not polygonal.any()
    keep = pointy if points else polygonal
    if (~keep).any():
        notes.append(f"{int((~keep).sum())} feature(s) that are not {'points' if points else 'polygons'} left out")
        frame = frame[keep].reset_index(drop=True)
    if frame.crs is None:
        minx, miny, maxx, maxy = frame.total_bounds
        if min(minx, miny) < -180 or maxx > 180 or maxy > 90 or miny < -90:
            raise InputFileError(path, "has no coordinate system and its coordinates are not degrees.",
                                 "Export it again with its .prj (or in EPSG:4326).")
        frame = frame.set_crs(4326)
    elif not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs(4326)
    countries = _feature_countries(frame, fields, iso3, path)
    if not fields.pcode and not all(countries):
        raise InputFileError(path, "does not say which country its areas are in.", "Add --iso3 ISO3 to the command.")
    return BoundaryFile(path, frame, fields, points, countries, notes, layer)


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygon parts of a geometry (make_valid can add stray lines and points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def tidy_geometries(geoms: Sequence[shapely.Geometry]) -> list[shapely.Geometry]:
    """Valid, simplified polygons (shared borders stay shared), rings oriented as GeoJSON wants.

    >>> square = shapely.box(0, 0, 1, 1)
    >>> tidy_geometries([square])[0].equals(square)
    True
    """
    valid = np.array([_polygonal(g) for g in shapely.make_valid(np.asarray(geoms, dtype=object))], dtype=object)
    try:
        simple = shapely.coverage_simplify(valid, SIMPLIFY_DEGREES)
    except shapely.errors.GEOSException:  # not a clean coverage: simplify each area alone
        simple = shapely.simplify(valid, SIMPLIFY_DEGREES, preserve_topology=True)
    simple = np.array([_polygonal(g) for g in shapely.make_valid(simple)], dtype=object)
    out = np.where(shapely.is_empty(simple), valid, simple)  # a tiny island may vanish: keep it whole
    return list(shapely.orient_polygons(out))
