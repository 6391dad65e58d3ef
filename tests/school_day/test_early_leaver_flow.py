"""An early leaver who comes back (issue 17's "Tests and figures"), end to end through the
real widgets: the pupil hands in at the kiosk by card, staff release the phone for a
dentist's appointment in the console's "Out of school" tab (the card scanned at the
console, the reason chosen, confirmed), the dashboard shows them out, they scan back in at
the kiosk after lunch and get the slot they left, and the day shows in the audit log and
the custody log."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from sqlalchemy import select
from steady_clock import SteadyClock
from ui.staff.conftest import click, log_in, settle

from kiosk.clock import SCHOOL_ZONE
from kiosk.config import Config
from kiosk.exports.run import ExportRequest, run_export
from kiosk.services import day_outs
from kiosk.services.reports.filter import ReportFilter
from kiosk.tables import AuditEvent
from kiosk.ui.kiosk_screen.outcomes import State
from kiosk.ui.kiosk_screen.screen import KioskScreen
from kiosk.ui.staff.out_of_school import OutOfSchoolTab

from .test_console_flows import kiosk_scan


def hand_in_mode() -> dt.datetime:
    """The kiosk's clock (its mode follows it): 09:00 at school today, whenever the test
    runs; the records keep the real time."""
    today = dt.datetime.now(SCHOOL_ZONE).date()
    at = dt.datetime.combine(today, dt.time(9), SCHOOL_ZONE)
    return at.astimezone(dt.UTC).replace(tzinfo=None)


def events_of(sessions, pupil_id: int) -> list[tuple[str, int | None, str]]:
    with sessions() as s:
        rows = s.execute(
            select(AuditEvent.kind, AuditEvent.slot_number, AuditEvent.details)
            .where(AuditEvent.pupil_id == pupil_id, AuditEvent.kind != "card_issued")
            .order_by(AuditEvent.seq)
        )
        return [(kind, slot, details) for kind, slot, details in rows]


def test_an_early_leaver_released_at_the_console_scans_back_into_the_same_slot(
    qtbot, make_console, sessions, school, data_dir, tmp_path: Path
):
    leaver, other = school.pupil_ids[0], school.pupil_ids[1]
    config = Config(data_dir, "", "k", camera="", fullscreen=False)
    # at 09:00 whatever the time of day; each scan a new presentation of the card
    screen = KioskScreen(
        sessions, config, clock=hand_in_mode, monotonic=SteadyClock(), repeat_scan_seconds=0.0
    )
    qtbot.addWidget(screen)
    screen.show()
    assert kiosk_scan(qtbot, screen, school.card_texts[leaver]) is State.HANDED_IN
    slot = screen.result_page.slot.text()
    assert kiosk_scan(qtbot, screen, school.card_texts[other]) is State.HANDED_IN

    console = make_console()
    log_in(console, "office")
    tab = console.show_tab("Out of school")
    assert isinstance(tab, OutOfSchoolTab)
    console.handle_scan(school.card_texts[leaver])  # the pupil's card at the office
    settle()
    assert tab.count.text() == "1 pupil chosen"
    tab.reason.setCurrentIndex(tab.reason.findText("Appointment"))
    tab.note.setText("dentist")
    click(qtbot, tab.review)
    assert "(appointment)" in tab.confirm_box.question.text()
    click(qtbot, tab.confirm_box.yes)
    settle()
    assert tab.feedback.text().startswith("Recorded: 1 out, 1 devices")
    console.show_tab("Dashboard")
    settle()
    assert console.tab("Dashboard").day_line.text() == "1 out of school"

    # back from the dentist: one scan, the slot they left (still free: the other pupil's
    # phone went in the next one)
    assert kiosk_scan(qtbot, screen, school.card_texts[leaver]) is State.HANDED_IN
    assert screen.result_page.slot.text() == slot
    assert day_outs.still_out(sessions) == []
    dashboard = console.tab("Dashboard")
    dashboard.refresh()  # the tab is still the current one: loaded again by hand
    settle()
    assert "out of school" not in dashboard.day_line.text()

    kinds = [(kind, str(number)) for kind, number, _ in events_of(sessions, leaver)]
    assert kinds == [("hand_in", slot), ("released_for_day_out", slot), ("hand_in", slot)]
    back = events_of(sessions, leaver)[-1][2]
    assert '"back_from":"appointment"' in back.replace(" ", "")

    today = dt.datetime.now(SCHOOL_ZONE).date()
    log = tmp_path / "custody.csv"
    report = ExportRequest("custody", "csv", ReportFilter(today, today))
    run_export(sessions, school.actors["senior"], report, log)
    with log.open(encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["Slot"] == slot]
    assert [(r["Release reason"], r["Outcome"]) for r in rows] == [
        ("appointment: dentist", "Given back"),
        ("", "Held"),
    ]
