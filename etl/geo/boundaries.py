"""``python -m etl boundaries``: admin boundaries and P-code gazetteers into the database.

Boundary files come in many shapes: GeoJSON, zipped shapefiles, GeoPackages, GeoParquet; OCHA
COD-AB field names old (``ADM1_PCODE``, ``ADM1_EN``) and new (``adm1_pcode``, ``adm1_name``),
geoBoundaries (``shapeName``, ``shapeISO``, ``shapeGroup``, no P-codes), GADM (``GID_0``,
``NAME_1``) and this project's own extract (``pcode``, ``name``, ``iso3``). Everything the
dashboard joins on is a P-code, so each area must end up with one:

* files with P-codes are stored as they are, and their P-codes checked against the gazetteer
  and the P-code lengths when those are loaded (unknown or malformed P-codes are reported);
* files without are reconciled by name through the gazetteer (:func:`etl.geo.gazetteer.reconcile`);
  names that do not match are listed with their best candidates and left out, never guessed.

The matched areas of a country and level replace the ones stored before for it (the bundled
extract, or an earlier file); ``boundary_layers`` records which load owns them, so later log
loads keep them and place their points on them. Files of points (centroids) only set the label
points of areas already loaded.

Everything runs in one write session and one transaction: gazetteers are applied first (so
``boundaries pcodes.csv SDN.geojson`` works in either order), then polygons, then points.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from etl.config import Settings, get_settings
from etl.errors import AccessDataError, InputFileError
from etl.geo.areas import KM_PER_DEGREE, REGION_FALLBACK, read_regions
from etl.geo.gazetteer import Gazetteer, NameMatch, Place, expected_lengths, iso3_from_code, read_gazetteer, reconcile
from etl.geo.refresh import refresh_geography
from etl.logs.validate import country_iso3, country_name
from etl.store.archives import check_archive
from etl.store.db import Discard
from etl.store.loads import file_sha256, record_load, transaction, write_session

BOUNDARY_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".shp", ".parquet", ".geoparquet", ".fgb")
GAZETTEER_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls")
# Same tolerance as the bundled extract (about 1.1 km): the map stays light and borders shared.
SIMPLIFY_DEGREES = 0.01
GAZETTEER_HINT = ("load one first, e.g. `python -m etl boundaries global_pcodes_adm1_adm2.csv` (OCHA's global "
                  "P-code list on HDX) or the country's COD-AB gazetteer (.xlsx), then load this file again")

PRIOR_LOAD = ("SELECT load_id, strftime(started_at, '%Y-%m-%d %H:%M UTC') FROM loads "
              "WHERE content_sha256 = ? AND file_format = ? ORDER BY load_id DESC LIMIT 1")
STILL_CURRENT = """
SELECT (SELECT count(*) FROM pcodes WHERE load_id = $load_id) + (SELECT count(*) FROM pcode_lengths WHERE load_id = $load_id)
     + (SELECT count(*) FROM boundary_layers WHERE load_id = $load_id)
"""
DELETE_PCODES = "DELETE FROM pcodes p USING _gaz_keys k WHERE p.iso3 = k.iso3 AND p.admin_level = k.admin_level"
INSERT_PCODES = """
INSERT INTO pcodes (iso3, admin_level, pcode, name, parent_pcode, valid_from, source, load_id)
SELECT iso3, admin_level::TINYINT, pcode, name, parent_pcode, valid_from::DATE, $source, $load_id
FROM _gaz
"""
DELETE_LENGTHS = "DELETE FROM pcode_lengths WHERE iso3 IN (SELECT DISTINCT iso3 FROM _gaz_len)"
INSERT_LENGTHS = "INSERT INTO pcode_lengths (iso3, admin_level, length, source, load_id) SELECT iso3, admin_level::TINYINT, length::TINYINT, $source, $load_id FROM _gaz_len"
GAZETTEER_PLACES = "SELECT pcode, name, parent_pcode FROM pcodes WHERE iso3 = ? AND admin_level = ? ORDER BY pcode"
PCODE_COUNTRIES = "SELECT DISTINCT pcode, iso3 FROM pcodes WHERE list_contains(?, pcode)"
LENGTHS_OF = "SELECT admin_level, length FROM pcode_lengths WHERE iso3 = ?"
GAZETTEER_COUNTRIES = "SELECT count(DISTINCT iso3) FROM pcodes"
DELETE_AREAS = "DELETE FROM admin_areas WHERE iso3 = ? AND (level = ? OR (level = 0 AND ? = 1))"
INSERT_AREAS = """
INSERT OR REPLACE INTO admin_areas (pcode, name, level, parent_pcode, iso3, region, geometry, centroid_lat,
    centroid_lon, source)
