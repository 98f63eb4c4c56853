"""Mapping files: the few things about a log that names, synonyms and HXL tags cannot tell.

A field office whose export says "Interlocuteur" instead of "counterpart", "OK" instead of
"granted", or whose dates are month-first, writes it down once in a small TOML file kept *with the
data*, so the next person (or the next export) reads the file the same way:

- ``<file stem>.mapping.toml`` beside one file (``log_2025-03.xlsx`` -> ``log_2025-03.mapping.toml``),
  which wins over
- ``mapping.toml`` in the file's folder, for every file of the folder or only those matching its
  ``files`` globs (one mapping for all the monthly exports of a Kobo form).

The file is checked in full before anything is read: a typo in a column name or a value mapped to
a code that does not exist would otherwise load wrong data quietly. A bad mapping file refuses
the data file it applies to with :class:`~etl.errors.InputFileError` naming the mapping file, the
line and the fix. The format is documented in docs/log-format.md (generated from
:data:`FORMAT_DOC`).
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from etl.errors import InputFileError
from etl.geo.countries import country_iso3
from etl.logs.columns import COLUMN_NAMES, COLUMNS, MULTI, column_key, hxl_key
from etl.logs.numbers import DECIMALS
from etl.logs.validate import VOCAB_COLUMNS
from etl.vocab import VOCABULARIES, Vocabulary, label_key

FOLDER_MAPPING = "mapping.toml"
SUFFIX = ".mapping.toml"
IGNORE = "ignore"
DATE_ORDERS = ("day_first", "month_first")
TOP_LEVEL_KEYS = ("files", "sheets", "date_order", "decimal", "ignore", "columns", "values")
# Multi-valued columns: a value mapping applies to each label of the cell, not the whole cell.
MULTI_VALUED: dict[str, Vocabulary] = {c.name: VOCABULARIES[c.vocab] for c in COLUMNS if c.type == MULTI and c.vocab}

FORMAT_DOC = """
## Mapping files
What names, synonyms and HXL tags cannot tell goes in a small TOML file kept **with the data**:
`<file name without extension>.mapping.toml` beside the file (`march.xlsx` -> `march.mapping.toml`),
or `mapping.toml` in the file's folder for all its files (or those matching `files`). A file's own
mapping wins over the folder's. `python -m etl inspect FILE --write-mapping` writes one to start
from, listing the columns it could not match.

```toml
files = ["kobo_*.xlsx"]          # folder mapping.toml only: the files it applies to (default: all)
sheets = ["Log"]                 # XLSX: the sheets to read (default: every sheet with a log header)
date_order = "month_first"       # how to read 03/05/2025: "day_first" or "month_first"
decimal = ","                    # the decimal separator: "," (12.500 is 12500) or "." (12.500 is 12.5)
ignore = ["Region", "#meta+id"]  # columns never read, by header or HXL tag

[columns]                        # header as written (or HXL tag) = log column, or "ignore"
"Interlocuteur principal" = "counterpart"
"#x_result" = "outcome"
"_submission_time" = "date"      # only if the form has no date question of its own

[values.outcome]                 # value as written (any case, accents) = code or label
"OK" = "granted"
"refusé" = "denied"

[values.obstacles]               # in multi-valued columns, each label is mapped
"other" = "ignore"               # "ignore" drops the label (or, elsewhere, empties the cell)
```

`decimal` says how to read a number with one separator followed by exactly three digits
(`12.500`, `12,500`): with `decimal = ","` the separator groups thousands in `12.500` and is the
decimal one in `12,500`; with `decimal = "."` the other way round. Without it the file's own values
decide when they show one convention (`1.234,5` or `12,5`: decimal comma; `1,234.5` or `12.85`:
decimal point); when they show none, or both, such a value rejects its row (`ambiguous_number`).
`python -m etl load --decimal comma` (or `point`) declares it for one load and wins over the file.

