"""Exam days (JCQ: no phones, smart watches or other devices in the exam room). Staff set
an exam session (date, start time, title, and its candidates by form, year or a hand-
picked list); the kiosk reminds a candidate at hand-in that day, and the console lists the
candidates who have not handed a device in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, exists, func, insert, or_, select
from sqlalchemy.engine import Connection

from kiosk.clock import local_date, start_of_local_day
from kiosk.db import Database
from kiosk.errors import InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.services.common import SUMMARY_COLUMNS, PupilSummary, now_or, require, summary_of
from kiosk.tables import (
    HELD,
    Custody,
    CustodyKind,
    CustodyState,
    ExamCandidate,
    ExamSession,
    Pupil,
)

REMINDER = "Exam today: hand in every device, watches too"  # names no exam detail
TITLE_MAX = 120


@dataclass(frozen=True)
class Candidates:
    """Who sits the exam: any mix of forms, year groups and hand-picked pupils."""

    forms: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    pupil_ids: tuple[int, ...] = ()

    def describe(self) -> str:
        """For the audit log: no names."""
        parts = [f"form {f}" for f in self.forms] + [f"year {y}" for y in self.years]
        if self.pupil_ids:
            parts.append(f"{len(self.pupil_ids)} chosen pupils")
        return ", ".join(parts)


@dataclass(frozen=True)
class ExamInfo:
    id: int
    on_date: dt.date
    starts_at: dt.time
    title: str
    candidates: int


@dataclass(frozen=True)
class MissingCandidate:
    pupil: PupilSummary
    exam_title: str
    starts_at: dt.time


def _chosen_pupils(conn: Connection, chosen: Candidates) -> list[int]:
    wanted = []
    if chosen.forms:
        wanted.append(func.upper(Pupil.reg_group).in_([f.upper() for f in chosen.forms]))
    if chosen.years:
        wanted.append(Pupil.year_group.in_(chosen.years))
    if chosen.pupil_ids:
        wanted.append(Pupil.id.in_(chosen.pupil_ids))
    if not wanted:
        raise InvalidInput("Choose the candidates: a form, a year or some pupils.")
    query = select(Pupil.id).where(Pupil.active.is_(True), Pupil.purged_at.is_(None), or_(*wanted))
    return list(conn.execute(query).scalars())


def set_exam(
    sessions: Database,
    actor: Actor,
    on_date: dt.date,
    starts_at: dt.time,
    title: str,
    chosen: Candidates,
    now: dt.datetime | None = None,
) -> ExamInfo:
    """Record an exam session and its candidates, in one transaction with its event."""
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("Give the exam a title (e.g. GCSE Maths paper 1).")
    if len(title) > TITLE_MAX:
        raise InvalidInput(f"The title is at most {TITLE_MAX} characters.")
    now = now_or(now)
    if on_date < local_date(now):
        raise InvalidInput("That date has passed.")
    with sessions.begin() as session:
        require(session, actor, Action.SET_EXAMS)
        conn = session.connection()
        pupils = _chosen_pupils(conn, chosen)
        if not pupils:
            raise InvalidInput("No pupils on roll match those forms, years or pupils.")
        exam_id = conn.execute(
            insert(ExamSession).returning(ExamSession.id),
            {
                "on_date": on_date,
                "starts_at": starts_at,
                "title": title,
                "created_by_id": actor.id,
                "created_at": now,
            },
        ).scalar_one()
        conn.execute(insert(ExamCandidate), [{"exam_id": exam_id, "pupil_id": p} for p in pupils])
        audit.append(
            session,
            EventKind.EXAM_SESSION_SET,
            actor,
            at=now,
            details={
                "exam_id": exam_id,
                "date": on_date.isoformat(),
                "starts": starts_at.strftime("%H:%M"),
                "title": title,
                "candidates": chosen.describe(),
                "count": len(pupils),
            },
        )
        return ExamInfo(exam_id, on_date, starts_at, title, len(pupils))


def exams_on(sessions: Database, day: dt.date) -> list[ExamInfo]:
    count = (
        select(func.count())
        .where(ExamCandidate.exam_id == ExamSession.id)
        .correlate(ExamSession)
        .scalar_subquery()
    )
    query = (
        select(ExamSession.id, ExamSession.on_date, ExamSession.starts_at, ExamSession.title, count)
        .where(ExamSession.on_date == day)
        .order_by(ExamSession.starts_at, ExamSession.id)
    )
    with sessions() as session:
        return [ExamInfo(*row) for row in session.execute(query)]


# A column for the hand-in's one read of the pupil's day (kiosk.services.hand_in_facts):
# whether the pupil of the row is a candidate in an exam on the bound "day" (the reminder).
SITS_EXAM_ON_DAY = exists().where(
    ExamCandidate.pupil_id == Pupil.id,
    ExamCandidate.exam_id == ExamSession.id,
    ExamSession.on_date == bindparam("day"),
)


def candidates_not_handed_in(
    sessions: Database, now: dt.datetime | None = None
) -> list[MissingCandidate]:
    """Today's exam candidates with no device handed in today and none held."""
    day = local_date(now_or(now))
    start, end = start_of_local_day(day), start_of_local_day(day + dt.timedelta(days=1))
    today = select(Custody.pupil_id).where(
        Custody.kind == CustodyKind.DAILY.value,
        Custody.state != CustodyState.CANCELLED.value,
        Custody.received_at >= start,
        Custody.received_at < end,
    )
    held = select(Custody.pupil_id).where(Custody.state == HELD)
    query = (
        select(*SUMMARY_COLUMNS, ExamSession.title, ExamSession.starts_at)
        .join(ExamCandidate, ExamCandidate.pupil_id == Pupil.id)
        .join(ExamSession, ExamSession.id == ExamCandidate.exam_id)
        .where(
            ExamSession.on_date == day,
            Pupil.active.is_(True),
            Pupil.purged_at.is_(None),
            Pupil.id.not_in(today),
            Pupil.id.not_in(held),
        )
        .order_by(ExamSession.starts_at, Pupil.reg_group, Pupil.surname, Pupil.legal_forename)
    )
    with sessions() as session:
        return [
            MissingCandidate(summary_of(r), r.title, r.starts_at) for r in session.execute(query)
        ]


@dataclass(frozen=True)
class ExamDay:
    """Today's exams and the candidates still to hand in (the dashboard's banner)."""

    exams: tuple[ExamInfo, ...]
    missing: int


def exam_day(sessions: Database, now: dt.datetime | None = None) -> ExamDay:
    today = exams_on(sessions, local_date(now_or(now)))
    missing = len(candidates_not_handed_in(sessions, now)) if today else 0
    return ExamDay(tuple(today), missing)
