"""Which feed a table is, and where each documented column sits in it.

A table is recognised by its header row: each column of a publisher's documented schema
(:class:`~etl.feeds.base.FeedColumn`) is found by

1. a mapping file kept with the data (``"My header" = "Reported Perpetrator"``, see
   :mod:`etl.logs.mapping`),
2. its name or a synonym, compared with :func:`etl.vocab.label_key` (case, spaces, punctuation and
   accents do not matter),
3. its HXL hashtag, when the file has an HXL row under the header (or only an HXL row),

wherever the column is: never by position. With the same header twice the first one is read.
A table is a feed when every ``signature`` column is found (see :class:`~etl.feeds.base.FeedFormat`).
A table that has two or more of a feed's *distinctive* columns but not its signature "looks like"
that feed: it is refused with the feed's own missing columns, never with negotiation-log advice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from etl.feeds.base import FeedFormat
from etl.feeds.cells import cell_text
from etl.logs.columns import hxl_key, looks_like_hxl_row
from etl.logs.mapping import IGNORE, Mapping
from etl.vocab import label_key

HEADER_SEARCH_ROWS = 10
NEAR_MISS_HINTS = 2  # distinctive columns that make a table look like a feed


def feed_tag(tag: object) -> str:
    """An HXL hashtag compared across files: canonical, without language attributes (``+i_en``).

    >>> feed_tag("#country +name +i_en")
    '#country+name'
    >>> feed_tag("#Group +perp ")
    '#group+perp'
    """
    key = hxl_key(cell_text(tag))
    if not key.startswith("#"):
        return ""
    head, *attrs = key.split("+")
    return "+".join([head, *(a for a in attrs if not a.startswith("i_"))])


@dataclass
class Found:
    """Where a feed's columns are in one table."""

    feed: FeedFormat
    header_index: int  # index in the table's rows
    header: list[str]
    tags: list[str]  # HXL tags under the header (canonical), '' where none; [] without an HXL row
    pos: dict[str, int]  # column key -> position
    how: dict[str, str]  # column key -> 'name', 'synonym', 'HXL tag' or 'mapping file'
    ignored: set[int] = field(default_factory=set)

    @property
    def missing(self) -> list[str]:
        """Documented names of the signature columns not found, then of each one_of group found empty."""
        out = [self.feed.column(k).name for k in sorted(self.feed.signature - set(self.pos))  # type: ignore[union-attr]
               if self.feed.column(k)]
        for group in self.feed.one_of:
            if not group & set(self.pos):
                out.append(" or ".join(sorted(c.name for c in self.feed.columns if c.key in group)))
        return out

    @property
    def complete(self) -> bool:
        return not self.missing and not self.feed.not_with & set(self.pos)

    @property
    def hints(self) -> int:
        return sum(1 for c in self.feed.columns if c.distinctive and c.key in self.pos)


def locate(feed: FeedFormat, header: Sequence[str], tags: Sequence[str], mapping: Mapping | None,
           header_index: int = 0) -> Found:
    """Find each documented column of ``feed`` in a header (and its HXL row)."""
    keys = [label_key(h) for h in header]
    tags = list(tags) or [""] * len(header)
    found = Found(feed, header_index, list(header), list(tags) if any(tags) else [], {}, {})
    taken: set[int] = set()
    if mapping is not None:
        by_name = {k: c.key for c in feed.columns for k in c.keys}
        for i, h in enumerate(header):
            target = mapping.column_for(h, tags[i] if i < len(tags) else "")
            if target == IGNORE:
                found.ignored.add(i)
                taken.add(i)
            elif target and by_name.get(label_key(target)) and by_name[label_key(target)] not in found.pos:
                found.pos[by_name[label_key(target)]] = i
                found.how[by_name[label_key(target)]] = "mapping file"
                taken.add(i)
    for column in feed.columns:
        if column.key in found.pos:
            continue
        for i, k in enumerate(keys):
            if i not in taken and k and k in column.keys:
                found.pos[column.key], found.how[column.key] = i, "name" if k == column.key else "synonym"
                taken.add(i)
                break
    wanted_tags = {c.key: {feed_tag(t) for t in c.hxl} for c in feed.columns}
    for column in feed.columns:
        if column.key in found.pos or not wanted_tags[column.key]:
            continue
        for i, t in enumerate(tags):
            if i not in taken and t and t in wanted_tags[column.key]:
                found.pos[column.key], found.how[column.key] = i, "HXL tag"
                taken.add(i)
                break
    return found


def header_candidates(rows: Sequence[Sequence[object]]) -> list[tuple[int, list[str], list[str]]]:
    """(index, header texts, HXL tags) for each row that may be the header, in the first rows."""
    out = []
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [cell_text(c) for c in row]
        if not any(cells):
            continue
        if looks_like_hxl_row(list(row)):
            if i > 0 and not looks_like_hxl_row(list(rows[i - 1])):
                continue  # the HXL row of the header above, tried with it
            out.append((i, cells, [feed_tag(c) for c in cells]))  # a file with only an HXL row
            continue
        below = rows[i + 1] if i + 1 < len(rows) else []
        tags = [feed_tag(c) for c in below] if below and looks_like_hxl_row(list(below)) else []
        out.append((i, cells, tags + [""] * (len(cells) - len(tags)) if tags else []))
    return out


def recognise_rows(rows: Sequence[Sequence[object]], feeds: Sequence[FeedFormat],
                   mapping: Mapping | None) -> tuple[Found | None, Found | None]:
    """(the feed this table is, or None; else the feed it looks most like, or None)."""
    near: Found | None = None
    for index, header, tags in header_candidates(rows):
        for feed in feeds:
            if not feed.columns:
                continue
            found = locate(feed, header, tags, mapping, index)
            if found.complete:
                return found, None
            if found.hints >= NEAR_MISS_HINTS and (near is None or found.hints > near.hints):
                near = found
    return None, near
