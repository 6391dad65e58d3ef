"""Whose turn it is at the screen: pure bookkeeping of scans against a monotonic clock
(no Qt, no database), so that every result on screen belongs to the pupil in front of it.

- **One presentation, one event** (``Presence``): a card is "in view" while it keeps being
  read with gaps shorter than ``PRESENCE_GAP_SECONDS`` (longer than the 4 s after which the
  camera reports a card held in view again). Only a card coming back into view is a new
  scan: a card left under the camera is one hand-in, not a repeat notice every 4 s.
- **The newest scan is the pupil in front** (``Turns``): each scan and each tap gets the next
  number; an answer is shown only if nothing newer has happened since, and only if it came
  within ``LATE_SECONDS`` of its scan (a pupil who waited longer may have gone, and the next
  one must not see their name and slot). A scan that arrives while another is being answered,
  or while a result has been up for less than ``MIN_READ_SECONDS``, waits (only the newest
  waits) and is dropped if it has waited past ``LATE_SECONDS``.
"""

from __future__ import annotations

from dataclasses import dataclass

PRESENCE_GAP_SECONDS = 6.0
MIN_READ_SECONDS = 2.5
LATE_SECONDS = 5.0
SHOW_GRACE_SECONDS = 1.0  # an answer committed just in time still gets painted


@dataclass(frozen=True)
class Scan:
    seq: int
    text: str
    at: float  # time.monotonic() when the card was read
    late: float = LATE_SECONDS

    @property
    def deadline(self) -> float:
        """After this the scan is not acted on (the database work refuses to start)."""
        return self.at + self.late

    def too_late_to_show(self, now: float) -> bool:
        return now > self.deadline + SHOW_GRACE_SECONDS


class Presence:
    """Which cards are in view. ``gap`` 0 makes every read a new presentation."""

    def __init__(self, gap: float = PRESENCE_GAP_SECONDS) -> None:
        self.gap = gap
        self._last_seen: dict[str, float] = {}

    def sighted(self, text: str, now: float) -> bool:
        """Note a read of ``text``; True if it is a new presentation of the card."""
        new = not self.in_view(text, now)
        self._last_seen[text] = now
        for seen, at in list(self._last_seen.items()):  # a handful at most
            if now - at > max(self.gap, 1.0) * 4:
                del self._last_seen[seen]
        return new

    def in_view(self, text: str, now: float) -> bool:
        last = self._last_seen.get(text)
        return last is not None and self.gap > 0 and now - last <= self.gap


class Turns:
    """Numbers the scans and taps; knows what is in flight, what waits, what is shown."""

    def __init__(self, late_seconds: float = LATE_SECONDS) -> None:
        self.late_seconds = late_seconds
        self.seq = 0
        self.in_flight = 0  # scans sent to the database and not answered yet
        self.waiting: Scan | None = None
        self.shown_at = -1e9  # when the result on screen was painted

    def new_scan(self, text: str, now: float) -> Scan:
        self.seq += 1
        return Scan(self.seq, text, now, self.late_seconds)

    def new_tap(self) -> int:
        self.seq += 1
        return self.seq

    def is_current(self, seq: int) -> bool:
        return seq == self.seq

    def hold_left(self, now: float) -> float:
        """How long the result on screen must stay before another pupil's replaces it."""
        return max(0.0, self.shown_at + MIN_READ_SECONDS - now)

    def may_start(self, now: float) -> bool:
        return self.in_flight == 0 and self.hold_left(now) == 0

    def take_waiting(self, now: float) -> Scan | None:
        """The scan that waited, unless it has waited too long (then it is dropped)."""
        scan, self.waiting = self.waiting, None
        if scan is None or now > scan.deadline or not self.is_current(scan.seq):
            return None
        return scan
