"""Countries and admin areas from the bundled files, refreshed at the start of every write session.

The loaders (``load``, ``boundaries``) call :func:`refresh_geography` before they place anything:
countries get their operational region from ``settings.regions``, and admin areas come from the
bundled boundary file (``settings.boundaries``) wherever nobody loaded any with
``python -m etl boundaries``.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

import duckdb

from etl.config import Settings
from etl.geo.areas import REGION_FALLBACK, load_boundaries, read_regions
from etl.geo.countries import country_name
from etl.store.loads import transaction
from etl.store.schema import insert_rows

STALE = """(a.source IS DISTINCT FROM $source) <> EXISTS (
    SELECT 1 FROM boundary_layers b WHERE b.iso3 = a.iso3 AND (b.level = a.level OR (a.level = 0 AND b.level = 1)))"""
# Areas that a `python -m etl boundaries` load owns (see boundary_layers: that country and level,
# and the country's outline, level 0, when it owns level 1) must come from that load, the others
# from the current bundled file: a row from an old bundled file, or a bundled row of an owned
# country, goes.
DELETE_STALE_BUNDLED = f"DELETE FROM admin_areas a WHERE {STALE}"  # noqa: S608 - constants
ANY_STALE = f"SELECT EXISTS (SELECT 1 FROM admin_areas a WHERE {STALE})"  # noqa: S608 - only when stale

# The key an earlier release wrote on bundled rows ("admin1.geojson@<mtime in ns>"): the file's time, which
# differs between two clones of the same release (so each office's loads into one warehouse rewrote the others'
# areas). Rows under such a key are adopted once (``ADOPT_LEGACY``), keeping their label points, when the bundled
# file is still the one every release with that key shipped (its hash below); any other file replaces them.
LEGACY_SOURCE = re.compile(r"@\d+$")
LEGACY_BUNDLED = "admin1.geojson@sha256:e94b0b310140bac7"
ADOPT_LEGACY = "UPDATE admin_areas SET source = ? WHERE source = ?"
COUNTRIES = "SELECT iso3, name, region FROM countries"

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
    wanted = {(iso3, name, region) for iso3, (name, region) in regions.items()}
    # Written only when they differ: in the warehouse every write is a commit other loaders may have to retry.
    if not wanted <= set(con.execute(COUNTRIES).fetchall()):
        insert_rows(con, "countries", sorted(wanted), replace=True)
    source = bundled_source(settings.boundaries)
    if source == LEGACY_BUNDLED:
        for (legacy,) in con.execute("SELECT DISTINCT source FROM admin_areas WHERE starts_with(source, ?)",
                                     [f"{settings.boundaries.name}@"]).fetchall():
            if LEGACY_SOURCE.search(legacy):
                con.execute(ADOPT_LEGACY, [source, legacy])
    stale = con.execute(ANY_STALE, {"source": source}).fetchone()
    if stale and stale[0]:
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


def bundled_source(path: Path) -> str:
    """The ``source`` of the bundled file's rows: its name and the start of its SHA-256, the same on every
    machine holding the same file (its modification time is not: a clone sets it).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     (Path(d) / "admin1.geojson").write_bytes(b"{}")
    ...     bundled_source(Path(d) / "admin1.geojson")
    2
    'admin1.geojson@sha256:44136fa355b3678a'
    """
    stat = path.stat()
    return _bundled_source(path.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _bundled_source(path: Path, mtime_ns: int, size: int) -> str:  # hashed once per process and version of the file
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return f"{path.name}@sha256:{digest[:16]}"


def refresh_places(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """:func:`refresh_geography` in one transaction of its own (each writer in the warehouse: run it with
    :func:`etl.store.loads.retrying`)."""
    with transaction(con, "the countries and admin areas"):
        refresh_geography(con, settings)
