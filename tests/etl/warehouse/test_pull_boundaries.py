"""``python -m etl sync`` receiving headquarters' boundaries: the layers of the office's regions' countries, stored
as a local ``boundaries`` load stores them; never another region's; a layer the office loaded itself is kept and the
difference listed.

Headquarters loads two real COD-AB files into a warehouse in a real PostgreSQL: Yemen's admin-1 (Middle East and
North Africa) and the Central African Republic's (West and Central Africa). The oracles: the P-codes read from the
file itself (json), and an office that loads the same file itself with ``python -m etl boundaries``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from etl.config import Settings
from etl.geo.boundaries import load_boundary_paths
from etl.geo.refresh import bundled_source
from etl.store.db import reading
from etl.store.pgserver import LocalPostgres
from etl.sync.pull import pull
from etl.sync.push import push
from tests.conftest import realdata
from tests.etl.warehouse.tables import rows_of
from tests.etl.warehouse.test_pull import MENA, shown
from tests.etl.warehouse.test_sync import new_warehouse

YEM = ("admin1_boundaries", "YEM-ADM1.geojson")
CAF = ("cod_ab_caf", "caf_admin1.parquet")
# What a pull of boundaries writes, compared whole (clock columns left out).
TABLES = ("admin_areas", "boundary_layers", "countries", "loads", "sync_conflicts")


def yemeni_pcodes(path: Path) -> list[str]:
    """The oracle: the file's admin-1 P-codes, read with the json module."""
    with open(path, encoding="utf-8") as fh:
        return sorted(f["properties"]["ADM1_PCODE"] for f in json.load(fh)["features"])


def rewritten(path: Path, to: Path) -> Path:
    """The same areas in a file of other bytes (another file, as far as a load's content_sha256 is concerned)."""
    with open(path, encoding="utf-8") as fh:
        to.write_text(json.dumps(json.load(fh), indent=1), encoding="utf-8")
    return to


def snapshot(db: Path) -> dict[str, object]:
    with reading(db, settings=Settings(db=db)) as con:
        return {t: rows_of(con, t) for t in TABLES}


def q(db: Path, query: str, params: list[object] | None = None) -> list[tuple]:
    with reading(db, settings=Settings(db=db)) as con:
        return con.execute(query, params or []).fetchall()


