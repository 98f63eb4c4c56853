"""The boundaries a pull brings back: headquarters' ``boundaries`` layers of the office's regions' countries.

Part of :mod:`etl.sync.pull`. A layer is one country and admin level loaded with ``python -m etl
boundaries`` (a ``boundary_layers`` row, its areas in ``admin_areas``, and the ``loads`` row of the file,
whose ``content_sha256`` names the file). For each layer the warehouse holds for a country of the office's
regions (by the warehouse's ``countries``; never another region's country), compared with the office's
layer of the same country and level:

* the office has none, or has the one it received from this warehouse before and headquarters has
  loaded another file since: received. It becomes an office load (``pulled_from`` = the warehouse, the
  warehouse load's ``content_sha256``) and is stored by :func:`etl.geo.boundaries.store_layer`, as a
  ``boundaries`` load stores it: the country's earlier areas of that level (the bundled ones included, and
  its outline with level 1) give way;
* the office has the same file (received, or loaded there itself): nothing to do;
* the office loaded another file itself (or received it from another warehouse): a ``boundaries``
  conflict, listed in ``sync_conflicts``; the office's layer is kept.

The engagements the office already has keep the admin areas they were placed in; the received areas
place the rows of the office's next loads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from etl.config import Settings
from etl.geo.areas import REGION_FALLBACK, read_regions
from etl.geo.boundaries import store_layer
from etl.geo.countries import country_name
from etl.store.loads import record_load
from etl.sync import sql


@dataclass
class LayerPlan:
    """What the warehouse holds of the office's regions' boundaries, and what the office takes of it."""

    layers: list[dict] = field(default_factory=list)  # the warehouse's layers received (WH_LAYERS rows)
    areas: pa.Table | None = None  # their areas
    conflicts: list[tuple[dict, tuple]] = field(default_factory=list)  # (the warehouse's layer, the office's)
    same: list[str] = field(default_factory=list)  # subjects the office already holds as the warehouse does


def subject(iso3: str, level: int) -> str:
    """A layer as ``sync_conflicts.subject`` names it.

    >>> subject("YEM", 1)
    'YEM admin-1'
    """
    return f"{iso3} admin-{level}"


def office_layers(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int], tuple]:
    """The office's layers by (iso3, level): (content_sha256, pulled_from, source, load_id, areas, started_at)."""
    return {(r[0], int(r[1])): r[2:] for r in con.execute(sql.OFFICE_LAYERS).fetchall()}


def fetch(wh: duckdb.DuckDBPyConnection, regions: list[str], ours: dict[tuple[str, int], tuple],
          where: str) -> LayerPlan:
    """Read at the warehouse (in the pull's read-only session) the layers to receive and their areas."""
    plan = LayerPlan()
    for layer in wh.execute(sql.WH_LAYERS, {"regions": regions}).to_arrow_table().to_pylist():
        mine = ours.get((layer["iso3"], int(layer["level"])))
        if mine is not None and mine[0] == layer["content_sha256"]:
            plan.same.append(subject(layer["iso3"], layer["level"]))
        elif mine is None or mine[1] == where:
            plan.layers.append(layer)
        else:
            plan.conflicts.append((layer, mine))
    if plan.layers:
        wanted = [f"{x['iso3']}:{lvl}" for x in plan.layers for lvl in {x["level"], 0 if x["level"] == 1 else x["level"]}]
        plan.areas = wh.execute(sql.WH_LAYER_AREAS, {"regions": regions, "wanted": wanted}).to_arrow_table()
    return plan


def _version(source: object, sha: object, loaded: object, areas: object, load_id: object) -> str:
    return json.dumps({"source": source, "content_sha256": sha, "loaded_at": str(loaded), "areas": areas,
                       "load_id": load_id})


def apply(con: duckdb.DuckDBPyConnection, plan: LayerPlan, office: Settings, where: str) -> int:
    """Store the received layers at the office and list the conflicts (in the pull's transaction); layers stored."""
    for s in plan.same:
        con.execute(sql.BOUNDARY_SETTLED, [s, where])
    for layer, mine in plan.conflicts:
        con.execute(sql.BOUNDARY_CONFLICT, {
            "subject": subject(layer["iso3"], layer["level"]), "iso3": layer["iso3"], "warehouse": where,
            "office": _version(mine[2], mine[0], mine[5], mine[4], mine[3]),
            "theirs": _version(layer["source"], layer["content_sha256"], layer["started_at"], layer["areas"], None)})
    if not plan.layers or plan.areas is None:
        return 0
    regions = read_regions(office.regions)
    loads: dict[str, int] = {}  # one office load per warehouse load (a file may hold several countries)
    for layer in plan.layers:
        sha = layer["content_sha256"]
        if sha not in loads:
            loads[sha] = record_load(
                con, source_path=layer["source_path"], file_name=layer["file_name"], content_sha256=sha,
                file_bytes=layer["file_bytes"], file_format=layer["file_format"],
                column_mapping=layer["column_mapping"], ignored_columns=layer["ignored_columns"],
                started_at=layer["started_at"],
                status="loaded", rows_read=layer["rows_read"], rows_loaded=layer["rows_loaded"],
                rows_rejected=layer["rows_rejected"], rows_duplicate=layer["rows_duplicate"], pulled_from=where)
        iso3, level = layer["iso3"], int(layer["level"])
        levels = [level, 0] if level == 1 else [level]
        areas = plan.areas.filter(pc.and_(pc.equal(plan.areas["iso3"], iso3),
                                          pc.is_in(plan.areas["level"], pa.array(levels, plan.areas["level"].type))))
        name, region = regions.get(iso3, (country_name(iso3), REGION_FALLBACK))
        store_layer(con, [iso3, level, loads[sha], layer["source"], layer["fields"], layer["features"], layer["areas"],
                          layer["matched_pcode"], layer["matched_exact"], layer["matched_normalised"],
                          layer["matched_fuzzy"], layer["unmatched"]], areas, name, region)
        con.execute(sql.BOUNDARY_SETTLED, [subject(iso3, level), where])
    return len(plan.layers)
