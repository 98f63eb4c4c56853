"""Red team: the sign-in limits against someone who knows (or guesses) usernames but no password.

Each attack runs from its own Streamlit session (a new ``AppTest``, as a new browser tab or page load
is), against a copy of the demo database with its own users file, audit log and limits (the limits
are kept per users file, so nothing carries over between tests). What is asserted is what the
attacker and the victim see, and what the server keeps (the users file, the audit log).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.dashboard.conftest import (
    APP,
    TEST_PASSWORD,
    page_text,
    problems,
    running_server,
    sign_in_with,
    visiting,
    wait_for_app,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

VICTIM = "test-coordinator"
NOBODY = "nobody-by-this-name"  # no such user
WAIT = re.compile(r"wait \d+ (s|min) before trying again")


@pytest.fixture
def own_db(demo_db: Path, tmp_path: Path, use_db, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """A private copy of the demo database (its own users file, audit log and limits), with ``settings``."""
    from etl.config import get_settings

    def make(**settings: str) -> Path:
        db = tmp_path / "access.duckdb"
        shutil.copy(demo_db, db)
        use_db(db)
        for key, value in settings.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        return db

    return make


def _session():  # type: ignore[no-untyped-def]
    """A new Streamlit session on the app (a new tab or page load), showing the sign-in form."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    assert [t.label for t in at.text_input] == ["Username", "Password"], problems(at)
    return at


def _submit(at, username: str, password: str):  # type: ignore[no-untyped-def]
    at.text_input(key="auth_username").set_value(username)
    at.text_input(key="auth_password").set_value(password)
    return at.button[0].click().run()


def _attempt(username: str, password: str):  # type: ignore[no-untyped-def]
    """One sign-in attempt from a new session; the finished AppTest."""
    return _submit(_session(), username, password)


def _refusal(at) -> str:  # type: ignore[no-untyped-def]
    """The one message the form shows after a refused attempt (and that nothing else was shown)."""
    assert not at.exception, problems(at)
    assert not at.metric, "signed in"
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    return errors[0]


def _signed_in(at) -> bool:  # type: ignore[no-untyped-def]
    return not at.exception and bool(at.metric)


def _audited(settings, action: str) -> list[dict]:  # type: ignore[no-untyped-def]
    from etl.accounts.audit import audit_path

    path = audit_path(settings)
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [e for e in map(json.loads, lines) if e["action"] == action]


# --------------------------------------------------------------------------------- lockout as a weapon


def test_wrong_passwords_typed_by_someone_else_lock_new_sign_ins_but_not_the_live_session(own_db) -> None:
    from etl.accounts.records import utc_now
    from etl.accounts.users import UserStore, users_path
    from etl.config import get_settings

    own_db(ACCESS_SIGNIN_DELAY_S="0")  # no wait between attempts: the lock itself is what is attacked here
    victim = _submit(_session(), VICTIM, TEST_PASSWORD)
    assert _signed_in(victim), problems(victim) or page_text(victim)

    for _ in range(6):  # the attacker knows the username, not the password
        attacker = _attempt(VICTIM, "is it summer2026?")
    store = UserStore(users_path(get_settings()), get_settings())
    assert store.require(VICTIM).is_locked(utc_now()), "the account was not locked: the test proves nothing"

    # The victim, already signed in, keeps working: the next click still shows the data.
    victim.run()
    assert _signed_in(victim), f"the attacker signed the victim out: {page_text(victim)!r}"

    # Nobody (the victim included) opens a new session while the lock lasts ...
    late = _attempt(VICTIM, TEST_PASSWORD)
    assert not _signed_in(late)
    # ... and what the attacker reads does not say the account exists, nor that it is locked.
    unknown = _attempt(NOBODY, "is it summer2026?")
    assert _refusal(attacker) == _refusal(unknown) == _refusal(late)

    store.unlock(VICTIM)  # the lock ends (here an admin lifts it): new sign-ins work again
    assert _signed_in(_attempt(VICTIM, TEST_PASSWORD))


