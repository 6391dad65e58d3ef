"""Scans, answers and Undo on the pupil screen, so that every result belongs to the pupil
in front of it (the bookkeeping is ``turns``; the reasons are in its docs).

Undo cannot strand a phone. After "Not me? Undo" the screen asks for the same card to be
shown again: a pupil further back in the queue has not got it, and their own card simply
starts their own hand-in (the next card scanned always takes the Undo away). And an
undone hand-in's slot is not given to anyone until a member of staff has checked it empty
(``services.slot_checks``), because the phone may already be in it.

Probing is counted: refused cards and home-time look-ups go into a ``ProbeTally`` and are
written as one event per kind and minute (``services.probes``).

``ScanFlow`` is a part of ``KioskScreen`` (a mixin), like ``StaffDesk``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QStackedWidget

from kiosk.config import Config
from kiosk.db import Database
from kiosk.errors import CardRevoked, PupilNotActive, TooLate, UnknownCard, UnknownPupil
from kiosk.event_kinds import EventKind
from kiosk.rules import UNDO_WINDOW
from kiosk.services import probes
from kiosk.services.lockers.bank import LockerBank
from kiosk.services.outcome import OutcomeUnknown
from kiosk.services.staff import StaffMember
from kiosk.ui.background import Failure, Lane, Op, log_failure
from kiosk.ui.kiosk_screen.jobs import Answer, scan_job, undo_job
from kiosk.ui.kiosk_screen.outcomes import (
    NOT_SET_UP,
    WAIT_FOR_STAFF,
    Mode,
    State,
    error_outcome,
    undo_confirm_outcome,
)
from kiosk.ui.kiosk_screen.pages import IdlePage, ResultPage
from kiosk.ui.kiosk_screen.turns import Presence, Scan, Turns
from kiosk.ui.kiosk_screen.waiting import RecordsWait

log = logging.getLogger(__name__)

# A result stays while its pupil's card is still in view, but never past this: the Undo
# on it must end before the services' own window does.
LONGEST_HOLD_SECONDS = UNDO_WINDOW.total_seconds() - 10
PROBE_FLUSH_MS = 15_000
REFUSALS: tuple[tuple[type[Exception], str], ...] = (
    (CardRevoked, "replaced_card"),
    (PupilNotActive, "left_school"),
    (UnknownPupil, "unknown_pupil"),
)


class ScanFlow:
    sessions: Database
    config: Config
    lane: Lane
    clock: Callable[[], dt.datetime]
    monotonic: Callable[[], float]
    turns: Turns
    cards_in_view: Presence
    probe_tally: probes.ProbeTally
    answer: Answer | None
    state: State
    pages: QStackedWidget
    idle_page: IdlePage
    result_page: ResultPage
    back_timer: QTimer
    undo_timer: QTimer
    busy_timer: QTimer
    wait_timer: QTimer
    _hold_until: float
    _shown_at: float
    _undo_of: Answer | None
    bank: LockerBank | None
    records_wait: RecordsWait
    ready: bool  # False until the school has slots and pupils (``services.setup``)

    if TYPE_CHECKING:  # provided by KioskScreen and its other parts

        @property
        def mode(self) -> Mode:
            raise NotImplementedError

        def isVisible(self) -> bool:
            raise NotImplementedError

        def staff_page_open(self) -> bool:
            raise NotImplementedError

        def staff_present(self) -> StaffMember | None:
            raise NotImplementedError

        def show_answer(self, answer: Answer, *, sound: bool = True) -> None:
            raise NotImplementedError

        def go_idle(self) -> None:
            raise NotImplementedError

        def _set_state(self, state: State) -> None:
            raise NotImplementedError

        def _owner(self) -> QObject:
            raise NotImplementedError

    # -- scans

    def handle_scan(self, text: str) -> None:
        """A card was read (camera or scanner). Ignored while staff use the kiosk or it is
        hidden behind the console; a card still in view is not a new scan."""
        if self.staff_page_open() or not self.isVisible():
            return
        now = self.monotonic()
        new = self.cards_in_view.sighted(text, now)
        if self._undo_of is not None and self._undo_of.card == text:
            self._undo_with_card(self._undo_of, text)
            return
        if not new:
            self._keep_showing(text, now)
            return
        self._drop_undo()  # the next card scanned takes the Undo away
        if not self.ready:  # nothing to look up: no pupils or no slots yet
            self.turns.new_tap()
            self.show_answer(Answer(NOT_SET_UP, card=text))
            return
        if self.mode is Mode.COLLECTION and self.staff_present() is None:
            self.turns.new_tap()  # anything on its way is not for this pupil
            self.show_answer(Answer(WAIT_FOR_STAFF, card=text))
            return
        scan = self.turns.new_scan(text, now)
        if self.turns.may_start(now):
            self._start_scan(scan)
        else:  # wait for the answer in flight, or for the result up to be read
            self.turns.waiting = scan
            self.wait_timer.start(max(50, round(self.turns.hold_left(now) * 1000)))

    def _start_scan(self, scan: Scan) -> None:
        self.turns.in_flight += 1
        self.busy_timer.start()
        self.records_wait.started()
        # The job runs on the real clock; the screen's may be a test's, so hand over the
        # time left rather than the screen's deadline itself.
        deadline = time.monotonic() + max(0.0, scan.deadline - self.monotonic())
        job = partial(scan_job, self.sessions, self.mode, scan.text, deadline, self.bank)
        Op(self._owner(), "A scan", job).success(partial(self._scan_answered, scan)).failure(
            partial(self._scan_failed, scan)
        ).run(self.lane)

    def _scan_answered(self, scan: Scan, answer: Answer) -> None:
        self.turns.in_flight -= 1
        answer = replace(answer, card=scan.text)
        if self.mode is Mode.COLLECTION and answer.pupil_id is not None:
            self._note_probe(EventKind.HOME_TIME_LOOKUPS, "looked_up", answer.pupil_id)
        self._show_for_scan(scan, answer)
        self.start_waiting_scan()

    def _scan_failed(self, scan: Scan, failure: Failure) -> None:
        self.turns.in_flight -= 1
        error = failure.error
        if isinstance(error, OutcomeUnknown):  # looked up until it is known
            self._outcome_unknown(scan, error)
            self.start_waiting_scan()
            return
        reason = error.reason if isinstance(error, UnknownCard) else None
        reason = reason or next((r for kind, r in REFUSALS if isinstance(error, kind)), None)
        if reason is not None:
            self._note_probe(EventKind.CARDS_REFUSED, reason)
        self._show_for_scan(scan, Answer(error_outcome(error), card=scan.text))
        self.start_waiting_scan()

    def _show_for_scan(self, scan: Scan, answer: Answer) -> None:
        if not self.turns.is_current(scan.seq):
            log.info("An answer for a scan made before the newest one; not shown")
            return
        if scan.too_late_to_show(self.monotonic()):
            answer = Answer(error_outcome(TooLate()))  # the pupil may have gone
        self._answered(answer)

    def _outcome_unknown(self, scan: Scan, error: OutcomeUnknown) -> None:
        if not self.turns.is_current(scan.seq):  # its pupil has gone; the record tells
            log.warning("A hand-in of unknown outcome for an earlier scan; not shown")
            return
        self._answered(None)
        self.records_wait.unknown(error.token)

    def show_answer_to(self, seq: int, answer: Answer) -> None:
        """The answer to a tap, shown only if nothing has happened on screen since."""
        if self.turns.is_current(seq):
            self._answered(answer)

    def _failed_to(self, seq: int, failure: Failure) -> None:
        self.show_answer_to(seq, Answer(error_outcome(failure.error)))

    def _answered(self, answer: Answer | None) -> None:
        """Paint ``answer`` (None: the answer is not known yet, see ``RecordsWait``)."""
        self.busy_timer.stop()
        self.records_wait.answered()
        self.idle_page.set_busy(False)
        if answer is not None:
            self.show_answer(answer)

    def start_waiting_scan(self) -> None:
        """Start the scan that waited, once nothing is in flight and the result up has
        been on screen long enough to read."""
        waiting = self.turns.waiting
        if waiting is None:
            return
        now = self.monotonic()
        if not self.turns.may_start(now):
            if self.turns.in_flight == 0:
                self.wait_timer.start(max(50, round(self.turns.hold_left(now) * 1000)))
            return
        scan = self.turns.take_waiting(now)
        if scan is not None:
            self._start_scan(scan)
        elif self.turns.is_current(waiting.seq):  # it waited too long: say so, show nothing
            self._answered(Answer(error_outcome(TooLate())))

    def show_waiting(self) -> None:
        """The database is slow: take the last pupil's result off the screen meanwhile."""
        self.idle_page.set_busy(True)
        if self.state is not State.IDLE and not self.staff_page_open():
            self.go_idle()
            self.idle_page.set_busy(True)

    # -- the same pupil still in front

    def _keep_showing(self, text: str, now: float) -> None:
        """Their card is still in view: their result (and its Undo) stays up."""
        answer = self.answer
        if answer is None or answer.card != text:
            return
        longest = self._shown_at + LONGEST_HOLD_SECONDS
        self._hold_until = min(longest, max(self._hold_until, now + answer.outcome.seconds))

    def hold_remaining(self) -> float:
        return self._hold_until - self.monotonic()

    def on_back_timer(self) -> None:
        left = self.hold_remaining()
        if left > 0.05:
            self.back_timer.start(math.ceil(left * 1000))
        else:
            self.go_idle()

    # -- undo

    def ask_for_card_again(self) -> None:
        """ "Not me? Undo": only the card that handed it in, shown again, cancels it."""
        answer = self.answer
        if answer is None or not answer.outcome.undo or answer.card is None:
            return
        self.turns.new_tap()
        self.show_answer(Answer(undo_confirm_outcome(answer.outcome)))
        self._undo_of = answer

    def _undo_with_card(self, handed_in: Answer, card: str) -> None:
        outcome = handed_in.outcome
        self._drop_undo()
        if outcome.custody_id is None:
            return
        seq = self.turns.new_tap()
        self.busy_timer.start()
        job = partial(undo_job, self.sessions, outcome.custody_id, outcome.slot, card, self.bank)
        Op(self._owner(), "Undoing a hand-in", job).success(
            partial(self.show_answer_to, seq)
        ).failure(partial(self._failed_to, seq)).run(self.lane)

    def _drop_undo(self) -> None:
        self._undo_of = None
        self.undo_timer.stop()
        self.result_page.undo.setVisible(False)

    def tick_undo(self) -> None:
        left = math.ceil(self.hold_remaining())
        self.result_page.set_undo_seconds(max(0, left))
        if left <= 0:
            self.undo_timer.stop()

    # -- probing, counted

    def _note_probe(self, kind: EventKind, reason: str, pupil_id: int | None = None) -> None:
        self.probe_tally.note(kind, reason, self.clock(), pupil_id)

    def flush_probes(self, *, everything: bool = False) -> None:
        """Write the minutes that have ended (``everything``: all, now, on this thread,
        as the kiosk closes)."""
        tally = self.probe_tally
        if everything:
            try:
                probes.record_bursts(self.sessions, self.config.kiosk_name, tally.drain())
            except Exception as error:
                log_failure("Recording refused scans", error)
            return
        bursts = tally.due(self.clock())
        if bursts:
            job = partial(probes.record_bursts, self.sessions, self.config.kiosk_name, bursts)
            Op(self._owner(), "Recording refused scans", job).failure(
                lambda _failure: tally.put_back(bursts)
            ).run(self.lane)
