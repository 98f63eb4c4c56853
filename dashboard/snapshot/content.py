"""What a monthly access snapshot says: every figure, table and sentence of the PDF, computed before drawing.

:func:`gather` runs the snapshot queries (:mod:`dashboard.db.snapshot_queries`, and the Trends page's own
:mod:`dashboard.db.queries` where a figure is already defined there) through any ``run(sql, params)``
function bound to a user's scoped views: the dashboard's :func:`dashboard.db.connection.query` or the
command line's connection (:mod:`dashboard.snapshot.cli`). With ``k`` (a pseudonymised view, ``hq``) every
count goes through :mod:`dashboard.db.disclosure`: tables by :func:`~dashboard.db.disclosure.protect`,
single figures by :func:`~dashboard.db.disclosure.value`, and no change is given against a count under k.
The snapshot names no counterpart: counterparts appear by type only, for every role.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd

from dashboard.db import disclosure, queries
from dashboard.db import snapshot_queries as sq
from dashboard.db.filters import Filters
from dashboard.snapshot import notable as notable_sentences
from dashboard.ui.formats import shown_count
from etl.errors import AccessDataError

Run = Callable[[str, Sequence[object]], pd.DataFrame]

# Years of history the trend chart averages over (the same calendar month of each earlier year).
HISTORY_YEARS = 3
# A month-on-month change in an area's denials is "notable" from this many denials up or down.
NOTABLE_MIN_CHANGE = 3
NOTABLE_SENTENCES = 5  # at most this many of them, after the alerts (dashboard.snapshot.notable)
AFFECTED_AREAS = 8  # rows of the "Most affected areas" table


class SnapshotError(AccessDataError):
    """A snapshot that cannot be made (no such place, no data that month, a month still to come)."""


@dataclass(frozen=True)
class Place:
    """What a snapshot covers: one country (``kind == "country"``) or one region."""

    kind: str
    code: str
    name: str
    region: str
    countries: tuple[str, ...]

    def filters(self, start: dt.date, end: dt.date) -> Filters:
        if self.kind == "country":
            return Filters(start=start, end=end, countries=(self.code,), period="custom")
        return Filters(start=start, end=end, regions=(self.code,), period="custom")


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    vs_month: str  # "+12% on Dec 2024", or why no change is given
    vs_year: str
    worse_when_up: bool = True  # False: a volume, neither good nor bad
    rise: float | None = None  # the relative change against last month, for the arrow


@dataclass
class Snapshot:
    place: Place
    month: dt.date  # the first day of the month
    k: int | None
    made_on: dt.date
    figures: list[KeyFigure]
    trend: pd.DataFrame  # month, this (denials), average (previous years), engagements
    categories: pd.DataFrame  # number, category, obstacles, obstacles_before
    counterpart_types: pd.DataFrame
    areas: pd.DataFrame  # pcode, area, engagements, engagements_denied, obstacles, ... (disclosure applied)
    shapes: pd.DataFrame  # pcode, name, iso3, level, geometry
    checkpoints: pd.DataFrame
    conditions: pd.DataFrame
    incidents_by_type: pd.DataFrame
    incidents_monthly: pd.DataFrame
    notable_changes: list[str] = field(default_factory=list)

    @property
    def most_affected_areas(self) -> pd.DataFrame:
        """The "Most affected areas": the areas with the most denials; in a pseudonymised view only those whose
        denials it may see (at least k, not withheld), so that a withheld count never takes a place in the list.

        >>> s = Snapshot(None, None, 5, None, [], *[pd.DataFrame()] * 3,  # type: ignore[arg-type]
        ...              pd.DataFrame({"area": ["A", "B"], "engagements_denied": [9, "< 5"]}), *[pd.DataFrame()] * 5)
        >>> s.most_affected_areas["area"].tolist()
        ['A']
        """
        areas = self.areas
        if self.k is not None and not areas.empty:
            areas = areas[[not isinstance(v, str) for v in areas["engagements_denied"]]]
        return areas.head(AFFECTED_AREAS)

    @property
    def title(self) -> str:
        return f"{self.place.name}: humanitarian access snapshot"

    @property
    def month_label(self) -> str:
        return f"{self.month:%B %Y}"


def parse_month(text: str) -> dt.date:
    """``YYYY-MM`` as the first day of that month; a clear error otherwise.

    >>> parse_month("2025-01")
    datetime.date(2025, 1, 1)
    """
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise SnapshotError(f"'{text}' is not a month.", "Write it as YYYY-MM, e.g. 2025-01.") from None


def month_end(month: dt.date) -> dt.date:
    """The last day of ``month``'s month.

    >>> month_end(dt.date(2024, 2, 1)), month_end(dt.date(2024, 12, 1))
    (datetime.date(2024, 2, 29), datetime.date(2024, 12, 31))
    """
    return add_months(month, 1) - dt.timedelta(days=1)


def add_months(month: dt.date, n: int) -> dt.date:
    """The first day of the month ``n`` months after ``month`` (before when ``n`` < 0).

    >>> add_months(dt.date(2025, 1, 1), -1), add_months(dt.date(2025, 1, 1), -12)
    (datetime.date(2024, 12, 1), datetime.date(2024, 1, 1))
    """
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def find_place(run: Run, country: str | None, region: str | None) -> Place:
    """The country (ISO3) or region asked for, as the user's views hold it; a clear error when unknown."""
    places = run(sq.PLACES, [])
    if country:
        hit = places[places["iso3"].str.upper() == country.strip().upper()]
        if hit.empty:
            raise SnapshotError(f"No country '{country}' in the database.",
                                "Give its ISO3 code as the logs write it (e.g. YEM, SSD).")
        r = hit.iloc[0]
        return Place("country", str(r["iso3"]), str(r["name"]), str(r["region"]), (str(r["iso3"]),))
    if region:
        hit = places[places["region"].str.lower() == region.strip().lower()]
        if hit.empty:
            known = ", ".join(sorted(set(places["region"].dropna())))
            raise SnapshotError(f"No region '{region}' in the database.", f"Pick one of: {known}.")
        name = str(hit.iloc[0]["region"])
        return Place("region", name, name, name, tuple(str(c) for c in hit["iso3"]))
    raise SnapshotError("A snapshot is of one country or one region.", "Give --country ISO3 or --region NAME.")


