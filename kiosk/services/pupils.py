"""Pupils: lookup (by typed words or a scanned card) and the plain record used by the demo
and the roster import."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.services import cards
from kiosk.services.common import PupilSummary, get_pupil, now_or, summarise
from kiosk.tables import Pupil


@dataclass(frozen=True)
class PupilRecord:
    """One pupil as the MIS knows them."""

    upn: str
    admission_number: str
    legal_forename: str
    surname: str
    year_group: int
    reg_group: str
    preferred_forename: str | None = None
    preferred_surname: str | None = None
    date_of_birth: dt.date | None = None
    brings_device: bool = True


def create_in(session: Session, record: PupilRecord) -> Pupil:
    now = now_or(None)
    pupil = Pupil(
        upn=record.upn,
        admission_number=record.admission_number,
        legal_forename=record.legal_forename,
        preferred_forename=record.preferred_forename,
        surname=record.surname,
        preferred_surname=record.preferred_surname,
        year_group=record.year_group,
        reg_group=record.reg_group,
        date_of_birth=record.date_of_birth,
        brings_device=record.brings_device,
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(pupil)
    session.flush()
    return pupil


def search(
    sessions: Database, text: str, *, limit: int = 50, include_left: bool = False
) -> list[PupilSummary]:
    """Pupils whose name, admission number, UPN or form matches ``text``."""
    words = text.split()
    with sessions() as session:
        query = select(Pupil).where(Pupil.purged_at.is_(None))
        if not include_left:
            query = query.where(Pupil.active.is_(True))
        for word in words:
            like = f"%{word}%"
            query = query.where(
                or_(
                    Pupil.surname.ilike(like),
                    Pupil.preferred_surname.ilike(like),
                    Pupil.legal_forename.ilike(like),
                    Pupil.preferred_forename.ilike(like),
                    Pupil.admission_number == word,
                    Pupil.upn == word.upper(),
                    Pupil.reg_group.ilike(word),
                )
            )
        query = query.order_by(Pupil.surname, Pupil.legal_forename).limit(limit)
        return [summarise(p) for p in session.scalars(query)]


def photo(sessions: Database, pupil_id: int) -> bytes | None:
    with sessions() as session:
        return session.scalar(select(Pupil.photo).where(Pupil.id == pupil_id))


def summary(sessions: Database, pupil_id: int) -> PupilSummary:
    with sessions() as session:
        pupil = get_pupil(session, pupil_id)
        has_photo = session.scalar(select(Pupil.photo.is_not(None)).where(Pupil.id == pupil_id))
        return summarise(pupil, bool(has_photo))


def find_by_card(sessions: Database, text: str) -> PupilSummary:
    """The pupil a scanned card belongs to (staff side); named errors say why not."""
    with sessions() as session:
        return cards.card_holder(session.connection(), text)


def find(sessions: Database, text: str, *, limit: int = 30) -> list[PupilSummary]:
    """Pupils matching typed words (name, admission number, UPN or form), with photo flags."""
    if not text.strip():
        return []
    found = search(sessions, text, limit=limit)
    if not found:
        return []
    with sessions() as session:
        with_photo = set(
            session.scalars(
                select(Pupil.id).where(
                    Pupil.id.in_([p.id for p in found]), Pupil.photo.is_not(None)
                )
            )
        )
    return [
        PupilSummary(
            p.id,
            p.forename,
            p.surname,
            p.year_group,
            p.reg_group,
            p.admission_number,
            p.id in with_photo,
        )
        for p in found
    ]
