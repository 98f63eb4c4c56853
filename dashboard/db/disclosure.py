"""Disclosure control for pseudonymised views: one rule for metrics, charts, tables, map tooltips and exports.

An ``hq`` user sees every region with counterpart names replaced by codes. The codes hide *who*; this
module stops the figures from telling *how many*, *which engagement* or *what happened* when only a
handful of engagements stand behind them (a day at one checkpoint can be one meeting with one armed
group). It applies when :func:`k_for` says so: the user's names are pseudonymised somewhere and the
view is not limited to regions granted to the user (a region filter naming only granted regions lifts it).

The rule, with ``k`` the ``small_cell_k`` setting (default 5):

1. **Primary suppression.** A count below ``k`` (zero included) is shown as ``"< k"``: in metrics,
   table cells, chart values and hover labels, map tooltips and exports.
2. **Secondary suppression** (so a hidden cell cannot be worked out by subtraction from a total shown
   elsewhere, such as the headline): in each count column of a table, and within each group of rows
   sharing a key when the table has two or more key columns (month x outcome...), a hidden cell is
   never alone: any such group's total can be known (the headline of a view filtered to that month,
   region, area or checkpoint gives it). While some column or group holds exactly one hidden cell, the smallest other cell of
   it is hidden too, shown as ``"hidden"``. Repeated until no column or group holds exactly one.
3. **Derived figures.** Shares, rates, medians and changes of fewer than ``k`` engagements are blanked:
   each is read against its own base (``share_denied_before`` against ``engagements_before``...).
   A figure whose numerator is a count of the row (``share_of_engagements``, ``per_engagement``) is
   blanked whenever that count is hidden, primary or secondary, and when count / figure gives back a
   base under k (6 obstacles at 2 per engagement: 3 engagements).
4. **Too narrow.** When the filters leave 1 to k-1 engagements, a page says so and shows no figure.
5. **No rows, no names.** Engagement-level lists, who controls which checkpoint, the outcomes of
   single engagements, perpetrator names of incidents and the actors and notes of conflict events are not shown
   (pages, :mod:`dashboard.ui.maps` and :mod:`dashboard.ui.conflict_map`).

Known limit: a share of k or more engagements is shown exactly, so with its count it gives the
number behind it (1 denial among 20 engagements); that is an aggregate of at least k engagements.

>>> protect(pd.DataFrame({"region": ["A", "B", "C"], "engagements": [2, 40, 41], "share_denied": [0.5, 0.1, 0.2]}), 5)
  region engagements  share_denied
0      A         < 5           NaN
1      B      hidden           0.1
2      C          41           0.2
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from etl.accounts.roles import Scope
from etl.config import get_settings

if TYPE_CHECKING:
    from dashboard.db.filters import Filters

HIDDEN = "hidden"
"""A count at or above k hidden so that a count below k next to it cannot be recovered by subtraction."""

# Columns that count engagements, requests, people or events: what suppression looks at.
COUNT_WORDS = ("engagements", "requests", "obstacles", "incidents", "counterparts", "checkpoints", "times", "killed",
               "injured", "kidnapped", "detained", "granted", "problems", "rows_", "recent", "before", "people",
               "events", "fatalities")
# Float columns that are neither counts nor figures derived from them.
PLACE_COLUMNS = ("latitude", "longitude")
# Derived columns read against another base than the row's main count.
BASE_OF = {"share_denied_before": ("engagements_before", "before"), "denied_before": ("before",),
           "denied_recent": ("recent",), "change": ("engagements", "engagements_before", "recent", "before"),
           "change_granted": ("engagements", "engagements_before")}
# Derived columns whose numerator is a count of the same row: blank whenever that count is hidden.
NUMERATOR_OF = {"share_of_engagements": "engagements", "per_engagement": "obstacles",
                "obstacles_per_engagement": "obstacles"}


def mark(k: int) -> str:
    """How a count below ``k`` is shown."""
    return f"< {k}"


def k_for(scope: Scope, f: Filters | None = None) -> int | None:
    """``small_cell_k`` when ``scope`` looking at ``f`` needs disclosure control, else None.

    Needed where names are pseudonymised (``hq`` outside its granted regions): everywhere unless the
    user sees names in clear everywhere, or the region filter names only regions granted to the user.

    >>> from etl.accounts.roles import scope_for
    >>> k_for(scope_for("hq", ())), k_for(scope_for("coordinator", ("Asia",))), k_for(scope_for("hq", ("*",)))
    (5, None, None)
    """
    if not scope.pseudonymise_names or scope.clear_everywhere:
        return None
    if f is not None and f.regions and all(r in scope.regions for r in f.regions):
        return None
    return get_settings().small_cell_k


def count_columns(df: pd.DataFrame) -> list[str]:
    """The columns of ``df`` holding counts (whole numbers named like a count)."""
    out = []
    for c in df.columns:
        col = df[c]
        whole = pd.api.types.is_integer_dtype(col) or (
            pd.api.types.is_float_dtype(col) and col.dropna().mod(1).eq(0).all() and c.startswith("people"))
        if whole and not pd.api.types.is_bool_dtype(col) and any(w in str(c) for w in COUNT_WORDS):
            out.append(c)
    return out


def _main_count(counts: list[str]) -> str:
    for name in ("engagements", "recent", "incidents", "events", "obstacles"):
        if name in counts:
            return name
    return counts[0]


def small(value: object, k: int | None) -> bool:
    """Whether a count is below ``k`` (a missing count counts as zero)."""
    if k is None:
        return False
    try:
        return value is None or pd.isna(value) or float(value) < k  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def protect(df: pd.DataFrame, k: int | None) -> pd.DataFrame:
    """``df`` as a pseudonymised view may show it (the rule in this module's docstring); unchanged when
    ``k`` is None. Counts become ``object`` columns holding whole numbers, ``"< k"`` or ``"hidden"``.

    >>> monthly = pd.DataFrame({"month": ["Jan", "Jan", "Feb", "Feb"], "outcome": ["granted", "denied"] * 2,
    ...                         "engagements": [40, 3, 30, 25]})
    >>> protect(monthly, 5)["engagements"].tolist()  # each month's and each outcome's total can be known
    ['hidden', '< 5', 'hidden', 'hidden']
    """
    if k is None or df.empty:
        return df.copy()
    counts = count_columns(df)
    if not counts:
        return df.copy()
    values = df[counts].apply(pd.to_numeric, errors="coerce")
    primary = values.isna() | (values < k)
    hidden = primary.copy()
    derived = [c for c in df.columns if pd.api.types.is_float_dtype(df[c]) and c not in counts
               and c not in PLACE_COLUMNS]
    keys = [c for c in df.columns if c not in counts and c not in derived and c not in PLACE_COLUMNS]
    groups: list[pd.Index] = [df.index]
    if len(keys) >= 2:
        for key in keys:
            try:
                groups += [pd.Index(ix) for ix in df.groupby(key, dropna=False, sort=False).groups.values()]
            except TypeError:  # a column of lists (latest outcomes...) is not a key
                continue
    changed = True
    while changed:
        changed = False
        for c in counts:
            for ix in groups:
                h = hidden.loc[ix, c]
                if int(h.sum()) == 1 and (~h).any():
                    pick = values.loc[ix, c][~h].sort_values(kind="stable").index[0]
                    hidden.loc[pick, c] = True
                    changed = True
    out = df.copy()
    main = _main_count(counts)
    for c in derived:
        if c in NUMERATOR_OF and NUMERATOR_OF[c] in counts:
            # count / figure gives the base back (obstacles / obstacles per engagement = engagements): blank when
            # that base is under k, as when the count is withheld.
            with np.errstate(divide="ignore", invalid="ignore"):
                base = values[NUMERATOR_OF[c]] / pd.to_numeric(df[c], errors="coerce")
            blank = hidden[NUMERATOR_OF[c]] | primary[main] | (base.round(6) < k)
        else:
            bases = [b for b in BASE_OF.get(c, (main,)) if b in counts] or [main]
            blank = primary[bases].any(axis=1)
        out[c] = out[c].astype(float).mask(blank)
    for c in counts:
        shown = out[c].astype(object)
        shown = shown.where(~hidden[c], HIDDEN).where(~primary[c], mark(k))
        out[c] = shown.map(lambda v: int(v) if not isinstance(v, str) and not pd.isna(v) else v)
    return out


def value(v: object, k: int | None) -> object:
    """One count as it may be shown: the number, or ``"< k"``."""
    return mark(k) if k is not None and small(v, k) else v


def narrow(engagements: object, k: int | None) -> bool:
    """Whether 1 to k-1 engagements match: the page says the filters are too narrow and shows no figure."""
    return k is not None and not small(engagements, 1) and small(engagements, k)


def too_narrow_message(k: int) -> str:
    return f"Fewer than {k} engagements match these filters: widen them to see figures."


ROWS_WITHHELD = ("Single engagements are not listed where counterpart names are pseudonymised: the figures above "
                 "are aggregates of at least {k} engagements. A user granted the region sees them.")
