"""The escalation ladder applied to a pupil: how many confiscations they have had this term,
and what the school's rule says for the next one (``kiosk.services.ladder`` holds the
rules and terms; ``confiscation.confiscate`` records the step and condition given)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.clock import local_date, start_of_local_day
from kiosk.db import Database
from kiosk.errors import InvalidInput
from kiosk.services import settings
from kiosk.services.common import get_pupil, now_or
from kiosk.services.ladder import (
    CONDITIONS,
    Condition,
    Ladder,
    Term,
    condition_of,
    ladder_of,
    ordinal,
    term_of,
)
from kiosk.tables import Custody, CustodyKind, CustodyState

REASON_LIMIT = 500


@dataclass(frozen=True)
class Standing:
    """A pupil's place on the ladder at a moment: ``before`` confiscations earlier in
    ``term``, so the next is step ``before + 1`` and the rule says ``rule``."""

    pupil_id: int
    term: Term
    before: int
    rule: Condition

    @property
    def step(self) -> int:
        return self.before + 1

    def words(self) -> str:
        earlier = {0: "no confiscations", 1: "1 confiscation"}.get(
            self.before, f"{self.before} confiscations"
        )
        return (
            f"{ordinal(self.step)} confiscation this term ({earlier} before it in the "
            f"{self.term.words()}). The school's rule: {self.rule.words}."
        )


@dataclass(frozen=True)
class Choice:
    """The release condition given to a confiscation, and why when it is not the rule."""

    condition: Condition
    differs_because: str | None


def load_ladder(session: Session) -> Ladder:
    return ladder_of(
        settings.get_value(session, "escalation_rules"), settings.get_value(session, "term_starts")
    )


def current_ladder(sessions: Database) -> Ladder:
    """The school's rules and term starts, for the admin's editor."""
    with sessions() as session:
        return load_ladder(session)


def standing_in(session: Session, pupil_id: int, now: dt.datetime) -> Standing:
    ladder = load_ladder(session)
    term = term_of(local_date(now), ladder.term_starts)
    before = session.scalar(
        select(func.count())
        .select_from(Custody)
        .where(
            Custody.pupil_id == pupil_id,
            Custody.kind == CustodyKind.CONFISCATION.value,
            Custody.state != CustodyState.CANCELLED.value,
            Custody.received_at >= start_of_local_day(term.starts),
            Custody.received_at <= now,
        )
    )
    step = int(before or 0) + 1
    return Standing(pupil_id, term, step - 1, ladder.rule_for(step))


def standing(sessions: Database, pupil_id: int, now: dt.datetime | None = None) -> Standing:
    """What the console shows before a confiscation: the pupil's count this term and the
    rule for the next one."""
    with sessions() as session:
        get_pupil(session, pupil_id)
        return standing_in(session, pupil_id, now_or(now))


def choose(standing: Standing, wanted: str | None, reason: str = "") -> Choice:
    """The condition staff gave (None: the rule's); one other than the rule needs a reason."""
    condition = standing.rule if wanted is None else condition_of(wanted)
    if condition == standing.rule:
        return Choice(condition, None)
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput(
            f"The school's rule for a {ordinal(standing.step)} confiscation this term is: "
            f"{standing.rule.words}. Say why this one is different."
        )
    if len(reason) > REASON_LIMIT:
        raise InvalidInput(f"The reason is too long: {REASON_LIMIT} characters at most.")
    return Choice(condition, reason)


def step_words(step: int | None, condition: str | None) -> str:
    """A confiscation's step as the lists and exports show it: "2nd: End of week"."""
    if step is None and condition is None:
        return ""  # recorded before the ladder
    known = CONDITIONS.get(condition or "")
    shown = known.short if known else condition or ""
    return f"{ordinal(step)}: {shown}" if step is not None else shown
