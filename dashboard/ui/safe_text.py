"""Text from a log, made harmless for the place it is shown: HTML, markdown, chart labels.

Names, notes and places come from field logs and may contain anything: markup, script,
``javascript:`` links, right-to-left overrides, a whole page pasted into one cell. The data is
stored and exported exactly as logged; only what is *drawn* is changed, at the point of rendering:

- :func:`html_text` for anything that becomes HTML (the brief, Leaflet tooltips, plotly labels);
- :func:`markdown_text` for Streamlit markdown (titles, captions, alerts, widget labels);
- :func:`isolate` keeps a direction override inside its own value (else an U+202E in one name
  turns the rest of the line around, and a caption can be made to read as something else);
- :func:`clip` cuts very long values for display, so that one cell cannot push a layout apart.
"""

from __future__ import annotations

import html
import re

from dashboard.ui.formats import is_missing

# Explicit direction marks, embeddings, overrides and isolates (Unicode bidi controls).
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
FSI, PDI = "\u2068", "\u2069"

# Characters that start markdown, HTML or Streamlit directives anywhere in a line ("." "-" "(" and ","
# are only special at the start of a line, handled by _MD_LEADING, so ordinary names stay as typed).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#!|~$&^])")
_MD_LEADING = re.compile(r"^([-+=]|\d+(?=[.)]))")


def isolate(text: str) -> str:
    """Text with direction controls wrapped in a first-strong isolate, so their effect ends with it.

    Ordinary text, right-to-left scripts included, is returned unchanged.

    >>> isolate("abc") == "abc", isolate("\u202eevil") == "\u2068\u202eevil\u2069"
    (True, True)
    """
    return f"{FSI}{text}{PDI}" if _BIDI.search(text) else text


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut with an ellipsis (for display; downloads keep the whole text).

    >>> clip("abcdef", 4)
    'abc…'
    """
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def html_text(value: object, limit: int | None = None) -> str:
    """A value as inert HTML text ("" when missing), optionally clipped, direction controls isolated.

    >>> html_text('<img src=x onerror="go()">')
    '&lt;img src=x onerror=&quot;go()&quot;&gt;'
    """
    if is_missing(value):
        return ""
    text = str(value)
    if limit is not None:
        text = clip(text, limit)
    return html.escape(isolate(text), quote=True)


def markdown_text(value: object, limit: int | None = None) -> str:
    r"""A value as inert Streamlit markdown ("" when missing), on one line, optionally clipped.

    Markdown, HTML and directive characters are backslash-escaped and line breaks become spaces,
    so a note such as ``[report](javascript:...)`` or ``:red[...]`` shows as typed, while an
    ordinary name ("Col. Idris Bakhit", "Office of the Governor, Kassala") is left unchanged.

    >>> print(markdown_text("**urgent** [x](y) <b>"))
    \*\*urgent\*\* \[x\](y) \<b\>
    >>> print(markdown_text("1. Brigade"))
    1\. Brigade
    """
    if is_missing(value):
        return ""
    text = " ".join(str(value).split())
    if limit is not None:
        text = clip(text, limit)
    flat = _MD_SPECIAL.sub(r"\\\1", text)
    flat = _MD_LEADING.sub(lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit() else "\\" + m.group(1), flat)
    return isolate(flat)
