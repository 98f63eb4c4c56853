"""``python -m etl inspect FILE``: how a log file would be read, before loading it.

A field office's first export rarely maps cleanly. Instead of a refused load, ``inspect`` shows
what the loader found (format, encoding, sheets, header and HXL rows), each column with the log
column it feeds and why (name, synonym, HXL tag, mapping file, Kobo option or GPS column), a few
values, the values that would not be understood (outcomes outside the vocabulary, dates that do
not parse...), the columns nothing matched and the required columns missing. With
``--write-mapping`` it writes a mapping file skeleton beside the data for the user to complete.

It reads the file into an in-memory DuckDB and never opens the database.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from etl.config import get_settings
from etl.errors import InputFileError
from etl.geo.countries import country_iso3
from etl.logs.columns import BY_NAME, COLUMN_NAMES, MULTI_SEPARATORS
from etl.logs.mapping import MULTI_VALUED, SUFFIX, read_mapping
from etl.logs.numbers import coordinate_value, detect_convention, parse_number, read_with
from etl.logs.readers import ColumnRead, SourceInfo, read_file
from etl.logs.validate import DATE_COLUMNS, NUMBER_COLUMNS, VOCAB_COLUMNS, infer_day_first, parse_date
from etl.vocab import CONDITIONS

MAX_SHOWN = 6


@dataclass
class Problem:
    """Values of one log column that the loader would not understand."""

    column: str
    values: list[tuple[str, int]]  # (value, rows)
    why: str
    rows: int = 0


@dataclass
class Report:
    info: SourceInfo
    rows_by_sheet: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    day_first: bool = True
    decimal: str | None = None  # the decimal separator, as declared or shown by the values

    @property
    def unmatched(self) -> list[ColumnRead]:
        return [c for c in self.info.columns if c.how == "unmatched"]

    @property
    def fully_mapped(self) -> bool:
        return not self.unmatched and not self.info.missing and not self.problems


def _distinct_counts(con: duckdb.DuckDBPyConnection, column: str) -> list[tuple[str, int]]:
    return con.execute(  # column names come from etl.logs.columns, never from the file
        f"SELECT {column}, count(*) FROM stage_raw WHERE {column} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1"  # noqa: S608
    ).fetchall()


def _check_values(con: duckdb.DuckDBPyConnection, report: Report) -> None:
    """Run the loader's value rules on the distinct values of each read column."""
    present = {c.field for c in report.info.columns if c.field}
    present |= {"longitude"} if "latitude" in present else set()
    dates = [v for c in DATE_COLUMNS if c in present for v, _ in _distinct_counts(con, c)]
    report.day_first = infer_day_first(dates, get_settings().day_first)
    if report.info.date_order:
        report.day_first = report.info.date_order == "day_first"

    numbers = [(c, v) for c in (*NUMBER_COLUMNS, "latitude", "longitude") if c in present
               for v, _ in _distinct_counts(con, c)]
    convention = detect_convention(numbers, report.info.decimal, report.info.decimal_by)
    report.decimal = convention.decimal
    if report.info.decimal or any(parse_number(v).problem == "ambiguous_number" for c, v in numbers
                                  if c in NUMBER_COLUMNS):
        report.notes.append(convention.note())

    def add(column: str, bad: list[tuple[str, int]], why: str) -> None:
        if bad:
            report.problems.append(Problem(column, bad, why, sum(n for _, n in bad)))

    for column in COLUMN_NAMES:
        if column not in present:
            continue
        values = _distinct_counts(con, column)
        if column in VOCAB_COLUMNS:
            vocab = VOCAB_COLUMNS[column][0]
            add(column, [(v, n) for v, n in values if vocab.lookup(v) is None],
                f"not a known {vocab.name.replace('_', ' ')}; known: {', '.join(vocab.codes)}")
        elif column in MULTI_VALUED:
            vocab = MULTI_VALUED[column]
            labels: dict[str, int] = {}
            for cell, n in values:
                for label in MULTI_SEPARATORS.split(cell):
                    if label.strip() and vocab.lookup(label.strip()) is None:
                        labels[label.strip()] = labels.get(label.strip(), 0) + n
            unknown = sorted(labels.items(), key=lambda x: (-x[1], x[0]))
            if vocab is CONDITIONS:
                if unknown:
                    report.notes.append(f"conditions: {len(unknown)} label(s) not in the list are kept as 'other' "
                                        f"with their text: {', '.join(repr(v) for v, _ in unknown[:MAX_SHOWN])}")
            else:
                add(column, unknown, "not an access-constraint category or sub-type (see docs/log-format.md)")
        elif column in DATE_COLUMNS:
            add(column, [(v, n) for v, n in values if parse_date(v, report.day_first).value is None],
                "not a date (or not a real calendar date)")
        elif column == "country":
            add(column, [(v, n) for v, n in values if country_iso3(v) is None], "not a country name or ISO code")
        elif column in NUMBER_COLUMNS:
            reads = [(v, n, read_with(convention, v)) for v, n in values]
            add(column, [(v, n) for v, n, r in reads if r.problem == "bad_number"], "not a number")
            add(column, [(v, n) for v, n, r in reads if r.problem == "ambiguous_number"],
                "can be read two ways (12.500: twelve thousand five hundred, or twelve and a half); "
                'declare decimal = "," or "." in the mapping file')
            if "not_whole_number" in BY_NAME[column].reasons:
                add(column, [(v, n) for v, n, r in reads if r.value is not None and not r.value.is_integer()],
                    "not a whole number")
        elif column in ("latitude", "longitude"):
            add(column, [(v, n) for v, n in values if coordinate_value(v) is None], "not decimal degrees")


