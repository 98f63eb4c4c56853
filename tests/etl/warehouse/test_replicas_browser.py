"""Two app replicas (two ``python -m dashboard`` servers, same warehouse settings) behind one address: a
sign-in on one is honoured by the other, a sign-out on one ends it on both, a lock earned on one holds on
the other, and both write one audit trail. A real PostgreSQL and a real Chromium.

The browser reaches the two replicas at 127.0.0.1 on two ports; a cookie is sent to every port of a host,
as it would be to every replica behind a load balancer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from etl.accounts import audit
from etl.accounts.shared_users import user_store
from tests.dashboard.conftest import Server, browser, running_server, sign_in_with, wait_for_app  # noqa: F401
from tests.etl.warehouse.conftest import warehouse_settings

PASSWORD = "long enough passphrase"
CHEAP = {"argon2_memory_kib": 64, "argon2_time_cost": 1, "argon2_parallelism": 1}


@pytest.fixture(scope="module")
def replicas(local_postgres, tmp_path_factory) -> Iterator[tuple[object, Server, Server]]:
    folder = tmp_path_factory.mktemp("replicas")
    settings = warehouse_settings(local_postgres, "replicas", folder).model_copy(update=CHEAP)
    store = user_store(settings)
    store.add_user("amina", PASSWORD, "admin")
    store.add_user("karim", PASSWORD, "admin")
    assert settings.warehouse is not None
    env = {"ACCESS_WAREHOUSE": settings.warehouse.get_secret_value(),
           "ACCESS_WAREHOUSE_DATA": str(settings.warehouse_data), "ACCESS_ARGON2_MEMORY_KIB": "64",
           "ACCESS_ARGON2_TIME_COST": "1", "ACCESS_ARGON2_PARALLELISM": "1", "ACCESS_SIGNIN_DELAY_S": "0",
           "ACCESS_SIGNIN_MAX_FAILURES": "2"}
    with running_server(settings.db, "replica-a.log", **env) as a, running_server(settings.db, "replica-b.log",
                                                                                   **env) as b:
        yield settings, a, b


def _asks_to_sign_in(page) -> bool:  # type: ignore[no-untyped-def]
    return page.get_by_role("textbox", name="Password").count() > 0


def _open(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url, wait_until="domcontentloaded")
    wait_for_app(page)


def _cookie(context, wait_s: float = 60) -> dict | None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + wait_s
    while True:
        found = next((c for c in context.cookies() if c["name"] == "access_session"), None)
        if found is not None or time.monotonic() >= deadline:
            return found
        time.sleep(0.2)


def test_a_sign_in_on_one_replica_is_honoured_and_ended_by_the_other(replicas, browser) -> None:  # noqa: F811
    settings, a, b = replicas
    context = browser.new_context()
    try:
        on_a, on_b = context.new_page(), context.new_page()
        _open(on_a, a.url + "/")
        assert _asks_to_sign_in(on_a)
        sign_in_with(on_a, "amina", PASSWORD)
        assert not _asks_to_sign_in(on_a)
        assert _cookie(context) is not None, "replica A set no session cookie"
        _open(on_b, b.url + "/")  # the other replica: no second sign-in
        assert not _asks_to_sign_in(on_b), "replica B asked to sign in again"
        on_b.get_by_role("button", name="Sign out").click()
        wait_for_app(on_b)
        _open(on_a, a.url + "/")  # signed out on B: the cookie opens nothing on A either
        assert _asks_to_sign_in(on_a), "replica A kept a session that was signed out on replica B"
    finally:
        context.close()

    # Two wrong passwords on A lock karim; B refuses his right password.
    context = browser.new_context()
    try:
        page = context.new_page()
        _open(page, a.url + "/")
        for _ in range(2):
            sign_in_with(page, "karim", "wrong password")
        _open(page, b.url + "/")
        sign_in_with(page, "karim", PASSWORD)
        assert _asks_to_sign_in(page), "replica B let in an account locked on replica A"
    finally:
        context.close()
    events = audit.read(settings)
    seen = set(zip(events["action"], events["who"], strict=True))
    assert {("sign_in", "amina"), ("sign_out", "amina"), ("sign_in_failed", "karim")} <= seen
