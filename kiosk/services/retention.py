"""Retention: once pupils have been gone longer than the school's retention period, their
personal data is removed, and the audit log records what was removed (counts, never contents).

For each pupil who left more than ``retention_days`` ago (and has no device still held):

- the pupil row keeps its id, year and form (for the statistics) but loses names, UPN,
  admission number (each replaced by a unique placeholder), date of birth and photo;
- their cards are deleted, and so are the emails to their parents and their collection
  appointments;
- parent/carer names and device descriptions on their custody records, and the free-text
  notes on their confiscations and exemptions, are cleared;
- their search records are removed;
- their audit events' details are redacted. Each event's hash covers the digest of its
  details, not the details, so the chain still verifies; and the purge's own
  "retention_purge" event lists the redacted event numbers, which ``chain_check.verify`` checks,
  so a redaction nobody recorded shows as tampering.

Everything happens in one transaction: a purge is done completely or not at all. The copies
outside the database (exports, receipts, old backups) are ``kiosk.services.purge_copies``'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from kiosk.clock import local_date
from kiosk.db import Database
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit, contacts, parent_mail, settings
from kiosk.services.audit import Actor
from kiosk.services.common import now_or, require
from kiosk.tables import (
    HELD,
    AuditEvent,
    AuditRedactionGrant,
    Card,
    Confiscation,
    Custody,
    Exemption,
    Pupil,
    SearchItem,
    SearchRecord,
)

PURGED_NAME = "Purged"
CHUNK = 500  # pupils per statement: keeps IN lists well inside every database's limits


@dataclass(frozen=True)
class PurgeResult:
    dry_run: bool
    retention_days: int
    left_on_or_before: dt.date
    pupils: int
    cards_deleted: int
    custody_records_cleared: int
    confiscation_notes_cleared: int
    exemptions_cleared: int
    events_redacted: int
    skipped_device_held: int  # past the period, but a device of theirs is still held
    skipped_no_leaving_date: int  # marked as left without a leaving date: not purged
    audit_seq: int | None = None
    pupil_ids: tuple[int, ...] = ()  # purged (or, in a dry run, to be purged)
    search_records_removed: int = 0  # every version, drafts included

    def describe(self) -> str:
        verb = "Would purge" if self.dry_run else "Purged"
        lines = [
            f"{verb} {self.pupils} pupil(s) who left on or before "
            f"{self.left_on_or_before:%d %b %Y} (retention {self.retention_days} days):",
            f"  cards deleted: {self.cards_deleted}",
            f"  custody records with names or descriptions cleared: {self.custody_records_cleared}",
            f"  confiscation notes cleared: {self.confiscation_notes_cleared}",
            f"  exemption details cleared: {self.exemptions_cleared}",
            f"  search records removed: {self.search_records_removed}",
            f"  audit events redacted: {self.events_redacted}",
        ]
        if self.skipped_device_held:
            lines.append(
                f"  not purged: {self.skipped_device_held} pupil(s) with a device still held"
            )
        if self.skipped_no_leaving_date:
            lines.append(
                f"  not purged: {self.skipped_no_leaving_date} pupil(s) marked as left with no "
                "leaving date (add one on the roster)"
            )
        return "\n".join(lines)


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    it = iter(ids)
    while chunk := list(islice(it, CHUNK)):
        yield chunk


def seq_ranges(seqs: Sequence[int]) -> list[list[int]]:
    """Sorted event numbers as [first, last] runs: [1, 2, 3, 7] -> [[1, 3], [7, 7]]."""
    ranges: list[list[int]] = []
    for seq in sorted(seqs):
        if ranges and seq == ranges[-1][1] + 1:
            ranges[-1][1] = seq
        else:
            ranges.append([seq, seq])
    return ranges


def _due(session: Session, cutoff: dt.date) -> tuple[list[int], int, int]:
    """(pupils to purge, pupils skipped with a device held, pupils left without a date)."""
    past = (
        Pupil.active.is_(False),
        Pupil.purged_at.is_(None),
        Pupil.left_on.is_not(None),
        Pupil.left_on <= cutoff,
    )
    holding = select(Custody.pupil_id).where(Custody.state == HELD)
    due = list(
        session.scalars(select(Pupil.id).where(*past, Pupil.id.not_in(holding)).order_by(Pupil.id))
    )
    held = session.scalar(
        select(func.count()).select_from(Pupil).where(*past, Pupil.id.in_(holding))
    )
    undated = session.scalar(
        select(func.count())
        .select_from(Pupil)
        .where(Pupil.active.is_(False), Pupil.purged_at.is_(None), Pupil.left_on.is_(None))
    )
    return due, held or 0, undated or 0


def _count(session: Session, query: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def _custody_filter(ids: list[int]) -> Any:
    has_personal = or_(
        Custody.released_to_name.is_not(None),
        Custody.released_to_relationship.is_not(None),
        Custody.description.is_not(None),
    )
    return select(Custody.id).where(Custody.pupil_id.in_(ids), has_personal)


def _notes_filter(ids: list[int]) -> Any:
    custodies = select(Custody.id).where(Custody.pupil_id.in_(ids))
    has_notes = or_(Confiscation.note.is_not(None), Confiscation.dsl_note.is_not(None))
    return select(Confiscation.custody_id).where(Confiscation.custody_id.in_(custodies), has_notes)


def _exemptions_filter(ids: list[int]) -> Any:
    return select(Exemption.id).where(Exemption.pupil_id.in_(ids), Exemption.detail != PURGED_NAME)


def _searches_filter(ids: list[int]) -> Any:
    return select(SearchRecord.id).where(SearchRecord.pupil_id.in_(ids))


def _events_filter(ids: list[int]) -> Any:
    return select(AuditEvent.seq).where(
        AuditEvent.pupil_id.in_(ids), AuditEvent.redacted.is_(False)
    )


@dataclass
class _Counts:
    cards: int = 0
    custodies: int = 0
    notes: int = 0
    exemptions: int = 0
    searches: int = 0
    events: list[int] = field(default_factory=list)


def _plan(session: Session, pupil_ids: list[int]) -> _Counts:
    counts = _Counts()
    for ids in _chunks(pupil_ids):
        counts.cards += _count(session, select(Card.id).where(Card.pupil_id.in_(ids)))
        counts.custodies += _count(session, _custody_filter(ids))
        counts.notes += _count(session, _notes_filter(ids))
        counts.exemptions += _count(session, _exemptions_filter(ids))
        counts.searches += _count(session, _searches_filter(ids))
        counts.events += session.scalars(_events_filter(ids)).all()
    return counts


def _blank_pupils(session: Session, ids: list[int], now: dt.datetime) -> None:
    for pupil_id in ids:  # each placeholder differs, so one statement per pupil
        placeholder = f"#P{pupil_id}"
        session.execute(
            update(Pupil)
            .where(Pupil.id == pupil_id)
            .values(
                legal_forename=PURGED_NAME,
                preferred_forename=None,
                surname=PURGED_NAME,
                preferred_surname=None,
                upn=placeholder,
                admission_number=placeholder,
                date_of_birth=None,
                photo=None,
                purged_at=now,
                updated_at=now,
            )
        )


def _apply(session: Session, pupil_ids: list[int], now: dt.datetime) -> None:
    for ids in _chunks(pupil_ids):
        _blank_pupils(session, ids, now)
        session.execute(delete(Card).where(Card.pupil_id.in_(ids)))
        contacts.forget_pupils(session, ids)
        parent_mail.forget_pupils(session, ids)
        session.execute(
            update(Custody)
            .where(Custody.id.in_(_custody_filter(ids)))
            .values(released_to_name=None, released_to_relationship=None, description=None)
        )
        session.execute(
            update(Confiscation)
            .where(Confiscation.custody_id.in_(_notes_filter(ids)))
            .values(note=None, dsl_note=None)
        )
        session.execute(
            update(Exemption)
            .where(Exemption.id.in_(_exemptions_filter(ids)))
            .values(detail=PURGED_NAME)
        )
        # search records are free text about the pupil through and through: removed whole
        session.execute(delete(SearchItem).where(SearchItem.record_id.in_(_searches_filter(ids))))
        session.execute(delete(SearchRecord).where(SearchRecord.pupil_id.in_(ids)))
        _redact_events(session, ids)


def _redact_events(session: Session, ids: list[int]) -> None:
    """The database's append-only trigger allows exactly this change to an event, and only
    for pupils granted here, in this transaction (the grants go again before it commits).
    The salt goes with the details: the digest left behind confirms no guess."""
    postgres = session.get_bind().dialect.name == "postgresql"
    granted_in = session.scalar(select(func.txid_current())) if postgres else None
    session.execute(
        insert(AuditRedactionGrant), [{"pupil_id": i, "granted_in": granted_in} for i in ids]
    )
    session.execute(
        update(AuditEvent)
        .where(AuditEvent.pupil_id.in_(ids), AuditEvent.redacted.is_(False))
        .values(details=audit.REDACTED_DETAILS, details_salt=None, redacted=True)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(AuditRedactionGrant).where(AuditRedactionGrant.pupil_id.in_(ids)))


def purge(
    sessions: Database,
    actor: Actor,
    *,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> PurgeResult:
    """Purge (or with ``dry_run`` only count) the pupils past the retention period."""
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_SETTINGS)
        days = int(settings.get_value(session, "retention_days"))
        cutoff = local_date(now) - dt.timedelta(days=days)
        pupil_ids, held, undated = _due(session, cutoff)
        counts = _plan(session, pupil_ids)
        events = counts.events
        result = PurgeResult(
            dry_run=dry_run,
            retention_days=days,
            left_on_or_before=cutoff,
            pupils=len(pupil_ids),
            cards_deleted=counts.cards,
            custody_records_cleared=counts.custodies,
            confiscation_notes_cleared=counts.notes,
            exemptions_cleared=counts.exemptions,
            events_redacted=len(events),
            skipped_device_held=held,
            skipped_no_leaving_date=undated,
            pupil_ids=tuple(pupil_ids),
            search_records_removed=counts.searches,
        )
        if dry_run or not pupil_ids:
            return result  # nothing was changed
        _apply(session, pupil_ids, now)
        details = {
            "retention_days": days,
            "left_on_or_before": cutoff.isoformat(),
            "pupils": result.pupils,
            "cards_deleted": result.cards_deleted,
            "custody_records_cleared": result.custody_records_cleared,
            "confiscation_notes_cleared": result.confiscation_notes_cleared,
            "exemptions_cleared": result.exemptions_cleared,
            "events_redacted": result.events_redacted,
            "search_records_removed": result.search_records_removed,
            audit.PURGE_RANGES_KEY: seq_ranges(events),
            audit.PURGE_PUPILS_KEY: seq_ranges(pupil_ids),
        }
        event = audit.append(session, EventKind.RETENTION_PURGE, actor, details=details, at=now)
        return replace(result, audit_seq=event.seq)
