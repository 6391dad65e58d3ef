"""The governors' summary: its figures against the history built for the tests, and the PDF
rendered to PNG (for a person to look at, in artifacts/) and read back as text."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest
from fixtures.reports import *  # noqa: F403 (the reports tests' fixtures)
from sqlalchemy import func, select

from kiosk.exports.run import ExportRequest, run_export
from kiosk.services import audit, chain_check
from kiosk.services.reports import governors
from kiosk.services.reports.filter import ReportFilter
from kiosk.tables import AuditEvent, Custody, Pupil

WEEK = ReportFilter(dt.date(2026, 3, 23), dt.date(2026, 3, 31))
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm, pdftotext) not installed"
)


def admission(sessions, pupil_id: int) -> str:
    with sessions() as session:
        return session.get(Pupil, pupil_id).admission_number


def test_the_summary_counts_what_happened(history, sessions):
    summary = governors.summary(sessions, WEEK)
    with sessions() as session:
        daily = session.scalar(
            select(func.count()).where(
                Custody.kind == "daily",
                Custody.state != "cancelled",
                Custody.received_at >= dt.datetime(2026, 3, 23),
            )
        )
        confiscated = session.scalar(
            select(func.count()).where(
                Custody.kind == "confiscation", Custody.received_at >= dt.datetime(2026, 3, 23)
            )
        )
    assert summary.handins == daily and summary.confiscations == confiscated
    assert [day for day, _n in summary.handins_per_day] == [
        dt.date(2026, 3, 26),
        dt.date(2026, 3, 27),
        dt.date(2026, 3, 30),
    ]
    assert [week for week, _n in summary.confiscations_per_week] == [
        dt.date(2026, 3, 23),
        dt.date(2026, 3, 30),
    ]
    assert {year for year, _n in summary.confiscations_per_year} == {7, 8, 9, 10, 11}
    assert summary.handed_to_police == 1 and summary.referred_to_dsl >= 1


def test_repeats_overnight_and_late_collections_are_listed(history, sessions):
    summary = governors.summary(sessions, WEEK)
    repeat = admission(sessions, history.repeat_pupil)
    assert repeat in {r.pupil_ref for r in summary.repeated}
    assert all(r.count >= 2 for r in summary.repeated)
    overnight = {(s.pupil_ref, s.kind) for s in summary.overnight}
    assert (admission(sessions, history.overnight_pupil), "daily") in overnight
    assert (admission(sessions, history.held_leaver), "confiscation") in overnight  # still held
    late = [s for s in summary.late if s.pupil_ref == admission(sessions, history.late_pupil)]
    assert [s.released for s in late] == ["2026-03-30 18:40:00"]
    assert admission(sessions, history.undone_pupil) not in {s.pupil_ref for s in summary.overnight}


def test_the_summary_carries_the_chain_status_and_last_hash(history, sessions):
    summary = governors.summary(sessions, WEEK)
    with sessions() as session:
        newest = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1))
    assert summary.chain.intact and summary.chain.last_hash == newest


@needs_poppler
def test_the_pdf_renders_and_reads_back(history, sessions, tmp_path, artifacts):
    out = tmp_path / "summary.pdf"
    result = run_export(
        sessions, history.school.actors["senior"], ExportRequest("summary", "pdf", WEEK), out
    )
    pages = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "70", "-png", str(out), str(pages)], check=True)
    rendered = sorted(tmp_path.glob("page*.png"))
    assert 1 <= len(rendered) <= 4
    for n, png in enumerate(rendered, start=1):
        shutil.copy(png, artifacts / f"reports_governors_summary_page{n}.png")
    words = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], check=True, capture_output=True, text=True
    ).stdout
    with sessions() as session:
        chain = chain_check.verify(sessions)
        export_event = session.get(audit.AuditEvent, result.audit_seq)
    assert export_event.prev_hash in words  # the hash printed is the last before the export
    assert f"#{chain.last_seq - 1}" in words and "intact" in words
    for text in (
        "Kingsmead Academy",
        "Summary for governors",
        "Key figures",
        "Pupils with repeated confiscations",
        "Devices kept overnight",
        "Late collections",
        admission(sessions, history.repeat_pupil),
    ):
        assert text in words
    names = {p.surname for p in _pupils(sessions)} - {"Purged"}
    assert not any(f" {name} " in words for name in names if len(name) > 4)
    # one date format throughout, the school's (dd/mm/yyyy), and kinds in words
    assert "23/03/2026 to 31/03/2026" in words and "Daily hand-in" in words
    iso = re.findall(r"\b20\d\d-\d\d-\d\d\b", words)
    named_months = re.findall(
        r"\b\d\d? (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b", words
    )
    assert iso == [] and named_months == []
    assert len(re.findall(r"\b\d\d/\d\d/20\d\d\b", words)) > 10
    assert not re.search(r"\b(daily|confiscation)\s+\d\d/\d\d/", words)  # a list's Kind


def _pupils(sessions) -> list[Pupil]:
    with sessions() as session:
        return list(session.scalars(select(Pupil)))


def test_an_empty_period_still_makes_a_sensible_summary(history, sessions, tmp_path):
    empty = ReportFilter(dt.date(2024, 8, 1), dt.date(2024, 8, 2))
    result = run_export(
        sessions,
        history.school.actors["admin"],
        ExportRequest("summary", "pdf", empty),
        tmp_path / "empty.pdf",
    )
    assert result.rows == 0 and result.path.stat().st_size > 1000


def test_chart_axes_count_in_whole_numbers():
    from kiosk.exports.pdf_parts import whole_number_axis as _whole_number_axis

    for top in range(0, 3000, 7):
        axis_top, step = _whole_number_axis(top)
        assert axis_top > top and axis_top % step == 0 and step >= 1
        assert axis_top // step <= 6  # a few ticks, never a crowd of repeated labels
