"""``python -m etl inspect FILE`` for a public feed: what the file is and how each column would be read.

The negotiation-log report is :mod:`etl.logs.inspect`; the command asks this module first, so a
feed (or a file that looks like one but lacks a required column) is described in the feed's own
terms: which publisher and dataset, which documented column each header feeds and how it was
found (name, synonym, HXL tag, mapping file), what is missing, and what the load would assume.
"""

from __future__ import annotations

from pathlib import Path

from etl.feeds.cells import Columns
from etl.feeds.recognise import Found
from etl.feeds.registry import Recognition, data_rows, dataset_of, docs, recognise, safe_recognise
from etl.feeds.tables import TABLE_SUFFIXES, unreadable


def _columns(found: Found) -> list[str]:
    out = [f"{'column':<40} {'read as':<42} how"]
    by_pos = {i: k for k, i in found.pos.items()}
    for i, header in enumerate(found.header):
        key = by_pos.get(i)
        tag = f"  [{found.tags[i]}]" if found.tags and i < len(found.tags) and found.tags[i] else ""
        if key is None:
            what, how = "-", "ignored (mapping file)" if i in found.ignored else "not read"
        else:
            column = found.feed.column(key)
            what, how = (column.name if column else key), found.how[key]
            if column is not None and column.target:
                what += f" -> {column.target}"
        out.append(f"{(header or f'column {i + 1}')[:40]:<40} {what[:42]:<42} {how}{tag}")
    return out


def _heading(recognition: Recognition) -> list[str]:
    path = recognition.path
    return [f"File: {path}", f"Looks like: {recognition.what()}",
            f"Format: {TABLE_SUFFIXES.get(path.suffix.lower(), path.suffix)}",
            f"Mapping file: {recognition.mapping.path}" if recognition.mapping else "Mapping file: none"]


def render_feed(recognition: Recognition) -> str:
    """The report for a feed or a near miss, as text for a terminal."""
    path = recognition.path
    out = _heading(recognition)
    if recognition.feed is not None and not recognition.tables:
        out.append(f"Read as a whole by its own reader ({recognition.feed.description}).")
        return "\n".join(out)
    for table, found in recognition.tables:
        where = f"sheet '{table.sheet}': " if table.sheet else ""
        rows = len(data_rows(table, found))
        dataset = dataset_of(path, table, found)
        out.append(f"{where}header on row {found.header_index + table.first_row}"
                   + (", HXL hashtag row under it" if found.tags else "")
                   + f"; {rows:,} data rows" + (f"; dataset: {dataset}" if dataset else ""))
        out += ["", *_columns(found), ""]
        optional = [c.name for c in found.feed.columns if c.key not in found.pos and not c.distinctive]
        if optional:
            out.append(f"Documented columns not in this file (optional): {', '.join(optional)}.")
        if found.feed.notes is not None:
            cols = Columns(found.header, found.pos, dataset)
            out += [f"Note: {n}." for n in found.feed.notes(cols)]
    if recognition.feed is None and recognition.near is not None:
        out += ["", *_columns(recognition.near), "", f"Cannot load: {recognition.refusal()}"]
    else:
        assert recognition.feed is not None
        out.append(f"Loads into the {recognition.feed.table} table (columns documented in {docs(recognition.feed)}).")
    return "\n".join(out)


def inspect_feed(path: Path) -> str | None:
    """The report for a feed file, or None when the file is not (and does not look like) a feed.

    >>> print(inspect_feed(Path("health.json")))  # doctest: +SKIP
    File: health.json
    Looks like: an Insecurity Insight export (health care, SiND schema)
    ...
    """
    try:
        recognition = recognise(path, head=False)
    except Exception as exc:  # noqa: BLE001 - calamine, csv and json raise many types
        head = safe_recognise(path)  # a feed by its head (a JSON export cut off): say why it cannot load
        if head.feed is None:
            return None  # not a feed: the log report says why the file cannot be read
        return "\n".join([*_heading(head), f"Cannot load: {unreadable(path, exc)}"])
    if recognition.feed is None and recognition.near is None:
        return None
    return render_feed(recognition)
