"""Monthly alerts per admin-1 area, checkpoint and counterpart: what a place's own history did not predict.

The method, its thresholds and the false-alarm figure measured on the demo are in ``docs/alerts.md``.
In short, for the month asked and each place (counts aggregated in DuckDB by :mod:`etl.analysis.sql`):

1. **More denials than expected** (``count``). The expected count is the place's denial rate in the same
   calendar month of earlier years, pulled towards its overall rate (:attr:`AlertRules.seasonal_prior`
   engagements' worth), times this month's engagements (the exposure). Without the pull this is exactly
   the Poisson GLM with month-of-year effects and ``log(engagements)`` as offset (its estimates are the
   per-month rates), which with two or three years of history is too noisy to use alone. The spread
   allows for over-dispersion (Pearson's statistic of the history) and for the uncertainty of the rate
   (a negative binomial with that variance). ``warning`` when the chance of so many denials or more is
   below :attr:`~AlertRules.warning_p`, ``alert`` below :attr:`~AlertRules.alert_p`; never with fewer than
   :attr:`~AlertRules.min_denials` denials or :attr:`~AlertRules.min_engagements` engagements (1 -> 2 is
   not an alert).
2. **Denial share rising** (``shift``): a one-sided CUSUM of the engagements of the
   last :attr:`~AlertRules.cusum_window` months against the share of the months before them; flagged when
   it passes :attr:`~AlertRules.cusum_h` (a Bernoulli CUSUM tuned to a doubling of the odds of a denial,
   :attr:`~AlertRules.cusum_odds`); "since" is the month the rise began (:func:`change_month`).
3. **Repeats suppressed**: a place flagged for a measure in one of the previous
   :attr:`~AlertRules.quiet_months` months is shown again only if it got worse (a higher level or a
   higher denial share), and then "since" the first month of the episode.
4. **Completeness guard**: when a country's engagements fall below :attr:`~AlertRules.reporting_drop` of
   its usual month (median of the previous six), or fewer offices or organisations report, a
   ``reporting change`` line says so, and a place's "fewer denials than expected" in that country reads
   ``reporting change`` instead of ``improvement``.

>>> rules = AlertRules()
>>> round(expected_rate(denied=[1, 1, 9], engaged=[20, 20, 20], months=[1, 2, 1], month=1, prior=rules.seasonal_prior), 3)
0.221
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd

from etl.analysis import sql

# Runs one query (SQL text, bound values) and returns its rows: a plain connection from the command line,
# the signed-in user's scoped ``query`` in the dashboard.
Runner = Callable[[str, list[object]], pd.DataFrame]

LEVELS = ("alert", "warning", "improvement", "reporting change")
# How a table writes a level (and a kind of place): a word with a capital, as every other cell of a table.
LEVEL_WORDS = {"alert": "Alert", "warning": "Warning", "improvement": "Improvement",
               "reporting change": "Reporting change"}
KIND_WORDS = {"area": "Area", "checkpoint": "Checkpoint", "counterpart": "Counterpart", "country": "Country"}
WORSE = {"alert": 2, "warning": 1}


@dataclass(frozen=True)
class AlertRules:
    """The thresholds (documented in ``docs/alerts.md``)."""

    warning_p: float = 0.01
    alert_p: float = 0.001
    min_denials: int = 5
    min_engagements: int = 5
    history_months: int = 36
    min_history_months: int = 6
    seasonal_prior: float = 30.0
    max_dispersion: float = 10.0
    cusum_odds: float = 2.0
    cusum_h: float = 5.0
    cusum_window: int = 6
    shift_month_engagements: int = 1
    quiet_months: int = 3
    reporting_drop: float = 0.5


@dataclass(frozen=True)
class Alert:
    """One line: how bad, which place, what was measured, this month against expected, since when."""

    level: str
    kind: str  # area, checkpoint, counterpart, country
    key: str
    name: str
    iso3: str
    measure: str
    observed: float
    expected: float
    since: dt.date
    engagements: int
    p_value: float | None = None
    share: float | None = field(default=None, compare=False)
    country: str | None = field(default=None, compare=False)  # the country's name (``iso3`` when unknown)

    def line(self, month: dt.date) -> str:
        """The alert in one line of plain text."""
        since = "this month" if self.since >= month else f"since {self.since:%b %Y}"
        name = "".join(c if c.isprintable() else " " for c in self.name)  # a name from a log stays on its line
        place = f"{self.kind} {name} ({self.iso3})" if self.kind != "country" else f"country {name}"
        return (f"{self.level.upper():<16} {place}: {self.measure}: {describe(self.measure, self.observed)} "
                f"this month, expected {describe(self.measure, self.expected)}; {since}")


def describe(measure: str, value: float) -> str:
    """A figure as the measure counts it (a share in percent, a count as a whole number)."""
    if "share" in measure:
        return f"{value:.1%}"
    return f"{value:,.1f}" if value != int(value) else f"{int(value):,}"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    """``month`` (a first day) moved by ``n`` months.

    >>> add_months(dt.date(2025, 1, 1), -2)
    datetime.date(2024, 11, 1)
    """
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def expected_rate(denied: Sequence[float], engaged: Sequence[float], months: Sequence[int], month: int,
                  prior: float) -> float:
    """The denial rate expected in calendar ``month``: that month's rate in the history, pulled to the overall rate.

    ``(D_m + prior * r) / (E_m + prior)`` with ``r`` the overall rate and ``D_m``, ``E_m`` the denials and
    engagements of earlier months of the same calendar month; with ``prior=0`` it is the Poisson GLM's
    month-of-year estimate.
    """
    total_e = sum(engaged)
    overall = max(sum(denied), 0.5) / total_e if total_e else 0.0
    d_m = sum(d for d, m in zip(denied, months, strict=True) if m == month)
    e_m = sum(e for e, m in zip(engaged, months, strict=True) if m == month)
    if e_m + prior <= 0:
        return overall
    return (d_m + prior * overall) / (e_m + prior)


def _tails(observed: int, mu: float, variance: float) -> tuple[float, float]:
    """P(X >= observed) and P(X <= observed) for a count with mean ``mu`` and ``variance`` (negative binomial)."""
    from scipy import stats  # here, not at the top: every `python -m etl` command imports this module (0.5 s)

    if mu <= 0:
        return (0.0 if observed > 0 else 1.0), 1.0
    if variance <= mu * (1 + 1e-9):
        dist = stats.poisson(mu)
    else:
        n = mu * mu / (variance - mu)
        dist = stats.nbinom(n, n / (n + mu))
    return float(dist.sf(observed - 1)), float(dist.cdf(observed))


def change_month(months: Sequence[tuple[dt.date, int, int]], p0: float) -> dt.date:
    """When a rise of the denial share began: the maximum-likelihood change point of a step in a binomial
    share (Samuel and Pignatiello, 2001), over ``months`` (month, engagements, denials, oldest first).

    For each candidate month, the share from it on is estimated from those months (not fixed in advance, as the
    CUSUM's doubling is); the change point is the candidate whose step from ``p0`` to that share explains the
    months best. Page's estimate (where the CUSUM last left 0) starts the rise at the first month a little above
    ``p0``, often months before the step (``docs/alerts.md``).

    >>> months = [(dt.date(2024, m, 1), 30, d) for m, d in ((9, 0), (10, 1), (11, 4), (12, 3))]
    >>> change_month(months + [(dt.date(2025, 1, 1), 40, 24), (dt.date(2025, 2, 1), 50, 35)], 0.05)
    datetime.date(2025, 1, 1)
    """
    best, since = -math.inf, months[0][0]
    for i, (m, e, _d) in enumerate(months):
        if not e:
            continue
        n = sum(e for _, e, _ in months[i:])
        x = sum(d for _, _, d in months[i:])
        p1 = x / n
        if p1 <= p0:  # no rise from this month on
            continue
        ratio = x * math.log(p1 / p0) + ((n - x) * math.log((1 - p1) / (1 - p0)) if x < n else 0.0)
        if ratio > best:
            best, since = ratio, m
    return since


@dataclass(frozen=True)
class _Flag:
    level: str
    measure: str
    observed: float
    expected: float
    p_value: float | None
    share: float
    engagements: int


class _Series:
    """One place's months: engagements and denials by month (first days)."""

    def __init__(self, rows: pd.DataFrame) -> None:
        self.e = {m: int(v) for m, v in zip(rows["month"], rows["engagements"], strict=True)}
        self.d = {m: int(v) for m, v in zip(rows["month"], rows["denied"], strict=True)}

    def history(self, before: dt.date, months: int, until: dt.date | None = None) -> list[dt.date]:
        first = add_months(before, -months)
        last = until or before
        return [m for m in self.e if first <= m < last]

    def count_flag(self, month: dt.date, rules: AlertRules, guarded: bool) -> _Flag | None:
        e, d = self.e.get(month, 0), self.d.get(month, 0)
        past = self.history(month, rules.history_months)
        if e < rules.min_engagements or len(past) < rules.min_history_months:
            return None
        den = [self.d[m] for m in past]
        eng = [self.e[m] for m in past]
        cal = [m.month for m in past]
        by_cal = {c: expected_rate(den, eng, cal, c, rules.seasonal_prior) for c in {*cal, month.month}}
        rates = [by_cal[c] for c in cal]
        pearson = sum((di - ei * r) ** 2 / (ei * r) for di, ei, r in zip(den, eng, rates, strict=True) if ei * r > 0)
        phi = min(max(pearson / max(len(past) - 1, 1), 1.0), rules.max_dispersion)
        mu = e * by_cal[month.month]
        variance = phi * mu + mu * mu * phi / (sum(den) + 1)
        upper, lower = _tails(d, mu, variance)
        if d >= rules.min_denials and d > mu:
            level = "alert" if upper < rules.alert_p else "warning" if upper < rules.warning_p else None
            if level:
                return _Flag(level, "denials", d, round(mu, 1), upper, d / e, e)
        if mu >= 2 * rules.min_denials and d < mu and lower < rules.alert_p:
            level = "reporting change" if guarded else "improvement"
            return _Flag(level, "fewer denials than expected", d, round(mu, 1), lower, d / e, e)
        return None

    def shift_flag(self, month: dt.date, rules: AlertRules) -> tuple[_Flag, dt.date] | None:
        """CUSUM of the last ``cusum_window`` months against the months before; the flag and when its run began."""
        window = [add_months(month, -i) for i in range(rules.cusum_window - 1, -1, -1)]
        if self.e.get(month, 0) < rules.shift_month_engagements or sum(
                self.e.get(m, 0) for m in window) < 2 * rules.min_engagements:
            return None
        ref = self.history(window[0], rules.history_months)
        e_ref = sum(self.e[m] for m in ref)
        if len(ref) < rules.min_history_months or e_ref < 3 * rules.min_engagements:
            return None
        d_ref = sum(self.d[m] for m in ref)
        p0 = min(max(d_ref, 0.5) / e_ref, 0.95)
        pearson = sum((self.d[m] - self.e[m] * p0) ** 2 / (self.e[m] * p0 * (1 - p0)) for m in ref)  # binomial
        phi = min(max(pearson / max(len(ref) - 1, 1), 1.0), rules.max_dispersion)
        # Bernoulli CUSUM (Steiner et al. 2000): each engagement adds the log-likelihood ratio of "the odds of a
        # denial are cusum_odds times the reference" against "as before", scaled down by the over-dispersion.
        up = math.log(rules.cusum_odds) - math.log(1 - p0 + rules.cusum_odds * p0)
        down = -math.log(1 - p0 + rules.cusum_odds * p0)
        s = 0.0
        for m in window:
            e, d = self.e.get(m, 0), self.d.get(m, 0)
            s = max(0.0, s + (d * up + (e - d) * down) / phi)
        if s <= rules.cusum_h or sum(self.d.get(m, 0) for m in window) < rules.min_denials:
            return None
        e, d = self.e[month], self.d.get(month, 0)
        if d / e <= p0:  # the shift is over this month: nothing to say now
            return None
        level = "alert" if s > 2 * rules.cusum_h else "warning"
        since = change_month([(m, self.e.get(m, 0), self.d.get(m, 0)) for m in window], p0)
        return _Flag(level, "denial share rising", d / e, p0, None, d / e, e), since


def _raw_flags(series: _Series, month: dt.date, rules: AlertRules, guarded: bool) -> list[tuple[_Flag, dt.date]]:
    out: list[tuple[_Flag, dt.date]] = []
    count = series.count_flag(month, rules, guarded)
    if count is not None:
        out.append((count, month))
    shift = series.shift_flag(month, rules)
    if shift is not None:
        out.append(shift)
    return out


def _suppressed(series: _Series, month: dt.date, flag: _Flag, since: dt.date, rules: AlertRules,
                guarded: set[tuple[str, dt.date]], iso3: str) -> tuple[bool, dt.date]:
    """Whether ``flag`` repeats a recent one without getting worse; and the first month of its episode."""
    last: _Flag | None = None
    episode = since
    gap = 0
    m = month
    for _ in range(rules.history_months):
        m = add_months(m, -1)
        gap += 1
        if gap > rules.quiet_months:
            break
        same = [f for f, s in _raw_flags(series, m, rules, (iso3, m) in guarded) if f.measure == flag.measure]
        if same:
            last = last or same[0]
            episode = min(episode, m)
            gap = 0
    if last is None:
        return False, since
    worse = WORSE.get(flag.level, 0) > WORSE.get(last.level, 0) or flag.share > last.share
    return not worse, episode


# Per country: its name, and per month (first day) its engagements and reporting sources.
Reporting = dict[str, tuple[str, dict[dt.date, tuple[int, int]]]]


def reporting(countries: pd.DataFrame) -> Reporting:
    """:func:`etl.analysis.sql.country_months` rows as plain mappings (sources: files or organisations, the larger)."""
    out: Reporting = {}
    for iso3, name, month, e, loads, orgs in countries[["iso3", "name", "month", "engagements", "loads",
                                                        "organisations"]].itertuples(index=False):
        out.setdefault(str(iso3), (str(name), {}))[1][month] = (int(e), max(int(loads), int(orgs)))
    return out


def reporting_changes(countries: Reporting, month: dt.date, rules: AlertRules) -> list[Alert]:
    """Countries whose engagements or reporting sources fell sharply this month against the six before."""
    out: list[Alert] = []
    past = [add_months(month, -i) for i in range(1, 7)]
    for iso3, (name, months) in sorted(countries.items()):
        known = [months.get(m, (0, 0)) for m in past]
        if sum(e > 0 for e, _ in known) < 3:
            continue
        e_now, sources_now = months.get(month, (0, 0))
        usual = statistics.median(e for e, _ in known)
        sources_usual = statistics.median(src for _, src in known)
        if usual < 2 * rules.min_engagements:  # too few a month to tell a reporting change from chance
            continue
        if e_now < rules.reporting_drop * usual:
            out.append(Alert("reporting change", "country", iso3, name, iso3, "engagements logged",
                             e_now, usual, month, e_now))
        elif sources_usual >= 3 and sources_now <= rules.reporting_drop * sources_usual:
            out.append(Alert("reporting change", "country", iso3, name, iso3, "offices or organisations reporting",
                             sources_now, sources_usual, month, e_now))
    return out


def find_alerts(run: Runner, month: dt.date, *, regions: Sequence[str] = (), countries: Sequence[str] = (),
                areas: Sequence[str] = (), counterpart_id: str | None = None, rules: AlertRules | None = None,
                min_engagements: int | None = None) -> list[Alert]:
    """The alerts of calendar ``month`` (any day of it), most severe first.

    :param run: runs one query; the dashboard passes the signed-in user's scoped ``query``.
    :param regions: only these regions; ``countries``: ISO3 codes; ``areas``: admin-1 P-codes (the engagements
        there: a counterpart's series is then its engagements in those areas).
    :param counterpart_id: only that counterpart's own series (a profile page).
    :param min_engagements: no alert on fewer engagements this month (hq's ``k``), beside the rules' minimum.
    """
    month = month_start(month)
    return alerts_by_month(run, [month], regions=regions, countries=countries, areas=areas,
                           counterpart_id=counterpart_id, rules=rules, min_engagements=min_engagements)[month]


def reads(months: Sequence[dt.date], *, regions: Sequence[str] = (), countries: Sequence[str] = (),
          areas: Sequence[str] = (), counterpart_id: str | None = None,
          rules: AlertRules | None = None) -> list[sql.Query]:
    """The queries :func:`alerts_by_month` runs (place counts, then country counts unless for one counterpart)."""
    rules = rules or AlertRules()
    start = add_months(min(months), -(rules.history_months + 2 * rules.quiet_months + rules.cusum_window))
    end = add_months(max(months), 1)
    out = [sql.place_months(start, end, regions, countries, counterpart_id, areas)]
    if counterpart_id is None:
        out.append(sql.country_months(start, end, regions, countries, areas))
    return out


def alerts_by_month(run: Runner, months: Sequence[dt.date], *, regions: Sequence[str] = (),
                    countries: Sequence[str] = (), areas: Sequence[str] = (), counterpart_id: str | None = None,
                    rules: AlertRules | None = None, min_engagements: int | None = None) -> dict[dt.date, list[Alert]]:
    """:func:`find_alerts` for several months (first days), the counts read once."""
    rules = rules or AlertRules()
    if min_engagements is not None:  # hq's k: no alert on fewer engagements in its month, whatever the measure
        rules = replace(rules, min_engagements=max(rules.min_engagements, min_engagements),
                        shift_month_engagements=max(rules.shift_month_engagements, min_engagements))
    if not months:
        return {}
    results = [run(*q) for q in reads(months, regions=regions, countries=countries, areas=areas,
                                      counterpart_id=counterpart_id, rules=rules)]
    places = results[0].assign(month=pd.to_datetime(results[0]["month"]).dt.date)
    if counterpart_id is not None:
        places = places[places["level"] == "counterpart"]
        country_rows = pd.DataFrame(columns=["iso3", "name", "month", "engagements", "loads", "organisations"])
    else:
        country_rows = results[1].assign(month=pd.to_datetime(results[1]["month"]).dt.date)
    series = [(str(kind), str(key), str(rows["name"].iloc[0]), str(rows["iso3"].iloc[0]), str(rows["country"].iloc[0]),
               _Series(rows)) for (kind, key), rows in places.groupby(["level", "key"], sort=True)]
    reported = reporting(country_rows)
    changes: dict[dt.date, list[Alert]] = {}
    for m in {add_months(m, -i) for m in months for i in range(2 * rules.quiet_months + 1)}:
        changes[m] = reporting_changes(reported, m, rules)
    return {m: _month_alerts(m, series, changes, rules) for m in months}


def _month_alerts(month: dt.date, series: list[tuple[str, str, str, str, str, _Series]],
                  changes: dict[dt.date, list[Alert]], rules: AlertRules) -> list[Alert]:
    found: list[Alert] = list(changes[month])
    guarded = {(a.iso3, m) for m, alerts in changes.items() for a in alerts}
    for kind, key, name, iso3, country, place in series:
        if month not in place.e:
            continue
        for flag, since in _raw_flags(place, month, rules, (iso3, month) in guarded):
            hidden, since = _suppressed(place, month, flag, since, rules, guarded, iso3)
            if hidden:
                continue
            found.append(Alert(flag.level, kind, key, name, iso3, flag.measure, flag.observed,
                               flag.expected, since, flag.engagements, flag.p_value, flag.share, country))
    order = {level: i for i, level in enumerate(LEVELS)}
    return sorted(found, key=lambda a: (order[a.level], a.kind, -(a.share or 0), a.name))


def frame(alerts: Sequence[Alert], month: dt.date, k: int | None = None) -> pd.DataFrame:
    """Alerts as a table with human column names (the dashboard's and a download's shape).

    With ``k`` (the disclosure rule), a country's count of engagements below ``k`` reads ``< k``.

    >>> a = Alert("reporting change", "country", "SSD", "South Sudan", "SSD", "engagements logged", 3, 40.0,
    ...           dt.date(2025, 2, 1), 3)
    >>> frame([a], dt.date(2025, 2, 1), k=5)[["Level", "Kind", "This month", "Expected", "Since"]].iloc[0].tolist()
    ['Reporting change', 'Country', '< 5', '40', 'this month']
    """

    def this_month(a: Alert) -> str:
        if k is not None and a.measure == "engagements logged" and a.observed < k:
            return f"< {k}"
        return describe(a.measure, a.observed)

    return pd.DataFrame({
        "Level": [LEVEL_WORDS.get(a.level, a.level) for a in alerts],
        "Place": [a.name if a.kind == "country" else f"{a.name}, {a.country or a.iso3}" for a in alerts],
        "Kind": [KIND_WORDS.get(a.kind, a.kind) for a in alerts],
        "Measure": [a.measure for a in alerts],
        "This month": [this_month(a) for a in alerts],
        "Expected": [describe(a.measure, a.expected) for a in alerts],
        "Since": ["this month" if a.since >= month_start(month) else f"{a.since:%b %Y}" for a in alerts],
        "Engagements": [a.engagements for a in alerts],
    })
