"""Several kiosks at once on one database: real processes (forked from a fork server that
imported the kiosk, ``reliability.processes``), each with its own engine, scanning real
cards. Used by tests/reliability and benchmarks/concurrency.py.

A kiosk process hands in its own pupils' devices by card, and collects them again (as the
office would), holding a few at a time so every process keeps competing for the lowest
free slots. It reports what the database acknowledged: each hand-in's custody and slot,
each collection. :func:`check_database` then compares that with the database, and replays
the audit log in chain order to show that no slot ever held two devices.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.db import open_database
from kiosk.demo import DemoSchool, build_school
from kiosk.errors import KioskError
from kiosk.services import chain_check, custody, settings
from kiosk.services.audit import Actor
from kiosk.tables import AuditEvent, Custody, CustodyState, Slot
from reliability.processes import kiosk_processes, new_kiosk_process

HELD_PER_KIOSK = 4  # each kiosk holds at most this many devices at once
PUPILS_PER_KIOSK = 10


@dataclass
class KioskRun:
    """What one kiosk process saw acknowledged."""

    kiosk: int
    hand_ins: list[tuple[int, int, int]] = field(default_factory=list)  # custody, pupil, slot
    collections: list[int] = field(default_factory=list)  # custody ids
    repeat_scans: int = 0
    errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)  # every service call
    seconds: float = 0.0


def build_shared_school(url: str, kiosks: int, held_per_kiosk: int = HELD_PER_KIOSK) -> DemoSchool:
    """A school with just enough ordinary slots for every kiosk's held devices, so all
    kiosks compete for the same few slots."""
    sessions = open_database(url)
    engine = sessions.engine
    try:
        settings.ensure_install(sessions)
        return shared_school(sessions, kiosks, held_per_kiosk)
    finally:
        engine.dispose()


def shared_school(sessions: Any, kiosks: int, held_per_kiosk: int = HELD_PER_KIOSK) -> DemoSchool:
    """:func:`build_shared_school` in an installed database's ``sessions``."""
    ordinary = kiosks * held_per_kiosk + 2
    return build_school(
        sessions, pupils=kiosks * PUPILS_PER_KIOSK, slot_count=ordinary + 2, reserved=2
    )


def kiosk_process(
    url: str,
    kiosk: int,
    cards: list[tuple[int, str]],
    office: Actor,
    rounds: int,
    start: Any,
    results: Any,
) -> None:
    """One kiosk: ``rounds`` hand-ins of its own pupils' cards, with collections between."""
    sessions = open_database(url, migrate=False)
    engine = sessions.engine
    run = KioskRun(kiosk)
    rng = random.Random(kiosk)
    held: dict[int, int] = {}  # pupil -> custody
    try:
        start.wait()
        began = time.perf_counter()
        for _ in range(rounds):
            if len(held) >= HELD_PER_KIOSK or (held and rng.random() < 0.5):
                _collect_one(sessions, office, held, rng, run)
            _hand_in_one(sessions, cards, held, rng, run)
        run.seconds = time.perf_counter() - began
    except Exception as exc:  # reported to the parent, which fails the check
        run.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        engine.dispose()
        results.put(run)


def _timed(run: KioskRun, call: Any) -> Any:
    started = time.perf_counter()
    try:
        return call()
    finally:
        run.latencies_ms.append((time.perf_counter() - started) * 1000)


def _hand_in_one(
    sessions: Any,
    cards: list[tuple[int, str]],
    held: dict[int, int],
    rng: random.Random,
    run: KioskRun,
) -> None:
    pupil_id, text = rng.choice(cards)
    try:
        result = _timed(run, lambda: custody.hand_in_by_card(sessions, text))
    except KioskError as exc:
        run.errors.append(f"hand-in of pupil {pupil_id}: {type(exc).__name__}: {exc}")
        return
    if result.already_held:
        run.repeat_scans += 1
        if held.get(pupil_id) != result.custody_id:
            run.errors.append(f"repeat scan of pupil {pupil_id} gave another custody")
        return
    held[pupil_id] = result.custody_id
    run.hand_ins.append((result.custody_id, pupil_id, result.slot_number))


def _collect_one(
    sessions: Any, office: Actor, held: dict[int, int], rng: random.Random, run: KioskRun
) -> None:
    pupil_id = rng.choice(sorted(held))
    custody_id = held.pop(pupil_id)
    try:
        _timed(run, lambda: custody.collect(sessions, custody_id, office))
    except KioskError as exc:
        run.errors.append(f"collection of custody {custody_id}: {type(exc).__name__}: {exc}")
        return
    run.collections.append(custody_id)


def run_kiosks(url: str, school: DemoSchool, kiosks: int, rounds: int) -> list[KioskRun]:
    """Start ``kiosks`` processes together on ``url`` and wait for their reports."""
    context = kiosk_processes()
    start = context.Barrier(kiosks)
    results = context.Queue()
    pupils = school.pupil_ids
    processes = []
    for kiosk in range(kiosks):
        own = pupils[kiosk * PUPILS_PER_KIOSK : (kiosk + 1) * PUPILS_PER_KIOSK]
        cards = [(p, school.card_texts[p]) for p in own]
        args = (url, kiosk, cards, school.actors["office"], rounds, start, results)
        process = new_kiosk_process(kiosk_process, args, name=f"kiosk-{kiosk}")
        process.start()
        processes.append(process)
    runs = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    return sorted(runs, key=lambda r: r.kiosk)


@dataclass(frozen=True)
class CustodyRow:
    id: int
    pupil_id: int
    state: str
    slot_number: int | None


