"""Small UI pieces every page uses: empty states, downloads, tables (number formats: :mod:`dashboard.ui.formats`)."""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from dashboard.db import disclosure
from dashboard.ui import formats, labels, narrow, viewer
from dashboard.ui.exports import spreadsheet_safe
from dashboard.ui.formats import fmt_number, fmt_pct
from dashboard.ui.safe_text import markdown_text

# Captions that echo filter values (organisation names from the logs...) are cut after this many characters.
CAPTION_CHARS = 500


def delta_pts(now: object, before: object, k: int | None = None, base: object = None) -> str | None:
    """Change between two shares in percentage points, for st.metric deltas. With ``k`` (a pseudonymised
    view), None when the earlier share is of fewer than k engagements (``base``).

    >>> delta_pts(0.256, 0.224), delta_pts(0.2, 0.2)
    ('+3.2 pts', '+0.0 pts')
    """
    if now is None or before is None or pd.isna(now) or pd.isna(before) or disclosure.small(base, k):
        return None
    return formats.fmt_change((float(now) - float(before)) * 100, 1, " pts")


def delta_pct(now: object, before: object, k: int | None = None) -> str | None:
    """Relative change between two counts. With ``k`` (a pseudonymised view), None when either count is
    under k: the change and one count would give the other back."""
    if now is None or before is None or pd.isna(now) or pd.isna(before) or float(before) == 0:
        return None
    if disclosure.small(now, k) or disclosure.small(before, k):
        return None
    return formats.fmt_change((float(now) / float(before) - 1) * 100, 0, "%")


def delta_style(delta: object, colour: str = "normal") -> dict[str, str]:
    """``st.metric``'s colour and arrow for ``delta``: grey and no arrow when it says nothing changed ("+0 days"
    is neither good nor bad news), else ``colour`` ("normal", "inverse" where up is bad, "off").

    >>> delta_style("+0 days", "inverse"), delta_style("+2 days", "inverse")
    ({'delta_color': 'off', 'delta_arrow': 'off'}, {'delta_color': 'inverse'})
    """
    if formats.is_no_change(delta):
        return {"delta_color": "off", "delta_arrow": "off"}
    return {"delta_color": colour}


def filters_caption(text: str) -> None:
    """A caption saying what is shown (``Filters.describe()``): filter values come from logs and the
    page address, so they are shown as text, never markdown."""
    st.caption(markdown_text(text, CAPTION_CHARS))


def empty_state(message: str) -> None:
    """A clear message instead of an empty chart."""
    st.info(message, icon=":material/filter_alt_off:")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "data"


def csv_bytes(df: pd.DataFrame) -> bytes:
    return spreadsheet_safe(df).to_csv(index=False).encode("utf-8")


def excel_bytes(df: pd.DataFrame, sheet: str) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        spreadsheet_safe(df).to_excel(writer, index=False, sheet_name=sheet)
    return buffer.getvalue()


# Writing .xlsx is slow (openpyxl); above this size only CSV is offered.
EXCEL_MAX_ROWS = 20_000


def suppress_small_cells(df: pd.DataFrame, k: int) -> pd.DataFrame:
    """What a pseudonymised (hq) user may take away: :func:`dashboard.db.disclosure.protect`, the rule the
    screen follows too (counts below ``k`` as "< k", a second cell hidden beside a lone one, shares of
    fewer than ``k`` engagements blanked).

    >>> suppress_small_cells(pd.DataFrame({"region": ["A", "B", "C"], "engagements": [2, 40, 41],
    ...                                    "share_denied": [0.5, 0.1, 0.2]}), 5)
      region engagements  share_denied
    0      A         < 5           NaN
    1      B      hidden           0.1
    2      C          41           0.2
    """
    return disclosure.protect(df, k)


def _no_change(df: pd.DataFrame) -> pd.DataFrame:
    return df


