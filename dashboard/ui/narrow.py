"""Pages readable at tablet width (820 px) as on a laptop: rows that wrap instead of cutting, a sidebar that starts
closed on a narrow screen.

``st.columns`` keeps its N columns down to 640 px and shares the width out equally: at 820 px, beside the
sidebar, a metric column was ~110 px wide and its value read "435,…", its label "Median days…", and a download
button in a 1/8 column showed only its icon. The rows below are Streamlit's wrapping horizontal containers
instead: each figure or button takes the width its text needs, and what does not fit goes to the next line.

Streamlit's own ``initial_sidebar_state="auto"`` closes the sidebar at 768 px and below only; at 820 px it stayed
open and squeezed the page to ~500 px. No server-side setting knows the screen's width, so one small static
script (:data:`NARROW_SIDEBAR_SCRIPT`, declared here once, no data in it) closes it on screens narrower than
:data:`NARROW_PX` when the page loads, unless the user chose otherwise before on this browser.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

NARROW_PX = 1024
"""Below this window width the sidebar starts closed (a tablet held either way, a half-screen window); at 1024 px
and wider it starts open (Streamlit's default), leaving ~720 px to the page."""

# Streamlit remembers a sidebar the user opened or closed under localStorage "stSidebarCollapsed-<page>": that
# choice wins. The click below would be remembered the same way (and close the sidebar on a wide window later):
# the keys it adds are removed, so that only the user's own choice is kept. Retries while the app draws.
NARROW_SIDEBAR_SCRIPT = ("<script>(function () {"
                         f"if (window.innerWidth >= {NARROW_PX}) {{ return; }}"
                         "var mine = function (k) { return k.indexOf('stSidebarCollapsed-') === 0; };"
                         "var before = Object.keys(window.localStorage).filter(mine);"
                         "if (before.length) { return; }"
                         "var tries = 0;"
                         "var close = function () {"
                         "var bar = document.querySelector('[data-testid=\"stSidebar\"]');"
                         "var button = document.querySelector('[data-testid=\"stSidebarCollapseButton\"] button');"
                         "if (bar && bar.getAttribute('data-collapsed') === 'true') { return; }"
                         "if (bar && button) {"
                         "button.click();"
                         "window.setTimeout(function () {"
                         "Object.keys(window.localStorage).filter(mine).forEach(function (k) {"
                         "window.localStorage.removeItem(k); }); }, 0);"
                         "return; }"
                         "if (++tries < 50) { window.setTimeout(close, 100); }"
                         "};"
                         "close();"
                         "})();</script>")


def sidebar_closed_when_narrow() -> None:
    """Draw the script that closes the sidebar on a narrow screen (once a page run; it acts once a page load)."""
    with st.sidebar:
        st.html(NARROW_SIDEBAR_SCRIPT, unsafe_allow_javascript=True)


def metric_row(n: int) -> list[DeltaGenerator]:
    """``n`` places for ``st.metric`` side by side, wrapping onto another line when the page is too narrow for
    them (instead of ``st.columns(n)``, which cuts their labels and values): ``cols = metric_row(4)``,
    ``cols[0].metric(...)``."""
    row = st.container(horizontal=True, gap="medium")
    return [row.container(width="content") for _ in range(n)]


def button_row() -> DeltaGenerator:
    """A row for buttons (downloads) and a caption after them, wrapping when narrow; no button is squeezed
    below its label's width."""
    return st.container(horizontal=True, vertical_alignment="center", gap="small")


def heading_and_button() -> tuple[DeltaGenerator, DeltaGenerator]:
    """A heading with a button at its right (a profile's name and its brief), the button under it when narrow
    (in ``st.columns([4, 1])`` the button's label was cut to its icon at tablet width)."""
    row = st.container(horizontal=True, vertical_alignment="bottom", gap="medium")
    return row.container(), row.container(width="content")


def field_row(*widths: int) -> list[DeltaGenerator]:
    """Places for input fields side by side, each ``widths[i]`` pixels wide, wrapping onto another line when the
    page is too narrow (in ``st.columns`` a date field shrank to its calendar icon at tablet width)."""
    row = st.container(horizontal=True, gap="small")
    return [row.container(width=w) for w in widths]
