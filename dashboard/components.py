"""Small UI pieces every page uses: number formats, empty states, downloads, tables."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from dashboard.exports import spreadsheet_safe


def fmt_int(value: object) -> str:
    return "–" if value is None or pd.isna(value) else f"{int(value):,}"


def fmt_pct(value: object, digits: int = 0) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):.{digits}%}"


def fmt_days(value: object) -> str:
    if value is None or pd.isna(value):
        return "–"
    v = float(value)
    return f"{v:.0f} day" + ("" if round(v) == 1 else "s")


def delta_pts(now: object, before: object) -> str | None:
    """Change between two shares in percentage points, for st.metric deltas."""
    if now is None or before is None or pd.isna(now) or pd.isna(before):
        return None
    return f"{(float(now) - float(before)) * 100:+.1f} pts"


def delta_pct(now: object, before: object) -> str | None:
    """Relative change between two counts."""
    if now is None or before is None or pd.isna(now) or pd.isna(before) or float(before) == 0:
        return None
    return f"{(float(now) / float(before) - 1):+.0%}"


def empty_state(message: str) -> None:
    """A clear message instead of an empty chart."""
    st.info(message, icon=":material/filter_alt_off:")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "data"


@st.cache_data(max_entries=64, show_spinner=False)
def _csv_bytes(df: pd.DataFrame) -> bytes:
    return spreadsheet_safe(df).to_csv(index=False).encode("utf-8")


@st.cache_data(max_entries=64, show_spinner=False)
def _excel_bytes(df: pd.DataFrame, sheet: str) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        spreadsheet_safe(df).to_excel(writer, index=False, sheet_name=sheet)
    return buffer.getvalue()


# Writing .xlsx is slow (openpyxl); above this size only CSV is offered.
EXCEL_MAX_ROWS = 20_000


def downloads(df: pd.DataFrame, name: str, caption: str | None = None, excel: bool = True) -> None:
    """CSV (and Excel) downloads of exactly the data behind a chart or table.

    The files are built once per distinct table (cached), not on every rerun.
    """
    slug = _slug(name)
    cols = st.columns([1, 1, 6])
    cols[0].download_button("CSV", _csv_bytes(df), file_name=f"{slug}.csv",
                            mime="text/csv", key=f"csv_{slug}", icon=":material/download:")
    if excel and len(df) <= EXCEL_MAX_ROWS:
        cols[1].download_button("Excel", _excel_bytes(df, name[:31] or "data"), file_name=f"{slug}.xlsx",
                                key=f"xlsx_{slug}",
                                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                icon=":material/download:")
    if caption:
        cols[2].caption(caption)


def table(df: pd.DataFrame, percent: Sequence[str] = (), dates: Sequence[str] = (), height: int | None = None,
          **column_labels: str) -> None:
    """A read-only table with people-friendly column formats. Text is shown as text, never HTML."""
    config: dict[str, object] = {}
    for col in df.columns:
        label = column_labels.get(col, col.replace("_", " ").capitalize())
        if col in percent:
            config[col] = st.column_config.NumberColumn(label, format="percent")
        elif col in dates:
            config[col] = st.column_config.DateColumn(label, format="D MMM YYYY")
        elif pd.api.types.is_integer_dtype(df[col]):
            config[col] = st.column_config.NumberColumn(label, format="localized")
        elif pd.api.types.is_float_dtype(df[col]):
            config[col] = st.column_config.NumberColumn(label, format="%.1f")
        else:
            config[col] = st.column_config.TextColumn(label)
    kwargs = {"height": height} if height else {}
    st.dataframe(df, hide_index=True, width="stretch", column_config=config, **kwargs)
