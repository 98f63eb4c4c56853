"""CSV, TSV and TXT logs: encoding and delimiter found, then DuckDB's CSV reader stages the rows."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import duckdb

from etl.errors import InputFileError
from etl.logs.mapping import Mapping
from etl.logs.readers.header import (
    HEADER_SEARCH_ROWS,
    LOG_FORMAT_HINT,
    SAMPLE_ROWS,
    SourceInfo,
    cell_text,
    find_header,
    missing_required,
    no_header_error,
    require_columns,
)
from etl.logs.readers.staging import drop_hxl_and_blank_rows, first_line, note_columns, note_duplicates, stage_select


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


def read_csv(con: duckdb.DuckDBPyConnection, path: Path, encoding: str | None = None,
             mapping: Mapping | None = None, check_required: bool = True) -> SourceInfo:
    encoding = encoding or detect_encoding(path)
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
    columns = {f"c{i}": "VARCHAR" for i in range(width)}
    duck_encoding = "latin-1" if encoding == "latin-1" else "utf-8"
    select, params, dups = stage_select(header, "NULL::INTEGER", "NULL::VARCHAR")
    # The parallel reader is fastest but needs well-formed rows (strict mode); files with ragged
    # rows or quoted line breaks are read again single-threaded and leniently.
    for lenient in (False, True):
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE stage_raw AS {select} FROM read_csv(?, auto_detect=false, "  # noqa: S608
                "header=false, skip=?, delim=?, quote='\"', escape='\"', columns=?, null_padding=true, "
                "encoding=?, parallel=?, strict_mode=?, max_line_size=?)",
                [*params, str(path), skip, delimiter, columns, duck_encoding, not lenient, not lenient,
                 10_000_000 if lenient else 2_097_152],
            )
            break
        except duckdb.Error as exc:
            if not lenient:
                continue
            raise InputFileError(path, f"the CSV cannot be parsed: {first_line(exc)}",
                                 "Open it in a spreadsheet and save it again as CSV UTF-8.") from exc
    drop_hxl_and_blank_rows(con)
    note_duplicates(con, "stage_raw", header, dups, info, None)
    note_columns(header, info)
    info.mapping, info.ignored, info.columns = header.mapping(), header.ignored(), header.columns
    info.row_offset, info.header_rows, info.hxl_row, info.kobo = skip + 1, {"": header.index + 1}, header.hxl_row, \
        header.kobo
    return info
