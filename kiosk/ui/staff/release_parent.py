"""The release of a confiscated device to a parent or carer: the pupil's contacts from the
MIS who may collect, in priority order, to choose from; a contact marked "do not release
to" shown as such and never offered; anyone else typed in, with a senior member of staff's
name, PIN and reason when the school keeps contacts; the ID seen, always."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kiosk.config import Config
from kiosk.db import Database
from kiosk.rules import Action, may
from kiosk.services import confiscation, contacts, staff
from kiosk.services.console import HeldDevice
from kiosk.services.contacts import ContactRow, ReleaseChoices
from kiosk.services.release_to_contact import SeniorApproval
from kiosk.services.staff import StaffMember
from kiosk.ui.staff.common import Feedback, attempt

RELATIONSHIPS = ("Mother", "Father", "Parent", "Carer", "Guardian", "Grandparent", "Other")
ID_DOCUMENTS = ("Driving licence", "Passport", "National identity card", "Other photo ID")
SOMEONE_ELSE = 999  # a button id (Qt gives -1 to "no button", and negative ids out itself)
_CHOICE_CSS = (
    "QRadioButton { min-height: 56px; } QRadioButton::indicator { width: 32px; height: 32px; }"
)

Released = Callable[[HeldDevice, str, str], None]  # device, name, door words
AfterRelease = Callable[[HeldDevice], str]  # in the release's background job: door words


class ParentReleaseForm(QGroupBox):
    def __init__(
        self,
        sessions: Database,
        member: StaffMember,
        config: Config,
        feedback: Feedback,
        after_release: AfterRelease,
        on_released: Released,
    ) -> None:
        super().__init__("Release to a parent or carer")
        self.sessions, self.member, self.config, self.feedback = sessions, member, config, feedback
        self.after_release, self.on_released = after_release, on_released
        self.device: HeldDevice | None = None
        self.choices = ReleaseChoices([], keeps_contacts=False)
        self.seniors: list[StaffMember] = []
        self.setStyleSheet(_CHOICE_CSS)
        self.contact_list = QVBoxLayout()
        self.group = QButtonGroup(self)
        self.group.idToggled.connect(self._toggled)
        self.name = QLineEdit()
        self.name.setPlaceholderText("Full name as on their ID")
        self.relationship = QComboBox()
        self.relationship.setEditable(True)
        self.relationship.addItems(RELATIONSHIPS)
        self.relationship.setPlaceholderText("Relationship to the pupil")
        self.senior = self._senior_box()
        self.id_document = QComboBox()
        self.id_document.setEditable(True)
        self.id_document.addItems(ID_DOCUMENTS)
        self.id_document.setCurrentIndex(-1)
        self.id_document.setPlaceholderText("Which photo ID?")
        self.id_seen = QCheckBox("I have seen their photo ID")
        self.confirm = QPushButton("Release the device")
        self.confirm.setProperty("role", "primary")
        self.confirm.clicked.connect(self._release)
        self.cancel = QPushButton("Cancel")
        buttons = QHBoxLayout()
        buttons.addWidget(self.confirm)
        buttons.addWidget(self.cancel)
        # One form, so every label lines up; the rows for someone else come and go.
        self.form = QFormLayout()
        self.form.addRow("Name", self.name)
        self.form.addRow("Relationship", self.relationship)
        self.form.addRow(self.senior)
        self.form.addRow("ID seen", self.id_document)
        self.form.addRow(self.id_seen)
        self.form.addRow(buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(self.contact_list)
        layout.addLayout(self.form)

    def _senior_box(self) -> QWidget:
        box = QGroupBox("A senior member of staff authorises")
        self.senior_name = QComboBox()
        self.senior_name.setPlaceholderText("Senior member of staff")
        self.senior_pin = QLineEdit()
        self.senior_pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.senior_pin.setPlaceholderText("Their PIN")
        self.reason = QLineEdit()
        self.reason.setMaxLength(200)
        self.reason.setPlaceholderText("Why this person")
        form = QFormLayout(box)
        form.addRow("Senior", self.senior_name)
        form.addRow("PIN", self.senior_pin)
        form.addRow("Reason", self.reason)
        return box

    # -- opening the form for one device

    def open_for(self, device: HeldDevice) -> None:
        self.device = device
        self.setTitle(f"Release slot {device.slot_number} to a parent or carer")
        for field in (self.name, self.senior_pin, self.reason):
            field.clear()
        self.relationship.setCurrentIndex(-1)
        self.relationship.setEditText("")
        self.id_document.setCurrentIndex(-1)
        self.id_document.setEditText("")
        self.id_seen.setChecked(False)
        self._list_contacts(ReleaseChoices([], keeps_contacts=False), loading=True)
        sessions, pupil_id = self.sessions, device.pupil.id

        def load() -> tuple[ReleaseChoices, list[StaffMember]]:
            seniors = [
                m
                for m in staff.list_staff(sessions)
                if may(m.role, Action.AUTHORISE_UNLISTED_RELEASE)
            ]
            return contacts.release_choices(sessions, pupil_id), seniors

        attempt(self, self.feedback, "Loading the pupil's contacts", load, self._loaded)

    def _loaded(self, answer: tuple[ReleaseChoices, list[StaffMember]]) -> None:
        choices, self.seniors = answer
        self.senior_name.clear()
        self.senior_name.addItems([m.name for m in self.seniors])
        self.senior_name.setCurrentIndex(-1)
        self._list_contacts(choices)

    def _list_contacts(self, choices: ReleaseChoices, *, loading: bool = False) -> None:
        self.choices = choices
        for old in self.group.buttons():  # now, not when deleted: no stale choice remains
            self.group.removeButton(old)
        while self.contact_list.count():
            item = self.contact_list.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        if loading:
            self.contact_list.addWidget(QLabel("Loading the pupil's contacts…"))
        elif choices.contacts:
            self.contact_list.addWidget(QLabel("Who is collecting? (contacts from the MIS)"))
        elif choices.keeps_contacts:
            self.contact_list.addWidget(
                _wrapped(
                    "No contacts on record for this pupil: anyone collecting needs a "
                    "senior member of staff's PIN."
                )
            )
        for index, row in enumerate(choices.contacts):
            self.contact_list.addWidget(self._contact_widget(index, row))
        self.someone_else = QRadioButton("Someone else")
        self.group.addButton(self.someone_else, SOMEONE_ELSE)
        self.contact_list.addWidget(self.someone_else)
        self.someone_else.setVisible(bool(choices.contacts))
        if not choices.may_collect and not loading:
            self.someone_else.setChecked(True)
        self._show_other()

    def _contact_widget(self, index: int, row: ContactRow) -> QWidget:
        if row.do_not_release:
            label = _wrapped(
                f"Do not release to {row.describe()}: a court order or safeguarding "
                "decision. Tell the DSL if they ask."
            )
            label.setProperty("role", "error")
            return label
        if not row.may_collect:
            label = _wrapped(f"{row.describe()} may not collect: choose 'Someone else'.")
            label.setEnabled(False)
            return label
        box = QWidget()
        button = QRadioButton(f"{row.priority}. {row.describe()}")
        self.group.addButton(button, index)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(button)
        details = _contact_details(row)
        if details:
            layout.addWidget(_wrapped(details, indent=True))
        return box

    def _toggled(self, button_id: int, checked: bool) -> None:
        self._show_other()
        if checked and button_id == SOMEONE_ELSE and self.isVisible():
            QTimer.singleShot(0, self, self._bring_name_into_view)  # once the rows are laid out

    def _bring_name_into_view(self) -> None:
        """On a short screen the fields for someone else open below the fold."""
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        if parent is not None:
            parent.ensureWidgetVisible(self.name)

    def _show_other(self) -> None:
        someone_else = self.group.checkedId() == SOMEONE_ELSE
        self.form.setRowVisible(self.name, someone_else)
        self.form.setRowVisible(self.relationship, someone_else)
        self.form.setRowVisible(self.senior, someone_else and self.choices.keeps_contacts)

    # -- releasing

    def chosen_contact(self) -> ContactRow | None:
        chosen = self.group.checkedId()
        return self.choices.contacts[chosen] if 0 <= chosen < len(self.choices.contacts) else None

    def _approval(self) -> SeniorApproval | None:
        if not (self.group.checkedId() == SOMEONE_ELSE and self.choices.keeps_contacts):
            return None
        index = self.senior_name.currentIndex()
        if index < 0:
            raise ValueError("Choose the senior member of staff who authorises this release.")
        if not self.senior_pin.text():
            raise ValueError("The senior member of staff types their PIN.")
        senior = self.seniors[index]
        return SeniorApproval(
            senior.id, self.senior_pin.text(), self.config.kiosk_name, self.reason.text()
        )

    def _release(self) -> None:
        device = self.device
        if device is None:
            return
        contact = self.chosen_contact()
        if contact is None and self.group.checkedId() != SOMEONE_ELSE:
            self.feedback.error("Choose who is collecting.")
            return
        if not self.id_document.currentText().strip():
            self.feedback.error("Say which photo ID you saw.")
            return
        try:
            approval = self._approval()
        except ValueError as problem:
            self.feedback.error(str(problem))
            return
        self.senior_pin.clear()  # typed once: never kept on screen
        name = contact.name if contact else self.name.text()
        relationship = self.relationship.currentText()
        id_document, id_seen = self.id_document.currentText(), self.id_seen.isChecked()
        sessions, actor, after = self.sessions, self.member.actor, self.after_release

        def release() -> str:
            confiscation.release_to_parent(
                sessions, actor, device.custody_id, name, relationship, id_seen,
                contact_id=contact.contact_id if contact else None,
                id_document=id_document, approval=approval,
            )  # fmt: skip
            return after(device)

        self.confirm.setEnabled(False)  # one tap, one release
        attempt(
            self,
            self.feedback,
            "Releasing a device to a parent",
            release,
            lambda door: self._released(device, name, door),
            lambda: self.confirm.setEnabled(True),
        )

    def _released(self, device: HeldDevice, name: str, door: str) -> None:
        self.confirm.setEnabled(True)
        self.on_released(device, name, door)


def _contact_details(row: ContactRow) -> str:
    words = ["parental responsibility" if row.parental_responsibility else "", row.telephone]
    return " · ".join(w for w in words if w)


def _wrapped(text: str, *, indent: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    if indent:  # under its choice's words, past the round button
        label.setContentsMargins(44, 0, 0, 6)
    return label
