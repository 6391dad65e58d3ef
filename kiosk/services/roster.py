"""Roster import from the CSV a school's MIS exports (SIMS, Arbor, Bromcom and similar).

The pure half reads and checks a file and touches no database: ``roster_file.read_roster``
(bytes -> ``RawTable``: encoding, delimiter and header row found),
``roster_columns.ROSTER.detect`` (which column means what), ``roster_check.check``
(row-by-row problems -> ``CheckedRoster``). This module is the database half: it compares
with the pupils on record (``preview``) and applies the whole file in one transaction
(``apply``): new pupils are added, pupils matched by UPN are updated, pupils missing from
the file are marked as left (never deleted, so their history stays), and nothing at all
changes if any row has an error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.clock import local_date
from kiosk.db import Database
from kiosk.errors import InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.services.common import now_or, require
from kiosk.services.pupils import PupilRecord, create_in
from kiosk.services.roster_check import CheckedRoster, Problem, WithProblems
from kiosk.services.roster_columns import Field
from kiosk.tables import HELD, Custody, Pupil, Setting, Slot

COMPARED = (
    Field.UPN,
    Field.ADMISSION_NUMBER,
    Field.LEGAL_FORENAME,
    Field.PREFERRED_FORENAME,
    Field.SURNAME,
    Field.PREFERRED_SURNAME,
    Field.YEAR_GROUP,
    Field.REG_GROUP,
    Field.DATE_OF_BIRTH,
)


class ChangeKind(StrEnum):
    ADD = "add"
    UPDATE = "update"
    RETURN = "return"  # on record as left, back in the roster
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class PlannedChange:
    line: int
    kind: ChangeKind
    pupil_id: int | None
    changed: tuple[str, ...]
    record: PupilRecord


@dataclass(frozen=True)
class Leaver:
    pupil_id: int
    name: str
    reg_group: str
    holds_device: bool  # a device is still held for them
    slot: int | None


@dataclass(frozen=True)
class RosterPreview(WithProblems):
    checked: CheckedRoster
    changes: tuple[PlannedChange, ...]
    leavers: tuple[Leaver, ...]
    problems: tuple[Problem, ...]
    on_roll_before: int

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    @property
    def changes_anything(self) -> bool:
        return bool(self.leavers) or any(c.kind != ChangeKind.UNCHANGED for c in self.changes)

    @property
    def can_import(self) -> bool:
        return not self.errors and self.changes_anything

    @property
    def leavers_need_confirmation(self) -> bool:
        """Many pupils about to be marked as left usually means the wrong file (one year
        group, or last year's export): the import then needs an explicit yes."""
        return len(self.leavers) > max(10, self.on_roll_before // 10)

    def summary(self) -> str:
        return (
            f"{self.count(ChangeKind.ADD)} new, {self.count(ChangeKind.UPDATE)} updated, "
            f"{self.count(ChangeKind.RETURN)} returning, {self.count(ChangeKind.UNCHANGED)} "
            f"unchanged, {len(self.leavers)} to be marked as left"
        )


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    returned: int
    unchanged: int
    left: int

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.returned} returned, "
            f"{self.unchanged} unchanged, {self.left} marked as left"
        )


def _record_of(pupil: Pupil) -> PupilRecord:
    return PupilRecord(
        upn=pupil.upn,
        admission_number=pupil.admission_number,
        legal_forename=pupil.legal_forename,
        surname=pupil.surname,
        year_group=pupil.year_group,
        reg_group=pupil.reg_group,
        preferred_forename=pupil.preferred_forename,
        date_of_birth=pupil.date_of_birth,
    )


def _changed_fields(pupil: Pupil, record: PupilRecord, mapped: frozenset[Field]) -> tuple[str, ...]:
    """Fields the file changes. A field with no column in the file is left as it is
    (a file without dates of birth does not wipe them)."""
    before = _record_of(pupil)
    return tuple(
        f.value
        for f in COMPARED
        if f in mapped and getattr(before, f.value) != getattr(record, f.value)
    )


