"""Making downloads safe to open in a spreadsheet."""

from __future__ import annotations

import pandas as pd

# Text starting with one of these is run as a formula by Excel and LibreOffice ("CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy for CSV/Excel downloads in which text a spreadsheet would run as a formula is prefixed
    with an apostrophe, so that a value such as ``=HYPERLINK(...)`` from a field log stays text.

    >>> spreadsheet_safe(pd.DataFrame({"a": ["=1+1", "ok"]}))["a"].tolist()
    ["'=1+1", 'ok']
    """
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str) and v[:1] in _FORMULA_START else v)
    return out