Columns named in the mapping file win over names, synonyms and HXL tags. Values of the
categorical columns must map to a code (or label) of their vocabulary, countries to a country
the loader knows. A mapping file with a TOML syntax error, an unknown setting or log column, or a
value mapped to an unknown code refuses the files it applies to with a message naming the mapping
file, the line and the fix; nothing loads from them. The mapping file used is recorded in
`loads.mapping_file`, and a changed mapping file lets an already loaded file be read again (rows
already loaded are skipped as duplicates).
"""


@dataclass
class Mapping:
    """A parsed, checked mapping file.

    :param path: the mapping file.
    :param columns: normalised header (see :func:`header_key`) or HXL key -> log column or "ignore".
    :param values: log column -> ``label_key`` of a raw value -> replacement ("ignore" drops it).
    """

    path: Path
    columns: dict[str, str] = field(default_factory=dict)
    ignore: set[str] = field(default_factory=set)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    date_order: str | None = None
    decimal: str | None = None  # "." or "," (etl.logs.numbers)
    sheets: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    sha256: str = ""

    def column_for(self, header: str, tag: str = "") -> str | None:
        """The log column (or "ignore") the mapping file gives a source column, else None.

        A header is looked up whole (group path included), then by its last path part; an HXL
        tag by its canonical form.
        """
        for key in _candidate_keys(header, tag):
            if key in self.ignore:
                return IGNORE
            if key in self.columns:
                return self.columns[key]
        return None


def header_key(header: str) -> str:
    """A header normalised whole, group path kept: case, accents and punctuation do not matter.

    >>> header_key("Request/Date of Request")
    'request_date_of_request'
    """
    text = unicodedata.normalize("NFKD", str(header)).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


def _candidate_keys(header: str, tag: str) -> list[str]:
    keys = []
    if header.strip():
        keys += [header_key(header), column_key(header)]
    if tag.strip().startswith("#"):
        keys.append(hxl_key(tag))
    return [k for k in keys if k]


def _source_key(text: str) -> str:
    return hxl_key(text) if text.strip().startswith("#") else header_key(text)


def find_mapping_file(data_file: Path, feed_columns: Collection[str] = ()) -> Path | None:
    """The mapping file that applies to a data file, or None (a folder mapping is parsed for its globs)."""
    beside = data_file.with_name(data_file.stem + SUFFIX)
    try:
        if beside.is_file():
            return beside
    except OSError:  # a data file's name so long that no mapping file can sit beside it under that name
        pass
    folder = data_file.parent / FOLDER_MAPPING
    if folder.is_file():
        mapping = read_mapping(folder, data_file, feed_columns)
        if not mapping.files or any(fnmatch.fnmatch(data_file.name, g) for g in mapping.files):
            return folder
    return None


def content_sha256(file_sha256: str, mapping: Mapping | None) -> str:
    """The key that tells "already loaded": the file's hash, or the hash of file and mapping together.

    A corrected mapping file must let the same data file be read again (rows loaded the first
    time are then skipped as duplicates), so the mapping is part of what was loaded.

    >>> content_sha256("ab" * 32, None) == "ab" * 32
    True
    """
    if mapping is None:
        return file_sha256
    return hashlib.sha256(f"{file_sha256}+{mapping.sha256}".encode()).hexdigest()


def find_mapping(data_file: Path, feed_columns: Collection[str] = ()) -> Mapping | None:
    """The checked mapping for a data file, or None. Raises InputFileError for a bad mapping file.

    :param feed_columns: for a public feed (:mod:`etl.feeds.recognise`), the documented column names a
        mapping may also name (``"Perp." = "Reported Perpetrator"``), besides the log columns.
    """
    path = find_mapping_file(data_file, feed_columns)
    return read_mapping(path, data_file, feed_columns) if path else None


# ------------------------------------------------------------------------------------ parsing


class _Problem(Exception):
    """A mistake in a mapping file; ``needles`` are texts that find its line."""

    def __init__(self, where: str, problem: str, fix: str, needles: tuple[str, ...] = ()) -> None:
        super().__init__(problem)
        self.where, self.problem, self.fix = where, problem, fix
        self.needles = needles or (where,)


def _line_of(text: str, *needles: str) -> int | None:
    """Line number (1-based) of the first line showing all needles (a key and its value)."""
    for number, line in enumerate(text.splitlines(), 1):
        if all(n in line for n in needles):
            return number
    return None


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"Did you mean '{close[0]}'? " if close else ""


def _strings(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _Problem(where, f"'{where}' must be a text or a list of texts.", f'Write e.g. {where} = ["..."].')


def _check_value(column: str, raw: str, target: str) -> str:
    """The stored replacement for one value mapping, or _Problem when the target is unknown."""
    where = f'values.{column}."{raw}"'
    if target == IGNORE:
        return IGNORE
    vocab = MULTI_VALUED.get(column) or (VOCAB_COLUMNS[column][0] if column in VOCAB_COLUMNS else None)
    if vocab is not None:
        code = vocab.lookup(target)
        if code is None:
            raise _Problem(where, f"'{target}' is not a known {vocab.name.replace('_', ' ')} code.",
                           f"{_suggest(target, vocab.codes)}Use one of: {', '.join(vocab.codes)} (or \"ignore\").",
                           (raw, target))
        return code
    if column == "country":
        iso3 = country_iso3(target)
        if iso3 is None:
            raise _Problem(where, f"'{target}' is not a country name or ISO code.",
                           "Write the ISO3 code, e.g. \"SDN\".", (raw, target))
        return iso3
    return target


def _parse(doc: dict[str, object], path: Path, feed_columns: Collection[str] = ()) -> Mapping:
    mapping = Mapping(path)
    feed_keys = {label_key(c) for c in feed_columns}
    for key in doc:
        if key not in TOP_LEVEL_KEYS:
            raise _Problem(key, f"unknown setting '{key}'.",
                           f"{_suggest(key, list(TOP_LEVEL_KEYS))}The settings are: {', '.join(TOP_LEVEL_KEYS)}.")
    if "files" in doc:
        mapping.files = _strings(doc["files"], "files")
    if "sheets" in doc:
        mapping.sheets = _strings(doc["sheets"], "sheets")
    if "ignore" in doc:
        mapping.ignore = {_source_key(v) for v in _strings(doc["ignore"], "ignore")}
    if "decimal" in doc:
        if doc["decimal"] not in DECIMALS:
            raise _Problem("decimal", f"decimal {doc['decimal']!r} is not a decimal separator.",
                           'Write decimal = "," (12,5 is twelve and a half; 12.500 is twelve thousand five hundred) '
                           'or decimal = ".".')
        mapping.decimal = str(doc["decimal"])
    if "date_order" in doc:
        order = doc["date_order"]
        if order not in DATE_ORDERS:
            raise _Problem("date_order", f"date_order '{order}' is not known.", 'Write "day_first" or "month_first".')
        mapping.date_order = str(order)
    columns = doc.get("columns", {})
    if not isinstance(columns, dict):
        raise _Problem("columns", "'columns' must be a table.", 'Write [columns] then lines like "Header" = "date".')
    for source, target in columns.items():
        where = f'columns."{source}"'
        if not isinstance(target, str):
            raise _Problem(where, f"the log column for '{source}' must be a text.", f'Write "{source}" = "date".',
                           (source,))
        if target not in COLUMN_NAMES and target != IGNORE and label_key(target) not in feed_keys:
            raise _Problem(where, f"'{target}' is not a log column{' or a feed column' if feed_keys else ''}.",
                           f"{_suggest(target, list(COLUMN_NAMES))}Use one of the columns in docs/log-format.md "
                           "or \"ignore\".", (source, target))
        mapping.columns[_source_key(source)] = target
    values = doc.get("values", {})
    if not isinstance(values, dict):
        raise _Problem("values", "'values' must be a table of tables.", 'Write [values.outcome] then "OK" = "granted".')
    for column, table in values.items():
        if column not in COLUMN_NAMES:
            raise _Problem(f"values.{column}", f"'{column}' is not a log column.",
                           f"{_suggest(column, list(COLUMN_NAMES))}Write [values.<log column>], e.g. [values.outcome].",
                           (f"values.{column}",))
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise _Problem(f"values.{column}", f"[values.{column}] must map texts to texts.",
                           'Write lines like "OK" = "granted".')
        mapping.values[column] = {label_key(raw): _check_value(column, raw, target) for raw, target in table.items()}
    return mapping


def read_mapping(path: Path, data_file: Path | None = None, feed_columns: Collection[str] = ()) -> Mapping:
    """Parse and check a mapping file.

    >>> read_mapping(Path("logs/mapping.toml"))  # doctest: +SKIP
    Mapping(path=PosixPath('logs/mapping.toml'), columns={'interlocuteur': 'counterpart'}, ...)

    :param path: the TOML file.
    :param data_file: the data file it is read for (named in the message when it is bad).
    :param feed_columns: documented feed column names a column may also be mapped to (see :func:`find_mapping`).
    :raises InputFileError: TOML syntax error, unknown setting, log column or code.
    """
    for_file = f" (mapping for {data_file.name})" if data_file else ""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
        doc = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise InputFileError(path, f"the mapping file is not UTF-8 text{for_file}.", "Save it as UTF-8.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(path, f"not valid TOML{for_file}: {exc}.",  # exc says "(at line N, column M)"
                             'Fix that line: put headers and values in double quotes, e.g. "Interlocuteur" = '
                             '"counterpart", one per line.') from exc
    except OSError as exc:
        raise InputFileError(path, f"the mapping file cannot be read{for_file}: {exc.strerror}.",
                             "Check the file's permissions.") from exc
    try:
        mapping = _parse(doc, path, feed_columns)
    except _Problem as p:
        line = _line_of(text, *p.needles)
        at = f"line {line}, " if line else ""
        err = InputFileError(path, f"{at}{p.where}: {p.problem.rstrip('.')}{for_file}.", p.fix)
        err.row, err.column = line, p.where  # kept as attributes; the message already says "line N"
        raise err from None
    mapping.sha256 = hashlib.sha256(raw).hexdigest()
    return mapping
