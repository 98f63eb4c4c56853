"""The snapshot's "Notable changes": the month's alerts (:mod:`etl.analysis.alerts`) in plain sentences first,
then the largest month-on-month changes by area while there is room.

:func:`month_alerts` runs the alerts engine through the same ``run(sql, params)`` as the rest of the snapshot
(the user's scoped views), with hq's ``k`` as the least number of engagements an alert may rest on.
:func:`alert_sentences` and :func:`combine` are pure. A snapshot names no counterpart, for any role: the
counterparts flagged are counted in one sentence, not named.

>>> month = dt.date(2025, 1, 1)
>>> surge = Alert("alert", "area", "SS07", "Upper Nile", "SSD", "denials", 24, 7.6, month, 60)
>>> quiet = Alert("reporting change", "country", "SSD", "South Sudan", "SSD", "engagements logged", 12, 40.0,
...               month, 12)
>>> for s in alert_sentences([surge, quiet], month, k=None):
...     print(s)
Fewer engagements were logged in South Sudan than usual (12 in January, about 40 a month before): read falls there as a reporting change, not an improvement.
Upper Nile: 24 denials in January, about 8 expected from its own history (alert, since January 2025).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pandas as pd

from etl.analysis.alerts import Alert, AlertRules, alerts_by_month

# At most this many sentences under "Notable changes" (alerts first, then month-on-month changes).
MAX_SENTENCES = 6

_REPORTING = "reporting change"
_WORSE = ("alert", "warning")


def month_alerts(run: Callable[[str, Sequence[object]], pd.DataFrame], kind: str, code: str, month: dt.date,
                 k: int | None) -> list[Alert]:
    """The alerts of ``month`` (a first day) in one country (``kind == "country"``, ISO3 ``code``) or region, as
    ``run`` (a user's scoped views) sees the data; none on fewer than ``k`` engagements in the month."""
    where = {"countries": (code,)} if kind == "country" else {"regions": (code,)}
    return alerts_by_month(lambda text, params: run(text, params), [month], min_engagements=k, **where)[month]


def _clean(name: str) -> str:
    return " ".join("".join(c if c.isprintable() else " " for c in name).split())


def _count(value: float, k: int | None) -> str:
    """A count for the text; under ``k`` (a pseudonymised view) only "fewer than k"."""
    if k is not None and value < k:
        return f"fewer than {k}"
    return f"{int(value):,}"


def _about(value: float) -> str:
    return "almost none" if value < 0.5 else f"about {value:,.0f}"


def _place(a: Alert, with_country: bool) -> str:
    name = _clean(a.name)
    name = f"Checkpoint {name}" if a.kind == "checkpoint" else name
    return f"{name} ({a.country or a.iso3})" if with_country else name


def area_label(a: Alert, with_country: bool) -> str:
    """How the snapshot's area tables name the area of an area alert ("Upper Nile", "Upper Nile (South Sudan)")."""
    return _place(a, with_country)


def _sentence(a: Alert, month: dt.date, k: int | None, with_country: bool) -> str:
    since = f"since {a.since:%B %Y}"
    if a.kind == "country":
        name = _clean(a.name)
        if a.measure == "engagements logged":
            return (f"Fewer engagements were logged in {name} than usual ({_count(a.observed, k)} in {month:%B}, "
                    f"{_about(a.expected)} a month before): read falls there as a reporting change, not an "
                    "improvement.")
        return (f"Fewer offices or organisations reported from {name} than usual ({a.observed:,.0f} in {month:%B}, "
                f"{_about(a.expected)} before): read falls there as a reporting change, not an improvement.")
    place = _place(a, with_country)
    if a.measure == "denial share rising":
        return (f"{place}: the share of engagements denied has been rising, {a.observed:.0%} in {month:%B} "
                f"against {a.expected:.0%} before ({a.level}, {since}).")
    if k is None:
        counted = f"{place}: {_count(a.observed, k)} denials in {month:%B}, {_about(a.expected)} expected from its own history"
        said = f"{counted} ({a.level}, {since})."
    else:  # no count: the tables may withhold it (a small cell, or one hidden so that none can be subtracted)
        more = "more" if a.observed > a.expected else "fewer"
        counted = f"{place}: {more} denials in {month:%B} than its own history predicts ({_about(a.expected)} expected"
        said = f"{counted}; {a.level}, {since})."
        counted += ")"
    if a.level == _REPORTING:
        return f"{counted}, but fewer engagements were logged there than usual: read as a reporting change, not an improvement."
    return said


def alert_sentences(alerts: Sequence[Alert], month: dt.date, k: int | None, with_country: bool = False) -> list[str]:
    """The alerts as plain sentences: countries whose reporting fell first (they say how to read the rest),
    then areas and checkpoints flagged, the counterparts flagged (counted, never named), then fewer denials than
    expected. ``with_country``: area and checkpoint names with their ISO3 (a region's snapshot).

    >>> month = dt.date(2025, 3, 1)
    >>> alerts = [Alert("warning", "counterpart", "CP-1", "Col. X", "YEM", "denials", 9, 2.0, month, 12),
    ...           Alert("alert", "counterpart", "CP-2", "Sheikh Y", "YEM", "denial share rising", 0.6, 0.2,
    ...                 month, 10),
    ...           Alert("warning", "checkpoint", "K-1", "Km 14", "YEM", "denial share rising", 0.5, 0.2,
    ...                 dt.date(2024, 12, 1), 20, country="Yemen"),
    ...           Alert("improvement", "area", "YE24", "Aden", "YEM", "fewer denials than expected", 3, 12.4,
    ...                 month, 30)]
    >>> for s in alert_sentences(alerts, month, k=5, with_country=True):
    ...     print(s)
    Checkpoint Km 14 (Yemen): the share of engagements denied has been rising, 50% in March against 20% before (warning, since December 2024).
    2 counterparts had more denials than their own history predicts (not named in this snapshot: see the alerts on the dashboard's Trends page).
    Aden (YEM): fewer denials in March than its own history predicts (about 12 expected; improvement, since March 2025).

    With ``k`` (the headquarters edition) a place's count of denials is not said: the snapshot's tables may
    withhold it. Without:

    >>> alert_sentences(alerts[3:], month, k=None)
    ['Aden: 3 denials in March, about 12 expected from its own history (improvement, since March 2025).']
    """
    reporting = [a for a in alerts if a.kind == "country"]
    worse = [a for a in alerts if a.kind in ("area", "checkpoint") and a.level in _WORSE]
    better = [a for a in alerts if a.kind in ("area", "checkpoint") and a.level not in _WORSE]
    counterparts = {a.key for a in alerts if a.kind == "counterpart" and a.level in _WORSE}
    out = [_sentence(a, month, k, with_country) for a in (*reporting, *worse)]
    if counterparts:
        n = len(counterparts)
        out.append(f"{n} counterpart{'s' if n > 1 else ''} had more denials than {'their' if n > 1 else 'its'} own "
                   "history predicts (not named in this snapshot: see the alerts on the dashboard's Trends page).")
    out += [_sentence(a, month, k, with_country) for a in better]
    return out


def no_alert_sentence(rules: AlertRules | None = None) -> str:
    rules = rules or AlertRules()
    return (f"No alert: no area, checkpoint or counterpart with {rules.min_history_months} months of history or more "
            "had more denials than that history predicts.")


def combine(alert_lines: Sequence[str], month_on_month: Sequence[str], limit: int = MAX_SENTENCES) -> list[str]:
    """The alerts' sentences first (with "... more" when they do not all fit), then month-on-month changes while
    fewer than ``limit`` sentences are said; without any alert, a sentence that says so comes first.

    >>> combine([], ["Denials in Aden rose from 2 in February to 7 in March (+5)."])[0][:9]
    'No alert:'
    >>> combine([f"A{i}." for i in range(8)], ["M."], limit=4)
    ['A0.', 'A1.', 'A2.', '5 more alerts: see the dashboard (Trends, Alerts) or python -m etl alerts.']
    >>> combine(["A0."], ["M0.", "M1."], limit=2)
    ['A0.', 'M0.']
    """
    lines = list(alert_lines) or [no_alert_sentence()]
    if len(lines) > limit:
        more = len(lines) - (limit - 1)
        lines = [*lines[:limit - 1], f"{more} more alerts: see the dashboard (Trends, Alerts) or python -m etl alerts."]
    return [*lines, *month_on_month][:limit]
