"""Locker faults on the staff dashboard: a door left open or jammed, a slot occupied that
the records call free, a hand-in declared but not deposited, a board not answering. Read
from the records every two seconds (the kiosk's door monitor writes them), so a fault
shows at once on any kiosk's console; staff say what they did and mark it dealt with."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from kiosk.clock import to_local
from kiosk.db import Sessions
from kiosk.services.lockers import faults
from kiosk.services.lockers.faults import FaultInfo
from kiosk.services.staff import StaffMember
from kiosk.ui.background import Op
from kiosk.ui.staff.common import Feedback
from kiosk.ui.style import RED

REFRESH_MS = 2000


class LockerFaultsPanel(QWidget):
    """Hidden while there is no open fault."""

    def __init__(
        self, sessions: Sessions, staff: StaffMember, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.sessions, self.staff = sessions, staff
        self.shown: list[FaultInfo] = []
        self.heading = QLabel("Locker faults")
        self.heading.setStyleSheet(f"font-size: 20px; font-weight: 800; color: {RED};")
        self.rows = QVBoxLayout()
        self.note = QLineEdit()
        self.note.setPlaceholderText("What was done about it (needed to mark one dealt with)")
        self.feedback = Feedback(collapsible=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.addWidget(self.heading)
        layout.addLayout(self.rows)
        layout.addWidget(self.note)
        layout.addWidget(self.feedback)
        self.setStyleSheet(f"LockerFaultsPanel {{ border: 3px solid {RED}; }}")
        self.setVisible(False)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(REFRESH_MS)
        self.refresh()

    def refresh(self) -> None:
        Op(self, "Reading the locker faults", partial(faults.open_faults, self.sessions)).success(
            self._show
        ).run()

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
        self.setVisible(bool(found))

    def _row(self, fault: FaultInfo) -> QWidget:
        row = QWidget()
        words = QLabel(f"{to_local(fault.raised_at):%H:%M}  {fault.message}")
        words.setWordWrap(True)
        words.setStyleSheet("font-size: 16px; font-weight: 600;")
        done = QPushButton("Dealt with")
        done.setAccessibleName(f"Dealt with: {fault.message}")
        done.clicked.connect(partial(self.clear, fault.id))
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(words, 1)
        layout.addWidget(done)
        return row

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
        self.refresh()
