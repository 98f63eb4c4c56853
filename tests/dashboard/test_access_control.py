"""Who sees what: every role, signed in through AppTest, trying to reach data outside its scope.

The users are the test users of ``tests/dashboard/conftest.py`` (``TEST_USERS``) on the demo
database. Ground truth comes straight from the database file; the app's answers from what the
pages draw. Paths tried: the pages a role may not open, page filters and the query string naming
other regions and countries, a profile id from another region, the data behind every table
(what the downloads export), and the brief.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from dashboard import registry
from tests.dashboard.conftest import (
    TEST_PASSWORD,
    dataframes,
    open_page,
    page_text,
    problems,
    signed_in_session,
    sql,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

TITLES = {"trends": "Access trends", "map": "Access map", "obstacles": "Recurring obstacles",
          "counterparts": "Counterpart patterns", "counterpart": "Counterpart lookup", "data": "Data",
          "audit": "Audit log"}
# What each test user may open (etl/accounts/roles.py, in the words).
ALLOWED = {
    "test-hq": {"trends", "map", "obstacles", "counterparts"},
    "test-coordinator": {"trends", "map", "obstacles", "counterparts", "counterpart"},
    "test-negotiator": {"counterpart"},
    "test-admin-only": {"data", "audit"},
    "test-admin": set(TITLES),
}
MENA = "Middle East and North Africa"
EAST = "East and Horn of Africa"


@dataclasses.dataclass(frozen=True)
class Truth:
    mena_iso3: set[str]
    other_iso3: set[str]
    outside_names: set[str]  # counterpart names only found outside MENA (distinctive enough to search for)
    all_names: set[str]
    notes: set[str]
    outside_id: str  # a counterpart of another region (Asia)
    east_id: str  # a counterpart in East and Horn of Africa, with notes
    east_note: str
    mena_engagements_12m: int


@pytest.fixture(scope="module")
def truth(demo_db: Path) -> Truth:
    iso = sql(demo_db, "SELECT iso3, region FROM countries WHERE iso3 IN (SELECT DISTINCT iso3 FROM engagements)")
    mena = {i for i, r in iso if r == MENA}
    names = sql(demo_db, "SELECT name, region FROM counterparts")
    inside = {n for n, r in names if r == MENA}
    outside = {n for n, r in names if r != MENA and n not in inside and len(n) >= 10}
    notes = {n for (n,) in sql(demo_db, "SELECT DISTINCT notes FROM engagements WHERE length(notes) >= 25")}
    outside_id = sql(demo_db, "SELECT counterpart_id FROM counterparts WHERE region = 'Asia' "
                              "ORDER BY engagements DESC LIMIT 1")[0][0]
    east_id, east_note = sql(demo_db, f"""
        SELECT e.counterpart_id, arg_max(e.notes, e.engagement_date) FROM engagements e WHERE e.region = '{EAST}'
        AND length(e.notes) >= 25 GROUP BY 1 ORDER BY count(*) DESC LIMIT 1""")[0]  # its latest note
    last = sql(demo_db, "SELECT max(engagement_date) FROM engagements")[0][0]
    n = sql(demo_db, "SELECT count(*) FROM engagements WHERE region = ? AND engagement_date BETWEEN ? AND ?",
            [MENA, last - dt.timedelta(days=364), last])[0][0]
    return Truth(mena, {i for i, _ in iso} - mena, outside, {n for n, _ in names}, notes, outside_id, east_id,
                 east_note, n)


def _everything(at) -> str:
    """All text of the page, and every cell of every table (the data the downloads export)."""
    frames = dataframes(at)
    cells = "\n".join(frame.astype(str).to_csv(index=False) for frame in frames)
    return page_text(at) + "\n" + cells


def _found(text: str, needles: set[str]) -> list[str]:
    return sorted(n for n in needles if n and n in text)[:5]


# ------------------------------------------------------------------------------------- pages


@pytest.mark.parametrize("user", list(ALLOWED))
def test_each_role_opens_exactly_its_pages(user: str, demo_db: Path, use_db) -> None:
    use_db(demo_db)
    for page, title in TITLES.items():
        try:
            at = open_page(page, user=user)
        except ValueError as err:  # AppTest: the router did not register the page for this user
            assert page not in ALLOWED[user], f"{user} should open {page}: {err}"
            assert "Could not find a navigation page" in str(err)
            continue
        assert not at.exception, problems(at)
        shown = [t.value for t in at.title]
        if page in ALLOWED[user]:
            assert shown == [title], f"{user} should open {page}: shows {shown}"
        else:
            assert title not in shown, f"{user} reached {page}, which its role does not allow"


def test_nobody_signed_in_sees_only_the_form(truth: Truth, demo_db: Path, use_db) -> None:
    use_db(demo_db)
    for params in ({}, {"region": [MENA]}, {"id": truth.east_id}, {"period": ["all"]}):
        at = open_page("trends", params, user=None)  # every address answers with the form (see the router)
        assert not at.exception, problems(at)
        assert [t.label for t in at.text_input] == ["Username", "Password"]
        assert not dataframes(at) and not at.metric and not at.get("plotly_chart"), f"data shown with {params}"


# ------------------------------------------------------------------------ coordinator: one region


@pytest.mark.parametrize("params", [
    {},
    {"region": ["Asia"]},  # another region in the URL
    {"country": ["AFG", "YEM"]},  # a country outside, one inside
    {"period": ["all"], "region": ["Asia", MENA]},
])
def test_a_coordinator_sees_no_row_of_another_region(params, truth: Truth, demo_db: Path, use_db) -> None:
    use_db(demo_db)
    for page in sorted(ALLOWED["test-coordinator"] - {"counterpart"}):
        at = open_page(page, params, user="test-coordinator")
        assert not at.exception and not at.error, problems(at)
        text = _everything(at)
        assert not _found(text, truth.outside_names), f"{page} {params}: names from other regions"
        for frame in dataframes(at):
            for col in ("iso3", "country"):
                if col in frame.columns:
                    leaked = set(frame[col].dropna().astype(str)) & truth.other_iso3
                    assert not leaked, f"{page} {params}: rows of {leaked}"
            if "region" in frame.columns:
                assert set(frame["region"].dropna()) <= {MENA}, f"{page} {params}: {set(frame['region'])}"


def test_a_coordinator_headline_counts_only_its_region(truth: Truth, demo_db: Path, use_db) -> None:
    use_db(demo_db)
    at = open_page("trends", user="test-coordinator")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Engagements"] == f"{truth.mena_engagements_12m:,}"


def test_a_profile_from_another_region_is_not_found(truth: Truth, demo_db: Path, use_db) -> None:
    use_db(demo_db)
    name = sql(demo_db, "SELECT name FROM counterparts WHERE counterpart_id = ?", [truth.outside_id])[0][0]
    at = open_page("counterpart", {"id": truth.outside_id}, user="test-coordinator")
    assert not at.exception, problems(at)
    assert any("No counterpart has the id" in w.value for w in at.warning)
    assert name not in _everything(at)


def test_the_coordinator_search_only_finds_its_region(truth: Truth, demo_db: Path, use_db) -> None:
    use_db(demo_db)
    # Someone who sees everything searches first: caches shared by the server's sessions must not carry over.
    at = open_page("counterpart", user="test-admin")
    at.text_input(key="cp_search").set_value(sorted(truth.outside_names)[0]).run()
    assert _found(_everything(at), truth.outside_names), "the admin cannot find the name: the test proves nothing"
    at = open_page("counterpart", user="test-coordinator")
    at.text_input(key="cp_search").set_value(sorted(truth.outside_names)[0]).run()
    assert not _found(_everything(at), truth.outside_names)


# ------------------------------------------------------------------------ hq: every region, no names


def test_hq_sees_trends_without_names_or_notes(truth: Truth, demo_db: Path, use_db) -> None:
    use_db(demo_db)
    saw_codes = False
    for page in sorted(ALLOWED["test-hq"]):
        at = open_page(page, {"period": ["all"]}, user="test-hq")
        assert not at.exception and not at.error, problems(at)
        text = _everything(at)
        assert not _found(text, {n for n in truth.all_names if len(n) >= 10}), f"{page}: a counterpart named"
        assert not _found(text, truth.notes), f"{page}: a confidential note shown"
        saw_codes |= "Counterpart " in text
    assert saw_codes, "no pseudonymised counterpart shown anywhere: the test would not see a leak"


def test_hq_figures_cover_every_region(demo_db: Path, use_db) -> None:
    use_db(demo_db)
    at = open_page("trends", {"period": ["all"]}, user="test-hq")
    total = sql(demo_db, "SELECT count(*) FROM engagements")[0][0]
    assert {m.label: m.value for m in at.metric}["Engagements"] == f"{total:,}"


def test_hq_exports_suppress_small_counts() -> None:
    from dashboard.ui.components import suppress_small_cells

    frame = pd.DataFrame({"area": ["A", "B", "C"], "engagements": [1, 4, 30], "share_denied": [1.0, 0.5, 0.2],
                          "obstacles": [9, 0, 12]})
    out = suppress_small_cells(frame, 5)
    assert out["engagements"].tolist() == ["< 5", "< 5", 30]
    assert out["share_denied"].isna().tolist() == [True, True, False]
    # A lone suppressed cell beside a shown total is recovered by subtraction: a second one is hidden
    # (dashboard/db/disclosure.py, secondary suppression). This assertion used to expect [9, "< 5", 12].
    assert out["obstacles"].tolist() == ["hidden", "< 5", 12]


# --------------------------------------------------------------------------- negotiator and admin


def test_a_negotiator_sees_profiles_with_notes_in_its_region_only(truth: Truth, demo_db: Path, use_db) -> None:
    use_db(demo_db)
    at = open_page("counterpart", {"id": truth.east_id}, user="test-negotiator")
    assert not at.exception and not at.error, problems(at)
    assert truth.east_note in _everything(at), "the negotiator does not see the notes of its own region"
    at = open_page("counterpart", {"id": truth.outside_id}, user="test-negotiator")
    assert any("No counterpart has the id" in w.value for w in at.warning)


def test_the_brief_follows_the_same_scope(truth: Truth, demo_db: Path, use_db) -> None:
    """The brief is built from the same scoped queries: in scope it has the notes; out of scope nothing."""
    from dashboard.db.connection import query_as
    from dashboard.lookup import brief

    use_db(demo_db)
    session = signed_in_session(demo_db, "test-negotiator")
    today = dt.date.today()

    def q(sql_text, params=()):  # the page's query function, as this user
        return query_as(session.scope, sql_text, params)

    mine = brief.load_profile(q, truth.east_id, today)
    assert mine is not None and truth.east_note in brief.render_brief(mine)
    assert brief.load_profile(q, truth.outside_id, today) is None


def test_an_admin_without_regions_sees_loads_but_no_content(demo_db: Path, use_db) -> None:
    use_db(demo_db)
    at = open_page("data", user="test-admin-only")
    assert not at.exception and not at.error, problems(at)
    values = sql(demo_db, "SELECT value FROM rejected_rows WHERE length(value) >= 6 LIMIT 20")
    text = _everything(at)
    assert not _found(text, {v for (v,) in values}), "rejected values (negotiation content) shown to an admin"
    files = [f for (f,) in sql(demo_db, "SELECT file_name FROM loads")]
    assert all(f in text for f in files), "the admin cannot see the loads"


# ------------------------------------------------------------------------------ sign-in rules


def _form(at, username: str, password: str):
    at.text_input(key="auth_username").set_value(username)
    at.text_input(key="auth_password").set_value(password)
    return at.button[0].click().run()


def test_wrong_passwords_lock_the_account(demo_db: Path, tmp_path: Path, use_db, monkeypatch) -> None:
    import shutil

    from streamlit.testing.v1 import AppTest

    from etl.accounts import audit
    from etl.accounts.records import utc_now
    from etl.accounts.signin import REFUSED
    from etl.accounts.users import UserStore, users_path
    from etl.config import get_settings
    from tests.dashboard.conftest import APP

    db = tmp_path / "access.duckdb"
    shutil.copy(demo_db, db)
    use_db(db)
    monkeypatch.setenv("ACCESS_SIGNIN_DELAY_S", "0")  # the wait between attempts is not what is tested here
    get_settings.cache_clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    for _ in range(5):
        at = _form(at, "test-coordinator", "not the password")
    # The lock is not announced (it would confirm the username exists: tests/security/test_lockout.py) ...
    assert [e.value for e in at.error] == [REFUSED]
    assert UserStore(users_path(get_settings()), get_settings()).require("test-coordinator").is_locked(utc_now())
    at = _form(at, "test-coordinator", TEST_PASSWORD)  # ... and the right password does not open a locked account
    assert [e.value for e in at.error] == [REFUSED] and not at.metric
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    failures = audit.read(get_settings(), action="sign_in_failed")
    assert len(failures) == 6 and set(failures["who"]) == {"test-coordinator"}  # every attempt is on record


def test_an_expired_session_returns_to_sign_in(demo_db: Path, use_db) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.dashboard.conftest import APP

    use_db(demo_db)
    old = signed_in_session(demo_db, "test-coordinator")
    old = dataclasses.replace(old, started_at=old.started_at - dt.timedelta(days=2),
                              last_seen_at=old.last_seen_at - dt.timedelta(days=2))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["auth_session"] = old
    at.run()
    assert not at.metric and not dataframes(at)
    assert any("Sign in again" in i.value for i in at.info)
    assert [t.label for t in at.text_input] == ["Username", "Password"]


def test_pages_table_matches_the_router() -> None:
    """The titles above are the pages the router knows (a new page must be added to ALLOWED too)."""
    assert set(TITLES) == {p.key for p in registry.PAGES}


def test_every_cache_holding_query_results_is_keyed_by_scope() -> None:
    """Streamlit caches are shared by every session of the server: a cached function that reads the data must
    take the user's scope in its arguments (or read only reference tables, listed here)."""
    import ast

    from tests.dashboard.conftest import REPO

    reference_only = {"_cached_shapes"}  # admin boundaries: the same for everybody
    offenders = []
    for path in sorted((REPO / "dashboard").rglob("*.py")):
        if path.name == "data.py":  # the query cache itself: keyed by scope_name (see dashboard/db/connection.py)
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef) or node.name in reference_only:
                continue
            cached = any("cache_" in ast.unparse(d) for d in node.decorator_list)
            reads = "query(" in ast.unparse(node)
            if cached and reads and not any("scope" in a.arg for a in node.args.args):
                offenders.append(f"{path.relative_to(REPO)}:{node.name}")
    assert not offenders, f"cached functions reading data without the scope in their key: {offenders}"


