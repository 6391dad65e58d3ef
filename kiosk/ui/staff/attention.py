"""On the dashboard, what needs a member of staff: slots to check empty after an undone
hand-in (with the button that clears each), probing at the kiosks today (cards refused,
look-ups at home time), counted, today's collection appointments for confiscated devices,
and the confiscated devices unclaimed beyond the school's limit."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kiosk.clock import to_local
from kiosk.config import Config
from kiosk.db import Database
from kiosk.keystore import KeyStore
from kiosk.services import appointments, parent_mail, probes, slot_checks, unclaimed
from kiosk.services.appointments import TodaysAppointment
from kiosk.services.parent_mail import MailReport
from kiosk.services.probes import ProbeSummary
from kiosk.services.slot_checks import SlotToCheck
from kiosk.services.staff import StaffMember
from kiosk.ui.background import Op
from kiosk.ui.staff.common import Feedback, warning_row
from kiosk.ui.style import AMBER, RED


@dataclass(frozen=True)
class Attention:
    slots: list[SlotToCheck]
    probes: list[ProbeSummary]
    collections: list[TodaysAppointment]
    unclaimed: int


def load_attention(sessions: Database) -> Attention:
    return Attention(
        slot_checks.slots_to_check(sessions),
        probes.probes_today(sessions),
        appointments.appointments_today(sessions),
        len(unclaimed.unclaimed(sessions)),
    )


def collection_words(attention: Attention) -> str:
    lines = [
        f"Collection today {t.appointment.at_time:%H:%M}: {t.appointment.who} for "
        f"{t.device.pupil.display_name} ({t.device.pupil.reg_group}), slot {t.device.slot_number}"
        + ("" if t.appointment.reminded_at else " (not reminded)")
        for t in attention.collections
    ]
    if attention.unclaimed:
        lines.append(
            f"{attention.unclaimed} confiscated device{'s' if attention.unclaimed != 1 else ''}"
            " unclaimed beyond the school's limit (Lists, Confiscations)"
        )
    return "\n".join(lines)


class AttentionPanel(QWidget):
    """Hidden when there is nothing to say."""

    def __init__(
        self,
        sessions: Database,
        staff: StaffMember,
        config: Config | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.sessions, self.staff = sessions, staff
        self.store = KeyStore.for_config(config) if config is not None else None
        self.remind_button = QPushButton("Email today's reminders")
        self.remind_button.clicked.connect(self._remind)
        self.rows = QVBoxLayout()
        self.probing = QLabel("")
        self.probing.setWordWrap(True)
        self.probing.setStyleSheet(f"color: {RED}; font-size: 18px; font-weight: 700;")
        self.collections = QLabel("")  # today's appointments, unclaimed devices
        self.collections.setWordWrap(True)
        self.collections.setStyleSheet(f"color: {AMBER}; font-size: 18px; font-weight: 700;")
        self.feedback = Feedback(collapsible=True)
        self.check_buttons: dict[int, QPushButton] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.rows)
        layout.addWidget(self.probing)
        collections = QHBoxLayout()
        collections.addWidget(self.collections, 1)
        collections.addWidget(self.remind_button)
        layout.addLayout(collections)
        layout.addWidget(self.feedback)
        self.setVisible(False)

    def refresh(self) -> None:
        Op(self, "Loading what needs checking", partial(load_attention, self.sessions)).success(
            self._show
        ).failure(lambda failure: self.feedback.error(failure.words)).run()

    def _show(self, attention: Attention) -> None:
        while (item := self.rows.takeAt(0)) is not None:
            widget = item.widget()
            if widget is not None:
                widget.deleteLater()
        self.check_buttons = {}
        for slot in attention.slots:
            self.rows.addWidget(self._slot_row(slot))
        self.probing.setText(
            "Probing at the kiosk today: " + "; ".join(s.words for s in attention.probes)
            if attention.probes
            else ""
        )
        self.probing.setVisible(bool(attention.probes))
        self.collections.setText(collection_words(attention))
        self.collections.setVisible(bool(self.collections.text()))
        self.remind_button.setVisible(
            self.store is not None
            and any(
                t.appointment.reminded_at is None and t.appointment.contact_id is not None
                for t in attention.collections
            )
        )
        shown = attention.slots or attention.probes or self.collections.text()
        self.setVisible(bool(shown or self.feedback.text()))

    def _slot_row(self, slot: SlotToCheck) -> QWidget:
        button = QPushButton(f"Slot {slot.number} is empty")
        button.clicked.connect(partial(self._checked, slot.number))
        self.check_buttons[slot.number] = button
        words = (
            f"Slot {slot.number}: a hand-in was undone at {to_local(slot.since):%H:%M}."
            " Check it is empty before it is used again."
        )
        return warning_row(words, AMBER, button)

    def _checked(self, number: int) -> None:
        job = partial(slot_checks.mark_checked_empty, self.sessions, self.staff.actor, number)
        Op(self, "Marking a slot checked", job).success(
            lambda _none: self._after_check(number)
        ).failure(lambda failure: self.feedback.error(failure.words)).run()

    def _remind(self) -> None:
        if self.store is None:
            return
        job = partial(
            parent_mail.send_todays_reminders, self.sessions, self.staff.actor, self.store
        )
        self.feedback.note("Emailing today's reminders…")
        Op(self, "Emailing today's reminders", job).success(self._reminded).failure(
            lambda failure: self.feedback.error(failure.words)
        ).run()

    def _reminded(self, reports: list[tuple[int, MailReport]]) -> None:
        words = " ".join(report.words() for _custody, report in reports)
        failed = any(r.failed or r.not_sent_because for _c, r in reports)
        (self.feedback.error if failed else self.feedback.ok)(words or "No reminders were due.")
        self.refresh()

    def _after_check(self, number: int) -> None:
        self.feedback.ok(f"Slot {number} is in use again.")
        self.refresh()
