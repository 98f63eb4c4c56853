"""Sign-in and scope in a real browser (Debian's chromium, outside traffic blocked), as each role.

Every ``page.goto`` is a new Streamlit session, so each address below asks to sign in first; the
address (with its filters) must survive the sign-in, and what follows must stay in the user's scope.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tests.dashboard.conftest import (
    ARTIFACTS,
    TEST_PASSWORD,
    Visit,
    shot,
    sign_in_with,
    sql,
    wait_for_app,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

MENA = "Middle East and North Africa"


def _body(visit: Visit) -> str:
    return visit.page.inner_text("body")


def test_the_form_comes_first_and_wrong_passwords_are_refused(visit: Visit) -> None:
    visit.open("/", sign_in=False)
    shot(visit.page, "sign_in")
    body = _body(visit)
    assert "Username" in body and "Password" in body
    assert not visit.page.locator('[data-testid="stMetric"], [data-testid="stDataFrame"]').count()
    sign_in_with(visit.page, "test-coordinator", "not the password")
    assert "Wrong username or password" in _body(visit)
    assert not visit.page.locator('[data-testid="stMetric"]').count()
    assert not visit.external, visit.external


def test_a_shared_link_opens_after_sign_in_within_the_users_scope(visit: Visit, demo_db: Path) -> None:
    visit.user = "test-coordinator"
    visit.open("/map?country=AFG&region=Asia")  # a link made by someone who sees Asia
    shot(visit.page, "coordinator_map_outside_link")
    body = _body(visit)
    assert "Access map" in body, "the link's page did not open after sign-in"
    outside = {n for (n,) in sql(demo_db, "SELECT name FROM counterparts WHERE region <> ? AND length(name) >= 10 "
                                          "AND name NOT IN (SELECT name FROM counterparts WHERE region = ?)",
                                 [MENA, MENA])}
    assert not [n for n in outside if n in body], "names from other regions on the coordinator's map page"
    assert "Afghanistan" not in body
    asia = sql(demo_db, "SELECT counterpart_id, name FROM counterparts WHERE region = 'Asia' "
                        "ORDER BY engagements DESC LIMIT 1")[0]
    visit.open(f"/counterpart?id={asia[0]}")
    body = _body(visit)
    assert "No counterpart has the id" in body and asia[1] not in body
    assert not visit.external, visit.external


def test_hq_cannot_open_a_profile_and_sees_codes(visit: Visit, demo_db: Path) -> None:
    visit.user = "test-hq"
    cid, name = sql(demo_db, "SELECT counterpart_id, name FROM counterparts ORDER BY engagements DESC LIMIT 1")[0]
    visit.open(f"/counterpart?id={cid}")
    body = _body(visit)
    assert name not in body and "Counterpart lookup" not in visit.page.locator("h1").all_inner_texts()
    visit.open("/counterparts")
    shot(visit.page, "hq_counterparts")
    body = _body(visit)
    assert "Counterpart " in body and name not in body
    assert not visit.external, visit.external


def test_a_negotiator_brief_holds_only_its_region(visit: Visit, demo_db: Path) -> None:
    visit.user = "test-negotiator"
    cid, name = sql(demo_db, "SELECT counterpart_id, name FROM counterparts WHERE region = 'East and Horn of Africa' "
                             "ORDER BY engagements DESC LIMIT 1")[0]
    visit.open(f"/counterpart?id={cid}")
    button = visit.page.locator('[data-testid="stDownloadButton"]').filter(has_text=re.compile("brief", re.I))
    assert button.count() >= 1, "no brief for the negotiator's own counterpart"
    with visit.page.expect_download() as info:
        button.first.locator("button, a").first.click()
    saved = ARTIFACTS / "negotiator_brief.html"
    info.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert name in text or html.escape(name) in text
    others = {n for (n,) in sql(demo_db, "SELECT name FROM counterparts WHERE region <> 'East and Horn of Africa' "
                                         "AND length(name) >= 10")}
    assert not [n for n in others if html.escape(n) in text], "the brief names counterparts of other regions"
    wait_for_app(visit.page)
    assert not visit.external, visit.external


def test_signing_out_ends_the_session(visit: Visit) -> None:
    visit.open("/")
    assert visit.page.locator('[data-testid="stMetric"]').count()
    visit.page.get_by_role("button", name="Sign out").click()
    wait_for_app(visit.page)
    assert "You signed out." in _body(visit) and not visit.page.locator('[data-testid="stMetric"]').count()
    sign_in_with(visit.page, "test-admin", TEST_PASSWORD)
    assert visit.page.locator('[data-testid="stMetric"]').count()
