"""Shared fixtures: real DuckDB files in tmp_path, small log files built from a valid base row."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
import pytest

from etl.config import Settings
from etl.intake import LoadResult, load_paths

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ACCESS_SHARED_DIR", REPO.parent / "shared"))
# Real public files (AWSD, Insecurity Insight, P-codes, boundaries); never copied into the project.
REALDATA = Path(os.environ.get("ACCESS_REALDATA", SHARED / "realdata"))


def realdata(*parts: str) -> Path:
    """A file under the real-data folder; the test skips, saying why, only when the folder is absent."""
    if not REALDATA.is_dir():
        pytest.skip(f"real-data folder {REALDATA} not found (set ACCESS_REALDATA to its path)")
    return REALDATA.joinpath(*parts)

# A valid engagement in Yemen: Aden governorate (YE24), point inside it.
BASE_ROW: dict[str, str] = {
    "engagement_id": "T-1",
    "date": "2025-03-05",
    "request_id": "REQ-1",
    "request_date": "2025-03-01",
    "resolution_date": "2025-03-05",
    "organisation": "Northstar Relief",
    "activity": "Delivery of goods",
    "priority": "High",
    "people_targeted": "1,200",
    "people_reached": "1200",
    "country": "YEM",
    "admin1": "Aden",
    "location": "Sheikh Othman market",
    "checkpoint": "Km 14 checkpoint",
    "checkpoint_kind": "fixed",
    "latitude": "12.85",
    "longitude": "44.98",
    "counterpart": "Col. Mohammed Idris",
    "counterpart_type": "Army",
    "counterpart_affiliation": "4th Brigade",
    "counterpart_level": "frontline",
    "channel": "in person",
    "intermediary": "",
    "outcome": "Granted with conditions",
    "conditions": "armed escort; staff list",
    "obstacles": "checkpoint delay; illegal taxation",
    "follow_up_due": "",
    "notes": "Convoy passed after two hours.",
}


def row(**changes: str) -> dict[str, str]:
    """The base row with some values changed (use '' to blank a value)."""
    out = dict(BASE_ROW)
    out.update(changes)
    return out


def write_csv(path: Path, rows: Sequence[dict[str, str]], encoding: str = "utf-8",
              headers: Sequence[str] | None = None) -> Path:
    if headers is None:
        headers = list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        for r in rows:
            writer.writerow([r.get(h, "") for h in headers])
    return path


def write_json(path: Path, rows: Sequence[dict[str, object]]) -> Path:
    path.write_text(json.dumps(list(rows), ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db=tmp_path / "access.duckdb")


@pytest.fixture
def load(settings: Settings) -> Callable[..., list[LoadResult]]:
    def _load(*paths: Path, **kw: object) -> list[LoadResult]:
        return load_paths(list(paths), settings.db, settings, **kw)  # type: ignore[arg-type]

    return _load


@pytest.fixture
def q(settings: Settings) -> Callable[..., list[tuple]]:
    """Run a read-only query on the test database."""

    def _q(sql: str, params: Sequence[object] = ()) -> list[tuple]:
        con = duckdb.connect(str(settings.db), read_only=True)
        try:
            return con.execute(sql, list(params)).fetchall()
        finally:
            con.close()

    return _q
