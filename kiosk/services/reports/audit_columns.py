"""The audit log's columns as a report (one row an event, with the pupil it names), standard
library only: ``audit_log`` says where each is read from."""

from __future__ import annotations

from kiosk.event_kinds import WORDS_BY_KIND, event_words
from kiosk.services.reports.cells import Column
from kiosk.services.reports.fields import FLAG, Field, Lookup, Shown, local_time

PUPIL = Lookup("pupil", "pupil_id")
# An event's words; a kind this version does not know (a newer kiosk's) reads as itself.
EVENT_WORDS = Shown(
    "{words}.get({v}) or {unknown}({v})", {"words": WORDS_BY_KIND, "unknown": event_words}
)

# The columns, in order, each with how its value is shown.
AUDIT_FIELDS: tuple[Field, ...] = (
    Field("seq", Column("Event no.", "int", 10)),
    local_time("at", "Time"),
    Field("kind", Column("Event", "text", 28), shown=EVENT_WORDS),
    # the stored kind, which never changes (the words may): for tools that filter by it
    Field("kind_code", Column("Event code", "text", 18), reads="kind"),
    Field("actor_name", Column("Staff", "text", 18, free_text=True)),
    Field("pupil_id", Column("Pupil record", "int", 8)),
    Field("admission_number", Column("Admission no.", "text", 13, free_text=True), PUPIL),
    Field("pupil_name", Column("Pupil", "text", 22, free_text=True), PUPIL),
    Field("year_group", Column("Year", "int", 6), PUPIL),
    Field("reg_group", Column("Form", "text", 7, free_text=True), PUPIL),
    Field("slot_number", Column("Slot", "int", 6)),
    Field("custody_id", Column("Custody record", "int", 9)),
    # JSON written by the services: always starts with "{"; nearly every row's its own
    Field("details", Column("Details", "text", 40), unique=True),
    Field("redacted", Column("Redacted", "bool", 9), shown=FLAG),
    Field("hash", Column("Hash (SHA-256)", "text", 20), unique=True),
)
