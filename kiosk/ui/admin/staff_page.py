"""Staff accounts: the list, adding someone (PIN typed twice), deactivating or
reactivating, a new PIN, a different role, unlocking an account locked by wrong PINs. PINs
leave the fields as soon as they are used, and are hashed in the background."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QRegularExpression, Qt
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
)

from kiosk.db import Database
from kiosk.rules import PIN_MAX, PIN_MIN
from kiosk.services import staff as staff_service
from kiosk.services.staff import StaffMember
from kiosk.ui.admin.common import AdminPage, button, selected, touch
from kiosk.ui.background import Failure, Op
from kiosk.ui.staff.common import attempt
from kiosk.ui.staff.models import Column, RowsModel, make_table
from kiosk.ui.style import GREY

ROLES = (("office", "Office"), ("senior", "Senior / DSL"), ("admin", "Admin"))
ROLE_WORDS = dict(ROLES)


def pin_field(placeholder: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setValidator(QRegularExpressionValidator(QRegularExpression(rf"\d{{0,{PIN_MAX}}}")))
    field.setPlaceholderText(placeholder)
    # An on-screen keyboard shows digits, learns nothing and suggests nothing.
    field.setInputMethodHints(
        Qt.InputMethodHint.ImhDigitsOnly
        | Qt.InputMethodHint.ImhSensitiveData
        | Qt.InputMethodHint.ImhNoPredictiveText
    )
    touch(field)
    return field


def role_combo() -> QComboBox:
    combo = QComboBox()
    for value, words in ROLES:
        combo.addItem(words, value)
    touch(combo)
    return combo


def _state(member: StaffMember) -> str:
    if not member.active:
        return "Deactivated"
    return "Locked (wrong PINs)" if member.locked else "Active"


class StaffPage(AdminPage):
    def __init__(self, sessions: Database, staff: StaffMember) -> None:
        super().__init__(sessions, staff)
        self.busy = False  # a PIN is being hashed
        self.model = RowsModel(
            [
                Column("Name", lambda m: m.name),
                Column("Role", lambda m: ROLE_WORDS.get(m.role, m.role)),
                Column("State", _state),
            ],
            colour=lambda m: None if m.active else GREY,
        )
        self.view = make_table(self.model, row_height=48)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.show_inactive = QCheckBox("Show deactivated accounts")
        touch(self.show_inactive, 48)
        self.show_inactive.toggled.connect(lambda _on: self.reload())

        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("Full name")
        touch(self.new_name)
        self.new_role = role_combo()
        self.new_pin = pin_field(f"{PIN_MIN}-{PIN_MAX} digits")
        self.new_pin_again = pin_field("The same PIN again")
        self.add_button = button("Add staff member", "primary", self.add)
        add_form = QFormLayout()
        add_form.addRow("Name", self.new_name)
        add_form.addRow("Role", self.new_role)
        add_form.addRow("PIN", self.new_pin)
        add_form.addRow("PIN again", self.new_pin_again)
        add_form.addRow(self.add_button)
        add_box = QGroupBox("Add someone")
        add_box.setLayout(add_form)

        self.active_button = button("Deactivate", "danger", self.toggle_active)
        self.role = role_combo()
        self.role_button = button("Change role", on_click=self.change_role)
        self.reset_pin = pin_field("New PIN")
        self.reset_pin_again = pin_field("Again")
        self.reset_button = button("Set new PIN", on_click=self.set_pin)
        self.unlock_button = button("Unlock", "primary", self.unlock)
        role_row = QHBoxLayout()
        role_row.addWidget(self.active_button)
        role_row.addWidget(self.unlock_button)
        role_row.addWidget(self.role, 1)
        role_row.addWidget(self.role_button)
        pin_row = QHBoxLayout()
        pin_row.addWidget(self.reset_pin, 1)
        pin_row.addWidget(self.reset_pin_again, 1)
        pin_row.addWidget(self.reset_button)
        self.chosen_box = QGroupBox("The person chosen in the list")
        chosen_layout = QVBoxLayout(self.chosen_box)
        chosen_layout.addLayout(role_row)
        chosen_layout.addLayout(pin_row)

        left = QVBoxLayout()
        left.addWidget(self.view, 1)
        left.addWidget(self.show_inactive)
        left.addWidget(self.chosen_box)
        right = QVBoxLayout()
        right.addWidget(add_box)
        right.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left, 3)
        body.addLayout(right, 2)
        layout = self.headed("Staff")
        layout.addWidget(self.feedback)
        layout.addLayout(body, 1)
        self.reload()

    def reload(self) -> None:
        include = self.show_inactive.isChecked()
        attempt(
            self,
            self.feedback,
            "Loading staff",
            lambda: staff_service.list_staff(self.sessions, include_inactive=include),
            self._show_members,
        )

    def _show_members(self, members: list[StaffMember]) -> None:
        self.model.set_rows(members)
        self._selection_changed()

    def chosen(self) -> StaffMember | None:
        member: StaffMember | None = selected(self.view, self.model)
        return member

    def choose(self, name: str) -> None:
        """Select the member called ``name`` in the list."""
        for row, member in enumerate(self.model.rows):
            if member.name == name:
                self.view.selectRow(row)
                return

    def _selection_changed(self, *_args: object) -> None:
        member = self.chosen()
        self.chosen_box.setEnabled(member is not None)
        if member is not None:
            self.active_button.setText("Deactivate" if member.active else "Reactivate")
            self.active_button.setProperty("role", "danger" if member.active else "primary")
            self.active_button.style().polish(self.active_button)
            self.role.setCurrentIndex(self.role.findData(member.role))
        self.unlock_button.setVisible(member is not None and member.locked)

    def _pins(self, first: QLineEdit, second: QLineEdit) -> str | None:
        pin, again = first.text(), second.text()
        first.clear()
        second.clear()
        if pin != again:
            self.feedback.error("The two PINs are different. Type them again.")
            return None
        return pin

    def add(self) -> None:
        name = self.new_name.text()
        pin = self._pins(self.new_pin, self.new_pin_again)
        if pin is None:
            return
        role = str(self.new_role.currentData())
        job = partial(staff_service.add_staff, self.sessions, self.staff.actor, name, role, pin)
        self._hashing(True)
        Op(self, "Adding staff", job).success(lambda _id: self._added(name, role)).failure(
            self._refused
        ).run()

    def _added(self, name: str, role: str) -> None:
        self._hashing(False)
        self.new_name.clear()
        self.feedback.ok(f"{' '.join(name.split())} can now log in as {ROLE_WORDS[role]}.")
        self.reload()

    def _hashing(self, busy: bool) -> None:
        """A new PIN is hashed in the background (argon2: a good part of a second)."""
        self.add_button.setEnabled(not busy)
        self.reset_button.setEnabled(not busy)
        self.busy = busy

    def _refused(self, failure: Failure) -> None:
        self._hashing(False)
        self.feedback.error(failure.words)

    def toggle_active(self) -> None:
        member = self.chosen()
        if member is None:
            return
        state = "reactivated" if not member.active else "deactivated: they cannot log in"
        self._change(
            "Changing staff",
            lambda: staff_service.set_active(
                self.sessions, self.staff.actor, member.id, not member.active
            ),
            f"{member.name} is {state}.",
        )

    def change_role(self) -> None:
        member = self.chosen()
        if member is None:
            return
        role = str(self.role.currentData())
        self._change(
            "Changing role",
            lambda: staff_service.set_role(self.sessions, self.staff.actor, member.id, role),
            f"{member.name} is now {ROLE_WORDS[role]}.",
        )

    def set_pin(self) -> None:
        member = self.chosen()
        pin = self._pins(self.reset_pin, self.reset_pin_again)
        if member is None or pin is None:
            return
        job = partial(staff_service.reset_pin, self.sessions, self.staff.actor, member.id, pin)
        self._hashing(True)
        Op(self, "Resetting a PIN", job).success(lambda _none: self._pin_set(member)).failure(
            self._refused
        ).run()

    def _pin_set(self, member: StaffMember) -> None:
        self._hashing(False)
        self.feedback.ok(f"{member.name} has a new PIN (and is unlocked).")
        self.reload()

    def unlock(self) -> None:
        member = self.chosen()
        if member is None:
            return
        self._change(
            "Unlocking",
            lambda: staff_service.unlock(self.sessions, self.staff.actor, member.id),
            f"{member.name} is unlocked and can log in again.",
        )

    def _change(
        self,
        what: str,
        action: Callable[[], object],
        done_words: str,
    ) -> None:
        """One change in the background; when it is recorded, say so and reload."""

        def done(_: object) -> None:
            self.feedback.ok(done_words)
            self.reload()

        attempt(self, self.feedback, what, action, done)
