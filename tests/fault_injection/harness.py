"""A loop of hand-ins through faults, and the checks every fault test makes.

``HandInLoop`` hands in one pupil's card after another on a thread, as the kiosk's job
does (``outcome.hand_in_trusted``, a fresh token each scan), and records what each pupil
was told and how long they waited. An unknown outcome is then looked up until it is known,
as the screen does. ``check`` compares that with the database: no confirmed hand-in lost,
none stored twice, nobody told "not saved" who has a record, and the audit chain intact.
Used by tests/faults and benchmarks/faults.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from kiosk.db import Database
from kiosk.demo import DemoSchool
from kiosk.errors import DatabaseUnavailable, KioskError, RecordsCannotBeSaved
from kiosk.event_kinds import EventKind
from kiosk.services import chain_check, outcome
from kiosk.tables import AuditEvent, Custody

ANSWERED = ("slot", "already")
RESCAN_S = 0.1  # a pupil told to try again scans again after this


@dataclass
class Told:
    """One scan: what the pupil was told, when, and how long it took."""

    pupil_id: int
    token: str
    started: float
    seconds: float
    said: str  # "slot", "unknown", "cannot be saved", "cannot reach", or an error's name
    custody_id: int | None = None


@dataclass
class LoopReport:
    told: list[Told] = field(default_factory=list)

    def confirmed(self) -> list[Told]:
        return [t for t in self.told if t.said == "slot"]

    def longest_wait(self, since: float = 0.0) -> float:
        waits = [t.seconds for t in self.told if t.started >= since]
        return max(waits, default=0.0)

    def refused_since(self, moment: float) -> bool:
        """Whether a pupil was told something other than a slot after ``moment``."""
        return any(t.started + t.seconds >= moment for t in self.told if t.said not in ANSWERED)

    def first_slot_after(self, moment: float) -> float | None:
        times = [t.started + t.seconds for t in self.confirmed() if t.started >= moment]
        return min(times, default=None)


class HandInLoop(threading.Thread):
    """Hands in each pupil's card once, in order, until stopped or out of pupils."""

    def __init__(
        self,
        database: Database,
        school: DemoSchool,
        pause_s: float = 0.01,
        idle: Callable[[], bool] = lambda: False,
    ) -> None:
        """``idle()`` true: nobody scans (the kiosk is idle) until it turns false."""
        super().__init__(daemon=True)
        self.database, self.school, self.pause_s, self.idle = database, school, pause_s, idle
        self.idling = threading.Event()
        self.report = LoopReport()
        self._halt = threading.Event()

    def run(self) -> None:
        """Each pupil scans until they get an answer that is not an error (a pupil sent
        away by a failure comes back and scans again)."""
        for pupil_id in self.school.pupil_ids:
            while not self._halt.is_set():
                self._wait_while_idle()
                told = self._scan(pupil_id)
                self.report.told.append(told)
                if told.said == "unknown":
                    self._settle(told)
                self._halt.wait(self.pause_s if told.said in ANSWERED else RESCAN_S)
                if told.said in ANSWERED:
                    break

    def _scan(self, pupil_id: int) -> Told:
        token, started = outcome.new_token(), time.monotonic()
        text = self.school.card_texts[pupil_id]
        custody_id, said = None, "slot"
        try:
            result = outcome.hand_in_trusted(self.database, text, token)
            custody_id = result.custody_id
            said = "slot" if not result.already_held else "already"
        except outcome.OutcomeUnknown:
            said = "unknown"  # told to wait; asked again below, as the screen does
        except RecordsCannotBeSaved:
            said = "cannot be saved"
        except DatabaseUnavailable:
            said = "cannot reach"
        except KioskError as error:
            said = type(error).__name__
        return Told(pupil_id, token, started, time.monotonic() - started, said, custody_id)

    def _wait_while_idle(self) -> None:
        while self.idle() and not self._halt.is_set():
            self.idling.set()
            self._halt.wait(0.01)
        self.idling.clear()

    def _settle(self, told: Told) -> None:
        """Ask until the outcome is known; the pupil waits meanwhile."""
        while not self._halt.is_set():
            try:
                found = outcome.resolve(self.database, told.token)
            except outcome.OutcomeUnknown:
                self._halt.wait(RESCAN_S)
                continue
            told.said = "slot" if found is not None else "not saved"
            told.custody_id = found.custody_id if found is not None else None
            return

    def confirmed_count(self) -> int:
        return len(self.report.confirmed())

    def stop(self) -> LoopReport:
        self._halt.set()
        self.join(timeout=120)
        return self.report


def wait_for(condition: object, timeout_s: float, what: str) -> float:
    """Poll ``condition()`` until true; the moment it held (time.monotonic())."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if condition():  # type: ignore[operator]
            return time.monotonic()
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def settle_unknowns(database: Database, report: LoopReport, timeout_s: float = 30.0) -> None:
    """Look up every unknown outcome until it is known (as the kiosk screen does)."""
    for told in report.told:
        if told.said != "unknown":
            continue
        end = time.monotonic() + timeout_s
        while True:
            try:
                found = outcome.resolve(database, told.token)
            except outcome.OutcomeUnknown:
                assert time.monotonic() < end, "an unknown outcome stayed unknown"
                time.sleep(0.2)
                continue
            told.said = "slot" if found is not None else "not saved"
            told.custody_id = found.custody_id if found is not None else None
            break


def check(database: Database, report: LoopReport) -> dict[str, int]:
    """No confirmed hand-in lost, none stored twice, every "not saved" true, chain intact."""
    with database() as session:
        by_token = dict(
            session.execute(
                select(AuditEvent.details, func.count())
                .where(AuditEvent.kind == EventKind.HAND_IN.value)
                .group_by(AuditEvent.details)
            ).all()
        )
        custodies = {
            c.id: c.pupil_id
            for c in session.scalars(select(Custody).where(Custody.kind == "daily"))
        }
        per_pupil: dict[int, int] = {}
        for pupil_id in custodies.values():
            per_pupil[pupil_id] = per_pupil.get(pupil_id, 0) + 1
    twice = [details for details, count in by_token.items() if count > 1]
    assert not twice, f"hand-ins stored twice: {len(twice)}"
    assert all(n == 1 for n in per_pupil.values()), "a pupil holds two hand-ins"
    lost = [t for t in report.confirmed() if custodies.get(t.custody_id or -1) != t.pupil_id]
    assert not lost, f"confirmed hand-ins lost: {lost}"
    refused = {t.pupil_id for t in report.told if t.said in ("cannot reach", "not saved")}
    told_wrong = refused & set(custodies.values()) - {t.pupil_id for t in report.confirmed()}
    assert not told_wrong, f"pupils told 'not saved' whose hand-in was saved: {told_wrong}"
    assert chain_check.verify(database).intact
    return {"confirmed": len(report.confirmed()), "stored": len(custodies)}
