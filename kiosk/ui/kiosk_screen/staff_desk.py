"""Staff at the kiosk itself: the menu behind the Staff button, the PIN every action there
asks for, and what the actions do (change the mode, leave or re-enter full screen, close
the program; each is recorded before it happens).

``StaffDesk`` is a part of ``KioskScreen`` (a mixin): it uses the screen's pages, timers,
lane and answer, declared below, and the screen's ``go_idle``, ``show_answer`` and friends.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QStackedWidget, QWidget

from kiosk.config import Config
from kiosk.db import Database
from kiosk.event_kinds import EventKind
from kiosk.services import kiosk_events
from kiosk.services.settings import SchoolSettings
from kiosk.services.staff import StaffMember
from kiosk.ui.background import Failure, Lane, Op
from kiosk.ui.kiosk_screen.jobs import Answer, set_mode_job
from kiosk.ui.kiosk_screen.outcomes import Mode, State
from kiosk.ui.kiosk_screen.staff_page import PIN_PURPOSES, StaffPage
from kiosk.ui.sounds import Sound, SoundPlayer

StaffCallbacks = tuple[Callable[[StaffMember], None], Callable[[], None]]


class StaffDesk:
    sessions: Database
    config: Config
    lane: Lane
    sounds: SoundPlayer
    school: SchoolSettings | None
    answer: Answer | None
    _staff_callbacks: StaffCallbacks | None
    _staff_page: StaffPage | None
    scale: float | None
    screens: QStackedWidget
    pupil_area: QWidget
    back_timer: QTimer
    undo_timer: QTimer
    staff_timer: QTimer
    console_requested: Any  # the screen's signals
    full_screen_requested: Any
    close_requested: Any

    def go_idle(self) -> None:
        raise NotImplementedError

    def show_answer(self, answer: Answer, *, sound: bool = True) -> None:
        raise NotImplementedError

    def _set_state(self, state: State) -> None:
        raise NotImplementedError

    def _apply_settings(self, school: SchoolSettings | None) -> None:
        raise NotImplementedError

    def _failed(self, failure: Failure) -> None:
        raise NotImplementedError

    def open_home_time(self, member: StaffMember) -> None:
        raise NotImplementedError

    @property
    def staff_page(self) -> StaffPage:
        """The staff menu and PIN keypad, built the first time staff need it: most starts
        of the kiosk never show it, and it was a tenth of the start's widgets."""
        if self._staff_page is None:
            page = StaffPage(self.sessions, self.config.kiosk_name)
            page.action_chosen.connect(self._on_staff_action)
            page.logged_in.connect(self._on_staff_logged_in)
            page.cancelled.connect(self._on_staff_cancelled)
            if self.scale is not None:
                page.apply_scale(self.scale)
            self.screens.addWidget(page)
            self._staff_page = page
        return self._staff_page

    def open_staff_menu(self) -> None:
        school = self.school
        info = "Choose what to do. Everything except the console asks for your PIN here."
        if school is not None:
            info = (
                f"Hand-in {school.handin_opens:%H:%M}–{school.handin_closes:%H:%M}, home time "
                f"{school.collection_opens:%H:%M}–{school.collection_closes:%H:%M}. "
                "Each choice asks for your PIN."
            )
        window = self.staff_page.window()  # the kiosk's own window
        self.staff_page.show_menu(
            mode_setting=school.mode if school is not None else "",
            full_screen=window.isFullScreen(),
            info=info,
        )
        self._enter_staff_page()
        self._staff_callbacks = None

    def ask_staff(
        self,
        purpose: str,
        on_member: Callable[[StaffMember], None],
        on_cancel: Callable[[], None],
    ) -> None:
        """Show the PIN keypad; call ``on_member`` with whoever logs in, else ``on_cancel``."""
        self.staff_page.show_login(purpose)
        self._enter_staff_page()
        self._staff_callbacks = (on_member, on_cancel)

    def staff_page_open(self) -> bool:
        """Staff have the screen (the menu, a PIN, or finding a pupil without a card)."""
        return self.screens.currentWidget() is not self.pupil_area

    def _enter_staff_page(self) -> None:
        self.back_timer.stop()
        self.undo_timer.stop()
        self.screens.setCurrentWidget(self.staff_page)
        self.staff_timer.start()
        self._set_state(State.STAFF)

    def _leave_staff_page(self) -> None:
        self.staff_timer.stop()
        self._staff_callbacks = None
        self.screens.setCurrentWidget(self.pupil_area)

    def _on_staff_action(self, key: str) -> None:
        self.staff_timer.start()
        if key == "console":
            self.go_idle()
            self.console_requested.emit()
            return
        self.ask_staff(PIN_PURPOSES[key], partial(self._do_staff_action, key), self.go_idle)

    def _on_staff_logged_in(self, member: object) -> None:
        callbacks = self._staff_callbacks
        self._leave_staff_page()
        if self.answer is not None:  # back to what was on screen while the action runs
            self.show_answer(self.answer, sound=False)
        else:
            self.go_idle()
        if callbacks is not None and isinstance(member, StaffMember):
            callbacks[0](member)

    def _on_staff_cancelled(self) -> None:
        callbacks = self._staff_callbacks
        self._leave_staff_page()
        if callbacks is not None:
            callbacks[1]()
        else:
            self.go_idle()

    def print_emergency_list(self, member: StaffMember) -> None:
        raise NotImplementedError

    def _do_staff_action(self, key: str, member: StaffMember) -> None:
        if key in ("collection", "handin", "auto"):
            self._set_mode(member, key)
        elif key == "emergency":
            self.print_emergency_list(member)
        else:
            self._record_kiosk_event(member, key)

    def _set_mode(self, member: StaffMember, mode: str) -> None:
        if mode == Mode.COLLECTION:
            self.open_home_time(member)
        job = partial(set_mode_job, self.sessions, member, mode)
        Op(self.staff_page, "Changing the kiosk's mode", job).success(self._on_mode_set).failure(
            self._failed
        ).run(self.lane)
        self.go_idle()

    def _on_mode_set(self, school: SchoolSettings) -> None:
        self._apply_settings(school)
        self.sounds.play(Sound.INFO)

    def _record_kiosk_event(self, member: StaffMember, key: str) -> None:
        event = {
            "leave_full_screen": EventKind.KIOSK_LEFT_FULL_SCREEN,
            "enter_full_screen": EventKind.KIOSK_ENTERED_FULL_SCREEN,
            "close": EventKind.KIOSK_CLOSED,
        }[key]
        job = partial(
            kiosk_events.record, self.sessions, member.actor, event, self.config.kiosk_name
        )
        # A failure leaves the kiosk as it is: nothing happens unrecorded.
        Op(self.staff_page, "Recording a kiosk event", job).success(
            lambda _recorded: self._on_kiosk_event(event)
        ).failure(self._failed).run(self.lane)
        self.go_idle()

    def _on_kiosk_event(self, event: EventKind) -> None:
        if event is EventKind.KIOSK_CLOSED:
            self.close_requested.emit()
        else:
            self.full_screen_requested.emit(event is EventKind.KIOSK_ENTERED_FULL_SCREEN)
