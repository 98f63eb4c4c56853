"""Public feeds and COD-AB boundaries loaded into the warehouse (a real PostgreSQL), with the embedded mode's files.

Oracles as in tests/etl/feeds/ and tests/etl/geo/: figures read from the files themselves (openpyxl,
pyarrow, the rows written for HDX HAPI), never through the loader. The warehouse has no keys, so the
tests also check what a key did in the file: one row per P-code, however often a file is loaded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest

from etl.cli.main import main
from etl.config import Settings
from etl.intake import load_paths
from etl.store import warehouse
from etl.store.pgserver import LocalPostgres
from tests.conftest import realdata
from tests.etl.feeds.test_hdx_hapi import BAD, GOOD, expected, loaded, write_hapi_csv
from tests.etl.feeds.test_incidents import KIKA, read_kika
from tests.etl.warehouse.conftest import warehouse_settings
from tests.etl.warehouse.test_readers import in_mode  # noqa: F401 - a fixture

CAF_AREAS = realdata("cod_ab_caf", "caf_admin1.parquet")
CAF_GAZETTEER = realdata("cod_ab_caf", "caf_cod_ab.xlsx")


@pytest.fixture(scope="module")
def lake(local_postgres: LocalPostgres, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("places")
    settings = warehouse_settings(local_postgres, "places", folder)
    warehouse.init(settings)
    return settings


def _q(settings: Settings) -> Callable[..., list[tuple]]:
    def q(sql: str, params: list[object] | None = None) -> list[tuple]:
        with warehouse.reading(settings) as con:
            return con.execute(sql, params or []).fetchall()
    return q


def test_insecurity_insight_and_hdx_hapi_feeds_load_into_the_warehouse(lake: Settings, tmp_path: Path) -> None:
    hapi = write_hapi_csv(tmp_path / "hdx_hapi_conflict_event_global_2024.csv", GOOD + [r for r, _ in BAD])
    results = load_paths([realdata(*KIKA), hapi], lake.db, settings=lake)
    assert [r.status for r in results] == ["loaded", "loaded"], [r.message for r in results]
    q = _q(lake)
    kika = read_kika()
    got = q("SELECT iso3, year(incident_date), count(*) FROM incidents WHERE feed = 'insecurity_insight' GROUP BY ALL")
    assert Counter({(c, y): n for c, y, n in got}) == Counter((r["Country ISO"], r["Date"].year) for _, r in kika)
    assert loaded(q) == expected(GOOD)
    assert Counter(dict(q("SELECT reason_code, count(*) FROM rejected_rows GROUP BY 1"))) == Counter(c for _, c in BAD)
    again = load_paths([realdata(*KIKA), hapi], lake.db, settings=lake)  # the same files again add nothing
    assert [r.status for r in again] == ["already_loaded"] * 2
    assert q("SELECT count(*) FROM incidents") == [(len(kika),)]


def test_cod_ab_boundaries_and_gazetteer_load_into_the_warehouse_through_the_command(
        lake: Settings, in_mode: Callable[[Settings], None], tmp_path: Path,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    in_mode(lake)
    assert main(["boundaries", str(CAF_GAZETTEER), str(CAF_AREAS)]) == 0, capsys.readouterr().err
    q = _q(lake)
    pcodes = pq.read_table(CAF_AREAS, columns=["adm1_pcode"]).column(0).to_pylist()
    assert sorted(pcodes) == [r[0] for r in q("SELECT pcode FROM admin_areas WHERE iso3 = 'CAF' AND level = 1 "
                                              "ORDER BY pcode")]
    wb = openpyxl.load_workbook(CAF_GAZETTEER, read_only=True)
    for level in range(4):
        sheet = list(wb[f"caf_admin{level}"].iter_rows(values_only=True))
        col = sheet[0].index(f"adm{level}_pcode")
        assert {r[col] for r in sheet[1:] if r[col]} == {c for (c,) in q(
            "SELECT pcode FROM pcodes WHERE iso3 = 'CAF' AND admin_level = ?", [level])}, level
    first = q("SELECT * FROM admin_areas ORDER BY pcode")
    # A new file of the same level replaces the areas (the file mode's INSERT OR REPLACE used a key the
    # warehouse lacks): every area is there once, with the new file as its source.
    copy = tmp_path / "caf_admin1_v2.parquet"
    pq.write_table(pq.read_table(CAF_AREAS), copy, compression="gzip")  # the same areas, other bytes
    assert main(["boundaries", str(copy)]) == 0
    assert q("SELECT count(*), count(DISTINCT pcode) FROM admin_areas") == [(len(first), len(first))]
    assert q("SELECT DISTINCT source FROM admin_areas WHERE iso3 = 'CAF' AND level = 1") == [(copy.name,)]
    assert q("SELECT iso3, level, source FROM boundary_layers") == [("CAF", 1, copy.name)]
    assert q("SELECT count(*) FROM countries WHERE iso3 = 'CAF'") == [(1,)]
