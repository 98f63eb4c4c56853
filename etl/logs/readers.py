"""Read a log file (CSV, XLSX, JSON) into the staging table ``stage_raw``, every value as text.

The readers only find the table in the file and recognise its columns; they never judge the
values (that is :mod:`etl.logs.validate`'s job). ``stage_raw`` has one VARCHAR column per
canonical log column (see :mod:`etl.logs.columns`), plus ``_row`` (the row number a person sees
when opening the file: spreadsheet row, or CSV record counting the header as row 1) and
``_sheet``.

Recognising columns yields a *plan*: for each log column, the source columns that feed it, in
order. Most log columns come from one source column, but field exports are rarely that tidy:

- the same header twice (Excel exports of merged tables): the first non-blank value is read and
  the rows where the two disagree are counted for the load summary;
- KoboToolbox/ODK select-multiple questions expanded into ``obstacles/checkpoint_delay`` 0/1
  columns: the ticked options become the labels of the multi-valued cell;
- a Kobo geopoint in one cell (``"12.85 44.98 0 5"``) or as ``[lat, lon]``: its first two numbers
  are the latitude and longitude when the file has no separate columns for them;
- a mapping file (:mod:`etl.logs.mapping`) kept with the data names the columns nothing else can.

The plan becomes one SQL SELECT over positional text columns ``c0..cN``: DuckDB's CSV reader for
CSV (fast: a million rows in about a second), an Arrow table for XLSX and JSON, which are parsed
in Python. Header texts taken from the file (option labels) go in as bound parameters.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from etl.errors import InputFileError
from etl.logs.columns import (
    COLUMN_NAMES,
    MULTI_SEPARATORS,
    REQUIRED,
    column_key,
    looks_like_hxl_row,
    match_column,
    match_hxl,
)
from etl.logs.mapping import IGNORE, MULTI_VALUED, Mapping, find_mapping
from etl.logs.validate import DATE_COLUMNS, parse_date
from etl.store.archives import check_archive
from etl.vocab import label_key

SUPPORTED = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".json": "json"}
HEADER_SEARCH_ROWS = 15
SAMPLE_ROWS = 200  # rows under the header looked at to recognise option and GPS columns by their values
LOG_FORMAT_HINT = "See docs/log-format.md for the accepted column names."
INSPECT_HINT = "Run `python -m etl inspect FILE` to see how each column is read and write a mapping file."

# Columns KoboToolbox / ODK add to every form: kept out of the "unmatched" list, never read.
# `_submission_time` is when the phone sent the form, not when the engagement happened (often days
# later), so it is not taken as the engagement date; a mapping file can say otherwise.
KOBO_MARKERS = {"_uuid", "_submission_time", "formhub/uuid", "__version__", "meta/instanceid", "_xform_id_string"}
KOBO_META = KOBO_MARKERS | {
    "_id", "_submitted_by", "_validation_status", "_notes", "_status", "_tags", "_index", "_parent_index",
    "_parent_table_name", "_attachments", "_media_all_received", "_total_media", "_media_count", "_version_",
    "meta/instancename", "meta/rootuuid", "meta/deprecatedid", "meta/audit", "start", "end", "today", "deviceid",
    "subscriberid", "simserial", "phonenumber", "username", "audit",
}
GEOPOINT_NAMES = {"gps", "geopoint", "gps_location", "gps_coordinates", "coordinates", "geolocation", "gps_point",
                  "location_gps", "position", "geo", "coords", "gps_position", "point"}
_GPS_PART = re.compile(r"^(.+)_(latitude|longitude|altitude|precision)$")
# "lat lon [alt [precision]]" as Kobo writes a geopoint, or "[lat, lon]" as its API writes _geolocation.
_GEOPOINT_VALUE = re.compile(r"^(-?\d+(\.\d+)?)( -?\d+(\.\d+)?){1,3}$|^\[\s*-?\d+(\.\d+)?\s*,\s*-?\d+(\.\d+)?\s*\]$")
_GEOPOINT_LOOSE = re.compile(r"^-?\d+(\.\d+)?\s*[,; ]\s*-?\d+(\.\d+)?(\s+-?\d+(\.\d+)?){0,2}$")
TRUE_WORDS = ("1", "1.0", "true", "yes", "y", "x", "oui", "vrai")
_BOOL_WORDS = set(TRUE_WORDS) | {"0", "false", "no", "n", "non", "faux", "1.0", "0.0"}
_NUMBER = "-?[0-9]+(?:[.][0-9]+)?"
_NUMERIC_DATE = r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$"  # the only dates whose order is ambiguous


@dataclass
class ColumnRead:
    """How one source column is read: which log column it feeds and why (shown by ``inspect``)."""

    position: int  # 0-based
    header: str
    tag: str  # HXL hashtag under the header, if any
    field: str | None  # log column fed, None when not read
    how: str  # name | synonym | HXL tag | mapping file | option | GPS point | GPS part | Kobo metadata | ...
    note: str = ""
    sheet: str | None = None
    # A few distinct values from the rows under the header (dataclasses.field: `field` is taken above).
    samples: list[str] = dataclasses.field(default_factory=list)

    @property
    def label(self) -> str:
        return self.header or self.tag or f"column {self.position + 1}"


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
    columns: list[ColumnRead] = field(default_factory=list)
    mapping_file: Path | None = None
    header_rows: dict[str, int] = field(default_factory=dict)  # sheet ('' for CSV/JSON) -> 1-based header row
    hxl_row: bool = False
    kobo: bool = False
    notes: list[str] = field(default_factory=list)  # duplicates, option and GPS columns, value mappings
    date_order: str | None = None  # set by the mapping file
    missing: list[str] = field(default_factory=list)  # required columns not found (inspect only)


@dataclass(frozen=True)
class _Src:
    kind: str  # col | option | geo
    position: int
    label: str = ""  # option label, or 'lat' / 'lon' for a geopoint part
    rank: int = 1  # 0: named by the mapping file, read before everything else


@dataclass
class _Header:
    index: int  # 0-based index of the header row in the rows scanned
    hxl_row: bool  # an HXL hashtag row follows the header
    columns: list[ColumnRead]
    sources: dict[str, list[_Src]]
    kobo: bool

    @property
    def width(self) -> int:
        return max((s.position for srcs in self.sources.values() for s in srcs), default=-1) + 1

    def mapping(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for c in self.columns:
            if c.field is not None:
                out.setdefault(c.label, c.field)
        return out

    def ignored(self) -> list[str]:
        return [c.label + (f" ({c.how})" if c.how not in ("unmatched",) else "")
                for c in self.columns if c.field is None]


def _cell_text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _is_bool_column(values: list[str]) -> bool:
    return all(v.lower() in _BOOL_WORDS for v in values if v)


def _is_geopoint_column(values: list[str], named: bool) -> bool:
    filled = [v for v in values if v]
    if not filled:
        return named
    pattern = _GEOPOINT_LOOSE if named else _GEOPOINT_VALUE
    return all(pattern.match(v) or _GEOPOINT_VALUE.match(v) for v in filled)


def _classify(name: str, tag: str, values: list[str], mapping: Mapping | None, kobo: bool,
              has_uuid: bool) -> tuple[str | None, str, str, _Src | None]:
    """(log column, how, note, source kind) for one source column; the position is filled in later."""
    if mapping is not None:
        target = mapping.column_for(name, tag)
        if target == IGNORE:
            return None, "ignored by the mapping file", "", None
        if target is not None:
            if target in MULTI_VALUED and "/" in name and _is_bool_column(values):
                return target, "mapping file", "option column", _Src("option", 0, _option_label(name), 0)
            return target, "mapping file", "", _Src("col", 0, rank=0)
    raw = name.strip().lower()
    if kobo and raw in KOBO_META and raw != "_uuid":
        if raw != "_id" or has_uuid:  # without _uuid, Kobo's numeric _id is the best id there is
            note = ("when the form was sent, not the engagement date; map it to date in a mapping file if "
                    "the form has no date question") if raw.endswith("_submission_time") else ""
            return None, "Kobo metadata", note, None
    if "/" in name:  # select-multiple option column: question/option
        prefix = name.rsplit("/", 1)[0]
        question = (mapping.column_for(prefix) if mapping else None) or match_column(prefix)
        if question in MULTI_VALUED and _is_bool_column(values):
            return question, "option", "ticked options become labels", _Src("option", 0, _option_label(name))
    key = column_key(name) if name else ""
    canonical = match_column(name) if name else None
    if canonical in (None, "location") and name:
        # A Kobo geopoint: by its name, or by values that can only be one (a question named
        # "location" holding "12.85 44.98 0 5" is a GPS point, not a place name).
        named = key in GEOPOINT_NAMES
        if (named or any(values)) and _is_geopoint_column(values, named):
            return "latitude", "GPS point", "latitude and longitude from 'lat lon alt precision'", _Src("geo", 0)
    if canonical is not None:
        return canonical, "name" if key == canonical else "synonym", "", _Src("col", 0)
    if m := _GPS_PART.match(key):
        if m.group(2) in ("latitude", "longitude"):
            return m.group(2), "GPS part", "", _Src("col", 0)
        return None, "GPS part", f"GPS {m.group(2)}, not used", None
    if tag and (canonical := match_hxl(tag)) is not None:
        return canonical, "HXL tag", "", _Src("col", 0)
    return None, "unmatched", "", None


def _option_label(header: str) -> str:
    """The option part of 'question/option', as a label: Kobo names lose their underscores."""
    return header.rsplit("/", 1)[-1].replace("_", " ").strip()


def _plan(names: list[str], tags: list[str], samples: list[list[str]], mapping: Mapping | None,
          sheet: str | None = None) -> _Header:
    lowered = {n.strip().lower() for n in names}
    kobo = bool(lowered & KOBO_MARKERS)
    has_uuid = "_uuid" in lowered
    columns: list[ColumnRead] = []
    sources: dict[str, list[_Src]] = {}
    for pos, name in enumerate(names):
        tag = tags[pos] if pos < len(tags) else ""
        if not name and not tag:
            continue
        values = [r[pos] if pos < len(r) else "" for r in samples]
        canonical, how, note, src = _classify(name, tag, values, mapping, kobo, has_uuid)
        shown = list(dict.fromkeys(v for v in values if v))[:3]
        columns.append(ColumnRead(pos, name, tag, canonical, how, note, sheet, shown))
        if canonical is None or src is None:
            continue
        if src.kind == "geo":
            sources.setdefault("latitude", []).append(_Src("geo", pos, "lat", 2))
            sources.setdefault("longitude", []).append(_Src("geo", pos, "lon", 2))
        else:
            sources.setdefault(canonical, []).append(_Src(src.kind, pos, src.label, src.rank))
    for name_, srcs in sources.items():
        # Mapping file first, then option columns (they say more than the combined cell), then the rest
        # left to right; geopoint parts last, as a fallback for separate latitude/longitude columns.
        srcs.sort(key=lambda s: (s.rank, s.kind != "option", s.position))
        if any(s.kind == "option" for s in srcs):
            for c in columns:
                if c.field == name_ and c.how not in ("option",) and c.note != "option column":
                    c.note = "read only in rows where no option column is ticked"
    return _Header(0, False, columns, sources, kobo)


def _as_text_rows(rows: Sequence[Sequence[object]]) -> list[list[str]]:
    return [[_cell_text(v) for v in r] for r in rows]


def find_header(rows: Sequence[Sequence[object]], mapping: Mapping | None = None, min_fields: int = 2,
                search_rows: int = HEADER_SEARCH_ROWS, sheet: str | None = None) -> _Header | None:
    """Find the header row among the first rows of a table (title rows above it are allowed).

    A row is the header when at least ``min_fields`` of its cells name known log columns,
    directly, through the mapping file or through the HXL hashtag row right under it. The row
    naming the most log columns wins.
    """
    text = _as_text_rows(rows[: search_rows + SAMPLE_ROWS + 2])
    best: _Header | None = None
    for i, names in enumerate(text[:search_rows]):
        if not any(names):
            continue
        tags = text[i + 1] if i + 1 < len(text) else []
        has_hxl = bool(tags) and looks_like_hxl_row(list(tags))
        if not has_hxl:
            tags = []
        start = i + 1 + (1 if has_hxl else 0)
        header = _plan(names, tags, text[start: start + SAMPLE_ROWS], mapping, sheet)
        header.index, header.hxl_row = i, has_hxl
        if len(header.sources) >= min_fields and (best is None or len(header.sources) > len(best.sources)):
            best = header
            if len(header.sources) >= len(REQUIRED):
                break
    return best


def _missing_required(header: _Header) -> list[str]:
    present = set(header.sources)
    if "country" not in present and "admin1_pcode" in present:
        present.add("country")  # the country can come from the P-code
    return [c for c in REQUIRED if c not in present]


def _check_required(path: Path, header: _Header, sheet: str | None = None) -> None:
    missing = _missing_required(header)
    if missing:
        found = ", ".join(header.mapping()) or "none"
        unmatched = [c.label for c in header.columns if c.how == "unmatched"]
        more = f"; not recognised: {', '.join(unmatched[:8])}" if unmatched else ""
        raise InputFileError(
            path,
            f"required column(s) missing: {', '.join(missing)} (recognised: {found}{more}).",
            f"Add or rename the columns, or name them in a mapping file. {INSPECT_HINT}",
            sheet=sheet,
        )


def _no_header_error(path: Path, first_row: Sequence[object], sheet: str | None = None) -> InputFileError:
    shown = ", ".join(repr(_cell_text(v)) for v in list(first_row)[:8] if _cell_text(v)) or "nothing"
    return InputFileError(
        path,
        f"no header row with log columns found in the first {HEADER_SEARCH_ROWS} rows (first row has: {shown}).",
        f"The file needs a header row naming at least date, counterpart, activity, outcome and country. "
        f"{LOG_FORMAT_HINT} {INSPECT_HINT}",
        sheet=sheet,
    )


# ------------------------------------------------------------------------------ staging SQL


def _is_true(col: str) -> str:
    words = ", ".join(f"'{w}'" for w in TRUE_WORDS)  # constants
    return f"lower(trim({col})) IN ({words})"


def _source_sql(src: _Src) -> str:
    col = f"c{src.position}"
    if src.kind == "geo":
        part = 1 if src.label == "lat" else 2
        numbers = f"regexp_extract_all({col}, '{_NUMBER}')"
        return f"CASE WHEN len({numbers}) >= 2 THEN {numbers}[{part}] END"
    return _trimmed(col)


def _trimmed(col: str) -> str:
    """The cell as text, spaces trimmed, NULL if blank.

    DuckDB's trim() decodes every character of the cell (it trims Unicode spaces). An ASCII cell
    that neither starts nor ends with a space is kept as it is, without it: the same text, and
    staging a CSV file about 15% faster.
    """
    needs_trim = f"starts_with({col}, ' ') OR ends_with({col}, ' ') OR strlen({col}) <> length({col})"
    return f"nullif(CASE WHEN {needs_trim} THEN trim({col}) ELSE {col} END, '')"


def _field_sql(srcs: list[_Src], params: list[object]) -> str:
    parts: list[str] = []
    options = [s for s in srcs if s.kind == "option"]
    for s in srcs:
        if s.kind == "option":
            if s is options[0]:
                cases = []
                for o in options:
                    params.append(o.label)
                    cases.append(f"CASE WHEN {_is_true(f'c{o.position}')} THEN ?::VARCHAR END")
                parts.append(f"nullif(concat_ws('; ', {', '.join(cases)}), '')")
            continue
        parts.append(_source_sql(s))
    return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


def _dup_flag_sql(srcs: list[_Src]) -> str | None:
    """TRUE where two plain source columns of one log column both have values and they differ."""
    cols = [_trimmed(f"c{s.position}") for s in srcs if s.kind == "col"]
    if len(cols) < 2:
        return None
    first = cols[0]
    return " OR ".join(f"coalesce({first} <> {other}, false)" for other in cols[1:])


def _stage_select(header: _Header, row_expr: str, sheet_expr: str) -> tuple[str, list[object], list[str]]:
    """SELECT turning positional columns c0..cN into canonical, trimmed, NULL-if-blank text.

    Returns the SQL, its bound parameters (option labels) and the log columns that have a
    ``_dup_<column>`` disagreement flag appended.
    """
    params: list[object] = []
    parts = [f"{row_expr} AS _row", f"{sheet_expr} AS _sheet"]
    for name in COLUMN_NAMES:
        srcs = header.sources.get(name)
        parts.append(f"{_field_sql(srcs, params)} AS {name}" if srcs else f"NULL::VARCHAR AS {name}")
    dups = []
    for name in COLUMN_NAMES:
        flag = _dup_flag_sql(header.sources.get(name, []))
        if flag:
            parts.append(f"({flag}) AS _dup_{name}")
            dups.append(name)
    return "SELECT " + ", ".join(parts), params, dups


def _note_duplicates(con: duckdb.DuckDBPyConnection, table: str, header: _Header, dups: list[str],
                     info: SourceInfo, sheet: str | None) -> None:
    """Count the rows where duplicate columns disagree, say which one is read, drop the flags."""
    if not dups:
        return
    counts = con.execute(
        "SELECT " + ", ".join(f"count_if(_dup_{d})" for d in dups) + f" FROM {table}"  # noqa: S608 - fixed names
    ).fetchone() or ()
    where = f" (sheet {sheet})" if sheet else ""
    for name, n in zip(dups, counts, strict=False):
        labels = [next(c.label for c in header.columns if c.position == s.position)
                  for s in header.sources[name] if s.kind == "col"]
        info.notes.append(
            f"{name}: {len(labels)} columns ({', '.join(repr(x) for x in labels)}){where}; the first non-blank "
            f"value is read, in that order; they disagree on {n:,} row(s)")
        con.execute(f"ALTER TABLE {table} DROP COLUMN _dup_{name}")  # noqa: S608 - fixed names


def _note_columns(header: _Header, info: SourceInfo) -> None:
    options: dict[str, int] = {}
    for c in header.columns:
        if c.how == "option" or (c.how == "mapping file" and c.note == "option column"):
            options[c.field or ""] = options.get(c.field or "", 0) + 1
        elif c.how == "GPS point":
            direct = any(s.kind == "col" for s in header.sources.get("latitude", []))
            note = f"latitude, longitude: from the GPS point column '{c.label}'" + (
                " where the latitude and longitude columns are blank" if direct else "")
            if note not in info.notes:
                info.notes.append(note)
    for name, n in options.items():
        note = f"{name}: {n} option column(s) of a select-multiple question, ticked options read as labels"
        if note not in info.notes:
            info.notes.append(note)


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
        sample = fh.read(262144)
    sample = sample.lstrip("\ufeff")
    lines = sample.splitlines()[: HEADER_SEARCH_ROWS + 5]
    delimiter = _guess_delimiter(lines)
    rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
    # The last row of the sample may be cut in the middle; it is only used to recognise columns.
    return delimiter, rows[: HEADER_SEARCH_ROWS + SAMPLE_ROWS + 2]


def read_csv(con: duckdb.DuckDBPyConnection, path: Path, encoding: str | None = None,
             mapping: Mapping | None = None, check_required: bool = True) -> SourceInfo:
    encoding = encoding or detect_encoding(path)
    delimiter, rows = _sniff_csv(path, encoding)
    if not rows or not any(_cell_text(v) for v in rows[0]):
        raise InputFileError(path, "the file has no header row.", LOG_FORMAT_HINT)
    header = find_header(rows, mapping, min_fields=2 if check_required else 0)
    if header is None:
        raise _no_header_error(path, rows[0])
    info = SourceInfo(path, "csv", encoding)
    if check_required:
        _check_required(path, header)
    else:
        info.missing = _missing_required(header)
    width = max(len(rows[header.index]), header.width)
    skip = header.index + 1 + (1 if header.hxl_row else 0)
    columns = {f"c{i}": "VARCHAR" for i in range(width)}
    duck_encoding = "latin-1" if encoding == "latin-1" else "utf-8"
    select, params, dups = _stage_select(header, "NULL::INTEGER", "NULL::VARCHAR")
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
            raise InputFileError(path, f"the CSV cannot be parsed: {_first_line(exc)}",
                                 "Open it in a spreadsheet and save it again as CSV UTF-8.") from exc
    _drop_hxl_and_blank_rows(con)
    _note_duplicates(con, "stage_raw", header, dups, info, None)
    _note_columns(header, info)
    info.mapping, info.ignored, info.columns = header.mapping(), header.ignored(), header.columns
    info.row_offset, info.header_rows, info.hxl_row, info.kobo = skip + 1, {"": header.index + 1}, header.hxl_row, \
        header.kobo
    return info


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300]


def _drop_hxl_and_blank_rows(con: duckdb.DuckDBPyConnection, table: str = "stage_raw") -> None:
    """Remove blank rows and repeated HXL hashtag rows (some exports repeat them at the end).

    The cheap test (first non-blank value missing, or starting with '#') runs on every row; the
    full all-cells-are-hashtags test only on the few rows that pass it.
    """
    cols = ", ".join(COLUMN_NAMES)
    con.execute(
        f"DELETE FROM {table} WHERE coalesce({cols}) IS NULL OR (starts_with(coalesce({cols}), '#') AND "  # noqa: S608
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
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _empty_stage(con: duckdb.DuckDBPyConnection) -> None:
    cols = ", ".join(f"{n} VARCHAR" for n in COLUMN_NAMES)
    con.execute(f"CREATE OR REPLACE TEMP TABLE stage_raw (_row INTEGER, _sheet VARCHAR, {cols})")


def _stage_block(con: duckdb.DuckDBPyConnection, header: _Header, numbers: list[int],
                 cells: Sequence[Sequence[object]], to_text: Callable[[object], str | None], sheet: str | None,
                 info: SourceInfo) -> None:
    """Append one table (a sheet, or a JSON array) to stage_raw through the header's plan."""
    positions = sorted({s.position for srcs in header.sources.values() for s in srcs})
    data: dict[str, list[object]] = {"_row": list(numbers)}
    for p in positions:
        data[f"c{p}"] = [to_text(r[p]) if p < len(r) else None for r in cells]
    schema = pa.schema([("_row", pa.int32())] + [(f"c{p}", pa.string()) for p in positions])
    con.register("stage_arrow", pa.Table.from_pydict(data, schema=schema))
    select, params, dups = _stage_select(header, "_row", "?::VARCHAR")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE stage_part AS {select} FROM stage_arrow",  # noqa: S608
                    [sheet, *params])  # _sheet comes before the option labels in the SELECT
    finally:
        con.unregister("stage_arrow")
    _drop_hxl_and_blank_rows(con, "stage_part")
    _note_duplicates(con, "stage_part", header, dups, info, sheet)
    _note_columns(header, info)
    con.execute("INSERT INTO stage_raw SELECT * FROM stage_part")
    con.execute("DROP TABLE stage_part")


