"""Read a log file (CSV, XLSX, JSON) into the staging table ``stage_raw``, every value as text.

The readers only find the table in the file and recognise its columns; they never judge the
values (that is :mod:`etl.validate`'s job). ``stage_raw`` has one VARCHAR column per
canonical log column (see :mod:`etl.logformat`), plus ``_row`` (the row number a person sees
when opening the file: spreadsheet row, or CSV record counting the header as row 1) and
``_sheet``.

CSV goes straight through DuckDB's reader (fast: a million rows in about a second). XLSX and
JSON are parsed in Python, then handed to DuckDB as an Arrow table.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from etl.errors import InputFileError
from etl.logformat import COLUMN_NAMES, REQUIRED, looks_like_hxl_row, match_column, match_hxl

SUPPORTED = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".json": "json"}
HEADER_SEARCH_ROWS = 15
LOG_FORMAT_HINT = "See docs/log-format.md for the accepted column names."


@dataclass
class SourceInfo:
    """What the reader found in a file: format, encoding, which column became which."""

    path: Path
    file_format: str
    encoding: str | None = None
    sheets: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)  # source header -> canonical column
    ignored: list[str] = field(default_factory=list)  # source headers not used
    skipped_sheets: list[str] = field(default_factory=list)
    rows: int = 0
    row_offset: int = 0  # CSV: file row of stage_raw's rowid 0 (header and title rows above it)


@dataclass
class _Header:
    index: int  # 0-based index of the header row in the rows scanned
    positions: dict[str, int]  # canonical column -> 0-based cell position
    mapping: dict[str, str]
    ignored: list[str]
    hxl_row: bool  # an HXL hashtag row follows the header


def _cell_text(value: object) -> str:
    return "" if value is None else str(value).strip()


def find_header(rows: Sequence[Sequence[object]]) -> _Header | None:
    """Find the header row among the first rows of a table (title rows above it are allowed).

    A row is the header when at least two of its cells name known log columns, directly or
    through the HXL hashtag row right under it.
    """
    best: _Header | None = None
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = [_cell_text(v) for v in row]
        tags = [_cell_text(v) for v in rows[i + 1]] if i + 1 < len(rows) else []
        has_hxl = bool(tags) and looks_like_hxl_row(list(tags))
        positions: dict[str, int] = {}
        mapping: dict[str, str] = {}
        ignored: list[str] = []
        for pos, name in enumerate(names):
            tag = tags[pos] if has_hxl and pos < len(tags) else ""
            canonical = match_column(name) if name else None
            if canonical is None and tag:
                canonical = match_hxl(tag)
            label = name or tag or f"column {pos + 1}"
            if canonical is None:
                if name or tag:
                    ignored.append(label)
                continue
            if canonical in positions:
                ignored.append(f"{label} (second '{canonical}' column)")
                continue
            positions[canonical] = pos
            mapping[label] = canonical
        if len(positions) >= 2 and (best is None or len(positions) > len(best.positions)):
            best = _Header(i, positions, mapping, ignored, has_hxl)
            if len(positions) >= len(REQUIRED):
                break
    return best


def _check_required(path: Path, header: _Header, sheet: str | None = None) -> None:
    present = set(header.positions)
    if "country" not in present and "admin1_pcode" in present:
        present.add("country")  # the country can come from the P-code
    missing = [c for c in REQUIRED if c not in present]
    if missing:
        found = ", ".join(header.mapping) or "none"
        raise InputFileError(
            path,
            f"required column(s) missing: {', '.join(missing)} (recognised: {found}).",
            f"Add or rename the columns. {LOG_FORMAT_HINT}",
            sheet=sheet,
        )


def _no_header_error(path: Path, first_row: Sequence[object], sheet: str | None = None) -> InputFileError:
    shown = ", ".join(repr(_cell_text(v)) for v in list(first_row)[:8] if _cell_text(v)) or "nothing"
    return InputFileError(
        path,
        f"no header row with log columns found in the first {HEADER_SEARCH_ROWS} rows (first row has: {shown}).",
        f"The file needs a header row naming at least date, counterpart, activity, outcome and country. "
        f"{LOG_FORMAT_HINT}",
        sheet=sheet,
    )


# --------------------------------------------------------------------------------------------- CSV


def detect_encoding(path: Path) -> str:
    """'utf-8' when the whole file decodes as UTF-8 (with or without BOM), else 'latin-1'.

    Raises InputFileError for files that are clearly not text.
    """
    with open(path, "rb") as fh:
        head = fh.read(8192)
        if head.startswith(b"PK\x03\x04"):
            raise InputFileError(path, "this is a zip or Excel file, not a CSV.",
                                 "Save it with the .xlsx extension, or export the sheet as CSV.")
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise InputFileError(path, "the file is UTF-16 encoded.", "Save it as CSV UTF-8 from Excel.")
        if b"\x00" in head:
            raise InputFileError(path, "this is a binary file, not a CSV text file.",
                                 "Export the log as CSV, XLSX or JSON.")
        decoder = codecs.getincrementaldecoder("utf-8")()
        fh.seek(0)
        try:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "latin-1"
    return "utf-8"


def _guess_delimiter(lines: list[str]) -> str:
    """The separator that splits the first lines into the most columns, consistently.

    csv.Sniffer is easily fooled by one-row files and by commas inside free-text notes, so each
    candidate is scored by the median number of fields it gives on the first lines.
    """
    best, best_score = ",", 0.0
    for candidate in (",", ";", "\t", "|"):
        counts = sorted(len(r) for r in csv.reader(lines, delimiter=candidate) if r)
        if not counts:
            continue
        score = counts[len(counts) // 2]
        if score > best_score:
            best, best_score = candidate, score
    return best


def _sniff_csv(path: Path, encoding: str) -> tuple[str, list[list[str]]]:
    with open(path, encoding=encoding, newline="", errors="replace") as fh:
        sample = fh.read(65536)
    sample = sample.lstrip("\ufeff")
    lines = sample.splitlines()[: HEADER_SEARCH_ROWS + 5]
    delimiter = _guess_delimiter(lines)
    rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))[: HEADER_SEARCH_ROWS + 5]
    return delimiter, rows


def read_csv(con: duckdb.DuckDBPyConnection, path: Path, encoding: str | None = None) -> SourceInfo:
    encoding = encoding or detect_encoding(path)
    delimiter, rows = _sniff_csv(path, encoding)
    if not rows or not any(_cell_text(v) for v in rows[0]):
        raise InputFileError(path, "the file has no header row.", LOG_FORMAT_HINT)
    header = find_header(rows)
    if header is None:
        raise _no_header_error(path, rows[0])
    _check_required(path, header)
    width = max(len(rows[header.index]), max(header.positions.values()) + 1)
    skip = header.index + 1 + (1 if header.hxl_row else 0)
    columns = {f"c{i}": "VARCHAR" for i in range(width)}
    duck_encoding = "latin-1" if encoding == "latin-1" else "utf-8"
    select = _stage_select(header.positions)
    # The parallel reader is fastest but needs well-formed rows (strict mode); files with ragged
    # rows or quoted line breaks are read again single-threaded and leniently.
    for lenient in (False, True):
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE stage_raw AS {select} FROM read_csv(?, auto_detect=false, "  # noqa: S608
                "header=false, skip=?, delim=?, quote='\"', escape='\"', columns=?, null_padding=true, "
                "encoding=?, parallel=?, strict_mode=?, max_line_size=?)",
                [str(path), skip, delimiter, columns, duck_encoding, not lenient, not lenient,
                 10_000_000 if lenient else 2_097_152],
            )
            break
        except duckdb.Error as exc:
            if not lenient:
                continue
            raise InputFileError(path, f"the CSV cannot be parsed: {_first_line(exc)}",
                                 "Open it in a spreadsheet and save it again as CSV UTF-8.") from exc
    _drop_hxl_and_blank_rows(con)
    info = SourceInfo(path, "csv", encoding, mapping=header.mapping, ignored=header.ignored, row_offset=skip + 1)
    info.rows = _count(con)
    return info


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300]


def _stage_select(positions: dict[str, int]) -> str:
    """SELECT list turning positional CSV columns c0..cN into canonical, trimmed, NULL-if-blank text."""
    # _row stays NULL here: it is rowid + row_offset, computed when needed (a window function
    # numbering a million rows would cost more than reading them).
    parts = ["NULL::INTEGER AS _row", "NULL::VARCHAR AS _sheet"]
    for name in COLUMN_NAMES:
        pos = positions.get(name)
        parts.append(f"nullif(trim(c{pos}), '') AS {name}" if pos is not None else f"NULL::VARCHAR AS {name}")
    return "SELECT " + ", ".join(parts)


def _drop_hxl_and_blank_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Remove blank rows and repeated HXL hashtag rows (some exports repeat them at the end).

    The cheap test (first non-blank value missing, or starting with '#') runs on every row; the
    full all-cells-are-hashtags test only on the few rows that pass it.
    """
    cols = ", ".join(COLUMN_NAMES)
    con.execute(
        f"DELETE FROM stage_raw WHERE coalesce({cols}) IS NULL OR (starts_with(coalesce({cols}), '#') AND "  # noqa: S608
        f"list_bool_and(list_transform(list_filter([{cols}], x -> x IS NOT NULL), x -> starts_with(x, '#'))))"
    )


