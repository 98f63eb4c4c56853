"""A feed file as one table, whatever it was saved as: CSV, XLSX, or JSON (an array of records,
or an API envelope holding them under ``data``, as ACLED's and HDX HAPI's APIs return them).

The header is the first of the top rows holding every key of the format's signature (header
cells compared by :func:`etl.vocab.label_key`, so ``EVENT_ID_CNTY`` and ``event_id_cnty`` are the
same column); blank rows and HXL hashtag rows are skipped. Rows are numbered as a person finds
them: CSV records counting the header as 1, spreadsheet rows, JSON records from 1.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineWorkbook

from etl.errors import InputFileError
from etl.feeds.cells import cell_text
from etl.logs.columns import looks_like_hxl_row
from etl.logs.readers import detect_encoding
from etl.vocab import label_key

HEADER_SEARCH_ROWS = 10
JSON_HEAD_BYTES = 65_536
_DATA_KEY = re.compile(r'"data"\s*:\s*\[')


@dataclass
class FeedTable:
    header: list[str]
    rows: list[tuple[int, list[object]]]  # (row number as a person finds it, cells)
    sheet: str | None = None
    encoding: str | None = None
    bad_entries: list[tuple[int, str]] | None = None  # JSON list entries that are not records


def header_keys(cells: list[object]) -> set[str]:
    return {label_key(str(c)) for c in cells if c is not None and str(c).strip()}


def json_head_keys(path: Path) -> set[str]:
    """Keys of the first record of a JSON array or ``{"data": [...]}`` envelope, from the file's head.

    Cheap enough to call on every file of a load (only the first 64 KB are read); an empty set
    when the head holds no such record.
    """
    with open(path, "rb") as fh:
        head = fh.read(JSON_HEAD_BYTES).decode("utf-8", "ignore").lstrip("\ufeff \t\r\n")
    if head.startswith("["):
        start = 1
    elif head.startswith("{") and (m := _DATA_KEY.search(head)):
        start = m.end()
    else:
        return set()
    i = head.find("{", start)
    if i < 0 or head[start:i].strip():
        return set()
    try:
        first, _end = json.JSONDecoder().raw_decode(head, i)
    except (ValueError, RecursionError):
        return set()
    return header_keys(list(first)) if isinstance(first, dict) else set()


def _body(rows: list[list[object]], header_index: int, first_number: int) -> list[tuple[int, list[object]]]:
    body = []
    for i in range(header_index + 1, len(rows)):
        cells = rows[i]
        if not any(cell_text(c) for c in cells) or looks_like_hxl_row(cells):
            continue  # blank rows and HXL hashtag rows (under the header, or repeated at the end)
        body.append((i + first_number, cells))
    return body


def _find_header(rows: list[list[object]], signature: frozenset[str]) -> int | None:
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if signature <= header_keys(row):
            return i
    return None


def _read_csv(path: Path, signature: frozenset[str]) -> FeedTable:
    encoding = detect_encoding(path)
    with open(path, encoding=encoding, newline="") as fh:
        rows: list[list[object]] = [list(r) for r in csv.reader(fh)]
    if rows and rows[0] and isinstance(rows[0][0], str):
        rows[0][0] = rows[0][0].lstrip("\ufeff")
    found = _find_header(rows, signature)
    if found is None:
        raise InputFileError(path, "the header of this feed was not found in its first rows.",
                             "Load the file exactly as downloaded from the publisher.")
    return FeedTable([cell_text(c) for c in rows[found]], _body(rows, found, 1), None, encoding)


def _read_xlsx(path: Path, signature: frozenset[str]) -> FeedTable:
    wb = CalamineWorkbook.from_path(str(path))
    for index, name in enumerate(wb.sheet_names):
        cells: list[list[object]] = [list(r) for r in wb.get_sheet_by_index(index).to_python(skip_empty_area=False)]
        found = _find_header(cells, signature)
        if found is not None:
            return FeedTable([cell_text(c) for c in cells[found]], _body(cells, found, 1), name.strip())
    raise InputFileError(path, "no sheet holds the feed's table.",
                         "Load the workbook exactly as downloaded from the publisher.")


def _read_json(path: Path) -> FeedTable:
    with open(path, "rb") as fh:
        doc = json.loads(fh.read().decode("utf-8-sig"))
    records = doc.get("data") if isinstance(doc, dict) else doc
    if not isinstance(records, list):
        raise InputFileError(path, "the JSON holds no list of records (an array, or one under \"data\").",
                             "Load the file exactly as the API returned it.")
    header: dict[str, None] = {}
    for rec in records:
        if isinstance(rec, dict):
            header.update(dict.fromkeys(str(k) for k in rec))
    names = list(header)
    rows: list[tuple[int, list[object]]] = []
    bad: list[tuple[int, str]] = []
    for n, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            bad.append((n, str(n)))
            continue
        rows.append((n, [_json_cell(rec.get(k)) for k in names]))
    return FeedTable(names, rows, None, "utf-8", bad)


def _json_cell(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def read_feed_table(path: Path, signature: frozenset[str]) -> FeedTable:
    """The file as one table; raises :class:`InputFileError` (naming the file and the fix) when it cannot be read."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            table = _read_json(path)
            if not signature <= header_keys(list(table.header)):
                raise InputFileError(path, "the JSON records lack the feed's columns.",
                                     "Load the file exactly as the API returned it.")
        elif suffix in (".xlsx", ".xlsm"):
            table = _read_xlsx(path, signature)
        else:
            table = _read_csv(path, signature)
    except InputFileError:
        raise
    except (ValueError, RecursionError, UnicodeError) as exc:  # invalid or too deeply nested JSON
        raise InputFileError(path, f"cannot be read as {suffix.lstrip('.').upper() or 'text'} ({_short(exc)}).",
                             "Load the file exactly as downloaded from the publisher.") from exc
    except (OSError, csv.Error) as exc:
        raise InputFileError(path, f"cannot be read ({_short(exc)}).", "Load the file as downloaded.") from exc
    except Exception as exc:  # noqa: BLE001 - calamine raises several types for a broken workbook
        raise InputFileError(path, f"cannot be read as a workbook ({_short(exc)}).",
                             "Open it in Excel, save it again as .xlsx, and load that copy.") from exc
    if not table.rows and not table.bad_entries:
        raise InputFileError(path, "the feed has a header but no data rows.", "Check the download is complete.")
    return table


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."
