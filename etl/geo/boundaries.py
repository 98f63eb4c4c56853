"""``python -m etl boundaries``: admin boundaries and P-code gazetteers into the database.

Boundary files come in many shapes: GeoJSON, zipped shapefiles, GeoPackages, GeoParquet; OCHA
COD-AB field names old (``ADM1_PCODE``, ``ADM1_EN``) and new (``adm1_pcode``, ``adm1_name``),
geoBoundaries (``shapeName``, ``shapeISO``, ``shapeGroup``, no P-codes), GADM (``GID_0``,
``NAME_1``) and this project's own extract (``pcode``, ``name``, ``iso3``). Reading them is
:mod:`etl.geo.boundary_files`. Everything the dashboard joins on is a P-code, so each area must end up with one:

* files with P-codes are stored as they are, and their P-codes checked against the gazetteer
  and the P-code lengths when those are loaded (unknown or malformed P-codes are reported);
* files without are reconciled by name through the gazetteer (:func:`etl.geo.gazetteer.reconcile`);
  names that do not match are listed with their best candidates and left out, never guessed.

The matched areas of a country and level replace the ones stored before for it (the bundled
extract, or an earlier file); ``boundary_layers`` records which load owns them, so later log
loads keep them and place their points on them. Files of points (centroids) only set the label
points of areas already loaded.

Everything runs in one write session and one transaction: gazetteers are applied first (so
``boundaries pcodes.csv SDN.geojson`` works in either order), then polygons, then points. In the
warehouse (``ACCESS_WAREHOUSE``) that transaction commits there, after the countries and bundled areas
(their own transaction), each run again when another writer committed first; the warehouse has no keys,
so a replaced row is deleted first, then inserted.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import shapely

from etl.config import Settings, get_settings
from etl.errors import AccessDataError, InputFileError
from etl.geo.areas import KM_PER_DEGREE, REGION_FALLBACK, read_regions
from etl.geo.boundary_files import BoundaryFile, _text, read_boundary_file, tidy_geometries
from etl.geo.countries import country_name
from etl.geo.gazetteer import Gazetteer, NameMatch, Place, expected_lengths, iso3_from_code, read_gazetteer, reconcile
from etl.geo.refresh import ADD_COUNTRY, refresh_geography, refresh_places
from etl.store import warehouse
from etl.store.archives import check_archive
from etl.store.db import Discard
from etl.store.loads import file_sha256, record_load, retrying, transaction, write_session

BOUNDARY_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".shp", ".parquet", ".geoparquet", ".fgb")
GAZETTEER_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls")
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
DELETE_AREAS = "DELETE FROM admin_areas WHERE iso3 = ? AND (level = ? OR (level = 0 AND ? = 1))"
# Replaced by deleting, then inserting: the warehouse (DuckLake) has no key for INSERT OR REPLACE to use.
REPLACED_AREAS = "DELETE FROM admin_areas WHERE pcode IN (SELECT pcode FROM _areas)"
INSERT_AREAS = """
INSERT INTO admin_areas (pcode, name, level, parent_pcode, iso3, region, geometry, centroid_lat,
    centroid_lon, source)
SELECT pcode, name, level::TINYINT, parent_pcode, iso3, region, geometry::BLOB, centroid_lat, centroid_lon, source
FROM _areas
"""
AREA_COLUMNS = ("pcode", "name", "level", "parent_pcode", "iso3", "region", "geometry", "centroid_lat",
                "centroid_lon", "source")
REPLACED_LAYER = "DELETE FROM boundary_layers WHERE iso3 = ? AND level = ?"
INSERT_LAYER = """
INSERT INTO boundary_layers (iso3, level, load_id, source, fields, features, areas, matched_pcode,
    matched_exact, matched_normalised, matched_fuzzy, unmatched)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
AREAS_OF = "SELECT pcode, name, geometry FROM admin_areas WHERE iso3 = ? AND level = ? AND geometry IS NOT NULL"
SET_CENTROIDS = """
UPDATE admin_areas SET centroid_lat = t.lat, centroid_lon = t.lon FROM _centroids t WHERE admin_areas.pcode = t.pcode
"""


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
        frame = pd.DataFrame(rows, columns=list(AREA_COLUMNS))
        unmatched = [{"name": m.raw, "candidates": [{"name": n, "pcode": p, "score": s} for n, p, s in m.candidates]}
                     for m in out.unmatched]
        store_layer(con, [out.iso3, out.level, result.load_id, r.path.name, b.fields.label, out.features,
                          out.stored, out.by_pcode, out.count("exact"), out.count("normalised"),
                          out.count("fuzzy"), json.dumps(unmatched, ensure_ascii=False)], frame, name, region)
    result.lines = _report(b, result, unknown, regions)
    return result


def store_layer(con: duckdb.DuckDBPyConnection, layer: Sequence[object], areas: object, name: str,
                region: str) -> None:
    """One country and level's areas and its ``boundary_layers`` row, in place of what was there.

    The country's areas of that level (and its outline, level 0, with level 1) go first, whatever their
    source (the bundled file's, an earlier load's); then ``areas`` (a data frame or Arrow table of
    ``AREA_COLUMNS``) and the layer (``INSERT_LAYER``'s values: iso3, level, load_id, source, ...). The
    country is added to ``countries`` as ``name`` of ``region`` if missing. A ``boundaries`` load stores each
    country so, and so does a sync receiving headquarters' layers (:mod:`etl.sync.pull_boundaries`).
    """
    iso3, level = layer[0], layer[1]
    con.execute(DELETE_AREAS, [iso3, level, level])
    con.register("_areas", areas)
    try:
        con.execute(REPLACED_AREAS)
        con.execute(INSERT_AREAS)
    finally:
        con.unregister("_areas")
    con.execute(REPLACED_LAYER, [iso3, level])
    con.execute(INSERT_LAYER, list(layer))
    con.execute(ADD_COUNTRY, [iso3, name, region, iso3])


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

    def apply(con: duckdb.DuckDBPyConnection) -> None:
        with transaction(con, "the boundaries"):
            for i, r in sorted(todo, key=order):
                if r.gazetteer is not None:
                    results[i] = _apply_gazetteer(con, r)
                elif r.boundary is not None and r.boundary.points:
                    results[i] = _apply_points(con, r, settings)
                else:
                    results[i] = _apply_polygons(con, r, settings)

    # In the warehouse each transaction commits on its own, and runs again when another writer committed first.
    with write_session(db_path, settings, in_warehouse=True) as con:
        if warehouse.enabled(settings):
            retrying(lambda: refresh_places(con, settings))
        else:
            refresh_geography(con, settings)
        retrying(lambda: apply(con))
        if not any(r is not None and r.status == "stored" for r in results):
            raise Discard
    return [r for r in results if r is not None]
