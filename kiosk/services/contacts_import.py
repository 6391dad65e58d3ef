"""Contacts import from the MIS's contacts export: the database half (the pure half, the
file's rows checked, is ``contacts_check``; the file is read by ``roster_file`` like the
pupils' roster). Pupils are matched by UPN, as the roster import matches them. The whole
file is applied in one transaction or not at all: each pupil's contacts become exactly the
file's (a contact who left the MIS goes, and a pupil not in the file keeps none), one
contact shared by siblings is one row, and contacts no pupil keeps are deleted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.errors import InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.services.common import now_or, require
from kiosk.services.contacts_check import CheckedContacts, ContactLine
from kiosk.services.roster_check import Problem, WithProblems
from kiosk.tables import Contact, Pupil, PupilContact


@dataclass(frozen=True)
class ContactsPreview(WithProblems):
    checked: CheckedContacts
    problems: tuple[Problem, ...]
    pupil_ids: dict[str, int]  # UPN -> pupil id, for the rows' pupils on record
    new_contacts: int  # not on record before
    removed_contacts: int  # on record, in no pupil's list after the import
    pupils_losing_all: int  # on record with contacts, not in this file

    @property
    def can_import(self) -> bool:
        return not self.errors and bool(self.checked.lines)

    def summary(self) -> str:
        c = self.checked
        barred = sum(1 for line in c.lines if line.do_not_release)
        return (
            f"{c.pupils} pupils, {c.contacts} contacts ({self.new_contacts} new), "
            f"{barred} marked 'do not release to'; "
            f"{self.removed_contacts} contacts on record to be removed, "
            f"{self.pupils_losing_all} pupils not in the file to be left with none"
        )


@dataclass(frozen=True)
class ContactsImportResult:
    pupils: int
    contacts: int
    added: int
    removed: int
    links: int
    do_not_release: int

    def summary(self) -> str:
        return (
            f"{self.pupils} pupils, {self.contacts} contacts ({self.added} added, "
            f"{self.removed} removed), {self.do_not_release} marked 'do not release to'"
        )


def _match_pupils(
    session: Session, checked: CheckedContacts
) -> tuple[dict[str, int], list[Problem]]:
    upns = {line.upn for line in checked.lines}
    known = {
        upn: (pupil_id, purged)
        for pupil_id, upn, purged in session.execute(select(Pupil.id, Pupil.upn, Pupil.purged_at))
        if upn in upns
    }
    problems: list[Problem] = []
    for line in checked.lines:
        found = known.get(line.upn)
        if found is None:
            problems.append(
                Problem(
                    line.line,
                    f"No pupil on record has UPN {line.upn}: import the pupils' roster first, "
                    "or check the UPN.",
                )
            )
        elif found[1] is not None:
            problems.append(
                Problem(line.line, "This UPN belongs to a pupil whose records were purged.")
            )
    return {upn: pid for upn, (pid, purged) in known.items() if purged is None}, problems


def _preview_in(session: Session, checked: CheckedContacts) -> ContactsPreview:
    pupil_ids, problems = _match_pupils(session, checked)
    keys = {line.match_key for line in checked.lines}
    on_record = set(session.scalars(select(Contact.match_key)))
    with_contacts = set(session.scalars(select(PupilContact.pupil_id).distinct()))
    return ContactsPreview(
        checked,
        tuple(sorted((*checked.problems, *problems), key=lambda p: p.line or 0)),
        pupil_ids,
        new_contacts=len(keys - on_record),
        removed_contacts=len(on_record - keys),
        pupils_losing_all=len(with_contacts - set(pupil_ids.values())),
    )


def preview(sessions: Database, checked: CheckedContacts) -> ContactsPreview:
    """What importing ``checked`` would do, with any problems it has against the record."""
    with sessions() as session:
        return _preview_in(session, checked)


def apply(sessions: Database, actor: Actor, checked: CheckedContacts) -> ContactsImportResult:
    """Replace every pupil's contacts with the file's, in one transaction, or change
    nothing. The plan is made again inside the transaction, so it matches the data."""
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_ROSTER)
        plan = _preview_in(session, checked)
        if plan.errors:
            raise InvalidInput(
                f"The contacts file has {len(plan.errors)} problem(s) to fix first; "
                "nothing was imported."
            )
        if not checked.lines:
            raise InvalidInput("The contacts file has no contacts; nothing was imported.")
        return _write(session, actor, plan, now_or(None))


def _write(
    session: Session, actor: Actor, plan: ContactsPreview, now: dt.datetime
) -> ContactsImportResult:
    ids = _upsert_contacts(session, plan.checked.lines, now)
    session.execute(delete(PupilContact))
    session.execute(insert(PupilContact), _links(plan, ids))
    orphaned = ~exists().where(PupilContact.contact_id == Contact.id)
    removed = session.scalar(select(func.count()).select_from(Contact).where(orphaned)) or 0
    session.execute(delete(Contact).where(orphaned))
    checked = plan.checked
    result = ContactsImportResult(
        pupils=checked.pupils,
        contacts=checked.contacts,
        added=plan.new_contacts,
        removed=removed,
        links=len(checked.lines),
        do_not_release=sum(1 for line in checked.lines if line.do_not_release),
    )
    audit.append(
        session,
        EventKind.CONTACTS_IMPORTED,
        actor,
        details={
            **result.__dict__,
            "pupils_left_with_none": plan.pupils_losing_all,
            "rows": len(checked.table.rows),
            "file_sha256": checked.table.sha256,
            "encoding": checked.table.encoding,
        },
    )
    return result


def _upsert_contacts(
    session: Session, lines: tuple[ContactLine, ...], now: dt.datetime
) -> dict[str, int]:
    """Each contact of the file on record, once (the first row of a shared contact gives
    its details); their ids by match key."""
    firsts: dict[str, ContactLine] = {}
    for line in lines:
        firsts.setdefault(line.match_key, line)
    ids = _contact_ids(session)
    known = [
        {
            "id": ids[key],
            "name": c.name,
            "email": c.email,
            "telephone": c.telephone,
            "updated_at": now,
        }
        for key, c in firsts.items()
        if key in ids
    ]
    if known:  # the ORM's bulk UPDATE by primary key: one executemany
        session.execute(update(Contact), known)
    new = [
        {
            "match_key": key,
            "name": c.name,
            "email": c.email,
            "telephone": c.telephone,
            "updated_at": now,
        }
        for key, c in firsts.items()
        if key not in ids
    ]
    if new:
        session.execute(insert(Contact), new)
        ids = _contact_ids(session)
    return ids


def _contact_ids(session: Session) -> dict[str, int]:
    return {
        key: contact_id
        for key, contact_id in session.execute(select(Contact.match_key, Contact.id))
    }


def _links(plan: ContactsPreview, ids: dict[str, int]) -> list[dict[str, object]]:
    """One row per pupil and contact; a contact without a priority comes after the
    pupil's numbered ones, in the file's order."""
    last: dict[str, int] = {}
    for line in plan.checked.lines:
        last[line.upn] = max(last.get(line.upn, 0), line.priority or 0)
    rows: list[dict[str, object]] = []
    for line in plan.checked.lines:
        priority = line.priority
        if priority is None:
            priority = last[line.upn] = last[line.upn] + 1
        rows.append(
            {
                "pupil_id": plan.pupil_ids[line.upn],
                "contact_id": ids[line.match_key],
                "relationship": line.relationship,
                "priority": priority,
                "parental_responsibility": line.parental_responsibility,
                "may_collect": line.may_collect,
                "do_not_release": line.do_not_release,
                "court_order_note": line.court_order_note,
            }
        )
    return rows
