"""CSV, TSV and TXT logs: encoding (:mod:`~etl.logs.readers.encodings`) and delimiter found, then the rows staged.

DuckDB's CSV reader stages UTF-8 files; Python's csv module the rest (windows-1252, UTF-16,
UTF-32, other code pages given with ``--encoding``). Line endings may be LF, CRLF or CR
alone (Excel for Mac); a field may be as long as :data:`MAX_FIELD_CHARS` characters.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb

from etl.errors import InputFileError
from etl.logs.mapping import Mapping
from etl.logs.readers.encodings import MAX_FIELD_CHARS, MIXED, read_by_duckdb, resolve_encoding
from etl.logs.readers.header import (
    HEADER_SEARCH_ROWS,
    LOG_FORMAT_HINT,
    SAMPLE_ROWS,
    Header,
    SourceInfo,
    cell_text,
    find_header,
    missing_required,
    no_header_error,
    require_columns,
)
from etl.logs.readers.staging import (
    drop_hxl_and_blank_rows,
    empty_stage,
    first_line,
    note_columns,
    note_duplicates,
    stage_block,
    stage_select,
)
from etl.store.scratch import stage_create

# Rows staged at a time when Python reads the file (encodings DuckDB's reader does not know).
_BATCH = 50_000


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
        sample = fh.read(262144)
    sample = sample.lstrip("\ufeff")
    lines = sample.splitlines()[: HEADER_SEARCH_ROWS + 5]
    try:
        delimiter = _guess_delimiter(lines)
        # newline="": a record may end with CR alone (Excel for Mac), and csv reads that only when it sees it.
        rows = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
    except csv.Error as exc:  # a field over the csv module's limit, a NUL byte...
        raise InputFileError(path, f"the CSV cannot be parsed ({exc}).",
                             "Open it in a spreadsheet and save it again as CSV UTF-8.") from exc
    # The last row of the sample may be cut in the middle; it is only used to recognise columns.
    return delimiter, rows[: HEADER_SEARCH_ROWS + SAMPLE_ROWS + 2]


def _stage_with_duckdb(con: duckdb.DuckDBPyConnection, path: Path, delimiter: str, header: Header, skip: int,
                       width: int, info: SourceInfo) -> None:
    """DuckDB's CSV reader, for UTF-8 files (fast: a million rows in about a second)."""
    columns = {f"c{i}": "VARCHAR" for i in range(width)}
    select, params, dups = stage_select(header, "NULL::INTEGER", "NULL::VARCHAR")
    # The parallel reader is fastest but needs well-formed rows (strict mode); files with ragged
    # rows or quoted line breaks are read again single-threaded and leniently.
    for lenient in (False, True):
        try:
            con.execute(
                f"{stage_create(con, 'stage_raw')} AS {select} FROM read_csv(?, auto_detect=false, "  # noqa: S608
                "header=false, skip=?, delim=?, quote='\"', escape='\"', columns=?, null_padding=true, "
                "encoding='utf-8', parallel=?, strict_mode=?, max_line_size=?)",
                [*params, str(path), skip, delimiter, columns, not lenient, not lenient,
                 MAX_FIELD_CHARS if lenient else 2_097_152],
            )
            break
        except duckdb.Error as exc:
            if not lenient:
                continue
            raise InputFileError(path, f"the CSV cannot be parsed: {first_line(exc)}",
                                 "Open it in a spreadsheet and save it again as CSV UTF-8.") from exc
    drop_hxl_and_blank_rows(con)
    note_duplicates(con, "stage_raw", header, dups, info, None)


def _stage_in_python(con: duckdb.DuckDBPyConnection, path: Path, encoding: str, delimiter: str, header: Header,
                     skip: int, info: SourceInfo) -> None:
    """Python's csv module over the decoded text (UTF-16 and UTF-32, other code pages), in batches of rows.

    Rows are numbered as DuckDB's reader numbers them: CSV records, the header counting as row 1.
    """
    empty_stage(con)
    numbers: list[int] = []
    cells: list[list[str]] = []
    try:
        with open(path, encoding=encoding, newline="") as fh:
            for number, record in enumerate(csv.reader(fh, delimiter=delimiter), 1):
                if number <= skip:
                    continue
                numbers.append(number)
                cells.append(record)
                if len(cells) == _BATCH:
                    stage_block(con, header, numbers, cells, _text, None, info)
                    numbers, cells = [], []
    except (csv.Error, UnicodeError) as exc:
        raise InputFileError(path, f"the CSV cannot be parsed: {exc}.",
                             "Open it in a spreadsheet and save it again as CSV UTF-8.") from exc
    if cells:
        stage_block(con, header, numbers, cells, _text, None, info)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def read_csv(con: duckdb.DuckDBPyConnection, path: Path, encoding: str | None = None,
             mapping: Mapping | None = None, check_required: bool = True) -> SourceInfo:
    encoding = resolve_encoding(path, encoding)
    delimiter, rows = _sniff_csv(path, encoding)
    if not rows or not any(cell_text(v) for v in rows[0]):
        raise InputFileError(path, "the file has no header row.", LOG_FORMAT_HINT)
    header = find_header(rows, mapping, min_fields=2 if check_required else 0)
    if header is None:
        raise no_header_error(path, rows[0])
    info = SourceInfo(path, "csv", encoding)
    if check_required:
        require_columns(path, header)
    else:
        info.missing = missing_required(header)
    width = max(len(rows[header.index]), header.width)
    skip = header.index + 1 + (1 if header.hxl_row else 0)
    if read_by_duckdb(encoding):
        _stage_with_duckdb(con, path, delimiter, header, skip, width, info)
    else:
        _stage_in_python(con, path, encoding, delimiter, header, skip, info)
    if encoding == MIXED:
        info.notes.append("encoding: UTF-8 mixed with windows-1252 (rows pasted from two sources): each UTF-8 "
                          "character was read as UTF-8 and every other byte as windows-1252")
    note_columns(header, info)
    info.mapping, info.ignored, info.columns = header.mapping(), header.ignored(), header.columns
    info.row_offset, info.header_rows, info.hxl_row, info.kobo = skip + 1, {"": header.index + 1}, header.hxl_row, \
        header.kobo
    return info
