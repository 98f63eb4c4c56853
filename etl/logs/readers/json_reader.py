"""JSON logs: an array of objects (or a Kobo API answer holding one under ``results``/``data``...)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from etl.errors import InputFileError
from etl.logs.mapping import Mapping
from etl.logs.numbers import typed_number_text
from etl.logs.readers.header import (
    SAMPLE_ROWS,
    SourceInfo,
    find_header,
    missing_required,
    no_header_error,
    require_columns,
)
from etl.logs.readers.staging import empty_stage, stage_block


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):  # a typed number: written so that no decimal convention applies to it
        return typed_number_text(value)
    if isinstance(value, list) and not value:
        return None
    if isinstance(value, dict | list):
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return "; ".join(value)  # select-multiple answers as a list
        return json.dumps(value, ensure_ascii=False)
    text = str(value).strip()
    return text or None


def _lone_surrogate(value: object) -> str | None:
    """The first string in ``value`` (or nested in it) holding a lone surrogate such as '\\ud800', or None."""
    if isinstance(value, str):
        return value if not value.isascii() and any("\ud800" <= ch <= "\udfff" for ch in value) else None
    if isinstance(value, dict):
        return next((x for k, v in value.items() for x in (_lone_surrogate(k), _lone_surrogate(v)) if x), None)
    if isinstance(value, list):
        return next((x for v in value if (x := _lone_surrogate(v))), None)
    return None


def _refuse_lone_surrogates(path: Path, doc: object) -> None:
    """Refuse a JSON whose text has an escape such as \\ud800 that stands for no character (cut in an emoji)."""
    records = doc if isinstance(doc, list) else [doc]
    for number, record in enumerate(records, 1):
        bad = _lone_surrogate(record)
        if bad is not None:
            shown = bad.encode("ascii", "backslashreplace").decode("ascii")[:80]
            raise InputFileError(path, f"the text '{shown}' holds a \\u escape that stands for no character (half "
                                 "of a UTF-16 pair, often an emoji cut in two).",
                                 "Correct or delete that text in the source and export again.",
                                 row=number if isinstance(doc, list) else None)


def read_json(con: duckdb.DuckDBPyConnection, path: Path, mapping: Mapping | None = None,
              check_required: bool = True) -> SourceInfo:
    try:
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
        doc = json.loads(text)
    except UnicodeDecodeError as exc:
        raise InputFileError(path, "the JSON file is not UTF-8 text.", "Save it as UTF-8.") from exc
    except json.JSONDecodeError as exc:
        raise InputFileError(path, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).",
                             "Check the export finished; a JSON log is an array of objects, one per engagement.",
                             row=exc.lineno) from exc
    except RecursionError as exc:
        raise _too_deep(path) from exc
    except ValueError as exc:  # a number of more than 4,300 digits
        raise InputFileError(path, f"the JSON holds a value that cannot be read ({exc}).",
                             "Correct that value in the source and export again.") from exc
    try:
        if "\\u" in text:  # only an escape can make a lone UTF-16 surrogate, which no text can store
            _refuse_lone_surrogates(path, doc)
        return _stage_doc(con, path, doc, mapping, check_required)
    except RecursionError as exc:  # a cell holding lists in lists, written back as JSON text
        raise _too_deep(path) from exc


def _too_deep(path: Path) -> InputFileError:
    return InputFileError(path, "the JSON is nested too deeply to read (lists or objects inside each other "
                          "hundreds of times).", "A JSON log is an array with one flat object per engagement; "
                          "export it again from the form or database.")


def _stage_doc(con: duckdb.DuckDBPyConnection, path: Path, doc: object, mapping: Mapping | None,
               check_required: bool) -> SourceInfo:
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
        raise no_header_error(path, headers)
    info = SourceInfo(path, "json", "utf-8")
    if check_required:
        require_columns(path, header)
    else:
        info.missing = missing_required(header)
    empty_stage(con)
    stage_block(con, header, list(range(1, len(doc) + 1)), cells, _json_text, None, info)
    info.mapping, info.ignored, info.columns = header.mapping(), header.ignored(), header.columns
    info.header_rows, info.kobo = {"": 1}, header.kobo
    return info
