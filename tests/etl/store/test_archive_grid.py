"""A workbook whose grid or string table would exhaust memory is refused before calamine opens it.

calamine allocates the whole grid from A1 to the farthest cell, and reserves room for every string
the shared-string table declares: one cell at XFD1048576, or uniqueCount="4000000000", made it
abort the process (no exception to catch). check_archive reads both while it inflates the file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.config import Settings
from etl.errors import InputFileError
from etl.store.archives import check_archive, max_cells
from tests.fuzz.make_corpus import HEADERS, xlsx_members, zip_bytes

ROWS: list[list[object]] = [list(HEADERS), ["FZ-1", "2025-03-05", *["x"] * (len(HEADERS) - 2)]]


def _book(path: Path, members: dict[str, bytes]) -> Path:
    path.write_bytes(zip_bytes(members))
    return path


def test_a_cell_far_from_a1_is_refused_naming_it(tmp_path):
    far = _book(tmp_path / "far.xlsx", xlsx_members(ROWS, extra='<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'))
    with pytest.raises(InputFileError) as caught:
        check_archive(far, Settings())
    assert str(caught.value).startswith("far.xlsx: 'xl/worksheets/sheet1.xml' reaches cell XFD1048576 (row 1,048,576, "
                                        "column 16,384): the workbook reader would hold a grid of 17,179,869,184 cells")
    assert "Ctrl+End" in str(caught.value)


def test_the_limit_follows_unpacked_max_mb(tmp_path):
    # 4,000 rows x 16 columns: under the default limit. 70,000 x 16 (written with single quotes): over a 1 MB budget.
    tall = _book(tmp_path / "tall.xlsx", xlsx_members(ROWS, extra='<row r="4000"><c r="E4000"><v>1</v></c></row>'))
    check_archive(tall, Settings())
    assert max_cells(1) == 65_536
    wide = _book(tmp_path / "wide.xlsx", xlsx_members(ROWS, extra="<row r='70000'><c r='B70000'><v>1</v></c></row>"))
    with pytest.raises(InputFileError, match=r"reaches cell P70000 \(row 70,000, column 16\): .* grid of 1,120,000 cells"):
        check_archive(wide, Settings(unpacked_max_mb=1))


def test_a_declared_string_count_beyond_the_limit_is_refused(tmp_path):
    members = xlsx_members(ROWS)
    members["xl/sharedStrings.xml"] = members["xl/sharedStrings.xml"].replace(b'uniqueCount="', b'uniqueCount="4000000000', 1)
    with pytest.raises(InputFileError, match=r"declares 400,000,000,019 strings, more than the 13,107,200"):
        check_archive(_book(tmp_path / "strings.xlsx", members), Settings())
    check_archive(_book(tmp_path / "plain.xlsx", xlsx_members(ROWS)), Settings())  # an honest workbook passes
