"""Plotly figures with the house style: fixed outcome colours, readable in print and for colour-blind users.

Outcome colours follow the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies) and never change between pages. Any text that came from a log is HTML-escaped
before it reaches a figure: plotly renders a subset of HTML in labels and hovers.

In a pseudonymised view every builder draws its data as :func:`dashboard.db.disclosure.protect` makes
it (``k``: by default the signed-in viewer's, :func:`dashboard.ui.viewer.viewer_k`): a count under
k is not drawn (its value is null) and its hover label says "< k"; a share of fewer than k
engagements is not drawn; the figure's subtitle says so.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from dashboard.db import disclosure
from dashboard.ui import formats, viewer
from dashboard.ui.safe_text import html_text

VIEWER = "viewer"
"""``k`` of a builder: the signed-in viewer's (None when nobody is signed in)."""

OUTCOME_ORDER = ["granted", "granted_with_conditions", "partially_granted", "deferred", "no_response", "denied"]
OUTCOME_LABELS = {
    "granted": "Granted", "granted_with_conditions": "Granted with conditions", "partially_granted": "Partially granted",
    "deferred": "Deferred", "no_response": "No response", "denied": "Denied",
}
OUTCOME_COLOURS = {
    "Granted": "#009E73", "Granted with conditions": "#0072B2", "Partially granted": "#56B4E9",
    "Deferred": "#E69F00", "No response": "#999999", "Denied": "#D55E00",
}
# Nine obstacle categories: Okabe-Ito plus two darker tones, in OCHA's category order.
CATEGORY_COLOURS = ["#0072B2", "#56B4E9", "#009E73", "#E69F00", "#D55E00", "#CC79A7", "#F0E442", "#000000", "#999999"]
FONT = dict(family="DejaVu Sans, Arial, sans-serif", size=13)
# Category labels from a log are cut to this many characters on a chart (the table and downloads keep them).
LABEL_CHARS = 60


def safe(text: object, limit: int | None = LABEL_CHARS) -> str:
    """Text from a log, made inert for plotly labels and hovers (plotly renders a subset of HTML), and cut."""
    return html_text(text, limit)


def safe_labels(values: pd.Series) -> pd.Series:
    """:func:`safe` of each category label, kept distinct: two long labels cut to the same text would
    otherwise be drawn as one bar."""
    out: list[str] = []
    seen: set[str] = set()
    for value in values:
        label = safe(value)
        n = 1
        while label in seen:
            n += 1
            label = f"{safe(value, LABEL_CHARS - 4)} ({n})"
        seen.add(label)
        out.append(label)
    return pd.Series(out, index=values.index)


def _k(k: int | str | None) -> int | None:
    return viewer.viewer_k() if k == VIEWER else k  # type: ignore[return-value]


def _protected(df: pd.DataFrame, y: str, k: int | None) -> tuple[pd.DataFrame, bool]:
    """``df`` protected for ``k``, with ``y`` numeric (null where withheld) and ``y_shown`` its label text;
    and whether anything was withheld."""
    if k is None:
        return df.assign(y_shown=df[y].map(lambda v: formats.shown_count(v, None))), False
    data = disclosure.protect(df, k)
    withheld = data[y].map(lambda v: isinstance(v, str))
    shown = data[y].map(lambda v: formats.shown_count(v, k))
    data[y] = pd.to_numeric(data[y].mask(withheld), errors="coerce")
    return data.assign(y_shown=shown), bool(withheld.any())


def _withheld(fig: go.Figure, k: int | None, what: str = "counts") -> None:
    """Say under the title that some values are withheld (the page's caption says why)."""
    text = {"counts": f"Counts under {k}: not drawn", "values": f"Values from counts under {k}: not drawn"}.get(
        what, f"Fewer than {k} engagements: not drawn")
    fig.update_layout(title_subtitle_text=text, margin=dict(t=64))


def _month_axis(fig: go.Figure, months: pd.Series) -> None:
    """One tick per month, as "Oct 2026", when there are few months (plotly would show times of day)."""
    if 0 < months.nunique() <= 6:
        fig.update_xaxes(dtick="M1", tickformat="%b %Y")


def _style(fig: go.Figure, height: int = 380) -> go.Figure:
    fig.update_layout(font=FONT, height=height, margin=dict(l=10, r=10, t=40, b=10), legend_title_text="",
                      plot_bgcolor="white", paper_bgcolor="white", hoverlabel=dict(font=FONT))
    fig.update_xaxes(showgrid=False, linecolor="#888")
    fig.update_yaxes(gridcolor="#e5e5e5", zeroline=False)
    return fig


