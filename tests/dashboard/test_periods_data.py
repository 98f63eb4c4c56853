"""Calendar periods, their comparisons and data freshness on the demo database (the session's ``demo_db``),
each figure checked against plain Python over the raw rows; and what a coordinator can learn of other regions'
freshness through the page address (nothing)."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from pathlib import Path

import pytest

from dashboard.db import freshness_queries, queries
from dashboard.db.filters import Filters, from_query_params
from dashboard.db.scope import ensure_scope
from etl.accounts.roles import ALL_REGIONS, scope_for
from etl.store.db import connect_read
from tests.dashboard.conftest import open_page, page_text, problems, sql

D = dt.date
MENA = "Middle East and North Africa"


@pytest.fixture(scope="module")
def raw(demo_db: Path) -> list[tuple[dt.date, str, str, str, int]]:
    """Every engagement straight from the table: (date, outcome, region, iso3, load id)."""
    return sql(demo_db, "SELECT engagement_date, outcome, coalesce(region, 'Other'), iso3, load_id FROM engagements")


def _scoped(db: Path, role: str, regions: tuple[str, ...]):  # type: ignore[no-untyped-def]
    con = connect_read(db)
    con.execute(f"SET search_path = '{ensure_scope(con, scope_for(role, regions), 'salt')}'")
    return con


@pytest.fixture(scope="module")
def everyone(demo_db: Path):  # type: ignore[no-untyped-def]
    con = _scoped(demo_db, "hq", (ALL_REGIONS,))
    yield con
    con.close()


@pytest.fixture(scope="module")
def coordinator(demo_db: Path):  # type: ignore[no-untyped-def]
    con = _scoped(demo_db, "coordinator", (MENA,))
    yield con
    con.close()


def _count(raw, start: dt.date, end: dt.date) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(engagements, denied) between two dates, counted in Python."""
    rows = [r for r in raw if start <= r[0] <= end]
    return len(rows), sum(r[1] == "denied" for r in rows)


def _headline(con, f: Filters) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    n, share = con.execute(*queries.headline(f)).fetchone()[0:4:3]
    return n, round(share * n) if n else 0


def test_demo_ends_where_the_hand_written_dates_expect(raw):
    assert max(r[0] for r in raw) == D(2026, 10, 31)


@pytest.mark.parametrize(("f", "prev", "year"), [
    # A partial month: the same 14 days of September and of October last year.
    (Filters(D(2026, 10, 1), D(2026, 10, 14), period="this_month"),
     (D(2026, 9, 1), D(2026, 9, 14)), (D(2025, 10, 1), D(2025, 10, 14))),
    # "last_quarter" read from the page address, anchored on the newest data (31 Oct 2026).
    ("last_quarter", (D(2026, 4, 1), D(2026, 6, 30)), (D(2025, 7, 1), D(2025, 9, 30))),
])
def test_previous_and_last_year_figures_match_a_count_of_the_raw_rows(everyone, raw, f, prev, year):
    if isinstance(f, str):
        f = from_query_params({"period": [f]}, D(2023, 11, 1), D(2026, 10, 31))
        assert (f.start, f.end) == (D(2026, 7, 1), D(2026, 9, 30))
    assert _headline(everyone, f) == _count(raw, f.start, f.end)
    assert _headline(everyone, f.previous()) == _count(raw, *prev)
    assert _headline(everyone, f.last_year()) == _count(raw, *year)
    assert _count(raw, *prev)[0] > 0 and _count(raw, *year)[0] > 0  # the comparison is not of nothing


