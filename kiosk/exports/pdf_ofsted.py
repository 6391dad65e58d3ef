"""The governors' PDF's pages for inspectors (``Summary.evidence``): hand-in compliance by
year group and week, late hand-ins, mid-day releases by reason, confiscations per 100
pupils by year group and term with repeat pupils, searches with their outcomes,
exemptions in force with their review dates, devices unclaimed beyond the limit, and
the audit log's status. Charts where a reader would rather look than read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, PageBreak, Paragraph, Spacer, TableStyle
from reportlab.platypus.flowables import Flowable

from kiosk.clock import day_text
from kiosk.exports import pdf_ofsted_charts as charts
from kiosk.exports.pdf_parts import (
    GREEN,
    LIST_LIMIT,
    RED,
    WIDTH,
    Styles,
    bar_chart,
    label_step,
    table,
)
from kiosk.services.reports.governors import Summary
from kiosk.services.reports.ofsted import Evidence, ExemptionInForce
from kiosk.services.searches import ITEM_OUTCOME_WORDS


def _hex(colour: Any) -> str:
    return f"#{colour.hexval()[2:]}"


def _count(n: int, thing: str) -> str:
    return f"{n:,} {thing}" if n == 1 else f"{n:,} {thing}s"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


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
            low = f"{_percent(lowest.percent)} (w/c {day_text(lowest.week)})"
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
        charts.compliance_chart(evidence, styles),
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
            [f"{day_text(week)}" for week, _n in weeks],
            [n for _week, n in weeks],
            styles,
            label_step(len(weeks)),
        ),
    ]


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
        charts.reasons_chart(reasons, styles),
    ]


# -- confiscations per 100 pupils --------------------------------------------------------------


def _per_100(evidence: Evidence, styles: Styles) -> list[Flowable]:
    rows = [r for r in evidence.confiscations_by_term]
    if not any(r.confiscations for r in rows):
        return [Paragraph("No confiscations in this period.", styles.body)]
    lines: list[Sequence[Any]] = [
        ("Term", "Year", "On roll", "Confiscations", "Per 100", "Pupils", "Repeat pupils")
    ]
    lines += [
        (
            f"{r.term.name} from {day_text(r.term.starts)}",
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
        charts.per_100_chart(evidence, styles),
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


def _review(exemption: ExemptionInForce, today: dt.date) -> str:
    day = exemption.review_on
    if day is None:
        return f"<font color='{_hex(RED)}'>no review date</font>"
    if exemption.overdue(today):
        return f"{day_text(day)} <font color='{_hex(RED)}'>review overdue</font>"
    soon = " (within 30 days)" if (day - today).days <= 30 else ""
    return f"{day_text(day)}{soon}"


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
            f"{day_text(e.starts_on)}",
            Paragraph(_review(e, today), styles.small),
        )
        for e in found[:LIST_LIMIT]
    ]
    widths = [0.16, 0.08, 0.09, 0.19, 0.15, 0.33]
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
            f"{day_text(u.device.received_at)}",
            u.days,
            u.device.slot_number or "",
        )
        for u in found[:LIST_LIMIT]
    ]
    widths = [0.22, 0.14, 0.26, 0.18, 0.2]
    return [
        Paragraph(
            f"{_count(len(found), 'confiscated device')} still held {limit} days or more "
            f"after being taken (the school's limit), as at {day_text(today)}:",
            styles.body,
        ),
        table(rows, [WIDTH * w for w in widths], styles),
    ]


def _audit_status(summary: Summary, styles: Styles) -> Paragraph:
    chain = summary.chain
    if chain.intact and chain.last_seq is None:
        return Paragraph("Audit log: not checked for this summary.", styles.body)
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
