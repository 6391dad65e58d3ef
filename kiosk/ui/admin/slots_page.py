"""Slots: the list (cabinet, in service, reserved, what each holds), changes to a range of
numbers (add, cabinet, reserve for confiscations, remove), and taking one slot out of
service or back."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
)

from kiosk.db import Database
from kiosk.services import slot_admin, slots
from kiosk.services.slot_admin import SlotRow
from kiosk.services.staff import StaffMember
from kiosk.ui.admin.common import AdminPage, button, selected, title, touch
from kiosk.ui.staff.common import attempt
from kiosk.ui.staff.models import Column, RowsModel, make_table
from kiosk.ui.style import GREY, RED


def _holding(row: SlotRow) -> str:
    return {"daily": "Phone (today)", "confiscation": "Confiscated device"}.get(
        row.holding or "", ""
    )


SLOT_COLUMNS = [
    Column("Slot", lambda r: str(r.number), numeric=True),
    Column("Cabinet", lambda r: r.cabinet),
    Column("In use", lambda r: "Yes" if r.in_service else "OUT"),
    Column("Kept for", lambda r: "Confiscations" if r.reserved_for_confiscation else "Daily"),
    Column("Holds", _holding),
]


class SlotsPage(AdminPage):
    def __init__(self, sessions: Database, staff: StaffMember) -> None:
        super().__init__(sessions, staff)
        self.model = RowsModel(SLOT_COLUMNS, colour=lambda r: None if r.in_service else RED)
        self.view = make_table(self.model, row_height=44, compact=True)

        self.first, self.last = QSpinBox(), QSpinBox()
        for box in (self.first, self.last):
            box.setRange(1, 9999)
            touch(box)
        self.cabinet = QLineEdit("A")
        self.cabinet.setMaxLength(slot_admin.CABINET_MAX)
        touch(self.cabinet)
        range_row = QHBoxLayout()
        for words, box in (("From", self.first), ("to", self.last)):
            range_row.addWidget(QLabel(words))
            range_row.addWidget(box, 1)
        cabinet_row = QHBoxLayout()
        cabinet_row.addWidget(QLabel("Cabinet"))
        cabinet_row.addWidget(self.cabinet, 1)
        actions = QGridLayout()
        self.add_button = button("Add", "primary", self.add)
        self.cabinet_button = button("Set cabinet", on_click=self.set_cabinet)
        self.remove_button = button("Remove", "danger", self.remove)
        self.reserve_button = button("Confiscations", on_click=lambda: self.reserve(True))
        self.unreserve_button = button("Daily use", on_click=lambda: self.reserve(False))
        actions.addWidget(self.add_button, 0, 0)
        actions.addWidget(self.cabinet_button, 0, 1)
        actions.addWidget(self.remove_button, 0, 2)
        actions.addWidget(QLabel("Keep for:"), 1, 0)
        actions.addWidget(self.reserve_button, 1, 1)
        actions.addWidget(self.unreserve_button, 1, 2)
        range_box = QGroupBox("A range of slots")
        range_layout = QVBoxLayout(range_box)
        range_layout.addLayout(range_row)
        range_layout.addLayout(cabinet_row)
        range_layout.addLayout(actions)

        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why it is out of service (e.g. lock broken)")
        touch(self.reason)
        self.out_button = button("Out of service", "danger", lambda: self.set_service(False))
        self.in_button = button("In service", on_click=lambda: self.set_service(True))
        one_box = QGroupBox("The slot chosen in the list")
        one_layout = QGridLayout(one_box)
        one_layout.addWidget(self.reason, 0, 0, 1, 2)
        one_layout.addWidget(self.out_button, 1, 0)
        one_layout.addWidget(self.in_button, 1, 1)

        right = QVBoxLayout()
        right.addWidget(range_box)
        right.addWidget(one_box)
        right.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.view, 1)
        body.addLayout(right, 1)
        self.count_label = title("")
        self.count_label.setStyleSheet(f"color: {GREY};")
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        head.addWidget(title("Slots"))
        head.addStretch(1)
        head.addWidget(self.count_label)
        layout.addLayout(head)
        layout.addWidget(self.feedback)
        layout.addLayout(body, 1)
        self.reload()

    def reload(self) -> None:
        attempt(
            self,
            self.feedback,
            "Loading slots",
            lambda: slot_admin.list_slot_rows(self.sessions),
            self._show_rows,
        )

    def _show_rows(self, rows: list[SlotRow]) -> None:
        self.model.set_rows(rows)
        in_service = sum(1 for r in rows if r.in_service)
        self.count_label.setText(f"{len(rows)} slots, {in_service} in service")
        self.count_label.setStyleSheet(f"color: {GREY}; font-size: 20px;")
        if rows and self.first.value() == 1 and self.last.value() == 1:
            top = max(r.number for r in rows)
            self.first.setValue(top + 1)
            self.last.setValue(top + 10)

    def _range(self) -> tuple[int, int]:
        return self.first.value(), self.last.value()

    def _do(self, what: str, action: Callable[[], str]) -> None:
        def done(words: str) -> None:
            if words:
                self.feedback.ok(words)
                self.reload()

        attempt(self, self.feedback, what, action, done)

    def add(self) -> None:
        first, last = self._range()
        cabinet = self.cabinet.text()

        def run() -> str:
            added = slots.add_slots(self.sessions, self.staff.actor, first, last, cabinet)
            existing = last - first + 1 - added
            return f"Added {added} slots" + (f" ({existing} already existed)." if existing else ".")

        self._do("Adding slots", run)

    def set_cabinet(self) -> None:
        first, last = self._range()
        cabinet = self.cabinet.text()

        def run() -> str:
            count = slot_admin.set_cabinet(self.sessions, self.staff.actor, first, last, cabinet)
            return f"{count} slots are now in cabinet {' '.join(cabinet.split())}."

        self._do("Setting a cabinet", run)

    def reserve(self, reserved: bool) -> None:
        first, last = self._range()

        def run() -> str:
            count = slot_admin.set_reserved_range(
                self.sessions, self.staff.actor, first, last, reserved
            )
            use = "kept for confiscations" if reserved else "used for daily hand-ins"
            return f"{count} slots are now {use}."

        self._do("Reserving slots", run)

    def remove(self) -> None:
        first, last = self._range()
        if not self.confirm(
            self,
            "Remove slots",
            f"Remove slots {first} to {last}? Slots that have held a device are kept for the "
            "records and taken out of service instead.",
        ):
            return

        def run() -> str:
            removed = slot_admin.remove_slots(self.sessions, self.staff.actor, first, last)
            return (
                f"Removed {removed.removed} slots; {removed.retired} that were used before "
                "are out of service."
            )

        self._do("Removing slots", run)

    def set_service(self, in_service: bool) -> None:
        row: SlotRow | None = selected(self.view, self.model)
        if row is None:
            self.feedback.error("Choose a slot in the list first.")
            return
        reason = self.reason.text()

        def run() -> str:
            slots.set_in_service(self.sessions, self.staff.actor, row.number, in_service, reason)
            return f"Slot {row.number} is {'back in' if in_service else 'out of'} service."

        self._do("Changing a slot", run)
        if not self.feedback.is_error:
            self.reason.clear()