def check_month(run: Run, place: Place, month: dt.date, today: dt.date) -> None:
    """A month still to come, or one without engagements for the place, is refused with what there is."""
    if month > today.replace(day=1):
        raise SnapshotError(f"{month:%B %Y} has not happened yet (today is {today:%d %b %Y}).",
                            "Pick this month or an earlier one.")
    bounds = run(*sq.data_bounds(place.filters(month, month_end(month)))).iloc[0]
    first, last = bounds["first"], bounds["last"]
    if first is None or pd.isna(first):
        raise SnapshotError(f"No engagements logged for {place.name} that you may see.",
                            "Load its logs, or pick another country or region.")
    engaged = run(*queries.engagement_count(place.filters(month, month_end(month)))).iloc[0]["engagements"]
    if not engaged:
        first, last = pd.Timestamp(first).date(), pd.Timestamp(last).date()
        within = first.replace(day=1) <= month <= last
        raise SnapshotError(f"No engagements logged for {place.name} in {month:%B %Y}.",
                            f"Its logs run from {first:%b %Y} to {last:%b %Y}: pick "
                            + ("another month." if within else "a month in that range."))


def _change(now: object, before: object, k: int | None, before_label: str) -> str:
    """The relative change of a count against an earlier one, in words, or why none is given."""
    if before is None or pd.isna(before):
        return f"{before_label}: –"
    if disclosure.small(now, k) or disclosure.small(before, k):  # the change would give the small count back
        return f"{before_label}: under {k}, no change given"
    if float(before) == 0:
        return f"none in {before_label}"
    rate = float(now) / float(before) - 1  # type: ignore[arg-type]
    return f"{rate:+.0%} on {before_label}"


def _count(v: object, k: int | None) -> str:
    return shown_count(0 if v is None or pd.isna(v) else v, k)


