"""The dashboard's query module on a real demo database: every page's queries run, filters bind safely."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from dashboard import registry
from dashboard.db import queries
from dashboard.db.filters import Filters, from_query_params, to_query_params
from dashboard.db.scope import ensure_scope
from etl.accounts.roles import ALL_REGIONS, scope_for
from etl.store.db import connect_read
from tests.conftest import REPO

HOSTILE = "x'); DROP TABLE engagements; --"


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    work = tmp_path_factory.mktemp("q")
    db = work / "access.duckdb"
    result = subprocess.run([sys.executable, "-m", "etl", "demo", "--rows", "3000", "--db", str(db), "--out",
                             str(work / "logs"), "--quiet"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    # The app's way in: the tables' views for a user who sees every region in clear (dashboard/db/scope.py).
    c = connect_read(db)
    c.execute(f"SET search_path = '{ensure_scope(c, scope_for('hq', (ALL_REGIONS,)), 'salt')}'")
    yield c
    c.close()


def year(con) -> Filters:
    last = con.execute(queries.DATE_BOUNDS).fetchone()[1]
    return Filters(start=last - dt.timedelta(days=364), end=last)


def busiest(con) -> str:
    return con.execute("SELECT counterpart_id FROM counterparts ORDER BY engagements DESC LIMIT 1").fetchone()[0]


@pytest.mark.parametrize("page", [p.key for p in registry.DATABASE_PAGES])
def test_every_page_query_runs(con, page):
    for sql, params in queries.page_queries(page, year(con), busiest(con)):
        con.execute(sql, params).fetchall()


@pytest.mark.parametrize("page", [p.key for p in registry.DATABASE_PAGES])
def test_hostile_filter_values_are_bound_never_spliced(con, page):
    f = Filters(start=dt.date(2024, 1, 1), end=dt.date(2026, 12, 31), regions=(HOSTILE,), countries=(HOSTILE,),
                areas=(HOSTILE,), activities=(HOSTILE,), organisations=(HOSTILE,), checkpoint=HOSTILE)
    for sql, params in queries.page_queries(page, f, HOSTILE):
        assert HOSTILE not in sql
        con.execute(sql, params).fetchall()
    assert con.execute("SELECT count(*) FROM engagements").fetchone()[0] > 0


def test_filters_narrow_the_figures(con):
    f = year(con)
    everything = con.execute(*queries.headline(f)).fetchone()[0]
    yemen = con.execute(*queries.headline(Filters(start=f.start, end=f.end, countries=("YEM",)))).fetchone()[0]
    nothing = con.execute(*queries.headline(Filters(start=f.start, end=f.end, countries=("ZZZ",)))).fetchone()[0]
    assert everything > yemen > 0 and nothing == 0


def test_headline_counts_match_the_table(con):
    f = year(con)
    row = con.execute(*queries.headline(f)).fetchone()
    direct = con.execute("SELECT count(*), count(DISTINCT request_id) FROM engagements "
                         "WHERE engagement_date BETWEEN ? AND ?", [f.start, f.end]).fetchone()
    assert row[:2] == direct


def test_previous_period_is_the_same_length_just_before():
    f = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))
    p = f.previous()
    assert (p.end, p.days) == (dt.date(2025, 12, 31), f.days)


def test_url_round_trip_and_bad_values_fall_back():
    first, last = dt.date(2023, 11, 1), dt.date(2026, 10, 31)
    f = from_query_params({"period": ["custom"], "from": ["2025-01-01"], "to": ["2025-03-31"],
                           "country": ["YEM", "SSD"], "region": ["Asia"]}, first, last)
    assert (f.start, f.end, f.countries, f.regions) == (dt.date(2025, 1, 1), dt.date(2025, 3, 31), ("YEM", "SSD"),
                                                        ("Asia",))
    assert from_query_params(to_query_params(f), first, last) == f
    bad = from_query_params({"period": ["<script>"], "from": ["not-a-date"]}, first, last)
    assert (bad.period, bad.end) == ("365d", last)
