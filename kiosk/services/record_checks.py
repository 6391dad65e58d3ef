"""Do the tables say what the audit log says?

The audit chain proves the log was not changed; it says nothing about the other tables,
which anyone with write access to a file can edit without touching the log: add an admin
account, promote someone, blank a police hand-over. For the records that matter most this
module replays the log and compares: every staff account, its role and whether it is
active; every hand-over to the police and every release to a parent. A restore refuses a
file where they differ, naming the difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.services.common import event_details
from kiosk.tables import AuditEvent, Custody, CustodyState, Staff

STAFF_KINDS = ("staff_added", "staff_role_changed", "staff_deactivated", "staff_reactivated")
RELEASE_KINDS = ("handed_to_police", "released_to_parent")


@dataclass
class _Account:
    role: str
    active: bool = True


def _accounts_in_log(session: Session) -> dict[int, _Account]:
    accounts: dict[int, _Account] = {}
    query = (
        select(AuditEvent.kind, AuditEvent.details)
        .where(AuditEvent.kind.in_(STAFF_KINDS))
        .order_by(AuditEvent.seq)
    )
    for kind, text in session.execute(query):
        details = event_details(text)
        staff_id = details.get("staff_id")
        if not isinstance(staff_id, int):
            continue
        if kind == "staff_added":
            accounts[staff_id] = _Account(str(details.get("role")))
        elif staff_id in accounts and kind == "staff_role_changed":
            accounts[staff_id].role = str(details.get("after"))
        elif staff_id in accounts:
            accounts[staff_id].active = kind == "staff_reactivated"
    return accounts


def account_problems(session: Session) -> list[str]:
    """Staff accounts the audit log does not account for, or whose role or state differs."""
    logged = _accounts_in_log(session)
    problems = []
    for member in session.scalars(select(Staff).order_by(Staff.id)):
        known = logged.get(member.id)
        who = f"staff account '{member.name}' (#{member.id})"
        if known is None:
            problems.append(f"{who} was never recorded as added")
        elif known.role != member.role:
            problems.append(f"{who} is '{member.role}' but the log last made it '{known.role}'")
        elif known.active != bool(member.active):
            state = "active" if member.active else "inactive"
            problems.append(f"{who} is {state} but the log says otherwise")
    return problems


def _last_release_events(session: Session) -> dict[int, tuple[str, dict[str, Any]]]:
    """Each custody's newest release event that still holds its details."""
    found: dict[int, tuple[str, dict[str, Any]]] = {}
    query = (
        select(AuditEvent.custody_id, AuditEvent.kind, AuditEvent.details)
        .where(AuditEvent.kind.in_(RELEASE_KINDS), AuditEvent.redacted.is_(False))
        .order_by(AuditEvent.seq)
    )
    for custody_id, kind, text in session.execute(query):
        if custody_id is not None:
            found[custody_id] = (kind, event_details(text))
    return found


def _police_problem(custody: Custody, details: dict[str, Any]) -> str | None:
    seized = custody.confiscation
    if custody.state != CustodyState.HANDED_TO_POLICE or seized is None:
        return "is no longer shown as handed to the police"
    recorded = (details.get("officer"), details.get("officer_number"), details.get("reference"))
    stored = (seized.police_officer, seized.police_number, seized.police_reference)
    if recorded != stored:
        return "has police details (officer, number, reference) that differ from the log"
    return None


def release_problems(session: Session) -> list[str]:
    """Hand-overs to the police and releases to parents whose rows differ from the log."""
    problems = []
    events = _last_release_events(session)
    for custody_id, (kind, details) in sorted(events.items()):
        custody = session.get(Custody, custody_id)
        if custody is None:
            problems.append(f"device record #{custody_id} in the log is missing")
            continue
        if kind == "handed_to_police":
            problem = _police_problem(custody, details)
        elif custody.released_to_name != details.get("name"):
            problem = "has a different parent or carer from the log"
        else:
            problem = None
        if problem:
            problems.append(f"device record #{custody_id} {problem}")
    police = select(Custody.id).where(Custody.state == CustodyState.HANDED_TO_POLICE)
    for custody_id in session.scalars(police):
        if custody_id not in events and not _redacted_release(session, custody_id):
            problems.append(f"device record #{custody_id} shows a police hand-over the log lacks")
    return problems


def _redacted_release(session: Session, custody_id: int) -> bool:
    query = select(AuditEvent.seq).where(
        AuditEvent.custody_id == custody_id,
        AuditEvent.kind == "handed_to_police",
        AuditEvent.redacted.is_(True),
    )
    return session.scalar(query.limit(1)) is not None


def record_problems(session: Session) -> list[str]:
    return account_problems(session) + release_problems(session)