SELECT pcode, name, level::TINYINT, parent_pcode, iso3, region, geometry::BLOB, centroid_lat, centroid_lon, source
FROM _areas
"""
INSERT_LAYER = """
INSERT OR REPLACE INTO boundary_layers (iso3, level, load_id, source, fields, features, areas, matched_pcode,
    matched_exact, matched_normalised, matched_fuzzy, unmatched)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
ADD_COUNTRY = "INSERT OR IGNORE INTO countries (iso3, name, region) VALUES (?, ?, ?)"
AREAS_OF = "SELECT pcode, name, geometry FROM admin_areas WHERE iso3 = ? AND level = ? AND geometry IS NOT NULL"
SET_CENTROIDS = """
UPDATE admin_areas SET centroid_lat = t.lat, centroid_lon = t.lon FROM _centroids t WHERE admin_areas.pcode = t.pcode
"""


# --------------------------------------------------------------------------- reading


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


# --------------------------------------------------------------------------- results


@dataclass
class CountryOutcome:
    """What happened to one country (and level) of a boundary file."""

    iso3: str
    level: int
    features: int
    stored: int = 0
    by_pcode: int = 0
    matches: list[NameMatch] = field(default_factory=list)
    unknown_pcodes: list[str] = field(default_factory=list)
    malformed_pcodes: list[str] = field(default_factory=list)
    problem: str = ""  # why nothing was stored

    def count(self, how: str) -> int:
        return sum(m.how == how for m in self.matches)

    @property
    def unmatched(self) -> list[NameMatch]:
        return [m for m in self.matches if m.pcode is None]


