"""The "awaiting parent" rows (``appointments.AwaitingParent``) as the Lists tab's
Confiscations list shows them: age in days with the unclaimed flag, the collection
appointment, and the emails sent about the device; unclaimed rows in red."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from kiosk.services.appointments import AwaitingParent
from kiosk.services.escalation import step_words
from kiosk.ui.staff.common import pupil_search_text
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
    booked = row.appointment
    if booked is None:
        return ""
    return f"{booked.on_date:%a} {booked.on_date.day} {booked.on_date:%b} {booked.at_time:%H:%M}"


def _collection_key(row: AwaitingParent) -> tuple[int, dt.date, dt.time]:
    booked = row.appointment
    if booked is None:
        return (1, dt.date.max, dt.time.max)
    return (0, booked.on_date, booked.at_time)


def awaiting_columns(_today: Callable[[], dt.date]) -> list[Column]:
    """What the office chases, in few columns: the panel beside the list says the rest
    (form, slot, when and why, the DSL, who is coming)."""
    name = pupil_columns(lambda r: r.device.pupil)[0]
    return [
        name,
        Column("Age (days)", days_text, lambda r: r.days, True),
        Column(
            "Step this term",  # the escalation ladder's
            lambda r: step_words(r.device.term_step, r.device.release_condition),
            lambda r: r.device.term_step or 0,
        ),
        Column("Collection", collection_text, _collection_key),
        Column("Emails", emails_text, lambda r: (r.emails_failed, r.emails_sent)),
    ]


def awaiting_search(row: AwaitingParent) -> str:
    extra = " unclaimed" if row.unclaimed else ""
    return pupil_search_text(row.device.pupil) + extra


def awaiting_colour(row: AwaitingParent) -> str | None:
    return RED if row.unclaimed else None
