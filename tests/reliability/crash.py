"""Kill -9 a kiosk process at random moments while it hands in and gives back devices, then
check that the database kept every step the kiosk was told had happened, and nothing
half-done. Used by tests/reliability and benchmarks/crash.py.

The child acknowledges each committed step to the parent through a pipe, right after the
service call returns, so the parent knows a lower bound of what the database must hold. A
step committed but killed before its acknowledgement may be in the database; a step that
was acknowledged must be.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

from kiosk.db import open_database
from kiosk.demo import DemoSchool
from kiosk.services import chain_check, custody
from kiosk.services.audit import Actor
from reliability.kiosks import (
    CustodyRow,
    build_shared_school,
    custody_rows,
    replay_slots,
    slot_events,
)
from reliability.processes import kiosk_processes, new_kiosk_process

PUPILS = 5  # each held until its next turn: fewer than the school's ordinary slots


def child(url: str, cards: list[tuple[int, str]], office: Actor, pipe: Any) -> None:
    """Hand in the cards' devices round and round, giving each back before its next
    hand-in, and acknowledge every step once its service call has returned (committed).
    Runs until killed."""
    sessions = open_database(url, migrate=False)
    held: dict[int, int] = {}  # pupil -> custody, as far as this process knows
    pipe.send(("ready",))
    while True:
        for pupil_id, text in cards:
            if pupil_id in held:
                collected = held.pop(pupil_id)
                custody.collect(sessions, collected, office)
                pipe.send(("out", collected))
            result = custody.hand_in_by_card(sessions, text)
            if result.already_held:  # handed in by a run killed before it could say so
                assert result.custody_id is not None
                custody.collect(sessions, result.custody_id, office)
                pipe.send(("out", result.custody_id))
                result = custody.hand_in_by_card(sessions, text)
            assert result.custody_id is not None and result.slot_number is not None
            held[pupil_id] = result.custody_id
            pipe.send(("in", result.custody_id, pupil_id, result.slot_number))


@dataclass
class CrashLog:
    """What the children acknowledged over all runs, and what each check found."""

    hand_ins: dict[int, tuple[int, int]] = field(default_factory=dict)  # custody: pupil, slot
    collections: set[int] = field(default_factory=set)  # custody ids
    kills: int = 0
    kills_mid_work: int = 0  # kills after the child had acknowledged at least one step
    committed_unacknowledged: int = 0  # steps the database kept that no ack reported
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def crash_runs(
    url: str, school: DemoSchool, *, hand_ins: int, seed: int = 1, most_steps: int = 40
) -> CrashLog:
    """Start, kill, check, repeat, until ``hand_ins`` hand-ins have been acknowledged. Each
    run is killed after a random number (1 to ``most_steps``) of acknowledged steps plus a
    random fraction of a step, so the kill lands anywhere in the loop however fast the
    machine is. Stops early at the first run whose check finds a problem."""
    context = kiosk_processes()
    rng = random.Random(seed)
    cards = [(p, school.card_texts[p]) for p in school.pupil_ids[:PUPILS]]
    office = school.actors["office"]
    log = CrashLog()
    began = time.perf_counter()
    while len(log.hand_ins) < hand_ins and not log.problems:
        receive, send = context.Pipe(duplex=False)
        process = new_kiosk_process(child, (url, cards, office, send), daemon=True)
        process.start()
        send.close()
        steps, fraction = rng.randint(1, most_steps), rng.random()
        acknowledged = _run_until_killed(process, receive, steps, fraction, log)
        process.join(timeout=30)
        receive.close()
        log.kills += 1
        log.kills_mid_work += acknowledged > 0
        log.problems += check_after_crash(url, log)
    log.seconds = time.perf_counter() - began
    return log


def _run_until_killed(process: Any, pipe: Any, steps: int, fraction: float, log: CrashLog) -> int:
    """Let the child acknowledge ``steps`` steps, wait ``fraction`` of the last step's
    duration, kill -9 it, and record every acknowledgement it sent before it died.
    Returns how many there were."""
    message = pipe.recv()
    assert message == ("ready",), message
    count, last = 0, time.perf_counter()
    while count < steps:
        count += _record(pipe.recv(), log)
        now = time.perf_counter()
        step, last = now - last, now
    time.sleep(step * fraction)
    os.kill(process.pid, signal.SIGKILL)
    try:
        while True:  # what the child sent before it died is still in the pipe
            count += _record(pipe.recv(), log)
    except EOFError:
        pass
    return count


def _record(message: tuple[Any, ...], log: CrashLog) -> int:
    if message[0] == "in":
        _, custody_id, pupil_id, slot = message
        log.hand_ins[custody_id] = (pupil_id, slot)
    else:
        log.collections.add(message[1])
    return 1


def check_after_crash(url: str, log: CrashLog) -> list[str]:
    problems = []
    if url.startswith("sqlite"):
        with sqlite3.connect(url.split("///", 1)[1]) as raw:
            result = raw.execute("PRAGMA integrity_check").fetchall()
        if result != [("ok",)]:
            problems.append(f"integrity_check: {result[:3]}")
    sessions = open_database(url, migrate=False)
    engine = sessions.engine
    try:
        report = chain_check.verify(sessions)
        if not report.intact:
            problems.append(report.describe())
        with sessions() as session:
            rows, events = custody_rows(session), slot_events(session)
    finally:
        engine.dispose()
    problems += _acknowledged_kept(log, rows)
    problems += replay_slots(events, rows)
    collected = {e.custody_id for e in events if e.kind == "collected"}
    released = {r.id for r in rows.values() if r.state == "released"}
    if collected != released:
        problems.append("released devices and 'collected' events differ (a half-written step)")
    log.committed_unacknowledged = len(set(rows) - set(log.hand_ins))
    return problems


def _acknowledged_kept(log: CrashLog, rows: dict[int, CustodyRow]) -> list[str]:
    problems = []
    for custody_id, (pupil_id, slot) in log.hand_ins.items():
        row = rows.get(custody_id)
        if row is None:
            problems.append(f"acknowledged hand-in {custody_id} was lost")
        elif (row.pupil_id, row.slot_number) != (pupil_id, slot):
            problems.append(f"hand-in {custody_id} changed after it was acknowledged")
    for custody_id in log.collections:
        if custody_id not in rows or rows[custody_id].state != "released":
            problems.append(f"acknowledged collection of {custody_id} was lost")
    return problems


def prepare(url: str) -> DemoSchool:
    """A school for one crashing kiosk: enough ordinary slots for its pupils' devices."""
    return build_shared_school(url, kiosks=1, held_per_kiosk=PUPILS)