def read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, mapping: Mapping | None = None,
              check_required: bool = True) -> SourceInfo:
    """Every sheet with a log header (or the mapping file's ``sheets``), one after the other."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise InputFileError(path, f"the Excel file cannot be opened: {_first_line(exc)}",
                             "Open it in Excel and save it again as .xlsx.") from exc
    names = list(workbook.sheet_names)
    wanted = list(mapping.sheets) if mapping and mapping.sheets else names
    absent = [s for s in wanted if s not in names]
    if absent and mapping is not None:
        raise InputFileError(mapping.path, f"sheet '{absent[0]}' named in 'sheets' is not in {path.name} "
                             f"(its sheets: {', '.join(names)}).", "Correct the sheet name in the mapping file.")
    tables = [(sheet, workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False) if sheet in wanted else None)
              for sheet in names]
    info, first_error = _read_sheets(con, path, tables, mapping, check_required, 2)
    if not info.sheets and not check_required:
        # inspect: no sheet has two known columns; take each sheet's first row as its header to explain it.
        info, first_error = _read_sheets(con, path, tables, mapping, check_required, 0)
    if not info.sheets:
        if first_error is not None:
            raise first_error
        raise InputFileError(path, "the workbook has no sheets with data.", LOG_FORMAT_HINT)
    return info


def _read_sheets(con: duckdb.DuckDBPyConnection, path: Path, tables: Sequence[tuple[str, Sequence[Sequence[object]] | None]],
                 mapping: Mapping | None, check_required: bool, min_fields: int,
                 ) -> tuple[SourceInfo, InputFileError | None]:
    info = SourceInfo(path, "xlsx")
    _empty_stage(con)
    first_error: InputFileError | None = None
    for sheet, rows in tables:
        if rows is None:
            info.skipped_sheets.append(f"{sheet} (not in the mapping file's sheets)")
            continue
        if not rows:
            info.skipped_sheets.append(f"{sheet} (empty)")
            continue
        header = find_header(rows, mapping, min_fields=min_fields, sheet=sheet)
        if header is None:
            info.skipped_sheets.append(f"{sheet} (no log columns)")
            first_error = first_error or _no_header_error(path, rows[0], sheet)
            continue
        missing = _missing_required(header)
        if missing and check_required:
            try:
                _check_required(path, header, sheet)
            except InputFileError as err:
                info.skipped_sheets.append(f"{sheet} ({err.problem})")
                first_error = first_error or err
                continue
        info.missing = [c for c in REQUIRED if c in {*info.missing, *missing}]
        start = header.index + 1 + (1 if header.hxl_row else 0)
        _stage_block(con, header, list(range(start + 1, len(rows) + 1)), rows[start:], _excel_text, sheet, info)
        info.sheets.append(sheet)
        info.header_rows[sheet] = header.index + 1
        info.hxl_row = info.hxl_row or header.hxl_row
        info.kobo = info.kobo or header.kobo
        info.columns.extend(header.columns)
        for k, v in header.mapping().items():
            info.mapping.setdefault(k, v)
        info.ignored.extend(h for h in header.ignored() if h not in info.ignored)
    return info, first_error


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list) and not value:
        return None
    if isinstance(value, dict | list):
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return "; ".join(value)  # select-multiple answers as a list
        return json.dumps(value, ensure_ascii=False)
    text = str(value).strip()
    return text or None


def read_json(con: duckdb.DuckDBPyConnection, path: Path, mapping: Mapping | None = None,
              check_required: bool = True) -> SourceInfo:
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
    headers: list[str] = list(dict.fromkeys(k for record in doc for k in record))
    cells = [[record.get(h) for h in headers] for record in doc]
    sample = [[_json_text(v) or "" for v in r] for r in cells[:SAMPLE_ROWS]]
    header = find_header([headers, *sample], mapping, min_fields=2 if check_required else 0, search_rows=1)
    if header is None:
        raise _no_header_error(path, headers)
    info = SourceInfo(path, "json", "utf-8")
    if check_required:
        _check_required(path, header)
    else:
        info.missing = _missing_required(header)
    _empty_stage(con)
    _stage_block(con, header, list(range(1, len(doc) + 1)), cells, _json_text, None, info)
    info.mapping, info.ignored, info.columns = header.mapping(), header.ignored(), header.columns
    info.header_rows, info.kobo = {"": 1}, header.kobo
    return info


# ------------------------------------------------------------------- after staging: mappings


def _split_kobo_cell(cell: str, vocab_lookup: Callable[[str | None], str | None]) -> list[str]:
    """Labels of a multi-valued cell; Kobo writes select-multiple answers as 'name_a name_b'."""
    labels = [x.strip() for x in MULTI_SEPARATORS.split(cell) if x.strip()]
    if len(labels) == 1:
        tokens = labels[0].split()
        if len(tokens) > 1 and all(re.fullmatch(r"[\w.-]+", t) for t in tokens) and (
                any("_" in t for t in tokens) or all(vocab_lookup(t) for t in tokens)):
            return [t.replace("_", " ") for t in tokens]
    return labels


def _replace_values(con: duckdb.DuckDBPyConnection, column: str, pairs: list[tuple[str, str | None]]) -> None:
    if not pairs:
        return
    frame = pd.DataFrame(pairs, columns=["raw", "new"], dtype=object)
    con.register("_vmap", frame)
    try:
        con.execute(f"UPDATE stage_raw SET {column} = m.new FROM _vmap m WHERE stage_raw.{column} = m.raw")  # noqa: S608
    finally:
        con.unregister("_vmap")


def apply_mapping_values(con: duckdb.DuckDBPyConnection, info: SourceInfo, mapping: Mapping | None) -> None:
    """Rewrite staged values as the mapping file says; split Kobo select-multiple cells.

    Works on the distinct values of each column (few), then one UPDATE per column.
    """
    for column, vocab in MULTI_VALUED.items():
        table = mapping.values.get(column, {}) if mapping else {}
        if not table and not info.kobo:
            continue
        pairs: list[tuple[str, str | None]] = []
        for (cell,) in con.execute(f"SELECT DISTINCT {column} FROM stage_raw WHERE {column} IS NOT NULL").fetchall():  # noqa: S608
            labels = _split_kobo_cell(cell, vocab.lookup) if info.kobo else \
                [x.strip() for x in MULTI_SEPARATORS.split(cell) if x.strip()]
            out = []
            for label in labels:
                new = table.get(label_key(label), label)
                if new != IGNORE:
                    out.append(new)
            joined = "; ".join(out) or None
            if joined != cell:
                pairs.append((cell, joined))
        _replace_values(con, column, pairs)
        if table and pairs:
            info.notes.append(f"{column}: labels rewritten by the mapping file in {len(pairs)} distinct cell(s)")
    if mapping is None:
        return
    for column, table in mapping.values.items():
        if column in MULTI_VALUED:
            continue
        distinct = con.execute(f"SELECT DISTINCT {column} FROM stage_raw WHERE {column} IS NOT NULL").fetchall()  # noqa: S608
        pairs = []
        for (raw,) in distinct:
            new = table.get(label_key(raw))
            if new is not None:
                pairs.append((raw, None if new == IGNORE else new))
        _replace_values(con, column, pairs)
        if pairs:
            info.notes.append(f"{column}: {len(pairs)} value(s) mapped by the mapping file")
    if mapping.date_order:
        info.date_order = mapping.date_order
        day_first = mapping.date_order == "day_first"
        for column in DATE_COLUMNS:
            pairs = []
            for (raw,) in con.execute(f"SELECT DISTINCT {column} FROM stage_raw WHERE {column} IS NOT NULL "  # noqa: S608
                                      f"AND regexp_matches({column}, ?)", [_NUMERIC_DATE]).fetchall():
                parsed = parse_date(raw, day_first)
                if parsed.value is not None:
                    pairs.append((raw, parsed.value.isoformat()))
            _replace_values(con, column, pairs)


def describe_mapping(info: SourceInfo, limit: int = 12) -> list[str]:
    """Lines for the load summary saying how the columns were read.

    When a source renames a question between two exports, both load into the same table; these
    lines (and ``loads.column_mapping``) show which header fed which log column in each.
    """
    lines = [f"mapping file: {info.mapping_file}"] if info.mapping_file else []
    renamed = [f"{c.label} -> {c.field} ({c.how})" for c in info.columns
               if c.field and c.how not in ("name", "option")]
    if renamed:
        more = f" and {len(renamed) - limit} more" if len(renamed) > limit else ""
        lines.append("columns read as: " + ", ".join(renamed[:limit]) + more)
    return lines + info.notes


def read_file(con: duckdb.DuckDBPyConnection, path: Path, encoding: str | None = None,
              mapping: Mapping | None = None, discover: bool = True, check_required: bool = True) -> SourceInfo:
    """Read any supported log file into ``stage_raw``. Raises InputFileError with a fix.

    :param mapping: the mapping file to apply; with ``discover`` (the default) and none given, the
        one kept with the file is found (see :func:`etl.logs.mapping.find_mapping`).
    :param check_required: refuse a file without the required columns (``inspect`` reads it anyway).
    """
    kind = SUPPORTED.get(path.suffix.lower())
    if kind is None:
        raise InputFileError(path, f"'{path.suffix or 'no extension'}' files are not supported.",
                             "Export the log as .csv, .xlsx or .json.")
    if not path.exists():
        raise InputFileError(path, "file not found.", "Check the path.")
    if path.stat().st_size == 0:
        raise InputFileError(path, "the file is empty (0 bytes).",
                             "The export or copy probably failed; export the log again.")
    if kind == "xlsx":
        check_archive(path)  # refused before it is opened when it would inflate past the limits
    if mapping is None and discover:
        mapping = find_mapping(path)
    if kind == "csv":
        info = read_csv(con, path, encoding, mapping, check_required)
    elif kind == "xlsx":
        info = read_xlsx(con, path, mapping, check_required)
    else:
        info = read_json(con, path, mapping, check_required)
    info.mapping_file = mapping.path if mapping else None
    apply_mapping_values(con, info, mapping)
    info.rows = _count(con)
    return info
