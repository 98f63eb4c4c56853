"""Every page, run in-process with Streamlit's AppTest on real databases built by the CLI.

What the pages promise: they render on the demo data, their figures follow the sidebar filters
(which live in the URL), filters that match nothing give a clear message instead of an empty
chart, an empty or missing database is explained rather than crashing, and ``?id=`` opens a
counterpart's profile.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.dashboard.conftest import (
    EMPTY_LOG_NAME,
    FILTERED_PAGES,
    PAGES,
    DemoFacts,
    charts,
    dataframes,
    figures,
    figures_diff,
    metrics,
    open_page,
    page_text,
    problems,
    sql,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def _contains(frames: list, text: str) -> bool:
    return any(frame.astype(str).apply(lambda col: col.str.contains(text, regex=False)).to_numpy().any()
               for frame in frames)


# ----------------------------------------------------------------------------- every page


@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders_on_demo_data(page: str, demo_db: Path, use_db) -> None:
    use_db(demo_db)
    at = open_page(page)
    assert not at.exception and not at.error, problems(at)
    assert at.main.title or at.main.header or at.main.subheader, f"{page}: no heading"
    assert figures(at) or page == "counterpart", f"{page}: no figures at all on the demo data"


@pytest.mark.parametrize("page", list(PAGES))
def test_page_explains_an_empty_database(page: str, empty_db: Path, use_db) -> None:
    """Schema and a load, but no engagements: a message, never a traceback or an empty chart."""
    use_db(empty_db)
    at = open_page(page)
    assert not at.exception and not at.error, problems(at)
    assert not charts(at), f"{page}: charts drawn with no data: {charts(at)}"
    if page == "data":
        # The Data page is where the user finds out why nothing is there: the load and its rejected row.
        assert _contains(dataframes(at), EMPTY_LOG_NAME), "the Data page does not list the load that was rejected"
    elif page in FILTERED_PAGES:
        assert at.main.info, f"{page}: no empty-state message on a database without engagements"


@pytest.mark.parametrize("page", list(PAGES))
def test_page_explains_a_missing_database(page: str, missing_db: Path, use_db) -> None:
    use_db(missing_db)
    at = open_page(page)
    assert not at.exception, problems(at)
    assert not charts(at)
    if page != "data":
        assert at.main.info, f"{page}: nothing tells the user there is no database yet"


# ------------------------------------------------------------------------------- filters


@pytest.mark.parametrize("page", FILTERED_PAGES)
def test_country_filter_changes_the_figures(page: str, demo_db: Path, use_db) -> None:
    use_db(demo_db)
    at = open_page(page)
    assert not at.exception, problems(at)
    everywhere = figures(at)
    at.run()
    # A rerun with the same filters shows the same figures (else this test could not fail).
    again = figures(at)
    assert again == everywhere, f"{page}: figures change between two identical runs:\n" \
                                f"{figures_diff(everywhere, again)}"
    yemen = open_page(page, {"country": "YEM"})
    assert not yemen.exception, problems(yemen)
    assert figures(yemen), f"{page}: no figures for Yemen"
    assert figures(yemen) != everywhere, f"{page}: the country filter does not change the figures"


def test_trends_headline_follows_country_and_period_widgets(demo_db: Path, use_db) -> None:
    use_db(demo_db)
    at = open_page("trends")
    assert not at.exception, problems(at)
    default = metrics(at)
    assert default, "Trends shows no headline metrics"

    at.sidebar.multiselect(key="f_country").set_value(["YEM"]).run()
    assert not at.exception, problems(at)
    yemen = metrics(at)
    assert yemen.keys() == default.keys()
    assert yemen != default, "choosing Yemen does not change the headline figures"
    assert at.query_params.get("country") in ("YEM", ["YEM"]), f"the URL does not keep the filter: {at.query_params}"

    at.sidebar.selectbox(key="f_period").set_value("30d").run()
    assert not at.exception, problems(at)
    assert metrics(at) != yemen, "a shorter period does not change the headline figures"
    assert at.query_params.get("period") in ("30d", ["30d"])


@pytest.mark.parametrize(("params", "where", "days"), [
    ({"period": "all"}, "TRUE", None),
    ({"period": "90d", "country": "YEM"}, "iso3 = 'YEM'", 90),
    ({"period": "365d", "activity": "medical_evacuation"}, "activity = 'medical_evacuation'", 365),
])
def test_trends_engagement_count_matches_the_database(params: dict[str, str], where: str, days: int | None,
                                                      demo_db: Path, use_db) -> None:
    """The headline engagement count is exactly the number of rows the filters select."""
    use_db(demo_db)
    last = sql(demo_db, "SELECT max(engagement_date) FROM engagements")[0][0]
    start = last - dt.timedelta(days=days - 1) if days else dt.date(1900, 1, 1)
    expected = sql(demo_db, f"SELECT count(*) FROM engagements WHERE {where} "  # noqa: S608 - constants
                            "AND engagement_date BETWEEN ? AND ?", [start, last])[0][0]
    at = open_page("trends", params)
    assert not at.exception, problems(at)
    shown = metrics(at)
    assert f"{expected:,}" in shown.values(), f"expected {expected:,} engagements among the headline {shown}"


@pytest.mark.parametrize("page", FILTERED_PAGES)
def test_filters_matching_nothing_show_the_empty_state(page: str, demo_db: Path, demo_facts: DemoFacts,
                                                       use_db) -> None:
    """An organisation that never worked in Yemen, in Yemen: a message instead of charts."""
    use_db(demo_db)
    at = open_page(page, {"period": "all", "country": "YEM", "org": demo_facts.org_absent_from_yemen})
    assert not at.exception and not at.error, problems(at)
    assert at.sidebar.multiselect(key="f_org").value == [demo_facts.org_absent_from_yemen], "filter not applied"
    assert at.main.info, f"{page}: no empty-state message when the filters match nothing"
    assert not charts(at), f"{page}: charts drawn for filters that match nothing: {charts(at)}"


@pytest.mark.parametrize("params", [
    {"period": "bogus", "country": "ZZZ", "area": "XX99", "activity": "juggling", "from": "junk"},
    {"period": "custom", "from": "2026-13-45", "to": "yesterday"},
    {"period": "custom", "from": "1990-01-01", "to": "1990-01-31"},
    {"period": "custom", "from": "2030-01-01", "to": "2029-01-01"},
], ids=["unknown-values", "malformed-dates", "dates-before-the-data", "dates-after-the-data"])
def test_odd_url_filters_do_not_break_the_page(params: dict[str, str], demo_db: Path, use_db) -> None:
    """A shared or hand-edited link with values the data does not have still opens a page."""
    use_db(demo_db)
    at = open_page("trends", params)
    assert not at.exception and not at.error, problems(at)
    assert metrics(at) or at.main.info


def test_checkpoint_filter_from_the_url_applies_and_can_be_cleared(demo_db: Path, demo_facts: DemoFacts,
                                                                   use_db) -> None:
    use_db(demo_db)
    at = open_page("trends", {"period": "all", "country": "YEM", "checkpoint": demo_facts.checkpoint_elsewhere})
    assert not at.exception, problems(at)
    assert at.main.info, "a checkpoint outside the chosen country matches nothing: expected the empty state"
    # The button names the checkpoint (its name, read in the user's scope), not its id.
    clear = [b for b in at.sidebar.button if b.label.startswith("Clear checkpoint")]
    assert clear, "no button to clear the checkpoint filter"
    clear[0].click().run()
    assert not at.exception, problems(at)
    assert "checkpoint" not in at.query_params
    assert metrics(at), "clearing the checkpoint does not bring the figures back"


# ---------------------------------------------------------------------------- counterpart


def test_profile_opens_by_id(demo_db: Path, demo_facts: DemoFacts, use_db) -> None:
    use_db(demo_db)
    at = open_page("counterpart", {"id": demo_facts.counterpart_id})
    assert not at.exception and not at.error, problems(at)
    assert demo_facts.counterpart_name in page_text(at), \
        f"the profile of {demo_facts.counterpart_id} does not name {demo_facts.counterpart_name!r}"
    briefs = [b for b in at.main.download_button if "brief" in b.label.lower()]
    assert briefs, f"no brief download on the profile; buttons: {[b.label for b in at.main.download_button]}"
    assert at.query_params.get("id") in (demo_facts.counterpart_id, [demo_facts.counterpart_id])


def test_profiles_differ_by_id(demo_db: Path, use_db) -> None:
    use_db(demo_db)
    (a, name_a), (b, name_b) = sql(demo_db, "SELECT counterpart_id, name FROM counterparts "
                                            "ORDER BY engagements DESC, counterpart_id LIMIT 2")
    first, second = open_page("counterpart", {"id": a}), open_page("counterpart", {"id": b})
    assert not first.exception and not second.exception, problems(first) + problems(second)
    assert name_a in page_text(first) and name_a not in page_text(second)
    assert name_b in page_text(second)


def test_unknown_profile_id_is_explained(demo_db: Path, use_db) -> None:
    use_db(demo_db)
    at = open_page("counterpart", {"id": "CP-DOESNOTEXIST"})
    assert not at.exception, problems(at)
    assert at.main.info or at.main.warning, "an unknown id gives no message"
    assert not [b for b in at.main.download_button if "brief" in b.label.lower()]


# ---------------------------------------------------------------------------------- data


def test_data_page_lists_the_loads(demo_db: Path, use_db) -> None:
    use_db(demo_db)
    at = open_page("data")
    assert not at.exception and not at.error, problems(at)
    files = [r[0] for r in sql(demo_db, "SELECT file_name FROM loads ORDER BY load_id")]
    assert len(files) == 16  # 12 field logs, 2 public incident feeds and 2 conflict-event feeds (ACLED, HDX HAPI)
    frames = dataframes(at)
    missing = [f for f in files if not _contains(frames, f)]
    assert not missing, f"loads not listed on the Data page: {missing}"


def test_a_database_of_another_schema_version_is_explained(demo_db: Path, use_db, tmp_path: Path) -> None:
    """A file built by an older version: a message saying how to upgrade it, not a query error."""
    import shutil

    import duckdb

    old = tmp_path / "old.duckdb"
    shutil.copy(demo_db, old)
    con = duckdb.connect(str(old))
    con.execute("UPDATE schema_info SET value = '2' WHERE key = 'schema_version'")
    con.close()
    use_db(old)
    at = open_page("trends")
    assert not at.exception, problems(at)
    assert [e.value for e in at.error] and "schema version 2" in at.error[0].value
    assert f"python -m etl upgrade --db {old}" in at.error[0].value
    assert not charts(at)


def test_a_busy_profile_shows_the_latest_and_reads_the_whole_history_on_request(
        demo_db: Path, demo_facts: DemoFacts, use_db, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard.db import profile_queries

    use_db(demo_db)
    monkeypatch.setattr(profile_queries, "TIMELINE_ROWS", 5)  # the demo's busiest counterpart then counts as busy
    total = sql(demo_db, "SELECT count(*) FROM engagements WHERE counterpart_id = ?", [demo_facts.counterpart_id])[0][0]
    assert total > 5
    at = open_page("counterpart", {"id": demo_facts.counterpart_id})
    assert not at.exception and not at.error, problems(at)
    assert f"The latest 5 of {total:,} engagements" in page_text(at)
    before = len(at.get("download_button"))
    at.button(key=f"whole_history_{demo_facts.counterpart_id}_go").click().run()
    assert not at.exception, problems(at)
    assert f"{total:,} engagements, most recent first." in page_text(at)
    assert len(at.get("download_button")) == before + 2  # CSV and Excel of the whole history
