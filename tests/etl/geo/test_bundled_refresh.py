"""The bundled admin areas are known by their content, not by their file's time.

Two clones of the same release hold the same ``data/boundaries/admin1.geojson`` with different modification
times. Keyed by the time (as before), every load of one office into a shared warehouse replaced the areas
another office's load had written, and label points set with a centroid file were lost each time.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from etl.config import DATA_DIR, Settings
from etl.geo.refresh import LEGACY_BUNDLED, bundled_source, refresh_geography
from etl.store.schema import ensure_schema

BUNDLED = DATA_DIR / "boundaries" / "admin1.geojson"
MARK = (1.25, 2.5)  # a label point no computed centroid has


def clone(tmp_path: Path, name: str, mtime_ns: int, extra: bytes = b"") -> Path:
    """The bundled file as another machine holds it: same name, another time (and ``extra`` bytes at its end)."""
    path = tmp_path / name / "admin1.geojson"
    path.parent.mkdir()
    shutil.copyfile(BUNDLED, path)
    if extra:
        with path.open("ab") as f:
            f.write(extra)
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def refresh(db: Path, boundaries: Path) -> None:
    with duckdb.connect(str(db)) as con:
        ensure_schema(con)
        refresh_geography(con, Settings(db=db, boundaries=boundaries))


def rows(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT pcode, source, centroid_lat, centroid_lon FROM admin_areas ORDER BY pcode").fetchall()


def set_label_point(db: Path, pcode: str, source: str | None = None) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE admin_areas SET centroid_lat = ?, centroid_lon = ? WHERE pcode = ?", [*MARK, pcode])
        if source:
            con.execute("UPDATE admin_areas SET source = ?", [source])


@pytest.fixture()
def areas(tmp_path: Path) -> tuple[Path, str]:
    """A database refreshed from one clone of the bundled file, with a label point set on one area."""
    db = tmp_path / "office.duckdb"
    refresh(db, clone(tmp_path, "a", 1_600_000_000_000_000_000))
    pcode = rows(db)[10][0]
    set_label_point(db, pcode)
    return db, pcode


def test_the_same_file_with_another_time_keeps_the_areas_and_their_label_points(areas, tmp_path: Path) -> None:
    db, pcode = areas
    before = rows(db)
    refresh(db, clone(tmp_path, "b", 1_700_000_000_000_000_000))
    after = rows(db)
    assert after == before and {r[2:] for r in after if r[0] == pcode} == {MARK}
    assert {r[1] for r in after} == {LEGACY_BUNDLED}  # this release's file: its key is the one declared


def test_rows_keyed_by_an_earlier_release_are_adopted_with_their_label_points(areas, tmp_path: Path) -> None:
    db, pcode = areas
    set_label_point(db, pcode, source="admin1.geojson@1600000000000000000")  # as a database of the last release
    refresh(db, clone(tmp_path, "b", 1_700_000_000_000_000_000))
    after = rows(db)
    assert {r[1] for r in after} == {LEGACY_BUNDLED}
    assert {r[2:] for r in after if r[0] == pcode} == {MARK}


def test_another_file_replaces_the_areas_of_the_old_one_whatever_their_key(areas, tmp_path: Path) -> None:
    db, pcode = areas
    changed = clone(tmp_path, "c", 1_600_000_000_000_000_000, extra=b"\n")  # the same time, other content
    for old_key in (None, "admin1.geojson@1600000000000000000"):
        set_label_point(db, pcode, source=old_key)
        refresh(db, changed)
        after = rows(db)
        assert {r[1] for r in after} == {bundled_source(changed)} != {LEGACY_BUNDLED}
        assert {r[2:] for r in after if r[0] == pcode} != {MARK}, old_key
