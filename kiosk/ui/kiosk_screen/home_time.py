"""Home time: phones go back only while a member of staff is at the kiosk.

A pupil alone at the kiosk cannot release any device, their own included, and cannot even
look one up: with nobody signed in, a scan says "please wait for a member of staff" and
reads nothing. A member of staff signs in with their PIN (from the strip along the bottom,
the Staff menu, or the first "Give back"); from then on each "Give back" renews a short
presence window (``STAFF_PRESENCE_SECONDS``), so a queue of 300 pupils goes at one tap
each with no PIN in between. Their name and the time left are on screen all the while;
"I'm leaving" ends it at once, and so does a minute without a give-back (then the next
"Give back" asks for a PIN again). Only a give-back renews it: a tap that releases
nothing ("Not now", a tap on the screen) is as easily a pupil's, who must not be able to
keep the window open after the member of staff has gone. And however busy, a PIN is
asked again ``PIN_AGAIN_SECONDS`` after the last one (a queue of 300 fits in one).

``HomeTime`` is a part of ``KioskScreen`` (a mixin), like ``StaffDesk``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from kiosk.db import Database
from kiosk.errors import NotAuthorised
from kiosk.services.lockers.bank import LockerBank
from kiosk.services.staff import StaffMember
from kiosk.ui.background import Failure, Lane, Op
from kiosk.ui.kiosk_screen.collection_page import CollectionPage, StaffStrip
from kiosk.ui.kiosk_screen.jobs import Answer, collect_job
from kiosk.ui.kiosk_screen.outcomes import Mode
from kiosk.ui.kiosk_screen.staff_page import PIN_PURPOSES
from kiosk.ui.kiosk_screen.turns import Turns

STAFF_PRESENCE_SECONDS = 60
PIN_AGAIN_SECONDS = 15 * 60


class StaffPresence:
    """Who is giving phones back, until when (``time.monotonic()``); pure."""

    def __init__(
        self, seconds: float = STAFF_PRESENCE_SECONDS, longest: float = PIN_AGAIN_SECONDS
    ) -> None:
        self.seconds, self.longest = seconds, longest
        self._member: StaffMember | None = None
        self._until = self._pin_until = 0.0

    def open(self, member: StaffMember, now: float) -> None:
        self._member, self._pin_until = member, now + self.longest
        self._until = now + self.seconds

    def renew(self, now: float) -> None:
        if self.member(now) is not None:
            self._until = min(now + self.seconds, self._pin_until)

    def close(self) -> None:
        self._member = None

    def member(self, now: float) -> StaffMember | None:
        if self._member is not None and now > self._until:
            self._member = None
        return self._member

    def seconds_left(self, now: float) -> int:
        return max(0, math.ceil(self._until - now)) if self.member(now) else 0


class HomeTime:
    sessions: Database
    lane: Lane
    turns: Turns
    staff_presence: StaffPresence
    monotonic: Callable[[], float]
    answer: Answer | None
    collection_page: CollectionPage
    staff_strip: StaffStrip
    presence_timer: QTimer
    bank: LockerBank | None

    if TYPE_CHECKING:  # provided by KioskScreen and its other parts

        @property
        def mode(self) -> Mode:
            raise NotImplementedError

        def go_idle(self) -> None:
            raise NotImplementedError

        def show_answer(self, answer: Answer, *, sound: bool = True) -> None:
            raise NotImplementedError

        def show_answer_to(self, seq: int, answer: Answer) -> None:
            raise NotImplementedError

        def ask_staff(
            self,
            purpose: str,
            on_member: Callable[[StaffMember], None],
            on_cancel: Callable[[], None],
        ) -> None:
            raise NotImplementedError

        def _failed_to(self, seq: int, failure: Failure) -> None:
            raise NotImplementedError

    def _connect_home_time(self) -> None:
        self.collection_page.confirm_clicked.connect(self.confirm_collection)
        self.collection_page.cancel_clicked.connect(self.go_idle)
        self.staff_strip.start_clicked.connect(self._start_giving_back)
        self.staff_strip.leaving_clicked.connect(self.staff_leaving)

    def staff_present(self) -> StaffMember | None:
        if self.mode is not Mode.COLLECTION:
            return None
        return self.staff_presence.member(self.monotonic())

    def open_home_time(self, member: StaffMember) -> None:
        self.staff_presence.open(member, self.monotonic())
        self.refresh_staff_strip()

    def renew_staff(self) -> None:
        self.staff_presence.renew(self.monotonic())
        self.refresh_staff_strip()

    def staff_leaving(self) -> None:
        """The big lock: nothing more is given back until someone signs in again."""
        self.staff_presence.close()
        self.go_idle()
        self.refresh_staff_strip()

    def refresh_staff_strip(self) -> None:
        """Called each second at home time: the name and the time left, or nobody."""
        collecting = self.mode is Mode.COLLECTION
        self.staff_strip.setVisible(collecting)
        now = self.monotonic()
        member = self.staff_presence.member(now)
        name = member.name if member is not None else None
        self.staff_strip.show_staff(name, self.staff_presence.seconds_left(now))
        if collecting and member is not None:
            if not self.presence_timer.isActive():
                self.presence_timer.start()
        else:
            self.presence_timer.stop()

    def _start_giving_back(self) -> None:
        self.ask_staff("Start giving phones back", self._started, self.go_idle)

    def _started(self, member: StaffMember) -> None:
        self.open_home_time(member)
        self.go_idle()

    def confirm_collection(self, custody_id: int) -> None:
        member = self.staff_present()
        if member is not None:
            self.renew_staff()
            self._collect_as(member, custody_id)
            return
        answer = self.answer
        self.ask_staff(
            PIN_PURPOSES["give_back"],
            partial(self._signed_in_to_collect, custody_id),
            lambda: self.show_answer(answer, sound=False) if answer else self.go_idle(),
        )

    def _signed_in_to_collect(self, custody_id: int, member: StaffMember) -> None:
        self.open_home_time(member)
        self._collect_as(member, custody_id)

    def _collect_as(self, member: StaffMember, custody_id: int) -> None:
        seq = self.turns.new_tap()
        self.collection_page.give_back.setEnabled(False)
        job = partial(collect_job, self.sessions, custody_id, member, self.bank)
        Op(self.collection_page, "Giving a phone back", job).success(
            partial(self._on_collected, seq)
        ).failure(partial(self._on_not_collected, seq)).run(self.lane)

    def _on_collected(self, seq: int, answer: Answer) -> None:
        self.collection_page.give_back.setEnabled(True)
        self.show_answer_to(seq, answer)

    def _on_not_collected(self, seq: int, failure: Failure) -> None:
        self.collection_page.give_back.setEnabled(True)
        if isinstance(failure.error, NotAuthorised):
            self.staff_presence.close()  # deactivated since: a PIN next time
            self.refresh_staff_strip()
        self._failed_to(seq, failure)
