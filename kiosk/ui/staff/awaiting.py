"""The "awaiting parent" rows (``appointments.AwaitingParent``) as the Lists and Parents
tabs show them: age in days with the unclaimed flag, the collection appointment, and the
emails sent about the device; unclaimed rows in red."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from kiosk.services.appointments import AwaitingParent
from kiosk.services.escalation import step_words
from kiosk.ui.staff.common import pupil_search_text, when_text
from kiosk.ui.staff.models import Column, pupil_columns
from kiosk.ui.style import RED

UNCLAIMED = "UNCLAIMED"


def days_text(row: AwaitingParent) -> str:
    return f"{row.days} {UNCLAIMED}" if row.unclaimed else str(row.days)


def emails_text(row: AwaitingParent) -> str:
    parts = [f"{row.emails_sent} sent"] if row.emails_sent else []
    if row.emails_failed:
        parts.append(f"{row.emails_failed} failed")
    return ", ".join(parts)


def collection_text(row: AwaitingParent) -> str:
    return row.appointment.words if row.appointment is not None else ""


def _collection_key(row: AwaitingParent) -> tuple[int, dt.date, dt.time]:
    booked = row.appointment
    if booked is None:
        return (1, dt.date.max, dt.time.max)
    return (0, booked.on_date, booked.at_time)


def awaiting_columns(today: Callable[[], dt.date]) -> list[Column]:
    return [
        *pupil_columns(lambda r: r.device.pupil),
        Column(
            "Slot",
            lambda r: "" if r.device.slot_number is None else str(r.device.slot_number),
            lambda r: r.device.slot_number or 0,
            True,
        ),
        Column(
            "Confiscated",
            lambda r: when_text(r.device.received_at, today()),
            lambda r: r.device.received_at,
        ),
        Column("Age (days)", days_text, lambda r: r.days, True),
        Column("Reason", lambda r: r.device.reason_category or ""),
        Column(
            "Step this term",  # the escalation ladder's
            lambda r: step_words(r.device.term_step, r.device.release_condition),
            lambda r: r.device.term_step or 0,
        ),
        Column("DSL", lambda r: "Referred" if r.device.dsl_referred else ""),
        Column("Collection", collection_text, _collection_key),
        Column("Emails", emails_text, lambda r: (r.emails_failed, r.emails_sent)),
    ]


def chasing_columns(today: Callable[[], dt.date]) -> list[Column]:
    """For the Parents tab beside its form: what the office chases, first (a 1024 px
    screen shows the first few columns)."""
    wanted = ("Name", "Age (days)", "Collection", "Emails", "Form", "Slot")
    by_title = {c.title: c for c in awaiting_columns(today)}
    return [by_title[title] for title in wanted]


def awaiting_search(row: AwaitingParent) -> str:
    extra = " unclaimed" if row.unclaimed else ""
    return pupil_search_text(row.device.pupil) + extra


def awaiting_colour(row: AwaitingParent) -> str | None:
    return RED if row.unclaimed else None
