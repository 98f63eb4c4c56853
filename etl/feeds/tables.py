"""A feed file as raw tables: every row of a CSV, of each sheet of a workbook, or of a JSON array.

Nothing is judged here: finding the header and the columns is :mod:`etl.feeds.recognise`' job.
JSON comes as an array of objects or inside an API envelope (``{"data": [...]}``,
``{"results": [...]}``, ACLED's ``{"status": 200, "count": N, "data": [...]}``, HDX HAPI's
``{"data": [...], "metadata": ...}``); its first row is then the union of the objects' keys and
each entry of the list is a row numbered from 1 (the record number).

Recognising a file reads only its head: the first rows of a CSV or of each sheet, and the first
complete records of a JSON file (so a JSON export cut off by a failed download is still known for
what it is, and refused as that feed with the fix). :func:`unreadable` turns whatever a reader
raised into a refusal naming the file and the fix.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from python_calamine import CalamineWorkbook

from etl.errors import InputFileError
from etl.logs.readers import detect_encoding
from etl.logs.readers.encodings import head_encoding

HEAD_ROWS = 12  # rows read to recognise a file (the header may sit under a few title rows)
_HEAD_BYTES = 65536
# Bytes of a JSON file read to find its first records: a larger head only when the first does not hold one.
_JSON_HEAD_BYTES = (65_536, 1_048_576)
TABLE_SUFFIXES = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".json": "json"}
# Keys of a JSON object that may hold the records (API envelopes): the first of them, in the
# document's order, whose value is a non-empty list.
ENVELOPE_KEYS = ("data", "results", "records", "rows", "items", "incidents", "events")
_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"\s*")


@dataclass
class RawTable:
    """Rows as read; ``first_row`` is the number a person sees for ``rows[0]``."""

    rows: list[list[object]]
    sheet: str | None = None
    first_row: int = 1
    encoding: str | None = None
    json_records: bool = False  # rows[0] is the objects' keys, rows[i] the i-th entry of the list
    # Entries of a JSON list that are not objects (their row is empty): numbers as in ``rows``.
    not_records: list[int] = field(default_factory=list)


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


def json_records(doc: object) -> list[object] | None:
    """The records of a JSON document: a top-level array, or the first non-empty list of an envelope;
    None unless its first entry is an object.

    >>> json_records({"status": 200, "results": [], "data": [{"a": 1}, 2]})
    [{'a': 1}, 2]
    >>> json_records([1, 2]) is None, json_records({"metadata": {}}) is None
    (True, True)
    """
    if isinstance(doc, dict):
        doc = next((v for k, v in doc.items() if k in ENVELOPE_KEYS and isinstance(v, list) and v), None)
    if isinstance(doc, list) and doc and isinstance(doc[0], dict):
        return doc
    return None


def _records_table(records: list[object]) -> RawTable:
    header: list[str] = list(dict.fromkeys(str(k) for r in records if isinstance(r, dict) for k in r))
    rows: list[list[object]] = [list(header)]
    rows += [[json_cell(r.get(h)) for h in header] if isinstance(r, dict) else [] for r in records]
    return RawTable(rows, None, 0, "utf-8", json_records=True,
                    not_records=[i for i, r in enumerate(records, start=1) if not isinstance(r, dict)])


def _json_table(path: Path) -> list[RawTable]:
    with open(path, encoding="utf-8-sig") as fh:
        records = json_records(json.load(fh))
    return [] if records is None else [_records_table(records)]


def _skip(text: str, i: int, sep: str = "") -> int:
    """The index after white space (and one ``sep`` with the white space after it)."""
    i = _SPACE.match(text, i).end()  # type: ignore[union-attr]
    if sep and text.startswith(sep, i):
        i = _SPACE.match(text, i + 1).end()  # type: ignore[union-attr]
    return i


def _envelope_list(text: str, i: int) -> int:
    """Index of the ``[`` of an envelope's records in a JSON head starting ``{`` at ``i``, or -1."""
    i = _skip(text, i + 1)
    while text.startswith('"', i):
        key, i = _DECODER.raw_decode(text, i)
        i = _skip(text, i)
        if not text.startswith(":", i):
            return -1
        i = _skip(text, i + 1)
        if key in ENVELOPE_KEYS and text.startswith("[", i) and not text.startswith("]", _skip(text, i + 1)):
            return i
        _value, i = _DECODER.raw_decode(text, i)  # another field (status, count, metadata): skipped
        i = _skip(text, i, ",")
    return -1


def head_records(text: str, limit: int = HEAD_ROWS) -> list[object]:
    """The first complete entries of the records of a JSON text that may be cut off.

    >>> head_records('{"status": 200, "count": 2, "data": [{"a": 1}, {"a": 2, "b": "cut')
    [{'a': 1}]
    >>> head_records('[{"a": 1}, 7, {"b": 2}]'), head_records('{"metadata": {"x": 1}}'), head_records('[3]')
    ([{'a': 1}, 7, {'b': 2}], [], [])
    """
    records: list[object] = []
    try:
        text = text.lstrip("\ufeff")
        i = _skip(text, 0)
        if text.startswith("{", i):
            i = _envelope_list(text, i)
        if i < 0 or not text.startswith("[", i):
            return []
        i = _skip(text, i + 1)
        while len(records) < limit and i < len(text) and text[i] != "]":
            value, i = _DECODER.raw_decode(text, i)
            records.append(value)
            i = _skip(text, i, ",")
    except (ValueError, RecursionError):
        pass  # the head ends inside a value: the entries before it are what we have
    return records if records and isinstance(records[0], dict) else []


def _json_head(path: Path) -> list[RawTable]:
    records: list[object] = []
    for size in _JSON_HEAD_BYTES:
        with open(path, "rb") as fh:
            raw = fh.read(size)
        records = head_records(raw.decode("utf-8", errors="ignore"))
        if records or len(raw) < size:
            break
    return [_records_table(records)] if records else []


def _csv_table(path: Path, head: bool, encoding: str | None) -> list[RawTable]:
    if head:
        with open(path, "rb") as fh:
            raw = fh.read(_HEAD_BYTES)
        encoding = encoding or head_encoding(raw)  # UTF-16/32 exports too
        text = raw.decode(encoding, errors="replace")
        lines = text.lstrip("\ufeff").splitlines()[:HEAD_ROWS]
        return [RawTable([list(r) for r in csv.reader(io.StringIO("\n".join(lines)))], encoding=encoding)]
    encoding = encoding or detect_encoding(path)
    with open(path, encoding=encoding, newline="") as fh:
        rows: list[list[object]] = [list(r) for r in csv.reader(fh)]
    if rows and rows[0] and isinstance(rows[0][0], str):
        rows[0][0] = rows[0][0].lstrip("\ufeff")
    return [RawTable(rows, encoding=encoding)]


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
    """The tables of a CSV, XLSX or JSON file; ``head`` reads only the first rows (of JSON: records).

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
        return _json_head(path) if head else _json_table(path)
    return []


def unreadable(path: Path, exc: BaseException) -> InputFileError:
    """Why a file recognised as a feed cannot be read, from what its reader raised, and the fix.

    A JSON text that ends before its last record closes is a download cut short; other errors
    name what the reader found.
    """
    kind = TABLE_SUFFIXES.get(path.suffix.lower(), "")
    if isinstance(exc, json.JSONDecodeError):
        end = len(exc.doc.rstrip())
        if exc.msg.startswith("Unterminated string") or exc.pos >= end:
            size = path.stat().st_size if path.exists() else end
            return InputFileError(path, f"the file is cut off at byte {size:,}: its JSON ends inside a record.",
                                  "Download it again (the download did not finish), then load the new copy.")
        return InputFileError(path, f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).",
                              "Load the file exactly as the API returned it; if it was, download it again.")
    if isinstance(exc, RecursionError):
        return InputFileError(path, "its JSON is nested too deeply to be a table of records.",
                              "Load the file exactly as the API returned it.")
    if isinstance(exc, UnicodeError):
        where = f" (byte {exc.start:,})" if isinstance(exc, UnicodeDecodeError) else ""
        return InputFileError(path, f"is not UTF-8 text{where}.",
                              "Save it again as UTF-8 (or load it as downloaded from the publisher).")
    if isinstance(exc, (OSError, csv.Error)):
        return InputFileError(path, f"cannot be read ({_short(exc)}).",
                              "Load the file as downloaded from the publisher; if it was, download it again.")
    if kind == "xlsx":
        return InputFileError(path, f"cannot be read as a workbook ({_short(exc)}).",
                              "Open it in Excel, save it again as .xlsx, and load that copy.")
    return InputFileError(path, f"cannot be read ({type(exc).__name__}: {_short(exc)}).",
                          "Load the file as downloaded from the publisher; if it was, download it again.")


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."
