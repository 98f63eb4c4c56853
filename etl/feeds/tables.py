"""A feed file as raw tables: every row of a CSV, of each sheet of a workbook, or of a JSON array.

Nothing is judged here: finding the header and the columns is :mod:`etl.feeds.recognise`' job.
JSON comes as an array of objects or inside an API envelope (``{"data": [...]}``,
``{"results": [...]}``, HDX HAPI's ``{"data": [...], "metadata": ...}``); its first row is then
the union of the objects' keys and each object is a row numbered from 1 (the record number).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineWorkbook

from etl.logs.readers import detect_encoding

HEAD_ROWS = 12  # rows read to recognise a file (the header may sit under a few title rows)
_HEAD_BYTES = 65536
TABLE_SUFFIXES = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".json": "json"}
# Keys of a JSON object that hold the records (API envelopes), in order of preference.
ENVELOPE_KEYS = ("data", "results", "records", "rows", "items", "incidents", "events")


@dataclass
class RawTable:
    """Rows as read; ``first_row`` is the number a person sees for ``rows[0]``."""

    rows: list[list[object]]
    sheet: str | None = None
    first_row: int = 1
    encoding: str | None = None
    json_records: bool = False  # rows[0] is the objects' keys, rows[i] the i-th object


def json_cell(value: object) -> object:
    """A JSON value as a cell: lists of texts joined, other containers as JSON text."""
    if isinstance(value, list):
        if all(isinstance(v, str) or v is None for v in value):
            return "; ".join(v for v in value if v)
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return value


def json_records(doc: object) -> list[dict[str, object]] | None:
    """The records of a JSON document: a top-level array of objects, or one inside an envelope."""
    if isinstance(doc, dict):
        lists = [doc[k] for k in ENVELOPE_KEYS if isinstance(doc.get(k), list)]
        doc = lists[0] if lists else None
    if isinstance(doc, list) and doc and all(isinstance(r, dict) for r in doc):
        return doc
    return None


def _json_table(path: Path) -> list[RawTable]:
    with open(path, encoding="utf-8-sig") as fh:
        records = json_records(json.load(fh))
    if records is None:
        return []
    header: list[str] = list(dict.fromkeys(str(k) for r in records for k in r))
    rows: list[list[object]] = [list(header)]
    rows += [[json_cell(r.get(h)) for h in header] for r in records]
    return [RawTable(rows, None, 0, "utf-8", json_records=True)]


def _csv_table(path: Path, head: bool, encoding: str | None) -> list[RawTable]:
    if head:
        with open(path, "rb") as fh:
            raw = fh.read(_HEAD_BYTES)
        encoding = encoding or ("utf-8" if _is_utf8(raw) else "latin-1")
        text = raw.decode(encoding, errors="replace")
        lines = text.lstrip("\ufeff").splitlines()[:HEAD_ROWS]
        return [RawTable([list(r) for r in csv.reader(io.StringIO("\n".join(lines)))], encoding=encoding)]
    encoding = encoding or detect_encoding(path)
    with open(path, encoding=encoding, newline="") as fh:
        rows: list[list[object]] = [list(r) for r in csv.reader(fh)]
    if rows and rows[0] and isinstance(rows[0][0], str):
        rows[0][0] = rows[0][0].lstrip("\ufeff")
    return [RawTable(rows, encoding=encoding)]


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(raw) - 4  # a character cut by the end of the sample
    return True


def _xlsx_tables(path: Path, head: bool) -> list[RawTable]:
    wb = CalamineWorkbook.from_path(str(path))
    out = []
    for index, name in enumerate(wb.sheet_names):
        sheet = wb.get_sheet_by_index(index)
        rows = sheet.to_python(skip_empty_area=False, nrows=HEAD_ROWS) if head else sheet.to_python(
            skip_empty_area=False)
        out.append(RawTable([list(r) for r in rows], name.strip()))
    return out


def sheet_names(path: Path) -> list[str]:
    """The sheet names of a workbook (stripped); [] for other files."""
    if TABLE_SUFFIXES.get(path.suffix.lower()) != "xlsx":
        return []
    return [n.strip() for n in CalamineWorkbook.from_path(str(path)).sheet_names]


def read_tables(path: Path, head: bool = False, encoding: str | None = None) -> list[RawTable]:
    """The tables of a CSV, XLSX or JSON file; ``head`` reads only the first rows (JSON is read whole).

    >>> read_tables(Path("kika.xlsx"), head=True)[0].sheet  # doctest: +SKIP
    '2020-2023 Aid Worker KIKA'

    :raises OSError, UnicodeError, ValueError, csv.Error: the file cannot be read (callers say so).
    """
    kind = TABLE_SUFFIXES.get(path.suffix.lower())
    if kind == "csv":
        return _csv_table(path, head, encoding)
    if kind == "xlsx":
        return _xlsx_tables(path, head)
    if kind == "json":
        return _json_table(path)
    return []