@pytest.mark.parametrize(("f", "prev"), [
    # 1-14 Oct against 1-14 Sep: the rows of 15-30 Sep are in neither (queries._compare).
    (Filters(D(2026, 10, 1), D(2026, 10, 14), period="this_month"), (D(2026, 9, 1), D(2026, 9, 14))),
    # October against September, whole months: September's counts are engagement_months' (one region filtered).
    (Filters(D(2026, 10, 1), D(2026, 10, 31), period="last_month"), (D(2026, 9, 1), D(2026, 9, 30))),
    (Filters(D(2026, 10, 1), D(2026, 10, 31), period="last_month", regions=(MENA,)), (D(2026, 9, 1), D(2026, 9, 30))),
])
def test_region_comparison_counts_only_the_comparison_days(everyone, raw, f, prev):
    assert f.previous().counted_by_month == (f.period == "last_month")  # both of by_region's ways are tried
    got = {r[0]: (r[1], r[3], r[6], r[4]) for r in everyone.execute(*queries.by_region(f)).fetchall()}
    now: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    before: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for d, outcome, region, _, _ in raw:
        if f.regions and region not in f.regions:
            continue
        for period, (start, end) in ((now, (f.start, f.end)), (before, prev)):
            if start <= d <= end:
                period[region][0] += 1
                period[region][1] += outcome == "denied"
    assert got == {region: (n, pytest.approx(dn / n), before[region][0],
                            pytest.approx(before[region][1] / before[region][0]) if before[region][0] else None)
                   for region, (n, dn) in now.items()}


def test_weekly_series_adds_up_and_starts_on_mondays(everyone, raw):
    f = Filters(D(2026, 10, 1), D(2026, 10, 31), period="this_month")
    assert f.grain == "week"
    rows = everyone.execute(*queries.monthly_outcomes(f, f.grain)).fetchall()
    assert rows and all(week.weekday() == 0 for week, _, _ in rows)
    per_week: dict[dt.date, int] = defaultdict(int)
    for d, *_ in raw:
        if f.start <= d <= f.end:
            per_week[d - dt.timedelta(days=d.weekday())] += 1
    got: dict[dt.date, int] = defaultdict(int)
    for week, _, n in rows:
        got[week] += n
    assert got == per_week


def test_freshness_per_country_and_log_file_matches_a_hand_count(everyone, raw, demo_db):
    loads = dict(sql(demo_db, "SELECT load_id, finished_at::DATE FROM loads"))
    files = dict(sql(demo_db, "SELECT load_id, file_name FROM loads"))
    names = dict(sql(demo_db, "SELECT iso3, name FROM countries"))
    latest: dict[str, dt.date] = {}
    loaded: dict[str, dt.date] = {}
    by_file: dict[tuple[str, str], dt.date] = {}
    for d, _, _, iso3, load_id in raw:
        latest[iso3] = max(latest.get(iso3, d), d)
        loaded[iso3] = max(loaded.get(iso3, loads[load_id]), loads[load_id])
        key = (names[iso3], files[load_id])
        by_file[key] = max(by_file.get(key, d), d)
    got = {iso3: (when, load) for _, iso3, when, load in everyone.execute(freshness_queries.BY_COUNTRY).fetchall()}
    assert got == {iso3: (latest[iso3], loaded[iso3]) for iso3 in latest}
    offices = everyone.execute(freshness_queries.BY_OFFICE).fetchall()
    assert {(country, file): when for country, file, _, when, _ in offices} == by_file
    # The warning's list: the countries whose newest engagement is before the period's end, oldest first.
    f = Filters(D(2026, 10, 1), D(2026, 10, 31), period="this_month")
    stale = everyone.execute(*freshness_queries.stale_countries(f)).fetchall()
    assert [(iso3, when) for _, iso3, when in stale] == sorted(
        ((iso3, d) for iso3, d in latest.items() if d < f.end), key=lambda t: (t[1], names[t[0]]))
    assert stale, "the demo has countries whose logs stop before 31 Oct 2026: nothing was tested"