def test_the_audit_log_shows_who_looked_at_which_counterpart(truth: Truth, demo_db: Path, tmp_path: Path,
                                                            use_db, monkeypatch) -> None:
    from etl.accounts import audit
    from etl.config import get_settings

    use_db(demo_db)
    monkeypatch.setenv("ACCESS_AUDIT_FILE", str(tmp_path / "audit.jsonl"))
    get_settings.cache_clear()
    open_page("counterpart", {"id": truth.east_id}, user="test-negotiator")
    open_page("counterpart", {"id": truth.outside_id}, user="test-negotiator")  # out of scope: logged, not shown
    events = audit.read(get_settings(), action="profile_view")
    seen = list(zip(events["who"], events["target"], strict=True))
    assert ("test-negotiator", truth.east_id) in seen and ("test-negotiator", truth.outside_id) not in seen
    denied = audit.read(get_settings(), action="denied")
    assert ("test-negotiator", truth.outside_id) in list(zip(denied["who"], denied["target"], strict=True))
    assert (tmp_path / "audit.jsonl").stat().st_mode & 0o077 == 0


def test_denied_attempts_by_address_are_audited(truth: Truth, demo_db: Path, tmp_path: Path, use_db,
                                               monkeypatch) -> None:
    """Another region's filters and checkpoint in the page address: dropped, and the attempt logged."""
    import json

    from etl.config import get_settings

    use_db(demo_db)
    log = tmp_path / "audit.jsonl"
    monkeypatch.setenv("ACCESS_AUDIT_FILE", str(log))
    get_settings.cache_clear()
    asia_checkpoint = sql(demo_db, "SELECT min(checkpoint_id) FROM checkpoints WHERE iso3 = 'AFG'")[0][0]
    mena_iso3 = sorted(truth.mena_iso3)[0]
    at = open_page("trends", {"region": ["Asia", MENA], "country": ["AFG", mena_iso3],
                              "checkpoint": asia_checkpoint}, user="test-coordinator")
    assert not at.exception, problems(at)
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    denied = [e for e in entries if e["action"] == "denied" and e["who"] == "test-coordinator"]
    assert denied, f"no denied entry in {[e['action'] for e in entries]}"
    refused = denied[0]["detail"]["refused"]
    assert refused.get("region") == ["Asia"] and refused.get("country") == ["AFG"], refused
    assert refused.get("checkpoint") == [asia_checkpoint], refused
    # the coordinator's own region and country were kept, not reported
    assert MENA not in json.dumps(refused) and mena_iso3 not in refused.get("country", [])


