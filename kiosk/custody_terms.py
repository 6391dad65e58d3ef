"""The custody record's own terms, shared by every layer and by the exports' second
process (standard library only): a record's kind and state, who a device went back to, and
when a confiscation counts as unclaimed."""

from __future__ import annotations

from enum import StrEnum


class CustodyKind(StrEnum):
    DAILY = "daily"
    CONFISCATION = "confiscation"


class CustodyState(StrEnum):
    HELD = "held"
    RELEASED = "released"
    HANDED_TO_POLICE = "handed_to_police"
    CANCELLED = "cancelled"  # a hand-in undone within the undo window
    # taken out of the slots in an evacuation; released when a member of staff confirms
    # the pupil has it back (the reconciliation lists the rest)
    EMERGENCY_RELEASED = "emergency_released"


class ReleasedTo(StrEnum):
    PUPIL = "pupil"
    PARENT = "parent"


def is_unclaimed(age_days: int, limit: int) -> bool:
    """Whether a confiscation held ``age_days`` school-local days is unclaimed under the
    school's limit (``unclaimed_days``)."""
    return age_days >= limit