def _count(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT count(*) FROM stage_raw").fetchone()
    return int(row[0]) if row else 0


# ------------------------------------------------------------------------------- XLSX and JSON


def _excel_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    text = str(value).strip()
    return text or None


def _stage_from_rows(
    con: duckdb.DuckDBPyConnection,
    blocks: list[tuple[str | None, list[int], list[list[str | None]]]],
) -> None:
    """Create stage_raw from already-mapped rows: (sheet, row numbers, rows of canonical values)."""
    data: dict[str, list[object]] = {"_row": [], "_sheet": []}
    for name in COLUMN_NAMES:
        data[name] = []
    for sheet, numbers, rows in blocks:
        data["_row"].extend(numbers)
        data["_sheet"].extend([sheet] * len(numbers))
        for j, name in enumerate(COLUMN_NAMES):
            data[name].extend(r[j] for r in rows)
    schema = pa.schema([("_row", pa.int32()), ("_sheet", pa.string())] + [(n, pa.string()) for n in COLUMN_NAMES])
    table = pa.Table.from_pydict(data, schema=schema)
    con.register("stage_arrow", table)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE stage_raw AS SELECT * FROM stage_arrow")
    finally:
        con.unregister("stage_arrow")
    _drop_hxl_and_blank_rows(con)


def read_xlsx(con: duckdb.DuckDBPyConnection, path: Path) -> SourceInfo:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise InputFileError(path, f"the Excel file cannot be opened: {_first_line(exc)}",
                             "Open it in Excel and save it again as .xlsx.") from exc
    info = SourceInfo(path, "xlsx")
    blocks: list[tuple[str | None, list[int], list[list[str | None]]]] = []
    first_error: InputFileError | None = None
    for sheet in workbook.sheet_names:
        rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        if not rows:
            info.skipped_sheets.append(f"{sheet} (empty)")
            continue
        header = find_header(rows)
        if header is None:
            info.skipped_sheets.append(f"{sheet} (no log columns)")
            first_error = first_error or _no_header_error(path, rows[0], sheet)
            continue
        try:
            _check_required(path, header, sheet)
        except InputFileError as err:
            info.skipped_sheets.append(f"{sheet} ({err.problem})")
            first_error = first_error or err
            continue
        start = header.index + 1 + (1 if header.hxl_row else 0)
        numbers: list[int] = []
        mapped: list[list[str | None]] = []
        for i in range(start, len(rows)):
            row = rows[i]
            values = [
                _excel_text(row[pos]) if (pos := header.positions.get(n)) is not None and pos < len(row) else None
                for n in COLUMN_NAMES
            ]
            numbers.append(i + 1)
            mapped.append(values)
        blocks.append((sheet, numbers, mapped))
        info.sheets.append(sheet)
        for k, v in header.mapping.items():
            info.mapping.setdefault(k, v)
        info.ignored.extend(h for h in header.ignored if h not in info.ignored)
    if not blocks:
        if first_error is not None:
            raise first_error
        raise InputFileError(path, "the workbook has no sheets with data.", LOG_FORMAT_HINT)
    _stage_from_rows(con, blocks)
    info.rows = _count(con)
    return info


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return "; ".join(value)  # select-multiple answers as a list
        return json.dumps(value, ensure_ascii=False)
    text = str(value).strip()
    return text or None


def read_json(con: duckdb.DuckDBPyConnection, path: Path) -> SourceInfo:
    try:
        with open(path, encoding="utf-8-sig") as fh:
            doc = json.load(fh)
    except UnicodeDecodeError as exc:
        raise InputFileError(path, "the JSON file is not UTF-8 text.", "Save it as UTF-8.") from exc
    except json.JSONDecodeError as exc:
        raise InputFileError(path, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).",
                             "Check the export finished; a JSON log is an array of objects, one per engagement.",
                             row=exc.lineno) from exc
    if isinstance(doc, dict):
        lists = [v for k, v in doc.items() if isinstance(v, list) and k in ("results", "data", "records", "rows")]
        doc = lists[0] if lists else doc
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise InputFileError(path, "the JSON is not an array of objects.",
                             "A JSON log is an array with one object per engagement, e.g. [{\"date\": ...}, ...].")
    headers: list[str] = []
    seen: set[str] = set()
    for record in doc:
        for key in record:
            if key not in seen:
                seen.add(key)
                headers.append(key)
    header = find_header([headers])
    if header is None:
        raise _no_header_error(path, headers)
    _check_required(path, header)
    numbers = list(range(1, len(doc) + 1))
    mapped = []
    for record in doc:
        mapped.append([
            _json_text(record.get(headers[pos])) if (pos := header.positions.get(n)) is not None else None
            for n in COLUMN_NAMES
        ])
    _stage_from_rows(con, [(None, numbers, mapped)])
    info = SourceInfo(path, "json", "utf-8", mapping=header.mapping, ignored=header.ignored)
    info.rows = _count(con)
    return info


def read_file(con: duckdb.DuckDBPyConnection, path: Path, encoding: str | None = None) -> SourceInfo:
    """Read any supported log file into ``stage_raw``. Raises InputFileError with a fix."""
    kind = SUPPORTED.get(path.suffix.lower())
    if kind is None:
        raise InputFileError(path, f"'{path.suffix or 'no extension'}' files are not supported.",
                             "Export the log as .csv, .xlsx or .json.")
    if not path.exists():
        raise InputFileError(path, "file not found.", "Check the path.")
    if path.stat().st_size == 0:
        raise InputFileError(path, "the file is empty (0 bytes).",
                             "The export or copy probably failed; export the log again.")
    if kind == "csv":
        return read_csv(con, path, encoding)
    if kind == "xlsx":
        return read_xlsx(con, path)
    return read_json(con, path)