def _figure(label: str, now: object, month: object, year: object, k: int | None, prev: dt.date, last_year: dt.date,
            worse_when_up: bool = True) -> KeyFigure:
    rise = None
    if not (disclosure.small(now, k) or disclosure.small(month, k)) and month and not pd.isna(month):
        rise = float(now) / float(month) - 1  # type: ignore[arg-type]
    return KeyFigure(label, _count(now, k), _change(now, month, k, f"{prev:%b %Y}"),
                     _change(now, year, k, f"{last_year:%b %Y}"), worse_when_up, rise)


def key_figures(run: Run, place: Place, month: dt.date, k: int | None) -> list[KeyFigure]:
    """Engagements, denials, obstacles, requests, people targeted and left without access, incidents: this month,
    against last month and the same month last year."""
    prev, last_year = add_months(month, -1), add_months(month, -12)
    rows = {}
    for m in (month, prev, last_year):
        f = place.filters(m, month_end(m))
        head = run(*queries.headline(f)).iloc[0].to_dict()
        head.update(run(*sq.counts(f)).iloc[0].to_dict())
        inc = run(*queries.incidents_monthly(f))
        head["incidents"] = int(inc["incidents"].sum()) if not inc.empty else 0
        rows[m] = head

    def fig(label: str, col: str, worse_when_up: bool = True) -> KeyFigure:
        return _figure(label, rows[month][col], rows[prev][col], rows[last_year][col], k, prev, last_year,
                       worse_when_up)

    return [fig("Engagements with counterparts", "engagements", worse_when_up=False),
            fig("Engagements ending in a denial", "engagements_denied"),
            fig("Obstacles reported", "obstacles"),
            fig("Access requests", "requests", worse_when_up=False),
            fig("People targeted", "people_targeted", worse_when_up=False),
            fig("People left without access", "people_without_access"),
            fig("Security incidents (public record)", "incidents")]


def trend(run: Run, place: Place, month: dt.date, k: int | None) -> pd.DataFrame:
    """Denials in each of the 12 months to ``month``, beside the average of the same calendar month in the
    previous years with data (up to :data:`HISTORY_YEARS`); a pseudonymised view drops values under k."""
    start = add_months(month, -12 * HISTORY_YEARS - 11)
    series = run(*sq.monthly(place.filters(start, month_end(month))))
    by_month = {pd.Timestamp(m).date(): r for m, r in zip(series["month"], series.to_dict("records"), strict=True)}
    first = min(by_month) if by_month else month
    out = []
    for i in range(11, -1, -1):
        m = add_months(month, -i)
        cur = by_month.get(m, {})
        earlier = [by_month.get(add_months(m, -12 * y), {}).get("engagements_denied", 0)
                   for y in range(1, HISTORY_YEARS + 1) if add_months(m, -12 * y) >= first]
        average = sum(earlier) / len(earlier) if earlier else None
        this = cur.get("engagements_denied", 0) if m >= first else None
        if k is not None:  # a month of fewer than k denials is not drawn, nor an average of fewer than k in all
            this = None if disclosure.small(this, k) else this
            average = None if disclosure.small(sum(earlier), k) else average
        out.append({"month": m, "this": this, "average": average, "years": len(earlier)})
    return pd.DataFrame(out)


def notable_changes(areas: pd.DataFrame, month: dt.date, k: int | None, skip: Collection[str] = ()) -> list[str]:
    """Plain sentences on the largest month-on-month changes in denials by area (``skip``: areas, as the
    ``area`` column names them, already said by an alert).

    :func:`gather` puts them after the month's alerts (:mod:`dashboard.snapshot.notable`) while there is room.
    """
    prev = add_months(month, -1)
    rows = []
    for r in areas.to_dict("records"):
        now, before = r["engagements_denied"], r["denied_engagements_before"]
        if str(r["area"]) in skip or isinstance(now, str) or isinstance(before, str):  # said, or withheld in a pseudonymised view
            continue
        if k is not None and (disclosure.small(now, k) or disclosure.small(before, k)):
            continue
        if abs(int(now) - int(before)) >= NOTABLE_MIN_CHANGE:
            rows.append((abs(int(now) - int(before)), str(r["area"]), int(now), int(before)))
    out = []
    for _, area, now, before in sorted(rows, key=lambda t: (-t[0], t[1]))[:NOTABLE_SENTENCES]:
        verb = "rose" if now > before else "fell"
        out.append(f"Denials in {area} {verb} from {before:,} in {prev:%B} to {now:,} in {month:%B} "
                   f"({now - before:+,}).")
    return out