def monthly_outcomes(df: pd.DataFrame, k: int | str | None = VIEWER, grain: str = "month") -> go.Figure:
    """Stacked engagements by outcome per month, or per week (``grain="week"``: the ``week`` column of
    ``queries.monthly_outcomes(f, "week")``, weeks starting Monday)."""
    k = _k(k)
    data, withheld = _protected(df, "engagements", k)
    data = data.assign(outcome=data["outcome"].map(OUTCOME_LABELS))
    weekly = grain == "week"
    x = "week" if weekly else "month"
    fig = px.bar(data, x=x, y="engagements", color="outcome", color_discrete_map=OUTCOME_COLOURS,
                 category_orders={"outcome": [OUTCOME_LABELS[o] for o in OUTCOME_ORDER]},
                 labels={x: "", "engagements": "Engagements", "outcome": "Outcome"},
                 title=f"Engagements by outcome, per {'week (from Monday)' if weekly else 'month'}",
                 custom_data=["y_shown"])
    when = "Week of %{x|%d %b %Y}" if weekly else "%{x|%b %Y}"
    fig.update_traces(hovertemplate=when + ": %{customdata[0]} engagements<extra>%{fullData.name}</extra>")
    fig.update_layout(bargap=0.15)
    if weekly:
        weeks = sorted(df[x].unique())  # a tick on each Monday when there are few (plotly would show times)
        fig.update_xaxes(tickformat="%d %b", **({"tickvals": weeks} if 0 < len(weeks) <= 8 else {}))
    else:
        _month_axis(fig, df["month"])
    fig = _style(fig)
    if withheld:
        _withheld(fig, k)
    return fig


def share_bars(df: pd.DataFrame, x: str, y: str, title: str, colour: str = "#D55E00",
               k: int | str | None = VIEWER) -> go.Figure:
    """Horizontal bars of a share (0-1) per category; in a pseudonymised view, shares of fewer than k
    engagements (the ``engagements`` column) are not drawn."""
    k = _k(k)
    data = disclosure.protect(df, k) if k is not None else df
    data = data.assign(**{x: safe_labels(data[x])})
    fig = px.bar(data, x=y, y=x, orientation="h", title=title, labels={y: "", x: ""})
    fig.update_traces(marker_color=colour, hovertemplate=f"%{{y}}: %{{x:{formats.HOVER_SHARE}}}<extra></extra>")
    fig.update_xaxes(tickformat=".0%")
    fig = _style(fig, height=max(260, 40 + 28 * len(df)))
    if k is not None and data[y].isna().any():
        _withheld(fig, k, "shares")
    return fig


def regions_denial(df: pd.DataFrame, k: int | str | None = VIEWER) -> go.Figure:
    """Denial rate per region, this period against the previous one (``queries.by_region``)."""
    k = _k(k)
    df = disclosure.protect(df, k) if k is not None else df
    data = pd.concat([
        df.assign(period="Previous period", share=df["share_denied_before"]),
        df.assign(period="This period", share=df["share_denied"]),
    ])
    fig = px.bar(data, x="region", y="share", color="period", barmode="group", title="Share denied by region",
                 color_discrete_map={"Previous period": "#BBBBBB", "This period": "#D55E00"},
                 labels={"region": "", "share": "Share denied", "period": ""})
    fig.update_yaxes(tickformat=".0%")
    fig.update_traces(hovertemplate=f"%{{x}}: %{{y:{formats.HOVER_SHARE}}}<extra>%{{fullData.name}}</extra>")
    fig = _style(fig)
    if k is not None and data["share"].isna().any():
        _withheld(fig, k, "shares")
    return fig


def _category_style(df: pd.DataFrame, colour: str) -> dict[str, object]:
    """The same colour and legend order for each obstacle category on every chart (by OCHA number)."""
    names = df.sort_values("number")[colour].drop_duplicates().tolist() if "number" in df else sorted(df[colour].unique())
    by_number = (dict(zip(df["number"], df[colour], strict=False)) if "number" in df else {})
    colours = {name: CATEGORY_COLOURS[(int(num) - 1) % len(CATEGORY_COLOURS)] for num, name in by_number.items()}
    return {"color_discrete_map": colours or None, "category_orders": {colour: names},
            "color_discrete_sequence": CATEGORY_COLOURS}


def category_lines(df: pd.DataFrame, x: str, y: str, colour: str, title: str,
                   k: int | str | None = VIEWER) -> go.Figure:
    k = _k(k)
    data, withheld = _protected(df, y, k)
    fig = px.area(data, x=x, y=y, color=colour, title=title, labels={x: "", y: "Obstacles", colour: ""},
                  custom_data=["y_shown"], **_category_style(df, colour))
    fig.update_traces(hovertemplate="%{x|%b %Y}: %{customdata[0]}<extra>%{fullData.name}</extra>")
    if df[x].nunique() <= 2:  # an area of one or two months is a sliver: mark the points
        fig.update_traces(mode="lines+markers")
    _month_axis(fig, df[x])
    fig = _style(fig, height=420)
    if withheld:
        _withheld(fig, k)
    return fig


