"""The scratch database of a write session (etl/store/scratch.py), checked from outside.

1. A load with the scratch database stores exactly what the load without it stores (every table compared
   as multisets of rows: the temp-table path is the oracle), over a file large enough to be staged in
   several row groups, with bad rows, duplicates and conflicting duplicates spread across them.
2. The warehouse's own tables are still compressed: switching compression off for the scratch tables
   must never leak into the published file.
3. Nothing of the scratch database stays on disk, after a load, after a failed session, or after a
   session that was killed; and with a database key, the staged rows on disk are not in clear text.

Real DuckDB files in tmp_path; the loader through etl.intake.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from pydantic import SecretStr

import etl.intake
import etl.store.db
from etl.config import Settings
from etl.intake import load_paths
from etl.store.crypto import httpfs_extension
from etl.store.db import open_for_write, spill_folder
from etl.store.scratch import ROW_GROUP_SIZE, attach_scratch, detach_scratch, scratch_writes
from tests.conftest import row, write_csv
from tests.etl.store.test_encryption import no_outside_key  # noqa: F401 - autouse: no outside key leaks in

ROWS = 2 * ROW_GROUP_SIZE + 1234  # three row groups in the scratch database, one in a temp table
OUTCOMES = ["Granted", "Denied", "Granted with conditions", "Postponed", "No answer"]
# Run-dependent columns, left out of the comparison.
RUN_COLUMNS = {"source_path", "started_at", "finished_at", "applied_at", "decided_at", "undone_at"}


def _big_log(path: Path) -> Path:
    rows = []
    start = dt.date(2024, 1, 1)
    for i in range(ROWS):
        day = (start + dt.timedelta(days=i % 600)).isoformat()
        r = row(engagement_id=f"S-{i}", request_id=f"SR-{i // 3}", date=day, request_date=day, resolution_date=day,
                counterpart=f"Commander {i % 211}", checkpoint=f"Checkpoint {i % 37}",
                outcome=OUTCOMES[i % len(OUTCOMES)], people_targeted=str(100 + i % 5000))
        if i % 97 == 0:
            r["outcome"] = "Maybe"  # unknown outcome: rejected with its reason
        if i % 101 == 0:
            r["people_reached"] = "-5"  # negative number
        if i % 499 == 0:
            r["people_targeted"] = "12.500"  # ambiguous: rejected unless the file shows its convention
        rows.append(r)
    # The same engagement again further on (a duplicate), and once with other values (a conflict).
    rows += [dict(rows[10]), {**rows[20000], "notes": "changed later"}, dict(rows[ROWS - 5])]
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_csv(path, rows)

def _differences(a: Path, b: Path) -> dict[str, int]:
    """Rows of each table found in one database and not the other (multisets; run-dependent columns left out)."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
        con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
        out = {}
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'a'").fetchall():
            cols = ", ".join(f'"{c}"' for c, in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = 'a' AND table_name = ? "
                "ORDER BY column_index", [table]).fetchall() if c not in RUN_COLUMNS)
            one_way = "SELECT count(*) FROM (SELECT {c} FROM {x}.{t} EXCEPT ALL SELECT {c} FROM {y}.{t})"
            out[table] = sum(con.execute(one_way.format(c=cols, t=table, x=x, y=y)).fetchone()[0]
                             for x, y in (("a", "b"), ("b", "a")))
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """The same big log loaded with the scratch database and without it (temp tables, as before it existed)."""
    tmp = tmp_path_factory.mktemp("scratch")
    log = _big_log(tmp / "logs" / "big_log.csv")
    with_db, without_db = tmp / "with" / "access.duckdb", tmp / "without" / "access.duckdb"
    row_groups: list[int] = []
    real = etl.intake.validate_and_insert

    def spy(con, *args, **kwargs):  # how the staged rows are stored, seen while the file loads
        found = con.execute("SELECT database_name FROM duckdb_tables() WHERE table_name = 'stage_raw'").fetchall()
        if found == [("scratch",)]:
            row_groups.append(con.execute("SELECT count(DISTINCT row_group_id) "
                                          "FROM pragma_storage_info('scratch.stage_raw')").fetchone()[0])
        return real(con, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(etl.intake, "validate_and_insert", spy)
        with_results = load_paths([log], with_db, Settings(db=with_db))
        staged_in = list(row_groups)
        mp.setattr(etl.store.db, "attach_scratch", lambda *a, **k: None)  # the temp-table path
        row_groups.clear()
        without_results = load_paths([log], without_db, Settings(db=without_db))
        assert row_groups == []
    return with_db, without_db, with_results, without_results, staged_in


def test_a_load_stores_the_same_rows_with_and_without_the_scratch_database(loaded):
    with_db, without_db, with_results, without_results, staged_in = loaded
    assert staged_in and staged_in[0] >= 2, staged_in  # the staged rows were in several row groups
    summary = [(r.status, r.rows_read, r.rows_loaded, r.rows_rejected, r.rows_duplicate, r.reasons)
               for r in with_results]
    assert summary == [(r.status, r.rows_read, r.rows_loaded, r.rows_rejected, r.rows_duplicate, r.reasons)
                       for r in without_results]
    # By hand: what the file holds (ROWS rows written above, plus three repeated at the end).
    [(status, read, loaded_rows, rejected, duplicate, reasons)] = summary
    assert (status, read, duplicate) == ("loaded", ROWS + 3, 2)
    assert reasons["unknown_outcome"] == len(range(0, ROWS, 97)) and reasons["conflicting_duplicate"] == 1
    assert loaded_rows + rejected + duplicate == read
    assert {t: n for t, n in _differences(with_db, without_db).items() if n} == {}
    # Rejected rows name the file's own row numbers, in every row group (header = row 1).
    con = duckdb.connect(str(with_db), read_only=True)
    try:
        numbers = {n for n, in con.execute("SELECT row_number FROM rejected_rows "
                                           "WHERE reason_code = 'unknown_outcome'").fetchall()}
    finally:
        con.close()
    assert numbers == {i + 2 for i in range(0, ROWS, 97)}


def test_the_warehouse_tables_stay_compressed(loaded):
    """Text compression is off only while scratch tables are written: the published file is compressed."""
    con = duckdb.connect(str(loaded[0]), read_only=True)
    try:
        kinds = dict(con.execute("SELECT compression, count(*) FROM pragma_storage_info('engagements') "
                                 "WHERE segment_type = 'VARCHAR' GROUP BY 1").fetchall())
    finally:
        con.close()
    assert set(kinds) & {"Dictionary", "FSST", "DictFSST"}, kinds


def _scratch_files(db: Path) -> list[Path]:
    return sorted(db.parent.rglob("scratch-*"))


def test_nothing_of_the_scratch_database_stays_on_disk(tmp_path):
    db = tmp_path / "data" / "access.duckdb"
    db.parent.mkdir()
    log = write_csv(tmp_path / "log.csv", [row(engagement_id="N-1"), row(engagement_id="N-2")])
    seen: list[Path] = []
    with open_for_write(db) as con:
        seen += _scratch_files(db)
        con.execute("CREATE TABLE t (i INTEGER)")
    assert len(seen) == 1 and _scratch_files(db) == []

    with pytest.raises(RuntimeError), open_for_write(db) as con:  # a session that fails: discarded
        assert _scratch_files(db)
        raise RuntimeError("stop")
    assert _scratch_files(db) == []

    # A session killed half-way leaves its scratch file in the copy's spill folder: the next one removes it.
    folder = spill_folder(db.with_name(db.name + ".next"))
    assert folder is not None
    (folder / "scratch-0123456789abcdef.duckdb").write_bytes(b"left by a killed load")
    (folder / "scratch-0123456789abcdef.duckdb.wal").write_bytes(b"left by a killed load")
    assert [r.status for r in load_paths([log], db, Settings(db=db))] == ["loaded"]
    assert _scratch_files(db) == []


NAME = "Col. Perpetua Quillfeather"


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain control", "encrypted"])
def test_staged_rows_on_disk_are_not_in_clear_when_the_database_is_encrypted(tmp_path, encrypted):
    folder = tmp_path / "spill"
    folder.mkdir(mode=0o700)
    con = duckdb.connect()
    con.execute(f"LOAD '{httpfs_extension()}'")
    path = attach_scratch(con, folder, encrypted=encrypted)
    assert path is not None and path.parent == folder
    try:
        with scratch_writes(con):  # as the loader writes them: text uncompressed
            con.execute("CREATE TABLE scratch.stage_raw AS SELECT ? || ' ' || i AS counterpart "
                        "FROM range(50000) r(i)", [NAME])
        con.execute("CHECKPOINT scratch")
        assert con.execute("SELECT count(*) FROM stage_raw").fetchone() == (50000,)  # found by unqualified name
        on_disk = b"".join(p.read_bytes() for p in folder.iterdir())
        assert (NAME.encode() in on_disk) is not encrypted
    finally:
        detach_scratch(con, path)
        con.close()
    assert list(folder.iterdir()) == []


def test_an_encrypted_database_loads_through_an_encrypted_scratch_database(tmp_path):
    db = tmp_path / "access.duckdb"
    settings = Settings(db=db, db_key=SecretStr("a scratch test key, long enough"))
    log = write_csv(tmp_path / "log.csv", [row(engagement_id=f"E-{i}", counterpart=NAME) for i in range(300)])
    assert [r.rows_loaded for r in load_paths([log], db, settings)] == [300]
    assert NAME.encode() not in db.read_bytes() and _scratch_files(db) == []
