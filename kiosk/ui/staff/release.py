"""Release at home time: scan the pupil's card (or tap their row, or type their name or
admission number), check the photo, give the daily hand-in back; a confiscated device goes
only to a parent or carer whose ID was seen (one of the pupil's contacts, or someone a
senior member of staff authorises: ``release_parent``), with a printable receipt."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QFrame, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from kiosk.config import Config
from kiosk.db import Database
from kiosk.rules import Action, may
from kiosk.services import console, custody, pupils
from kiosk.services.audit import Actor
from kiosk.services.common import PupilSummary
from kiosk.services.console import HeldDevice
from kiosk.services.lockers import doors
from kiosk.services.lockers.bank import LockerBank
from kiosk.services.staff import StaffMember
from kiosk.ui.background import log_failure
from kiosk.ui.staff import models
from kiosk.ui.staff.common import (
    ConsoleTab,
    PupilHeader,
    attempt,
    load_held,
    read_card,
    save_receipt,
    school_today,
    when_text,
)
from kiosk.ui.staff.models import RowsModel, SearchProxy
from kiosk.ui.staff.release_parent import ParentReleaseForm
from kiosk.ui.widgets.document_bar import DocumentBar

DSL_ONLY = "Referred to the DSL: a senior member of staff must release this device."


class ReleaseTab(ConsoleTab):
    def __init__(self, sessions: Database, staff: StaffMember, config: Config) -> None:
        super().__init__(sessions, staff, config)
        self.bank: LockerBank | None = None  # the kiosk's locker doors, set by the console
        self.device: HeldDevice | None = None  # the confiscation being released
        self.collect_buttons: dict[int, QPushButton] = {}
        self.release_buttons: dict[int, QPushButton] = {}

        self.search = QLineEdit()
        self.search.setPlaceholderText("Scan a card, or type a name, form or admission number")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._find_typed)
        self.model = RowsModel(models.compact_held_columns(school_today), models.held_search)
        self.proxy = SearchProxy(self.model)
        self.table = models.make_table(self.proxy, compact=True)
        self.table.clicked.connect(self._row_tapped)
        left = QVBoxLayout()
        left.addWidget(QLabel("Devices held: tap a row, or scan the pupil's card"))
        left.addWidget(self.search)
        left.addWidget(self.table, 1)

        self.header = PupilHeader(sessions)
        self.items = QWidget()
        self.items_box = QVBoxLayout(self.items)
        self.items_box.setContentsMargins(0, 0, 0, 0)
        self.parent_form = ParentReleaseForm(
            sessions, staff, config, self.feedback, self._door_after_release, self._released
        )
        self.parent_form.cancel.clicked.connect(lambda: self._show_parent_form(False))
        self.parent_form.setVisible(False)
        self.receipt = DocumentBar("Receipt saved")
        self.print_button = QPushButton("Print receipt")
        self.print_button.setProperty("role", "primary")
        self.print_button.setVisible(False)
        self.print_button.clicked.connect(self._print_receipt)
        self.released_id: int | None = None
        right = QVBoxLayout()
        right.addWidget(self.header)
        right.addWidget(self.items)
        right.addWidget(self.parent_form)
        right.addWidget(self.feedback)
        right.addWidget(self.print_button)
        right.addWidget(self.receipt)
        self.lay_out(left, right, 520)
        self.header.show_pupil(None, "Scan a card or tap a row")

    # -- finding the pupil

    def refresh(self) -> None:
        load_held(self, self.feedback, self.sessions, self._show_rows)
        if self.header.pupil is not None:
            self._show_items(self.header.pupil)

    def _show_rows(self, rows: list[HeldDevice]) -> None:
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()

    def _filter(self, text: str) -> None:
        self.proxy.set_search(text)

    def handle_scan(self, text: str) -> None:
        """A card scanned by the USB scanner or camera while this tab is showing."""
        read_card(self, self.feedback, self.sessions, text, self._scanned)

    def _scanned(self, pupil: PupilSummary) -> None:
        self.search.clear()
        self.show_pupil(pupil)

    def _find_typed(self) -> None:
        text = self.search.text().strip()
        if not text:
            return
        visible = {d.pupil.id: d.pupil for d in self.proxy.visible_rows()}
        if len(visible) == 1:
            self.show_pupil(next(iter(visible.values())))
            return
        attempt(
            self,
            self.feedback,
            "Finding a pupil",
            lambda: pupils.find(self.sessions, text),
            self._found,
        )

    def _found(self, found: list[PupilSummary]) -> None:
        if len(found) == 1:
            self.show_pupil(found[0])
        elif not found:
            self.feedback.error("No pupil matches that. Check the spelling or the number.")
        else:
            self.feedback.note(f"{len(found)} pupils match: type more, or scan the card.")

    def _row_tapped(self) -> None:
        row = models.selected_row(self.table, self.proxy)
        if row is not None:
            self.show_pupil(row.pupil)

    # -- the pupil and what is held for them

    def show_pupil(self, pupil: PupilSummary) -> None:
        self.feedback.clear()
        self.print_button.setVisible(False)
        self.receipt.setVisible(False)
        self._show_parent_form(False)
        self.header.show_pupil(pupil)
        self._show_items(pupil)

    def _clear_items(self) -> None:
        while self.items_box.count():
            item = self.items_box.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.collect_buttons.clear()
        self.release_buttons.clear()

    def _show_items(self, pupil: PupilSummary) -> None:
        attempt(
            self,
            self.feedback,
            "Loading a pupil's devices",
            lambda: console.held_for_pupil(self.sessions, pupil.id),
            partial(self._list_items, pupil),
        )

    def _list_items(self, pupil: PupilSummary, held: list[HeldDevice]) -> None:
        if self.header.pupil is None or self.header.pupil.id != pupil.id:
            return  # another pupil was chosen meanwhile
        self._clear_items()
        if not held:
            self.items_box.addWidget(QLabel(f"Nothing is held for {pupil.forename}."))
        for device in held:
            self.items_box.addWidget(self._item(device))

    def _item(self, device: HeldDevice) -> QFrame:
        frame = QFrame()
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        text = QLabel(_describe(device))
        text.setWordWrap(True)
        layout = QVBoxLayout(frame)
        layout.addWidget(text)
        if not device.is_confiscation:
            button = QPushButton(
                f"Give back to {device.pupil.forename} (slot {device.slot_number})"
            )
            button.setProperty("role", "primary")
            button.clicked.connect(lambda _=False, d=device: self._collect(d))
            self.collect_buttons[device.custody_id] = button
        else:
            button = QPushButton("Release to parent or carer…")
            button.clicked.connect(lambda _=False, d=device: self._open_parent_form(d))
            self.release_buttons[device.custody_id] = button
            if device.dsl_referred and not may(self.staff.role, Action.RELEASE_DSL_REFERRED):
                button.setEnabled(False)
                note = QLabel(DSL_ONLY)
                note.setWordWrap(True)
                note.setProperty("role", "error")
                layout.addWidget(note)
        layout.addWidget(button)
        return frame

    def _collect(self, device: HeldDevice) -> None:
        button = self.collect_buttons.get(device.custody_id)
        if button is not None:
            button.setEnabled(False)  # one tap, one give-back

        sessions, bank, actor = self.sessions, self.bank, self.staff.actor

        def give_back() -> str:
            custody.collect(sessions, device.custody_id, actor)
            return _door_words(sessions, bank, device, actor)

        def given(door: str) -> None:
            self.refresh()
            self.feedback.ok(
                f"Given back: take the device from slot {device.slot_number} "
                f"and hand it to {device.pupil.forename}.{door}"
            )

        attempt(self, self.feedback, "Giving a device back", give_back, given, self.refresh)

    # -- releasing a confiscated device to a parent or carer (release_parent)

    def _open_parent_form(self, device: HeldDevice) -> None:
        self.device = device
        self.feedback.clear()
        self.parent_form.open_for(device)
        self._show_parent_form(True)

    def _show_parent_form(self, show: bool) -> None:
        """The form takes the place of the list of items while it is open."""
        self.parent_form.setVisible(show)
        self.items.setVisible(not show)

    def _door_after_release(self, device: HeldDevice) -> str:
        return _door_words(self.sessions, self.bank, device, self.staff.actor)

    def _released(self, device: HeldDevice, name: str, door: str) -> None:
        self._show_parent_form(False)
        self.released_id = device.custody_id
        self.refresh()
        self.feedback.ok(
            f"Released to {' '.join(name.split())}: take the device from slot "
            f"{device.slot_number}.{door} Print the receipt for them to sign."
        )
        self.print_button.setVisible(True)

    def _print_receipt(self) -> None:
        custody_id = self.released_id
        if custody_id is None:
            return
        attempt(
            self,
            self.feedback,
            "Printing a release receipt",
            lambda: save_receipt(
                self.sessions, self.staff, self.config.data_dir, custody_id, "release"
            ),
            self.receipt.show_path,
        )


def _describe(device: HeldDevice) -> str:
    since = when_text(device.received_at)
    if not device.is_confiscation:
        return f"Daily hand-in in slot {device.slot_number}, since {since}."
    words = f"Confiscated {since}, slot {device.slot_number}: {device.reason_category}."
    if device.description:
        words += f" {device.description}."
    if device.dsl_referred:
        words += " Referred to the DSL."
    return words


def _door_words(
    sessions: Database, bank: LockerBank | None, device: HeldDevice, actor: Actor
) -> str:
    """After a release the services made (in the same background job): the slot's locker
    door opened, in words ("" for a manual slot). A door that fails never spoils the
    recorded release."""
    if not bank:
        return ""
    try:
        door = doors.open_for_release(sessions, bank, device.custody_id, actor)
    except Exception as error:
        log_failure("Opening a locker door for a release", error)
        return " The locker door did not open: open it by key."
    return f" {door.message}" if door is not None else ""