def custody_rows(session: Session) -> dict[int, CustodyRow]:
    query = select(Custody.id, Custody.pupil_id, Custody.state, Slot.number).outerjoin(
        Slot, Slot.id == Custody.slot_id
    )
    return {r[0]: CustodyRow(*r) for r in session.execute(query)}


def slot_events(session: Session) -> list[Any]:
    """(seq, kind, slot number, custody id) of every audit event, in chain order."""
    query = select(AuditEvent.seq, AuditEvent.kind, AuditEvent.slot_number, AuditEvent.custody_id)
    return list(session.execute(query.order_by(AuditEvent.seq)).all())


def check_database(url: str, runs: list[KioskRun]) -> list[str]:
    """Everything wrong with the database after ``runs``; empty when all is well."""
    problems = [f"kiosk {r.kiosk}: {e}" for r in runs for e in r.errors]
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
    problems += _compare_acknowledged(runs, rows)
    problems += replay_slots(events, rows)
    repeats = sum(r.repeat_scans for r in runs)
    logged = sum(1 for e in events if e.kind == "hand_in_repeat_scan")
    if repeats != logged:
        problems.append(f"{repeats} repeat scans acknowledged but {logged} in the audit log")
    return problems


def _compare_acknowledged(runs: list[KioskRun], rows: dict[int, CustodyRow]) -> list[str]:
    problems = []
    acknowledged = {c: (p, s) for r in runs for c, p, s in r.hand_ins}
    collected = {c for r in runs for c in r.collections}
    for custody_id, (pupil_id, slot) in acknowledged.items():
        row = rows.get(custody_id)
        if row is None:
            problems.append(f"acknowledged hand-in {custody_id} is not in the database")
        elif (row.pupil_id, row.slot_number) != (pupil_id, slot):
            problems.append(f"hand-in {custody_id} differs from what the kiosk was told")
    for custody_id in collected:
        row = rows.get(custody_id)
        if row is None or row.state != CustodyState.RELEASED.value:
            problems.append(f"acknowledged collection {custody_id} is not recorded as released")
    unexpected = set(rows) - set(acknowledged)
    if unexpected:
        problems.append(f"custodies no kiosk was told about: {sorted(unexpected)[:10]}")
    return problems


def replay_slots(events: list[Any], rows: dict[int, CustodyRow]) -> list[str]:
    """Walk the audit log in chain order: a hand-in must find its slot empty, a collection
    must find its own device there; the end state must match the custodies table."""
    problems: list[str] = []
    in_slot: dict[int, int] = {}
    for seq, kind, slot, custody_id in events:
        if kind == "hand_in":
            if slot in in_slot:
                problems.append(f"event #{seq}: slot {slot} given while it held {in_slot[slot]}")
            in_slot[slot] = custody_id
        elif kind == "collected":
            if in_slot.get(slot) != custody_id:
                problems.append(f"event #{seq}: custody {custody_id} collected from the wrong slot")
            in_slot.pop(slot, None)
    held_now = {
        r.slot_number: r.id
        for r in rows.values()
        if r.state == CustodyState.HELD.value and r.slot_number is not None
    }
    if held_now != in_slot:
        problems.append("the slots held now differ from the audit log's account")
    hand_in_events = sum(1 for e in events if e.kind == "hand_in")
    if hand_in_events != len(rows):
        problems.append(f"{len(rows)} custodies but {hand_in_events} hand-in events")
    return problems


def same_cards_process(
    url: str, cards: list[tuple[int, str]], seed: int, start: Any, results: Any
) -> None:
    """One kiosk scanning every card once, in its own order, at the same moment as the
    others: as if each pupil scanned at every kiosk at once."""
    sessions = open_database(url, migrate=False)
    engine = sessions.engine
    seen: list[tuple[int, int | None, bool]] = []  # pupil, custody, already held
    errors: list[str] = []
    order = list(cards)
    random.Random(seed).shuffle(order)
    try:
        start.wait()
        for pupil_id, text in order:
            result = custody.hand_in_by_card(sessions, text)
            seen.append((pupil_id, result.custody_id, result.already_held))
    except Exception as exc:  # reported to the parent, which fails the check
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        engine.dispose()
        results.put((seen, errors))


def scan_same_cards(url: str, school: DemoSchool, kiosks: int) -> list[str]:
    """Every kiosk scans all of the first ten pupils' cards at once. Each pupil must end up
    with exactly one device held, which every kiosk was told about."""
    context = kiosk_processes()
    start, results = context.Barrier(kiosks), context.Queue()
    cards = [(p, school.card_texts[p]) for p in school.pupil_ids[:PUPILS_PER_KIOSK]]
    processes = [
        new_kiosk_process(same_cards_process, (url, cards, seed, start, results))
        for seed in range(kiosks)
    ]
    for process in processes:
        process.start()
    reports = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    problems = [error for _, errors in reports for error in errors]
    told: dict[int, set[int | None]] = {}
    new = [pupil for seen, _ in reports for pupil, _, repeat in seen if not repeat]
    for seen, _ in reports:
        for pupil_id, custody_id, _ in seen:
            told.setdefault(pupil_id, set()).add(custody_id)
    if sorted(new) != sorted(p for p, _ in cards):
        problems.append(f"new hand-ins per pupil: {sorted(new)}")
    problems += [f"pupil {p} was given {sorted(c)}" for p, c in told.items() if len(c) != 1]
    sessions = open_database(url, migrate=False)
    engine = sessions.engine
    try:
        with sessions() as session:
            held = [r for r in custody_rows(session).values() if r.state == "held"]
        report = chain_check.verify(sessions)
    finally:
        engine.dispose()
    if sorted(r.pupil_id for r in held) != sorted(told):
        problems.append("the database does not hold exactly one device per pupil")
    if not report.intact:
        problems.append(report.describe())
    return problems
