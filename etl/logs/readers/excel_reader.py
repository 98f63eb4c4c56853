"""XLSX/XLSM logs: every sheet with a log header (or the mapping file's ``sheets``), parsed by calamine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import duckdb

from etl.errors import InputFileError
from etl.logs.columns import REQUIRED
from etl.logs.mapping import Mapping
from etl.logs.numbers import typed_number_text
from etl.logs.readers.header import (
    LOG_FORMAT_HINT,
    SourceInfo,
    find_header,
    missing_required,
    no_header_error,
    require_columns,
)
from etl.logs.readers.staging import empty_stage, first_line, stage_block


def _excel_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):  # a typed number: written so that no decimal convention applies to it
        return typed_number_text(value)
    text = str(value).strip()
    return text or None



def read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, mapping: Mapping | None = None,
              check_required: bool = True) -> SourceInfo:
    """Every sheet with a log header (or the mapping file's ``sheets``), one after the other."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise InputFileError(path, f"the Excel file cannot be opened: {first_line(exc)}",
                             "Open it in Excel and save it again as .xlsx.") from exc
    names = list(workbook.sheet_names)
    wanted = list(mapping.sheets) if mapping and mapping.sheets else names
    absent = [s for s in wanted if s not in names]
    if absent and mapping is not None:
        raise InputFileError(mapping.path, f"sheet '{absent[0]}' named in 'sheets' is not in {path.name} "
                             f"(its sheets: {', '.join(names)}).", "Correct the sheet name in the mapping file.")
    tables = [(sheet, _sheet_rows(path, workbook, sheet) if sheet in wanted else None) for sheet in names]
    info, first_error = _read_sheets(con, path, tables, mapping, check_required, 2)
    if not info.sheets and not check_required:
        # inspect: no sheet has two known columns; take each sheet's first row as its header to explain it.
        info, first_error = _read_sheets(con, path, tables, mapping, check_required, 0)
    if not info.sheets:
        if first_error is not None:
            raise first_error
        raise InputFileError(path, "the workbook has no sheets with data.", LOG_FORMAT_HINT)
    return info


def _sheet_rows(path: Path, workbook: object, sheet: str) -> list[list[object]]:
    """Every row of one sheet; a sheet calamine cannot read (damaged XML, missing part) refuses the file."""
    try:
        return workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types (XmlError, ZipError...)
        why = "its part is missing from the file" if type(exc).__name__ == "WorksheetNotFound" else first_line(exc)
        raise InputFileError(path, f"the sheet cannot be read: {why}.",
                             "The file is damaged: open it in Excel and save it again as .xlsx, or export the "
                             "sheet as CSV.", sheet=sheet) from exc


def _read_sheets(con: duckdb.DuckDBPyConnection, path: Path, tables: Sequence[tuple[str, Sequence[Sequence[object]] | None]],
                 mapping: Mapping | None, check_required: bool, min_fields: int,
                 ) -> tuple[SourceInfo, InputFileError | None]:
    info = SourceInfo(path, "xlsx")
    empty_stage(con)
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
            first_error = first_error or no_header_error(path, rows[0], sheet)
            continue
        missing = missing_required(header)
        if missing and check_required:
            try:
                require_columns(path, header, sheet)
            except InputFileError as err:
                info.skipped_sheets.append(f"{sheet} ({err.problem})")
                first_error = first_error or err
                continue
        info.missing = [c for c in REQUIRED if c in {*info.missing, *missing}]
        start = header.index + 1 + (1 if header.hxl_row else 0)
        stage_block(con, header, list(range(start + 1, len(rows) + 1)), rows[start:], _excel_text, sheet, info)
        info.sheets.append(sheet)
        info.header_rows[sheet] = header.index + 1
        info.hxl_row = info.hxl_row or header.hxl_row
        info.kobo = info.kobo or header.kobo
        info.columns.extend(header.columns)
        for k, v in header.mapping().items():
            info.mapping.setdefault(k, v)
        info.ignored.extend(h for h in header.ignored() if h not in info.ignored)
    return info, first_error