def _export_rule() -> Callable[[pd.DataFrame], pd.DataFrame]:
    """What the signed-in user may take away, decided now (the file is built later, on another thread):
    the disclosure rule of :mod:`dashboard.db.disclosure` for pseudonymised (hq) views, else the table as shown."""
    from dashboard.session.auth import current_session

    if current_session() is None:
        raise PermissionError("not signed in")
    k = viewer.viewer_k()
    if k is not None:
        return functools.partial(suppress_small_cells, k=k)
    return _no_change


def fmt_count(value: object, k: int | None) -> str:
    """A count for a metric: ``1,234``, or ``"< k"`` in a pseudonymised view when below ``k``."""
    return formats.shown_count(value, k)


def too_narrow(engagements: object, k: int | None) -> None:
    """In a pseudonymised view, stop the page with a message when 1 to k-1 engagements match."""
    if disclosure.narrow(engagements, k):
        assert k is not None
        st.info(disclosure.too_narrow_message(k), icon=":material/visibility_off:")
        st.stop()


def rows_withheld(k: int) -> None:
    """Said where a pseudonymised view would list single engagements or rows naming who does what."""
    st.info(disclosure.ROWS_WITHHELD.format(k=k), icon=":material/visibility_off:")


def withheld_note(k: int | None) -> str:
    """The caption under a table or chart with suppressed cells."""
    if not k:
        return ""
    return (f"Counts under {k} are shown as “< {k}”; “hidden” marks a larger count withheld so that a small one "
            f"cannot be worked out by subtraction; shares of fewer than {k} engagements are blank.")


def _built(rule: Callable[[pd.DataFrame], pd.DataFrame], source: Callable[[], pd.DataFrame],
           write: Callable[..., bytes], *args: object) -> bytes:
    """The file: the rows the user may take away, under the headers the tables show
    (:func:`dashboard.ui.labels.human_headers`; renamed after the disclosure rule, which reads column names)."""
    return write(labels.human_headers(rule(source())), *args)


def _exported(name: str, kind: str) -> None:
    from dashboard.session.auth import audit_event

    audit_event("export", target=f"{name}.{kind}")


def downloads(df: pd.DataFrame, name: str, caption: str | None = None, excel: bool = True,
              source: Callable[[], pd.DataFrame] | None = None) -> None:
    """CSV (and Excel) downloads of exactly the data behind a chart or table, as the user may export it.

    The files are built when the button is clicked (Streamlit's deferred download), not on every run of the
    page: a page shows up to eight tables, and building their CSV and Excel files on each run cost a
    quarter of the trends page's time. What the user may export is decided here, when the page runs
    (the file is built from that table, on another thread). Each download is audited.

    ``source``: where the file's rows come from when it holds more than the table shown (a query bound to
    the user's scope, run on click); ``df`` is then what is shown, and decides whether Excel is offered.
    """
    rule = _export_rule()
    rows = source if source is not None else functools.partial(_no_change, df)
    slug = _slug(name)
    row = narrow.button_row()  # wraps when narrow: a 1/8 column cut "CSV" to its icon at tablet width
    row.download_button("CSV", functools.partial(_built, rule, rows, csv_bytes), file_name=f"{slug}.csv",
                            on_click=_exported, args=(slug, "csv"), mime="text/csv", key=f"csv_{slug}",
                            icon=":material/download:")
    if excel and len(df) <= EXCEL_MAX_ROWS:
        row.download_button("Excel", functools.partial(_built, rule, rows, excel_bytes, name[:31] or "data"),
                            file_name=f"{slug}.xlsx",
                            key=f"xlsx_{slug}", on_click=_exported, args=(slug, "xlsx"),
                            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            icon=":material/download:")
    if caption:
        row.caption(markdown_text(caption, CAPTION_CHARS))  # plain text: it may name filter values from logs


