"""The letter to parents when a device is confiscated: the school's wording (a template the
admin edits, with placeholders such as {pupil_name}), filled from the record.

A template is checked when it is saved: a placeholder the letter does not know, a brace
left open, or anything but a plain name inside braces ({pupil_name.__class__}, {0},
{date:>99}) is refused in words, so the letter can never show a stray brace or reach
into the program. Only the values below are ever put into it.
"""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass

from sqlalchemy.orm import Session

from kiosk.clock import to_local
from kiosk.db import Database
from kiosk.errors import InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit, settings
from kiosk.services.audit import Actor
from kiosk.services.common import now_or, require
from kiosk.services.custody import record
from kiosk.services.ladder import Condition
from kiosk.tables import Custody, CustodyKind, Setting, Staff

TEMPLATE_SETTING = "letter_template"
TEMPLATE_LIMIT = 6000
# What the letter says about getting the device back, until the school's escalation
# rules give one per confiscation.
RELEASE_CONDITION = "a parent or carer collects it from the school office"
# The escalation ladder's condition for this confiscation, as the letter says it: the
# device still goes only to a parent or carer (the policies), the ladder says from when.
WHEN_BY_CONDITION: dict[str, str] = {
    Condition.END_OF_DAY: f"{RELEASE_CONDITION}, from the end of the school day",
    Condition.NEXT_DAY: f"{RELEASE_CONDITION}, from the end of the next school day",
    Condition.END_OF_WEEK: f"{RELEASE_CONDITION}, from the end of the school week",
}

PLACEHOLDERS: dict[str, str] = {
    "pupil_name": "the pupil's name (preferred forename and surname)",
    "pupil_forename": "the pupil's preferred forename",
    "form": "the pupil's form, e.g. 9B",
    "year": "the pupil's year group, e.g. 9",
    "date": "the day it was confiscated, e.g. Wednesday 11 March 2026",
    "time": "the time it was confiscated, e.g. 10:15",
    "device": "what was taken, e.g. black iPhone",
    "reason": "the reason, e.g. used in lesson",
    "release_condition": "how it is given back",
    "collection_times": "when the office gives devices back, e.g. 14:45 to 18:00",
    "school_name": "the school's name",
    "staff_name": "who confiscated it",
}

DEFAULT_TEMPLATE = """Dear Parent or Carer of {pupil_name},

On {date}, at {time}, a member of staff confiscated {pupil_forename}'s {device} \
because of: {reason}. Our policy asks pupils to hand in their phones for the school day, \
and we are writing so that you know what has happened.

The device is kept securely in the school office. It will be returned \
when {release_condition}. The office is open for collection from {collection_times}; \
please bring identification.

If you would like to arrange a time to collect it, or to talk about what happened, \
please contact the school office.

Yours faithfully,

{school_name}"""


@dataclass(frozen=True)
class Letter:
    custody_id: int
    pupil_id: int
    school_name: str
    addressed_to: str  # "The parent or carer of ..."
    subject: str
    paragraphs: tuple[str, ...]
    referred_to_dsl: bool  # the DSL decides whether and when parents are told
    written_on: dt.date  # school-local


def check_template(text: str) -> str:
    """The template tidied (line ends, trailing spaces), or InvalidInput saying what is
    wrong with it and which placeholders there are."""
    text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()
    if not text:
        raise InvalidInput("The letter needs some words.")
    if len(text) > TEMPLATE_LIMIT:
        raise InvalidInput(f"The letter is too long: {TEMPLATE_LIMIT} characters at most.")
    known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(text)]
    except ValueError as exc:
        raise InvalidInput(
            "A { or } is not closed. Placeholders are a name in braces, such as "
            "{pupil_name}; to show a brace itself, write it twice ({{ or }})."
        ) from exc
    unknown = sorted({f"{{{n}}}" for n, _, _ in fields if n is not None and n not in PLACEHOLDERS})
    if unknown:
        raise InvalidInput(
            f"The letter does not know {', '.join(unknown)}. The placeholders are: {known}."
        )
    if any(name == "" or spec or conv for name, spec, conv in fields if name is not None):
        raise InvalidInput(f"Write placeholders as a plain name in braces: {known}.")
    return text


