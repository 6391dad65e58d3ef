"""The screen a pupil sees: "Show your card", then their slot, huge.

Scans (camera or USB scanner) arrive as text in ``handle_scan`` (``ScanFlow``). The
database work for a scan runs in the background on the screen's own lane (one job at a
time, in order), so the screen never freezes even when the database is slow or gone; the
answer comes back as an ``Answer`` (what to show) and is painted here, if it is still for
the pupil in front of the screen (``turns``). Nothing a pupil sees names their year, form,
UPN or surname, or why they are exempt (``outcomes``).

Morning (hand-in mode): the pupil gets the lowest free slot, or the slot they already
have; Undo needs their card shown again (``scan_flow``). Home time (collection mode):
phones go back only while a member of staff is signed in at the kiosk (``home_time``),
who checks the photo, name and slot and taps "Give back". A confiscated device is never
offered.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QHideEvent, QImage, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from kiosk.clock import to_local, utcnow
from kiosk.config import Config
from kiosk.db import Database
from kiosk.db_limits import deadline
from kiosk.services import settings, setup
from kiosk.services.health import DEVICES
from kiosk.services.probes import ProbeTally
from kiosk.services.settings import SchoolSettings
from kiosk.services.staff import StaffMember
from kiosk.ui.background import Failure, Lane, Op, log_failure
from kiosk.ui.kiosk_screen.collection_page import CollectionPage, StaffStrip
from kiosk.ui.kiosk_screen.emergency_list import EmergencyDesk
from kiosk.ui.kiosk_screen.forgot_card import ForgotCardDesk, ForgotCardPage
from kiosk.ui.kiosk_screen.home_time import HomeTime, StaffPresence
from kiosk.ui.kiosk_screen.jobs import Answer, load_photo
from kiosk.ui.kiosk_screen.lockers import LockerDesk
from kiosk.ui.kiosk_screen.outcomes import Mode, State, Tone, effective_mode, error_outcome
from kiosk.ui.kiosk_screen.pages import IdlePage, ResultPage, TopBar
from kiosk.ui.kiosk_screen.scan_flow import PROBE_FLUSH_MS, ScanFlow
from kiosk.ui.kiosk_screen.staff_desk import StaffCallbacks, StaffDesk
from kiosk.ui.kiosk_screen.staff_page import StaffPage
from kiosk.ui.kiosk_screen.turns import PRESENCE_GAP_SECONDS, Presence, Turns
from kiosk.ui.kiosk_screen.waiting import RecordsWait
from kiosk.ui.sounds import Sound, SoundPlayer

if TYPE_CHECKING:
    from kiosk.scanning.camera import CameraService

log = logging.getLogger(__name__)

BUSY_AFTER_MS = 400  # take the last result away and say "One moment" after this
SETTINGS_REFRESH_MS = 30_000
STAFF_PAGE_SECONDS = 90
TONE_SOUNDS = {
    Tone.SUCCESS: Sound.SUCCESS,
    Tone.INFO: Sound.INFO,
    Tone.WARNING: Sound.ERROR,
    Tone.ERROR: Sound.ERROR,
}


class KioskScreen(
    ScanFlow, HomeTime, EmergencyDesk, StaffDesk, LockerDesk, ForgotCardDesk, QWidget
):
    """The pupil-facing screen. Feed it scans with ``handle_scan`` (MainWindow routes the
    USB scanner here; the camera, if configured, is owned and started by this screen).
    ``monotonic`` is the clock the screen's holds and windows run on (tests step it)."""

    state_changed = Signal(str)
    console_requested = Signal()
    full_screen_requested = Signal(bool)  # True: back to full screen; False: leave it
    close_requested = Signal()

    def __init__(
        self,
        sessions: Database,
        config: Config,
        parent: QWidget | None = None,
        *,
        sounds: SoundPlayer | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        repeat_scan_seconds: float = PRESENCE_GAP_SECONDS,
    ) -> None:
        super().__init__(parent)
        self.sessions, self.config, self.clock = sessions, config, clock
        self.monotonic = monotonic
        self.sounds = sounds or SoundPlayer(self)
        self.lane = Lane("kiosk-database", owner=self)  # one at a time: scans in order
        self.cards_in_view = Presence(repeat_scan_seconds)
        self.turns = Turns()
        self.staff_presence = StaffPresence()
        self.probe_tally = ProbeTally()
        self.school: SchoolSettings | None = None
        self.ready = True  # until the records say otherwise (unknown: scans say why they fail)
        self.state = State.IDLE
        self.answer: Answer | None = None
        self._undo_of: Answer | None = None
        self._hold_until = self._shown_at = 0.0
        self._staff_callbacks: StaffCallbacks | None = None
        self._shown_mode: Mode | None = None
        self.camera: CameraService | None = None
        self.scale: float | None = None  # the pages' scale, from the screen's size
        # Built when staff first need them (see StaffDesk and ForgotCardDesk).
        self._staff_page: StaffPage | None = None
        self._forgot_page: ForgotCardPage | None = None
        self.forgot_member: StaffMember | None = None
        self._build_pages()
        self._build_timers()
        self._connect_home_time()
        self._load_settings_now()
        self.go_idle()

    def _owner(self) -> QObject:
        return self

    # -- construction

    def _build_pages(self) -> None:
        self.top_bar = TopBar()
        self.top_bar.staff_button.clicked.connect(self.open_staff_menu)
        self.idle_page = IdlePage(has_camera=bool(self.config.camera))
        self.idle_page.forgot_card.clicked.connect(self.forgot_card)
        self.result_page = ResultPage()
        self.result_page.done_clicked.connect(self.go_idle)
        self.result_page.tapped.connect(self.go_idle)
        self.result_page.undo_clicked.connect(self.ask_for_card_again)
        self.collection_page = CollectionPage()
        self.staff_strip = StaffStrip()
        self._build_lockers()  # the locker doors, if any are mapped
        self.pages = QStackedWidget()
        for page in (self.idle_page, self.result_page, self.collection_page, self.deposit_page):
            self.pages.addWidget(page)
        self.pupil_area = QWidget()
        pupil_layout = QVBoxLayout(self.pupil_area)
        pupil_layout.setContentsMargins(0, 0, 0, 0)
        pupil_layout.setSpacing(0)
        pupil_layout.addWidget(self.top_bar)
        pupil_layout.addWidget(self.pages, 1)
        pupil_layout.addWidget(self.staff_strip)
        # The staff page and the forgot-card page cover the whole screen (no top bar): the
        # PIN keypad needs the height on a 1024x600 screen.
        self.screens = QStackedWidget()
        self.screens.addWidget(self.pupil_area)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.screens)

    def _build_timers(self) -> None:
        self.back_timer = self._timer(self.on_back_timer, single=True)
        self.busy_timer = self._timer(self.show_waiting, single=True)
        self.busy_timer.setInterval(BUSY_AFTER_MS)
        self.wait_timer = self._timer(self.start_waiting_scan, single=True)
        self.undo_timer = self._timer(self.tick_undo, single=False)
        self.undo_timer.setInterval(1000)
        self.presence_timer = self._timer(self.refresh_staff_strip, single=False)
        self.presence_timer.setInterval(1000)
        self.staff_timer = self._timer(self._on_staff_cancelled, single=True)
        self.staff_timer.setInterval(STAFF_PAGE_SECONDS * 1000)
        self.settings_timer = self._timer(self.reload_settings, single=False)
        self.settings_timer.start(SETTINGS_REFRESH_MS)
        self.probe_timer = self._timer(self.flush_probes, single=False)
        self.probe_timer.start(PROBE_FLUSH_MS)
        self.records_wait = RecordsWait(
            self, self.sessions, self.lane, self._answered, lambda shown: self.answer is shown
        )

    def _timer(self, slot: Callable[[], None], *, single: bool) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(single)
        timer.timeout.connect(slot)
        return timer

    # -- settings and mode

    def _load_settings_now(self) -> None:
        """At start only, on the GUI thread, so the first screen already shows the school
        and the mode; if the database is down the kiosk starts anyway and keeps retrying
        in the background."""
        try:
            with deadline(self.sessions.limits.job_s):  # a hung database delays the start
                school = settings.load(self.sessions)  # by the deadline at most
                ready = setup.kiosk_ready(self.sessions)
        except Exception as error:
            log_failure("Loading the settings", error)
            self._apply_settings(None)
            return
        self._apply_settings(school)
        self.apply_ready(ready)

    def reload_settings(self) -> None:
        """The settings, and whether the school is set up (both change from the console,
        or from another kiosk)."""
        Op(self, "Reloading the settings", partial(settings.load, self.sessions)).success(
            self._apply_settings
        ).failure(lambda _failure: self._apply_settings(self.school)).run(self.lane)
        ready = partial(setup.kiosk_ready, self.sessions)
        Op(self, "Checking the setup", ready).success(self.apply_ready).run(self.lane)

    def apply_ready(self, ready: bool) -> None:
        """Until there are slots and pupils the screen says so, and looks no card up."""
        self.ready = ready
        self.idle_page.set_not_set_up(not ready)
        self.top_bar.mode.setVisible(ready)  # no hand-in or home time to speak of yet

    def _apply_settings(self, school: SchoolSettings | None) -> None:
        self.school = school
        self.sounds.enabled = school.sound if school is not None else True
        self.top_bar.school.setText(school.school_name if school is not None else "")
        mode = self.mode
        if mode is not self._shown_mode:
            if mode is not Mode.COLLECTION:
                self.staff_presence.close()  # home time is over
            self._shown_mode = mode
            self.top_bar.set_mode(mode)
            self.idle_page.set_mode(mode)
        self.refresh_staff_strip()

    @property
    def mode(self) -> Mode:
        return effective_mode(self.school, to_local(self.clock()).time())

    # -- what is on screen

    def _failed(self, failure: Failure) -> None:
        """Plain words (``error_outcome``); the kind of an unexpected error is logged."""
        self._answered(Answer(error_outcome(failure.error)))

    def show_answer(self, answer: Answer, *, sound: bool = True) -> None:
        outcome = answer.outcome
        if self.staff_page_open():
            # Staff are typing a PIN: do not snatch the screen. A pupil who missed their
            # result scans again and sees the same slot.
            log.info("A result arrived while staff were using the kiosk; not shown")
            return
        self.answer = answer
        self._undo_of = None
        if outcome.state is State.COLLECT_CONFIRM and outcome.custody_id is not None:
            self.collection_page.show_pupil(
                name=outcome.title,
                slot=outcome.slot,
                custody_id=outcome.custody_id,
                note=outcome.note,
                caption=outcome.caption,
                photo=answer.photo,
                photo_coming=answer.photo_of is not None,
            )
            self.pages.setCurrentWidget(self.collection_page)
        else:
            self.result_page.show_outcome(outcome, answer.photo, answer.photo_of is not None)
            self.pages.setCurrentWidget(self.result_page)
        now = self.monotonic()
        self._shown_at = self.turns.shown_at = now
        self._hold_until = now + outcome.seconds
        self.back_timer.start(outcome.seconds * 1000)
        self.undo_timer.stop()
        if outcome.undo:
            self.result_page.set_undo_seconds(outcome.seconds)
            self.undo_timer.start()
        if sound:
            self.sounds.play(TONE_SOUNDS[outcome.tone])
        self._set_state(outcome.state)
        if answer.photo is None and answer.photo_of is not None:
            job = partial(load_photo, self.sessions, answer.photo_of)
            Op(self, "Loading a photo", job).success(partial(self._on_photo, answer)).run(self.lane)

    def _on_photo(self, answer: Answer, image: QImage | None) -> None:
        if self.answer is not answer or image is None:
            return  # the screen has moved on, or there is no usable photo
        self.answer = replace(answer, photo=image)
        page = self.pages.currentWidget()
        if page is self.result_page:
            self.result_page.photo.set_image(image)
        elif page is self.collection_page:
            self.collection_page.photo.set_image(image)

    def go_idle(self) -> None:
        if self.staff_page_open():
            self._leave_staff_page()
        self.back_timer.stop()
        self.undo_timer.stop()
        self.answer = self._undo_of = None
        self.turns.shown_at = -1e9  # nothing on screen to read: the next scan goes at once
        self.pages.setCurrentWidget(self.idle_page)
        self._set_state(State.IDLE)

    def _set_state(self, state: State) -> None:
        self.state = state
        self.state_changed.emit(state.value)

    # -- camera

    def start_camera(self) -> None:
        if not self.config.camera:
            return
        if self.camera is None:
            from kiosk.scanning.camera import CameraService

            self.camera = CameraService(self.config.camera, parent=self)
            self.camera.code_scanned.connect(self.handle_scan)
            self.camera.frame_ready.connect(self._on_frame)
            self.camera.camera_lost.connect(self._on_camera_lost)
            self.camera.camera_found.connect(lambda: self.idle_page.set_camera_problem(""))
            self.camera.camera_lost.connect(lambda _why: DEVICES.camera_is("lost"))
            self.camera.camera_found.connect(lambda: DEVICES.camera_is("working"))
        self.camera.start()

    def stop_camera(self) -> None:
        if self.camera is not None:
            self.camera.stop()

    def _on_frame(self, image: QImage) -> None:
        if self.pages.currentWidget() is self.idle_page:
            self.idle_page.preview.set_image(image)

    def _on_camera_lost(self, _message: str) -> None:
        # The worker's message names the device; the log has it, the screen needs less.
        # The hint turns to the USB scanner until the camera is found again.
        log.warning("Camera lost: %s", _message)
        self.idle_page.set_camera_problem("No camera picture")

    # -- Qt events

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.start_camera()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        if not self.isVisible():
            self.stop_camera()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        scale = max(0.5, min(self.width() / 1024, self.height() / 600))
        for page in (
            self.top_bar,
            self.idle_page,
            self.result_page,
            self.collection_page,
            self.staff_strip,
        ):
            page.apply_scale(scale)
        self.deposit_page.apply_scale(scale)
        for staff_screen in (self._staff_page, self._forgot_page):
            if staff_screen is not None:
                staff_screen.apply_scale(scale)
        self.scale = scale

    def shutdown(self) -> None:
        """Stop the camera and the database thread (the window calls this on close);
        the refused scans counted so far are written first."""
        self.stop_camera()
        if not self.lane.closed:
            self.flush_probes(everything=True)
        self.lane.stop()
        self._stop_lockers()
        for timer in self.findChildren(QTimer):
            timer.stop()

    def closeEvent(self, event: Any) -> None:
        self.shutdown()
        super().closeEvent(event)
