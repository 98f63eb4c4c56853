"""The benchmarks' figures in docs/performance.md: each bench owns one block between its two markers.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     doc = Path(d) / "performance.md"
...     put_block("<!-- x:start -->\\nold\\n<!-- x:end -->", "<!-- x:start -->", "<!-- x:end -->", doc=doc)
...     put_block("<!-- x:start -->\\nnew\\n<!-- x:end -->", "<!-- x:start -->", "<!-- x:end -->", doc=doc)
...     print(doc.read_text(encoding="utf-8"))
<BLANKLINE>
wrote ...
<BLANKLINE>
wrote ...
# Performance
<BLANKLINE>
Figures measured by the benchmarks in `bench/`, with the command that produced them. Benchmarks are not tests.
<BLANKLINE>
<!-- x:start -->
new
<!-- x:end -->
<BLANKLINE>
"""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
NEW_DOC = ("# Performance\n\nFigures measured by the benchmarks in `bench/`, with the command that produced them. "
           "Benchmarks are not tests.\n")


def put_block(block: str, start: str, end: str, *, heading: str = "", doc: Path = DOC) -> None:
    """Put ``block`` (which begins with ``start`` and ends with ``end``) in place of the doc's block between those
    markers, or at the end of the doc after ``heading`` when it has none yet."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else NEW_DOC
    if start in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + heading + block + "\n"
    doc.write_text(text, encoding="utf-8")
    print(f"\nwrote {doc}")
