"""Alerts (etl/analysis/alerts.py) on series written by hand into a small DuckDB file.

The oracle is the series itself: each test plants (or does not plant) a change and says, from the numbers
it wrote, what must be flagged; the expected counts are recomputed in plain Python, and the seasonal
baseline is checked against statsmodels' Poisson GLM (another way to the same estimate).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from etl.analysis.alerts import AlertRules, add_months, alerts_by_month, expected_rate, find_alerts
from etl.store import rollups
from etl.store.migrations import m0006_engagement_months

FIRST = dt.date(2023, 1, 1)
# A steady place: 40 engagements a month, about 8 denials, written by hand (no random draw).
STEADY = [8, 7, 9, 8, 10, 6, 8, 9, 7, 8, 8, 9, 7, 8, 10, 8, 6, 9, 8, 7, 9, 8, 8, 10, 7, 8, 9, 6, 8, 9, 8, 7, 9, 8, 8, 7]


def _write(path: Path, series: dict[tuple[str, str], list[tuple[int, int]]], orgs: dict[str, list[int]] | None = None) -> Path:
    """One engagement row per engagement: ``series[(iso3, pcode)]`` = [(engagements, denials) per month from FIRST]."""
    rows = []
    for (iso3, pcode), months in series.items():
        for i, (n, denied) in enumerate(months):
            day = add_months(FIRST, i) + dt.timedelta(days=9)
            for j in range(n):
                org = f"org{j % (orgs[iso3][i] if orgs else 3)}"
                rows.append((day, pcode, f"CK-{pcode}", f"CP-{pcode}", iso3, "East and Horn of Africa" if iso3 == "SSD"
                             else "Middle East and North Africa", "denied" if j < denied else "granted", 1, org))
    frame = pd.DataFrame(rows, columns=["engagement_date", "admin1_pcode", "checkpoint_id", "counterpart_id", "iso3",
                                        "region", "outcome", "load_id", "organisation"])
    con = duckdb.connect(str(path))
    con.register("frame", frame)
    con.execute("CREATE TABLE engagements AS SELECT * FROM frame")
    con.execute(m0006_engagement_months.ENGAGEMENT_MONTHS)  # counted by month, as every published database is
    con.execute(m0006_engagement_months.REPORTING_MONTHS)
    rollups.refresh(con)
    pcodes = sorted({p for _, p in series})
    con.execute("CREATE TABLE admin_areas AS SELECT unnest(?) AS pcode, 'Area ' || unnest(?) AS name", [pcodes, pcodes])
    con.execute("CREATE TABLE checkpoints AS SELECT 'CK-' || unnest(?) AS checkpoint_id, 'Gate ' || unnest(?) AS name",
                [pcodes, pcodes])
    con.execute("CREATE TABLE counterparts AS SELECT 'CP-' || unnest(?) AS counterpart_id, 'Cmdr ' || unnest(?) AS name",
                [pcodes, pcodes])
    con.execute("CREATE TABLE countries (iso3 VARCHAR, name VARCHAR, region VARCHAR)")
    con.execute("INSERT INTO countries VALUES ('SSD', 'South Sudan', 'East and Horn of Africa'), "
                "('YEM', 'Yemen', 'Middle East and North Africa')")
    con.close()
    return path


def _alerts(path: Path, month_index: int, **kwargs):  # type: ignore[no-untyped-def]
    con = duckdb.connect(str(path), read_only=True)
    try:
        return find_alerts(lambda sql, params: con.execute(sql, params).df(), add_months(FIRST, month_index), **kwargs)
    finally:
        con.close()


def _month(i: int) -> dt.date:
    return add_months(FIRST, i)


def test_a_steady_series_with_noise_gives_no_alert(tmp_path: Path) -> None:
    db = _write(tmp_path / "steady.duckdb", {("SSD", "SS01"): [(40, d) for d in STEADY]})
    con = duckdb.connect(str(db), read_only=True)
    found = alerts_by_month(lambda sql, params: con.execute(sql, params).df(), [_month(i) for i in range(12, 36)])
    con.close()
    assert len(found) == 24 and all(a == [] for a in found.values()), found


def test_a_surge_is_flagged_against_what_the_history_predicts(tmp_path: Path) -> None:
    surge = [(40, d) for d in STEADY[:30]] + [(40, 25)]
    db = _write(tmp_path / "surge.duckdb", {("SSD", "SS01"): surge})
    found = [a for a in _alerts(db, 30) if a.kind == "area" and a.measure == "denials"]
    assert [a.level for a in found] == ["alert"], found
    # Oracle: the same calendar month's denials of the earlier years, pulled towards the overall rate by 30
    # engagements' worth, times this month's 40 engagements (written out here, not the module's function).
    past = STEADY[:30]
    overall = sum(past) / (40 * 30)
    same_month = [past[i] for i in range(30) if i % 12 == 30 % 12]
    expected = 40 * (sum(same_month) + 30 * overall) / (40 * len(same_month) + 30)
    assert found[0].observed == 25 and found[0].expected == pytest.approx(expected, abs=0.05)
    assert found[0].name == "Area SS01" and found[0].since == _month(30)


def test_one_to_two_denials_is_not_an_alert(tmp_path: Path) -> None:
    db = _write(tmp_path / "small.duckdb", {("SSD", "SS01"): [(6, 0)] * 24 + [(6, 2), (6, 4)]})
    assert _alerts(db, 24) == [] and _alerts(db, 25) == []  # 0 -> 2, 0 -> 4: under the minimum of 5 denials


def test_a_repeat_is_suppressed_unless_it_got_worse(tmp_path: Path) -> None:
    months = [(40, d) for d in STEADY[:30]] + [(40, 25), (40, 25), (40, 30)]
    db = _write(tmp_path / "repeat.duckdb", {("SSD", "SS01"): months})
    counts = lambda i: [a for a in _alerts(db, i) if a.kind == "area" and a.measure == "denials"]  # noqa: E731
    assert len(counts(30)) == 1
    assert counts(31) == [], "the same level again the next month is not a new alert"
    worse = counts(32)
    assert len(worse) == 1 and worse[0].since == _month(30), "worse: shown again, since the episode began"


def test_a_sustained_rise_is_flagged_by_the_cusum(tmp_path: Path) -> None:
    # 20% for two years, then 30% for six months: no single month far out, together a shift. By hand: with
    # p0 = 0.2 a month of 12 denials in 40 adds 12 ln(2/1.2) + 28 ln(1/1.2) = 1.02 to the CUSUM, so it passes
    # h = 5 in the fifth month (index 28), not before.
    rising = [(40, 8)] * 24 + [(40, 12)] * 6
    db = _write(tmp_path / "cusum.duckdb", {("SSD", "SS01"): rising})
    shifts = {i: [a for a in _alerts(db, i) if a.kind == "area" and a.measure == "denial share rising"]
              for i in (27, 28, 29)}
    assert not [a for i in (27, 28, 29) for a in _alerts(db, i) if a.measure == "denials"], "no month is an outlier"
    assert shifts[27] == [] and len(shifts[28]) == 1 and shifts[28][0].since == _month(24), shifts
    assert shifts[28][0].observed == pytest.approx(0.30) and shifts[28][0].expected == pytest.approx(0.2)
    assert shifts[29] == [], "the same shift the next month, no worse: suppressed"


def test_a_drop_in_reporting_is_not_an_improvement(tmp_path: Path) -> None:
    # SSD: 100 engagements a month at 30%, then 40 engagements and no denial: a reporting change.
    # YEM: the same history, then 100 engagements and no denial: an improvement.
    history = [(100, 30)] * 24
    db = _write(tmp_path / "guard.duckdb", {("SSD", "SS01"): history + [(40, 0)], ("YEM", "YE01"): history + [(100, 0)]})
    found = _alerts(db, 24)
    country = [a for a in found if a.kind == "country"]
    assert [(a.iso3, a.level, a.observed, a.expected) for a in country] == [("SSD", "reporting change", 40, 100)]
    areas = {a.iso3: a.level for a in found if a.kind == "area"}
    assert areas == {"SSD": "reporting change", "YEM": "improvement"}


def test_fewer_reporting_organisations_is_a_reporting_change(tmp_path: Path) -> None:
    history = [(60, 12)] * 25
    db = _write(tmp_path / "orgs.duckdb", {("SSD", "SS01"): history}, orgs={"SSD": [6] * 24 + [2]})
    country = [a for a in _alerts(db, 24) if a.kind == "country"]
    assert [(a.measure, a.observed, a.expected) for a in country] == [("offices or organisations reporting", 2, 6)]


def test_region_country_and_k_narrow_the_alerts(tmp_path: Path) -> None:
    surge = [(40, d) for d in STEADY[:30]] + [(40, 25)]
    small = [(6, 1)] * 30 + [(6, 6)]
    db = _write(tmp_path / "two.duckdb", {("SSD", "SS01"): surge, ("YEM", "YE01"): small})
    assert {a.iso3 for a in _alerts(db, 30)} == {"SSD", "YEM"}
    assert {a.iso3 for a in _alerts(db, 30, countries=["YEM"])} == {"YEM"}
    assert {a.iso3 for a in _alerts(db, 30, regions=["East and Horn of Africa"])} == {"SSD"}
    # hq's k: no alert on fewer than k engagements in its month (6 < 10).
    assert {a.iso3 for a in _alerts(db, 30, min_engagements=10)} == {"SSD"}


def test_the_seasonal_baseline_is_the_poisson_glm_without_the_pull() -> None:
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    engaged = rng.integers(20, 60, size=30)
    months = [(i % 12) + 1 for i in range(30)]
    denied = rng.binomial(engaged, [0.1 + 0.2 * (m in (6, 7, 8)) for m in months])
    dummies = pd.get_dummies(pd.Categorical(months), drop_first=True, dtype=float)
    model = sm.GLM(denied, sm.add_constant(dummies), family=sm.families.Poisson(), offset=np.log(engaged)).fit()
    for m in range(1, 13):
        row = np.r_[1.0, [1.0 if m == c else 0.0 for c in range(2, 13)]]
        glm_rate = float(np.exp(row @ model.params.to_numpy()))
        assert expected_rate(list(denied), list(engaged), months, m, prior=0.0) == pytest.approx(glm_rate, rel=1e-6)


def test_the_rules_are_what_the_docs_say() -> None:
    rules = AlertRules()
    doc = (Path(__file__).resolve().parents[3] / "docs" / "alerts.md").read_text()
    for figure in (f"p < {rules.warning_p}", f"p < {rules.alert_p}", f"{rules.min_denials} denials",
                   f"{rules.quiet_months} months", f"h = {rules.cusum_h:g}"):
        assert figure in doc, f"docs/alerts.md does not say {figure!r}"


def test_a_line_stays_one_line_whatever_the_name() -> None:
    from etl.analysis.alerts import Alert

    a = Alert("alert", "counterpart", "CP-1", "Cmdr X\nALERT fake line\u202e", "SSD", "denials", 9, 1.5,
              dt.date(2025, 1, 1), 12)
    line = a.line(dt.date(2025, 2, 1))
    assert "\n" not in line and "\u202e" not in line and line.endswith("since Jan 2025"), line
    assert line.startswith("ALERT            counterpart Cmdr X ALERT fake line  (SSD): denials: 9 this month, "
                           "expected 1.5")
