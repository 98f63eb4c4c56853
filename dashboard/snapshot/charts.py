"""The snapshot's charts and map, drawn with matplotlib offline (no pyplot, no tiles, no network) as PNG bytes.

Figures are made with :class:`matplotlib.figure.Figure` and the Agg canvas, never through ``pyplot``: a
Streamlit server builds snapshots on several threads, and pyplot keeps global state. Text is set in
DejaVu Sans, the font matplotlib bundles. The map is the admin-1 boundaries stored in the database
(``admin_areas.geometry``, WKB) drawn as polygons, shaded by the month's denials.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath

from dashboard.db import disclosure

# OCHA's palette: its blue for the main series, a grey for the comparison, orange to red for severity.
BLUE = "#1f69b3"
LIGHT_BLUE = "#7fb2e5"
GREY = "#8c8c8c"
DARK = "#333333"
NO_DATA = "#eeeeee"
SHADES = ("#fde0c5", "#f9a76c", "#e8613a", "#b8252a")
DPI = 200


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.04, metadata={"Software": None})
    return out.getvalue()


def _figure(width: float, height: float) -> Figure:
    # matplotlib's rcParams are global (shared by the server's threads): the font is set on each text instead.
    return Figure(figsize=(width, height))


def _style(ax) -> None:  # type: ignore[no-untyped-def]
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color("#bbbbbb")
    ax.tick_params(colors=DARK, labelsize=7, length=0)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)


def trend(series: pd.DataFrame, month_label: str) -> bytes:
    """Denials in the 12 months to the snapshot month, beside the average of the same months in earlier years."""
    fig = _figure(7.2, 1.8)
    ax = fig.add_subplot()
    _style(ax)
    x = np.arange(len(series))
    this = pd.to_numeric(series["this"], errors="coerce")
    avg = pd.to_numeric(series["average"], errors="coerce")
    ax.plot(x, this, color=BLUE, linewidth=2, marker="o", markersize=3.5, label="Last 12 months")
    if avg.notna().any():
        years = int(series["years"].max())
        ax.plot(x, avg, color=GREY, linewidth=1.4, linestyle="--", marker="o", markersize=2.5,
                label=f"Average of the same month, previous {years} year{'s' if years > 1 else ''}")
    if this.notna().iloc[-1]:
        ax.scatter([x[-1]], [this.iloc[-1]], s=40, color=BLUE, zorder=3)
        ax.annotate(f"{int(this.iloc[-1]):,}", (x[-1], this.iloc[-1]), textcoords="offset points", xytext=(6, 4),
                    fontsize=8, color=BLUE, fontweight="bold", family="DejaVu Sans")
    ticks = [pd.Timestamp(m).strftime("%b\n%Y" if i in (0, len(x) - 1) or pd.Timestamp(m).month == 1 else "%b")
             for i, m in enumerate(series["month"])]
    ax.set_xticks(x, ticks, family="DejaVu Sans")
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(_integer_locator())
    ax.legend(loc="upper left", frameon=False, fontsize=7, prop={"family": "DejaVu Sans", "size": 7}, ncols=2,
              bbox_to_anchor=(0, 1.18))
    return _png(fig)


def _integer_locator():  # type: ignore[no-untyped-def]
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(nbins=4, integer=True)


def bars(labels: list[str], now: list[object], before: list[object] | None, now_label: str, before_label: str,
         width: float = 3.5) -> bytes:
    """Horizontal bars of this month's counts (withheld counts drawn as nothing), last month's as a thin mark."""
    return _png(bars_figure(labels, now, before, now_label, before_label, width))


BAR_LABEL_CHARS = 30  # a bar's label is wrapped at this many characters, on as many lines as it needs


def bars_figure(labels: list[str], now: list[object], before: list[object] | None, now_label: str,
                before_label: str, width: float = 3.5) -> Figure:
    """The figure of :func:`bars`. Every label is shown whole (OCHA's category names are long): wrapped on as
    many lines as it needs, the rows as tall as the longest label; the legend sits above the bars, never on them."""
    wrapped = [_wrap(label, BAR_LABEL_CHARS, lines=None) for label in labels]
    lines = max((w.count("\n") + 1 for w in wrapped), default=1)
    height = (0.1 * lines + 0.1) * max(len(labels), 1) + 0.55
    fig = _figure(width, height)
    ax = fig.add_subplot()
    _style(ax)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    ax.grid(axis="y", visible=False)
    y = np.arange(len(labels))[::-1]
    values = [0.0 if isinstance(v, str) or v is None or pd.isna(v) else float(v) for v in now]
    ax.barh(y, values, color=BLUE, height=0.62, label=now_label)
    if before is not None:
        old = [np.nan if isinstance(v, str) or v is None or pd.isna(v) else float(v) for v in before]
        ax.scatter(old, y, marker="|", s=120, color=DARK, linewidths=1.6, label=before_label, zorder=3)
    for yi, v, shown in zip(y, values, now, strict=True):
        text = shown if isinstance(shown, str) else f"{int(v):,}"
        ax.text(v, yi, f" {text}", va="center", fontsize=6.5, color=DARK, family="DejaVu Sans")
    ax.set_yticks(y, wrapped, fontsize=6.5, family="DejaVu Sans", linespacing=1.05)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.xaxis.set_major_locator(_integer_locator())
    ax.set_xlim(0, max(values + [1.0]) * 1.18)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, frameon=False, borderaxespad=0.2,
              prop={"family": "DejaVu Sans", "size": 6.5})
    FigureCanvasAgg(fig)
    return fig


def _wrap(text: str, width: int, lines: int | None = 2) -> str:
    """``text`` on lines of at most ``width`` characters; at most ``lines`` of them (None: all)."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width)[:lines]) or text


def _patches(geom: shapely.Geometry) -> list[MplPath]:
    """Matplotlib paths of a (multi)polygon, holes included."""
    polygons = getattr(geom, "geoms", [geom])
    paths = []
    for poly in polygons:
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        rings = [np.asarray(poly.exterior.coords)] + [np.asarray(r.coords) for r in poly.interiors]
        vertices = np.concatenate(rings)
        codes = np.concatenate([[MplPath.MOVETO] + [MplPath.LINETO] * (len(r) - 2) + [MplPath.CLOSEPOLY]
                                for r in rings])
        paths.append(MplPath(vertices, codes))
    return paths


def _bins(values: pd.Series, k: int | None) -> tuple[list[str], list[str]]:
    """A shade and a legend label for each area's denials: none, then up to four classes of the positive counts."""
    numbers = pd.to_numeric(values, errors="coerce")
    top = int(numbers.max()) if numbers.notna().any() else 0
    low = k if k is not None else 1
    # Up to four classes from ``low`` to the largest count, split at its quarters.
    edges = sorted({e for e in (int(round(top * q)) for q in (0.25, 0.5, 0.75, 1.0)) if e >= low} or {low})
    shades: list[str] = []
    for v, n in zip(values, numbers, strict=True):
        if isinstance(v, str):  # withheld: fewer than k, or hidden
            shades.append(NO_DATA if v != disclosure.HIDDEN else SHADES[0])
        elif k is not None and (pd.isna(n) or n < k):  # no engagement at all is "fewer than k" too
            shades.append(NO_DATA)
        elif pd.isna(n) or n == 0:
            shades.append("#ffffff")
        else:
            i = next((j for j, e in enumerate(edges) if n <= e), len(edges) - 1)
            shades.append(SHADES[min(i, len(SHADES) - 1)])
    labels = []
    lo = low
    for e in edges:
        labels.append(f"{lo:,}" if lo == e else f"{lo:,}–{e:,}")
        lo = e + 1
    return shades, labels


def area_map(shapes: pd.DataFrame, areas: pd.DataFrame, k: int | None, label_top: int = 6) -> bytes:
    """The admin-1 areas shaded by the month's denials, the most affected named, from stored boundaries only."""
    fig = _figure(3.6, 3.3)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_aspect("equal")
    level1 = shapes[shapes["level"] == 1]
    outline = shapes[shapes["level"] == 0]
    by_pcode = {str(r["pcode"]): r for r in areas.to_dict("records")}
    denials = pd.Series([by_pcode.get(str(p), {}).get("engagements_denied") for p in level1["pcode"]], dtype=object)
    shades, labels = _bins(denials, k)
    bounds = []
    centres = []
    for (pcode, name, geometry), shade in zip(level1[["pcode", "name", "geometry"]].itertuples(index=False),
                                              shades, strict=True):
        geom = shapely.from_wkb(bytes(geometry))
        bounds.append(geom.bounds)
        for path in _patches(geom):
            ax.add_patch(PathPatch(path, facecolor=shade, edgecolor="#9a9a9a", linewidth=0.35))
        row = by_pcode.get(str(pcode))
        if row is not None and not isinstance(row["engagements_denied"], str) and row["engagements_denied"]:
            point = geom.representative_point()
            centres.append((int(row["engagements_denied"]), str(name), point.x, point.y, row))
    for geometry in outline["geometry"]:
        geom = shapely.from_wkb(bytes(geometry))
        for path in _patches(geom):
            ax.add_patch(PathPatch(path, facecolor="none", edgecolor=DARK, linewidth=0.7))
    for _n, name, x, y, row in sorted(centres, key=lambda c: (-c[0], c[1]))[:label_top]:
        before = row.get("denied_engagements_before")
        arrow = ""
        if not isinstance(before, str) and before is not None and not pd.isna(before):
            arrow = " ▲" if row["engagements_denied"] > before else " ▼" if row["engagements_denied"] < before else ""
        ax.text(x, y, f"{_wrap(name, 16)}{arrow}", fontsize=5.8, ha="center", va="center", color="#111111",
                family="DejaVu Sans", bbox={"boxstyle": "round,pad=0.15", "fc": to_rgba("white", 0.7), "ec": "none"})
    if bounds:
        b = np.array(bounds)
        pad_x, pad_y = (b[:, 2].max() - b[:, 0].min()) * 0.02, (b[:, 3].max() - b[:, 1].min()) * 0.02
        ax.set_xlim(b[:, 0].min() - pad_x, b[:, 2].max() + pad_x)
        ax.set_ylim(b[:, 1].min() - pad_y, b[:, 3].max() + pad_y)
    handles = ([Patch(facecolor=NO_DATA, edgecolor="#9a9a9a", label=f"fewer than {k}")] if k is not None
               else [Patch(facecolor="#ffffff", edgecolor="#9a9a9a", label="none")])
    handles += [Patch(facecolor=SHADES[i], edgecolor="#9a9a9a", label=label) for i, label in enumerate(labels)]
    ax.legend(handles=handles, title="Denials", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False,
              prop={"family": "DejaVu Sans", "size": 6}, title_fontproperties={"family": "DejaVu Sans", "size": 6.5})
    return _png(fig)


def incidents_beside_denials(incidents: pd.DataFrame, trend_rows: pd.DataFrame) -> bytes:
    """Security incidents of the public record per month (bars) over the 12 months of the trend."""
    fig = _figure(3.6, 1.6)
    ax = fig.add_subplot()
    _style(ax)
    months = [pd.Timestamp(m).date() for m in trend_rows["month"]]
    per_month = {pd.Timestamp(m).date(): v for m, v in zip(incidents.get("month", []), incidents.get("incidents", []),
                                                           strict=True)}
    values = [per_month.get(m, 0) for m in months]
    numeric = [0.0 if isinstance(v, str) else float(v) for v in values]
    x = np.arange(len(months))
    ax.bar(x, numeric, color=LIGHT_BLUE, width=0.7)
    for xi, v in zip(x, values, strict=True):
        if isinstance(v, str):
            ax.text(xi, 0, v, rotation=90, fontsize=5.5, ha="center", va="bottom", color=GREY, family="DejaVu Sans")
    ax.set_xticks(x, [f"{m:%b}" for m in months], fontsize=6, family="DejaVu Sans")
    ax.yaxis.set_major_locator(_integer_locator())
    ax.set_ylim(bottom=0, top=max(numeric + [1.0]) * 1.15)
    return _png(fig)
