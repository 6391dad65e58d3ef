"""Search and examination records: office staff may start a draft, a senior member of staff
records it (finalises it), and a final record is corrected only by a new version linked to
it, with a reason. Each is one transaction with its audit event; the events hold ids,
outcomes and the final record's content digest, never its free text, so a final row
changed later by SQL no longer matches the signed log (``Check`` says so)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.errors import InvalidInput, NotAuthorised
from kiosk.event_kinds import EventKind
from kiosk.rules import Action, may
from kiosk.services import audit
from kiosk.services.audit import Actor, sha256_hex
from kiosk.services.common import get_pupil, now_or, require
from kiosk.services.search_form import (
    TEXT_MAX,
    FoundItem,
    LinkedDevice,
    SearchForm,
    missing,
    refusals,
)
from kiosk.tables import (
    AuditEvent,
    Custody,
    CustodyState,
    SearchItem,
    SearchRecord,
    SearchStatus,
    Staff,
)

FINAL_KINDS = (EventKind.SEARCH_RECORDED.value, EventKind.SEARCH_CORRECTED.value)
_FORM_FIELDS = tuple(f.name for f in fields(SearchForm) if f.name != "items")


@dataclass(frozen=True)
class SearchInfo:
    id: int
    series_id: int
    version: int
    status: str
    form: SearchForm
    created_by: str
    finalised_by: str | None
    finalised_at: dt.datetime | None
    supersedes_id: int | None
    correction_reason: str | None


# -- writing ---------------------------------------------------------------------------------


def save_draft(
    sessions: Database,
    actor: Actor,
    form: SearchForm,
    draft_id: int | None = None,
    now: dt.datetime | None = None,
) -> SearchInfo:
    """Start a draft (``draft_id`` None) or save more of one; nothing needs to be complete."""
    form, now = form.tidied(), now_or(now)
    with sessions.begin() as session:
        _, row = _opened(session, actor, form, draft_id, now, final=False)
        _number_series(session, row)
        audit.append(
            session,
            EventKind.SEARCH_DRAFT_SAVED,
            actor,
            pupil_id=row.pupil_id,
            custody_id=row.custody_id,
            at=now,
            details={"record_id": row.id, "new": draft_id is None},
        )
        return info_of(session, row)


def record(
    sessions: Database,
    actor: Actor,
    form: SearchForm,
    draft_id: int | None = None,
    now: dt.datetime | None = None,
) -> SearchInfo:
    """Record a search as final (a senior's): a new record, or a draft completed."""
    form, now = form.tidied(), now_or(now)
    with sessions.begin() as session:
        staff, row = _opened(session, actor, form, draft_id, now, final=True)
        _finalise(session, row, staff, now)
        extra = {"from_draft": draft_id} if draft_id is not None else {}
        _append_final(session, actor, EventKind.SEARCH_RECORDED, row, now, extra)
        return info_of(session, row)


def correct(
    sessions: Database,
    actor: Actor,
    record_id: int,
    form: SearchForm,
    reason: str,
    now: dt.datetime | None = None,
) -> SearchInfo:
    """A corrected version of a final record: a new row, linked to the one it corrects,
    which stays as it was."""
    form, now, reason = form.tidied(), now_or(now), " ".join(reason.split())
    if not reason or len(reason) > TEXT_MAX:
        raise InvalidInput(f"Say why the record is being corrected (in {TEXT_MAX} characters).")
    with sessions.begin() as session:
        staff = require(session, actor, Action.RECORD_SEARCH)
        # locked: a second correction at the same moment waits, then finds this one's
        old = session.get(SearchRecord, record_id, with_for_update=True)
        if old is None or old.status != SearchStatus.FINAL.value:
            raise InvalidInput("Only a recorded search can be corrected.")
        if _newer_version(session, old):
            raise InvalidInput("A later version of this record exists: correct that one.")
        if form.pupil_id != old.pupil_id:
            raise InvalidInput("A correction is about the same pupil: start a new record.")
        _refuse(session, form, now, final=True)
        row = SearchRecord(
            series_id=old.series_id,
            version=old.version + 1,
            supersedes_id=old.id,
            correction_reason=reason,
            created_at=now,
            created_by_id=staff.id,
        )
        session.add(row)
        _fill(row, form)
        _finalise(session, row, staff, now)
        extra = {"supersedes_id": old.id}
        _append_final(session, actor, EventKind.SEARCH_CORRECTED, row, now, extra)
        return info_of(session, row)


def _opened(
    session: Session,
    actor: Actor,
    form: SearchForm,
    draft_id: int | None,
    now: dt.datetime,
    *,
    final: bool,
) -> tuple[Staff, SearchRecord]:
    """Who writes, and the record they write the form into: a new one (``draft_id`` None)
    or their own open draft. The form is checked as a draft, or as a final record."""
    staff = require(session, actor, Action.RECORD_SEARCH if final else Action.DRAFT_SEARCH)
    _refuse(session, form, now, final=final)
    if draft_id is None:
        row = SearchRecord(status=SearchStatus.DRAFT.value, version=1)
        row.created_at, row.created_by_id = now, staff.id
        session.add(row)
    else:
        row = _own_draft(session, staff, draft_id)
    _fill(row, form)
    return staff, row


def _refuse(session: Session, form: SearchForm, now: dt.datetime, *, final: bool) -> None:
    get_pupil(session, form.pupil_id)
    problems = refusals(form, now, _linked(session, form.custody_id))
    if final:
        problems += missing(form)
    if problems:
        raise InvalidInput(" ".join(problems[:3]))


def _linked(session: Session, custody_id: int | None) -> LinkedDevice | None:
    if custody_id is None:
        return None
    custody = session.get(Custody, custody_id)
    if custody is None or custody.confiscation is None:
        raise InvalidInput("A search record links only to a confiscated device.")
    c = custody.confiscation
    return LinkedDevice(
        pupil_id=custody.pupil_id,
        do_not_examine=c.do_not_examine,
        handed_to_police=custody.state == CustodyState.HANDED_TO_POLICE.value,
        suspected_offence=c.reason_category == "suspected offence",
    )


def _own_draft(session: Session, staff: Staff, draft_id: int) -> SearchRecord:
    # locked (PostgreSQL; SQLite's writers queue anyway): a draft recorded twice at once is
    # recorded once, and the second is told it is no longer open
    row = session.get(SearchRecord, draft_id, with_for_update=True)
    if row is None or row.status != SearchStatus.DRAFT.value:
        raise InvalidInput("That draft is not open any more (it may have been recorded).")
    if not may(staff.role, Action.RECORD_SEARCH) and row.created_by_id != staff.id:
        raise NotAuthorised("That draft is another member of staff's.")
    if row.id in logged_digests(session, {row.pupil_id}):
        raise InvalidInput(
            "This search was recorded before and has been turned back into a draft outside "
            "the kiosk: it cannot be changed. Please tell the headteacher."
        )
    return row


def _fill(row: SearchRecord, form: SearchForm) -> None:
    for name in _FORM_FIELDS:
        value = getattr(form, name)
        setattr(row, name, None if value == "" else value)
    row.items = [
        SearchItem(position=n, description=item.description, outcome=item.outcome)
        for n, item in enumerate(form.items, start=1)
    ]


def _number_series(session: Session, row: SearchRecord) -> None:
    session.flush()
    if row.series_id is None:
        row.series_id = row.id
        session.flush()


def _finalise(session: Session, row: SearchRecord, staff: Staff, now: dt.datetime) -> None:
    row.status = SearchStatus.FINAL.value
    row.finalised_at, row.finalised_by_id = now, staff.id
    _number_series(session, row)


def _newer_version(session: Session, row: SearchRecord) -> bool:
    newer = select(SearchRecord.id).where(SearchRecord.supersedes_id == row.id)
    return session.scalar(newer) is not None


def _append_final(
    session: Session,
    actor: Actor,
    kind: EventKind,
    row: SearchRecord,
    now: dt.datetime,
    extra: dict[str, Any],
) -> None:
    outcomes = Counter(item.outcome for item in row.items)
    details = {
        "record_id": row.id,
        "series_id": row.series_id,
        "version": row.version,
        "found": "nothing" if row.found_nothing else f"{len(row.items)} item(s)",
        "items": dict(sorted(outcomes.items())),
        "consent": row.consent,
        "examined": row.examined,
        "do_not_examine": row.do_not_examine,
        "data": row.data_outcome,
        "dsl_informed": row.dsl_informed_at is not None,
        "parents_informed": row.parents_informed_at is not None,
        "digest": content_digest(row),
        **extra,
    }
    audit.append(
        session,
        kind,
        actor,
        pupil_id=row.pupil_id,
        custody_id=row.custody_id,
        at=now,
        details=details,
    )


# -- the record's fingerprint in the audit log -----------------------------------------------


def content_digest(row: SearchRecord) -> str:
    """SHA-256 over everything a final record says (its items included)."""
    content = {name: _plain(getattr(row, name)) for name in (*_FORM_FIELDS, "status")}
    content |= {
        "id": row.id,
        "series_id": row.series_id,
        "version": row.version,
        "supersedes_id": row.supersedes_id,
        "correction_reason": row.correction_reason,
        "created_at": _plain(row.created_at),
        "created_by_id": row.created_by_id,
        "finalised_at": _plain(row.finalised_at),
        "finalised_by_id": row.finalised_by_id,
        "items": [[i.position, i.description, i.outcome] for i in row.items],
    }
    return sha256_hex(audit.canonical_json(content))


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="microseconds")
    return None if value == "" else value


