"""A download's URL opens only for the signed-in browser session that made it, and each fetch is audited.

Streamlit serves ``st.download_button`` files at ``/media/<id>.<ext>`` (a CSV built on click is a
"deferred" download: its URL comes back over the websocket when the button is pressed). Without a
binding anyone holding the URL gets the file: a URL copied from history, a log, a shared screen.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.dashboard.conftest import Server, Visit, sql, visiting
from tests.security.attack import audit_events, fetch, session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

MENA = "Middle East and North Africa"


def _download(visit: Visit, button_text: str | re.Pattern) -> tuple[str, str, bytes]:
    """Click a download button; (media URL the browser fetched, file name, the bytes it saved)."""
    media: list[str] = []
    visit.page.on("request", lambda r: media.append(r.url) if "/media/" in r.url else None)
    button = visit.page.locator('[data-testid="stDownloadButton"]').filter(has_text=button_text).first
    with visit.page.expect_download() as info:
        button.locator("button, a").first.click()
    download = info.value
    assert download.failure() is None, f"the signed-in user's own download failed: {download.failure()}"
    saved = Path(download.path())
    # The page icon is media too, and may be fetched again while the page reruns: only the file downloaded counts.
    extension = Path(download.suggested_filename).suffix
    urls = sorted({u for u in media if u.endswith(extension)}) or [download.url]
    assert len(urls) == 1 and "/media/" in urls[0], (urls, media)
    return urls[0], download.suggested_filename, saved.read_bytes()


def _downloads_of(db: Path, who: str, target: str) -> int:
    return sum(1 for e in audit_events(db) if e.get("action") == "download" and e.get("who") == who
               and e.get("target") == target)


@pytest.mark.parametrize("what", ["csv on the trends page", "counterpart brief"])
def test_a_download_url_opens_only_for_the_session_that_made_it(what: str, browser, server: Server,
                                                               demo_db: Path) -> None:
    # Another signed-in user first: their page runs must not clean the coordinator's file away mid-test.
    with visiting(browser, server) as other:
        other.user = "test-negotiator"
        other.open("/")
        other_cookie = session_cookie(other.page.context)
    assert other_cookie, "the negotiator's browser has no session cookie"

    with visiting(browser, server) as visit:
        visit.user = "test-coordinator"
        button = "brief" if what == "counterpart brief" else "CSV"
        if what == "counterpart brief":
            cid = sql(demo_db, "SELECT counterpart_id FROM counterparts WHERE region = ? "
                               "ORDER BY engagements DESC LIMIT 1", [MENA])[0][0]
            visit.open(f"/counterpart?id={cid}")
        else:
            visit.open("/")
        url, name, saved = _download(visit, button)
        cookie = session_cookie(visit.page.context)
        assert cookie, "the coordinator's browser has no session cookie"
        assert saved, "the browser's own download is empty"
        assert _downloads_of(demo_db, "test-coordinator", name) >= 1, (
            f"the browser's download of {name} is not in the audit log as a download")

        # Streamlit drops a file built on click after two page runs of any session (another test's
        # sessions may time out meanwhile): when the owner's own fetch finds it gone (404), click again
        # (same content, same URL) and start over. A refusal never depends on the file being there.
        for _attempt in range(3):
            before = _downloads_of(demo_db, "test-coordinator", name)
            own = fetch(url, cookie=cookie)
            if own.status == 404:
                assert _download(visit, button)[0] == url
                continue
            assert own.status == 200 and own.body == saved, f"the owner's own fetch: {own.status}"
            assert own.headers.get("cache-control") == "no-store", own.headers
            # At least one more: the browser may fetch its own download a second time meanwhile.
            assert _downloads_of(demo_db, "test-coordinator", name) >= before + 1, "the owner's fetch is not audited"
            # Written by hand: who presents what, and what they get.
            refused = {
                "no cookie": fetch(url).status,
                "another user's session cookie": fetch(url, cookie=other_cookie).status,
                "a made-up cookie": fetch(url, cookie="made-up-token").status,
                "the owner's cookie, sent from another origin": fetch(
                    url, cookie=cookie, headers={"Origin": "http://127.0.0.1:1"}).status,
            }
            assert refused == dict.fromkeys(refused, 403), f"{name} ({url}) served to: {refused}"
            again = fetch(url, cookie=cookie).status
            if again == 200:
                break
            assert again == 404, again
            assert _download(visit, button)[0] == url
        else:
            pytest.fail(f"{name} kept disappearing: the refusals were never checked against a file that exists")
        denied = [e for e in audit_events(demo_db) if e.get("action") == "denied" and e.get("who") == "test-negotiator"
                  and e.get("target") == name]
        assert denied, "another user's attempt on the file is not in the audit log"
        assert not visit.external, visit.external


def test_the_sign_in_page_icon_is_served_to_anybody(visit: Visit) -> None:
    """Guard for the binding: a file drawn before sign-in (the page icon) is public, not refused."""
    answers: dict[str, int] = {}
    visit.page.on("response", lambda r: answers.__setitem__(r.url, r.status) if "/media/" in r.url else None)
    visit.open("/", sign_in=False)
    deadline = time.monotonic() + 30
    while not answers and time.monotonic() < deadline:
        visit.page.wait_for_timeout(100)
    assert answers and set(answers.values()) == {200}, answers
    assert all(fetch(url).status == 200 for url in answers), "the page icon is refused without a cookie"



def test_one_click_is_one_download_on_record(visit: Visit, demo_db: Path) -> None:
    """A download clicked once is one ``download`` in the real audit trail (it was two: Streamlit's page fetches
    the file to check it answers, then the browser downloads it; the check now gets no file, and no record)."""
    visit.user = "test-coordinator"
    visit.open("/")
    before = len(audit_events(demo_db))
    _url, name, saved = _download(visit, "CSV")
    assert saved.count(b"\n") > 1, "the file the browser saved is not the table"
    visit.page.wait_for_load_state("networkidle")  # the check's answer, whenever it comes, is in by now
    new = [(e["action"], e.get("target")) for e in audit_events(demo_db)[before:] if e.get("who") == "test-coordinator"]
    # The click's export (the button's callback) and the fetch's download, in either order.
    assert sorted(a for a, target in new if target == name) == ["download", "export"], new
