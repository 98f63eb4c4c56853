"""Countries and admin areas from the bundled files, refreshed at the start of every write session.

The loaders (``load``, ``boundaries``) call :func:`refresh_geography` before they place anything:
countries get their operational region from ``settings.regions``, and admin areas come from the
bundled boundary file (``settings.boundaries``) wherever nobody loaded any with
``python -m etl boundaries``.
"""

from __future__ import annotations

import duckdb

from etl.config import Settings
from etl.geo.areas import REGION_FALLBACK, load_boundaries, read_regions
from etl.geo.countries import country_name
from etl.store.loads import transaction
from etl.store.schema import insert_rows

# Areas that a `python -m etl boundaries` load owns (see boundary_layers: that country and level,
# and the country's outline, level 0, when it owns level 1) must come from that load, the others
# from the current bundled file: a row from an old bundled file, or a bundled row of an owned
# country, goes.
DELETE_STALE_BUNDLED = """
DELETE FROM admin_areas a WHERE (a.source IS DISTINCT FROM $source) <> EXISTS (
    SELECT 1 FROM boundary_layers b WHERE b.iso3 = a.iso3 AND (b.level = a.level OR (a.level = 0 AND b.level = 1)))
"""

# A country not there yet (portable: the warehouse has no key for INSERT OR IGNORE to use).
ADD_COUNTRY = "INSERT INTO countries SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM countries WHERE iso3 = ?)"


def refresh_geography(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Countries (operational regions), and admin areas from the bundled file where nobody loaded any.

    Areas loaded with ``python -m etl boundaries`` (see ``boundary_layers``) are kept; the bundled
    file (``settings.boundaries``) fills in the other countries, and its rows are replaced when
    the file changes. Rows of the current bundled file are left alone otherwise, so their label
    points (which a centroid file may have set) survive.
    """
    regions = read_regions(settings.regions)
    insert_rows(con, "countries", [(iso3, name, region) for iso3, (name, region) in sorted(regions.items())],
                replace=True)
    source = f"{settings.boundaries.name}@{settings.boundaries.stat().st_mtime_ns}"
    con.execute(DELETE_STALE_BUNDLED, {"source": source})
    row = con.execute("SELECT count(*) FROM admin_areas WHERE source = ?", [source]).fetchone()
    if row and row[0]:
        return
    owned = {r[0] for r in con.execute("SELECT DISTINCT iso3 FROM boundary_layers WHERE level = 1").fetchall()}
    b = load_boundaries(settings.boundaries)
    areas = b.areas
    rows = []
    for iso3, geom in zip(b.countries["iso3"], b.countries.geometry, strict=True):
        if iso3 in owned:
            continue
        c = geom.representative_point()
        name, region = regions.get(iso3, (country_name(iso3), REGION_FALLBACK))
        rows.append((iso3, name, 0, None, iso3, region, geom.wkb, c.y, c.x, source))
    for rec, geom in zip(areas.itertuples(index=False), areas.geometry, strict=True):
        if rec.iso3 in owned:
            continue
        c = geom.representative_point()
        region = regions.get(rec.iso3, ("", REGION_FALLBACK))[1]
        rows.append((rec.pcode, rec.name, 1, rec.iso3, rec.iso3, region, geom.wkb, c.y, c.x, source))
    insert_rows(con, "admin_areas", rows, replace=True)
    for iso3 in b.iso3s - set(regions):
        con.execute(ADD_COUNTRY, [iso3, country_name(iso3), REGION_FALLBACK, iso3])


def refresh_places(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """:func:`refresh_geography` in one transaction of its own (each writer in the warehouse: run it with
    :func:`etl.store.loads.retrying`)."""
    with transaction(con, "the countries and admin areas"):
        refresh_geography(con, settings)
