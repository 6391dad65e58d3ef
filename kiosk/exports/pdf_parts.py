"""What the governors' PDF and its evidence pages share: the colours, the text styles,
a plain table and a bar chart that keeps to whole numbers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Table, TableStyle

from kiosk.printing.draw import fonts, printable

INK = colors.HexColor("#111827")
BLUE = colors.HexColor("#0b3d91")
RED = colors.HexColor("#b91c1c")
GREEN = colors.HexColor("#0a7d32")
GRID = colors.HexColor("#cbd5e1")
SHADE = colors.HexColor("#e2e8f0")
LIST_LIMIT = 25  # rows shown per list; the exports hold the rest
WIDTH = A4[0] - 36 * mm


class Styles:
    def __init__(self) -> None:
        face = fonts()
        self.regular, self.bold = face.regular, face.bold
        base = ParagraphStyle("base", fontName=self.regular, fontSize=10, leading=13, textColor=INK)
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=11)
        self.title = ParagraphStyle(
            "title", parent=base, fontName=self.bold, fontSize=18, leading=22, spaceAfter=4
        )
        self.heading = ParagraphStyle(
            "heading",
            parent=base,
            fontName=self.bold,
            fontSize=12.5,
            leading=16,
            spaceBefore=10,
            spaceAfter=4,
            textColor=BLUE,
            alignment=TA_LEFT,
        )
        self.mono = ParagraphStyle("mono", parent=base, fontName="Courier", fontSize=9, leading=12)

    def text(self, value: str) -> str:
        """Escape for a Paragraph and keep to characters the font has."""
        escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return printable(escaped, self.regular)


def table(rows: Sequence[Sequence[Any]], widths: Sequence[float], styles: Styles) -> Table:
    table = Table([list(row) for row in rows], colWidths=list(widths), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), styles.regular, 9),
                ("FONT", (0, 0), (-1, 0), styles.bold, 9),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def bar_chart(
    title: str, labels: Sequence[str], values: Sequence[int], styles: Styles, every: int = 1
) -> Drawing:
    """A plain bar chart; few bars stay narrow and carry their numbers."""
    height = 62 * mm
    drawing = Drawing(WIDTH, height)
    drawing.add(String(0, height - 10, title, fontName=styles.bold, fontSize=10, fillColor=INK))
    chart = VerticalBarChart()
    chart.x, chart.y = 30, 34
    chart.width = min(WIDTH - 40, 60 + 48 * len(values))
    chart.height = height - 60
    chart.data = [list(values) or [0]]
    chart.bars[0].fillColor = BLUE
    chart.bars[0].strokeColor = None
    chart.barSpacing = 0.5
    chart.groupSpacing = 1 if len(values) > 40 else 6
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax, chart.valueAxis.valueStep = whole_number_axis(max(values or [0]))
    chart.valueAxis.labels.fontName = styles.regular
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = lambda v: f"{v:,.0f}"
    chart.valueAxis.strokeColor = GRID
    chart.valueAxis.gridStrokeColor = GRID
    chart.valueAxis.visibleGrid = True
    if len(values) <= 20:
        chart.barLabelFormat = "%d"
        chart.barLabels.fontName = styles.regular
        chart.barLabels.fontSize = 7
        chart.barLabels.nudge = 6
    chart.categoryAxis.categoryNames = [
        label if i % every == 0 else "" for i, label in enumerate(labels or [""])
    ]
    slanted = len(labels) > 12
    chart.categoryAxis.labels.fontName = styles.regular
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 45 if slanted else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if slanted else "n"
    chart.categoryAxis.strokeColor = GRID
    drawing.add(chart)
    return drawing


def whole_number_axis(top: int, ticks: int = 5) -> tuple[int, int]:
    """An axis top and step in whole numbers (1, 2, 5, 10, 20, 50...), a little above the
    tallest bar: counts of devices have no fractions, so no axis may print 0, 0, 1, 1."""
    rough = max(1, -(-max(top, 1) // ticks))
    magnitude = 10 ** (len(str(rough)) - 1)
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    return step * (top // step + 1), step


def label_step(count: int, room: int = 24) -> int:
    return max(1, -(-count // room))
