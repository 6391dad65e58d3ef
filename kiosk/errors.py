"""Named errors raised by services. Each carries words fit for a screen."""

from __future__ import annotations

import datetime as dt


class KioskError(Exception):
    """Base: ``str(error)`` is a plain-words message for the person at the screen."""

    default_message = "Something went wrong. Please see the office."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)

    @property
    def message(self) -> str:
        return str(self)


class UnknownPupil(KioskError):
    default_message = "Pupil not found. Please see the office."


class UnknownCard(KioskError):
    default_message = "Card not recognised. Please see the office."

    def __init__(self, message: str | None = None, *, reason: str = "unknown_card") -> None:
        super().__init__(message)
        self.reason = reason  # for the count of refused scans: not_a_card, forged, ...


class CardRevoked(KioskError):
    default_message = "This card has been replaced. Please see the office for your new card."


class PupilNotActive(KioskError):
    default_message = "This pupil is no longer on roll. Please see the office."


class NoFreeSlot(KioskError):
    default_message = "All slots are full. Please take your phone to the office."


class AlreadyHeld(KioskError):
    default_message = "A device is already held there."


class NotHeld(KioskError):
    default_message = "No device is being held for this pupil."


class ConfiscatedNeedsParent(KioskError):
    default_message = "This device is held for a parent or carer. Please see the office."


class UndoWindowPassed(KioskError):
    default_message = "Too late to undo: please ask the office."


class TooLate(KioskError):
    """A scan answered so late that its pupil may have gone: nothing was recorded."""

    default_message = "That took too long, and nothing was recorded. Please scan your card again."


class SlotUnavailable(KioskError):
    default_message = "That slot cannot be used."


class NotAuthorised(KioskError):
    default_message = "You are not allowed to do that."


class WrongPin(KioskError):
    def __init__(self, wait: dt.timedelta = dt.timedelta(0)) -> None:
        self.wait = wait
        then = f" Please wait {wait_words(wait)} before the next try." if wait else ""
        super().__init__(f"Wrong PIN.{then}")


class PinThrottled(KioskError):
    """Too many wrong PINs for this account at this kiosk just now: nothing was checked."""

    def __init__(self, wait: dt.timedelta) -> None:
        self.wait = wait
        super().__init__(
            f"Too many wrong PINs for this account here. Please try again in {wait_words(wait)}."
        )


class AccountLocked(KioskError):
    default_message = "This account is locked after too many wrong PINs: an admin can unlock it."


def wait_words(wait: dt.timedelta) -> str:
    """A wait in words, rounded up: "10 seconds", "1 minute", "5 minutes"."""
    seconds = max(1, -int(-wait.total_seconds() // 1))
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minutes"


class InvalidInput(KioskError):
    default_message = "Some details are missing or not valid."


class DatabaseUnavailable(KioskError):
    """The records cannot be reached or written just now (locked, read-only, disk full,
    connection lost); the cause is chained, and ``detail`` names it for the log."""

    default_message = "The kiosk cannot reach its records. Please see the office."
    detail = ""
    at_commit = False  # raised by the COMMIT itself: whether it was saved is unknown


class RecordsCannotBeSaved(DatabaseUnavailable):
    """The records can be read but not written: a read-only or full disk, a damaged
    shared-memory file, a read-only server."""

    default_message = "The kiosk's records cannot be saved just now. Please see the office."


class RecordsNotAnswering(DatabaseUnavailable):
    """The database did not answer within the kiosk's deadline (hung, paused, a network
    that went quiet); the connection was given up. For a hand-in, whether it was saved
    is still being checked."""

    default_message = "The kiosk is waiting for its records: please wait or see the office"


class AuditChainDamaged(KioskError):
    """The audit log cannot be continued safely (its head is missing, or it is behind a
    signed head): nothing is recorded until an administrator has looked."""

    default_message = (
        "The kiosk's record of hand-ins looks damaged, so it cannot record anything. "
        "Please see the office (an administrator should run 'kiosk verify-log')."
    )


class HelperFailed(KioskError):
    """A second process given half of a long job (``kiosk.services.helper_process``) failed;
    the message says what it reported."""

    default_message = "A helper process failed. Please try again, or see the office."
