"""The governors' summary as a PDF: key figures, simple charts, the lists that need a look,
and the audit chain's status with the hash of its last event, so a printed copy can be
checked against the database later. Pupils appear by admission number only."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from kiosk.clock import day_text, moment_text
from kiosk.exports.pdf_ofsted import evidence_pages
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
from kiosk.printing.draw import printable
from kiosk.services.reports.custody_columns import KIND_WORDS
from kiosk.services.reports.governors import DeviceStay, Summary


def _key_figures(summary: Summary, styles: Styles) -> Table:
    days = len(summary.handins_per_day)
    average = summary.handins / days if days else 0
    closes = summary.collection_closes.strftime("%H:%M")
    rows = [
        ("Figure", "Count"),
        ("Devices handed in (daily)", f"{summary.handins:,}"),
        ("School days with hand-ins", f"{days:,}"),
        ("Average hand-ins per school day", f"{average:,.0f}"),
        ("Devices confiscated", f"{summary.confiscations:,}"),
        ("  of which referred to the DSL", f"{summary.referred_to_dsl:,}"),
        ("  of which handed to the police", f"{summary.handed_to_police:,}"),
        ("Pupils with two or more confiscations", f"{len(summary.repeated):,}"),
        ("Devices kept overnight", f"{len(summary.overnight):,}"),
        (f"Late collections (after {closes})", f"{len(summary.late):,}"),
    ]
    figures = table(rows, (WIDTH * 0.7, WIDTH * 0.3), styles)
    figures.setStyle(TableStyle([("ALIGN", (1, 0), (1, -1), "RIGHT")]))
    return figures


def _short_time(text: str | None) -> str:
    return "still held" if text is None else moment_text(text)


def _stays_table(stays: Sequence[DeviceStay], styles: Styles) -> list[Flowable]:
    if not stays:
        return [Paragraph("None in this period.", styles.body)]
    rows: list[Sequence[Any]] = [("Admission no.", "Form", "Kind", "Received", "Released")]
    rows += [
        (
            styles.text(s.pupil_ref),
            styles.text(s.reg_group),
            KIND_WORDS.get(s.kind, s.kind),
            _short_time(s.received),
            _short_time(s.released),
        )
        for s in stays[:LIST_LIMIT]
    ]
    widths = [0.18, 0.12, 0.18, 0.26, 0.26]
    flow: list[Flowable] = [table(rows, [WIDTH * w for w in widths], styles)]
    if len(stays) > LIST_LIMIT:
        more = f"…and {len(stays) - LIST_LIMIT:,} more: see the custody log export."
        flow.append(Paragraph(more, styles.small))
    return flow


def _repeated_table(summary: Summary, styles: Styles) -> list[Flowable]:
    if not summary.repeated:
        return [Paragraph("No pupil had more than one confiscation in this period.", styles.body)]
    rows: list[Sequence[Any]] = [("Admission no.", "Year", "Form", "Confiscations", "Latest")]
    rows += [
        (
            styles.text(r.pupil_ref),
            r.year_group,
            styles.text(r.reg_group),
            r.count,
            day_text(r.last_on),
        )
        for r in summary.repeated[:LIST_LIMIT]
    ]
    widths = [0.24, 0.12, 0.14, 0.22, 0.28]
    flow: list[Flowable] = [table(rows, [WIDTH * w for w in widths], styles)]
    if len(summary.repeated) > LIST_LIMIT:
        more = f"…and {len(summary.repeated) - LIST_LIMIT:,} more pupils: see the custody log."
        flow.append(Paragraph(more, styles.small))
    return flow


def _fingerprint_lines(summary: Summary, styles: Styles) -> list[Flowable]:
    if summary.fingerprint is None:
        return [
            Paragraph(
                "The audit log is not signed yet (no school audit fingerprint).", styles.small
            )
        ]
    expect = (
        f" --expect {summary.chain.last_seq}:{summary.chain.last_hash}"
        if summary.chain.last_hash
        else ""
    )
    return [
        Paragraph(
            "School audit fingerprint (it must match the one the headteacher keeps):", styles.small
        ),
        Paragraph(styles.text(summary.fingerprint), styles.mono),
        Paragraph(
            styles.text(
                "Check on any computer: kiosk verify-log --db COPY --fingerprint "
                f"FINGERPRINT{expect}"
            ),
            styles.small,
        ),
    ]


def _chain_box(summary: Summary, styles: Styles) -> Table:
    chain = summary.chain
    if chain.intact:
        status = f"<b>intact</b>. {chain.events:,} events checked; the last is #{chain.last_seq}."
        colour = GREEN
    else:
        status = (
            f"<b>BROKEN</b> at event #{chain.first_bad_seq}: {styles.text(chain.problem or '')}"
        )
        colour = RED
    last_hash = chain.last_hash or "(no events yet)"
    lines = [
        Paragraph(f"Audit log chain: {status}", styles.body),
        Paragraph(f"Hash (SHA-256) of event #{chain.last_seq}:", styles.small),
        Paragraph(last_hash, styles.mono),
        Paragraph(
            "To check this printed copy later: <i>kiosk verify-log</i> must still report the "
            f"chain intact, and event #{chain.last_seq} in an audit log export must still show "
            "this hash. If it does, no event up to it has been changed or removed since.",
            styles.small,
        ),
        *_fingerprint_lines(summary, styles),
    ]
    box = Table([[line] for line in lines], colWidths=[WIDTH])
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, colour),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, 0), 6),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 8),
            ]
        )
    )
    return box


def _charts(summary: Summary, styles: Styles) -> list[Flowable]:
    per_day = summary.handins_per_day
    day_labels = [day_text(day) for day, _count in per_day]
    weeks = summary.confiscations_per_week
    week_labels = [day_text(week) for week, _count in weeks]
    years = summary.confiscations_per_year
    return [
        Paragraph("Hand-ins", styles.heading),
        bar_chart(
            "Devices handed in per school day",
            day_labels,
            [count for _day, count in per_day],
            styles,
            label_step(len(per_day)),
        ),
        CondPageBreak(70 * mm),
        Paragraph("Confiscations", styles.heading),
        bar_chart(
            "Confiscations per week (week starting)",
            week_labels,
            [count for _week, count in weeks],
            styles,
            label_step(len(weeks)),
        ),
        bar_chart(
            "Confiscations per year group",
            [f"Year {year}" for year, _count in years],
            [count for _year, count in years],
            styles,
        ),
    ]


def _story(summary: Summary, staff_name: str, styles: Styles) -> list[Flowable]:
    which = summary.which
    closes = summary.collection_closes.strftime("%H:%M")
    intro = (
        f"Period: {styles.text(which.words())}. Made {moment_text(summary.generated_at)} "
        f"(UK time) by "
        f"{styles.text(staff_name)}. Pupils are identified by admission number only; names are "
        "in the custody log export, for staff who need them."
    )
    story: list[Flowable] = [
        Paragraph(styles.text(f"{summary.school_name}: devices in school"), styles.title),
        Paragraph("Summary for governors", styles.heading),
        Paragraph(intro, styles.small),
        Spacer(1, 4 * mm),
        KeepTogether([_chain_box(summary, styles)]),
        Paragraph("Key figures", styles.heading),
        _key_figures(summary, styles),
        *_charts(summary, styles),
        CondPageBreak(50 * mm),
        Paragraph("Pupils with repeated confiscations", styles.heading),
        *_repeated_table(summary, styles),
        CondPageBreak(50 * mm),
        Paragraph("Devices kept overnight (newest first)", styles.heading),
        *_stays_table(summary.overnight, styles),
        CondPageBreak(50 * mm),
        Paragraph(
            f"Late collections (daily hand-ins collected after {closes}; newest first)",
            styles.heading,
        ),
        *_stays_table(summary.late, styles),
        *evidence_pages(summary, styles),
    ]
    return story


def write_summary_pdf(summary: Summary, path: Path, staff_name: str) -> int:
    """Write the summary to ``path``; returns the number of pages."""
    styles = Styles()
    footer = printable(
        f"{summary.school_name} · summary for governors · {summary.which.words()}", styles.regular
    )

    def on_page(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(styles.regular, 8)
        canvas.setFillColor(colors.HexColor("#4b5563"))
        canvas.drawString(18 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=f"{summary.school_name}: summary for governors",
        author="Device hand-in kiosk",
        subject=summary.which.words(),
        creator="Device hand-in kiosk",
    )
    doc.build(_story(summary, staff_name, styles), onFirstPage=on_page, onLaterPages=on_page)
    return int(doc.page)
