"""Emergency (senior staff and admins): every device held, at once, and printed in one tap
for a fire marshal; "all devices released in an emergency" recorded in one action with a
reason; afterwards, the devices nobody has yet confirmed are back with their pupil."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.config import Config
from kiosk.db import Database
from kiosk.devices import kinds_words
from kiosk.printing import emergency as emergency_pdf
from kiosk.services import emergency
from kiosk.services.emergency import ListedDevice
from kiosk.services.staff import StaffMember
from kiosk.ui.staff import models
from kiosk.ui.staff.common import ConsoleTab, attempt, heading_label, when_text
from kiosk.ui.staff.models import Column, RowsModel, SearchProxy
from kiosk.ui.widgets.confirm_panel import ConfirmPanel
from kiosk.ui.widgets.document_bar import DocumentBar, open_document


def listed_columns(since: str) -> list[Column]:
    return [
        *models.pupil_columns(lambda d: d.pupil),
        Column(
            "Slot", lambda d: "" if d.slot_number is None else str(d.slot_number),
            lambda d: d.slot_number or 0, True,
        ),
        Column("Devices", lambda d: kinds_words(d.kinds)),
        Column("", lambda d: "Confiscated: stays" if d.confiscated else ""),
        Column(since, lambda d: when_text(d.since), lambda d: d.since),
    ]  # fmt: skip


class EmergencyTab(ConsoleTab):
    def __init__(self, sessions: Database, staff: StaffMember, config: Config) -> None:
        super().__init__(sessions, staff, config)
        self.pages = QTabWidget()
        self.pages.addTab(self._build_held(), "Every device held")
        self.pages.addTab(self._build_not_back(), "Not confirmed back")
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.feedback)
        self.listing: emergency.EmergencyList | None = None

    def _build_held(self) -> QWidget:
        self.print_button = QPushButton("Print the list for the fire marshal")
        self.print_button.setProperty("role", "primary")
        self.print_button.clicked.connect(self.print_list)
        self.summary = heading_label("")
        self.held_model = RowsModel(listed_columns("Since"), lambda d: models.pupil_search(d.pupil))
        self.held_proxy = SearchProxy(self.held_model)
        self.held_table = models.make_table(self.held_proxy, compact=True)
        self.saved = DocumentBar("List saved", full_path=True)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("What happened, e.g. fire alarm: evacuation at 11:05")
        self.reason.setMaxLength(emergency.REASON_MAX)
        self.release = QPushButton("All devices released in an emergency…")
        self.release.setProperty("role", "danger")
        self.release.clicked.connect(self._review)
        self.confirm_box = ConfirmPanel("Yes, record it", self._release_all, beside=True)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.print_button)
        release_row = QHBoxLayout()
        release_row.addWidget(self.reason, 1)
        release_row.addWidget(self.release)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(self.saved)
        layout.addWidget(self.held_table, 1)
        layout.addLayout(release_row)
        layout.addWidget(self.confirm_box)
        return page

    def _build_not_back(self) -> QWidget:
        self.not_back_summary = heading_label("")
        self.not_back_model = RowsModel(
            listed_columns("Released"), lambda d: models.pupil_search(d.pupil)
        )
        self.not_back_proxy = SearchProxy(self.not_back_model)
        self.not_back_table = models.make_table(self.not_back_proxy, compact=True)
        self.not_back_table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        self.confirm_back = QPushButton("Confirm the selected pupils have them back")
        self.confirm_back.setProperty("role", "primary")
        self.confirm_back.clicked.connect(self._confirm_back)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self.not_back_summary)
        layout.addWidget(self.not_back_table, 1)
        layout.addWidget(self.confirm_back)
        return page

    # -- the list

    def refresh(self) -> None:
        sessions, actor = self.sessions, self.staff.actor
        attempt(
            self,
            self.feedback,
            "Loading every device held",
            lambda: emergency.held_list(sessions, actor),
            self._show_listing,
        )
        attempt(
            self,
            self.feedback,
            "Loading the reconciliation",
            lambda: emergency.not_given_back(sessions),
            self._show_not_back,
        )

    def _show_listing(self, listing: emergency.EmergencyList) -> None:
        self.listing = listing
        self.held_model.set_rows(listing.devices)
        self.summary.setText(f"{listing.device_count} devices held, of {listing.pupils} pupils")

    def _show_not_back(self, left: list[ListedDevice]) -> None:
        self.not_back_model.set_rows(left)
        self.not_back_summary.setText(
            f"{len(left)} released in an emergency and not yet confirmed back"
            if left
            else "Every device released in an emergency is confirmed back."
        )
        self.pages.setTabText(1, f"Not confirmed back ({len(left)})")

    def print_list(self) -> None:
        """One tap: the list as it is now (read again in the same job), saved as PDF and
        opened for printing; ``saved.path`` is the file once it is saved."""
        sessions, actor, folder = self.sessions, self.staff.actor, self.config.export_dir
        save = partial(emergency_pdf.save_held_list, sessions, actor, folder)
        attempt(self, self.feedback, "Saving the list", save, self._printed)

    def _printed(self, done: tuple[emergency.EmergencyList, Path]) -> None:
        listing, path = done
        self._show_listing(listing)
        self.saved.show_path(path)
        open_document(path)

    # -- releasing all

    def _review(self) -> None:
        if not self.reason.text().strip():
            self.feedback.error("Say what the emergency is first.")
            return
        count = sum(1 for d in self.listing.devices if not d.confiscated) if self.listing else 0
        self.confirm_box.ask(
            f"Record that all {count} daily devices left their slots in an emergency? "
            "Confiscated devices stay with staff. Each pupil's device is then confirmed back "
            "on the next page."
        )

    def _release_all(self) -> None:
        sessions, actor, reason = self.sessions, self.staff.actor, self.reason.text()

        def released(count: int) -> None:
            self.reason.clear()
            self.refresh()
            self.feedback.ok(f"Recorded: {count} devices released in an emergency.")

        attempt(
            self,
            self.feedback,
            "Recording the emergency release",
            lambda: emergency.release_all(sessions, actor, reason),
            released,
        )

    def _confirm_back(self) -> None:
        rows = self.not_back_table.selectionModel().selectedRows()
        chosen = [self.not_back_proxy.row_at(r.row()) for r in rows]
        ids = [d.custody_id for d in chosen if isinstance(d, ListedDevice)]
        if not ids:
            self.feedback.error("Tap the pupils who have their devices back.")
            return
        sessions, actor = self.sessions, self.staff.actor

        def confirmed(done: int) -> None:
            self.refresh()
            self.feedback.ok(f"Recorded: {done} back with their pupils.")

        attempt(
            self,
            self.feedback,
            "Confirming devices back",
            lambda: emergency.confirm_given_back(sessions, actor, ids),
            confirmed,
        )