def inspect_file(path: Path, encoding: str | None = None, decimal: str | None = None) -> Report:
    """Read a file the way ``load`` would, without the database, and judge what was read.

    >>> report = inspect_file(Path("logs/kobo.xlsx"))  # doctest: +SKIP
    >>> [c.header for c in report.unmatched]  # doctest: +SKIP
    ['Nom du checkpoint']

    :raises InputFileError: the file (or its mapping file) cannot be read at all.
    """
    con = duckdb.connect()  # in memory: inspect never touches the database
    try:
        info = read_file(con, path, encoding, check_required=False, decimal=decimal)
        report = Report(info)
        report.rows_by_sheet = {s or "": n for s, n in con.execute(
            "SELECT _sheet, count(*) FROM stage_raw GROUP BY 1 ORDER BY 1").fetchall()}
        _check_values(con, report)
    finally:
        con.close()
    return report


# ------------------------------------------------------------------------------- rendering


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def render(report: Report) -> str:
    """The report as text for a terminal."""
    info = report.info
    out: list[str] = [f"File: {info.path}", "Looks like: a negotiation log"]
    fmt = info.file_format + (f", encoding {info.encoding}" if info.encoding else "")
    out.append(f"Format: {fmt}" + ("; a KoboToolbox/ODK export" if info.kobo else ""))
    for sheet, row in info.header_rows.items():
        where = f"sheet '{sheet}': " if sheet else ""
        out.append(f"{where}header on row {row}" + (", HXL hashtag row under it" if info.hxl_row else "")
                   + f"; {report.rows_by_sheet.get(sheet, 0):,} data rows")
    for skipped in info.skipped_sheets:
        out.append(f"sheet not read: {skipped}")
    out.append(f"Mapping file: {info.mapping_file}" if info.mapping_file else
               "Mapping file: none (--write-mapping writes one to start from)")
    out.append("")
    out.append(f"{'#':>3}  {'column':<34} {'read as':<18} {'how':<14} sample values")
    for c in info.columns:
        target = c.field or "-"
        if c.how == "GPS point":
            target = "latitude+longitude"
        sheet = f"[{c.sheet}] " if c.sheet and len(info.header_rows) > 1 else ""
        how = c.how
        samples = ", ".join(repr(s[:24]) for s in c.samples) or "(blank)"
        out.append(f"{c.position + 1:>3}  {(sheet + c.label)[:34]:<34} {target:<18} {how:<14} {samples}")
        if c.tag and c.how != "HXL tag":
            out[-1] += f"  [{c.tag}]"
    out.append("")
    if report.unmatched:
        out.append(f"Unmatched columns ({len(report.unmatched)}, not read): "
                   + ", ".join(repr(c.label) for c in report.unmatched))
    if info.missing:
        out.append(f"Required columns missing: {', '.join(info.missing)}. The file cannot load until each is "
                   "named in a mapping file ([columns]) or the export has them.")
    explained = [f"'{c.label}' ({c.how}): {c.note}" for c in info.columns
                 if c.note and c.how not in ("GPS point", "option")]
    for note in [*info.notes, *explained, *report.notes]:
        out.append(f"Note: {note}")
    if report.problems:
        out.append("Values that would not be understood (those rows would be rejected):")
        for p in report.problems:
            shown = ", ".join(f"{v!r} ({n:,} row{'s' if n != 1 else ''})" for v, n in p.values[:MAX_SHOWN])
            more = f" and {len(p.values) - MAX_SHOWN} more" if len(p.values) > MAX_SHOWN else ""
            out.append(f"  {p.column}: {shown}{more}: {p.why}.")
    out.append("")
    if report.fully_mapped:
        out.append("Every column is accounted for and every value checked would be understood.")
    else:
        out.append("To fix: name columns and values in a mapping file kept with the data "
                   f"({info.path.stem}{SUFFIX}); see docs/log-format.md, 'Mapping files'.")
    return "\n".join(out)