def logged_digests(session: Session, pupil_ids: set[int]) -> dict[int, str]:
    """The content digest each final record had when first recorded, by record id (a row
    recorded twice was turned back into a draft behind the kiosk's back: the first
    digest is the one it must still match)."""
    events = session.scalars(
        select(AuditEvent.details)
        .where(AuditEvent.kind.in_(FINAL_KINDS), AuditEvent.pupil_id.in_(pupil_ids))
        .order_by(AuditEvent.seq)
    )
    found: dict[int, str] = {}
    for text in events:
        details = json.loads(text)
        if "record_id" in details and "digest" in details:
            found.setdefault(int(details["record_id"]), str(details["digest"]))
    return found


def form_of(row: SearchRecord) -> SearchForm:
    values = {name: getattr(row, name) for name in _FORM_FIELDS}
    texts = {k: v or "" for k, v in values.items() if k not in _NOT_TEXT}
    return SearchForm(
        **(values | texts),
        items=tuple(FoundItem(i.description, i.outcome) for i in row.items),
    )


_NOT_TEXT = {
    "pupil_id",
    "custody_id",
    "searched_at",
    "same_sex",
    "consent",
    "found_nothing",
    "do_not_examine",
    "examined",
    "dsl_informed_at",
    "parents_informed_at",
}


def info_of(session: Session, row: SearchRecord) -> SearchInfo:
    wanted = {row.created_by_id, row.finalised_by_id or row.created_by_id}
    names = {
        i: n for i, n in session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(wanted)))
    }
    assert row.series_id is not None
    return SearchInfo(
        id=row.id,
        series_id=row.series_id,
        version=row.version,
        status=row.status,
        form=form_of(row),
        created_by=names.get(row.created_by_id, ""),
        finalised_by=names.get(row.finalised_by_id) if row.finalised_by_id else None,
        finalised_at=row.finalised_at,
        supersedes_id=row.supersedes_id,
        correction_reason=row.correction_reason,
    )
