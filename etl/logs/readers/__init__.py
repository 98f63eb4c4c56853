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

One module per job: :mod:`~etl.logs.readers.header` finds the header and recognises the columns,
:mod:`~etl.logs.readers.kobo` knows the KoboToolbox/ODK conventions, one reader per format
(:mod:`~etl.logs.readers.csv_reader`, :mod:`~etl.logs.readers.excel_reader`,
:mod:`~etl.logs.readers.json_reader`) stages the rows through :mod:`~etl.logs.readers.staging`, and
:mod:`~etl.logs.readers.values` rewrites values as the mapping file says. :func:`read_file` picks
the reader by the file's extension (:data:`SUPPORTED`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from etl.errors import InputFileError
from etl.logs.mapping import Mapping, find_mapping
from etl.logs.readers.csv_reader import read_csv
from etl.logs.readers.encodings import detect_encoding
from etl.logs.readers.excel_reader import read_xlsx
from etl.logs.readers.header import ColumnRead, SourceInfo, find_header
from etl.logs.readers.json_reader import read_json
from etl.logs.readers.staging import count_staged
from etl.logs.readers.values import apply_mapping_values, describe_mapping
from etl.store.archives import check_archive

__all__ = ["SUPPORTED", "ColumnRead", "SourceInfo", "apply_mapping_values", "describe_mapping", "detect_encoding",
           "find_header", "read_csv", "read_file", "read_json", "read_xlsx"]

# Extension -> reader (read_csv, read_xlsx or read_json below).
SUPPORTED = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".json": "json"}


def read_file(con: duckdb.DuckDBPyConnection, path: Path, encoding: str | None = None,
              mapping: Mapping | None = None, discover: bool = True, check_required: bool = True,
              decimal: str | None = None) -> SourceInfo:
    """Read any supported log file into ``stage_raw``. Raises InputFileError with a fix.

    :param encoding: a CSV's text encoding as the user gave it (``--encoding``); default: detected.
    :param mapping: the mapping file to apply; with ``discover`` (the default) and none given, the
        one kept with the file is found (see :func:`etl.logs.mapping.find_mapping`).
    :param check_required: refuse a file without the required columns (``inspect`` reads it anyway).
    :param decimal: the decimal separator, "." or "," (``--decimal``); wins over the mapping file's.
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
    if decimal:
        info.decimal, info.decimal_by = decimal, "with --decimal"
    elif mapping and mapping.decimal:
        info.decimal, info.decimal_by = mapping.decimal, f"in {mapping.path.name}"
    apply_mapping_values(con, info, mapping)
    info.rows = count_staged(con)
    return info
