"""A pupil's devices: the usual set they hand in each morning (so the kiosk puts them all
in one slot with one scan), and what is held for them now, where some may go back while
the rest stays, with a reason (every device goes back together at home time)."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from kiosk.config import Config
from kiosk.db import Database
from kiosk.devices import DESCRIPTION_MAX, Device, DeviceKind, device, kinds_words
from kiosk.errors import InvalidInput
from kiosk.services import device_items
from kiosk.services.common import PupilSummary
from kiosk.services.device_items import HeldItem
from kiosk.services.staff import StaffMember
from kiosk.ui.staff.common import ConsoleTab, PupilHeader, attempt, side_panel
from kiosk.ui.staff.pupil_finder import PupilFinder, pupil_step
from kiosk.ui.style import TOUCH


def item_words(item: HeldItem) -> str:
    kind = kinds_words([item.kind])
    described = f"{kind} ({item.description})" if item.description else kind
    return f"{described}, slot {item.slot_number}"


class PupilDevicesTab(ConsoleTab):
    def __init__(self, sessions: Database, staff: StaffMember, config: Config) -> None:
        super().__init__(sessions, staff, config)
        self.pupil: PupilSummary | None = None
        self.finder = PupilFinder(sessions, self.feedback)
        self.finder.chosen.connect(self.show_pupil)
        self.header = PupilHeader(sessions)
        left = pupil_step(self.finder, self.header)
        right = QVBoxLayout()
        right.addWidget(QLabel("2. Usual devices (handed in with one scan each morning)"))
        right.addLayout(self._build_usual())
        right.addWidget(QLabel("Held now"))
        self.held = QListWidget()
        self.held.setStyleSheet(f"QListWidget::item {{ min-height: {TOUCH}px; }}")
        right.addWidget(self.held)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why only these go back now (recorded)")
        self.reason.setMaxLength(device_items.REASON_MAX)
        self.give_back = QPushButton("Give back the ticked devices only")
        self.give_back.clicked.connect(self._give_back_some)
        right.addWidget(self.reason)
        right.addWidget(self.give_back)
        right.addWidget(QLabel("Everything goes back together at home time or on Release."))
        right.addWidget(self.feedback)
        right.addStretch(1)
        self.form = side_panel(right, 480)
        layout = QHBoxLayout(self)
        layout.addWidget(side_panel(left, 380), 1)  # scrolls on a short screen
        layout.addWidget(self.form)
        self.show_pupil(None)

    def _build_usual(self) -> QGridLayout:
        grid = QGridLayout()
        self.kind_buttons: dict[DeviceKind, QPushButton] = {}
        self.descriptions: dict[DeviceKind, QLineEdit] = {}
        for row, kind in enumerate(DeviceKind):
            button = QPushButton(kind.words.capitalize())
            button.setCheckable(True)
            text = QLineEdit()
            text.setPlaceholderText("description (optional)")
            text.setMaxLength(DESCRIPTION_MAX)
            grid.addWidget(button, row, 0)
            grid.addWidget(text, row, 1)
            self.kind_buttons[kind], self.descriptions[kind] = button, text
        self.save = QPushButton("Save usual devices")
        self.save.setProperty("role", "primary")
        self.save.clicked.connect(self._save)
        grid.addWidget(self.save, len(DeviceKind), 0, 1, 2)
        return grid

    def handle_scan(self, text: str) -> None:
        self.finder.handle_scan(text)

    def show_pupil(self, pupil: PupilSummary | None) -> None:
        self.pupil = pupil
        self.header.show_pupil(pupil, "No pupil chosen")
        self.form.setEnabled(pupil is not None)
        if pupil is None:
            return
        self.feedback.clear()
        sessions = self.sessions
        attempt(
            self,
            self.feedback,
            "Loading the pupil's devices",
            lambda: device_items.usual_devices(sessions, pupil.id),
            partial(self._show_usual, pupil),
        )
        self.refresh()

    def _show_usual(self, pupil: PupilSummary, usual: tuple[Device, ...]) -> None:
        if self.pupil != pupil:
            return  # another pupil was chosen meanwhile
        by_kind = {d.kind: d for d in usual}
        for kind, button in self.kind_buttons.items():
            button.setChecked(kind in by_kind)
            self.descriptions[kind].setText(by_kind[kind].description if kind in by_kind else "")

    def refresh(self) -> None:
        pupil = self.pupil
        if pupil is None:
            return
        sessions = self.sessions
        attempt(
            self,
            self.feedback,
            "Loading what is held",
            lambda: device_items.held_items(sessions, pupil.id),
            partial(self._show_held, pupil),
        )

    def _show_held(self, pupil: PupilSummary, held: tuple[HeldItem, ...]) -> None:
        if self.pupil != pupil:
            return  # another pupil was chosen meanwhile
        self.held.clear()
        for item in held:
            row = QListWidgetItem(item_words(item))
            row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            row.setCheckState(Qt.CheckState.Unchecked)
            row.setData(Qt.ItemDataRole.UserRole, item.id)
            self.held.addItem(row)
        if not held:
            self.held.addItem(QListWidgetItem("Nothing held for this pupil now."))
        self.give_back.setEnabled(len(held) > 1)

    def _save(self) -> None:
        pupil = self.pupil
        if pupil is None:
            return
        try:
            chosen = [
                device(kind.value, self.descriptions[kind].text())
                for kind, button in self.kind_buttons.items()
                if button.isChecked()
            ]
        except InvalidInput as error:
            self.feedback.error(error.message)
            return
        sessions, actor = self.sessions, self.staff.actor

        def saved(devices: tuple[Device, ...]) -> None:
            words = ", ".join(d.words for d in devices)
            self.feedback.ok(f"Saved: {pupil.forename} hands in {words} each morning.")

        attempt(
            self,
            self.feedback,
            "Saving the usual devices",
            lambda: device_items.set_usual_devices(sessions, actor, pupil.id, chosen),
            saved,
        )

    def ticked(self) -> list[int]:
        return [
            int(row.data(Qt.ItemDataRole.UserRole))
            for index in range(self.held.count())
            if (row := self.held.item(index)).checkState() == Qt.CheckState.Checked
        ]

    def _give_back_some(self) -> None:
        pupil, ticked = self.pupil, self.ticked()
        if pupil is None or not ticked:
            self.feedback.error("Tick the devices that go back now.")
            return
        sessions, actor, reason = self.sessions, self.staff.actor, self.reason.text()

        def given(left: tuple[HeldItem, ...]) -> None:
            self.reason.clear()
            self.refresh()
            stays = "; ".join(item_words(i) for i in left)
            self.feedback.ok(f"Recorded. Still held: {stays}.")

        attempt(
            self,
            self.feedback,
            "Giving back some devices",
            lambda: device_items.give_back_some(sessions, actor, pupil.id, ticked, reason),
            given,
        )
