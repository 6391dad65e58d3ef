"""Letters and email: the school's wording of the letter to parents (placeholders checked
when it is saved), the mail server that emails it (the password goes to the key store,
never the database), and after how many days a confiscated device counts as unclaimed."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
)

from kiosk.config import Config
from kiosk.db import Database
from kiosk.keystore import KeyStore
from kiosk.services import letters, mail, settings, unclaimed
from kiosk.services.mail import MailServer
from kiosk.services.staff import StaffMember
from kiosk.ui.admin.common import AdminPage, Feedback, button, hint, touch
from kiosk.ui.staff.common import attempt

KEEP_PASSWORD = "(unchanged: type a new one to replace it)"


@dataclass(frozen=True)
class LetterSettings:
    template: str
    server: MailServer
    unclaimed_days: int


def load_letter_settings(sessions: Database, store: KeyStore) -> LetterSettings:
    with sessions() as session:
        days = unclaimed.limit_days(session)
    return LetterSettings(
        letters.current_template(sessions), mail.mail_server(sessions, store), days
    )


def placeholder_words() -> str:
    return "Placeholders: " + "; ".join(
        f"{{{name}}} {words}" for name, words in letters.PLACEHOLDERS.items()
    )


class LettersPage(AdminPage):
    def __init__(self, sessions: Database, staff: StaffMember, config: Config) -> None:
        super().__init__(sessions, staff)
        self.store = KeyStore.for_config(config)
        self.mail_feedback = Feedback()
        self.unclaimed_feedback = Feedback()
        layout = self.headed("Letters and email")  # the console's tab scrolls it when short
        layout.addWidget(self._wording_box())
        layout.addWidget(self.feedback)
        layout.addWidget(self._mail_box())
        layout.addWidget(self.mail_feedback)
        layout.addWidget(self._unclaimed_box())
        layout.addWidget(self.unclaimed_feedback)
        layout.addStretch(1)
        self.reload()

    def _wording_box(self) -> QGroupBox:
        box = QGroupBox("The letter to parents when a device is confiscated")
        self.template = QPlainTextEdit()
        self.template.setMinimumHeight(220)
        save = button("Save the wording", "primary", self.save_template)
        default = button("Back to the default wording", on_click=self.default_template)
        buttons = QHBoxLayout()
        buttons.addWidget(default)
        buttons.addStretch(1)
        buttons.addWidget(save)
        layout = QVBoxLayout(box)
        layout.addWidget(self.template)
        layout.addWidget(hint(placeholder_words()))
        layout.addWidget(
            hint("A blank line starts a new paragraph. To show a brace, type it twice.")
        )
        layout.addLayout(buttons)
        return box

    def _mail_box(self) -> QGroupBox:
        box = QGroupBox("Email (SMTP): leave the server empty to send no email")
        self.host = QLineEdit()
        self.host.setPlaceholderText("e.g. smtp.office365.com")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.security = QComboBox()
        for key in mail.SECURITY:
            self.security.addItem(mail.SECURITY_WORDS[key], key)
        self.security.currentIndexChanged.connect(self._security_chosen)
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.from_address = QLineEdit()
        self.from_address.setPlaceholderText("e.g. office@school.org.uk")
        for widget in (
            self.host,
            self.port,
            self.security,
            self.user,
            self.password,
            self.from_address,
        ):
            touch(widget)
        form = QFormLayout(box)
        form.addRow("Mail server", self.host)
        form.addRow("Port", self.port)
        form.addRow("Security", self.security)
        form.addRow("User name", self.user)
        form.addRow("Password", self.password)
        form.addRow("", hint("Kept in the kiosk's key store, never in the database."))
        form.addRow("From address", self.from_address)
        remove = button("Remove the password", on_click=self.remove_password)
        save = button("Save the email settings", "primary", self.save_mail)
        buttons = QHBoxLayout()
        buttons.addWidget(remove)
        buttons.addStretch(1)
        buttons.addWidget(save)
        form.addRow(buttons)
        return box

    def _unclaimed_box(self) -> QGroupBox:
        box = QGroupBox("Unclaimed confiscated devices")
        self.unclaimed_days = QSpinBox()
        self.unclaimed_days.setRange(1, 60)
        self.unclaimed_days.setSuffix(" days")
        touch(self.unclaimed_days)
        save = button("Save", "primary", self.save_unclaimed)
        row = QHBoxLayout(box)
        row.addWidget(hint("Flag a confiscated device still held after"))
        row.addWidget(self.unclaimed_days)
        row.addStretch(1)
        row.addWidget(save)
        return box

    # -- reading and showing

    def reload(self) -> None:
        job = partial(load_letter_settings, self.sessions, self.store)
        attempt(self, self.feedback, "Loading the letter settings", job, self.show_settings)

    def show_settings(self, current: LetterSettings) -> None:
        self.template.setPlainText(current.template)
        server = current.server
        self.host.setText(server.host)
        self.security.setCurrentIndex(max(self.security.findData(server.security), 0))
        self.port.setValue(server.port)
        self.user.setText(server.user)
        self.password.clear()
        self.password.setPlaceholderText(KEEP_PASSWORD if server.has_password else "")
        self.from_address.setText(server.from_address)
        self.unclaimed_days.setValue(current.unclaimed_days)

    def _security_chosen(self) -> None:
        if self.port.value() in mail.DEFAULT_PORT.values():
            self.port.setValue(mail.DEFAULT_PORT[self.security.currentData()])

    # -- saving

    def save_template(self) -> None:
        text, actor = self.template.toPlainText(), self.staff.actor
        job = partial(letters.update_template, self.sessions, actor, text)
        attempt(self, self.feedback, "Saving the letter", job, self._template_saved)

    def default_template(self) -> None:
        self.template.setPlainText(letters.DEFAULT_TEMPLATE)
        self.feedback.note("The default wording is shown: save it to use it.")

    def _template_saved(self, saved: str) -> None:
        self.template.setPlainText(saved)
        self.feedback.ok("The letter's wording is saved: the next letter uses it.")

    def _server(self) -> MailServer:
        return MailServer(
            self.host.text(),
            self.port.value(),
            str(self.security.currentData()),
            self.user.text(),
            self.from_address.text(),
        )

    def save_mail(self, password: str | None = None) -> None:
        typed = self.password.text()
        if password is None and typed:
            password = typed
        job = partial(
            mail.update_server,
            self.sessions,
            self.staff.actor,
            self._server(),
            self.store,
            password,
        )
        attempt(self, self.mail_feedback, "Saving the email settings", job, self._mail_saved)

    def remove_password(self) -> None:
        self.save_mail(password="")

    def _mail_saved(self, saved: MailServer) -> None:
        self.reload()
        if not saved.configured:
            self.mail_feedback.ok("Saved: no email will be sent (no mail server).")
        else:
            self.mail_feedback.ok(f"Saved: letters are emailed through {saved.where}.")

    def save_unclaimed(self) -> None:
        days = str(self.unclaimed_days.value())
        job = partial(settings.update, self.sessions, self.staff.actor, {"unclaimed_days": days})
        attempt(
            self,
            self.unclaimed_feedback,
            "Saving the unclaimed limit",
            job,
            lambda _: self.unclaimed_feedback.ok(f"Saved: devices are flagged after {days} days."),
        )
