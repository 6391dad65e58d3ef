"""The custody log's columns as a report (one row a device handed in or confiscated, with
its whole story), standard library only: ``custody_log`` says where each is read from."""

from __future__ import annotations

from typing import Any

from kiosk.clock import local_date, stored_time, utcnow
from kiosk.custody_terms import CustodyKind, CustodyState, ReleasedTo, is_unclaimed
from kiosk.services.ladder import Condition
from kiosk.services.reports.cells import Column
from kiosk.services.reports.fields import DAY, FLAG, Field, Lookup, Shown, local_time, words

OUTCOME_WORDS = {
    CustodyState.HELD.value: "Held",
    CustodyState.RELEASED.value: "Given back",
    CustodyState.HANDED_TO_POLICE.value: "Handed to police",
    CustodyState.CANCELLED.value: "Hand-in undone",
    CustodyState.EMERGENCY_RELEASED.value: "Emergency: not confirmed back",
}
KIND_WORDS = {
    CustodyKind.DAILY.value: "Daily hand-in",
    CustodyKind.CONFISCATION.value: "Confiscation",
}
RELEASED_TO_WORDS = {ReleasedTo.PUPIL.value: "Pupil", ReleasedTo.PARENT.value: "Parent/carer"}
SELF_SERVICE = "Kiosk (self-service)"
CONDITION_WORDS = {condition.value: condition.short for condition in Condition}

PUPIL = Lookup("pupil", "pupil_id", inner=True)
SLOT = Lookup("slot", "slot_id")
RECEIVER = Lookup("receiver", "received_by_id")
RELEASER = Lookup("releaser", "released_by_id")
AUTHORISER = Lookup("authoriser", "release_authorised_by_id")
_BY_KIOSK = Shown("{v} or {kiosk}", {"kiosk": SELF_SERVICE})
_RELEASED_BY_KIOSK = Shown("{v} or ({kiosk} if {released} else None)", {"kiosk": SELF_SERVICE})
_RELEASED_TO = Shown(
    "{police_words} if {state} == {police} else {words}.get({v} or '')",
    {
        "police": CustodyState.HANDED_TO_POLICE.value,
        "police_words": "Police",
        "words": RELEASED_TO_WORDS,
    },
)
_DSL = Shown(
    "({v} is True or {v} == 1) if {kind} == {confiscation} else None",
    {"confiscation": CustodyKind.CONFISCATION.value},
)
# A daily hand-in's flag (card-less, late); a confiscation has none.
_DAILY_FLAG = Shown(
    "({v} is True or {v} == 1) if {kind} != {confiscation} else None",
    {"confiscation": CustodyKind.CONFISCATION.value},
)


def _unclaimed_flag(limit: Any, received: Any, released: Any) -> bool:
    """A confiscation held the school's unclaimed limit (the setting, or its default) in
    school-local days or more (to its release, or to now while it is held)."""
    end = stored_time(released) if released is not None else utcnow()
    days = (local_date(end) - local_date(stored_time(received))).days
    return is_unclaimed(days, int(limit))


# None for a daily hand-in, tested here: a call a row costs more than its check
_UNCLAIMED = Shown(
    "{flag}({v}, {received}, {released}) if {kind} == {confiscation} else None",
    {"flag": _unclaimed_flag, "confiscation": CustodyKind.CONFISCATION.value},
)

# The columns, in order, each with how its value is shown.
CUSTODY_FIELDS: tuple[Field, ...] = (
    Field("id", Column("Record", "int", 8)),
    Field("admission_number", Column("Admission no.", "text", 13, free_text=True), PUPIL),
    Field("surname", Column("Surname", "text", 18, free_text=True), PUPIL),
    Field("forename", Column("Forename", "text", 14, free_text=True), PUPIL),
    Field("year_group", Column("Year", "int", 6), PUPIL),
    Field("reg_group", Column("Form", "text", 7, free_text=True), PUPIL),
    Field("kind", Column("Kind", "text", 14), shown=words(KIND_WORDS)),
    Field("state", Column("Outcome", "text", 16), shown=words(OUTCOME_WORDS)),
    Field("slot", Column("Slot", "int", 6), SLOT),
    local_time("received", "Received"),
    Field(
        "received_by",
        Column("Received by", "text", 18, free_text=True),
        RECEIVER,
        shown=_BY_KIOSK,
    ),
    local_time("released", "Released"),
    Field(
        "released_by",
        Column("Released by", "text", 18, free_text=True),
        RELEASER,
        shown=_RELEASED_BY_KIOSK,
    ),
    Field("released_to", Column("Released to", "text", 14), shown=_RELEASED_TO),
    Field("released_to_name", Column("Released to (name)", "text", 22, free_text=True)),
    Field("relationship", Column("Relationship", "text", 13, free_text=True)),
    Field("id_seen", Column("ID seen", "bool", 8), shown=FLAG),
    Field("keep_overnight_on", Column("Kept overnight on", "date", 12), shown=DAY),
    Field("reason", Column("Reason", "text", 20, free_text=True)),
    Field("dsl_referred", Column("Referred to DSL", "bool", 9), shown=_DSL),
    Field("devices", Column("Devices", "text", 18)),
    Field("release_reason", Column("Release reason", "text", 24, free_text=True)),
    # issue 18: the ID document, and whether the person was one of the pupil's MIS contacts
    Field("id_seen_as", Column("ID seen as", "text", 14, free_text=True)),
    Field("on_contact_list", Column("On contact list", "bool", 9), shown=FLAG),
    Field(
        "authorised_by",
        Column("Release authorised by", "text", 18, free_text=True),
        AUTHORISER,
    ),
    Field("card_less", Column("Card-less", "bool", 9), shown=_DAILY_FLAG),
    Field("late", Column("Late", "bool", 6), shown=_DAILY_FLAG),
    # the escalation ladder (confiscations recorded since it began)
    Field("term_step", Column("Step this term", "int", 8)),
    Field(
        "release_condition",
        Column("Release condition", "text", 16),
        shown=words(CONDITION_WORDS),
    ),
    Field(
        "condition_note",
        Column("Condition differs from rule because", "text", 24, free_text=True),
    ),
    # issue 18: a confiscation nobody came for within the school's limit
    Field("unclaimed", Column("Unclaimed", "bool", 10), shown=_UNCLAIMED),
)