class _Planner:
    def __init__(self, session: Session, checked: CheckedRoster) -> None:
        self.checked = checked
        self.pupils = list(session.scalars(select(Pupil)))
        self.by_upn = {p.upn: p for p in self.pupils}
        self.by_admission = {p.admission_number: p for p in self.pupils}
        self.file_upns = {record.upn for _line, record in checked.records}
        self.problems: list[Problem] = []
        self.matched: dict[int, int] = {}  # pupil id -> line
        self.held = _held_slots(session)

    def match(self, line: int, record: PupilRecord) -> Pupil | None:
        pupil = self.by_upn.get(record.upn)
        if pupil is None:
            # A temporary UPN replaced by the permanent one: same admission number, and
            # the old UPN is no longer in the file.
            candidate = self.by_admission.get(record.admission_number)
            if (
                candidate is not None
                and candidate.upn not in self.file_upns
                and _same_person(candidate, record)
            ):
                self.problems.append(
                    Problem(
                        line,
                        f"UPN changes from {candidate.upn} to {record.upn} "
                        f"(admission number {record.admission_number}).",
                        blocking=False,
                    )
                )
                pupil = candidate
        if pupil is not None and pupil.purged_at is not None:
            self.problems.append(
                Problem(line, "This UPN belongs to a pupil whose records were purged.")
            )
            return None
        return pupil

    def plan(self) -> tuple[list[PlannedChange], list[Leaver]]:
        changes: list[PlannedChange] = []
        for line, record in self.checked.records:
            pupil = self.match(line, record)
            changes.append(self._change(line, record, pupil))
            if pupil is not None:
                self.matched[pupil.id] = line
        self._check_admission_numbers(changes)
        leavers = [self._leaver(p) for p in self.pupils if self._is_leaving(p)]
        return changes, leavers

    def _change(self, line: int, record: PupilRecord, pupil: Pupil | None) -> PlannedChange:
        if pupil is None:
            return PlannedChange(line, ChangeKind.ADD, None, (), record)
        changed = _changed_fields(pupil, record, self.checked.mapped)
        if not pupil.active:
            kind = ChangeKind.RETURN
        else:
            kind = ChangeKind.UPDATE if changed else ChangeKind.UNCHANGED
        return PlannedChange(line, kind, pupil.id, changed, record)

    def _check_admission_numbers(self, changes: list[PlannedChange]) -> None:
        final = {p.id: p.admission_number for p in self.pupils if p.id not in self.matched}
        holders = {number: pupil_id for pupil_id, number in final.items()}
        for change in changes:
            holder = holders.get(change.record.admission_number)
            if holder is not None and holder != change.pupil_id:
                other = next(p for p in self.pupils if p.id == holder)
                self.problems.append(
                    Problem(
                        change.line,
                        f"Admission number {change.record.admission_number} belongs to "
                        f"another pupil on record (UPN {other.upn}), who is not in this file.",
                    )
                )

    def _is_leaving(self, pupil: Pupil) -> bool:
        return pupil.active and pupil.purged_at is None and pupil.id not in self.matched

    def _leaver(self, pupil: Pupil) -> Leaver:
        holds = pupil.id in self.held
        slot = self.held.get(pupil.id)
        if holds:
            where = f" in slot {slot}" if slot is not None else ""
            self.problems.append(
                Problem(
                    None,
                    f"{pupil.display_name} ({pupil.reg_group}) will be marked as left, but a "
                    f"device is still held for them{where}.",
                    blocking=False,
                )
            )
        return Leaver(pupil.id, pupil.display_name, pupil.reg_group, holds, slot)


def _same_person(pupil: Pupil, record: PupilRecord) -> bool:
    """Whether a pupil on record is plainly the one in a file row under a new UPN: same
    date of birth where both have one, else the same legal name."""
    if pupil.date_of_birth and record.date_of_birth:
        return pupil.date_of_birth == record.date_of_birth
    return (pupil.legal_forename.casefold(), pupil.surname.casefold()) == (
        record.legal_forename.casefold(),
        record.surname.casefold(),
    )


def _held_slots(session: Session) -> dict[int, int | None]:
    rows = session.execute(
        select(Custody.pupil_id, Slot.number)
        .join(Slot, Slot.id == Custody.slot_id, isouter=True)
        .where(Custody.state == HELD)
    )
    return {pupil_id: number for pupil_id, number in rows}


