"""Setting up a real school, step by step: what each step needs, which are done (from the
records themselves where they tell, else from the admin's own "done" or "skip", kept as
settings so a setup can stop and go on later, on any kiosk), and whether the pupil screen
can take scans yet (it needs slots and pupils).

The very first admin is made without a PIN, and only while there are no staff accounts
at all (``staff.add_staff`` with no actor): from then on every step needs an admin."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.errors import InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit, settings
from kiosk.services.audit import Actor
from kiosk.services.common import now_or, require
from kiosk.tables import AuditEvent, Pupil, Role, Setting, Slot, Staff

TIME_KEYS = ("handin_opens", "handin_closes", "collection_opens", "collection_closes")
MARK_PREFIX = "setup_step_"  # a settings row per step the admin marked: done or skipped
NOT_SET_UP = "This kiosk is not set up yet: please see the office"


class Mark(StrEnum):
    DONE = "done"
    SKIPPED = "skipped"


class StepState(StrEnum):
    DONE = "done"
    SKIPPED = "skipped"
    TO_DO = "to do"


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    what: str  # what to do, in a line


STEPS: tuple[Step, ...] = (
    Step("first_admin", "First admin", "An admin account with a PIN: it runs the setup."),
    Step("school", "School", "The school's name, and its code printed on every card."),
    Step(
        "slots",
        "Slots",
        "The numbered slots phones go in (and any electronic locker banks).",
    ),
    Step("labels", "Slot labels", "Print a label for each slot."),
    Step("times", "Times", "When hand-in and collection open and close."),
    Step("roster", "Roster", "Import the pupils from the MIS export (CSV)."),
    Step("photos", "Photos", "Pupils' photos, for the check at home time."),
    Step("cards", "Pupil cards", "Print a card for every pupil."),
)
STEP_KEYS = tuple(step.key for step in STEPS)


@dataclass(frozen=True)
class StepStatus:
    step: Step
    state: StepState
    detail: str  # what the records show ("120 slots"), or ""


@dataclass(frozen=True)
class SetupStatus:
    steps: tuple[StepStatus, ...]
    ready: bool  # the pupil screen takes scans: there are slots and pupils

    def of(self, key: str) -> StepStatus:
        return next(status for status in self.steps if status.step.key == key)

    def next_to_do(self, after: str | None = None) -> str | None:
        """The first step neither done nor skipped (after ``after``, when given)."""
        keys = list(STEP_KEYS)
        start = keys.index(after) + 1 if after is not None else 0
        for status in self.steps[start:]:
            if status.state is StepState.TO_DO:
                return status.step.key
        return None


def has_staff(sessions: Database) -> bool:
    """False on a new database: the first admin can then be made without a PIN."""
    with sessions.read() as session:
        return bool(session.scalar(select(exists().where(Staff.id.is_not(None)))))


def kiosk_ready(sessions: Database) -> bool:
    """Whether the pupil screen can take scans: a slot in service and a pupil on roll.
    Until then it says ``NOT_SET_UP`` and looks nothing up."""
    with sessions.read() as session:
        return _ready(session)


def _ready(session: Session) -> bool:
    slots = exists().where(Slot.in_service.is_(True))
    pupils = exists().where(Pupil.active.is_(True))
    return bool(session.scalar(select(slots)) and session.scalar(select(pupils)))


def status(sessions: Database) -> SetupStatus:
    with sessions.read() as session:
        marks = _marks(session)
        found = _evidence(session)
        ready = _ready(session)
    steps = []
    for step in STEPS:
        detail = found.get(step.key, "")
        mark = marks.get(step.key)
        if detail or mark is Mark.DONE:
            state = StepState.DONE
        elif mark is Mark.SKIPPED:
            state = StepState.SKIPPED
        else:
            state = StepState.TO_DO
        steps.append(StepStatus(step, state, detail))
    return SetupStatus(tuple(steps), ready)


def mark_step(
    sessions: Database, actor: Actor, key: str, mark: str, now: dt.datetime | None = None
) -> None:
    """Record that an admin finished (``done``) or put off (``skipped``) a step; an audit
    event. What the step itself changed is recorded by its own service."""
    if key not in STEP_KEYS:
        raise InvalidInput(f"Unknown setup step '{key}'. The steps are: {', '.join(STEP_KEYS)}.")
    try:
        value = Mark(mark)
    except ValueError as exc:
        raise InvalidInput("A setup step is marked done or skipped.") from exc
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_SETTINGS)
        row = session.get(Setting, MARK_PREFIX + key)
        before = row.value if row is not None else ""
        if row is None:
            session.add(Setting(key=MARK_PREFIX + key, value=value.value))
        else:
            row.value = value.value
        audit.append(
            session,
            EventKind.SETUP_STEP,
            actor,
            at=now_or(now),
            details={"step": key, "before": before, "after": value.value},
        )


def _marks(session: Session) -> dict[str, Mark]:
    rows = session.execute(select(Setting.key, Setting.value).where(Setting.key.like("setup%")))
    found = {}
    for key, value in rows:
        step = key.removeprefix(MARK_PREFIX)
        if key.startswith(MARK_PREFIX) and step in STEP_KEYS and value in Mark.__members__.values():
            found[step] = Mark(value)
    return found


def _evidence(session: Session) -> dict[str, str]:
    """What the records show for the steps they can tell about ("" where nothing)."""

    def count(*where: ColumnElement[bool]) -> int:
        return int(session.scalar(select(func.count()).where(*where)) or 0)

    admins = count(Staff.role == Role.ADMIN, Staff.active.is_(True))
    slots = count(Slot.in_service.is_(True))
    pupils = count(Pupil.active.is_(True))
    photos = count(Pupil.active.is_(True), Pupil.photo.is_not(None))
    printed = count(AuditEvent.kind == EventKind.CARDS_PRINTED.value)
    labels = count(AuditEvent.kind == EventKind.SLOT_LABELS_PRINTED.value)
    timed = count(
        AuditEvent.kind == EventKind.SETTINGS_CHANGED.value,
        or_(*(AuditEvent.details.contains(f'"{key}"') for key in TIME_KEYS)),
    )
    name = settings.get_value(session, "school_name")
    code = settings.get_value(session, "school_code")
    named = (name, code) != (settings.DEFAULTS["school_name"], settings.DEFAULTS["school_code"])
    return {
        "first_admin": _words(admins, "admin"),
        "school": f"{name} ({code})" if named else "",
        "slots": _words(slots, "slot in service", "slots in service"),
        "times": _times_words(session) if timed else "",
        "labels": f"labels printed {_times(labels)}" if labels else "",
        "roster": f"{_words(pupils, 'pupil')} on roll" if pupils else "",
        "photos": f"{photos:,} of {pupils:,} pupils have a photo" if photos else "",
        "cards": f"cards printed {_times(printed)}" if printed else "",
    }


def _times_words(session: Session) -> str:
    hours = {key: settings.get_value(session, key) for key in TIME_KEYS}
    return (
        f"hand-in {hours['handin_opens']}-{hours['handin_closes']}, "
        f"collection {hours['collection_opens']}-{hours['collection_closes']}"
    )


def _words(number: int, noun: str, plural: str = "") -> str:
    if not number:
        return ""
    return f"{number} {noun}" if number == 1 else f"{number:,} {plural or noun + 's'}"


def _times(number: int) -> str:
    return "once" if number == 1 else f"{number} times"
