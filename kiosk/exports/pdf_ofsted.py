"""The governors' PDF's pages for inspectors (``Summary.evidence``): hand-in compliance by
year group and week, late hand-ins, mid-day releases by reason, confiscations per 100
pupils by year group and term with repeat pupils, searches with their outcomes,
exemptions in force with their review dates, devices unclaimed beyond the limit, and
the audit log's status. Charts where a reader would rather look than read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, PageBreak, Paragraph, Spacer, TableStyle
from reportlab.platypus.flowables import Flowable

from kiosk.exports.pdf_parts import (
    GREEN,
    GRID,
    INK,
    LIST_LIMIT,
    RED,
    WIDTH,
    Styles,
    bar_chart,
    label_step,
    table,
    whole_number_axis,
)
from kiosk.services.reports.governors import Summary
from kiosk.services.reports.ofsted import Evidence
from kiosk.services.searches import ITEM_OUTCOME_WORDS

# Distinct and readable in greyscale print too (dark to light).
SERIES = ("#0b3d91", "#b45309", "#0a7d32", "#7c3aed", "#b91c1c", "#0e7490", "#6b7280", "#be185d")


def _colour(index: int) -> Any:
    return colors.HexColor(SERIES[index % len(SERIES)])


def _hex(colour: Any) -> str:
    return f"#{colour.hexval()[2:]}"


def _count(n: int, thing: str) -> str:
    return f"{n:,} {thing}" if n == 1 else f"{n:,} {thing}s"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def _legend(names: Sequence[str], x: float, y: float, styles: Styles) -> Legend:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.fontName, legend.fontSize = styles.regular, 7
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 62 if max((len(n) for n in names), default=0) < 12 else 150
    legend.boxAnchor = "sw"
    legend.colorNamePairs = [(_colour(i), name) for i, name in enumerate(names)]
    return legend


# -- hand-in compliance ------------------------------------------------------------------------


def _compliance_table(evidence: Evidence, styles: Styles) -> Flowable:
    rows: list[Sequence[Any]] = [
        ("Year", "Expected", "Handed in", "Compliance", "Lowest week", "Not expected, in")
    ]
    for total in evidence.compliance_by_year:
        weeks = [c for c in evidence.compliance if c.year_group == total.year_group and c.expected]
        lowest = min(weeks, key=lambda c: c.percent or 0.0, default=None)
        low = ""
        if lowest is not None and lowest.week is not None:
            low = f"{_percent(lowest.percent)} (w/c {lowest.week:%d %b})"
        rows.append(
            (
                f"Year {total.year_group}",
                f"{total.expected:,}",
                f"{total.handed_in:,}",
                _percent(total.percent),
                low,
                f"{total.others:,}",
            )
        )
    widths = [0.11, 0.14, 0.14, 0.15, 0.26, 0.2]
    made = table(rows, [WIDTH * w for w in widths], styles)
    right = [("ALIGN", (1, 0), (3, -1), "RIGHT"), ("ALIGN", (5, 0), (5, -1), "RIGHT")]
    made.setStyle(TableStyle(right))
    return made


def _compliance_chart(evidence: Evidence, styles: Styles) -> Drawing:
    """Weekly compliance per year group, one line each."""
    weeks = sorted({c.week for c in evidence.compliance if c.week is not None})
    years = [c.year_group for c in evidence.compliance_by_year]
    cell = {(c.week, c.year_group): c.percent for c in evidence.compliance}
    height = 78 * mm
    drawing = Drawing(WIDTH, height)
    title = "Hand-in compliance per week, by year group (% of expected pupil-days)"
    drawing.add(String(0, height - 10, title, fontName=styles.bold, fontSize=10, fillColor=INK))
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 30, 40, WIDTH - 40, height - 78
    lowest = min((p for p in cell.values() if p is not None), default=100.0)
    chart.valueAxis.valueMin = max(0, int(lowest // 10) * 10 - 10) if lowest < 100 else 80
    chart.valueAxis.valueMax, chart.valueAxis.valueStep = 100, 10 if lowest < 60 else 5
    chart.data = [[cell.get((week, year)) for week in weeks] or [None] for year in years] or [[0]]
    for index in range(len(years)):
        chart.lines[index].strokeColor = _colour(index)
        chart.lines[index].strokeWidth = 1.4
        chart.lines[index].symbol = makeMarker("FilledCircle", size=3, fillColor=_colour(index))
    # a line needs two points: with fewer (one week, a year group seen once) only the dots
    chart.joinedLines = int(all(sum(p is not None for p in line) >= 2 for line in chart.data))
    step = label_step(len(weeks))
    chart.categoryAxis.categoryNames = [
        f"{week:%d %b}" if i % step == 0 else "" for i, week in enumerate(weeks)
    ] or [""]
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName, axis.labels.fontSize = styles.regular, 7
        axis.strokeColor = GRID
    chart.categoryAxis.labels.angle = 45 if len(weeks) > 12 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(weeks) > 12 else "n"
    chart.valueAxis.visibleGrid, chart.valueAxis.gridStrokeColor = True, GRID
    chart.valueAxis.labelTextFormat = "%d%%"
    drawing.add(chart)
    drawing.add(_legend([f"Year {y}" for y in years], 30, 2, styles))
    return drawing


def _compliance(evidence: Evidence, styles: Styles) -> list[Flowable]:
    if not evidence.compliance_by_year or not any(c.expected for c in evidence.compliance):
        return [Paragraph("No hand-ins were recorded in this period.", styles.body)]
    explain = (
        "Expected: pupil-days, on each school day the kiosk took hand-ins, of every pupil on "
        "roll who brings a device and had no exemption that day. Handed in: those of them who "
        "handed a device in that day (once each, however many devices). Not expected, in: "
        "pupil-days of exempt pupils or pupils who bring no device who handed one in anyway."
    )
    return [
        Paragraph(explain, styles.small),
        Spacer(1, 2 * mm),
        _compliance_table(evidence, styles),
        Spacer(1, 3 * mm),
        _compliance_chart(evidence, styles),
    ]


# -- late hand-ins and mid-day releases ------------------------------------------------------------


def _late(evidence: Evidence, styles: Styles) -> list[Flowable]:
    if not evidence.late:
        return [Paragraph("No hand-ins after hand-in closed in this period.", styles.body)]
    weeks = evidence.late_per_week
    by_year = ", ".join(f"Year {y}: {n:,}" for y, n in evidence.late_by_year if n)
    return [
        Paragraph(f"{_count(evidence.late, 'late hand-in')} ({by_year}).", styles.body),
        bar_chart(
            "Late hand-ins per week (week starting)",
            [f"{week:%d %b}" for week, _n in weeks],
            [n for _week, n in weeks],
            styles,
            label_step(len(weeks)),
        ),
    ]


def _reasons_chart(reasons: Sequence[tuple[str, int]], styles: Styles) -> Drawing:
    height = (24 + 14 * len(reasons)) * 1.0 + 20
    drawing = Drawing(WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 90, 16, WIDTH - 140, height - 24
    chart.data = [[n for _r, n in reversed(reasons)]]
    chart.categoryAxis.categoryNames = [r for r, _n in reversed(reasons)]
    chart.bars[0].fillColor, chart.bars[0].strokeColor = _colour(0), None
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


def _day_outs(evidence: Evidence, styles: Styles) -> list[Flowable]:
    reasons = evidence.day_outs_by_reason
    if not reasons:
        return [Paragraph("No pupil was released during the day in this period.", styles.body)]
    total = sum(n for _r, n in reasons)
    return [
        Paragraph(
            f"{_count(total, 'release')} of a pupil's devices during the school day (out of school "
            "for an appointment, illness, a trip...), by reason:",
            styles.body,
        ),
        _reasons_chart(reasons, styles),
    ]


# -- confiscations per 100 pupils --------------------------------------------------------------


def _per_100_chart(evidence: Evidence, styles: Styles) -> Drawing:
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
        chart.bars[index].fillColor, chart.bars[index].strokeColor = _colour(index), None
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
    drawing.add(_legend([n[:1].upper() + n[1:] for n in names], 30, 4, styles))
    return drawing


def _per_100(evidence: Evidence, styles: Styles) -> list[Flowable]:
    rows = [r for r in evidence.confiscations_by_term]
    if not any(r.confiscations for r in rows):
        return [Paragraph("No confiscations in this period.", styles.body)]
    lines: list[Sequence[Any]] = [
        ("Term", "Year", "On roll", "Confiscations", "Per 100", "Pupils", "Repeat pupils")
    ]
    lines += [
        (
            f"{r.term.name} from {r.term.starts:%d/%m/%Y}",
            r.year_group,
            f"{r.on_roll:,}",
            f"{r.confiscations:,}",
            "–" if r.per_100 is None else f"{r.per_100:.1f}",
            f"{r.pupils:,}",
            f"{r.repeat_pupils:,}",
        )
        for r in rows
    ]
    widths = [0.26, 0.08, 0.12, 0.15, 0.11, 0.11, 0.17]
    made = table(lines, [WIDTH * w for w in widths], styles)
    made.setStyle(TableStyle([("ALIGN", (1, 0), (-1, -1), "RIGHT")]))
    return [
        _per_100_chart(evidence, styles),
        Paragraph(
            "Repeat pupils: pupils with two or more confiscations in that term (the "
            "escalation ladder's count starts again each term).",
            styles.small,
        ),
        Spacer(1, 2 * mm),
        made,
    ]


# -- searches, exemptions, unclaimed devices -----------------------------------------------------


def _searches(evidence: Evidence, styles: Styles) -> list[Flowable]:
    found = evidence.searches
    if found is None:
        return [Paragraph("Search records are not kept by this version.", styles.body)]
    if not found.searches and not found.drafts_open:
        return [Paragraph("No searches were recorded in this period.", styles.body)]
    rows: list[Sequence[Any]] = [("Searches (whole school)", "Count")]
    rows += [
        ("Searches recorded", f"{found.searches:,}"),
        ("  nothing found", f"{found.nothing_found:,}"),
        ("  something found", f"{found.something_found:,}"),
        *[
            (f"  items {words}", f"{found.items.get(outcome, 0):,}")
            for outcome, words in ITEM_OUTCOME_WORDS.items()
        ],
        ("With the pupil's consent", f"{found.with_consent:,}"),
        ("Data on a device examined", f"{found.devices_examined:,}"),
        ("Suspected indecent image: not examined (DSL, police)", f"{found.do_not_examine:,}"),
        ("Data kept as evidence", f"{found.data_kept_as_evidence:,}"),
        ("Data erased", f"{found.data_erased:,}"),
        ("DSL informed", f"{found.dsl_informed:,}"),
        ("Parents informed", f"{found.parents_informed:,}"),
        ("Drafts not yet recorded by a senior member of staff", f"{found.drafts_open:,}"),
    ]
    made = table(rows, (WIDTH * 0.75, WIDTH * 0.25), styles)
    made.setStyle(TableStyle([("ALIGN", (1, 0), (1, -1), "RIGHT")]))
    return [made]


def _review(day: dt.date | None, today: dt.date) -> str:
    if day is None:
        return f"<font color='{_hex(RED)}'>no date set</font>"
    soon = " (within 30 days)" if (day - today).days <= 30 else ""
    return f"{day:%d/%m/%Y}{soon}"


def _exemptions(evidence: Evidence, styles: Styles, today: dt.date) -> list[Flowable]:
    found = evidence.exemptions
    if not found:
        return [Paragraph("No exemptions are in force.", styles.body)]
    rows: list[Sequence[Any]] = [("Admission no.", "Year", "Form", "Kind", "Since", "Review by")]
    rows += [
        (
            styles.text(e.pupil_ref),
            e.year_group,
            styles.text(e.reg_group),
            styles.text(e.category),
            f"{e.starts_on:%d/%m/%Y}",
            Paragraph(_review(e.review_on, today), styles.small),
        )
        for e in found[:LIST_LIMIT]
    ]
    widths = [0.18, 0.09, 0.1, 0.22, 0.16, 0.25]
    flow: list[Flowable] = [table(rows, [WIDTH * w for w in widths], styles)]
    if len(found) > LIST_LIMIT:
        flow.append(Paragraph(f"…and {len(found) - LIST_LIMIT:,} more.", styles.small))
    return flow


def _unclaimed(evidence: Evidence, styles: Styles, today: dt.date) -> list[Flowable]:
    limit = evidence.unclaimed_limit
    if limit is None:
        return [Paragraph("Unclaimed devices are not flagged by this version.", styles.body)]
    found = evidence.unclaimed
    if not found:
        return [Paragraph(f"No confiscated device has waited {limit} days or more.", styles.body)]
    rows: list[Sequence[Any]] = [("Admission no.", "Form", "Confiscated", "Days", "Slot")]
    rows += [
        (
            styles.text(u.device.pupil.admission_number),
            styles.text(u.device.pupil.reg_group),
            f"{u.device.received_at:%d/%m/%Y}",
            u.days,
            u.device.slot_number or "",
        )
        for u in found[:LIST_LIMIT]
    ]
    widths = [0.22, 0.14, 0.26, 0.18, 0.2]
    return [
        Paragraph(
            f"{_count(len(found), 'confiscated device')} still held {limit} days or more "
            f"after being taken (the school's limit), as at {today:%d/%m/%Y}:",
            styles.body,
        ),
        table(rows, [WIDTH * w for w in widths], styles),
    ]


def _audit_status(summary: Summary, styles: Styles) -> Paragraph:
    chain = summary.chain
    if chain.intact:
        words = (
            f"<font color='{_hex(GREEN)}'><b>intact</b></font>: "
            f"{chain.events:,} events checked, the last #{chain.last_seq} (its hash is on "
            "the first page)."
        )
    else:
        words = (
            f"<font color='{_hex(RED)}'><b>BROKEN</b></font> at event #{chain.first_bad_seq}: "
            f"{styles.text(chain.problem or '')}"
        )
    return Paragraph(f"Audit log: {words}", styles.body)


def evidence_pages(summary: Summary, styles: Styles) -> list[Flowable]:
    """The pages for inspectors, from a new page; nothing when the summary has none."""
    evidence = summary.evidence
    if evidence is None:
        return []
    today = dt.date.fromisoformat(summary.generated_at[:10])
    heading, small = styles.heading, styles.small
    intro = (
        f"Period: {styles.text(summary.which.words())}. The figures an inspection asks for "
        "about devices in school, from the same record as the summary. Pupils by admission "
        "number only."
    )
    return [
        PageBreak(),
        Paragraph("Evidence for inspectors (Ofsted)", styles.title),
        Paragraph(intro, small),
        Spacer(1, 2 * mm),
        _audit_status(summary, styles),
        Paragraph("Hand-in compliance by year group", heading),
        *_compliance(evidence, styles),
        CondPageBreak(60 * mm),
        Paragraph("Late hand-ins", heading),
        *_late(evidence, styles),
        CondPageBreak(50 * mm),
        Paragraph("Released during the day, by reason", heading),
        *_day_outs(evidence, styles),
        CondPageBreak(90 * mm),
        Paragraph("Confiscations per 100 pupils, by year group and term", heading),
        *_per_100(evidence, styles),
        CondPageBreak(110 * mm),
        Paragraph("Searches and their outcomes", heading),
        *_searches(evidence, styles),
        CondPageBreak(50 * mm),
        Paragraph("Exemptions in force, with their review dates", heading),
        *_exemptions(evidence, styles, today),
        CondPageBreak(50 * mm),
        Paragraph("Devices unclaimed beyond the school's limit", heading),
        *_unclaimed(evidence, styles, today),
    ]