def _as_shown(rows: pd.DataFrame, by: str, name: str, k: int | None) -> pd.DataFrame:
    """In a pseudonymised view, rows ordered by the figure as shown (withheld ones last, by name), so that the
    order does not rank counts that are withheld."""
    if k is None or rows.empty:
        return rows
    key = [(0, -float(v), str(n)) if not isinstance(v, str) else (1, 0.0, str(n)) for v, n in zip(rows[by], rows[name],
                                                                                             strict=True)]
    order = sorted(range(len(rows)), key=key.__getitem__)
    return rows.iloc[order].reset_index(drop=True)


def _with_country(rows: pd.DataFrame, place: Place) -> pd.DataFrame:
    """Area names with their country's name in a region's snapshot, where two countries may share a name."""
    out = rows.drop(columns=["country"])
    if place.kind == "region":
        out["area"] = [f"{a} ({c})" if isinstance(c, str) else a for a, c in zip(rows["area"], rows["country"], strict=True)]
    return out


def gather(run: Run, place: Place, month: dt.date, k: int | None, today: dt.date,
           notable: Sequence[str] | None = None) -> Snapshot:
    """Everything the snapshot of ``place`` for ``month`` shows, as the user behind ``run`` may see it.

    ``notable``: sentences for "Notable changes"; None says the month's alerts for the place
    (:mod:`dashboard.snapshot.notable`), then the largest month-on-month changes in denials by area
    (:func:`notable_changes`) while there is room.
    """
    check_month(run, place, month, today)
    f = place.filters(month, month_end(month))
    before = place.filters(add_months(month, -1), month_end(add_months(month, -1)))
    areas_raw = _with_country(run(*sq.by_area(f, before)), place)
    areas = disclosure.protect(areas_raw.drop(columns=["engagements_before", "denied_engagements_before"]), k)
    areas["denied_engagements_before"] = areas_raw["denied_engagements_before"].map(
        lambda v: disclosure.value(v, k))
    areas = _as_shown(areas, "engagements_denied", "area", k)
    year = place.filters(add_months(month, -11), month_end(month))
    conditions = run(*queries.conditions(f)).head(6)
    snapshot = Snapshot(
        place=place, month=month, k=k, made_on=today,
        figures=key_figures(run, place, month, k),
        trend=trend(run, place, month, k),
        categories=disclosure.protect(run(*sq.obstacles_by_category(f, before)), k),
        counterpart_types=_as_shown(disclosure.protect(run(*sq.by_counterpart_type(f)), k), "engagements",
                                    "counterpart_type", k),
        areas=areas,
        shapes=run(*sq.area_shapes(place.countries)),
        checkpoints=_as_shown(disclosure.protect(_with_country(run(*sq.by_checkpoint(f, limit=6, least=k or 0)),
                                                               place), k), "engagements_denied", "checkpoint", k),
        conditions=disclosure.protect(conditions, k),
        incidents_by_type=disclosure.protect(run(*queries.incidents_by_perpetrator(f)), k),
        incidents_monthly=disclosure.protect(run(*queries.incidents_monthly(year)), k),
    )
    if notable is None:
        regional = place.kind == "region"
        alerts = notable_sentences.month_alerts(run, place.kind, place.code, month, k)
        said = {notable_sentences.area_label(a, regional) for a in alerts if a.kind == "area"}
        notable = notable_sentences.combine(notable_sentences.alert_sentences(alerts, month, k, regional),
                                            notable_changes(areas, month, k, skip=said))
    snapshot.notable_changes = list(notable)
    return snapshot


def with_notable(snapshot: Snapshot, sentences: Sequence[str]) -> Snapshot:
    """The same snapshot with other "Notable changes" sentences (e.g. the alerts of the month)."""
    return replace(snapshot, notable_changes=list(sentences))
