"""Downloads bound to the signed-in browser session that made them.

Streamlit serves every ``st.download_button`` file (the CSV and Excel exports, the printable
brief) at ``/media/<hash>.<ext>`` to whoever asks: the URL is the only key, and URLs leak (browser
history, proxy logs, a screen shared in a meeting). This module records, for each file, which
remembered sign-in (:mod:`dashboard.session.remember`) it was made for, and :func:`check` tells the web
guard (:mod:`dashboard.session.web_guard`) whether a request may have it: only a request that presents the
``access_session`` cookie of that same sign-in, while the sign-in is live, gets the file.

How a file is tied to its sign-in: Streamlit's media manager is watched (:func:`watch`, once, at
server start). A file added by a page run (a brief, an export built with the page) is bound to the
sign-in of the session running the page. A file built on click (a deferred download: Streamlit runs
the builder on a worker thread, outside any page run, and sends its URL over the websocket) is bound
to the sign-in of the session whose page offered the button: the owner is noted when the button is
drawn and carried over when the file is built. An image drawn for a visitor who has not signed in
(the page icon on the sign-in page) is public: nothing confidential is shown before sign-in
(:func:`dashboard.session.auth.gate`); a download never is. A file made in any other way (outside a page
run) is never served.
Identical files share a URL (Streamlit names files by a hash of their content), so a URL may have
several owners; each of them gets it, nobody else.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dashboard.session.remember import REMEMBERED
from etl.accounts.records import utc_now
from etl.accounts.signin import Session

# dashboard.session.auth keeps the signed-in session and its remembered-sign-in key under these names
# (auth.SESSION, auth.REMEMBER_KEY); not imported from there, so that the web server does not import page code.
SESSION_KEY = "auth_session"
REMEMBER_KEY = "auth_remember_key"
PUBLIC = ""
"""The owner of a file drawn for a visitor who is not signed in: anybody."""
MEDIA_PREFIX = "/media/"
# Files remembered at most; the oldest go first (Streamlit drops their files much sooner).
MAX_FILES = 20_000


def file_name_of(url: str) -> str:
    """The last part of a media URL (``<hash>.<ext>``): what a request for the file names."""
    return url.rsplit("/", 1)[-1]


@dataclass
class _Owned:
    keys: set[str] = field(default_factory=set)
    public: bool = False
    file_name: str | None = None


@dataclass(frozen=True)
class Verdict:
    """May this request have this file? ``session``: who asked (for the audit), when their cookie is live."""

    allowed: bool
    file_name: str | None
    session: Session | None
    why: str


class MediaOwners:
    """Media file -> the remembered sign-ins it was made for; thread-safe, in memory, bounded."""

    def __init__(self, max_files: int = MAX_FILES) -> None:
        self._lock = threading.Lock()
        self._files: collections.OrderedDict[str, _Owned] = collections.OrderedDict()
        self._deferred: collections.OrderedDict[str, tuple[str | None, str | None]] = collections.OrderedDict()
        self.max_files = max_files

    def bind(self, url: str, key: str | None, file_name: str | None = None) -> None:
        """Record that the file at ``url`` was made for the sign-in ``key`` (:data:`PUBLIC`: anybody; None: nobody)."""
        name = file_name_of(url)
        with self._lock:
            owned = self._files.pop(name, None) or _Owned()
            if key:
                owned.keys.add(key)
            elif key == PUBLIC:
                owned.public = True
            owned.file_name = owned.file_name or file_name
            self._files[name] = owned
            while len(self._files) > self.max_files:
                self._files.popitem(last=False)

    def note_deferred(self, placeholder: str, key: str | None, file_name: str | None) -> None:
        """A button whose file is built on click was drawn for sign-in ``key``."""
        with self._lock:
            self._deferred.pop(placeholder, None)
            self._deferred[placeholder] = (key, file_name)
            while len(self._deferred) > self.max_files:
                self._deferred.popitem(last=False)

    def deferred_owner(self, placeholder: str) -> tuple[str | None, str | None]:
        with self._lock:
            return self._deferred.get(placeholder, (None, None))

    def check(self, name: str, token: str | None) -> Verdict:
        """Whether a request for media file ``name`` presenting cookie ``token`` may have it."""
        with self._lock:
            owned = self._files.get(name)
            keys, file_name = (set(owned.keys), owned.file_name) if owned else (set(), None)
            if owned is not None and owned.public:
                return Verdict(True, file_name, None, "drawn for a visitor who had not signed in")
        found = REMEMBERED.session_for(token)
        if found is None:
            return Verdict(False, file_name, None, "no signed-in session cookie")
        key, session = found
        if session.ended(utc_now()):
            return Verdict(False, file_name, None, "the session has ended")
        if not keys:
            return Verdict(False, file_name, session, "not made for a signed-in session")
        if key not in keys:
            return Verdict(False, file_name, session, "made for another sign-in")
        return Verdict(True, file_name, session, "made for this sign-in")


# One table per server process, like dashboard.session.remember.REMEMBERED.
OWNERS = MediaOwners()


def _page_owner() -> str | None:
    """The remembered sign-in of the session whose page run is calling; :data:`PUBLIC` when it has not
    signed in; None outside a page run (or a signed-in session without a remembered sign-in: never served)."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return None
    try:
        state = ctx.session_state
        if REMEMBER_KEY in state:
            return str(state[REMEMBER_KEY])
        return None if SESSION_KEY in state else PUBLIC
    except Exception:  # noqa: BLE001 - no usable session state: the file is bound to nobody (never served)
        return None


def watch(manager: Any, owners: MediaOwners = OWNERS) -> None:
    """Wrap Streamlit's ``MediaFileManager`` so that every file it makes is bound to its sign-in (once).

    Uses the manager's public methods only (``add``, ``add_deferred``, ``execute_deferred``); a
    Streamlit upgrade that renames them fails here, at server start, not silently
    (``tests/security`` also checks the binding end to end).
    """
    if getattr(manager, "_access_owners_watched", False):
        return
    add: Callable[..., str] = manager.add
    add_deferred: Callable[..., str] = manager.add_deferred
    execute_deferred: Callable[[str], str] = manager.execute_deferred

    def bound_add(path_or_data: Any, mimetype: str, coordinates: str, file_name: str | None = None,
                  is_for_static_download: bool = False) -> str:
        url = add(path_or_data, mimetype, coordinates, file_name=file_name,
                  is_for_static_download=is_for_static_download)
        owner = _page_owner()
        owners.bind(url, None if is_for_static_download and owner == PUBLIC else owner, file_name)
        return url

    def bound_add_deferred(data_callable: Any, mimetype: str | None, coordinates: str, file_name: str | None = None,
                           **kwargs: Any) -> str:
        placeholder = add_deferred(data_callable, mimetype, coordinates, file_name=file_name, **kwargs)
        owner = _page_owner()
        owners.note_deferred(placeholder, None if owner == PUBLIC else owner, file_name)  # downloads are never public
        return placeholder

    def bound_execute_deferred(file_id: str) -> str:
        url = execute_deferred(file_id)
        key, file_name = owners.deferred_owner(file_id)
        owners.bind(url, key, file_name)
        return url

    manager.add = bound_add
    manager.add_deferred = bound_add_deferred
    manager.execute_deferred = bound_execute_deferred
    manager._access_owners_watched = True