def skeleton(report: Report) -> str:
    """A mapping file to start from: unmatched columns set to "ignore", the rest as comments."""
    info = report.info
    order = "day_first" if report.day_first else "month_first"
    lines = [
        f"# Mapping for {info.path.name}, written by `python -m etl inspect` on {dt.date.today().isoformat()}.",
        "# Kept beside the file, `python -m etl load` applies it. Format: docs/log-format.md, 'Mapping files'.",
        f"# date_order = {_q(order)}   # read from the values; uncomment to force (or \"month_first\")",
        f"# decimal = {_q(report.decimal or ',')}   # the decimal separator (\",\": 12.500 is 12500; \".\": 12.5); "
        + ("read from the values" if report.decimal else "not shown by the values"),
    ]
    if info.sheets:
        lines.append(f"# sheets = [{', '.join(_q(s) for s in info.sheets)}]")
    lines += ["", "[columns]"]
    if info.missing:
        lines.append(f"# Required columns not found: {', '.join(info.missing)}. Map a column below to each.")
    if report.unmatched:
        lines.append("# Not recognised: replace \"ignore\" by the log column each one holds.")
        lines.append(f"# Log columns: {', '.join(COLUMN_NAMES)}.")
    seen: set[str] = set()
    for c in report.unmatched:
        key = c.header or c.tag
        if key in seen:
            continue
        seen.add(key)
        samples = ", ".join(c.samples) or "blank"
        lines.append(f"{_q(key)} = \"ignore\"   # e.g. {samples[:60]}")
    recognised = [c for c in info.columns if c.field and c.how not in ("option",)]
    if recognised:
        lines.append("# Recognised (uncomment a line to change it):")
        for c in recognised:
            key = c.header or c.tag
            if key in seen:
                continue
            seen.add(key)
            lines.append(f"# {_q(key)} = {_q(c.field or '')}   # {c.how}")
    for p in report.problems:
        if p.column not in VOCAB_COLUMNS and p.column not in MULTI_VALUED and p.column != "country":
            continue
        vocab = MULTI_VALUED.get(p.column) or (VOCAB_COLUMNS[p.column][0] if p.column in VOCAB_COLUMNS else None)
        known = f"codes: {', '.join(vocab.codes)}" if vocab else "an ISO3 code"
        lines += ["", f"[values.{p.column}]", f"# Give each value a code ({known}), or \"ignore\"; then uncomment."]
        for value, n in p.values[:40]:
            lines.append(f"# {_q(value)} = \"\"   # {n:,} row(s)")
    return "\n".join(lines) + "\n"


def default_mapping_path(path: Path) -> Path:
    return path.with_name(path.stem + SUFFIX)


def write_skeleton(report: Report, target: Path) -> Path:
    """Write the skeleton, refusing to overwrite a file someone may have edited."""
    if target.exists():
        raise InputFileError(target, "already exists; inspect does not overwrite a mapping file.",
                             "Edit it, or give another path: --write-mapping other.mapping.toml.")
    text = skeleton(report)
    target.write_text(text, encoding="utf-8")
    read_mapping(target, report.info.path)  # the skeleton must itself be a valid mapping file
    return target

