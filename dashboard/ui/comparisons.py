"""The second comparison of the key figures: against the same period last year, as one line under the metrics
(the metrics' own deltas are against the previous period). Disclosure as for the deltas: in a pseudonymised
view no change is shown against a period of fewer than k engagements (:mod:`dashboard.db.disclosure`)."""

from __future__ import annotations

import pandas as pd

from dashboard.db import disclosure
from dashboard.db.filters import Filters
from dashboard.db.periods import describe_span
from dashboard.ui.components import delta_pct, delta_pts
from dashboard.ui.formats import fmt_change


def _days(now: object, before: object) -> str | None:
    if now is None or before is None or pd.isna(now) or pd.isna(before):  # type: ignore[arg-type]
        return None
    return fmt_change(float(now) - float(before), 0, " days")  # type: ignore[arg-type]


def year_line(now: pd.Series, year: pd.Series, k: int | None, span: str) -> str:
    """``now`` and ``year``: rows of ``queries.headline`` for this period and the same one a year earlier;
    ``span``: that earlier period's dates, for the reader.

    >>> row = lambda n, d: pd.Series({"engagements": n, "requests": n, "share_granted": 1 - d, "share_denied": d,
    ...                               "median_days": 4.0, "people_reached": 10 * n, "people_without_access": n})
    >>> year_line(row(120, 0.25), row(100, 0.2), None, "1–14 Oct 2024")
    'Against the same period last year (1–14 Oct 2024): engagements +20%, access requests +20%, share granted -5.0 pts, share denied +5.0 pts, median days to access +0 days, people reached +20%, people left without access +20%.'
    >>> year_line(row(120, 0.25), row(4, 0.2), 5, "1–14 Oct 2024")
    'Against the same period last year (1–14 Oct 2024): fewer than 5 engagements, no change shown.'
    """
    n_year = year["engagements"]
    head = f"Against the same period last year ({span}): "
    if not n_year or pd.isna(n_year):
        return head + "no engagements to compare with."
    if disclosure.small(n_year, k):
        return head + f"fewer than {k} engagements, no change shown."
    changes = [
        ("engagements", delta_pct(now["engagements"], n_year, k)),
        ("access requests", delta_pct(now["requests"], year["requests"], k)),
        ("share granted", delta_pts(now["share_granted"], year["share_granted"], k, n_year)),
        ("share denied", delta_pts(now["share_denied"], year["share_denied"], k, n_year)),
        ("median days to access", _days(now["median_days"], year["median_days"])),
        ("people reached", delta_pct(now["people_reached"], year["people_reached"], k)),
        ("people left without access", delta_pct(now["people_without_access"], year["people_without_access"], k)),
    ]
    shown = [f"{label} {change}" for label, change in changes if change]
    return head + (", ".join(shown) if shown else "no figure to compare") + "."


def caption(f: Filters, now: pd.Series, year: pd.Series | None, k: int | None) -> str | None:
    """The line under the key figures: what their changes are against, then the same period last year (a
    second comparison only when it is another period: for a year or the last 12 months the previous period is
    the same period last year, said once). None for all the data (no earlier period).

    >>> import datetime as dt
    >>> caption(Filters(dt.date(2024, 1, 1), dt.date(2024, 12, 31), period="last_year"), pd.Series(), None, None)
    'Changes under each figure: against the same period last year, 1 Jan – 31 Dec 2023.'
    >>> caption(Filters(dt.date(2023, 1, 1), dt.date(2025, 10, 14), period="custom"), pd.Series(), None, None)
    'Changes under each figure: against 19 Mar 2020 – 31 Dec 2022. No comparison with the same period last year: this period is longer than a year.'
    """
    if f.period == "all":
        return None
    prev = f.previous()
    against = ("the same period last year, " if f.previous_is_last_year else "") + describe_span(prev.start, prev.end)
    head = f"Changes under each figure: against {against}."
    if f.previous_is_last_year:
        return head
    if year is None:
        return head + " No comparison with the same period last year: this period is longer than a year."
    last = f.last_year()
    return head + " " + year_line(now, year, k, describe_span(last.start, last.end))
