"""A feed's cells: each as clean text, found by the key of its documented column; counts read strictly."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from etl.logs.numbers import POINT, parse_number
from etl.vocab import label_key

# OOXML escapes a control character in a cell as _xHHHH_ (e.g. _x000D_ for a carriage return);
# calamine leaves the escape in the text, openpyxl decodes it. Decoding here makes both agree.
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
INT_MAX = 2_147_483_647  # the largest value an INTEGER column holds
# Publishers write numbers the English way: "1,234" is 1234 and "12.500" twelve and a half.
FEED_DECIMAL = POINT


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


def read_count(text: str) -> tuple[int | None, str | None]:
    """(count, None), (None, None) for a blank, or (None, reason code) for a value no count can be.

    Whole numbers only, read by the parser the logs use (:func:`etl.logs.numbers.parse_number`) with
    the decimal point ("12", "12.0" from a spreadsheet, "1,234" or "12 500" with thousands
    separators); anything else is turned away with its reason rather than guessed.

    >>> read_count("12"), read_count("12.0"), read_count("1,234"), read_count("")
    ((12, None), (12, None), (1234, None), (None, None))
    >>> read_count("nan"), read_count("inf"), read_count("1e400"), read_count("abc")
    ((None, 'bad_number'), (None, 'bad_number'), (None, 'bad_number'), (None, 'bad_number'))
    >>> read_count("-3"), read_count("2.5"), read_count("3000000000")
    ((None, 'negative_number'), (None, 'not_whole_number'), (None, 'number_too_large'))
    """
    text = text.strip()
    if not text:
        return None, None
    read = parse_number(text, FEED_DECIMAL)
    if read.value is None:
        return None, read.problem or "bad_number"
    if read.value < 0:
        return None, "negative_number"
    if not read.value.is_integer():
        return None, "not_whole_number"
    return (int(read.value), None) if read.value <= INT_MAX else (None, "number_too_large")


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
