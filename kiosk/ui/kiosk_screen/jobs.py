"""The database work for one tap or scan on the kiosk, run in the background (never on
the GUI thread, never touching a widget); each returns an ``Answer`` to paint."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from kiosk import db_limits
from kiosk.db import Database
from kiosk.errors import TooLate
from kiosk.services import custody, outcome, pupils, settings
from kiosk.services.audit import KIOSK_ACTOR
from kiosk.services.common import PupilSummary
from kiosk.services.lockers import doors
from kiosk.services.lockers.bank import LockerBank
from kiosk.services.lockers.doors import DoorOutcome
from kiosk.services.settings import SchoolSettings
from kiosk.services.staff import StaffMember
from kiosk.ui.background import log_failure
from kiosk.ui.kiosk_screen.outcomes import (
    Mode,
    Outcome,
    collected_outcome,
    collection_outcome,
    hand_in_outcome,
    undone_outcome,
)

PHOTO_MAX_PX = 600


@dataclass(frozen=True)
class Answer:
    """An outcome, and whose photo goes with it. The slot number is painted first; the
    photo (``photo_of`` the pupil with that id) is read afterwards and put in its box.
    ``pupil_id`` is whose it is; ``card`` the text of the card that asked (set by the
    screen: the same card shown again is how a pupil confirms an undo)."""

    outcome: Outcome
    photo_of: int | None = None
    photo: QImage | None = None
    pupil_id: int | None = None
    card: str | None = None


def photo_of(pupil: PupilSummary) -> int | None:
    return pupil.id if pupil.has_photo else None


def load_photo(sessions: Database, pupil_id: int) -> QImage | None:
    """The pupil's photo, decoded and shrunk for the screen; None if none or unreadable
    (a bad photo must never spoil a hand-in that has already been recorded)."""
    try:
        data = pupils.photo(sessions, pupil_id)
        image = QImage.fromData(data) if data else QImage()
    except Exception as error:
        log_failure("Loading a photo", error)
        return None
    if image.isNull():
        return None
    if max(image.width(), image.height()) > PHOTO_MAX_PX:
        image = image.scaled(
            PHOTO_MAX_PX,
            PHOTO_MAX_PX,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    return image


def scan_job(
    sessions: Database,
    mode: Mode,
    text: str,
    deadline: float | None = None,
    bank: LockerBank | None = None,
) -> Answer:
    """A scan's work, every wait bounded by the kiosk's deadline; a hand-in's answer is
    never a guess (``kiosk.services.outcome``). ``deadline`` (``time.monotonic()``): a
    scan that waited longer than that for the database is not acted on (its pupil may have
    gone); ``TooLate`` instead. With a locker ``bank``, a new hand-in's door is opened in
    the same job, so the unlock follows the scan with no round trip to the screen."""
    if deadline is not None and time.monotonic() > deadline:
        raise TooLate()
    if mode is Mode.COLLECTION:
        with db_limits.deadline(sessions.limits.job_s):
            check = custody.check_collection(sessions, text)
        pupil = check.pupil
        return Answer(collection_outcome(check), photo_of(pupil), pupil_id=pupil.id)
    result = outcome.hand_in_trusted(sessions, text, outcome.new_token(), deadline=deadline)
    door = None
    if bank and result.custody_id is not None and not result.already_held:
        custody_id, slot = result.custody_id, result.slot_number
        door = _door(slot, lambda: doors.open_for_hand_in(sessions, bank, custody_id, slot))
    return Answer(hand_in_outcome(result, door), photo_of(result.pupil), pupil_id=result.pupil.id)


def _door(slot: int | None, open_door: Callable[[], DoorOutcome | None]) -> DoorOutcome | None:
    """A door's part of a job: a failure there (the records busy a moment) must never
    spoil the hand-in or release already recorded; the pupil is sent to the office."""
    try:
        return open_door()
    except Exception as error:
        log_failure("Opening a locker door", error)
        if slot is None:
            return None
        return DoorOutcome(slot, False, doors.board_failed(slot))


def collect_job(
    sessions: Database, custody_id: int, member: StaffMember, bank: LockerBank | None = None
) -> Answer:
    with db_limits.deadline(sessions.limits.job_s):
        info = custody.collect(sessions, custody_id, member.actor)
    door = None
    if bank:
        door = _door(
            info.slot_number,
            lambda: doors.open_for_release(sessions, bank, custody_id, member.actor),
        )
    return Answer(collected_outcome(info, door), photo_of(info.pupil))


def undo_job(
    sessions: Database,
    custody_id: int,
    slot: int | None,
    card_text: str,
    bank: LockerBank | None = None,
) -> Answer:
    custody.undo_hand_in(sessions, custody_id, card_text=card_text)
    door = None
    if bank:
        door = _door(slot, lambda: doors.open_for_release(sessions, bank, custody_id, KIOSK_ACTOR))
    return Answer(undone_outcome(slot, door))


def set_mode_job(sessions: Database, member: StaffMember, mode: str) -> SchoolSettings:
    settings.update(sessions, member.actor, {"mode": mode})
    return settings.load(sessions)