@dataclass
class FileResult:
    """What happened to one file of a ``boundaries`` command; ``lines`` is its report."""

    path: Path
    status: str  # stored | already_loaded | unused | failed
    kind: str = ""
    load_id: int | None = None
    lines: list[str] = field(default_factory=list)
    countries: list[CountryOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("stored", "already_loaded")


@dataclass
class _Read:
    path: Path
    sha: str
    started_at: dt.datetime
    gazetteer: Gazetteer | None = None
    boundary: BoundaryFile | None = None


def _read_one(path: Path, iso3: str | None, level: int | None, settings: Settings) -> _Read | FileResult:
    started_at = dt.datetime.now(dt.UTC)
    try:
        if not path.is_file():
            raise InputFileError(path, "no such file." if not path.exists() else "is a folder.",
                                 "Give the boundary or gazetteer files themselves.")
        suffix = path.suffix.lower()
        check_archive(path, settings)  # a zipped shapefile or workbook that would inflate past the limits
        sha = file_sha256(path)
        if suffix in GAZETTEER_SUFFIXES:
            g = read_gazetteer(path, iso3)
            if g is None:
                raise InputFileError(path, "is neither a P-code gazetteer nor a P-code lengths table.",
                                     "Expected OCHA's global P-code CSV (Location, Admin Level, P-Code, Name...), "
                                     "its P-code lengths CSV, or COD-AB tables (adm1_pcode, adm1_name...).")
            return _Read(path, sha, started_at, gazetteer=g)
        if suffix in BOUNDARY_SUFFIXES:
            return _Read(path, sha, started_at, boundary=read_boundary_file(path, level, iso3))
        raise InputFileError(path, f"'{path.suffix}' files are not boundaries or gazetteers.",
                             "Give GeoJSON, GeoPackage, zipped shapefile, GeoParquet, or a P-code CSV/XLSX.")
    except AccessDataError as err:
        return FileResult(path, "failed", lines=[str(err)])


def _record_load(con: duckdb.DuckDBPyConnection, r: _Read, fmt: str, mapping: dict[str, str],
                 ignored: list[str], counts: tuple[int, int, int, int], encoding: str | None = None,
                 sheets: Sequence[str] = ()) -> int:
    read, loaded, rejected, duplicate = counts
    return record_load(con, source_path=str(r.path), file_name=r.path.name, content_sha256=r.sha,
                       file_bytes=r.path.stat().st_size, file_format=fmt, encoding=encoding,
                       sheets=", ".join(sheets) or None, column_mapping=mapping, ignored_columns=ignored,
                       started_at=r.started_at, status="loaded", rows_read=read, rows_loaded=loaded,
                       rows_rejected=rejected, rows_duplicate=duplicate)


def _already(con: duckdb.DuckDBPyConnection, r: _Read, fmt: str) -> FileResult | None:
    """A file loaded before whose rows are still the current ones: nothing to do."""
    prior = con.execute(PRIOR_LOAD, [r.sha, fmt]).fetchone()
    if not prior:
        return None
    current = con.execute(STILL_CURRENT, {"load_id": prior[0]}).fetchone()
    if not current or not current[0]:
        return None  # replaced since by another file: apply it again
    return FileResult(r.path, "already_loaded", fmt, prior[0],
                      [f"{r.path.name}: already loaded as load {prior[0]} on {prior[1]} and still current; "
                       "nothing to do."])


# --------------------------------------------------------------------------- applying


def _apply_gazetteer(con: duckdb.DuckDBPyConnection, r: _Read) -> FileResult:
    g = r.gazetteer
    assert g is not None
    if (done := _already(con, r, "gazetteer")) is not None:
        return done
    loaded = len(g.pcodes) + g.lengths["iso3"].nunique()
    load_id = _record_load(con, r, "gazetteer", g.mapping, g.ignored,
                           (g.rows_read, loaded, len(g.skipped), g.duplicates), g.encoding, g.sheets)
    params = {"source": r.path.name, "load_id": load_id}
    lines = [f"{r.path.name}: {g.label}"]
    if not g.pcodes.empty:
        con.register("_gaz", g.pcodes)
        con.register("_gaz_keys", g.pcodes[["iso3", "admin_level"]].drop_duplicates())
        try:
            con.execute(DELETE_PCODES)
            con.execute(INSERT_PCODES, params)
        finally:
            con.unregister("_gaz")
            con.unregister("_gaz_keys")
        by_level = g.pcodes.groupby("admin_level").size()
        levels = ", ".join(f"{n:,} admin-{lvl}" for lvl, n in by_level.items())
        lines.append(f"  {len(g.pcodes):,} P-codes of {g.pcodes['iso3'].nunique():,} countries ({levels}); "
                     f"stored in pcodes (load {load_id}), replacing those countries' earlier lists at these levels")
    if not g.lengths.empty:
        con.register("_gaz_len", g.lengths)
        try:
            con.execute(DELETE_LENGTHS)
            con.execute(INSERT_LENGTHS, params)
        finally:
            con.unregister("_gaz_len")
        lines.append(f"  P-code lengths of {g.lengths['iso3'].nunique():,} countries; stored in pcode_lengths "
                     f"(load {load_id})")
    if g.sheets:
        lines.append(f"  sheets read: {', '.join(g.sheets)}" + (f"; not used: {', '.join(g.ignored)}" if g.ignored
                                                                  else ""))
    if g.duplicates:
        lines.append(f"  {g.duplicates:,} repeated P-code row(s) left out, the first kept: {', '.join(g.repeated[:10])}")
    if g.skipped:
        more = f" (and {len(g.skipped) - 3:,} more)" if len(g.skipped) > 3 else ""
        lines.append(f"  {len(g.skipped):,} row(s) left out: {'; '.join(g.skipped[:3])}{more}")
    return FileResult(r.path, "stored", "gazetteer", load_id, lines)


def _resolve_countries(con: duckdb.DuckDBPyConnection, b: BoundaryFile) -> list[str | None]:
    """Countries of features whose file does not say, from their P-codes in the gazetteer."""
    if all(b.iso3) or not b.fields.pcode:
        return b.iso3
    codes = [_text(v).upper() for v in b.frame[b.fields.pcode]]
    known = dict(con.execute(PCODE_COUNTRIES, [sorted(set(codes))]).fetchall())
    return [c or known.get(p) for c, p in zip(b.iso3, codes, strict=True)]


def _check_pcodes(con: duckdb.DuckDBPyConnection, out: CountryOutcome, codes: list[str],
                  places: dict[str, Place]) -> None:
    if places:
        out.unknown_pcodes = sorted({p for p in codes if p not in places})
    lengths: dict[int, list[int | None]] = {}
    for lvl, length in con.execute(LENGTHS_OF, [out.iso3]).fetchall():
        lengths.setdefault(int(lvl), []).append(length)
    allowed = expected_lengths(lengths, out.level) if lengths else None
    if allowed:
        out.malformed_pcodes = sorted({p for p in codes if len(p) not in allowed})


def _area_rows(b: BoundaryFile, idx: list[int], codes: list[str], names: list[str], parents: list[str | None],
               iso3: str, region: str) -> tuple[list[tuple], shapely.Geometry]:
    """admin_areas rows for the matched features (features sharing a P-code are merged)."""
    groups: dict[str, list[int]] = {}
    for i, code in zip(idx, codes, strict=True):
        groups.setdefault(code, []).append(i)
    first = {code: n for n, code in reversed(list(enumerate(codes)))}
    merged = [shapely.union_all(b.frame.geometry.values[g]) if len(g) > 1 else b.frame.geometry.values[g[0]]
              for g in groups.values()]
    tidy = tidy_geometries(merged)
    rows = []
    for code, geom in zip(groups, tidy, strict=True):
        c = geom.representative_point()
        n = first[code]
        rows.append((code, names[n], b.fields.level, parents[n], iso3, region, shapely.to_wkb(geom), c.y, c.x,
                     b.path.name))
    return rows, shapely.union_all(tidy)


def _apply_country(con: duckdb.DuckDBPyConnection, b: BoundaryFile, iso3: str, idx: list[int],
                   regions: dict[str, tuple[str, str]]) -> tuple[CountryOutcome, list[tuple], shapely.Geometry | None]:
    level = b.fields.level
    out = CountryOutcome(iso3, level, len(idx))
    gaz = con.execute(GAZETTEER_PLACES, [iso3, level]).fetchall()
    places = {p: Place(p, n) for p, n, _ in gaz}
    parent_of = {p: par for p, _, par in gaz}
    frame = b.frame
    file_codes = [_text(frame[b.fields.pcode].iat[i]).upper() for i in idx] if b.fields.pcode else [""] * len(idx)
    file_names = [_text(frame[b.fields.name].iat[i]) for i in idx] if b.fields.name else [""] * len(idx)
    chosen: list[int] = []
    codes: list[str] = []
    names: list[str] = []
    parents: list[str | None] = []
    with_code = [k for k, c in enumerate(file_codes) if c]
    out.by_pcode = len(with_code)
    if with_code:
        _check_pcodes(con, out, [file_codes[k] for k in with_code], places)
    for k in with_code:
        code = file_codes[k]
        chosen.append(idx[k])
        codes.append(code)
        names.append(file_names[k] or (places[code].name if code in places else code))
        parent = _text(frame[b.fields.parent].iat[idx[k]]).upper() if b.fields.parent else ""
        parents.append(iso3 if level == 1 else (parent or parent_of.get(code)))
    by_name = [k for k, c in enumerate(file_codes) if not c and file_names[k]]
    if by_name and not places:
        out.problem = (f"no P-code gazetteer for {country_name(iso3)} ({iso3}) admin level {level} is loaded, so "
                       f"the {len(by_name)} name(s) cannot be given P-codes: {GAZETTEER_HINT}")
    elif by_name:
        free = [p for code, p in places.items() if code not in set(codes)]
        out.matches = reconcile([file_names[k] for k in by_name], free)
        for k, m in zip(by_name, out.matches, strict=True):
            if m.pcode is not None and m.name is not None:
                chosen.append(idx[k])
                codes.append(m.pcode)
                names.append(m.name)
                parents.append(iso3 if level == 1 else parent_of.get(m.pcode))
    if not chosen:
        out.problem = out.problem or "no feature has a P-code or a name that matches the gazetteer"
        return out, [], None
    region = regions.get(iso3, ("", REGION_FALLBACK))[1]
    rows, outline = _area_rows(b, chosen, codes, names, parents, iso3, region)
    out.stored = len(rows)
    return out, rows, outline


def _apply_polygons(con: duckdb.DuckDBPyConnection, r: _Read, settings: Settings) -> FileResult:
    b = r.boundary
    assert b is not None
    if (done := _already(con, r, "boundaries")) is not None:
        return done
    regions = read_regions(settings.regions)
    countries = _resolve_countries(con, b)
    groups: dict[str, list[int]] = {}
    unknown = 0
    for i, c in enumerate(countries):
        if c:
            groups.setdefault(c, []).append(i)
        else:
            unknown += 1
    result = FileResult(r.path, "unused", "boundaries")
    staged: list[tuple[CountryOutcome, list[tuple], shapely.Geometry | None]] = []
    for iso3, idx in sorted(groups.items()):
        staged.append(_apply_country(con, b, iso3, idx, regions))
    stored = [s for s in staged if s[1]]
    if stored:
        used = sum(o.by_pcode + len(o.matches) - len(o.unmatched) for o, _, _ in stored)
        counts = (len(b.frame), sum(o.stored for o, _, _ in stored), len(b.frame) - used, 0)
        mapping = b.fields.mapping()
        ignored = [c for c in map(str, b.frame.columns) if c not in mapping and c != "geometry"]
        result.load_id = _record_load(con, r, "boundaries", mapping, ignored, counts)
        result.status = "stored"
    for out, rows, outline in staged:
        result.countries.append(out)
        if not rows or outline is None:
            continue
        name, region = regions.get(out.iso3, (country_name(out.iso3), REGION_FALLBACK))
        if out.level == 1:
            c = outline.representative_point()
            rows = rows + [(out.iso3, name, 0, None, out.iso3, region, shapely.to_wkb(outline), c.y, c.x,
                            r.path.name)]
        con.execute(DELETE_AREAS, [out.iso3, out.level, out.level])
        frame = pd.DataFrame(rows, columns=["pcode", "name", "level", "parent_pcode", "iso3", "region", "geometry",
                                            "centroid_lat", "centroid_lon", "source"])
        con.register("_areas", frame)
        try:
            con.execute(INSERT_AREAS)
        finally:
            con.unregister("_areas")
        unmatched = [{"name": m.raw, "candidates": [{"name": n, "pcode": p, "score": s} for n, p, s in m.candidates]}
                     for m in out.unmatched]
        con.execute(INSERT_LAYER, [out.iso3, out.level, result.load_id, r.path.name, b.fields.label, out.features,
                                   out.stored, out.by_pcode, out.count("exact"), out.count("normalised"),
                                   out.count("fuzzy"), json.dumps(unmatched, ensure_ascii=False)])
        con.execute(ADD_COUNTRY, [out.iso3, name, region])
    result.lines = _report(b, result, unknown, regions)
    return result


def _apply_points(con: duckdb.DuckDBPyConnection, r: _Read, settings: Settings) -> FileResult:
    """Label points of areas already in the database, from a file of points (e.g. COD centroids)."""
    b = r.boundary
    assert b is not None
    countries = _resolve_countries(con, b)
    level = b.fields.level
    tolerance = settings.country_tolerance_km / KM_PER_DEGREE
    updates: list[tuple[str, float, float]] = []
    outside: list[str] = []
    unknown: list[str] = []
    areas_cache: dict[str, dict[str, tuple[str, shapely.Geometry]]] = {}
    for i, iso3 in enumerate(countries):
        label = _text(b.frame[b.fields.name].iat[i]) if b.fields.name else f"feature {i + 1}"
        if not iso3:
            unknown.append(label)
            continue
        if iso3 not in areas_cache:
            areas_cache[iso3] = {p: (n, shapely.from_wkb(bytes(g)))
                                 for p, n, g in con.execute(AREAS_OF, [iso3, level]).fetchall()}
        areas = areas_cache[iso3]
        code = _text(b.frame[b.fields.pcode].iat[i]).upper() if b.fields.pcode else ""
        if not code and label and areas:
            match = reconcile([label], [Place(p, n) for p, (n, _) in areas.items()], one_to_one=False)[0]
            code = match.pcode or ""
        if code not in areas:
            unknown.append(label or code)
            continue
        point = b.frame.geometry.values[i]
        point = point if point.geom_type == "Point" else point.centroid
        if areas[code][1].distance(point) > tolerance:
            outside.append(label or code)
            continue
        updates.append((code, point.y, point.x))
    lines = [f"{r.path.name}: points ({b.fields.label} fields), admin level {level}, {len(b.frame):,} features"]
    if not updates:
        lines.append("  nothing stored: points can only set the label points of areas already loaded, and none of "
                     "these matched one. Load the polygons first (python -m etl boundaries AREAS-FILE).")
        return FileResult(r.path, "unused", "centroids", lines=lines + _point_notes(unknown, outside))
    mapping = b.fields.mapping()
    load_id = _record_load(con, r, "boundaries", mapping, [], (len(b.frame), len(updates),
                                                                 len(unknown) + len(outside), 0))
    con.register("_centroids", pd.DataFrame(updates, columns=["pcode", "lat", "lon"]))
    try:
        con.execute(SET_CENTROIDS)
    finally:
        con.unregister("_centroids")
    lines.append(f"  label points set for {len(updates):,} area(s) in admin_areas (load {load_id})")
    return FileResult(r.path, "stored", "centroids", load_id, lines + _point_notes(unknown, outside))


def _point_notes(unknown: list[str], outside: list[str]) -> list[str]:
    lines = []
    if unknown:
        lines.append(f"  {len(unknown)} point(s) of no loaded area: {', '.join(unknown[:10])}")
    if outside:
        lines.append(f"  {len(outside)} point(s) outside their area, not used: {', '.join(outside[:10])}")
    return lines


def _report(b: BoundaryFile, result: FileResult, unknown_country: int,
            regions: dict[str, tuple[str, str]]) -> list[str]:
    f = b.fields
    head = f"{b.path.name}: boundaries ({f.label} fields), admin level {f.level}, {len(b.frame):,} features"
    lines = [head + (f", layer {b.layer}" if b.layer else "")]
    for o in result.countries:
        named = len(o.matches)
        parts = []
        if o.by_pcode:
            parts.append(f"{o.by_pcode} by P-code")
        if named:
            matched = named - len(o.unmatched)
            parts.append(f"{matched}/{named} names matched ({o.count('exact')} exact, {o.count('normalised')} "
                         f"normalised, {o.count('fuzzy')} fuzzy)")
        country = regions[o.iso3][0] if o.iso3 in regions else country_name(o.iso3)
        lines.append(f"  {country} ({o.iso3}): {o.features} features; " + ("; ".join(parts) or "-"))
        for m in o.matches:
            if m.how == "fuzzy":
                lines.append(f"    fuzzy: {m.raw} -> {m.name} ({m.pcode}, score {m.score:.0f})")
        for m in o.unmatched:
            cands = ", ".join(f"{n} {p} ({s:.0f})" for n, p, s in m.candidates) or "none"
            lines.append(f"    unmatched, not stored: {m.raw}; best candidates: {cands}")
        if o.unknown_pcodes:
            lines.append(f"    P-codes not in the gazetteer: {', '.join(o.unknown_pcodes[:10])}")
        if o.malformed_pcodes:
            lines.append(f"    P-codes of unexpected length for {o.iso3} (pcode_lengths): "
                         f"{', '.join(o.malformed_pcodes[:10])}")
        if o.stored:
            lines.append(f"    stored {o.stored} admin-{o.level} area(s) in admin_areas (load {result.load_id}), "
                         f"replacing {o.iso3}'s earlier admin-{o.level} areas")
        else:
            lines.append(f"    nothing stored: {o.problem}")
    if unknown_country:
        lines.append(f"  {unknown_country} feature(s) whose country is unknown (P-code not in the gazetteer) left out; "
                     "add --iso3 ISO3")
    lines.extend(f"  {n}" for n in b.notes)
    return lines


def load_boundary_paths(
    paths: Sequence[Path],
    db_path: Path | None = None,
    settings: Settings | None = None,
    iso3: str | None = None,
    level: int | None = None,
) -> list[FileResult]:
    """Load boundary and gazetteer files; one result per file, in the order given.

    Files that cannot be read are reported and change nothing; the others are applied in one
    transaction (gazetteers first, then polygons, then points) and published together.

    >>> load_boundary_paths([Path("pcodes.csv"), Path("SDN-ADM1.geojson")])  # doctest: +SKIP
    """
    settings = settings or get_settings()
    db_path = db_path or settings.db
    iso3 = iso3.strip().upper() if iso3 else None
    if iso3 and iso3_from_code(iso3) is None:
        raise InputFileError("--iso3", f"'{iso3}' is not an ISO 3166-1 alpha-3 country code.", "E.g. --iso3 SDN.")
    reads = [_read_one(Path(p), iso3, level, settings) for p in paths]
    results: list[FileResult | None] = [r if isinstance(r, FileResult) else None for r in reads]
    todo = [(i, r) for i, r in enumerate(reads) if isinstance(r, _Read)]
    if not todo:
        return [r for r in results if r is not None]

    def order(item: tuple[int, _Read]) -> tuple[int, int]:
        r = item[1]
        return (0 if r.gazetteer else 2 if r.boundary and r.boundary.points else 1, item[0])

    with write_session(db_path, settings) as con:
        refresh_geography(con, settings)
        with transaction(con, "the boundaries"):
            for i, r in sorted(todo, key=order):
                if r.gazetteer is not None:
                    results[i] = _apply_gazetteer(con, r)
                elif r.boundary is not None and r.boundary.points:
                    results[i] = _apply_points(con, r, settings)
                else:
                    results[i] = _apply_polygons(con, r, settings)
        if not any(r is not None and r.status == "stored" for r in results):
            raise Discard
    return [r for r in results if r is not None]
