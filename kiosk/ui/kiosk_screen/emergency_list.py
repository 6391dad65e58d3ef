"""The emergency list from the kiosk's Staff menu, for a fire marshal: after a staff PIN, one
tap prints every device held (pupil, form, slot). It is the staff console's list, PDF and
audit event (``kiosk.printing.emergency.save_held_list``), so the service decides who may
have it (a senior member of staff or an admin) and records that they did.

The list goes straight to the kiosk's printer (``kiosk.ui.printer``): no PDF viewer opens
on this screen, which faces the pupils' queue. What the screen shows names no pupil: how
many devices and pupils, the printer, and the file's name (made of the time only).

``EmergencyDesk`` is a part of ``KioskScreen`` (a mixin), like ``StaffDesk``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk import db_limits
from kiosk.config import Config
from kiosk.db import Database
from kiosk.services.emergency import EmergencyList
from kiosk.services.staff import StaffMember
from kiosk.ui.background import Failure, Lane, Op
from kiosk.ui.kiosk_screen.jobs import Answer
from kiosk.ui.kiosk_screen.outcomes import Outcome, State, Tone
from kiosk.ui.kiosk_screen.staff_page import StaffPage

if TYPE_CHECKING:
    from PySide6.QtPrintSupport import QPrinter

SHOWN_SECONDS = 30  # long enough to read, then the pupil screen returns
PrinterSource = Callable[[], "QPrinter | None"]


def kiosk_printer() -> QPrinter | None:
    """The computer's default printer (``kiosk.ui.printer``, with Qt's printing and PDF
    modules: loaded at the first emergency list, not at every start)."""
    from kiosk.ui.printer import default_printer

    return default_printer()


def _counted(listing: EmergencyList) -> str:
    devices, pupils = listing.device_count, listing.pupils
    return (
        f"{devices} device{'' if devices == 1 else 's'} of "
        f"{pupils} pupil{'' if pupils == 1 else 's'}"
    )


def printed_outcome(listing: EmergencyList, pages: int, printer: str, path: Path) -> Outcome:
    message = (
        f"{_counted(listing)} on {pages} page{'' if pages == 1 else 's'}, sent to {printer}."
        f" Also saved as {path.name}."
    )
    return Outcome(
        State.EMERGENCY_LIST, Tone.SUCCESS, "Emergency list printed", message, seconds=SHOWN_SECONDS
    )


def not_printed_outcome(listing: EmergencyList, why: str, path: Path) -> Outcome:
    message = (
        f"{why} The list ({_counted(listing)}) is saved as {path.name} in the kiosk's export"
        " folder: print it from there or from the staff console's Emergency tab."
    )
    return Outcome(
        State.EMERGENCY_LIST,
        Tone.WARNING,
        "Emergency list saved, not printed",
        message,
        seconds=SHOWN_SECONDS,
    )


PRINTING = Outcome(
    State.EMERGENCY_LIST,
    Tone.INFO,
    "Emergency list",
    "Printing the list of every device held…",
    seconds=SHOWN_SECONDS,
)


def emergency_list_job(
    sessions: Database, member: StaffMember, folder: Path, printer: PrinterSource
) -> Answer:
    """The list saved (and recorded) as the console's button does, then printed."""
    # Imported here: the PDF library costs the kiosk's start a quarter of a second of CPU,
    # and the list is only asked for in an emergency.
    from kiosk.printing import emergency as emergency_pdf
    from kiosk.ui.printer import PrintFailed, print_pdf, printer_name

    with db_limits.deadline(sessions.limits.job_s):
        listing, path = emergency_pdf.save_held_list(sessions, member.actor, folder)
    target = printer()
    if target is None:
        return Answer(not_printed_outcome(listing, "No printer is set up on this kiosk.", path))
    try:
        pages = print_pdf(path, target)
    except PrintFailed as failed:
        return Answer(not_printed_outcome(listing, failed.message, path))
    return Answer(printed_outcome(listing, pages, printer_name(target), path))


class EmergencyDesk:
    sessions: Database
    config: Config
    lane: Lane
    # where the list is printed: the computer's default printer (tests: a PDF file)
    emergency_printer: PrinterSource = staticmethod(kiosk_printer)

    if TYPE_CHECKING:

        @property
        def staff_page(self) -> StaffPage: ...  # StaffDesk's

    def show_answer(self, answer: Answer, *, sound: bool = True) -> None:
        raise NotImplementedError

    def _failed(self, failure: Failure) -> None:
        raise NotImplementedError

    def print_emergency_list(self, member: StaffMember) -> None:
        """Run after ``member`` typed their PIN at the Staff menu's emergency button."""
        self.show_answer(Answer(PRINTING), sound=False)
        job = partial(
            emergency_list_job,
            self.sessions,
            member,
            self.config.export_dir,
            self.emergency_printer,
        )
        Op(self.staff_page, "Printing the emergency list", job).success(self.show_answer).failure(
            self._failed
        ).run(self.lane)