def test_coordinator_learns_no_other_region_freshness(coordinator, demo_db):
    mena = {iso3 for (iso3,) in sql(demo_db, "SELECT iso3 FROM countries WHERE region = ?", [MENA])}
    assert {r[1] for r in coordinator.execute(freshness_queries.BY_COUNTRY).fetchall()} <= mena
    assert {r[0] for r in coordinator.execute(freshness_queries.BY_OFFICE).fetchall()} <= set(
        n for (n,) in sql(demo_db, "SELECT name FROM countries WHERE region = ?", [MENA]))
    # Another region's countries, region and areas asked for by the page address, over a period past every
    # country's newest log (each one would be listed): nothing comes back.
    asia = Filters(D(2026, 10, 1), D(2027, 12, 31), regions=("Asia",), countries=("AFG", "PAK"),
                   areas=tuple(a for (a,) in sql(demo_db, "SELECT DISTINCT admin1_pcode FROM engagements "
                                                          "WHERE iso3 = 'AFG' AND admin1_pcode IS NOT NULL")))
    assert coordinator.execute(*freshness_queries.stale_countries(asia)).fetchall() == []


def test_warning_on_the_page_names_only_the_coordinators_countries(use_db, demo_db):
    use_db(demo_db)
    at = open_page("obstacles", {"period": "this_month", "country": ["IRQ", "AFG"]}, user="test-coordinator")
    assert not at.exception
    warnings = [w.value for w in at.warning]
    stale = [w for w in warnings if "past the newest data" in w]
    assert len(stale) == 1, warnings
    iraq = sql(demo_db, "SELECT name, max(engagement_date) FROM engagements JOIN countries USING (iso3) "
                        "WHERE iso3 = 'IRQ' GROUP BY 1")[0]
    assert f"{iraq[0]}: latest log {iraq[1].day} {iraq[1]:%b}" in stale[0]
    afghanistan = sql(demo_db, "SELECT name FROM countries WHERE iso3 = 'AFG'")[0][0]
    assert afghanistan not in stale[0]


def _monday(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.weekday())


def test_hq_is_told_the_week_of_a_countrys_newest_log_not_its_day(everyone, raw, demo_db, use_db):
    """hq reads freshness by the week (its Monday): the warning's dates are Mondays, a country is listed only
    when its whole latest week is before the period's end (moving the end day by day gives back no day), and no
    country's exact newest day is said. Oracle: plain Python over the raw rows."""
    latest: dict[str, dt.date] = {}
    for d, _, _, iso3, _ in raw:
        latest[iso3] = max(latest.get(iso3, d), d)
    names = dict(sql(demo_db, "SELECT iso3, name FROM countries"))
    f = Filters(D(2026, 10, 1), D(2026, 10, 31), period="this_month")
    expected = sorted(((iso3, _monday(d)) for iso3, d in latest.items() if _monday(d) + dt.timedelta(days=6) < f.end),
                      key=lambda t: (t[1], names[t[0]]))
    got = everyone.execute(*freshness_queries.stale_countries(f, weekly=True)).fetchall()
    assert [(iso3, when) for _, iso3, when in got] == expected
    assert expected, "no country of the demo stops a whole week before 31 Oct 2026: nothing was tested"
    # A country whose newest log is in the period's last week is stale to the day, not to the week.
    assert any(d < f.end <= _monday(d) + dt.timedelta(days=6) for d in latest.values()), latest

    use_db(demo_db)
    at = open_page("obstacles", {"period": "this_month"}, user="test-hq")
    assert not at.exception, problems(at)
    stale = [w.value for w in at.warning if "past the newest data" in w.value]
    assert len(stale) == 1, [w.value for w in at.warning]
    said = re.findall(r"latest log in the week of (\d{1,2}) (\w{3})", stale[0])
    days = [dt.datetime.strptime(f"{day} {month} 2026", "%d %b %Y").date() for day, month in said]
    assert days and all(d.weekday() == 0 for d in days), stale[0]
    assert days == [when for _, when in expected][:len(days)], stale[0]
    for iso3, d in latest.items():  # no exact newest day, unless it is a Monday
        assert d.weekday() == 0 or f"latest log {d.day} {d:%b}" not in stale[0], (iso3, stale[0])
    assert "see Data" not in stale[0]  # hq has no Data page: it is not pointed to


