"""Slot labels: big numbers with a small QR code each, for 21-to-a-sheet A4 labels."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QSpinBox

from kiosk.config import Config
from kiosk.db import Database
from kiosk.printing import labels
from kiosk.services import slot_labels, slots
from kiosk.services.slot_labels import SlotLabel
from kiosk.services.staff import StaffMember
from kiosk.ui.admin.common import AdminPage, Jobs, button, export_path, touch
from kiosk.ui.staff.common import attempt
from kiosk.ui.widgets.document_bar import DocumentBar


class LabelsPage(AdminPage):
    def __init__(self, sessions: Database, staff: StaffMember, config: Config) -> None:
        super().__init__(sessions, staff)
        self.config = config
        self.first = QSpinBox()
        self.last = QSpinBox()
        for box in (self.first, self.last):
            box.setRange(1, 9999)
            touch(box)
        self.make_button = button("Make labels PDF", "primary", self.make_pdf)
        self.saved = DocumentBar(full_path=True)
        self.jobs = Jobs(self.feedback, [self.make_button])
        form = QFormLayout()
        form.addRow("From slot", self.first)
        form.addRow("To slot", self.last)
        row = QHBoxLayout()
        row.addLayout(form)
        row.addStretch(1)
        row.addWidget(self.make_button)
        layout = self.headed(
            "Slot labels",
            "One label per slot: its number, large, with the cabinet and a small QR code. "
            "Print on A4 sheets of 21 labels (63.5 x 38.1 mm, Avery L7160 or similar) at "
            "actual size, not 'fit to page'.",
        )
        layout.addLayout(row)
        layout.addWidget(self.feedback)
        layout.addWidget(self.saved)
        layout.addStretch(1)
        self.reload()

    def reload(self) -> None:
        attempt(
            self,
            self.feedback,
            "Loading slots",
            lambda: [s.number for s in slots.list_slots(self.sessions)],
            self._show_range,
        )

    def _show_range(self, numbers: list[int]) -> None:
        if numbers:
            self.first.setValue(min(numbers))
            self.last.setValue(max(numbers))

    def make_pdf(self) -> None:
        first, last = self.first.value(), self.last.value()
        if first > last:
            self.feedback.error("The first slot comes before the last.")
            return
        out = export_path(self.config, f"slot-labels-{first}-{last}")
        sessions, actor = self.sessions, self.staff.actor

        def make_labels() -> tuple[list[SlotLabel], int]:
            chosen = slot_labels.prepare_labels(sessions, actor, first, last)
            return chosen, labels.write_label_sheet(chosen, out)

        self.saved.setVisible(False)
        self.jobs.start(
            "Printing labels",
            "Making the labels…",
            make_labels,
            lambda made: self._printed(out, *made),
        )

    def _printed(self, path: Path, chosen: list[SlotLabel], pages: int) -> None:
        self.feedback.ok(f"{len(chosen)} labels on {pages} sheet(s).")
        self.saved.show_path(path)
