"""The snapshot laid out as a 2-4 page A4 PDF with reportlab, in the manner of OCHA's monthly access snapshots.

Nothing from the data is read as markup: reportlab's ``Paragraph`` parses a mini-HTML (``<b>``, ``<font>``,
``&amp;``), so every text goes through :func:`para`, which escapes it; no other code makes a Paragraph.
Text is set in DejaVu Sans, registered from the font files matplotlib bundles (never fetched); the charts
and the map are PNG images drawn offline (:mod:`dashboard.snapshot.charts`).
"""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
import pandas as pd
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from dashboard.snapshot import charts
from dashboard.snapshot.content import KeyFigure, Snapshot, add_months
from dashboard.ui.formats import fmt_pct, shown_count

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
BLUE = colors.HexColor(charts.BLUE)
PALE = colors.HexColor("#e8f1fa")
RULE = colors.HexColor("#c9d6e3")
UP_BAD, DOWN_GOOD = colors.HexColor("#b8252a"), colors.HexColor("#2e7d32")
PAGE_W, PAGE_H = A4
MARGIN = 13 * mm
WIDTH = PAGE_W - 2 * MARGIN
FIRST_BAND, LATER_BAND = 24 * mm, 11 * mm

CAVEAT = ("Figures count what field teams logged: engagements with counterparts and the obstacles they met. Access "
          "constraints are under-reported: a team that cannot reach an area logs nothing there, offices report "
          "late, and a fall in numbers may reflect fewer reports, not better access. Read changes with the number "
          "of engagements beside them. Security incidents are the public record (Aid Worker Security Database, "
          "Insecurity Insight), an incident reported by two sources counted once; it lags and is incomplete.")


