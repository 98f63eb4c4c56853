"""The origin rules and the download binding, table-driven, without a server (``dashboard/session/web_guard.py``,
``dashboard/session/media_owners.py``). The end-to-end attacks are in test_cross_origin.py and test_media_binding.py."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.session.media_owners import PUBLIC, MediaOwners
from dashboard.session.remember import REMEMBERED
from dashboard.session.web_guard import OriginPolicy
from etl.accounts.signin import Session
from etl.config import Settings

LOCAL = OriginPolicy.for_server((), "127.0.0.1", 8501)
PROXIED = OriginPolicy.for_server(("https://access.example.org",), "127.0.0.1", 8501)
EVERYWHERE = OriginPolicy.for_server((), "0.0.0.0", 8501)  # noqa: S104

NAVIGATION = {"sec-fetch-mode": "navigate", "sec-fetch-dest": "document"}

# (policy, kind, method, path, headers, refused?) -- each expected answer written by hand.
CASES = [
    (LOCAL, "websocket", "GET", "/_stcore/stream", {"origin": "http://127.0.0.1:8501"}, False),
    (LOCAL, "websocket", "GET", "/_stcore/stream", {"origin": "http://localhost:8501"}, False),
    (LOCAL, "websocket", "GET", "/_stcore/stream", {"origin": "http://LOCALHOST:8501/"}, False),
    (LOCAL, "websocket", "GET", "/_stcore/stream", {"origin": "http://127.0.0.1:8000"}, True),
    (LOCAL, "websocket", "GET", "/_stcore/stream", {"origin": "https://127.0.0.1:8501"}, True),
    (LOCAL, "websocket", "GET", "/_stcore/stream", {"origin": "http://evil.example:8501",
                                                   "host": "evil.example:8501"}, True),
    (LOCAL, "websocket", "GET", "/_stcore/stream", {"origin": "null"}, True),
    (LOCAL, "websocket", "GET", "/_stcore/stream", {"origin": "not an origin"}, True),
    (LOCAL, "websocket", "GET", "/_stcore/stream", {}, True),
    (LOCAL, "http", "GET", "/_stcore/health", {}, False),
    (LOCAL, "http", "HEAD", "/media/x.csv", {}, False),  # the origin rule passes; the media binding decides
    (LOCAL, "http", "POST", "/_access/remember", {}, True),
    (LOCAL, "http", "POST", "/_access/remember", {"origin": "http://127.0.0.1:8501"}, False),
    (LOCAL, "http", "PUT", "/_stcore/upload_file/a/b", {"origin": "http://127.0.0.1:9999"}, True),
    (LOCAL, "http", "GET", "/", {"sec-fetch-site": "cross-site", **NAVIGATION}, False),
    (LOCAL, "http", "GET", "/map", {"sec-fetch-site": "same-site", **NAVIGATION}, False),
    (LOCAL, "http", "GET", "/media/x.csv", {"sec-fetch-site": "same-site", **NAVIGATION}, True),
    (LOCAL, "http", "GET", "/_stcore/host-config", {"sec-fetch-site": "same-site"}, True),
    (LOCAL, "http", "GET", "/", {"sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors"}, True),
    (LOCAL, "http", "GET", "/static/js/index.js", {"sec-fetch-site": "same-origin"}, False),
    (LOCAL, "http", "GET", "/", {"sec-fetch-site": "none", **NAVIGATION}, False),
    (PROXIED, "websocket", "GET", "/_stcore/stream", {"origin": "https://access.example.org"}, False),
    (PROXIED, "websocket", "GET", "/_stcore/stream", {"origin": "https://access.example.org:443"}, False),
    (PROXIED, "websocket", "GET", "/_stcore/stream", {"origin": "http://access.example.org"}, True),
    (PROXIED, "websocket", "GET", "/_stcore/stream", {"origin": "http://127.0.0.1:8501"}, True),  # exactly the list
    # A proxy's forwarded headers are never read: the configured address decides.
    (PROXIED, "http", "GET", "/", {"origin": "https://evil.example", "x-forwarded-host": "evil.example"}, True),
    (EVERYWHERE, "websocket", "GET", "/_stcore/stream", {"origin": "http://10.0.0.5:8501", "host": "10.0.0.5:8501"},
     False),
    (EVERYWHERE, "websocket", "GET", "/_stcore/stream", {"origin": "http://10.0.0.5:8000", "host": "10.0.0.5:8501"},
     True),
    (EVERYWHERE, "websocket", "GET", "/_stcore/stream", {"origin": "http://10.0.0.5:8501", "host": "10.0.0.6:8501"},
     True),
    (EVERYWHERE, "websocket", "GET", "/_stcore/stream", {"origin": "http://10.0.0.5", "host": "10.0.0.5"}, True),
]


@pytest.mark.parametrize(("policy", "kind", "method", "path", "headers", "refused"), CASES)
def test_origin_rules(policy: OriginPolicy, kind: str, method: str, path: str, headers: dict[str, str],
                      refused: bool) -> None:
    why = policy.refusal(kind, method, path, headers)
    assert (why is not None) == refused, why


def test_the_public_origins_setting_is_a_typed_list() -> None:
    assert Settings(public_origins="https://Access.Example.org/, http://10.0.0.5:8501").public_origins == (
        "https://access.example.org", "http://10.0.0.5:8501")
    for bad in ("access.example.org", "https://access.example.org/dashboard", "ftp://x", "https://u:p@x"):
        with pytest.raises(ValueError, match="is not an origin. Write scheme://host"):
            Settings(public_origins=bad)


def _signed_in(name: str) -> tuple[str, str]:
    """(remembered key, cookie token) of a live sign-in for ``name``."""
    now = dt.datetime.now(dt.UTC)
    session = Session(username=name, display_name=name, role="coordinator", regions=("Asia",), demo=False,
                      started_at=now, last_seen_at=now, idle_limit=dt.timedelta(hours=8),
                      max_age=dt.timedelta(hours=12), session_id=f"id-{name}")
    remembered = REMEMBERED.remember(session)
    token = REMEMBERED.redeem(remembered.code)
    assert token
    return remembered.key, token


def test_a_file_opens_only_for_its_sign_ins() -> None:
    owners = MediaOwners()
    amina, amina_token = _signed_in("amina")
    bilal, bilal_token = _signed_in("bilal")
    owners.bind("/media/aaa.csv", amina, "export.csv")
    owners.note_deferred("placeholder", bilal, "built.csv")
    owners.bind("/media/bbb.csv", *owners.deferred_owner("placeholder"))
    owners.bind("/media/icon.png", PUBLIC)
    owners.bind("/media/nobody.csv", None)

    mine = owners.check("aaa.csv", amina_token)
    assert mine.allowed and mine.session.username == "amina" and mine.file_name == "export.csv"
    theirs = owners.check("aaa.csv", bilal_token)
    assert not theirs.allowed and theirs.session.username == "bilal"  # kept for the audit log
    assert not owners.check("aaa.csv", None).allowed and not owners.check("aaa.csv", "made-up").allowed
    assert not owners.check("aaa.html", amina_token).allowed, "another extension of a bound file opened"
    assert owners.check("bbb.csv", bilal_token).allowed and not owners.check("bbb.csv", amina_token).allowed
    assert owners.check("icon.png", None).allowed
    assert not owners.check("nobody.csv", amina_token).allowed
    assert not owners.check("never-made.csv", amina_token).allowed

    owners.bind("/media/aaa.csv", bilal)  # the same content made for another sign-in: both may have it
    assert owners.check("aaa.csv", bilal_token).allowed and owners.check("aaa.csv", amina_token).allowed
    REMEMBERED.forget(amina)  # signed out: the cookie opens nothing any more
    assert not owners.check("aaa.csv", amina_token).allowed


def test_the_table_is_bounded() -> None:
    owners = MediaOwners(max_files=10)
    key, token = _signed_in("chen")
    for i in range(30):
        owners.bind(f"/media/{i}.csv", key)
    assert owners.check("29.csv", token).allowed and not owners.check("0.csv", token).allowed
