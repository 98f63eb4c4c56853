"""A feed export saved in another text encoding (UTF-16/32, with or without a byte-order mark,
windows-1252) is recognised by its documented columns and loads the same incidents as the original."""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

import duckdb
import pytest

from etl.config import Settings
from etl.intake import load_paths
from tests.conftest import realdata

AWSD = ("awsd", "awsd_global_incidents_1997-2025_hxl.csv")
ROWS = 120  # data rows taken from the real export


def _slice(tmp_path: Path) -> str:
    """The header, the HXL row and the first ROWS incidents of the real AWSD export, as text."""
    lines = realdata(*AWSD).read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(lines[: ROWS + 2])


def _expected(text: str) -> set[tuple[str, str]]:
    """(incident id, country code) of every data row, read with the csv module (not the loader)."""
    rows = list(csv.reader(text.splitlines()))
    header = rows[0]
    ids, codes = header.index("Incident ID"), header.index("Country Code")
    return {(r[ids], r[codes]) for r in rows[2:] if r and r[ids]}


ENCODINGS = {
    "utf-16 with BOM": lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"),
    "utf-16-be without BOM": lambda t: t.encode("utf-16-be"),
    "utf-32 with BOM": lambda t: codecs.BOM_UTF32_LE + t.encode("utf-32-le"),
    "windows-1252 with a curly quote": lambda t: t.replace("Details", "Details\u2019", 1).encode("cp1252"),
}
NAMES = {"utf-16 with BOM": "utf-16-le", "utf-16-be without BOM": "utf-16-be", "utf-32 with BOM": "utf-32-le",
         "windows-1252 with a curly quote": "windows-1252"}


@pytest.mark.parametrize("kind", ENCODINGS)
def test_an_awsd_export_in_another_encoding_loads_the_same_incidents(tmp_path: Path, kind: str) -> None:
    text = _slice(tmp_path)
    path = tmp_path / "awsd_export.csv"
    path.write_bytes(ENCODINGS[kind](text))
    db = tmp_path / "access.duckdb"
    [result] = load_paths([path], db, Settings(db=db))
    assert result.status == "loaded", result.message
    con = duckdb.connect(str(db), read_only=True)
    try:
        got = con.execute("SELECT source_id, iso3 FROM incidents").fetchall()
        (encoding,) = con.execute("SELECT encoding FROM loads").fetchone()
        rejected = con.execute("SELECT count(*) FROM rejected_rows").fetchone()[0]
    finally:
        con.close()
    assert encoding == NAMES[kind]
    want = _expected(text)
    assert len(got) + rejected == len(want) and len(got) > ROWS * 0.9
    assert {sid for sid, _ in got} <= {sid for sid, _ in want}
