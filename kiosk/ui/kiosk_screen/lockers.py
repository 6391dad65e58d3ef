"""Locker doors at the kiosk: the doors' news while a pupil stands there ("Thank you: your
phone is in slot N", "Is your phone in slot N?"), and the monitor that follows every door,
polled in the background on a lane of its own (never on the GUI thread, never touching a
widget from there).

``LockerDesk`` is a part of ``KioskScreen`` (a mixin), like ``StaffDesk``: it uses the
screen's pages, lane and answer, and its ``show_answer`` and ``go_idle``. A kiosk with no
locker doors mapped has no bank and does none of this. Faults go to the staff dashboard
(``kiosk.ui.staff.locker_faults``), which reads them from the records itself.
"""

from __future__ import annotations

import logging
from functools import partial

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QStackedWidget, QVBoxLayout, QWidget

from kiosk.db import Database
from kiosk.services.lockers import doors
from kiosk.services.lockers.bank import LockerBank
from kiosk.services.lockers.doors import DoorOutcome
from kiosk.services.lockers.monitor import DoorNotice, LockerMonitor, NoticeKind
from kiosk.ui.background import Lane, Op, log_failure
from kiosk.ui.kiosk_screen.jobs import Answer
from kiosk.ui.kiosk_screen.outcomes import door_outcome
from kiosk.ui.kiosk_screen.pages import kiosk_button
from kiosk.ui.style import TONE_COLOURS, kiosk_button_css
from kiosk.ui.widgets.fit_text import FitText
from kiosk.ui.widgets.page import ColouredPage

log = logging.getLogger(__name__)

POLL_MS = 500
_PUPIL_NEWS = (NoticeKind.HAND_IN_COMPLETE, NoticeKind.DECLARED_NOT_DEPOSITED)
QUESTION_SECONDS = 25  # a little longer than the monitor waits before recording it


class DepositQuestionPage(ColouredPage):
    """ "Is your phone in slot N?" after a hand-in's door shut on an empty slot."""

    reopen_clicked = Signal()
    yes_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(TONE_COLOURS["warning"], parent)
        self.opening_id: int | None = None
        self.slot: int | None = None
        self.title = FitText(max_px=72)
        self.message = FitText(max_px=40, bold=False)
        self.reopen = kiosk_button("Open the door again")
        self.yes = kiosk_button("Yes, it is in")
        self.reopen.clicked.connect(self.reopen_clicked.emit)
        self.yes.clicked.connect(self.yes_clicked.emit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.reopen)
        buttons.addStretch(1)
        buttons.addWidget(self.yes)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.title, 3)
        layout.addWidget(self.message, 2)
        layout.addStretch(1)
        layout.addLayout(buttons)

    def ask(self, notice: DoorNotice) -> None:
        self.opening_id, self.slot = notice.opening_id, notice.slot_number
        self.title.setText(f"Is your phone in slot {notice.slot_number}?")
        self.message.setText(
            "The slot reads empty. Open the door again and put it in, then shut the door."
        )

    def apply_scale(self, scale: float) -> None:
        self.set_margins(round(28 * scale))
        self.title.set_max_px(round(72 * scale))
        self.message.set_max_px(round(40 * scale))
        self.reopen.setStyleSheet(kiosk_button_css(round(80 * scale), round(28 * scale)))
        self.yes.setStyleSheet(kiosk_button_css(round(80 * scale), round(28 * scale), primary=True))


class LockerDesk:
    sessions: Database
    lane: Lane
    answer: Answer | None
    pages: QStackedWidget
    back_timer: QTimer
    bank: LockerBank | None
    deposit_page: DepositQuestionPage

    def go_idle(self) -> None:
        raise NotImplementedError

    def show_answer(self, answer: Answer, *, sound: bool = True) -> None:
        raise NotImplementedError

    def staff_page_open(self) -> bool:
        raise NotImplementedError

    def _build_lockers(self) -> None:
        """The bank from the door map (none when no door is mapped, or the records cannot
        be read now: the kiosk then works with manual slots), its monitor and timer."""
        self.bank, self._monitor = None, None
        self.deposit_page = DepositQuestionPage()
        self.deposit_page.reopen_clicked.connect(partial(self._answer_deposit, True))
        self.deposit_page.yes_clicked.connect(partial(self._answer_deposit, False))
        try:
            bank = LockerBank.load(self.sessions)
        except Exception as error:
            log_failure("Loading the locker doors", error)
            return
        if not bank:
            return
        self.bank, self._monitor = bank, LockerMonitor(self.sessions, bank)
        owner = self if isinstance(self, QWidget) else None
        self._locker_lane = Lane("locker-doors", owner=owner)
        self._door_timer = QTimer(owner)
        self._door_timer.timeout.connect(self._poll_doors)
        self._door_timer.start(POLL_MS)

    def _poll_doors(self) -> None:
        if self._monitor is None or self._locker_lane.pending:
            return  # the last poll is still out (a board timing out): no queue of polls
        Op(self, "Watching the locker doors", self._monitor.poll).success(  # type: ignore[arg-type]
            self._on_door_notices
        ).run(self._locker_lane)

    def _on_door_notices(self, notices: list[DoorNotice]) -> None:
        for notice in notices:
            log.info("Locker: %s (slot %s)", notice.fault_kind or notice.kind, notice.slot_number)
            if self.staff_page_open() or notice.slot_number is None:
                continue
            if notice.kind is NoticeKind.ASK_DEPOSIT:
                self.deposit_page.ask(notice)
                self.pages.setCurrentWidget(self.deposit_page)
                self.back_timer.start(QUESTION_SECONDS * 1000)
            elif notice.kind in _PUPIL_NEWS and self._showing_slot(notice.slot_number):
                done = notice.kind is NoticeKind.HAND_IN_COMPLETE
                door = DoorOutcome(notice.slot_number, done, notice.message)
                title = "All done" if done else "Slot empty"
                self.show_answer(Answer(door_outcome(door, title=title)))

    def _showing_slot(self, slot: int) -> bool:
        """Whether the pupil of ``slot`` is (most likely) still at the screen."""
        if self.pages.currentWidget() is self.deposit_page:
            return self.deposit_page.slot == slot
        outcome = self.answer.outcome if self.answer else None
        return outcome is not None and outcome.slot == slot

    def _answer_deposit(self, reopen: bool) -> None:
        page, bank = self.deposit_page, self.bank
        if page.opening_id is None or bank is None:
            self.go_idle()
            return
        job = partial(
            doors.answer_deposit_question, self.sessions, bank, page.opening_id, reopen=reopen
        )
        Op(self, "Answering the locker question", job).success(  # type: ignore[arg-type]
            lambda door: self.show_answer(
                Answer(door_outcome(door, title=f"Slot {door.slot_number}"))
            )
        ).failure(lambda _failure: self.go_idle()).run(self.lane)

    def _stop_lockers(self) -> None:
        if self.bank is None:
            return
        self._door_timer.stop()
        self._locker_lane.stop()
        self.bank.close()
