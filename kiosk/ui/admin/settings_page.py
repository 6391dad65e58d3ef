"""School settings: name, card code, hand-in and collection times, sounds, how long the
records of pupils who left are kept, how many automatic backups are kept. Shared by every
kiosk on the database."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTimeEdit,
)

from kiosk.db import Database
from kiosk.services import settings
from kiosk.services.settings import SchoolSettings
from kiosk.services.staff import StaffMember
from kiosk.ui.admin.common import SettingsFormPage, button, hint, touch
from kiosk.ui.staff.common import attempt

TIME_KEYS = ("handin_opens", "handin_closes", "collection_opens", "collection_closes")
TIME_WORDS = {
    "handin_opens": "Hand-in opens",
    "handin_closes": "Hand-in closes",
    "collection_opens": "Collection opens",
    "collection_closes": "Collection closes",
}


BACKUP_KEYS = ("backup_keep_daily", "backup_keep_weekly", "backup_keep_monthly")


def _qtime(value: dt.time) -> QTime:
    return QTime(value.hour, value.minute)


class SettingsPage(SettingsFormPage):
    def __init__(self, sessions: Database, staff: StaffMember) -> None:
        super().__init__(sessions, staff)
        self.school_name = QLineEdit()
        self.school_name.setMaxLength(80)
        self.school_code = QLineEdit()
        self.school_code.setMaxLength(8)
        self.times = {key: QTimeEdit() for key in TIME_KEYS}
        for edit in self.times.values():
            edit.setDisplayFormat("HH:mm")
        self.sound = QCheckBox("Play sounds at the kiosk")
        self.retention = QSpinBox()
        self.retention.setRange(30, 3650)
        self.retention.setSuffix(" days")
        self.backups_kept = {key: QSpinBox() for key in BACKUP_KEYS}
        for key, spin in self.backups_kept.items():
            lowest, highest, _what = settings.NUMBERS[key]
            spin.setRange(lowest, highest)
        edits = (self.school_name, self.school_code, self.retention, *self.times.values())
        for widget in (*edits, *self.backups_kept.values()):
            touch(widget)
        touch(self.sound, 48)
        self.save_button = button("Save", "primary", self.save)
        self.undo_button = button("Undo changes", on_click=self.reload)

        form = QFormLayout()
        form.addRow("School name", self.school_name)
        form.addRow("School code on cards", self.school_code)
        form.addRow(
            "",
            hint(
                "2-8 letters or digits. Changing it stops every printed card working until "
                "the cards are printed again."
            ),
        )
        for label, opens, closes in (
            ("Hand-in", "handin_opens", "handin_closes"),
            ("Collection", "collection_opens", "collection_closes"),
        ):
            row = QHBoxLayout()
            row.addWidget(QLabel("opens"))
            row.addWidget(self.times[opens], 1)
            row.addWidget(QLabel("closes"))
            row.addWidget(self.times[closes], 1)
            form.addRow(label, row)
        form.addRow("Sounds", self.sound)
        form.addRow("Keep records of pupils who left for", self.retention)
        kept = QHBoxLayout()
        for key, words in zip(BACKUP_KEYS, ("days", "weeks", "months"), strict=True):
            kept.addWidget(self.backups_kept[key], 1)
            kept.addWidget(QLabel(words))
        form.addRow("Automatic backups kept", kept)
        form.addRow(
            "",
            hint(
                "The newest of each of so many days, weeks and months. Backups made with Back "
                "up now are never deleted by the kiosk."
            ),
        )
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.save_button)
        layout = self.headed("Settings")
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.feedback)
        layout.addStretch(1)
        self.reload()

    def reload(self) -> None:
        attempt(
            self,
            self.feedback,
            "Loading settings",
            lambda: settings.load(self.sessions),
            self._loaded,
        )

    def _loaded(self, current: SchoolSettings) -> None:
        self.show_settings(current)
        self.loaded = self.values()

    def show_settings(self, current: SchoolSettings) -> None:
        self.school_name.setText(current.school_name)
        self.school_code.setText(current.school_code)
        for key in TIME_KEYS:
            self.times[key].setTime(_qtime(getattr(current, key)))
        self.sound.setChecked(current.sound)
        self.retention.setValue(current.retention_days)
        for key, count in zip(BACKUP_KEYS, current.backups_kept, strict=True):
            self.backups_kept[key].setValue(count)

    def values(self) -> dict[str, str]:
        return {
            "school_name": self.school_name.text(),
            "school_code": self.school_code.text(),
            **{key: self.times[key].time().toString("HH:mm") for key in TIME_KEYS},
            "sound": "on" if self.sound.isChecked() else "off",
            "retention_days": str(self.retention.value()),
            **{key: str(spin.value()) for key, spin in self.backups_kept.items()},
        }

    def _times_in_order(self) -> bool:
        for start, end in (
            ("handin_opens", "handin_closes"),
            ("collection_opens", "collection_closes"),
        ):
            if self.times[start].time() >= self.times[end].time():
                self.feedback.error(f"{TIME_WORDS[end]} must be after {TIME_WORDS[start].lower()}.")
                return False
        return True

    def save(self) -> None:
        if not self._times_in_order():
            return
        changes = self.changes()
        if not changes:
            return
        if "school_code" in changes and not self.confirm(
            self,
            "Change the school code",
            "Every pupil card printed so far will stop working until new cards are printed. "
            "Change the code?",
        ):
            self.feedback.note("Nothing was saved.")
            return
        saved = "Saved. Every kiosk uses the new settings from now on."
        self.save_changes("Saving settings", changes, saved)