def test_disabled_locked_and_unknown_accounts_read_the_same_as_a_wrong_password(own_db) -> None:
    from etl.accounts.users import UserStore, users_path
    from etl.config import get_settings

    own_db(ACCESS_SIGNIN_DELAY_S="0")
    store = UserStore(users_path(get_settings()), get_settings())
    store.set_disabled("test-negotiator", True)
    for _ in range(5):
        _attempt("test-hq", "not it")
    seen = {
        "wrong password": _refusal(_attempt("test-admin", "not it")),
        "unknown user": _refusal(_attempt(NOBODY, "not it")),
        "disabled, right password": _refusal(_attempt("test-negotiator", TEST_PASSWORD)),
        "locked, right password": _refusal(_attempt("test-hq", TEST_PASSWORD)),
    }
    assert len(set(seen.values())) == 1, seen
    failures = _audited(get_settings(), "sign_in_failed")  # the server keeps the precise outcome
    assert {e["detail"]["outcome"] for e in failures} == {"wrong_password", "locked", "unknown_user", "disabled"}


# ----------------------------------------------------------------------- the wait outlives the session


def test_a_new_session_still_has_to_wait_after_a_wrong_password(own_db) -> None:
    own_db(ACCESS_SIGNIN_DELAY_S="600")  # long enough that the machine's load cannot end it during the test
    assert not WAIT.search(_refusal(_attempt(VICTIM, "not it")))
    again = _attempt(VICTIM, TEST_PASSWORD)  # a new session (a reload, another tab), now with the right password
    assert not _signed_in(again), "a new session skipped the wait after a wrong password"
    told = _refusal(again)
    assert WAIT.search(told), told
    # An unknown name is made to wait the same way, or the wait would tell which usernames exist.
    _attempt(NOBODY, "not it")
    assert WAIT.sub("", _refusal(_attempt(NOBODY, "not it"))) == WAIT.sub("", told)


# --------------------------------------------------------------------------------- one address, many users


def test_one_address_spraying_a_password_over_usernames_is_stopped_even_with_a_right_password(own_db) -> None:
    from etl.config import get_settings

    own_db(ACCESS_SIGNIN_ADDRESS_MAX_FAILURES="4", ACCESS_SIGNIN_ADDRESS_WINDOW_MINUTES="60")
    for name in ("test-hq", NOBODY, "test-negotiator", "someone.else"):  # one common password, many names
        assert not WAIT.search(_refusal(_attempt(name, "Summer2026!")))
    refused = _attempt("test-admin", TEST_PASSWORD)  # the right password of another user, same address
    assert not _signed_in(refused), "the address that sprayed passwords could still sign in"
    assert WAIT.search(_refusal(refused))

    failures = _audited(get_settings(), "sign_in_failed")
    assert [e["who"] for e in failures] == ["test-hq", NOBODY, "test-negotiator", "someone.else", "test-admin"]
    assert {e["detail"]["address"] for e in failures} == {"127.0.0.1"}  # AppTest has no connection: this machine
    assert failures[-1]["detail"]["outcome"] == "address_limited"


# ------------------------------------------------------------------------------------- in a real browser


