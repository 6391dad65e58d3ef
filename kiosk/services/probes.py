"""Probing at the kiosk, counted: cards refused (not a card, forged, unknown, replaced, a
pupil who has left) and cards looked up at home time.

Each would be one audit event per scan, and a pupil trying card after card, or a card
left under the camera, would write hundreds. So the kiosk counts them per minute
(``ProbeTally``, pure) and writes one event per kind and minute with the count
(``record_bursts``); the dashboard shows today's totals (``probes_today``). A kiosk that
crashes loses at most the minute it was counting.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from kiosk.clock import local_date, start_of_local_day, to_local
from kiosk.db import Database
from kiosk.event_kinds import EventKind
from kiosk.services import audit
from kiosk.services.audit import KIOSK_ACTOR
from kiosk.services.common import now_or
from kiosk.tables import AuditEvent

PROBE_KINDS = (EventKind.CARDS_REFUSED, EventKind.HOME_TIME_LOOKUPS)
_PROBE_KIND = {kind.value: kind for kind in PROBE_KINDS}


@dataclass
class Burst:
    """What one kiosk counted of one kind in one minute (naive UTC, whole minute)."""

    kind: EventKind
    minute: dt.datetime
    count: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    pupil_ids: set[int] = field(default_factory=set)

    def details(self, kiosk_name: str) -> dict[str, object]:
        return {
            "kiosk": kiosk_name,
            "minute": self.minute.isoformat(timespec="minutes"),
            "count": self.count,
            "reasons": dict(sorted(self.reasons.items())),
            "pupil_ids": sorted(self.pupil_ids),
        }


def _minute(now: dt.datetime) -> dt.datetime:
    return now.replace(second=0, microsecond=0, tzinfo=None)


class ProbeTally:
    """Counts in memory; ``due(now)`` hands over the minutes that have ended."""

    def __init__(self) -> None:
        self._bursts: dict[tuple[EventKind, dt.datetime], Burst] = {}

    def note(
        self, kind: EventKind, reason: str, now: dt.datetime, pupil_id: int | None = None
    ) -> None:
        minute = _minute(now)
        burst = self._bursts.setdefault((kind, minute), Burst(kind, minute))
        burst.count += 1
        burst.reasons[reason] += 1
        if pupil_id is not None:
            burst.pupil_ids.add(pupil_id)

    def due(self, now: dt.datetime) -> list[Burst]:
        current = _minute(now)
        return self._take([key for key in self._bursts if key[1] < current])

    def drain(self) -> list[Burst]:
        return self._take(list(self._bursts))

    def put_back(self, bursts: list[Burst]) -> None:
        """Bursts whose writing failed: counted again with the next."""
        for burst in bursts:
            kept = self._bursts.setdefault(
                (burst.kind, burst.minute), Burst(burst.kind, burst.minute)
            )
            kept.count += burst.count
            kept.reasons.update(burst.reasons)
            kept.pupil_ids |= burst.pupil_ids

    def __len__(self) -> int:
        return sum(burst.count for burst in self._bursts.values())

    def _take(self, keys: list[tuple[EventKind, dt.datetime]]) -> list[Burst]:
        return [self._bursts.pop(key) for key in sorted(keys, key=lambda k: (k[1], k[0]))]


def record_bursts(sessions: Database, kiosk_name: str, bursts: list[Burst]) -> int:
    """One audit event per burst, all in one transaction; returns how many."""
    if not bursts:
        return 0
    with sessions.begin() as session:
        for burst in bursts:
            audit.append(session, burst.kind, KIOSK_ACTOR, details=burst.details(kiosk_name))
    return len(bursts)


@dataclass(frozen=True)
class ProbeSummary:
    """Today's count of one kind at one kiosk, for the dashboard."""

    kind: EventKind
    kiosk: str
    count: int
    last: dt.datetime  # naive UTC, the start of the last minute counted

    @property
    def words(self) -> str:
        one, many = _WORDS[self.kind]
        what = one if self.count == 1 else many
        return f"{self.count} {what} at {self.kiosk}, last {to_local(self.last):%H:%M}"


_WORDS = {
    EventKind.CARDS_REFUSED: ("card refused", "cards refused"),
    EventKind.HOME_TIME_LOOKUPS: ("look-up at home time", "look-ups at home time"),
}


def probes_today(sessions: Database, now: dt.datetime | None = None) -> list[ProbeSummary]:
    start = start_of_local_day(local_date(now_or(now)))
    with sessions() as session:
        rows = session.execute(
            select(AuditEvent.kind, AuditEvent.details)
            .where(AuditEvent.at >= start, AuditEvent.kind.in_([k.value for k in PROBE_KINDS]))
            .order_by(AuditEvent.seq)
        )
        totals: dict[tuple[EventKind, str], ProbeSummary] = {}
        for kind, details_text in rows:
            details = json.loads(details_text)
            if not isinstance(details.get("count"), int):
                continue  # redacted by a retention purge
            key = (_PROBE_KIND[kind], str(details.get("kiosk", "")))
            minute = dt.datetime.fromisoformat(str(details["minute"]))
            before = totals.get(key)
            count = details["count"] + (before.count if before else 0)
            last = max(minute, before.last) if before else minute
            totals[key] = ProbeSummary(key[0], key[1], count, last)
    return sorted(totals.values(), key=lambda s: (s.kind.value, s.kiosk))