def _preview_in(session: Session, checked: CheckedRoster) -> RosterPreview:
    planner = _Planner(session, checked)
    changes, leavers = planner.plan()
    problems = (*checked.problems, *planner.problems)
    on_roll = sum(1 for p in planner.pupils if p.active and p.purged_at is None)
    return RosterPreview(checked, tuple(changes), tuple(leavers), problems, on_roll)


def preview(sessions: Database, checked: CheckedRoster) -> RosterPreview:
    """What importing ``checked`` would do, with any problems it has against the record."""
    with sessions() as session:
        return _preview_in(session, checked)


def apply(
    sessions: Database, actor: Actor, checked: CheckedRoster, *, confirm_leavers: bool = False
) -> ImportResult:
    """Import the whole roster in one transaction, or nothing at all. The plan is made
    again inside the transaction, so it matches the data it changes."""
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_ROSTER)
        plan = _preview_in(session, checked)
        if plan.errors:
            raise InvalidInput(
                f"The roster has {len(plan.errors)} problem(s) to fix first; nothing was imported."
            )
        if not plan.changes_anything:
            raise InvalidInput("Nothing to import: the records already match this file.")
        if plan.leavers_need_confirmation and not confirm_leavers:
            raise InvalidInput(
                f"This would mark {len(plan.leavers)} pupils as left. If this file really is "
                "the whole school's roster, confirm and import again."
            )
        return _write(session, actor, plan)


def _write(session: Session, actor: Actor, plan: RosterPreview) -> ImportResult:
    now = now_or(None)
    today = local_date(now)
    # The identity map holds rows weakly: keep the settings (the audit head among them)
    # loaded, or each of the thousand-odd audit events below reads them again.
    held_settings = list(session.scalars(select(Setting)))
    pupils = {p.id: p for p in session.scalars(select(Pupil))}
    _free_admission_numbers(session, plan, pupils)
    for change in plan.changes:
        if change.kind == ChangeKind.ADD:
            pupil = create_in(session, change.record)
            audit.append(session, EventKind.PUPIL_ADDED, actor, pupil_id=pupil.id)
        elif change.pupil_id is not None and change.kind != ChangeKind.UNCHANGED:
            _update(session, actor, pupils[change.pupil_id], change, now)
    for leaver in plan.leavers:
        pupil = pupils[leaver.pupil_id]
        pupil.active, pupil.left_on, pupil.updated_at = False, today, now
        audit.append(session, EventKind.PUPIL_LEFT, actor, pupil_id=pupil.id)
    result = ImportResult(
        added=plan.count(ChangeKind.ADD),
        updated=plan.count(ChangeKind.UPDATE),
        returned=plan.count(ChangeKind.RETURN),
        unchanged=plan.count(ChangeKind.UNCHANGED),
        left=len(plan.leavers),
    )
    audit.append(
        session,
        EventKind.ROSTER_IMPORTED,
        actor,
        details={
            **result.__dict__,
            "rows": len(plan.checked.rows),
            "file_sha256": plan.checked.table.sha256,
            "encoding": plan.checked.table.encoding,
        },
    )
    del held_settings
    return result


def _free_admission_numbers(
    session: Session, plan: RosterPreview, pupils: dict[int, Pupil]
) -> None:
    """Two pupils swapping admission numbers would trip the unique index half-way: park
    every changing number on a placeholder first."""
    moving = [c for c in plan.changes if c.pupil_id is not None and "admission_number" in c.changed]
    for change in moving:
        pupils[change.pupil_id or 0].admission_number = f"~{change.pupil_id}"
    if moving:
        session.flush()


def _update(
    session: Session,
    actor: Actor,
    pupil: Pupil,
    change: PlannedChange,
    now: dt.datetime,
) -> None:
    for name in change.changed:
        setattr(pupil, name, getattr(change.record, name))
    pupil.updated_at = now
    details: dict[str, object] = {"fields": list(change.changed)}
    if change.kind == ChangeKind.RETURN:
        pupil.active, pupil.left_on = True, None
        audit.append(session, EventKind.PUPIL_RETURNED, actor, pupil_id=pupil.id, details=details)
    else:
        audit.append(session, EventKind.PUPIL_UPDATED, actor, pupil_id=pupil.id, details=details)
