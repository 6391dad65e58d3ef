"""Devices: pick a held device, then move it to another slot, refer it to the DSL, record
its handover to the police (senior staff), keep it overnight, or print its chain-of-custody
receipt. Also: take a slot out of service (a held device must be moved out first)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QTime
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from kiosk.clock import SCHOOL_ZONE, to_local, utcnow
from kiosk.config import Config
from kiosk.db import Sessions
from kiosk.errors import InvalidInput
from kiosk.rules import Action, may
from kiosk.services import confiscation, console, custody, pupils, slots
from kiosk.services.console import HeldDevice
from kiosk.services.staff import StaffMember
from kiosk.ui.staff import models
from kiosk.ui.staff.common import (
    Feedback,
    ReceiptBar,
    attempt,
    heading_label,
    save_receipt,
    school_today,
    side_panel,
    when_text,
)
from kiosk.ui.staff.models import RowsModel, SearchProxy

PAGES = ("Move", "Refer to DSL", "Police", "Overnight", "Receipt", "Slots")
DEVICE_PAGES = PAGES[:5]
POLICE_SENIOR_ONLY = "Only senior staff (the DSL) can hand a device to the police."
ADMIN_ONLY = "Only an admin can put a slot back in service."
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


def local_to_utc(day: dt.date, time: dt.time) -> dt.datetime:
    """A school-local date and time as the naive UTC the database stores."""
    local = dt.datetime.combine(day, time, tzinfo=SCHOOL_ZONE)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


class DevicesTab(QWidget):
    def __init__(
        self,
        sessions: Sessions,
        staff: StaffMember,
        config: Config,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.sessions, self.staff, self.config = sessions, staff, config
        self.device: HeldDevice | None = None
        self.page = PAGES[0]
        self.feedback = Feedback()

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
        self.pages = QStackedWidget()
        group = QButtonGroup(self)
        chooser = QHBoxLayout()
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
        self.receipt = ReceiptBar()
        right = QVBoxLayout()
        right.addWidget(self.heading)
        right.addWidget(self.details)
        right.addLayout(chooser)
        right.addWidget(self.pages)
        right.addWidget(self.feedback)
        right.addWidget(self.receipt)
        right.addStretch(1)
        right_box = side_panel(right, 600)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addWidget(right_box)
        self.choose(None)
        self.show_page("Move")

    # -- pages

    def _build_pages(self) -> list[QWidget]:
        return [
            self._move_page(),
            self._refer_page(),
            self._police_page(),
            self._overnight_page(),
            self._receipt_page(),
            self._slots_page(),
        ]

    def _page(self, rows: list[tuple[str, QWidget]], button: QPushButton) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        for label, widget in rows:
            form.addRow(label, widget)
        form.addRow(button)
        return page

    def _move_page(self) -> QWidget:
        self.move_to = QComboBox()
        self.move_button = QPushButton("Move the device")
        self.move_button.setProperty("role", "primary")
        self.move_button.clicked.connect(self._move)
        return self._page([("To slot", self.move_to)], self.move_button)

    def _refer_page(self) -> QWidget:
        self.refer_note = QLineEdit()
        self.refer_note.setPlaceholderText("Why (kept in the record)")
        self.refer_button = QPushButton("Refer to the DSL")
        self.refer_button.setProperty("role", "primary")
        self.refer_button.clicked.connect(self._refer)
        return self._page([("Note", self.refer_note)], self.refer_button)

    def _police_page(self) -> QWidget:
        self.officer = QLineEdit()
        self.officer_number = QLineEdit()
        self.officer_number.setPlaceholderText("Collar or warrant number")
        self.reference = QLineEdit()
        self.reference.setPlaceholderText("Police crime or incident reference")
        self.police_date = QDateEdit()
        self.police_date.setCalendarPopup(True)
        self.police_date.setDisplayFormat("ddd d MMM yyyy")
        self.police_time = QTimeEdit()
        self.police_time.setDisplayFormat("HH:mm")
        self.police_button = QPushButton("Record handover to the police")
        self.police_button.setProperty("role", "danger")
        self.police_button.clicked.connect(self._hand_to_police)
        self.police_note = QLabel("")
        self.police_note.setProperty("role", "error")
        self.police_note.setWordWrap(True)
        when = QWidget()
        when_row = QHBoxLayout(when)
        when_row.setContentsMargins(0, 0, 0, 0)
        when_row.addWidget(self.police_date, 1)
        when_row.addWidget(self.police_time)
        page = self._page(
            [
                ("Officer's name", self.officer),
                ("Officer's number", self.officer_number),
                ("Reference", self.reference),
                ("Handed over", when),
            ],
            self.police_button,
        )
        layout = page.layout()
        if isinstance(layout, QFormLayout):
            layout.addRow(self.police_note)
        return page

    def _overnight_page(self) -> QWidget:
        self.overnight_reason = QLineEdit()
        self.overnight_reason.setPlaceholderText("e.g. parent collecting tomorrow")
        self.overnight_button = QPushButton("Keep overnight")
        self.overnight_button.setProperty("role", "primary")
        self.overnight_button.clicked.connect(self._keep_overnight)
        return self._page([("Reason", self.overnight_reason)], self.overnight_button)

    def _receipt_page(self) -> QWidget:
        self.receipt_button = QPushButton("Print chain-of-custody receipt (PDF)")
        self.receipt_button.setProperty("role", "primary")
        self.receipt_button.clicked.connect(self._print_receipt)
        explain = QLabel("Lists every recorded event for this device, with times and audit hashes.")
        explain.setWordWrap(True)
        return self._page([("", explain)], self.receipt_button)

    def _slots_page(self) -> QWidget:
        page = QWidget()
        self.slot_number = QSpinBox()
        self.slot_number.setRange(1, 9999)
        self.slot_reason = QLineEdit()
        self.slot_reason.setPlaceholderText("e.g. lock broken")
        self.out_button = QPushButton("Take out of service")
        self.out_button.setProperty("role", "danger")
        self.out_button.clicked.connect(lambda: self._set_in_service(False))
        self.in_button = QPushButton("Put back in service")
        self.in_button.clicked.connect(lambda: self._set_in_service(True))
        self.slots_note = QLabel("")
        self.slots_note.setWordWrap(True)
        if not may(self.staff.role, Action.MANAGE_SLOTS):
            self.in_button.setEnabled(False)
            self.slots_note.setText(ADMIN_ONLY)
        buttons = QHBoxLayout()
        buttons.addWidget(self.out_button)
        buttons.addWidget(self.in_button)
        form = QFormLayout(page)
        form.addRow("Slot number", self.slot_number)
        form.addRow("Reason", self.slot_reason)
        form.addRow(buttons)
        form.addRow(self.slots_note)
        return page

    def show_page(self, name: str) -> None:
        self.page = name
        self.page_buttons[name].setChecked(True)
        self.receipt.setVisible(False)
        self._show_current_page()
        if name == "Move":
            self._load_free_slots()
        if name == "Police":
            now = to_local(utcnow())
            self.police_date.setDate(QDate(now.year, now.month, now.day))
            self.police_time.setTime(QTime(now.hour, now.minute))

    # -- choosing a device

    def refresh(self) -> None:
        ok, rows = attempt(
            self.feedback, "Loading held devices", lambda: console.all_held(self.sessions)
        )
        if not ok or rows is None:
            return
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()
        still_held = {d.custody_id: d for d in rows}
        self.choose(still_held.get(self.device.custody_id) if self.device else None)

    def handle_scan(self, text: str) -> None:
        """A pupil card scanned here shows that pupil's devices (chosen if just one)."""
        ok, pupil = attempt(
            self.feedback, "Reading a card", lambda: pupils.find_by_card(self.sessions, text)
        )
        if not ok or pupil is None:
            return
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

    def select_custody(self, custody_id: int) -> None:
        """Choose a device by its record number (the tests and the slot map use this)."""
        device = next((d for d in self.model.rows if d.custody_id == custody_id), None)
        if device is None:
            raise LookupError(custody_id)
        self.choose(device)

    def choose(self, device: HeldDevice | None) -> None:
        self.device = device
        if device is None:
            self.heading.setText("No device chosen")
            self.details.setText("Tap a device on the left, or use Slots.")
        else:
            self.heading.setText(f"{device.pupil.display_name}, {device.pupil.reg_group}")
            self.details.setText(_describe(device))
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
        may_police = may(self.staff.role, Action.HAND_TO_POLICE)
        self.police_button.setEnabled(confiscated and may_police)
        if not may_police:
            self.police_note.setText(POLICE_SENIOR_ONLY)
        elif device is not None and not confiscated:
            self.police_note.setText("Only a confiscated device can be handed to the police.")
        else:
            self.police_note.setText("")

    def _load_free_slots(self) -> None:
        ok, free = attempt(
            self.feedback, "Loading free slots", lambda: console.free_slots(self.sessions)
        )
        self.move_to.clear()
        if not ok or free is None:
            return
        for slot in free:
            words = " (reserved for confiscations)" if slot.reserved_for_confiscation else ""
            self.move_to.addItem(f"Slot {slot.number}, cabinet {slot.cabinet}{words}", slot.number)

    # -- the actions (each one service call, one transaction, one audit event)

    def _done(self, message: str) -> None:
        self.refresh()
        self.feedback.ok(message)

    def _move(self) -> None:
        device, target = self.device, self.move_to.currentData()
        if device is None:
            return
        if target is None:
            self.feedback.error("There is no free slot to move it to.")
            return
        ok, _ = attempt(
            self.feedback,
            "Moving a device",
            lambda: custody.move(self.sessions, self.staff.actor, device.custody_id, target),
        )
        if ok:
            self._done(f"Recorded: move the device from slot {device.slot_number} to {target}.")

    def _refer(self) -> None:
        device = self.device
        if device is None:
            return
        note = self.refer_note.text()
        ok, _ = attempt(
            self.feedback,
            "Referring a device to the DSL",
            lambda: confiscation.refer_to_dsl(
                self.sessions, self.staff.actor, device.custody_id, note
            ),
        )
        if ok:
            self.refer_note.clear()
            self._done("Referred to the DSL. Only senior staff can release it now.")

    def _police_time(self, device: HeldDevice) -> dt.datetime:
        """The handover time typed in (school time), checked for sense. The current minute
        means now, so a handover recorded straight away is never "before" its seizure."""
        if not all(f.text().strip() for f in (self.officer, self.officer_number, self.reference)):
            raise InvalidInput("Enter the officer's name, number and the police reference.")
        qdate, qtime = self.police_date.date(), self.police_time.time()
        when = local_to_utc(
            dt.date(qdate.year(), qdate.month(), qdate.day()),
            dt.time(qtime.hour(), qtime.minute()),
        )
        now = utcnow()
        if when == now.replace(second=0, microsecond=0):
            return now
        if when > now + FUTURE_TOLERANCE:
            raise InvalidInput("The handover time is in the future.")
        if when < device.received_at.replace(second=0, microsecond=0):
            raise InvalidInput("The handover time is before the device was confiscated.")
        return max(when, device.received_at)

    def _hand_to_police(self) -> None:
        device = self.device
        if device is None:
            return
        ok, _ = attempt(
            self.feedback,
            "Recording a handover to the police",
            lambda: confiscation.hand_to_police(
                self.sessions,
                self.staff.actor,
                device.custody_id,
                self.officer.text(),
                self.officer_number.text(),
                self.reference.text(),
                self._police_time(device),
            ),
        )
        if ok:
            for field in (self.officer, self.officer_number, self.reference):
                field.clear()
            self._done(
                f"Recorded: the device from slot {device.slot_number} was handed to the police. "
                "Print the chain-of-custody receipt for the officer."
            )
            self._offer_receipt(device.custody_id)

    def _keep_overnight(self) -> None:
        device = self.device
        if device is None:
            return
        reason = self.overnight_reason.text()
        ok, _ = attempt(
            self.feedback,
            "Keeping a device overnight",
            lambda: custody.keep_overnight(
                self.sessions, self.staff.actor, device.custody_id, reason
            ),
        )
        if ok:
            self.overnight_reason.clear()
            self._done(f"Recorded: the device in slot {device.slot_number} stays overnight.")

    def _print_receipt(self) -> None:
        if self.device is not None:
            self._offer_receipt(self.device.custody_id)

    def _offer_receipt(self, custody_id: int) -> None:
        ok, path = attempt(
            self.feedback,
            "Printing a chain-of-custody receipt",
            lambda: save_receipt(
                self.sessions, self.staff, self.config.data_dir, custody_id, "chain_of_custody"
            ),
        )
        if ok and path is not None:
            self.receipt.show_path(path)

    def _set_in_service(self, in_service: bool) -> None:
        number, reason = self.slot_number.value(), self.slot_reason.text()
        ok, _ = attempt(
            self.feedback,
            "Changing a slot's service",
            lambda: slots.set_in_service(
                self.sessions, self.staff.actor, number, in_service, reason
            ),
        )
        if ok:
            self.slot_reason.clear()
            state = "back in service" if in_service else "out of service"
            self._done(f"Slot {number} is now {state}.")


def _describe(device: HeldDevice) -> str:
    since = when_text(device.received_at)
    if not device.is_confiscation:
        words = f"Daily hand-in in slot {device.slot_number} since {since}."
    else:
        words = f"Confiscated {since}, in slot {device.slot_number}: {device.reason_category}."
        if device.do_not_examine:
            words += " Do not examine content."
        if device.dsl_referred:
            words += " Referred to the DSL."
    if device.description:
        words += f" {device.description}."
    if device.keep_overnight_on == school_today():
        words += " Kept overnight tonight."
    return words