def dash_empty_text(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with empty text cells as "–" (Streamlit draws them "None"); for display only, downloads keep them
    empty.

    >>> dash_empty_text(pd.DataFrame({"a": ["x", None], "n": [1.0, None]}))["a"].tolist()
    ['x', '–']
    """
    text = [c for c in df.columns if (df[c].dtype == object or pd.api.types.is_string_dtype(df[c]))
            and df[c].isna().any()]
    return df.assign(**{c: df[c].astype(object).where(df[c].notna(), "–") for c in text}) if text else df


def blank_links(df: pd.DataFrame, links: Sequence[str]) -> pd.DataFrame:
    """``df`` with a row's missing link as an empty text: a link column draws None as "None" and "–" as a link to
    nowhere; an empty text is an empty cell.

    >>> blank_links(pd.DataFrame({"Open": ["/map?area=SS07", None], "Place": ["Upper Nile", "x"]}),
    ...             ["Open"]).to_dict("list")
    {'Open': ['/map?area=SS07', ''], 'Place': ['Upper Nile', 'x']}
    """
    missing = [c for c in links if c in df.columns and df[c].isna().any()]
    return df.assign(**{c: df[c].astype(object).where(df[c].notna(), "") for c in missing}) if missing else df


def table(df: pd.DataFrame, percent: Sequence[str] = (), dates: Sequence[str] = (), height: int | None = None,
          links: Sequence[str] = (), row_height: int | None = None, points: Sequence[str] = (),
          **column_labels: str) -> None:
    """A read-only table with people-friendly column formats. Text is shown as text, never HTML.

    Headers are :func:`dashboard.ui.labels.column_label` unless ``column_labels`` names a column for this table;
    a missing value reads "–". ``points``: changes of a share (0.032), shown in percentage points ("+3.2 pts").

    In a pseudonymised view (:func:`dashboard.ui.viewer.viewer_k`) the table is shown as
    :func:`dashboard.db.disclosure.protect` makes it: counts below k as "< k", shares of fewer blanked.
    ``links``: columns of page addresses, shown as an "Open" link (an empty cell where a row has none).
    ``row_height`` (pixels): taller rows wrap
    long text instead of cutting it.
    """
    k = viewer.viewer_k()
    counts: list[str] = []
    if k is not None:
        counts = disclosure.count_columns(df)
        df = disclosure.protect(df, k)
    config: dict[str, object] = {}
    if points:
        df = df.assign(**{c: df[c].astype(float) * 100 for c in points if c in df.columns})
    for col in df.columns:
        label = column_labels.get(col, labels.column_label(col))
        if col in links:
            config[col] = st.column_config.LinkColumn(label, display_text="Open")
        elif k is not None and pd.api.types.is_float_dtype(df[col]) and df[col].isna().any():
            # Blanked figures read "–" (a number column would say "None"), the others as they would be formatted.
            shown = (functools.partial(fmt_pct, digits=1) if col in percent else formats.fmt_points if col in points
                     else functools.partial(fmt_number, digits=1))
            df = df.assign(**{col: df[col].map(shown)})
            config[col] = st.column_config.TextColumn(label, alignment="right")
        elif col in points:
            config[col] = st.column_config.NumberColumn(label, format=formats.POINTS_FORMAT)
        elif col in percent:  # shown in per cent with one decimal; the numbers sort as numbers
            df = df.assign(**{col: df[col].astype(float) * 100})
            config[col] = st.column_config.NumberColumn(label, format=formats.PERCENT_FORMAT)
        elif col in dates:
            config[col] = st.column_config.DateColumn(label, format="D MMM YYYY")
        elif pd.api.types.is_integer_dtype(df[col]):
            config[col] = st.column_config.NumberColumn(label, format="localized")
        elif pd.api.types.is_float_dtype(df[col]):
            config[col] = st.column_config.NumberColumn(label, format=formats.DECIMAL_FORMAT)
        elif col in counts:
            # A protected count: numbers ("1,234") and marks ("< 5", "hidden") as text, aligned like numbers.
            df = df.assign(**{col: df[col].map(lambda v: formats.shown_count(v, k))})
            config[col] = st.column_config.TextColumn(label, alignment="right")
        else:
            config[col] = st.column_config.TextColumn(label)
    df = dash_empty_text(blank_links(df, links))
    kwargs: dict[str, int] = {"height": height} if height else {}
    if row_height:
        kwargs["row_height"] = row_height
    st.dataframe(df, hide_index=True, width="stretch", column_config=config, placeholder=formats.MISSING, **kwargs)
