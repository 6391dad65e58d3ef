"""The charts of the governors' PDF's pages for inspectors (``kiosk.exports.pdf_ofsted``):
weekly compliance by year group as lines, releases by reason as bars, and confiscations
per 100 pupils by year group and term as grouped bars."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.units import mm

from kiosk.clock import day_text
from kiosk.exports.pdf_parts import GRID, INK, WIDTH, Styles, label_step, whole_number_axis
from kiosk.services.reports.ofsted import Evidence

# Distinct and readable in greyscale print too (dark to light).
SERIES = ("#0b3d91", "#b45309", "#0a7d32", "#7c3aed", "#b91c1c", "#0e7490", "#6b7280", "#be185d")


def colour(index: int) -> Any:
    return colors.HexColor(SERIES[index % len(SERIES)])


def legend(names: Sequence[str], x: float, y: float, styles: Styles) -> Legend:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.fontName, legend.fontSize = styles.regular, 7
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 62 if max((len(n) for n in names), default=0) < 12 else 150
    legend.boxAnchor = "sw"
    legend.colorNamePairs = [(colour(i), name) for i, name in enumerate(names)]
    return legend


def compliance_chart(evidence: Evidence, styles: Styles) -> Drawing:
    """Weekly compliance per year group, one line each."""
    weeks = sorted({c.week for c in evidence.compliance if c.week is not None})
    years = [c.year_group for c in evidence.compliance_by_year]
    cell = {(c.week, c.year_group): c.percent for c in evidence.compliance}
    height = 78 * mm
    drawing = Drawing(WIDTH, height)
    title = "Hand-in compliance per week, by year group (% of expected pupil-days)"
    drawing.add(String(0, height - 10, title, fontName=styles.bold, fontSize=10, fillColor=INK))
    chart = HorizontalLineChart()
    # the legend under the title; the slanted week labels below the chart
    chart.x, chart.y, chart.width, chart.height = 30, 36, WIDTH - 40, height - 76
    lowest = min((p for p in cell.values() if p is not None), default=100.0)
    chart.valueAxis.valueMin = max(0, int(lowest // 10) * 10 - 10) if lowest < 100 else 80
    chart.valueAxis.valueMax, chart.valueAxis.valueStep = 100, 10 if lowest < 60 else 5
    chart.data = [[cell.get((week, year)) for week in weeks] or [None] for year in years] or [[0]]
    for index in range(len(years)):
        chart.lines[index].strokeColor = colour(index)
        chart.lines[index].strokeWidth = 1.4
        chart.lines[index].symbol = makeMarker("FilledCircle", size=3, fillColor=colour(index))
    # a line needs two points: with fewer (one week, a year group seen once) only the dots
    chart.joinedLines = int(all(sum(p is not None for p in line) >= 2 for line in chart.data))
    step = label_step(len(weeks))
    chart.categoryAxis.categoryNames = [
        day_text(week) if i % step == 0 else "" for i, week in enumerate(weeks)
    ] or [""]
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName, axis.labels.fontSize = styles.regular, 7
        axis.strokeColor = GRID
    chart.categoryAxis.labels.angle = 45 if len(weeks) > 12 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(weeks) > 12 else "n"
    chart.valueAxis.visibleGrid, chart.valueAxis.gridStrokeColor = True, GRID
    chart.valueAxis.labelTextFormat = "%d%%"
    drawing.add(chart)
    key = legend([f"Year {y}" for y in years], 30, height - 20, styles)
    key.boxAnchor = "nw"
    drawing.add(key)
    return drawing


def reasons_chart(reasons: Sequence[tuple[str, int]], styles: Styles) -> Drawing:
    height = (24 + 14 * len(reasons)) * 1.0 + 20
    drawing = Drawing(WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 90, 16, WIDTH - 140, height - 24
    chart.data = [[n for _r, n in reversed(reasons)]]
    chart.categoryAxis.categoryNames = [r for r, _n in reversed(reasons)]
    chart.bars[0].fillColor, chart.bars[0].strokeColor = colour(0), None
    chart.valueAxis.valueMin = 0
    top = max(n for _r, n in reasons)
    chart.valueAxis.valueMax, chart.valueAxis.valueStep = whole_number_axis(top)
    chart.barLabelFormat, chart.barLabels.nudge = "%d", 8
    chart.barLabels.fontName = chart.categoryAxis.labels.fontName = styles.regular
    chart.valueAxis.labels.fontName = styles.regular
    chart.barLabels.fontSize = chart.categoryAxis.labels.fontSize = 8
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.strokeColor = chart.categoryAxis.strokeColor = GRID
    drawing.add(chart)
    return drawing


def per_100_chart(evidence: Evidence, styles: Styles) -> Drawing:
    rows = evidence.confiscations_by_term
    terms = sorted({r.term.starts: r.term for r in rows}.values(), key=lambda t: t.starts)
    years = sorted({r.year_group for r in rows})
    value = {(r.term.starts, r.year_group): r.per_100 or 0.0 for r in rows}
    height = 70 * mm
    drawing = Drawing(WIDTH, height)
    title = "Per 100 pupils on roll in the year group (one bar a term)"
    drawing.add(String(0, height - 10, title, fontName=styles.bold, fontSize=10, fillColor=INK))
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30, 40, WIDTH - 40, height - 66
    chart.data = [[value[(t.starts, y)] for y in years] for t in terms] or [[0]]
    for index in range(len(terms)):
        chart.bars[index].fillColor, chart.bars[index].strokeColor = colour(index), None
    top = max((v for v in value.values()), default=0.0)
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax, chart.valueAxis.valueStep = whole_number_axis(int(top) + 1)
    chart.categoryAxis.categoryNames = [f"Year {y}" for y in years] or [""]
    chart.barLabelFormat, chart.barLabels.nudge = "%.1f", 5
    for labels in (chart.barLabels, chart.categoryAxis.labels, chart.valueAxis.labels):
        labels.fontName, labels.fontSize = styles.regular, 7
    chart.valueAxis.strokeColor = chart.categoryAxis.strokeColor = GRID
    chart.valueAxis.visibleGrid, chart.valueAxis.gridStrokeColor = True, GRID
    chart.groupSpacing = 8
    drawing.add(chart)
    names = [t.words() for t in terms]
    drawing.add(legend([n[:1].upper() + n[1:] for n in names], 30, 4, styles))
    return drawing
