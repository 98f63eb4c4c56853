"""Front-end code the pages need, fetched while someone is still typing their password.

Streamlit's browser code comes in pieces loaded when an element first appears: the plotly chart
alone is 4.7 MB of JavaScript, the table another 1.3 MB. In a browser that has never opened the
app, the first page after signing in waited about 1.6 s for those pieces to download and compile
(measured at 1M rows, server warmed up: the script had finished in 0.7 s, the charts were drawn
at 2.3 s). The sign-in page asks the browser to load them in the background instead, from this
server (never a CDN): the same files, at the same addresses Streamlit later imports them from, so
the page after sign-in finds them ready. Nothing else changes; if a file is missing (another
Streamlit version), it is simply not preloaded.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import streamlit

# Streamlit element pieces the pages draw (chunk names in streamlit/static/static/js, without their hash).
PAGE_CHUNKS = ("PlotlyChart", "DataFrame", "Metric", "DownloadButton", "ComponentInstance")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.js$")


@functools.cache
def chunk_files(names: tuple[str, ...] = PAGE_CHUNKS) -> tuple[str, ...]:
    """The hashed file names of the named chunks in the installed Streamlit (one per name, if found)."""
    folder = Path(streamlit.__file__).parent / "static" / "static" / "js"
    found = []
    for name in names:
        matches = sorted(p.name for p in folder.glob(f"{name}.*.js")
                         if p.name.count(".") == 2 and _SAFE_NAME.match(p.name))
        if len(matches) == 1:
            found.append(matches[0])
    return tuple(found)


def preload_script(files: tuple[str, ...] | None = None) -> str | None:
    """A script importing the chunks relative to Streamlit's own main script (works under any base URL path).

    The names come from Streamlit's installed files and are checked against a strict pattern; no user
    input reaches this script.
    """
    files = chunk_files() if files is None else files
    if not files or not all(_SAFE_NAME.match(f) for f in files):
        return None
    return ("<script>(function () {"
            "var main = document.querySelector('script[type=\"module\"][src*=\"/static/js/\"]');"
            "if (!main) { return; }"
            f"{json.dumps(list(files))}.forEach(function (name) {{"
            "import(new URL(name, main.src).href).catch(function () {});"
            "});})();</script>")