def stacked_bars(df: pd.DataFrame, x: str, y: str, colour: str, title: str, pct: bool = False,
                 k: int | str | None = VIEWER) -> go.Figure:
    """Stacked bars of a figure derived from counts (``obstacles`` per engagement...)."""
    k = _k(k)
    data = disclosure.protect(df, k) if k is not None else df
    fig = px.bar(data, x=x, y=y, color=colour, title=title, labels={x: "", y: "", colour: ""},
                 **_category_style(df, colour))
    number = formats.HOVER_SHARE if pct else formats.HOVER_DECIMAL
    fig.update_traces(hovertemplate=f"%{{x}}: %{{y:{number}}}<extra>%{{fullData.name}}</extra>")
    if pct:
        fig.update_yaxes(tickformat=".0%")
    fig = _style(fig, height=420)
    if k is not None and data[y].isna().any():
        _withheld(fig, k, "values")
    return fig


def outcomes_over_time(df: pd.DataFrame, x: str = "quarter", title: str = "Outcomes per quarter",
                       k: int | str | None = VIEWER) -> go.Figure:
    k = _k(k)
    data, withheld = _protected(df, "engagements", k)
    data = data.assign(outcome=data["outcome"].map(OUTCOME_LABELS))
    fig = px.bar(data, x=x, y="engagements", color="outcome", color_discrete_map=OUTCOME_COLOURS, title=title,
                 category_orders={"outcome": [OUTCOME_LABELS[o] for o in OUTCOME_ORDER]},
                 labels={x: "", "engagements": "Engagements", "outcome": ""}, custom_data=["y_shown"])
    fig.update_traces(hovertemplate="%{x}: %{customdata[0]} engagements<extra>%{fullData.name}</extra>")
    fig = _style(fig, height=320)
    if withheld:
        _withheld(fig, k)
    return fig


def _share_denied(outcomes: pd.DataFrame, k: int | None) -> pd.DataFrame:
    """Share of engagements denied per month (``queries.monthly_outcomes``); blank for months of fewer than k."""
    totals = outcomes.groupby("month", as_index=False)["engagements"].sum()  # a few dozen rows (one per month)
    denied = outcomes[outcomes["outcome"] == "denied"].groupby("month", as_index=False)["engagements"].sum()
    share = totals.merge(denied, on="month", how="left", suffixes=("", "_denied")).fillna({"engagements_denied": 0})
    share["share_denied"] = share["engagements_denied"] / share["engagements"]
    if k is not None:
        share.loc[share["engagements"] < k, "share_denied"] = float("nan")
    return share


def incidents_beside_denials(outcomes: pd.DataFrame, incidents: pd.DataFrame,
                             k: int | str | None = VIEWER) -> go.Figure:
    """Security incidents against aid workers per month (bars) beside the share of engagements denied (line).

    ``outcomes`` is ``queries.monthly_outcomes``, ``incidents`` is ``queries.incidents_monthly``. In a
    pseudonymised view, months of fewer than k incidents have no bar, harm counts under k read "< k", and
    months of fewer than k engagements have no share.
    """
    from plotly.subplots import make_subplots

    k = _k(k)
    harm = ["killed", "injured", "kidnapped", "detained"]
    bars, withheld = _protected(incidents, "incidents", k)
    labels = pd.DataFrame({c: bars[c].map(lambda v: formats.shown_count(v, k)) for c in harm})
    share = _share_denied(outcomes, k)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=bars["month"], y=bars["incidents"], name="Incidents (public record)",
                         marker_color="#555555", customdata=pd.concat([bars[["y_shown"]], labels], axis=1).to_numpy(),
                         hovertemplate="%{x|%b %Y}: %{customdata[0]} incidents<br>killed %{customdata[1]}, injured "
                                       "%{customdata[2]}, kidnapped %{customdata[3]}, detained "
                                       "%{customdata[4]}<extra></extra>"), secondary_y=False)
    fig.add_trace(go.Scatter(x=share["month"], y=share["share_denied"], name="Share of engagements denied",
                             mode="lines+markers", line=dict(color=OUTCOME_COLOURS["Denied"], width=2.5),
                             hovertemplate=f"%{{x|%b %Y}}: %{{y:{formats.HOVER_SHARE}}} denied<extra></extra>"),
                  secondary_y=True)
    fig.update_layout(title="Security incidents against aid workers and denials, per month", bargap=0.2,
                      legend=dict(orientation="h", y=-0.15))
    fig.update_yaxes(title_text="Incidents", rangemode="tozero", secondary_y=False)
    _month_axis(fig, pd.concat([incidents["month"], share["month"]]))
    fig.update_yaxes(title_text="Share denied", tickformat=".0%", rangemode="tozero", secondary_y=True,
                     showgrid=False)
    fig = _style(fig)
    if withheld:
        _withheld(fig, k)
    return fig


