"""What changed, and why, in one plain sentence per place or counterpart; and the links that open the
pages narrowed to it. Pure functions (no Streamlit): the figures come from
:func:`dashboard.db.change_queries.changes`, which computed them in DuckDB.

A sentence is plain text made from names in the logs: it is shown as text (a table cell), never as
markdown or HTML. A link carries only ids (a P-code, a checkpoint or counterpart id) and the filters,
URL-encoded after a fixed page path: a name never reaches it.

>>> row = {"name": "Upper Nile", "level": "area", "measure": "rate", "engagements": 230,
...        "engagements_before": 200, "denials": 94, "denials_before": 24, "share_denied": 0.41,
...        "share_denied_before": 0.12, "change": 0.29, "volume_change": 0.15, "drivers": [
...     {"kind": "checkpoint", "name": "Km 14", "engagements": 60, "engagements_before": 50, "denials": 50,
...      "denials_before": 10},
...     {"kind": "counterpart", "name": "Col. X", "engagements": 40, "engagements_before": 30, "denials": 30,
...      "denials_before": 5},
...     {"kind": "obstacle", "name": "Military operations", "engagements": 61, "engagements_before": 3},
...     {"kind": "condition", "name": "Armed escort", "engagements": 12, "engagements_before": 0}]}
>>> print(sentence(row))
Upper Nile: denials up from 12% to 41% (+29 points) on 230 engagements; most of the rise at Km 14 (+40 denials) and with Col. X (+25); obstacle 'Military operations' up from 3 to 61; new condition demanded: Armed escort.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import pandas as pd

from dashboard import registry
from dashboard.db.filters import Filters, to_query_params
from dashboard.ui.formats import fmt_change, fmt_int, is_missing

# How a place driver is introduced: "at Km 14", "with Col. X", "in Upper Nile".
PREPOSITION = {"checkpoint": "at", "counterpart": "with", "area": "in"}
PLACE_KINDS = ("checkpoint", "counterpart", "area")
# At most this many drivers of one kind are named in a sentence.
NAMED_PER_KIND = 2


def _pct(share: object) -> int:
    return round(float(share) * 100)  # type: ignore[arg-type]


def _signed(n: int) -> str:
    return f"{n:+,d}"


def _unit(word: str, n: int) -> str:
    """``word`` (a plural) for ``n``: "1 denial", "-1 denial", "2 denials"."""
    return word[:-1] if abs(n) == 1 else word


def _counts(d: Mapping[str, Any], measure: str) -> tuple[int, int]:
    """The now/before counts a driver is judged by: denials for a rate change (places), else engagements
    (for obstacles: obstacles logged; for conditions: engagements with the condition)."""
    if measure == "rate" and d["kind"] in PLACE_KINDS:
        return int(d.get("denials") or 0), int(d.get("denials_before") or 0)
    return int(d.get("engagements") or 0), int(d.get("engagements_before") or 0)


def _shown(d: Mapping[str, Any], measure: str, k: int | None) -> bool:
    """A driver may be named: with ``k`` (a pseudonymised view) only when both its counts are at least k, so
    no count under k can be read from it (or from its change)."""
    if is_missing(d.get("name")):
        return False
    now, before = _counts(d, measure)
    return k is None or (now >= k and before >= k)


def head(row: Mapping[str, Any]) -> str:
    """The change itself: of the share denied (``measure`` ``rate``) or of the number of engagements.

    >>> head({"name": "Km 14", "measure": "volume", "engagements": 60, "engagements_before": 20,
    ...       "share_denied": 0.25, "share_denied_before": 0.25})
    'Km 14: engagements up from 20 to 60 (+200%), denials steady at 25%'
    """
    now, before = _pct(row["share_denied"]), _pct(row["share_denied_before"])
    points = now - before
    rate = (f"denials steady at {now}%" if points == 0 else
            f"denials {'up' if points > 0 else 'down'} from {before}% to {now}% ({_signed(points)} "
            f"{_unit('points', points)})")
    n, n_before = int(row["engagements"]), int(row["engagements_before"])
    if row["measure"] == "rate":
        return f"{row['name']}: {rate} on {fmt_int(n)} engagements"
    volume = fmt_change((n / n_before - 1) * 100, 0, "%")
    way = "up" if n > n_before else "down" if n < n_before else "steady"
    return f"{row['name']}: engagements {way} from {fmt_int(n_before)} to {fmt_int(n)} ({volume}), {rate}"


def _direction(row: Mapping[str, Any]) -> int:
    value = float(row["change"] if row["measure"] == "rate" else row["engagements"] - row["engagements_before"])
    return int(value > 0) - int(value < 0)


def _places(row: Mapping[str, Any], drivers: Sequence[Mapping[str, Any]], k: int | None) -> str | None:
    """Which checkpoints, counterparts (and, for a counterpart, areas) account for the change."""
    measure, sign = row["measure"], _direction(row)
    what = "denials" if measure == "rate" else "engagements"
    named: list[tuple[int, str]] = []
    for kind in PLACE_KINDS:
        moved = [(now - before, d) for d in drivers if d["kind"] == kind and _shown(d, measure, k)
                 for now, before in [_counts(d, measure)] if (now - before) * sign > 0]
        moved.sort(key=lambda p: (-abs(p[0]), str(p[1]["name"])))
        named += [(delta, f"{PREPOSITION[kind]} {d['name']}") for delta, d in moved[:NAMED_PER_KIND]]
    if not named:
        return None
    named.sort(key=lambda p: -abs(p[0]))
    named = named[:NAMED_PER_KIND]
    total = (row["denials"] - row["denials_before"]) if measure == "rate" else (
        row["engagements"] - row["engagements_before"])
    change = ("rise" if sign > 0 else "fall") if measure == "rate" else ("increase" if sign > 0 else "drop")
    # "most of" only when the largest named part alone is at least half of the change of the whole (parts of
    # different kinds overlap: a denial at Km 14 with Col. X is in both, so they are not added up).
    most = total * sign > 0 and abs(named[0][0]) * 2 >= abs(total)
    lead = f"most of the {change}" if most else f"the largest part of the {change}"
    # The unit once, after the first: "at Km 14 (+40 denials) and with Col. X (+25)".
    first = f"{named[0][1]} ({_signed(named[0][0])} {_unit(what, named[0][0])})"
    return f"{lead} " + " and ".join([first, *(f"{text} ({_signed(delta)})" for delta, text in named[1:])])


def _obstacles(drivers: Sequence[Mapping[str, Any]], sign: int, k: int | None) -> str | None:
    moved = [d for d in drivers if d["kind"] == "obstacle" and _shown(d, "volume", k)
             and (int(d["engagements"]) - int(d["engagements_before"])) * sign > 0]
    if not moved:
        return None
    d = max(moved, key=lambda d: (abs(int(d["engagements"]) - int(d["engagements_before"])), str(d["name"])))
    way = "up" if sign > 0 else "down"
    return (f"obstacle '{d['name']}' {way} from {fmt_int(d['engagements_before'])} to "
            f"{fmt_int(d['engagements'])}")


def _conditions(drivers: Sequence[Mapping[str, Any]], sign: int, k: int | None) -> str | None:
    shown = [d for d in drivers if d["kind"] == "condition" and _shown(d, "volume", k)]
    if sign > 0:
        new = sorted(str(d["name"]) for d in shown if int(d["engagements_before"]) == 0 and int(d["engagements"]) > 0)
        if new:
            return f"new condition{'s' if len(new) > 1 else ''} demanded: {', '.join(new[:NAMED_PER_KIND])}"
    else:
        gone = sorted(str(d["name"]) for d in shown if int(d["engagements"]) == 0 and int(d["engagements_before"]) > 0)
        if gone:
            return f"no longer demanded: {', '.join(gone[:NAMED_PER_KIND])}"
    moved = [d for d in shown if (int(d["engagements"]) - int(d["engagements_before"])) * sign > 0]
    if not moved:
        return None
    d = max(moved, key=lambda d: (abs(int(d["engagements"]) - int(d["engagements_before"])), str(d["name"])))
    return (f"condition '{d['name']}' {'up' if sign > 0 else 'down'} from {fmt_int(d['engagements_before'])} to "
            f"{fmt_int(d['engagements'])} engagements")


def sentence(row: Mapping[str, Any], k: int | None = None) -> str:
    """One plain sentence: what changed in ``row`` (a row of :func:`dashboard.db.change_queries.changes`) and
    what drove it. With ``k`` (a pseudonymised view), no driver with a count under k is named.

    >>> sentence({"name": "Gate 3", "level": "checkpoint", "measure": "rate", "engagements": 20,
    ...           "engagements_before": 20, "denials": 2, "denials_before": 8, "share_denied": 0.1,
    ...           "share_denied_before": 0.4, "change": -0.3, "volume_change": 0.0, "drivers": []})
    'Gate 3: denials down from 40% to 10% (-30 points) on 20 engagements.'
    """
    drivers = list(row.get("drivers") if row.get("drivers") is not None else [])
    sign = _direction(row) or (1 if float(row["change"]) >= 0 else -1)
    parts = [head(row), _places(row, drivers, k), _obstacles(drivers, sign, k), _conditions(drivers, sign, k)]
    return "; ".join(p for p in parts if p) + "."


def narrowed(f: Filters, level: str, key: str) -> Filters:
    """``f`` narrowed to one area (its P-code) or one checkpoint (its id), same period and other filters."""
    if level == "area":
        return replace(f, areas=(key,), checkpoint=None)
    if level == "checkpoint":
        return replace(f, checkpoint=key)
    raise ValueError(f"no page is narrowed by a {level!r}: only 'area' and 'checkpoint' are filters")


def page_address(page: str, f: Filters) -> str:
    """The address of ``page`` (a key of :mod:`dashboard.registry`) showing filters ``f``.

    >>> import datetime as dt
    >>> page_address("map", Filters(start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31), period="custom",
    ...                              areas=("SS07",)))
    '/map?period=custom&from=2025-01-01&to=2025-01-31&area=SS07'
    """
    return registry.page(page).url + "?" + urlencode(to_query_params(f), doseq=True)


def links(f: Filters, level: str, key: str, pages: Sequence[str]) -> dict[str, str | None]:
    """Where a row of the changes list opens, for each of ``pages`` the user may open (keys of
    :mod:`dashboard.registry`): ``map`` and ``obstacles`` narrowed to an area or checkpoint, a counterpart's
    profile (``counterpart``, by its id only). None where the page does not apply to the row's level.

    >>> import datetime as dt
    >>> f = Filters(start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31), period="custom")
    >>> links(f, "counterpart", "CP-1", ["map", "counterpart"])
    {'map': None, 'counterpart': '/counterpart?id=CP-1'}
    """
    out: dict[str, str | None] = {}
    for page in pages:
        if page == "counterpart":
            out[page] = (registry.page(page).url + "?" + urlencode({"id": key})) if level == "counterpart" else None
        else:
            out[page] = page_address(page, narrowed(f, level, key)) if level != "counterpart" else None
    return out


def offer(pages: Sequence[str]) -> str:
    """What a row opens, in words, for the pages the user may open (nothing offered that the role cannot open:
    a pseudonymised view has no profile).

    >>> offer(["map", "obstacles", "counterpart"])
    "Open a row to see the map or the obstacles narrowed to it, or a counterpart's profile."
    >>> offer(["map", "obstacles"])
    'Open a row to see the map or the obstacles narrowed to it.'
    >>> offer([])
    ''
    """
    places = " or the ".join(p for p in ("map", "obstacles") if p in pages)
    parts = [f"the {places} narrowed to it"] if places else []
    parts += ["a counterpart's profile"] if "counterpart" in pages else []
    return f"Open a row to see {', or '.join(parts)}." if parts else ""


# Link columns of the changes table: column -> page key (dashboard/registry.py).
LINK_PAGES = {"open_map": "map", "open_obstacles": "obstacles", "open_profile": "counterpart"}


def table_rows(changes: pd.DataFrame, f: Filters, pages: Sequence[str], k: int | None) -> pd.DataFrame:
    """The rows of one level of :func:`dashboard.db.change_queries.changes` as the Trends table shows them:
    one link column per page of ``pages`` that applies to the level (``open_map``, ``open_obstacles``,
    ``open_profile``; not named like the figures, so that no check takes an address for a count),
    ``what_changed`` (the sentence) and the figures; ``key`` and ``name`` (in the sentence already) are kept
    for downloads, the page drops them.

    :param pages: the page keys the user may open (a pseudonymised view gets no ``counterpart``).
    """
    level = changes["level"].iloc[0] if len(changes) else "area"
    out = pd.DataFrame(index=changes.index)
    for column, page in LINK_PAGES.items():  # first, so that they are in sight however wide the table
        if page in pages and (page == "counterpart") == (level == "counterpart"):
            out[column] = [links(f, level, key, [page])[page] for key in changes["key"]]
    out["what_changed"] = [sentence(r, k) for r in changes.to_dict("records")]
    figures = ["country", "engagements", "engagements_before", "share_denied", "share_denied_before", "change",
               "volume_change", "key", "name"]
    return pd.concat([out, changes[figures]], axis=1).reset_index(drop=True)