def _register_fonts() -> None:
    """DejaVu Sans from matplotlib's own font folder, once."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


INK = colors.HexColor("#222222")


def _style(name: str, size: float = 8, font: str = FONT, color: colors.Color = INK,
           leading: float | None = None, space_after: float = 0, space_before: float = 0) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading or size * 1.25, textColor=color,
                          spaceAfter=space_after, spaceBefore=space_before, alignment=TA_LEFT)


STYLES = {
    "body": _style("body", 8),
    "small": _style("small", 6.8, color=colors.HexColor("#555555")),
    "cell": _style("cell", 7),
    "head": _style("head", 6.8, BOLD, colors.white),
    "section": _style("section", 10.5, BOLD, BLUE, space_before=6, space_after=3),
    "figure": _style("figure", 17, BOLD, BLUE, leading=19),
    "label": _style("label", 7.2, BOLD),
    "bullet": _style("bullet", 8, leading=10.5, space_after=2),
}


def para(text: object, style: str = "body", color: colors.Color | None = None) -> Paragraph:
    """A paragraph of plain text: everything in it is escaped, so ``<b>`` or ``&`` from a log shows as written."""
    st = STYLES[style] if color is None else ParagraphStyle(f"{style}-c", parent=STYLES[style], textColor=color)
    return Paragraph(escape("" if text is None else str(text)), st)


def _image(png: bytes, width: float) -> Image:
    reader = ImageReader(io.BytesIO(png))
    w, h = reader.getSize()
    return Image(io.BytesIO(png), width=width, height=width * h / w)


def _cell(v: object, k: int | None) -> str:
    if isinstance(v, str):
        return v
    if v is None or pd.isna(v):
        return "–"
    if isinstance(v, float) and not float(v).is_integer():
        return f"{v:,.1f}"
    return shown_count(v, k) if k is not None else f"{int(v):,}"


def table(df: pd.DataFrame, columns: dict[str, str], widths: list[float], k: int | None,
          percent: tuple[str, ...] = (), empty: str = "Nothing logged this month.") -> Flowable:
    """A small table with an OCHA-blue header; each value escaped (:func:`para`)."""
    if df.empty:
        return para(empty, "small")
    rows = [[para(label, "head") for label in columns.values()]]
    for r in df.to_dict("records"):
        rows.append([para(fmt_pct(r[c]) if c in percent else _cell(r[c], k), "cell") for c in columns])
    t = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    t.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), BLUE),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, PALE]),
        ("LINEBELOW", (0, -1), (-1, -1), 0.5, RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))
    return t


def _figure_box(f: KeyFigure, width: float) -> Table:
    arrow_color = colors.HexColor("#555555")
    arrow = ""
    if f.rise is not None and abs(f.rise) >= 0.005:
        arrow = "▲ " if f.rise > 0 else "▼ "
        if f.worse_when_up:  # volumes (engagements, requests, people targeted) are neither good nor bad
            arrow_color = UP_BAD if f.rise > 0 else DOWN_GOOD
    cells = [[para(f.value, "figure")], [para(f.label, "label")],
             [para(arrow + f.vs_month, "small", arrow_color)], [para(f.vs_year, "small")]]
    box = Table(cells, colWidths=[width - 4])
    box.setStyle(TableStyle([
        ("LINEABOVE", (0, 0), (-1, 0), 2, BLUE), ("BACKGROUND", (0, 0), (-1, -1), PALE),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 4)]))
    return box


def _key_figures(s: Snapshot) -> Table:
    per_row = 4
    width = WIDTH / per_row
    boxes = [_figure_box(f, width) for f in s.figures]
    boxes += [Spacer(1, 1)] * (-len(boxes) % per_row)
    grid = Table([boxes[i:i + per_row] for i in range(0, len(boxes), per_row)], colWidths=[width] * per_row)
    grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("RIGHTPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    return grid


def _two_columns(left: list[Flowable], right: list[Flowable], split: float = 0.5) -> Table:
    grid = Table([[left, right]], colWidths=[WIDTH * split, WIDTH * (1 - split)])
    grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("RIGHTPADDING", (0, 0), (0, -1), 8), ("RIGHTPADDING", (1, 0), (1, -1), 0)]))
    return grid


def _section(title: str, *body: Flowable) -> KeepTogether:
    return KeepTogether([para(title, "section"), *body])


def _bullets(sentences: list[str], empty: str) -> list[Flowable]:
    if not sentences:
        return [para(empty, "small")]
    return [para(f"•  {s}", "bullet") for s in sentences]


def story(s: Snapshot) -> list[Flowable]:
    k = s.k
    half = WIDTH / 2 - 4
    out: list[Flowable] = [_key_figures(s)]
    trend: list[Flowable] = [_image(charts.trend(s.trend, s.month_label), WIDTH)]
    if k is not None:
        trend.append(para(f"Months with fewer than {k} denials (and averages of fewer than {k}) are not drawn.",
                          "small"))
    out.append(_section(f"Denials month by month, against the previous years ({s.place.name})", *trend))
    areas = s.most_affected_areas  # in the headquarters edition, only areas with k or more denials
    map_column: list[Flowable] = [para("Denials by admin-1 area", "section")]
    if s.shapes.empty:
        map_column.append(para("No boundaries stored for these countries: load them with "
                               "`python -m etl boundaries`.", "small"))
    else:
        map_column.append(_image(charts.area_map(s.shapes, s.areas, k), half))
        map_column.append(para("▲ ▼ more or fewer denials than last month. Boundaries as stored in the database; "
                               "they imply no endorsement.", "small"))
    changes: list[Flowable] = [para("Notable changes", "section"),
                               *_bullets(s.notable_changes, "No area's denials changed by "
                                         "much against last month.")]
    changes += [para("Most affected areas", "section"),
                table(areas, {"area": "Area", "engagements_denied": "Denials", "obstacles": "Obstacles",
                              "engagements": "Engagements"}, [half * 0.42, half * 0.17, half * 0.18, half * 0.23], k,
                      empty=f"No area with {k} or more denials this month." if k else "Nothing logged this month.")]
    out.append(_two_columns(map_column, changes))
    figures = {f.label: f for f in s.figures}
    targeted, without = figures["People targeted"], figures["People left without access"]
    requests = figures["Access requests"]
    out.append(_section("Impact", para(
        f"{requests.value} access requests engaged on this month, for {targeted.value} people targeted. "
        f"{without.value} people were left without access: people targeted by requests whose latest answer was not "
        f"a full yes, less those reached ({without.vs_month}; {without.vs_year}).")))

    out.append(_section("Most affected checkpoints", table(
        s.checkpoints, {"checkpoint": "Checkpoint", "area": "Area", "engagements": "Engagements",
                        "engagements_denied": "Denials", "obstacles": "Obstacles", "main_obstacle": "Main obstacle"},
        [WIDTH * w for w in (0.25, 0.16, 0.12, 0.08, 0.09, 0.30)], k,
        empty=f"No checkpoint with {k} or more denials this month." if k else "Nothing logged this month.")))
    cats = s.categories
    by_category = _image(charts.bars([f"{n}. {c}" for n, c in zip(cats["number"], cats["category"], strict=True)],
                                     list(cats["obstacles"]), list(cats["obstacles_before"]), s.month_label,
                                     f"{add_months(s.month, -1):%B %Y}", width=3.7), half)
    types = table(s.counterpart_types, {"counterpart_type": "Counterpart type", "engagements": "Engagements",
                                        "engagements_denied": "Denials", "obstacles": "Obstacles"},
                  [half * 0.37, half * 0.23, half * 0.19, half * 0.21], k)
    out.append(CondPageBreak(90 * mm))
    out.append(_two_columns([para("Obstacles by OCHA access-constraint category", "section"), by_category],
                            [para("Engagements and obstacles by counterpart type", "section"), types,
                             para("Counterparts are shown by type only.", "small")]))
    out.append(_section("Conditions demanded", table(
        s.conditions, {"condition": "Condition", "engagements": "Engagements", "share_of_engagements":
                       "Share of engagements", "share_granted": "Granted in the end"},
        [WIDTH * w for w in (0.46, 0.16, 0.19, 0.19)], k, percent=("share_of_engagements", "share_granted"))))
    incidents: list[Flowable] = [table(s.incidents_by_type, {"perpetrator_type": "Perpetrator type",
                                                             "incidents": "Incidents", "killed": "Killed",
                                                             "kidnapped_or_detained": "Kidnapped or detained"},
                                       [half * 0.4, half * 0.18, half * 0.16, half * 0.26], k,
                                       empty="No incident against aid workers in the public record this month.")]
    shown = [v for v in s.incidents_monthly.get("incidents", []) if not isinstance(v, str)]
    chart: list[Flowable] = [para("Incidents per month, last 12 months", "small")]
    if k is not None and not shown:
        chart.append(para(f"Fewer than {k} incidents in each month: not charted in this edition.", "small"))
    else:
        chart.append(_image(charts.incidents_beside_denials(s.incidents_monthly, s.trend), half))
    out.append(_section("The public incident record beside it",
                        para(f"Security incidents against aid workers in {s.month_label}, by perpetrator type "
                             "(no perpetrator is named).", "small"), _two_columns(incidents, chart)))
    about = [para(CAVEAT, "small")]
    if k is not None:
        about.append(para(f"Headquarters edition: counterparts are pseudonymised and every figure of fewer than {k} "
                          f"is shown as \u201c< {k}\u201d (\u201chidden\u201d where it could be worked out from the "
                          "others); no change is given against fewer than {k}; the most affected areas and "
                          "checkpoints are ranked among those with {k} or more denials.".replace("{k}", str(k)),
                          "small"))
    out.append(_section("About these figures", *about))
    return out


class _Pages(BaseDocTemplate):
    def __init__(self, target: io.BytesIO, snapshot: Snapshot) -> None:
        super().__init__(target, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                         bottomMargin=MARGIN, title=f"{snapshot.title}, {snapshot.month_label}",
                         author="Access dashboard", subject="Monthly access snapshot", creator="Access dashboard")
        self.snapshot = snapshot
        pads = {"leftPadding": 0, "rightPadding": 0, "topPadding": 0, "bottomPadding": 0, "showBoundary": 0}
        bottom = MARGIN + 4 * mm
        first = Frame(MARGIN, bottom, WIDTH, PAGE_H - FIRST_BAND - 5 * mm - bottom, id="first", **pads)
        later = Frame(MARGIN, bottom, WIDTH, PAGE_H - LATER_BAND - 5 * mm - bottom, id="later", **pads)
        self.addPageTemplates([PageTemplate("first", [first], onPage=self._header, autoNextPageTemplate="later"),
                               PageTemplate("later", [later], onPage=self._header)])

    def _header(self, canvas, doc) -> None:  # type: ignore[no-untyped-def]
        s = self.snapshot
        first = doc.page == 1
        band = FIRST_BAND if first else LATER_BAND
        canvas.saveState()
        canvas.setFillColor(BLUE)
        canvas.rect(0, PAGE_H - band, PAGE_W, band, stroke=0, fill=1)
        canvas.setFillColor(colors.white)
        if first:
            canvas.setFont(BOLD, 17)
            canvas.drawString(MARGIN, PAGE_H - 11 * mm, s.place.name.upper())
            canvas.setFont(FONT, 11)
            canvas.drawString(MARGIN, PAGE_H - 17.5 * mm, f"Humanitarian access snapshot  |  {s.month_label}")
            canvas.setFont(FONT, 7.5)
            scope = "Headquarters edition (pseudonymised)" if s.k is not None else "Restricted: access negotiation data"
            canvas.drawRightString(PAGE_W - MARGIN, PAGE_H - 11 * mm, scope)
            where = "country" if s.place.kind == "country" else "region"
            canvas.drawRightString(PAGE_W - MARGIN, PAGE_H - 17.5 * mm,
                                   f"{where}: {s.place.name}" + (f" ({s.place.region})" if where == "country" else ""))
        else:
            canvas.setFont(BOLD, 10)
            canvas.drawString(MARGIN, PAGE_H - 7.3 * mm, f"{s.place.name.upper()}  |  Access snapshot, {s.month_label}")
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.setFont(FONT, 6.5)
        canvas.drawString(MARGIN, MARGIN - 2 * mm, f"Made on {s.made_on:%d %B %Y} from the negotiation logs and "
                          "public incident feeds loaded in the access dashboard. Not for publication.")
        canvas.drawRightString(PAGE_W - MARGIN, MARGIN - 2 * mm, f"Page {doc.page}")
        canvas.restoreState()


def render(snapshot: Snapshot) -> bytes:
    """The snapshot as PDF bytes."""
    _register_fonts()
    out = io.BytesIO()
    doc = _Pages(out, snapshot)
    doc.build(story(snapshot))
    return out.getvalue()
