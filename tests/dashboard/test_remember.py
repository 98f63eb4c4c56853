"""The remembered-sign-in table (``dashboard/session/remember.py``) and the chart-code preload (``dashboard/ui/frontend.py``).

The browser side (cookie attributes, new tabs, sign-out in another tab) is in test_access_browser.py.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from dashboard.session.remember import RememberedSessions, cookie_script
from dashboard.ui import frontend
from etl.accounts.signin import Session


def _session(name: str = "amina", started: dt.datetime | None = None, idle_hours: float = 8) -> Session:
    now = started or dt.datetime.now(dt.UTC)
    return Session(username=name, display_name=name, role="coordinator", regions=("Asia",), demo=False,
                   started_at=now, last_seen_at=now, idle_limit=dt.timedelta(hours=idle_hours),
                   max_age=dt.timedelta(hours=12), session_id=f"id-{name}")


def test_a_code_is_traded_once_for_a_token_that_finds_the_session() -> None:
    table = RememberedSessions()
    remembered = table.remember(_session())
    token = table.redeem(remembered.code)
    assert token is not None and token != remembered.code
    assert table.redeem(remembered.code) is None, "a code worked twice"
    key, session = table.session_for(token)
    assert key == remembered.key and session.username == "amina"
    assert table.session_for("another token") is None and table.session_for(None) is None
    assert table.redeem("made-up") is None and table.redeem(None) is None


def test_a_code_expires() -> None:
    table = RememberedSessions(code_seconds=0.05)
    code = table.remember(_session()).code
    time.sleep(0.1)
    assert table.redeem(code) is None


def test_forgetting_ends_the_session_for_every_holder_of_the_token() -> None:
    table = RememberedSessions()
    remembered = table.remember(_session())
    token = table.redeem(remembered.code)
    assert table.is_live(remembered.key)
    table.forget(remembered.key)
    assert not table.is_live(remembered.key) and table.session_for(token) is None
    table.update(remembered.key, _session("bilal"))  # an update after sign-out does not bring it back
    assert table.session_for(token) is None


def test_updates_are_shared_and_ended_sessions_are_dropped() -> None:
    table = RememberedSessions()
    live = table.remember(_session("amina"))
    token = table.redeem(live.code)
    later = _session("amina", idle_hours=9)
    table.update(live.key, later)
    assert table.session_for(token)[1].idle_limit == dt.timedelta(hours=9)
    old = table.remember(_session("bilal", started=dt.datetime.now(dt.UTC) - dt.timedelta(hours=13)))
    table.remember(_session("chen"))  # registering purges sessions past their limits
    assert not table.is_live(old.key) and table.is_live(live.key)


def test_the_table_cannot_grow_without_bound() -> None:
    table = RememberedSessions(max_sessions=20)
    keys = [table.remember(_session(f"u{i}")).key for i in range(50)]
    assert sum(table.is_live(k) for k in keys) <= 20
    assert table.is_live(keys[-1])


def test_the_cookie_script_carries_only_a_code_it_made() -> None:
    code = RememberedSessions().remember(_session()).code
    script = cookie_script(code)
    assert code in script and "/_access/remember" in script and "X-Access-Code" in script
    for bad in ("'); alert(1); ('", "</script><script>alert(1)", "a b"):
        with pytest.raises(ValueError):
            cookie_script(bad)


def test_the_preloaded_chart_code_exists_in_the_installed_streamlit() -> None:
    """If Streamlit renames its element chunks, this fails: update ``frontend.PAGE_CHUNKS``."""
    import streamlit

    files = frontend.chunk_files()
    assert [f.split(".")[0] for f in files] == list(frontend.PAGE_CHUNKS)
    folder = Path(streamlit.__file__).parent / "static" / "static" / "js"
    assert all((folder / f).is_file() for f in files)
    script = frontend.preload_script()
    assert script is not None and all(f in script for f in files)
    assert frontend.preload_script(("evil.js'); alert(1); //.js",)) is None