def test_trends_says_the_period_is_partial_and_compares_with_last_year(use_db, demo_db):
    use_db(demo_db)
    at = open_page("trends", {"period": "this_quarter"})  # 1-31 Oct 2026 of the quarter ending 31 Dec
    assert not at.exception, problems(at)
    text = page_text(at)
    assert "This quarter, 1–31 Oct 2026 (partial: data up to 31 Oct 2026)" in text
    assert "compared with 1–31 Jul 2026 and the same period last year, 1–31 Oct 2025 (the same days of each)" in text
    assert "Against the same period last year (1–31 Oct 2025): engagements " in text
    assert at.query_params.get("period") in ("this_quarter", ["this_quarter"])


def test_hq_sees_no_change_against_a_small_period_last_year(use_db, demo_db, raw):
    """A country and calendar period with at least k engagements now and fewer (but some) a year before: hq is
    told no change is shown (the change would give last year's count back)."""
    from etl.config import Settings

    k = Settings(db=demo_db).small_cell_k
    last = max(r[0] for r in raw)
    found = None
    for period in ("this_month", "last_month", "this_quarter", "last_quarter"):
        for iso3 in sorted({r[3] for r in raw}):
            f = from_query_params({"period": [period], "country": [iso3]}, D(2023, 11, 1), last)
            rows = [r for r in raw if r[3] == iso3]
            y = f.last_year()
            if _count(rows, f.start, f.end)[0] >= k and 0 < _count(rows, y.start, y.end)[0] < k:
                found = (period, iso3)
                break
        if found:
            break
    assert found, f"no country and period of the demo with >= {k} engagements and 1..{k - 1} a year before"
    use_db(demo_db)
    at = open_page("trends", {"period": found[0], "country": found[1]}, user="test-hq")
    assert not at.exception, problems(at)
    assert f"fewer than {k} engagements, no change shown" in page_text(at)


def test_switching_a_calendar_period_that_starts_before_the_data_to_custom_dates(tmp_path, use_db):
    """Data from 5 Oct: "this month" starts on 1 Oct, before the first data; the custom date picker opens on
    the dates inside the data instead of failing (a date picker refuses a value below its minimum)."""
    from tests.conftest import row, write_csv
    from tests.dashboard.conftest import _etl

    db = tmp_path / "access.duckdb"
    log = write_csv(tmp_path / "october.csv", [
        row(engagement_id="T-1", request_id="REQ-1", date="2025-10-05", request_date="2025-10-01",
            resolution_date="2025-10-05"),
        row(engagement_id="T-2", request_id="REQ-2", date="2025-10-20", request_date="2025-10-01",
            resolution_date="2025-10-20")])
    _etl("load", str(log), "--db", str(db), "--quiet")
    use_db(db)
    at = open_page("trends", {"period": "this_month"})
    assert not at.exception, problems(at)
    assert "This month, 1–20 Oct 2025 (partial: data up to 20 Oct 2025)" in page_text(at)
    at.sidebar.selectbox(key="f_period").set_value("custom").run()
    assert not at.exception, problems(at)
    assert at.sidebar.date_input(key="f_dates").value == (D(2025, 10, 5), D(2025, 10, 20))


def test_conflict_events_before_are_those_of_the_comparison_days(everyone, demo_db):
    """October of a quarter against July: events of August and September are in neither
    (conflict_queries.events_by_type)."""
    from dashboard.db import conflict_queries

    f = Filters(D(2026, 10, 1), D(2026, 10, 31), period="this_quarter")
    assert (f.previous().start, f.previous().end) == (D(2026, 7, 1), D(2026, 7, 31))
    events = sql(demo_db, "SELECT event_type, event_date FROM conflict_events")
    now = {t for t, d in events if f.start <= d <= f.end}
    expected = {t: sum(1 for u, d in events if u == t and D(2026, 7, 1) <= d <= D(2026, 7, 31)) for t in now}
    got = {r[0]: r[4] for r in everyone.execute(*conflict_queries.events_by_type(f)).fetchall()}
    assert got == expected
    assert sum(1 for _, d in events if D(2026, 8, 1) <= d <= D(2026, 9, 30)), "no event in the gap: nothing tested"
