"""After staging: rewrite values as the mapping file says, and describe how the columns were read."""

from __future__ import annotations

import duckdb
import pandas as pd

from etl.logs.columns import MULTI_SEPARATORS
from etl.logs.mapping import IGNORE, MULTI_VALUED, Mapping
from etl.logs.readers.header import SourceInfo
from etl.logs.readers.kobo import split_kobo_cell
from etl.logs.validate import DATE_COLUMNS, parse_date
from etl.vocab import label_key

_NUMERIC_DATE = r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$"  # the only dates whose order is ambiguous


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
            labels = split_kobo_cell(cell, vocab.lookup) if info.kobo else \
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
