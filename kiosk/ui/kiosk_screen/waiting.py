"""The kiosk's side of records that do not answer: the pupil is told plainly by the job's
deadline, and a hand-in whose outcome is unknown is looked up until it is known.

``RecordsWait`` belongs to the kiosk screen. ``started()`` when a scan's job starts arms
the deadline (``Database.limits.job_s``): if the job has not answered by then, the screen
shows ``waiting_outcome`` ("The kiosk is waiting for its records: please wait or see the
office"). The job itself gives up its connection at the same deadline (see
``kiosk.db_limits``), so the lane is soon free and the next card can be scanned. A job
that ends with ``OutcomeUnknown`` leaves its token here: the screen asks every
``RESOLVE_EVERY_MS`` whether that hand-in was saved, and answers the pupil with the truth
(their slot, or "not saved: scan again") while the waiting message is still theirs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QObject, QTimer

from kiosk.db import Database
from kiosk.errors import RecordsNotAnswering
from kiosk.services import outcome
from kiosk.services.custody import HandInResult
from kiosk.ui.background import Failure, Lane, Op
from kiosk.ui.kiosk_screen.jobs import Answer, photo_of
from kiosk.ui.kiosk_screen.outcomes import (
    ERROR_SECONDS,
    Outcome,
    State,
    Tone,
    hand_in_outcome,
)

log = logging.getLogger(__name__)

RESOLVE_EVERY_MS = 1000
GIVE_UP_SECONDS = 120.0  # after this the office sorts it out (the record, if any, is there)
WAITING_SECONDS = 30  # the waiting message stays this long unless an answer replaces it


def waiting_outcome() -> Outcome:
    return Outcome(
        State.WAITING,
        Tone.WARNING,
        "Please wait",
        RecordsNotAnswering.default_message,
        seconds=WAITING_SECONDS,
    )


def not_saved_outcome() -> Outcome:
    message = "Your hand-in was not saved. Please scan your card again."
    return Outcome(State.ERROR, Tone.ERROR, "Not handed in", message, seconds=ERROR_SECONDS)


def gave_up_outcome() -> Outcome:
    message = "The kiosk could not check your hand-in. Please see the office."
    return Outcome(State.ERROR, Tone.ERROR, "Please see the office", message, seconds=ERROR_SECONDS)


class RecordsWait(QObject):
    """See the module docs. ``show`` paints an answer (the screen's ``show_answer``);
    ``showing`` tells whether a given answer is still on screen."""

    def __init__(
        self,
        owner: QObject,
        sessions: Database,
        lane: Lane,
        show: Callable[[Answer], None],
        showing: Callable[[Answer], bool],
    ) -> None:
        super().__init__(owner)
        self.sessions, self.lane = sessions, lane
        self._show, self._showing = show, showing
        self.deadline_timer = QTimer(self)
        self.deadline_timer.setSingleShot(True)
        self.deadline_timer.setInterval(round(sessions.limits.job_s * 1000))
        self.deadline_timer.timeout.connect(self._deadline_passed)
        self.resolve_timer = QTimer(self)
        self.resolve_timer.setInterval(RESOLVE_EVERY_MS)
        self.resolve_timer.timeout.connect(self._ask)
        self.waiting_answer: Answer | None = None
        self.unresolved: str | None = None  # the token of a hand-in not yet known
        self._since = 0.0
        self._asking = False

    # -- the deadline of a job

    def started(self) -> None:
        self.deadline_timer.start()

    def answered(self) -> None:
        self.deadline_timer.stop()

    def _deadline_passed(self) -> None:
        log.warning("A kiosk job passed its deadline; the pupil was asked to wait")
        self._say_waiting()

    def _say_waiting(self) -> None:
        self.waiting_answer = Answer(waiting_outcome())
        self._show(self.waiting_answer)

    # -- a hand-in whose outcome is unknown

    def unknown(self, token: str) -> None:
        """A job ended with ``OutcomeUnknown``: keep asking until it is known."""
        self.unresolved, self._since = token, time.monotonic()
        if self.waiting_answer is None or not self._showing(self.waiting_answer):
            self._say_waiting()
        self.resolve_timer.start()

    def _ask(self) -> None:
        token = self.unresolved
        if token is None or self._asking:
            return
        if time.monotonic() - self._since > GIVE_UP_SECONDS:
            self._settle(Answer(gave_up_outcome()), "not confirmed in time")
            return
        self._asking = True
        Op(self, "Checking a hand-in", partial(outcome.resolve, self.sessions, token)).success(
            self._resolved
        ).failure(self._still_unknown).run(self.lane)

    def _resolved(self, found: HandInResult | None) -> None:
        self._asking = False
        if self.unresolved is None:
            return
        if found is None:
            self._settle(Answer(not_saved_outcome()), "not saved")
        else:
            self._settle(Answer(hand_in_outcome(found), photo_of(found.pupil)), "saved")

    def _still_unknown(self, _failure: Failure) -> None:
        self._asking = False  # asked again at the next tick

    def _settle(self, answer: Answer, what: str) -> None:
        self.resolve_timer.stop()
        self.unresolved = None
        if self.waiting_answer is not None and self._showing(self.waiting_answer):
            self._show(answer)  # the pupil is still waiting for this answer
        log.info("A hand-in of unknown outcome was settled: %s", what)
        self.waiting_answer = None
