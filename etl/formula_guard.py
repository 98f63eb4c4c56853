"""The one guard against spreadsheet formulas in files we write (CSV and Excel downloads, audit exports).

Text from field logs, feeds or user names can start like a formula (``=HYPERLINK(...)``,
``+cmd|...``); Excel and LibreOffice run it when the file is opened ("CSV injection"). Such text is
prefixed with an apostrophe, which spreadsheets read as "this cell is text". Numbers, dates and
other non-text values are left alone.

It lives in ``etl`` because the CLI writes spreadsheets too (``python -m etl audit --csv``); the
dashboard uses it through :mod:`dashboard.ui.exports`. Files written for our own re-import (the
counterpart decisions mirror) and the demo's deliberately dirty logs are not guarded: they must
keep their text exactly.
"""

from __future__ import annotations

import pandas as pd

# Text starting with one of these is run as a formula by Excel and LibreOffice.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(value: object) -> object:
    """``value`` as a spreadsheet will show it, never run it: formula-like text gets a leading apostrophe.

    >>> inert("=1+1"), inert("-2"), inert("ok"), inert(-2)
    ("'=1+1", "'-2", 'ok', -2)
    """
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy for CSV/Excel files in which text a spreadsheet would run as a formula is prefixed
    with an apostrophe, so that a value such as ``=HYPERLINK(...)`` from a field log stays text.

    :param df: the table to write; it is not changed.

    >>> spreadsheet_safe(pd.DataFrame({"a": ["=1+1", "ok"], "n": [-1, 2]})).to_dict("list")
    {'a': ["'=1+1", 'ok'], 'n': [-1, 2]}
    """
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(inert)
    return out