@pytest.fixture(scope="module")
def hq(local_postgres: LocalPostgres, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Headquarters' warehouse with Yemen's and the Central African Republic's COD-AB layers; office A (MENA) has
    pulled once into a new file."""
    folder = tmp_path_factory.mktemp("pullgeo")
    target = new_warehouse(local_postgres, "pull_geo", folder / "hq")
    stored = load_boundary_paths([realdata(*YEM), realdata(*CAF)], target.db, settings=target)
    assert [r.status for r in stored] == ["stored", "stored"], [r.lines for r in stored]
    a = folder / "a.duckdb"
    report = pull(a, Settings(db=a), target, (MENA,), shown(target))
    return {"target": target, "folder": folder, "a": a, "report": report}


def test_an_office_receives_its_regions_boundaries_as_a_local_load_stores_them_and_no_other(
        hq: dict, tmp_path: Path) -> None:
    a, yem = hq["a"], realdata(*YEM)
    assert hq["report"].boundaries == 1 and hq["report"].conflicts == []
    assert q(a, "SELECT iso3, level, source FROM boundary_layers") == [("YEM", 1, yem.name)]
    assert [p for (p,) in q(a, "SELECT pcode FROM admin_areas WHERE iso3 = 'YEM' AND level = 1 ORDER BY pcode")] \
        == yemeni_pcodes(yem)
    # Yemen's bundled areas gave way (its outline too); the Central African Republic's stay the bundled ones.
    assert q(a, "SELECT DISTINCT source FROM admin_areas WHERE iso3 = 'YEM'") == [(yem.name,)]
    assert q(a, "SELECT DISTINCT source FROM admin_areas WHERE iso3 = 'CAF'") == [(bundled_source(Settings().boundaries),)]
    assert q(a, "SELECT count(*) FROM admin_areas WHERE source = ?", [CAF[1]]) == [(0,)]
    assert q(a, "SELECT file_name, file_format, pulled_from FROM loads") == [(yem.name, "boundaries", shown(hq["target"]))]
    # The oracle: an office loading the same file itself with `python -m etl boundaries` holds the same areas.
    local = tmp_path / "local.duckdb"
    assert [r.status for r in load_boundary_paths([yem], local, settings=Settings(db=local))] == ["stored"]
    mine, theirs = snapshot(local), snapshot(a)
    assert mine["admin_areas"] == theirs["admin_areas"] and mine["countries"] == theirs["countries"]
    layer = "SELECT * EXCLUDE (load_id) FROM boundary_layers"
    assert q(local, layer) == q(a, layer)


def test_receiving_boundaries_twice_is_once(hq: dict) -> None:
    before = snapshot(hq["a"])
    report = pull(hq["a"], Settings(db=hq["a"]), hq["target"], (MENA,), shown(hq["target"]))
    assert (report.boundaries, report.conflicts) == (0, [])
    assert snapshot(hq["a"]) == before


def test_a_layer_the_office_loaded_itself_is_kept_and_the_difference_listed(hq: dict, tmp_path: Path) -> None:
    office = tmp_path / "c.duckdb"
    own = rewritten(realdata(*YEM), tmp_path / "yem_own.geojson")
    assert [r.status for r in load_boundary_paths([own], office, settings=Settings(db=office))] == ["stored"]
    before = q(office, "SELECT * FROM admin_areas ORDER BY pcode")
    report = pull(office, Settings(db=office), hq["target"], (MENA,), shown(hq["target"]))
    assert report.boundaries == 0 and report.conflicts == [("boundaries", "YEM admin-1")]
    assert q(office, "SELECT * FROM admin_areas ORDER BY pcode") == before
    assert q(office, "SELECT source FROM boundary_layers") == [(own.name,)]
    listed = "SELECT iso3, region, office_version->>'source', warehouse_version->>'source' FROM sync_conflicts"
    assert q(office, listed) == [("YEM", MENA, own.name, YEM[1])]
    again = pull(office, Settings(db=office), hq["target"], (MENA,), shown(hq["target"]))
    assert again.conflicts == [] and len(q(office, listed)) == 1  # listed once, however often it is found
    # Nor is the office's own layer sent: no "not in the outbox, load it at the warehouse" for it.
    sent = push(office, Settings(db=office), hq["target"])
    assert (sent.sent, sent.not_kept, sent.already_there) == ([], [], 0)


def test_a_layer_headquarters_loaded_again_replaces_the_one_received_before(hq: dict, tmp_path: Path) -> None:
    office = tmp_path / "a.duckdb"
    shutil.copy(hq["a"], office)
    target = hq["target"]
    newer = rewritten(realdata(*YEM), tmp_path / "yem_v2.geojson")
    assert [r.status for r in load_boundary_paths([newer], target.db, settings=target)] == ["stored"]
    report = pull(office, Settings(db=office), target, (MENA,), shown(target))
    assert report.boundaries == 1 and report.conflicts == []
    assert q(office, "SELECT source FROM boundary_layers") == [(newer.name,)]
    assert q(office, "SELECT DISTINCT source FROM admin_areas WHERE iso3 = 'YEM'") == [(newer.name,)]
    assert [p for (p,) in q(office, "SELECT pcode FROM admin_areas WHERE iso3 = 'YEM' AND level = 1 ORDER BY 1")] \
        == yemeni_pcodes(newer)
    assert q(office, "SELECT file_name FROM loads ORDER BY load_id") == [(YEM[1],), (newer.name,)]