def test_an_admin_without_regions_reads_each_rejected_rows_fix_and_no_none(demo_db: Path, use_db) -> None:
    """The rejected rows of every region, for an admin with none: reason and fix, no value, no "None" cell."""
    use_db(demo_db)
    raw = sql(demo_db, "SELECT value FROM rejected_rows WHERE value IS NOT NULL AND length(value) >= 4")
    at = open_page("data", user="test-admin-only")
    assert not at.exception, problems(at)
    shown = next(d for d in dataframes(at) if "reason" in d.columns and "value" in d.columns)
    assert len(shown) > 0
    assert not shown.isna().any().any(), "an empty cell reads None"
    assert set(shown["value"]) == {"–"}
    assert all(r and "hidden: the reason" not in r for r in shown["reason"])
    assert not [v for (v,) in raw for r in shown["reason"] if v in r], "a value quoted in a reason"


def test_the_audit_page_writes_a_missing_role_or_target_as_a_dash(demo_db: Path, tmp_path: Path, use_db,
                                                                  monkeypatch) -> None:
    """A command-line event has no role and a sign-in no target: the table says "–", never "None"."""
    from etl.accounts import audit
    from etl.config import get_settings

    use_db(demo_db)
    monkeypatch.setenv("ACCESS_AUDIT_FILE", str(tmp_path / "audit.jsonl"))
    get_settings.cache_clear()
    audit.record("load", who="root", target=None, settings=get_settings())
    at = open_page("audit", user="test-admin-only")
    assert not at.exception, problems(at)
    shown = at.dataframe[-1].value
    row = shown[shown["action"] == "Loaded logs into the database"].iloc[0]  # the action in words (ui/labels.py)
    assert (row["role"], row["target"]) == ("–", "–")
    assert not shown.astype(str).isin(["None", "nan", "NaT"]).any().any()
