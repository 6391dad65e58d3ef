"""Devices: pick a held device, then move it to another slot, refer it to the DSL, record
its handover to the police (senior staff), keep it overnight, or print its chain-of-custody
receipt. Also: take a slot out of service (a held device must be moved out first)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.config import Config
from kiosk.db import Database
from kiosk.errors import KioskError
from kiosk.services import confiscation, held_devices, slots
from kiosk.services.common import PupilSummary
from kiosk.services.console import FreeSlot, HeldDevice
from kiosk.services.staff import StaffMember
from kiosk.ui.staff import models
from kiosk.ui.staff.common import (
    ConsoleTab,
    attempt,
    heading_label,
    load_free_slots,
    load_held,
    read_card,
    save_receipt,
    school_today,
)
from kiosk.ui.staff.device_forms import SlotServiceForm, describe, form_page
from kiosk.ui.staff.models import RowsModel, SearchProxy
from kiosk.ui.staff.police_form import PoliceForm
from kiosk.ui.widgets.document_bar import DocumentBar
from kiosk.ui.widgets.tab_strip import FlowLayout

PAGES = ("Move", "Refer to DSL", "Police", "Overnight", "Receipt", "Slots")
DEVICE_PAGES = PAGES[:5]


class DevicesTab(ConsoleTab):
    def __init__(self, sessions: Database, staff: StaffMember, config: Config) -> None:
        super().__init__(sessions, staff, config)
        self.device: HeldDevice | None = None
        self.page = PAGES[0]

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by name, form, year or slot")
        self.search.setClearButtonEnabled(True)
        self.model = RowsModel(models.compact_held_columns(school_today), models.held_search)
        self.proxy = SearchProxy(self.model)
        self.search.textChanged.connect(self.proxy.set_search)
        self.table = models.make_table(self.proxy, compact=True)
        self.table.clicked.connect(self._row_tapped)
        left = QVBoxLayout()
        left.addWidget(QLabel("Devices held: tap one"))
        left.addWidget(self.search)
        left.addWidget(self.table, 1)

        self.heading = heading_label("No device chosen")
        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.page_buttons: dict[str, QPushButton] = {}
        self.police = PoliceForm()
        self.police.police_button.clicked.connect(self._hand_to_police)
        self.slot_form = SlotServiceForm(staff.role)
        self.slot_form.requested.connect(self._set_in_service)
        self.pages = QStackedWidget()
        group = QButtonGroup(self)
        chooser = FlowLayout()  # wraps on a narrow screen rather than squash the words
        self.no_device = QLabel("Tap a device on the left first.")
        for name, page in zip(PAGES, self._build_pages(), strict=True):
            button = QPushButton(name)
            button.setCheckable(True)
            button.clicked.connect(lambda _=False, n=name: self.show_page(n))
            group.addButton(button)
            chooser.addWidget(button)
            self.page_buttons[name] = button
            self.pages.addWidget(page)
        self.pages.addWidget(self.no_device)
        self.receipt = DocumentBar("Receipt saved")
        right = QVBoxLayout()
        right.addWidget(self.heading)
        right.addWidget(self.details)
        right.addLayout(chooser)
        right.addWidget(self.pages)
        right.addWidget(self.feedback)
        right.addWidget(self.receipt)
        self.lay_out(left, right, 600)
        self.choose(None)
        self.show_page("Move")

    # -- pages

    def _build_pages(self) -> list[QWidget]:
        return [
            self._move_page(),
            self._refer_page(),
            self.police,
            self._overnight_page(),
            self._receipt_page(),
            self.slot_form,
        ]

    def _move_page(self) -> QWidget:
        self.move_to = QComboBox()
        self.move_button = QPushButton("Move the device")
        self.move_button.setProperty("role", "primary")
        self.move_button.clicked.connect(self._move)
        return form_page([("To slot", self.move_to)], self.move_button)

    def _refer_page(self) -> QWidget:
        self.refer_note = QLineEdit()
        self.refer_note.setPlaceholderText("Why (kept in the record)")
        self.refer_button = QPushButton("Refer to the DSL")
        self.refer_button.setProperty("role", "primary")
        self.refer_button.clicked.connect(self._refer)
        return form_page([("Note", self.refer_note)], self.refer_button)

    def _overnight_page(self) -> QWidget:
        self.overnight_reason = QLineEdit()
        self.overnight_reason.setPlaceholderText("e.g. parent collecting tomorrow")
        self.overnight_button = QPushButton("Keep overnight")
        self.overnight_button.setProperty("role", "primary")
        self.overnight_button.clicked.connect(self._keep_overnight)
        return form_page([("Reason", self.overnight_reason)], self.overnight_button)

    def _receipt_page(self) -> QWidget:
        self.receipt_button = QPushButton("Print chain-of-custody receipt (PDF)")
        self.receipt_button.setProperty("role", "primary")
        self.receipt_button.clicked.connect(self._print_receipt)
        explain = QLabel("Lists every recorded event for this device, with times and audit hashes.")
        explain.setWordWrap(True)
        return form_page([("", explain)], self.receipt_button)

    def show_page(self, name: str) -> None:
        self.page = name
        self.page_buttons[name].setChecked(True)
        self.receipt.setVisible(False)
        self._show_current_page()
        if name == "Move":
            self._load_free_slots()
        if name == "Police":
            self.police.set_now()

    # -- choosing a device

    def refresh(self) -> None:
        load_held(self, self.feedback, self.sessions, self._show_rows)

    def _show_rows(self, rows: list[HeldDevice]) -> None:
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()
        still_held = {d.custody_id: d for d in rows}
        self.choose(still_held.get(self.device.custody_id) if self.device else None)

    def handle_scan(self, text: str) -> None:
        """A pupil card scanned here shows that pupil's devices (chosen if just one)."""
        read_card(self, self.feedback, self.sessions, text, self._scanned)

    def _scanned(self, pupil: PupilSummary) -> None:
        self.feedback.clear()
        self.search.setText(pupil.admission_number)
        theirs = [d for d in self.model.rows if d.pupil.id == pupil.id]
        self.choose(theirs[0] if len(theirs) == 1 else None)
        if not theirs:
            self.feedback.note(f"Nothing is held for {pupil.display_name}.")
        elif len(theirs) > 1:
            self.feedback.note(f"{len(theirs)} devices are held for {pupil.display_name}.")

    def _row_tapped(self) -> None:
        row = models.selected_row(self.table, self.proxy)
        if row is not None:
            self.feedback.clear()
            self.choose(row)

    def choose(self, device: HeldDevice | None) -> None:
        self.device = device
        if device is None:
            self.heading.setText("No device chosen")
            self.details.setText("Tap a device on the left, or use Slots.")
        else:
            self.heading.setText(f"{device.pupil.display_name}, {device.pupil.reg_group}")
            self.details.setText(describe(device))
        self._enable_actions()
        self._show_current_page()
        if device is not None and self.page == "Move":
            self._load_free_slots()

    def _show_current_page(self) -> None:
        """A device's form only while a device is chosen; a plain hint otherwise."""
        if self.device is None and self.page in DEVICE_PAGES:
            self.pages.setCurrentWidget(self.no_device)
        else:
            self.pages.setCurrentIndex(PAGES.index(self.page))
        # A stack is as tall as its tallest page unless the others stop asking for room.
        current = self.pages.currentWidget()
        for index in range(self.pages.count()):
            page = self.pages.widget(index)
            if page is None:
                continue
            policy = QSizePolicy.Policy.Preferred if page is current else QSizePolicy.Policy.Ignored
            page.setSizePolicy(policy, policy)
        self.pages.adjustSize()

    def _enable_actions(self) -> None:
        device = self.device
        confiscated = device is not None and device.is_confiscation
        for name in DEVICE_PAGES:
            self.page_buttons[name].setEnabled(device is not None)
        self.move_button.setEnabled(device is not None)
        self.overnight_button.setEnabled(device is not None)
        self.receipt_button.setEnabled(device is not None)
        self.refer_button.setEnabled(confiscated and not (device and device.dsl_referred))
        self.police.offer_for(device, self.staff.role)

    def _load_free_slots(self) -> None:
        self.move_to.clear()
        load_free_slots(self, self.feedback, self.sessions, self._show_free)

    def _show_free(self, free: list[FreeSlot]) -> None:
        self.move_to.clear()
        for slot in free:
            words = " (reserved for confiscations)" if slot.reserved_for_confiscation else ""
            self.move_to.addItem(f"Slot {slot.number}, cabinet {slot.cabinet}{words}", slot.number)

    # -- the actions (each one service call, one transaction, one audit event)

    def _act(
        self,
        what: str,
        action: Callable[[], object],
        done_words: str,
        clear: Callable[[], None] | None = None,
        next_step: Callable[[], None] | None = None,
    ) -> None:
        """One action in the background; when it is recorded, ``clear`` its form, refresh,
        say so, and take the ``next_step``."""

        def done(_: object) -> None:
            if clear is not None:
                clear()
            self.refresh()
            self.feedback.ok(done_words)
            if next_step is not None:
                next_step()

        attempt(self, self.feedback, what, action, done)

    def _move(self) -> None:
        device, target = self.device, self.move_to.currentData()
        if device is None:
            return
        if target is None:
            self.feedback.error("There is no free slot to move it to.")
            return
        self._act(
            "Moving a device",
            partial(held_devices.move, self.sessions, self.staff.actor, device.custody_id, target),
            f"Recorded: move the device from slot {device.slot_number} to {target}.",
        )

    def _refer(self) -> None:
        device = self.device
        if device is None:
            return
        note = self.refer_note.text()
        self._act(
            "Referring a device to the DSL",
            partial(
                confiscation.refer_to_dsl, self.sessions, self.staff.actor, device.custody_id, note
            ),
            "Referred to the DSL. Only senior staff can release it now.",
            self.refer_note.clear,
        )

    def _hand_to_police(self) -> None:
        device = self.device
        if device is None:
            return
        try:
            handover = self.police.handover(self.sessions, self.staff.actor, device)
        except KioskError as error:
            self.feedback.error(error.message)
            return
        self._act(
            "Recording a handover to the police",
            handover,
            f"Recorded: the device from slot {device.slot_number} was handed to the police. "
            "Print the chain-of-custody receipt for the officer.",
            self.police.clear,
            partial(self._offer_receipt, device.custody_id),
        )

    def _keep_overnight(self) -> None:
        device = self.device
        if device is None:
            return
        reason = self.overnight_reason.text()
        self._act(
            "Keeping a device overnight",
            partial(
                held_devices.keep_overnight,
                self.sessions,
                self.staff.actor,
                device.custody_id,
                reason,
            ),
            f"Recorded: the device in slot {device.slot_number} stays overnight.",
            self.overnight_reason.clear,
        )

    def _print_receipt(self) -> None:
        if self.device is not None:
            self._offer_receipt(self.device.custody_id)

    def _offer_receipt(self, custody_id: int) -> None:
        attempt(
            self,
            self.feedback,
            "Printing a chain-of-custody receipt",
            lambda: save_receipt(
                self.sessions, self.staff, self.config.data_dir, custody_id, "chain_of_custody"
            ),
            self.receipt.show_path,
        )

    def _set_in_service(self, in_service: bool) -> None:
        form = self.slot_form
        number, reason = form.slot_number.value(), form.slot_reason.text()
        state = "back in service" if in_service else "out of service"
        self._act(
            "Changing a slot's service",
            partial(
                slots.set_in_service, self.sessions, self.staff.actor, number, in_service, reason
            ),
            f"Slot {number} is now {state}.",
            form.slot_reason.clear,
        )
