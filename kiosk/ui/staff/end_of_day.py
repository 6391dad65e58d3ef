"""End of day: everything still held, and for each one either give it back (Release tab)
or record that it stays overnight. Each "keep overnight" is its own recorded action."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from kiosk.config import Config
from kiosk.db import Database
from kiosk.services import console, day_outs, emergency, held_devices
from kiosk.services.console import Reconciliation
from kiosk.services.staff import StaffMember
from kiosk.ui.background import failure_words
from kiosk.ui.staff import models
from kiosk.ui.staff.common import ConsoleTab, attempt, heading_label, school_today
from kiosk.ui.staff.models import RowsModel, SearchProxy
from kiosk.ui.widgets.confirm_panel import ConfirmPanel


class EndOfDayTab(ConsoleTab):
    def __init__(self, sessions: Database, staff: StaffMember, config: Config) -> None:
        super().__init__(sessions, staff, config)
        self.report: Reconciliation | None = None
        self.summary = heading_label("")
        self.model = RowsModel(models.end_of_day_columns(school_today), models.held_search)
        self.proxy = SearchProxy(self.model)
        self.table = models.make_table(self.proxy)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why it stays (recorded), e.g. not collected at home time")
        self.keep_one = QPushButton("Keep selected overnight")
        self.keep_one.setProperty("role", "primary")
        self.keep_one.clicked.connect(self._keep_selected)
        self.keep_all = QPushButton("Keep all undecided overnight…")
        self.keep_all.clicked.connect(self._review_all)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        actions = QHBoxLayout()  # the reason gets a row of its own: it needs the words
        actions.addWidget(self.keep_one)
        actions.addWidget(self.keep_all)
        actions.addWidget(refresh)
        self.confirm_box = ConfirmPanel(
            "Yes, keep them all overnight", self._keep_all, role="primary", beside=True
        )
        hint = QLabel("Give devices back on the Release tab; keep the rest overnight here.")
        self.day_left = QLabel("")
        self.day_left.setWordWrap(True)
        self.day_left.setStyleSheet("font-weight: 700; color: #b45309;")
        self.day_left.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(hint)
        layout.addWidget(self.day_left)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.reason)
        layout.addLayout(actions)
        layout.addWidget(self.confirm_box)
        layout.addWidget(self.feedback)

    def refresh(self) -> None:
        attempt(
            self,
            self.feedback,
            "Loading the end-of-day list",
            lambda: console.end_of_day(self.sessions),
            self._show_report,
        )

    def _show_report(self, report: Reconciliation) -> None:
        self.report = report
        self.model.set_rows(report.devices)
        self.table.resizeColumnsToContents()
        held, kept = len(report.devices), report.kept
        if held == 0:
            self.summary.setText("Nothing is held. All done for today.")
        else:
            self.summary.setText(
                f"{held} still held: {kept} kept overnight, {held - kept} to decide."
            )
        self.keep_all.setEnabled(bool(report.undecided))
        self._show_day_left()

    def _show_day_left(self) -> None:
        """What the day left besides held devices: pupils still out, devices an emergency
        released that nobody has confirmed back (the reconciliation, also the day after)."""
        sessions = self.sessions
        attempt(
            self,
            self.feedback,
            "Loading who is out",
            lambda: (day_outs.still_out(sessions), emergency.not_given_back(sessions)),
            self._show_left,
        )

    def _show_left(self, left: tuple[Sequence[object], Sequence[object]]) -> None:
        out, not_back = left
        words = []
        if out:
            words.append(f"{len(out)} still out of school (Out of school tab)")
        if not_back:
            words.append(
                f"{len(not_back)} released in an emergency and never confirmed back (Emergency tab)"
            )
        self.day_left.setText("Also: " + "; ".join(words) + "." if words else "")
        self.day_left.setVisible(bool(words))

    def _keep_selected(self) -> None:
        device = models.selected_row(self.table, self.proxy)
        if device is None:
            self.feedback.error("Tap a device in the list first.")
            return
        sessions, actor, reason = self.sessions, self.staff.actor, self.reason.text()

        def kept(_: object) -> None:
            self.refresh()
            self.feedback.ok(
                f"Recorded: {device.pupil.display_name}'s device stays in slot "
                f"{device.slot_number} tonight."
            )

        attempt(
            self,
            self.feedback,
            "Keeping a device overnight",
            lambda: held_devices.keep_overnight(sessions, actor, device.custody_id, reason),
            kept,
        )

    def _review_all(self) -> None:
        if self.report is None or not self.report.undecided:
            return
        count = len(self.report.undecided)
        self.feedback.clear()
        self.confirm_box.ask(
            f"Record that all {count} undecided device{'s' if count != 1 else ''} "
            "stay overnight? Each is recorded separately, with your name."
        )

    def _keep_all(self) -> None:
        self.feedback.clear()
        if self.report is None:
            return
        undecided, reason = list(self.report.undecided), self.reason.text()
        sessions, actor = self.sessions, self.staff.actor

        def keep_each() -> tuple[int, str | None]:
            """Each device in turn; the first failure stops, and says why (what was
            recorded so far stays recorded)."""
            for done, device in enumerate(undecided):
                try:
                    held_devices.keep_overnight(sessions, actor, device.custody_id, reason)
                except Exception as error:
                    return done, failure_words(error, "Keeping a device overnight")
            return len(undecided), None

        attempt(self, self.feedback, "Keeping devices overnight", keep_each, self._kept_all)

    def _kept_all(self, outcome: tuple[int, str | None]) -> None:
        done, problem = outcome
        self.refresh()
        if problem is None:
            self.feedback.ok(f"Recorded: {done} device{'s' if done != 1 else ''} kept overnight.")
        else:
            self.feedback.error(f"{problem} ({done} recorded before this one.)")