def template(session: Session) -> str:
    row = session.get(Setting, TEMPLATE_SETTING)
    return row.value if row is not None else DEFAULT_TEMPLATE


def current_template(sessions: Database) -> str:
    with sessions() as session:
        return template(session)


def update_template(sessions: Database, actor: Actor, text: str) -> str:
    """Save the school's wording (admins); an empty text goes back to the default."""
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_SETTINGS)
        clean = check_template(text) if text.strip() else DEFAULT_TEMPLATE
        row = session.get(Setting, TEMPLATE_SETTING)
        before = row.value if row is not None else DEFAULT_TEMPLATE
        if row is None:
            session.add(Setting(key=TEMPLATE_SETTING, value=clean))
        else:
            row.value = clean
        audit.append(
            session,
            EventKind.LETTER_TEMPLATE_CHANGED,
            actor,
            details={"before": before, "after": clean},
        )
        return clean


def _long_date(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def confiscation_of(session: Session, custody_id: int) -> Custody:
    custody = session.get(Custody, custody_id)
    if custody is None or custody.kind != CustodyKind.CONFISCATION.value:
        raise InvalidInput("That is not a confiscated device.")
    if custody.pupil.purged_at is not None:
        raise InvalidInput("That pupil's records have been removed.")
    return custody


def values_for(session: Session, custody: Custody) -> dict[str, str]:
    """What each placeholder says for this confiscation."""
    pupil, taken = custody.pupil, to_local(custody.received_at)
    staff = session.get(Staff, custody.received_by_id) if custody.received_by_id else None
    confiscation = custody.confiscation
    reason = confiscation.reason_category if confiscation else ""
    condition = confiscation.release_condition if confiscation else None
    opens = settings.get_value(session, "collection_opens")
    closes = settings.get_value(session, "collection_closes")
    return {
        "pupil_name": pupil.display_name,
        "pupil_forename": pupil.display_forename,
        "form": pupil.reg_group,
        "year": str(pupil.year_group),
        "date": _long_date(taken.date()),
        "time": f"{taken:%H:%M}",
        "device": custody.description or "phone",
        "reason": reason,
        "release_condition": WHEN_BY_CONDITION.get(condition or "", RELEASE_CONDITION),
        "collection_times": f"{opens} to {closes}",
        "school_name": settings.get_value(session, "school_name"),
        "staff_name": staff.name if staff is not None else "a member of staff",
    }


def fill(text: str, values: dict[str, str]) -> tuple[str, ...]:
    """The template's paragraphs (split at blank lines) with the values put in."""
    filled = check_template(text).format_map(values)
    return tuple(p.strip() for p in filled.split("\n\n") if p.strip())


def letter_in(session: Session, custody_id: int, now: dt.datetime | None = None) -> Letter:
    custody = confiscation_of(session, custody_id)
    values = values_for(session, custody)
    c = custody.confiscation
    return Letter(
        custody_id=custody.id,
        pupil_id=custody.pupil_id,
        school_name=values["school_name"],
        addressed_to=f"The parent or carer of {values['pupil_name']} ({values['form']})",
        subject=f"{values['school_name']}: {values['pupil_forename']}'s device was confiscated",
        paragraphs=fill(template(session), values),
        referred_to_dsl=bool(c and (c.dsl_referred_at or c.do_not_examine)),
        written_on=to_local(now_or(now)).date(),
    )


def letter_for(sessions: Database, custody_id: int, now: dt.datetime | None = None) -> Letter:
    """The letter for one confiscation, in the school's current wording."""
    with sessions() as session:
        return letter_in(session, custody_id, now)


def record_letter(
    sessions: Database,
    actor: Actor,
    custody_id: int,
    file_name: str,
    now: dt.datetime | None = None,
) -> None:
    """Record that the letter was produced (staff who may release to a parent)."""
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.RELEASE_TO_PARENT)
        custody = confiscation_of(session, custody_id)
        record(session, EventKind.LETTER_PRODUCED, actor, custody, now, details={"file": file_name})
