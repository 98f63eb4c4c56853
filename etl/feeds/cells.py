"""A feed's cells: each as clean text, found by the key of its documented column."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from etl.vocab import label_key

# OOXML escapes a control character in a cell as _xHHHH_ (e.g. _x000D_ for a carriage return);
# calamine leaves the escape in the text, openpyxl decodes it. Decoding here makes both agree.
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def cell_text(value: object) -> str:
    """A cell as trimmed text, whitespace collapsed; whole floats (Excel numbers) without '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), str(value))
    return re.sub(r"\s+", " ", text).strip()


class Columns:
    """Where each documented column is in one table (found by :mod:`etl.feeds.recognise`), and how
    the table is to be read: its dataset family and date order.

    ``used`` collects header -> what it was read as, for ``loads.column_mapping``.
    """

    def __init__(self, header: list[str], pos: dict[str, int] | None = None, dataset: str | None = None,
                 day_first: bool = True) -> None:
        self.header = header
        if pos is None:  # positions by header key; with duplicate header names the first one wins
            pos = {}
            for i, name in enumerate(header):
                pos.setdefault(label_key(name), i)
        self.pos: dict[str, int] = pos
        self.dataset = dataset
        self.day_first = day_first
        self.used: dict[str, str] = {}

    def get(self, cells: Sequence[object], key: str) -> str:
        i = self.pos.get(key)
        return cell_text(cells[i]) if i is not None and i < len(cells) else ""

    def value(self, cells: Sequence[object], key: str) -> object:
        """The cell as read (a date stays a date), None when the column is absent."""
        i = self.pos.get(key)
        return cells[i] if i is not None and i < len(cells) else None

    def name(self, key: str) -> str:
        i = self.pos.get(key)
        return (self.header[i] or key) if i is not None else key

    def raw_row(self, cells: Sequence[object]) -> dict[str, str]:
        out: dict[str, str] = {}
        for i, name in enumerate(self.header):
            label = name or f"column {i + 1}"
            while label in out:
                label += " (again)"
            out[label] = cell_text(cells[i]) if i < len(cells) else ""
        return out