@pytest.mark.browser
@pytest.mark.timeout(420)
def test_in_browsers_an_attacker_locks_new_sign_ins_but_the_victims_browser_stays_in(demo_db: Path, tmp_path: Path,
                                                                                    browser) -> None:
    db = tmp_path / "access.duckdb"
    shutil.copy(demo_db, db)
    with running_server(db, "streamlit-server-lockout.log", ACCESS_SIGNIN_DELAY_S="0") as server, \
            visiting(browser, server) as victim, visiting(browser, server) as attacker:
        victim.user = VICTIM
        victim.open("/")
        metric = victim.page.locator('[data-testid="stMain"] [data-testid="stMetric"]')
        assert metric.count(), "the victim could not sign in"

        attacker.page.context.set_extra_http_headers({"X-Forwarded-For": "203.0.113.99"})  # forged: no proxy here

        def attempt(username: str) -> str:  # each from a fresh page load (a new session), as a script would
            attacker.open("/", sign_in=False)
            sign_in_with(attacker.page, username, "is it summer2026?")
            return attacker.page.locator('[data-testid="stAlertContentError"]').inner_text()

        messages = [attempt(VICTIM) for _ in range(6)]
        unknown = attempt(NOBODY)

        # The victim's browser is still signed in: a reload (a new session, from its cookie) still shows data.
        victim.page.reload(wait_until="domcontentloaded")
        wait_for_app(victim.page)
        assert metric.count(), f"the victim was signed out: {victim.page.inner_text('body')[:500]!r}"
        assert set(messages) == {unknown}, (messages, unknown)  # nothing tells the attacker the account exists

        # A new browser (no cookie) cannot sign in as the victim while the lock lasts, and is told nothing more.
        with visiting(browser, server) as newcomer:
            newcomer.open("/", sign_in=False)
            sign_in_with(newcomer.page, VICTIM, TEST_PASSWORD)
            assert not newcomer.page.locator('[data-testid="stMetric"]').count()
            assert newcomer.page.locator('[data-testid="stAlertContentError"]').inner_text() == unknown
        assert not victim.external and not attacker.external
    log = [json.loads(line) for line in db.with_name("access.audit.jsonl").read_text(encoding="utf-8").splitlines()]
    refused = [e["detail"] for e in log if e["action"] == "sign_in_failed"]
    assert len(refused) == 8 and {d["address"] for d in refused} == {"127.0.0.1"}  # the forged header was ignored


@pytest.mark.browser
@pytest.mark.timeout(420)
def test_behind_a_trusted_proxy_each_client_address_is_limited_on_its_own(demo_db: Path, tmp_path: Path,
                                                                         browser) -> None:
    """The browsers play client and proxy: the header is what a proxy on this machine would pass on."""
    db = tmp_path / "access.duckdb"
    shutil.copy(demo_db, db)
    settings = {"ACCESS_TRUSTED_PROXIES": "127.0.0.1", "ACCESS_SIGNIN_ADDRESS_MAX_FAILURES": "2",
                "ACCESS_SIGNIN_ADDRESS_WINDOW_MINUTES": "60"}
    with running_server(db, "streamlit-server-proxy.log", **settings) as server, \
            visiting(browser, server) as sprayer, visiting(browser, server) as neighbour:
        # "6.6.6.6" was written by the client (forged); the proxy appended the address it really saw.
        sprayer.page.context.set_extra_http_headers({"X-Forwarded-For": "6.6.6.6, 203.0.113.7"})
        neighbour.page.context.set_extra_http_headers({"X-Forwarded-For": "203.0.113.8"})
        sprayer.open("/", sign_in=False)
        for name in ("test-hq", NOBODY):
            sign_in_with(sprayer.page, name, "Summer2026!")
        sign_in_with(sprayer.page, "test-admin", TEST_PASSWORD)
        told = sprayer.page.locator('[data-testid="stAlertContentError"]').inner_text()
        assert WAIT.search(told) and not sprayer.page.locator('[data-testid="stMetric"]').count(), told
        neighbour.open("/")  # another client behind the same proxy is not held back
        assert neighbour.page.locator('[data-testid="stMain"] [data-testid="stMetric"]').count()
    log = [json.loads(line) for line in db.with_name("access.audit.jsonl").read_text(encoding="utf-8").splitlines()]
    failed = [(e["who"], e["detail"]["address"], e["detail"]["outcome"]) for e in log if e["action"] == "sign_in_failed"]
    assert failed == [("test-hq", "203.0.113.7", "wrong_password"), (NOBODY, "203.0.113.7", "unknown_user"),
                      ("test-admin", "203.0.113.7", "address_limited")]
    assert [e["detail"]["address"] for e in log if e["action"] == "sign_in"] == ["203.0.113.8"]
