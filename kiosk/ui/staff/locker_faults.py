"""Locker faults for staff: a door left open or jammed, a slot occupied that the records
call free, a hand-in declared but not deposited, a board not answering. The kiosk's door
monitor records them; these widgets read them from the records every two seconds, so a
fault shows at once on any console: a one-line banner on the dashboard (tap it for the
list), and the Lockers tab where staff say what they did and mark each one dealt with."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kiosk.clock import to_local
from kiosk.db import Database
from kiosk.rules import Action, may
from kiosk.services.lockers import faults
from kiosk.services.lockers.bank import LockerBank
from kiosk.services.lockers.emergency import EmergencyResult, emergency_open_all
from kiosk.services.lockers.faults import FaultInfo
from kiosk.services.staff import StaffMember
from kiosk.ui.background import Op
from kiosk.ui.staff.common import Feedback, warning_row
from kiosk.ui.style import RED

REFRESH_MS = 2000


def _faults_read_by(widget: QWidget, sessions: Database, show: object) -> QTimer:
    """Read the open faults now and every REFRESH_MS while ``widget`` lives."""

    def read() -> None:
        Op(widget, "Reading the locker faults", partial(faults.open_faults, sessions)).success(
            show  # type: ignore[arg-type]
        ).run()

    timer = QTimer(widget)
    timer.timeout.connect(read)
    timer.start(REFRESH_MS)
    read()
    return timer


class LockerFaultsBanner(QPushButton):
    """One red line on the dashboard while any locker fault is open; hidden otherwise."""

    def __init__(self, sessions: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shown: list[FaultInfo] = []
        self.setStyleSheet(
            f"QPushButton {{ color: white; background: {RED}; font-size: 17px;"
            " font-weight: 800; text-align: left; padding: 6px 12px; }"
        )
        self.setVisible(False)
        self.timer = _faults_read_by(self, sessions, self._show)

    def _show(self, found: list[FaultInfo]) -> None:
        self.shown = found
        self.setVisible(bool(found))
        if found:
            latest = found[-1].message
            self.setText(f"Locker faults ({len(found)}): {latest}  ›")
            self.setAccessibleName(f"{len(found)} locker faults: tap to see and deal with them")


class LockerFaultsTab(QWidget):
    """Every open locker fault, oldest first, each with "Dealt with"; for an admin on a
    kiosk with locker doors, the emergency release of every door."""

    def __init__(
        self,
        sessions: Database,
        staff: StaffMember,
        bank: LockerBank | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.sessions, self.staff, self.bank = sessions, staff, bank
        self.shown: list[FaultInfo] = []
        heading = QLabel("Locker faults")
        heading.setStyleSheet("font-size: 24px; font-weight: 800;")
        self.empty = QLabel("No open locker faults: every door is where the records say.")
        self.rows = QVBoxLayout()
        body = QWidget()
        column = QVBoxLayout(body)
        column.addWidget(self.empty)
        column.addLayout(self.rows)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.note = QLineEdit()
        self.note.setPlaceholderText("What was done about it (needed to mark one dealt with)")
        self.feedback = Feedback(collapsible=True)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.feedback)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why every door must open (e.g. fire alarm)")
        self.open_all = QPushButton("Open every locker door (emergency)")
        self.open_all.setStyleSheet(f"QPushButton {{ color: white; background: {RED}; }}")
        self.open_all.clicked.connect(self.emergency)
        emergency = QHBoxLayout()
        emergency.addWidget(self.reason, 1)
        emergency.addWidget(self.open_all)
        layout.addLayout(emergency)
        admin = bank is not None and may(staff.role, Action.OPEN_ALL_LOCKERS)
        self.reason.setVisible(admin)
        self.open_all.setVisible(admin)
        self.timer = _faults_read_by(self, sessions, self._show)

    def emergency(self) -> None:
        reason, bank = self.reason.text().strip(), self.bank
        if bank is None:
            return
        if not reason:
            self.feedback.error("Give the reason first: it is recorded with the release.")
            return
        job = partial(emergency_open_all, self.sessions, bank, self.staff.actor, reason)
        Op(self, "Opening every locker door", job).success(self._opened_all).failure(
            lambda failure: self.feedback.error(failure.words)
        ).run()

    def _opened_all(self, result: EmergencyResult) -> None:
        self.reason.clear()
        failed = [f"cabinet {c} board {b}" for c, b, _error in result.boards_failed]
        if failed:
            self.feedback.error(f"Opened {result.doors} doors except {', '.join(failed)}.")
        else:
            self.feedback.ok(f"Every door is open ({result.doors}). Recorded.")

    def _show(self, found: list[FaultInfo]) -> None:
        if [f.id for f in found] == [f.id for f in self.shown]:
            return
        self.shown = found
        while self.rows.count():
            item = self.rows.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for fault in found:
            self.rows.addWidget(self._row(fault))
        self.empty.setVisible(not found)

    def _row(self, fault: FaultInfo) -> QWidget:
        done = QPushButton("Dealt with")
        done.setAccessibleName(f"Dealt with: {fault.message}")
        done.clicked.connect(partial(self.clear, fault.id))
        return warning_row(f"{to_local(fault.raised_at):%H:%M}  {fault.message}", RED, done)

    def clear(self, fault_id: int) -> None:
        note = self.note.text().strip()
        if not note:
            self.feedback.error("Say what was done about it first.")
            return
        job = partial(faults.clear, self.sessions, self.staff.actor, fault_id, note)
        Op(self, "Marking a locker fault dealt with", job).success(self._cleared).failure(
            lambda failure: self.feedback.error(failure.words)
        ).run()

    def _cleared(self, _result: None) -> None:
        self.note.clear()
        self.feedback.ok("Marked as dealt with.")
        Op(self, "Reading the locker faults", partial(faults.open_faults, self.sessions)).success(
            self._show
        ).run()