# ACLED's six event types and HDX HAPI's three, each with a fixed colour (Okabe-Ito); another type gets the
# next colour of CATEGORY_COLOURS.
EVENT_COLOURS = {
    "Battles": "#D55E00", "Explosions/Remote violence": "#E69F00", "Violence against civilians": "#CC79A7",
    "Riots": "#0072B2", "Protests": "#56B4E9", "Strategic developments": "#999999",
    "Political violence": "#D55E00", "Civilian targeting": "#CC79A7", "Demonstrations": "#56B4E9",
}
# HDX HAPI's event type codes, as a reader says them.
HAPI_EVENT_LABELS = {"political_violence": "Political violence", "civilian_targeting": "Civilian targeting",
                     "demonstration": "Demonstrations"}


def event_label(code: object) -> str:
    """An event type as shown: HDX HAPI's codes in words, ACLED's types as published."""
    return HAPI_EVENT_LABELS.get(str(code), str(code))


def _event_colours(labels: pd.Series) -> dict[str, str]:
    others = iter(c for c in CATEGORY_COLOURS if c not in EVENT_COLOURS.values())
    return {label: EVENT_COLOURS.get(label) or next(others, "#000000") for label in sorted(labels.unique())}


def conflict_beside_denials(outcomes: pd.DataFrame, events: pd.DataFrame,
                            k: int | str | None = VIEWER) -> go.Figure:
    """Conflict events per month stacked by event type (bars) beside the share of engagements denied (line).

    ``outcomes`` is ``queries.monthly_outcomes``, ``events`` is ``conflict_queries.events_monthly``. In a
    pseudonymised view, cells of fewer than k events have no bar, fatalities under k read "< k", and months of
    fewer than k engagements have no share.
    """
    from plotly.subplots import make_subplots

    k = _k(k)
    bars, withheld = _protected(events, "events", k)
    types = bars["event_type"].drop_duplicates()
    labels = dict(zip(types, safe_labels(types.map(event_label)), strict=True))
    bars = bars.assign(label=bars["event_type"].map(labels),
                       deaths=bars["fatalities"].map(lambda v: formats.shown_count(v, k)))
    colours = _event_colours(bars["label"])
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for label, rows in bars.groupby("label", sort=True):
        fig.add_trace(go.Bar(x=rows["month"], y=rows["events"], name=str(label), marker_color=colours[str(label)],
                             customdata=rows[["y_shown", "deaths"]].to_numpy(),
                             hovertemplate="%{x|%b %Y}: %{customdata[0]} events, %{customdata[1]} fatalities"
                                           "<extra>%{fullData.name}</extra>"), secondary_y=False)
    share = _share_denied(outcomes, k)
    fig.add_trace(go.Scatter(x=share["month"], y=share["share_denied"], name="Share of engagements denied",
                             mode="lines+markers", line=dict(color="#000000", width=2.5),
                             hovertemplate=f"%{{x|%b %Y}}: %{{y:{formats.HOVER_SHARE}}} denied<extra></extra>"),
                  secondary_y=True)
    fig.update_layout(title="Conflict events and denials, per month", barmode="stack", bargap=0.2,
                      legend=dict(orientation="h", y=-0.15))
    fig.update_yaxes(title_text="Conflict events", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="Share denied", tickformat=".0%", rangemode="tozero", secondary_y=True,
                     showgrid=False)
    _month_axis(fig, pd.concat([events["month"], share["month"]]))
    fig = _style(fig)
    if withheld:
        _withheld(fig, k)
    return fig


def conflict_counts_monthly(counts: pd.DataFrame, k: int | str | None = VIEWER) -> go.Figure:
    """HDX HAPI conflict events per month, a line per event type (``conflict_queries.counts_monthly``).

    Lines, not stacked bars: the publisher's types may overlap (civilian targeting is political violence too).
    """
    k = _k(k)
    data, withheld = _protected(counts, "events", k)
    data = data.assign(event_type=data["event_type"].map(event_label).map(safe),
                       deaths=data["fatalities"].map(lambda v: formats.shown_count(v, k)))
    fig = px.line(data, x="month", y="events", color="event_type", markers=True,
                  color_discrete_map=_event_colours(data["event_type"]),
                  labels={"month": "", "events": "Conflict events", "event_type": ""},
                  title="Conflict events per month (HDX HAPI)", custom_data=["y_shown", "deaths"])
    fig.update_traces(hovertemplate="%{x|%b %Y}: %{customdata[0]} events, %{customdata[1]} fatalities"
                                    "<extra>%{fullData.name}</extra>")
    fig.update_yaxes(rangemode="tozero")
    _month_axis(fig, counts["month"])
    fig = _style(fig)
    if withheld:
        _withheld(fig, k)
    return fig
