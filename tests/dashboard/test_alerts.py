"""Alerts on the demo (etl/analysis/alerts.py, docs/alerts.md): the planted changes are flagged in the right
months, false alarms stay rare, the command prints and audits, and the dashboard's alerts are scoped.

The demo database is the session's (4,000 engagements, seed 7). The oracles are the demo's documented
patterns (``etl/demo/__init__.py``) and counts of the raw rows by plain SQL.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from etl.analysis.alerts import add_months, alerts_by_month
from tests.dashboard.conftest import _etl, dataframes, open_page, page_text, problems, sql

pytestmark = [pytest.mark.timeout(180)]

MONTHS = [add_months(dt.date(2024, 11, 1), i) for i in range(24)]  # Nov 2024 to Oct 2026
OFFENSIVE = (dt.date(2025, 1, 1), dt.date(2025, 8, 1))  # 15 Jan 2025, easing to 13 Jul 2025
RESTRICTIVE = {"Col. Idris Bakhit", "Mawlawi Rahmatullah Safi", "Cmdr. Musa Garba Tanko"}
MENA = "Middle East and North Africa"


@pytest.fixture(scope="module")
def demo_alerts(demo_db: Path):  # type: ignore[no-untyped-def]
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        found = alerts_by_month(lambda text, params: con.execute(text, params).df(), MONTHS)
        areas = dict(con.execute("""SELECT name, pcode FROM admin_areas WHERE level = 1""").fetchall())
        return found, areas
    finally:
        con.close()


def test_the_planted_changes_are_flagged_in_their_months(demo_alerts) -> None:  # type: ignore[no-untyped-def]
    found, _ = demo_alerts
    surge = sorted({m for m, alerts in found.items() for a in alerts if a.kind == "area" and a.key == "SS07"})
    assert surge, "the Upper Nile offensive is never flagged"
    assert all(OFFENSIVE[0] <= m <= OFFENSIVE[1] for m in surge), f"Upper Nile flagged outside the offensive: {surge}"
    assert surge[0] <= dt.date(2025, 2, 1), f"the offensive is flagged late: {surge}"
    restrictive = {(a.name, m) for m, alerts in found.items() for a in alerts
                   if a.kind == "counterpart" and a.name in RESTRICTIVE}
    assert restrictive, "no restrictive counterpart is flagged"
    # Their denial rate climbs from 10% to 65% over three years: flagged once it has climbed, never early on.
    assert all(m >= dt.date(2025, 1, 1) for _, m in restrictive), restrictive


def test_a_rising_share_reads_since_the_month_the_offensive_began(demo_alerts) -> None:  # type: ignore[no-untyped-def]
    """By hand from etl/demo/patterns.py and world.py: the demo ends 31 Oct 2026, the offensive starts on the
    first of the month OFFENSIVE_MONTHS_BEFORE_END = 21 months earlier plus 14 days, 15 Jan 2025. Upper Nile's
    share of denials was 0-13% in the months before; "since" is the month of the step, not of the noise
    before it (the CUSUM's last zero read Dec 2024 here)."""
    found, _ = demo_alerts
    rising = [(m, a.since) for m, alerts in found.items() for a in alerts
              if a.kind == "area" and a.key == "SS07" and a.measure == "denial share rising"]
    assert rising, "Upper Nile's rising share is never flagged"
    assert all(since == dt.date(2025, 1, 1) for _, since in rising), rising


def test_false_alarms_are_rare(demo_alerts, demo_db: Path) -> None:  # type: ignore[no-untyped-def]
    found, areas = demo_alerts
    planted = {areas[n] for n in ("Dhamar", "Farah", "Cross River")}  # where the restrictive counterparts work
    false = [(m, a.name) for m, alerts in found.items() for a in alerts if a.kind == "area" and a.key not in planted
             and not (a.key == "SS07" and OFFENSIVE[0] <= m <= OFFENSIVE[1])]
    # Denominator by plain SQL on the raw rows: areas with engagements, month by month.
    area_months = sql(demo_db, "SELECT count(DISTINCT (admin1_pcode, date_trunc('month', engagement_date))) "
                               "FROM engagements WHERE admin1_pcode IS NOT NULL AND engagement_date >= ? "
                               "AND engagement_date < ?", [MONTHS[0], add_months(MONTHS[-1], 1)])[0][0]
    assert area_months > 1000
    assert 100 * len(false) / area_months < 0.5, f"{len(false)} false alarms in {area_months} area-months: {false}"


def test_the_command_prints_audits_and_refuses_bad_input(demo_db: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from etl.cli.main import main

    db = tmp_path / "access.duckdb"
    shutil.copy(demo_db, db)  # the command appends to the audit log beside the database: not the shared one
    done = _etl("alerts", "--month", "2025-02", "--country", "SSD", "--db", str(db))
    line = next(x for x in done.stdout.splitlines() if "area Upper Nile (SSD): denials:" in x)
    denied = sql(db, "SELECT count(*) FROM engagements WHERE admin1_pcode = 'SS07' AND outcome = 'denied' "
                     "AND engagement_date BETWEEN '2025-02-01' AND '2025-02-28'")[0][0]
    assert f"denials: {denied} this month, expected " in line and line.split()[0] in ("ALERT", "WARNING"), line
    assert all("(SSD)" in x or "country South Sudan" in x for x in done.stdout.splitlines()), done.stdout
    events = [json.loads(x) for x in (tmp_path / "access.audit.jsonl").read_text().splitlines()]
    assert [(e["action"], e["target"], e["filters"]) for e in events if e["detail"].get("what") == "alerts"] == [
        ("export", "alerts 2025-02", {"country": "SSD"})]
    # Bad input, through the same entry point in this process (a new interpreter per case costs seconds).
    with pytest.raises(SystemExit) as exit_:
        main(["alerts", "--month", "2025-13", "--db", str(db)])
    assert exit_.value.code == 2 and "write it YYYY-MM" in capsys.readouterr().err
    for args, says in ((["--region", "Atlantis"], "Regions: Asia, "), (["--country", "Narnia"], "Give an ISO3 code")):
        assert main(["alerts", "--month", "2025-02", *args, "--db", str(db)]) == 2
        assert says in capsys.readouterr().err


def test_the_dashboard_alerts_are_scoped(demo_db: Path, use_db) -> None:  # type: ignore[no-untyped-def]
    from dashboard.db.alerts import alerts_as
    from etl.accounts.roles import scope_for
    from etl.config import get_settings

    use_db(demo_db)
    feb = (dt.date(2025, 2, 1),)
    # Attacker: a MENA coordinator asks for South Sudan (East and Horn of Africa): nothing, not even a country line.
    assert alerts_as(scope_for("coordinator", (MENA,)), feb, countries=("SSD",)) == {feb[0]: []}
    assert {a.iso3 for a in alerts_as(scope_for("coordinator", (MENA,)), feb)[feb[0]]} <= \
        {iso3 for (iso3,) in sql(demo_db, "SELECT iso3 FROM countries WHERE region = ?", [MENA])}
    admin = alerts_as(scope_for("admin", ("East and Horn of Africa",)), feb, countries=("SSD",))[feb[0]]
    assert any(a.key == "SS07" for a in admin)
    # hq: counterparts by their codes, and no alert on fewer than k engagements in its month.
    k = get_settings().small_cell_k
    hq = [a for alerts in alerts_as(scope_for("hq", ()), tuple(MONTHS), k=k).values() for a in alerts]
    names = {n for (n,) in sql(demo_db, "SELECT name FROM counterparts")}
    counterparts = [a for a in hq if a.kind == "counterpart"]
    assert counterparts and all(a.name.startswith("Counterpart ") and a.name not in names for a in counterparts)
    assert all(a.engagements >= k for a in hq if a.kind != "country")
    assert any(a.key == "SS07" for a in hq)


def test_trends_shows_the_months_alerts_before_what_changed_most(demo_db: Path, use_db) -> None:  # type: ignore[no-untyped-def]
    use_db(demo_db)
    feb = {"period": "custom", "from": "2025-02-01", "to": "2025-02-28", "country": "SSD"}
    at = open_page("trends", feb)
    assert not at.exception and not at.error, problems(at)
    headings = [h.value for h in at.main.subheader]
    assert headings.index("Alerts") + 1 == headings.index("What changed most, and why"), headings
    assert "February 2025" in page_text(at)
    shown = next(df for df in dataframes(at) if "Measure" in df.columns and "Open" in df.columns)
    rows = dict(zip(shown["Place"], shown["Open"], strict=True))
    # Each row opens its place by id, over the alert's month (the map narrowed to Upper Nile: SS07).
    assert rows["Upper Nile, South Sudan"] == "/map?period=custom&from=2025-02-01&to=2025-02-28&country=SSD&area=SS07"
    names = {n for (n,) in sql(demo_db, "SELECT name FROM admin_areas UNION SELECT name FROM checkpoints "
                                        "UNION SELECT name FROM counterparts")}
    links = [link for link in shown["Open"] if link]
    assert links and all(link.startswith(("/map?", "/counterpart?id=")) for link in links), links
    assert not [(n, link) for link in links for n in names if n and n in link]
    # Attacker: the same address, signed in as the MENA coordinator: no South Sudan alert anywhere on the page.
    at = open_page("trends", feb, user="test-coordinator")
    assert not at.exception, problems(at)
    assert not any("Upper Nile" in df.astype(str).to_string() or "SS07" in df.astype(str).to_string()
                   for df in dataframes(at))
    assert "Upper Nile" not in page_text(at)


def test_a_profile_lists_the_counterparts_alerts(demo_db: Path, use_db) -> None:  # type: ignore[no-untyped-def]
    use_db(demo_db)
    cid, last_seen = sql(demo_db, "SELECT counterpart_id, last_seen FROM counterparts WHERE name = 'Col. Idris Bakhit'")[0]
    at = open_page("counterpart", {"id": cid})
    assert not at.exception and not at.error, problems(at)
    shown = next(df for df in dataframes(at) if "Month" in df.columns and "Measure" in df.columns)
    assert len(shown) >= 1 and set(shown["Level"]) <= {"Alert", "Warning"}, shown
    # Each month opens Trends over that month in his country (ids only: no name in the address).
    (iso3,) = sql(demo_db, "SELECT iso3 FROM counterparts WHERE counterpart_id = ?", [cid])[0]
    for month, link in zip(shown["Month"], shown["Open"], strict=True):
        first = dt.datetime.strptime(month, "%b %Y").date()
        last = add_months(first, 1) - dt.timedelta(days=1)
        assert link == f"/?period=custom&from={first}&to={last}&country={iso3}", (month, link)
    # Oracle: each row's engagements are his engagements of that month, counted from the raw rows.
    for month, engagements in zip(shown["Month"], shown["Engagements"], strict=True):
        first = dt.datetime.strptime(month, "%b %Y").date()
        assert first <= last_seen
        n = sql(demo_db, "SELECT count(*) FROM engagements WHERE counterpart_id = ? AND engagement_date >= ? "
                         "AND engagement_date < ?", [cid, first, add_months(first, 1)])[0][0]
        assert int(str(engagements).replace(",", "")) == n, (month, engagements, n)


def test_a_row_without_a_link_has_an_empty_cell_not_a_dash() -> None:
    """components.table: a row without a page to open (a country's reporting change, a profile the user may not
    open) has an empty text in the link column (drawn as an empty cell; None would be drawn "None", and "–" a link
    to nowhere); other empty text still reads "–"."""
    from streamlit.testing.v1 import AppTest

    def script() -> None:
        import pandas as pd

        from dashboard.ui.components import table

        table(pd.DataFrame({"Open": ["/map?area=SS07", None], "Place": ["Upper Nile", None]}), links=("Open",))

    at = AppTest.from_function(script).run(timeout=30)
    assert not at.exception, at.exception
    shown = at.dataframe[0].value
    assert shown["Open"].tolist() == ["/map?area=SS07", ""]
    assert shown["Place"].tolist() == ["Upper Nile", "–"]
