"""Find the header row of a table and recognise its columns: the *plan* every reader stages by.

For each log column the plan lists the source columns that feed it, in order (see the package
docstring, :mod:`etl.logs.readers`). Nothing here reads a file or touches the database.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from etl.errors import InputFileError
from etl.logs.columns import REQUIRED, column_key, looks_like_hxl_row, match_column, match_hxl
from etl.logs.mapping import IGNORE, MULTI_VALUED, Mapping
from etl.logs.readers.kobo import (
    GEOPOINT_NAMES,
    GPS_PART,
    KOBO_MARKERS,
    KOBO_META,
    is_bool_column,
    is_geopoint_column,
    option_label,
)

HEADER_SEARCH_ROWS = 15
SAMPLE_ROWS = 200  # rows under the header looked at to recognise option and GPS columns by their values
LOG_FORMAT_HINT = "See docs/log-format.md for the accepted column names."
INSPECT_HINT = "Run `python -m etl inspect FILE` to see how each column is read and write a mapping file."


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
    decimal: str | None = None  # "." or ",": declared by --decimal or the mapping file (see etl.logs.numbers)
    decimal_by: str = ""  # which of the two declared it, for the load summary
    missing: list[str] = field(default_factory=list)  # required columns not found (inspect only)


@dataclass(frozen=True)
class Src:
    kind: str  # col | option | geo
    position: int
    label: str = ""  # option label, or 'lat' / 'lon' for a geopoint part
    rank: int = 1  # 0: named by the mapping file, read before everything else


@dataclass
class Header:
    index: int  # 0-based index of the header row in the rows scanned
    hxl_row: bool  # an HXL hashtag row follows the header
    columns: list[ColumnRead]
    sources: dict[str, list[Src]]
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


def cell_text(value: object) -> str:
    return "" if value is None else str(value).strip()



def _classify(name: str, tag: str, values: list[str], mapping: Mapping | None, kobo: bool,
              has_uuid: bool) -> tuple[str | None, str, str, Src | None]:
    """(log column, how, note, source kind) for one source column; the position is filled in later."""
    if mapping is not None:
        target = mapping.column_for(name, tag)
        if target == IGNORE:
            return None, "ignored by the mapping file", "", None
        if target is not None:
            if target in MULTI_VALUED and "/" in name and is_bool_column(values):
                return target, "mapping file", "option column", Src("option", 0, option_label(name), 0)
            return target, "mapping file", "", Src("col", 0, rank=0)
    raw = name.strip().lower()
    if kobo and raw in KOBO_META and raw != "_uuid":
        if raw != "_id" or has_uuid:  # without _uuid, Kobo's numeric _id is the best id there is
            note = ("when the form was sent, not the engagement date; map it to date in a mapping file if "
                    "the form has no date question") if raw.endswith("_submission_time") else ""
            return None, "Kobo metadata", note, None
    if "/" in name:  # select-multiple option column: question/option
        prefix = name.rsplit("/", 1)[0]
        question = (mapping.column_for(prefix) if mapping else None) or match_column(prefix)
        if question in MULTI_VALUED and is_bool_column(values):
            return question, "option", "ticked options become labels", Src("option", 0, option_label(name))
    key = column_key(name) if name else ""
    canonical = match_column(name) if name else None
    if canonical in (None, "location") and name:
        # A Kobo geopoint: by its name, or by values that can only be one (a question named
        # "location" holding "12.85 44.98 0 5" is a GPS point, not a place name).
        named = key in GEOPOINT_NAMES
        if (named or any(values)) and is_geopoint_column(values, named):
            return "latitude", "GPS point", "latitude and longitude from 'lat lon alt precision'", Src("geo", 0)
    if canonical is not None:
        return canonical, "name" if key == canonical else "synonym", "", Src("col", 0)
    if m := GPS_PART.match(key):
        if m.group(2) in ("latitude", "longitude"):
            return m.group(2), "GPS part", "", Src("col", 0)
        return None, "GPS part", f"GPS {m.group(2)}, not used", None
    if tag and (canonical := match_hxl(tag)) is not None:
        return canonical, "HXL tag", "", Src("col", 0)
    return None, "unmatched", "", None




def _plan(names: list[str], tags: list[str], samples: list[list[str]], mapping: Mapping | None,
          sheet: str | None = None) -> Header:
    lowered = {n.strip().lower() for n in names}
    kobo = bool(lowered & KOBO_MARKERS)
    has_uuid = "_uuid" in lowered
    columns: list[ColumnRead] = []
    sources: dict[str, list[Src]] = {}
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
            sources.setdefault("latitude", []).append(Src("geo", pos, "lat", 2))
            sources.setdefault("longitude", []).append(Src("geo", pos, "lon", 2))
        else:
            sources.setdefault(canonical, []).append(Src(src.kind, pos, src.label, src.rank))
    for name_, srcs in sources.items():
        # Mapping file first, then option columns (they say more than the combined cell), then the rest
        # left to right; geopoint parts last, as a fallback for separate latitude/longitude columns.
        srcs.sort(key=lambda s: (s.rank, s.kind != "option", s.position))
        if any(s.kind == "option" for s in srcs):
            for c in columns:
                if c.field == name_ and c.how not in ("option",) and c.note != "option column":
                    c.note = "read only in rows where no option column is ticked"
    return Header(0, False, columns, sources, kobo)


def _as_text_rows(rows: Sequence[Sequence[object]]) -> list[list[str]]:
    return [[cell_text(v) for v in r] for r in rows]


def find_header(rows: Sequence[Sequence[object]], mapping: Mapping | None = None, min_fields: int = 2,
                search_rows: int = HEADER_SEARCH_ROWS, sheet: str | None = None) -> Header | None:
    """Find the header row among the first rows of a table (title rows above it are allowed).

    A row is the header when at least ``min_fields`` of its cells name known log columns,
    directly, through the mapping file or through the HXL hashtag row right under it. The row
    naming the most log columns wins.
    """
    text = _as_text_rows(rows[: search_rows + SAMPLE_ROWS + 2])
    best: Header | None = None
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


def _shown(text: str, limit: int = 60) -> str:
    """A header as a message quotes it: a very long one (a whole line read as one cell) is cut."""
    return text if len(text) <= limit else text[:limit] + "..."


def missing_required(header: Header) -> list[str]:
    present = set(header.sources)
    if "country" not in present and "admin1_pcode" in present:
        present.add("country")  # the country can come from the P-code
    return [c for c in REQUIRED if c not in present]


def require_columns(path: Path, header: Header, sheet: str | None = None) -> None:
    missing = missing_required(header)
    if missing:
        found = ", ".join(_shown(h) for h in header.mapping()) or "none"
        unmatched = [_shown(c.label) for c in header.columns if c.how == "unmatched"]
        more = f"; not recognised: {', '.join(unmatched[:8])}" if unmatched else ""
        raise InputFileError(
            path,
            f"required column(s) missing: {', '.join(missing)} (recognised: {found}{more}).",
            f"Add or rename the columns, or name them in a mapping file. {INSPECT_HINT}",
            sheet=sheet,
        )


def no_header_error(path: Path, first_row: Sequence[object], sheet: str | None = None) -> InputFileError:
    shown = ", ".join(repr(_shown(cell_text(v))) for v in list(first_row)[:8] if cell_text(v)) or "nothing"
    return InputFileError(
        path,
        f"no header row with log columns found in the first {HEADER_SEARCH_ROWS} rows (first row has: {shown}).",
        f"The file needs a header row naming at least date, counterpart, activity, outcome and country. "
        f"{LOG_FORMAT_HINT} {INSPECT_HINT}",
        sheet=sheet,
    )
