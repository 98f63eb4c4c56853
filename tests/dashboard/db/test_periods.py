"""Period arithmetic against dates written by hand: calendar periods anchored on the latest data, weeks from
Monday, quarters, year ends, leap years, partial periods, the two comparisons, and the page address."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from dashboard.db.filters import Filters, from_query_params, to_query_params
from dashboard.db.periods import PERIODS
from dashboard.ui import comparisons

D = dt.date
FIRST = D(2020, 1, 1)


def _at(period: str, last: dt.date) -> Filters:
    return from_query_params({"period": [period]}, FIRST, last)


@pytest.mark.parametrize(("period", "last", "start", "end"), [
    # 14 Oct 2025 is a Tuesday.
    ("this_week", D(2025, 10, 14), D(2025, 10, 13), D(2025, 10, 14)),
    ("last_week", D(2025, 10, 14), D(2025, 10, 6), D(2025, 10, 12)),
    # A week across the new year: Wednesday 1 Jan 2025 belongs to the week of Monday 30 Dec 2024.
    ("this_week", D(2025, 1, 1), D(2024, 12, 30), D(2025, 1, 1)),
    ("last_week", D(2025, 1, 1), D(2024, 12, 23), D(2024, 12, 29)),
    # On a Monday, "this week" is that one day.
    ("this_week", D(2025, 10, 13), D(2025, 10, 13), D(2025, 10, 13)),
    ("this_month", D(2025, 10, 14), D(2025, 10, 1), D(2025, 10, 14)),
    ("last_month", D(2025, 10, 14), D(2025, 9, 1), D(2025, 9, 30)),
    ("last_month", D(2025, 1, 10), D(2024, 12, 1), D(2024, 12, 31)),
    ("last_month", D(2024, 3, 5), D(2024, 2, 1), D(2024, 2, 29)),  # leap year
    ("last_month", D(2023, 3, 5), D(2023, 2, 1), D(2023, 2, 28)),
    ("this_quarter", D(2025, 11, 20), D(2025, 10, 1), D(2025, 11, 20)),
    ("last_quarter", D(2025, 11, 20), D(2025, 7, 1), D(2025, 9, 30)),
    ("last_quarter", D(2025, 2, 1), D(2024, 10, 1), D(2024, 12, 31)),
    ("this_year", D(2025, 3, 3), D(2025, 1, 1), D(2025, 3, 3)),
    ("last_year", D(2025, 3, 3), D(2024, 1, 1), D(2024, 12, 31)),
    # The latest data is the last day of the month: "this month" is whole.
    ("this_month", D(2026, 10, 31), D(2026, 10, 1), D(2026, 10, 31)),
])
def test_named_periods_are_anchored_on_the_latest_data(period, last, start, end):
    f = _at(period, last)
    assert (f.period, f.start, f.end) == (period, start, end)


@pytest.mark.parametrize(("period", "start", "end", "prev", "year"), [
    # Whole periods: the previous calendar period, not the same number of days.
    ("last_month", D(2024, 3, 1), D(2024, 3, 31), (D(2024, 2, 1), D(2024, 2, 29)), (D(2023, 3, 1), D(2023, 3, 31))),
    ("last_month", D(2024, 2, 1), D(2024, 2, 29), (D(2024, 1, 1), D(2024, 1, 31)), (D(2023, 2, 1), D(2023, 2, 28))),
    ("last_month", D(2025, 2, 1), D(2025, 2, 28), (D(2025, 1, 1), D(2025, 1, 31)), (D(2024, 2, 1), D(2024, 2, 29))),
    ("last_quarter", D(2025, 7, 1), D(2025, 9, 30), (D(2025, 4, 1), D(2025, 6, 30)), (D(2024, 7, 1), D(2024, 9, 30))),
    ("last_quarter", D(2025, 1, 1), D(2025, 3, 31), (D(2024, 10, 1), D(2024, 12, 31)),
     (D(2024, 1, 1), D(2024, 3, 31))),
    ("last_year", D(2024, 1, 1), D(2024, 12, 31), (D(2023, 1, 1), D(2023, 12, 31)), (D(2023, 1, 1), D(2023, 12, 31))),
    ("last_week", D(2025, 10, 6), D(2025, 10, 12), (D(2025, 9, 29), D(2025, 10, 5)), (D(2024, 10, 7), D(2024, 10, 13))),
    # Partial periods: the same days of the previous period and of last year.
    ("this_month", D(2025, 10, 1), D(2025, 10, 14), (D(2025, 9, 1), D(2025, 9, 14)), (D(2024, 10, 1), D(2024, 10, 14))),
    ("this_month", D(2025, 3, 1), D(2025, 3, 30), (D(2025, 2, 1), D(2025, 2, 28)), (D(2024, 3, 1), D(2024, 3, 30))),
    ("this_month", D(2024, 2, 1), D(2024, 2, 28), (D(2024, 1, 1), D(2024, 1, 28)), (D(2023, 2, 1), D(2023, 2, 28))),
    ("this_quarter", D(2025, 10, 1), D(2025, 11, 30), (D(2025, 7, 1), D(2025, 8, 31)),
     (D(2024, 10, 1), D(2024, 11, 30))),
    ("this_year", D(2024, 1, 1), D(2024, 2, 29), (D(2023, 1, 1), D(2023, 2, 28)), (D(2023, 1, 1), D(2023, 2, 28))),
    ("this_week", D(2025, 10, 13), D(2025, 10, 15), (D(2025, 10, 6), D(2025, 10, 8)),
     (D(2024, 10, 14), D(2024, 10, 16))),
    # Rolling periods keep "the same number of days just before" (what old links meant).
    ("90d", D(2025, 7, 17), D(2025, 10, 14), (D(2025, 4, 18), D(2025, 7, 16)), (D(2024, 7, 17), D(2024, 10, 14))),
    # Custom dates of whole months compare with as many months before; other custom dates with as many days.
    ("custom", D(2025, 4, 1), D(2025, 6, 30), (D(2025, 1, 1), D(2025, 3, 31)), (D(2024, 4, 1), D(2024, 6, 30))),
    ("custom", D(2025, 4, 2), D(2025, 4, 11), (D(2025, 3, 23), D(2025, 4, 1)), (D(2024, 4, 2), D(2024, 4, 11))),
])
def test_previous_and_last_year(period, start, end, prev, year):
    f = Filters(start=start, end=end, period=period, countries=("YEM",))
    p, y = f.previous(), f.last_year()
    assert (p.start, p.end) == prev
    assert (y.start, y.end) == year
    assert p.countries == y.countries == ("YEM",)  # only the dates move
    assert p.end < f.start  # never overlaps (queries flag the current rows by date)


def test_partial_is_said_and_whole_is_not():
    partial = _at("this_month", D(2025, 10, 14))
    assert partial.partial
    assert partial.describe_period() == "This month, 1–14 Oct 2025 (partial: data up to 14 Oct 2025)"
    assert "1–14 Sep 2025" in partial.describe_comparisons()
    assert "the same days" in partial.describe_comparisons()
    assert not _at("last_month", D(2025, 10, 14)).partial
    assert not _at("this_month", D(2025, 10, 31)).partial
    assert not _at("90d", D(2025, 10, 14)).partial


@pytest.mark.parametrize(("period", "grain"), [("this_month", "week"), ("last_quarter", "week"),
                                               ("this_week", "week"), ("last_year", "month"), ("365d", "month"),
                                               ("30d", "week")])
def test_series_grain_fits_the_period(period, grain):
    assert _at(period, D(2025, 10, 14)).grain == grain


@pytest.mark.parametrize("period", list(PERIODS))
def test_every_period_survives_the_page_address(period):
    f = from_query_params({"period": [period], "from": ["2024-02-03"], "to": ["2024-05-06"], "country": ["YEM"]},
                          FIRST, D(2025, 10, 14))
    assert f.period == period
    assert from_query_params(to_query_params(f), FIRST, D(2025, 10, 14)) == f


def test_old_links_keep_their_meaning():
    # ?period=90d from before calendar periods: the same 90 days counted back from the latest data.
    f = from_query_params({"period": ["90d"], "region": ["MENA"]}, FIRST, D(2025, 10, 14))
    assert (f.period, f.start, f.end, f.regions) == ("90d", D(2025, 7, 17), D(2025, 10, 14), ("MENA",))
    assert to_query_params(f) == {"period": ["90d"], "region": ["MENA"]}


@pytest.mark.parametrize("bad", ["this_decade", "", "THIS_MONTH", "<script>", "last_month;drop"])
def test_bad_period_falls_back_quietly(bad):
    f = from_query_params({"period": [bad]}, FIRST, D(2025, 10, 14))
    assert (f.period, f.start, f.end) == ("365d", D(2024, 10, 15), D(2025, 10, 14))


@pytest.mark.parametrize(("f", "second", "said"), [
    (Filters(D(2025, 10, 1), D(2025, 10, 14), period="this_month"), True, True),
    # A year's previous period is the same period last year: one comparison, said once.
    (Filters(D(2024, 10, 15), D(2025, 10, 14), period="365d"), False, True),
    (Filters(D(2024, 1, 1), D(2024, 12, 31), period="last_year"), False, True),
    (Filters(D(2023, 1, 1), D(2025, 10, 14), period="custom"), False, False),  # last year would overlap this period
    (Filters(D(2023, 1, 1), D(2025, 10, 14), period="all"), False, False),
])
def test_last_year_is_a_comparison_only_for_a_year_or_less(f, second, said):
    assert f.has_last_year is second
    assert ("last year" in f.describe_comparisons()) is said



def _spans(text: str) -> list[str]:
    """The date spans a caption names ("1 Nov 2024 – 31 Oct 2025", "1–14 Oct 2025"), as written."""
    return re.findall(r"\d{1,2}(?:–\d{1,2})? [A-Z][a-z]{2}(?: \d{4})?(?: – \d{1,2} [A-Z][a-z]{2} \d{4})?", text)


@pytest.mark.parametrize("last", [D(2026, 10, 31), D(2025, 3, 15), D(2024, 2, 29), D(2025, 1, 5)])
@pytest.mark.parametrize("period", [p for p in PERIODS if p != "all"])
def test_every_period_names_each_comparison_once(period, last):
    """Over every named period (and custom dates of a whole year, of a quarter, of ten days): the comparison
    captions never name the same dates twice, and a previous period that is the same period last year is
    called that."""
    f = _at(period, last)
    if period == "custom":
        f = Filters(D(2025, 1, 1), D(2025, 12, 31), period="custom")
    for text in (f.describe_comparisons(), comparisons.caption(f, pd.Series(), None, None) or ""):
        spans = _spans(text)
        assert spans and len(spans) == len(set(spans)), text
        assert text.count("last year") <= 1, text
    p, y = f.previous(), f.last_year()
    assert ((p.start, p.end) == (y.start, y.end)) is f.previous_is_last_year
    if f.previous_is_last_year:
        assert "same period last year" in f.describe_comparisons()


def test_last_twelve_months_is_compared_once_with_the_twelve_before():
    # The caption of the defect: "compared with 1 Nov 2024 – 31 Oct 2025 and the same period last year, 1 Nov
    # 2024 – 31 Oct 2025".
    f = _at("365d", D(2026, 10, 31))
    assert (f.start, f.end) == (D(2025, 11, 1), D(2026, 10, 31))
    assert f.describe_comparisons() == "compared with the same period last year, 1 Nov 2024 – 31 Oct 2025"
    # Across a leap day, the 12 months before (366 days), not 365 days before and a second, shifted year.
    g = _at("365d", D(2025, 3, 15))
    assert (g.previous().start, g.previous().end) == (D(2023, 3, 16), D(2024, 3, 15))
    assert g.describe_comparisons() == "compared with the same period last year, 16 Mar 2023 – 15 Mar 2024"
    this_year = _at("this_year", D(2025, 3, 15))
    assert this_year.describe_comparisons() == ("compared with the same period last year, 1 Jan – 15 Mar 2024 "
                                                "(the same days)")
    assert comparisons.caption(this_year, pd.Series(), None, None) == (
        "Changes under each figure: against the same period last year, 1 Jan – 15 Mar 2024.")
    month = _at("last_month", D(2025, 3, 15))
    assert month.describe_comparisons() == ("compared with 1–31 Jan 2025 and the same period last year, "
                                            "1–29 Feb 2024")
