"""Counterpart search and the printable brief, on real DuckDB files built by the ETL (no Streamlit)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from dashboard.db import profile_queries
from dashboard.lookup import brief, search
from etl.config import Settings
from etl.intake import load_paths
from tests.conftest import row, write_csv

REPO = Path(__file__).resolve().parents[2]
HOSTILE = "<script>alert(1)</script>"
Run = Callable[[str, list[object]], pd.DataFrame]


def _runner(db: Path) -> Run:
    """Run the profile queries as a user who sees every region in clear does (through the scope's views)."""
    from dashboard.db.scope import ensure_scope
    from etl.accounts.roles import ALL_REGIONS, scope_for
    from etl.store.db import connect_read

    def run(sql: str, params: list[object] | tuple[object, ...] = ()) -> pd.DataFrame:
        con = connect_read(db)
        try:
            con.execute(f"SET search_path = '{ensure_scope(con, scope_for('hq', (ALL_REGIONS,)), 'salt')}'")
            return con.execute(sql, list(params)).df()
        finally:
            con.close()

    return run


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """3,000 demo engagements written and loaded by the real CLI."""
    folder = tmp_path_factory.mktemp("search_demo")
    db = folder / "access.duckdb"
    done = subprocess.run([sys.executable, "-m", "etl", "demo", "--rows", "3000", "--db", str(db), "--out",
                           str(folder / "logs"), "--quiet"], cwd=REPO, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stdout + done.stderr
    return _runner(db)


@pytest.fixture(scope="session")
def index(demo: Run) -> search.SearchIndex:
    return search.SearchIndex.from_frame(demo(profile_queries.SEARCH_INDEX, []))


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """A small log through the real loader: a normal commander, and a name and notes that are markup."""
    folder = tmp_path_factory.mktemp("hostile")
    today = dt.date.today()
    day = (today - dt.timedelta(days=3)).isoformat()
    before = (today - dt.timedelta(days=5)).isoformat()
    rows = [
        row(),
        row(engagement_id="T-2", counterpart="COLONEL MUHAMMAD IDRIS", date="2025-04-02", request_id="REQ-2",
            request_date="2025-04-01", resolution_date="2025-04-02", outcome="Denied", conditions="", notes="No."),
        row(engagement_id="T-3", counterpart=HOSTILE, notes=HOSTILE + ' <img src=x onerror=alert(1)> "quoted" & co',
            counterpart_affiliation="<b>Unit</b>", intermediary="=HYPERLINK(\"http://x\")", channel="intermediary",
            request_id="REQ-3", request_date=before, date=day, resolution_date="", outcome="Deferred",
            conditions="", follow_up_due=(today + dt.timedelta(days=7)).isoformat()),
        row(engagement_id="T-4", counterpart=HOSTILE, notes="[see](javascript:alert(1)) **urgent**",
            request_id="REQ-4", request_date="2025-05-01", date="2025-05-02", resolution_date="2025-05-02",
            outcome="Granted"),
    ]
    db = folder / "access.duckdb"
    results = load_paths([write_csv(folder / "log.csv", rows)], db, Settings(db=db))
    assert [(r.rows_loaded, r.rows_rejected) for r in results] == [(4, 0)], results
    return _runner(db)


def _id_of(run: Run, name: str) -> str:
    found = run("SELECT DISTINCT counterpart_id FROM counterpart_aliases WHERE alias = ?", [name])
    assert len(found) == 1, f"no single counterpart written {name!r}"
    return str(found.iloc[0, 0])


# ------------------------------------------------------------------------------------ search


def test_spelling_variants_find_the_same_counterpart(hostile: Run) -> None:
    idx = search.SearchIndex.from_frame(hostile(profile_queries.SEARCH_INDEX, []))
    cid = _id_of(hostile, "Col. Mohammed Idris")
    for text in ("col mohamed idris", "Colonel Muhammad Idris", "IDRIS", "mohammed idriss", "Idris, Mohamed"):
        hits = search.search(idx, text)
        assert not hits.empty and hits.iloc[0]["counterpart_id"] == cid, f"{text!r}: {hits.to_dict('records')}"


def test_every_logged_alias_finds_its_counterpart_first(demo: Run, index: search.SearchIndex) -> None:
    aliases = demo("SELECT counterpart_id, alias FROM counterpart_aliases ORDER BY times_seen DESC, alias LIMIT 200",
                   [])
    for cid, alias in aliases.itertuples(index=False):
        hits = search.search(index, alias, limit=5)
        assert cid in set(hits["counterpart_id"]), f"{alias!r} does not find {cid}"
        assert hits.iloc[0]["score"] >= 99, f"{alias!r}: best score {hits.iloc[0]['score']}"


def test_typos_still_find_the_counterpart(demo: Run, index: search.SearchIndex) -> None:
    names = demo("SELECT counterpart_id, name FROM counterparts WHERE length(name) >= 12 "
                 "ORDER BY engagements DESC, counterpart_id LIMIT 30", [])
    for cid, name in names.itertuples(index=False):
        longest = max(name.split(), key=len)
        typo = name.replace(longest, longest[:2] + longest[3:], 1).lower()  # one letter dropped, lower case
        hits = search.search(index, typo, limit=5)
        assert cid in set(hits["counterpart_id"]), f"typo {typo!r} of {name!r} does not find it: {hits['name']}"


def test_results_are_ranked_and_carry_what_the_page_shows(index: search.SearchIndex) -> None:
    hits = search.search(index, "commander", limit=50)
    assert list(hits.columns) == search.RESULT_COLUMNS
    assert hits["score"].is_monotonic_decreasing
    assert hits["engagements"].gt(0).all() and hits["counterpart_type"].notna().all()


def test_empty_query_lists_the_most_engaged(demo: Run, index: search.SearchIndex) -> None:
    hits = search.search(index, "", limit=5)
    top = demo("SELECT counterpart_id FROM counterparts ORDER BY engagements DESC, name LIMIT 5", [])
    assert hits["counterpart_id"].tolist() == top["counterpart_id"].tolist()


def test_scope_and_ids_and_nonsense(demo: Run, index: search.SearchIndex) -> None:
    cid, name, iso3 = demo("SELECT counterpart_id, name, iso3 FROM counterparts ORDER BY engagements DESC LIMIT 1",
                           []).iloc[0]
    assert search.search(index, name, countries=(iso3,)).iloc[0]["counterpart_id"] == cid
    assert cid not in set(search.search(index, name, countries=("ZZZ",))["counterpart_id"])
    assert search.search(index, cid.lower())["counterpart_id"].tolist() == [cid]
    assert search.search(index, "qqqq zzzz xxxx").empty
    assert search.search(index, "!!! ...").empty


def test_markdown_escape_makes_log_text_inert() -> None:
    assert search.escape_markdown("Col. Idris Bakhit") == "Col. Idris Bakhit"
    escaped = search.escape_markdown("[see](javascript:alert(1)) **urgent** <b>x</b>\n# title")
    assert "[see]" not in escaped and "**" not in escaped and "<b>" not in escaped and "\n" not in escaped
    assert search.escape_markdown(None) == ""


# ------------------------------------------------------------------------------------- profile


def test_unknown_id_gives_no_profile(demo: Run) -> None:
    assert brief.load_profile(demo, "CP-DOESNOTEXIST") is None
    assert brief.load_profile(demo, "'; DROP TABLE counterparts; --") is None
    assert brief.clean_id("  ") is None and brief.clean_id(None) is None
    assert len(brief.clean_id("x" * 500) or "") == 64


def test_profile_holds_the_full_history(demo: Run) -> None:
    cid, engagements = demo("SELECT counterpart_id, engagements FROM counterparts ORDER BY engagements DESC LIMIT 1",
                            []).iloc[0]
    p = brief.load_profile(demo, cid)
    assert p is not None
    assert len(p.timeline) == engagements == p.aliases["times_seen"].sum() == p.quarters["engagements"].sum()
    assert p.timeline["date"].is_monotonic_decreasing
    assert p.figures()["engagements"] == engagements and p.figures("peers")["counterparts"] >= 1
    assert cid not in set(p.related["counterpart_id"])


def test_brief_is_a_self_contained_printable_page(demo: Run) -> None:
    cid = demo("SELECT counterpart_id FROM counterparts ORDER BY engagements DESC LIMIT 1", []).iloc[0, 0]
    p = brief.load_profile(demo, cid)
    assert p is not None
    generated = dt.datetime(2026, 3, 4, 9, 30, tzinfo=dt.UTC)
    page = brief.render_brief(p, generated)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "Confidential" in page and "04 Mar 2026" in page and "@media print" in page
    assert brief.text(p.name) in page
    for heading in ("Follow-ups due", "Conditions typically demanded", "What preceded a yes", "Last 10 engagements"):
        assert heading in page
    # Self-contained: no script, no external fetch of any kind.
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\(|https?://|src=", page, re.I)
    # The ten latest engagements are the ten rows of the last table.
    last_table = page.split("Last 10 engagements")[1]
    assert last_table.count("<tr") == 11  # header + 10
    assert brief.fmt_date(p.timeline.iloc[0]["date"]) in last_table
    top_condition = p.conditions.iloc[0]["condition"]
    assert brief.text(top_condition) in page.split("Conditions typically demanded")[1].split("What preceded")[0]


def test_brief_warns_about_look_alikes(demo: Run) -> None:
    pair = demo("SELECT counterpart_id_a, b.name FROM counterpart_review r "
                "JOIN counterparts b ON b.counterpart_id = r.counterpart_id_b LIMIT 1", [])
    assert not pair.empty, "the demo data has no doubtful look-alike pair"
    p = brief.load_profile(demo, pair.iloc[0, 0])
    assert p is not None and not p.review.empty
    page = brief.render_brief(p)
    assert "Possibly the same as" in page and brief.text(pair.iloc[0, 1]) in page


def test_hostile_name_and_notes_are_escaped_in_the_brief(hostile: Run) -> None:
    cid = _id_of(hostile, HOSTILE)
    p = brief.load_profile(hostile, cid)
    assert p is not None
    page = brief.render_brief(p)
    assert "&lt;script&gt;" in page
    assert "<script" not in page.lower()
    assert "<img" not in page.lower() and "<b>Unit" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "javascript:alert(1)" in page  # shown as text, never as a link
    assert "<a " not in page.lower()
    assert "&lt;/script&gt;" in page.split("<title>")[1].split("</title>")[0]
    assert "<" not in search.escape_markdown(HOSTILE).replace("\\<", "")


def test_future_follow_ups_are_listed_and_highlighted(hostile: Run) -> None:
    cid = _id_of(hostile, HOSTILE)
    p = brief.load_profile(hostile, cid)
    assert p is not None
    assert p.follow_ups["status"].tolist() == ["Due"]
    assert p.future_follow_ups().tolist() == [True, False]
    page = brief.render_brief(p)
    assert page.count('<tr class="due">') == 2  # in the follow-ups table and in the last engagements
    # Seen after the due date with no later engagement on the request: overdue, no longer highlighted.
    later = brief.load_profile(hostile, cid, today=dt.date.today() + dt.timedelta(days=30))
    assert later is not None and not later.future_follow_ups().any()
    assert later.follow_ups["status"].str.startswith("Overdue").tolist() == [True]
    assert '<tr class="due">' not in brief.render_brief(later)
    # Long past: no longer open at all.
    much_later = brief.load_profile(hostile, cid, today=dt.date.today() + dt.timedelta(days=7 + brief.OVERDUE_DAYS + 1))
    assert much_later is not None and much_later.follow_ups.empty
    assert "None open" in brief.render_brief(much_later)


def test_downloads_do_not_carry_spreadsheet_formulas(hostile: Run) -> None:
    p = brief.load_profile(hostile, _id_of(hostile, HOSTILE))
    assert p is not None
    safe = brief.spreadsheet_safe(p.timeline)
    assert safe["intermediary"].dropna().tolist() == ["'=HYPERLINK(\"http://x\")"]
    assert safe["notes"].tolist() == p.timeline["notes"].tolist()  # ordinary text untouched
    assert p.timeline["intermediary"].dropna().str.startswith("=").all()  # the profile itself is unchanged
