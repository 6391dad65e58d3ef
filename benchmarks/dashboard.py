"""How long the staff console's dashboard takes to open on a big school with a year of
history (target: 200 ms).

A 1,500-pupil school is built once with bulk inserts (a real, verifiable audit chain
included) and cached under /tmp, keyed by today's date because "today" matters to the
dashboard: about 190 school days of hand-ins and collections ending yesterday, this
morning's hand-ins still held, a few devices left overnight, confiscations waiting for a
parent, exemptions and slots out of service. 1,440 slots, so the slot map is a big one.

Then, offscreen, each open is timed from nothing to painted: the dashboard widget built,
its data read (counts, every slot's state) and its first paint done (the slot map's
paintEvent has run). Also the database read alone, and a whole log-in (PIN check, every
tab built, dashboard painted). A table of p50/p95 is printed.

    .venv/bin/python benchmarks/dashboard.py [--opens 30] [--rebuild]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import _support  # noqa: F401 (puts tests/ on the path, for the tests' tap_name)
from _chain import ChainWriter
from _table import print_table
from sqlalchemy import Connection, event, insert, text

from kiosk.clock import local_date, start_of_local_day, utcnow
from kiosk.config import Config, load_config, sqlite_url
from kiosk.db import Database, open_database
from kiosk.demo import DEMO_STAFF, FORENAMES, PREFERRED, SURNAMES
from kiosk.services import console, settings, staff
from kiosk.services.audit import KIOSK_ACTOR, Actor
from kiosk.services.staff import StaffMember
from kiosk.tables import (
    Card,
    Confiscation,
    Custody,
    Exemption,
    Pupil,
    Slot,
)

CACHE_VERSION = 1
PUPILS = 1500
DEVICE_OWNERS = 0.9
DAILY_SLOTS = 1400
RESERVED_SLOTS = 40
HAND_IN_RATE = 0.95
LEFT_OVERNIGHT = 10
CONFISCATIONS_A_DAY = 3
CONFISCATIONS_WAITING = 15
EXEMPTIONS = 25
OUT_OF_SERVICE = (1380, 1381, 1382, 1383, 1384)
TARGET_MS = 200.0
SEED = 5


def cache_path(today: dt.date) -> Path:
    return Path(tempfile.gettempdir()) / f"kiosk-bench-dashboard-v{CACHE_VERSION}-{today}.db"


def at(day: dt.date, hour: int, minute: int, second: float = 0) -> dt.datetime:
    return start_of_local_day(day) + dt.timedelta(hours=hour, minutes=minute, seconds=second)


def school_days(today: dt.date) -> list[dt.date]:
    """Weekdays in the year before today, less a fortnight at Christmas and Easter and six
    weeks in summer: about 190 days, as in a real school year."""
    days, day = [], today - dt.timedelta(days=365)
    while day < today:
        in_summer = day.month == 8 or (day.month == 7 and day.day > 20)
        in_short_break = (day.month == 12 and day.day > 20) or (day.month == 4 and day.day < 12)
        if day.weekday() < 5 and not in_summer and not in_short_break:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


# -- building the school ------------------------------------------------------------------


class Builder:
    def __init__(self, conn: Connection, actors: dict[str, Actor], today: dt.date) -> None:
        self.conn, self.actors, self.today = conn, actors, today
        self.rng = random.Random(SEED)
        self.chain = ChainWriter(conn)
        self.custodies: list[dict[str, Any]] = []
        self.confiscations: list[dict[str, Any]] = []
        self.next_custody = 1
        self.slot_ids: dict[int, int] = {}

    def custody(self, **row: Any) -> int:
        custody_id = self.next_custody
        self.next_custody += 1
        self.custodies.append({"id": custody_id, "switched_off_confirmed": False, **row})
        return custody_id

    def pupils_and_slots(self) -> list[int]:
        rng, now = self.rng, utcnow()
        pupils = []
        for i in range(PUPILS):
            forename = rng.choice(FORENAMES)
            year = 7 + i % 5
            pupils.append(
                dict(
                    id=i + 1,
                    upn=f"B{840000000000 + i:012d}",
                    admission_number=f"{10000 + i:06d}",
                    legal_forename=forename,
                    preferred_forename=PREFERRED.get(forename),
                    surname=rng.choice(SURNAMES),
                    year_group=year,
                    reg_group=f"{year}{'ABCDEFGH'[(i // 7) % 8]}",
                    brings_device=rng.random() < DEVICE_OWNERS,
                    active=True,
                    created_at=now,
                    updated_at=now,
                )
            )
        self.conn.execute(insert(Pupil), pupils)
        cards = [dict(pupil_id=p["id"], serial=5000 + p["id"], issued_at=now) for p in pupils]
        self.conn.execute(insert(Card), cards)
        slots = [
            dict(
                id=n,
                number=n,
                cabinet="A" if n <= 700 else "B" if n <= DAILY_SLOTS else "C",
                in_service=n not in OUT_OF_SERVICE,
                reserved_for_confiscation=n > DAILY_SLOTS,
            )
            for n in range(1, DAILY_SLOTS + RESERVED_SLOTS + 1)
        ]
        self.conn.execute(insert(Slot), slots)
        return [p["id"] for p in pupils if p["brings_device"]]

    def past_days(self, owners: list[int], days: list[dt.date]) -> None:
        office = self.actors["office"]
        daily_slots = [n for n in range(1, DAILY_SLOTS + 1) if n not in OUT_OF_SERVICE]
        for day in days:
            handed = self.rng.sample(owners, k=int(len(owners) * HAND_IN_RATE))
            for i, pupil_id in enumerate(handed):
                slot, received = daily_slots[i], at(day, 7, 30, i * 2.5)
                released = at(day, 15, 10, i * 1.5)
                custody_id = self.custody(
                    pupil_id=pupil_id,
                    slot_id=slot,
                    kind="daily",
                    state="released",
                    received_at=received,
                    released_at=released,
                    released_by_id=office.id,
                    released_to="pupil",
                )
                ids = dict(pupil_id=pupil_id, slot_number=slot, custody_id=custody_id)
                self.chain.add(received, "hand_in", KIOSK_ACTOR, **ids)
                self.chain.add(released, "collected", office, **ids)
            for k in range(CONFISCATIONS_A_DAY):
                self.past_confiscation(day, DAILY_SLOTS + 1 + k)
            self.flush_custodies()

    def past_confiscation(self, day: dt.date, slot: int) -> None:
        office, pupil_id = self.actors["office"], self.rng.randint(1, PUPILS)
        received, released = at(day, 11, 5), at(day, 16, 20)
        custody_id = self.custody(
            pupil_id=pupil_id,
            slot_id=slot,
            kind="confiscation",
            state="released",
            received_at=received,
            received_by_id=office.id,
            released_at=released,
            released_by_id=office.id,
            released_to="parent",
            released_to_name="Parent or carer",
            released_to_relationship="mother",
            id_seen=True,
        )
        self.confiscations.append(
            dict(custody_id=custody_id, reason_category="used in lesson", do_not_examine=False)
        )
        ids = dict(pupil_id=pupil_id, slot_number=slot, custody_id=custody_id)
        self.chain.add(received, "confiscated", office, details={"reason": "used in lesson"}, **ids)
        self.chain.add(
            released, "released_to_parent", office, details={"name": "Parent or carer"}, **ids
        )

    def still_held(self, owners: list[int], yesterday: dt.date) -> None:
        """Today's state: left overnight, confiscations waiting, this morning's hand-ins."""
        office, now = self.actors["office"], utcnow()
        left = self.rng.sample(owners, k=LEFT_OVERNIGHT)
        for i, pupil_id in enumerate(left):
            slot = DAILY_SLOTS - 5 - i
            self.held("daily", pupil_id, slot, at(yesterday, 7, 40, i), KIOSK_ACTOR)
        waiting = self.rng.sample(range(1, PUPILS + 1), k=CONFISCATIONS_WAITING)
        for i, pupil_id in enumerate(waiting):
            when = now - dt.timedelta(days=i * 1.4, hours=1)
            custody_id = self.held("confiscation", pupil_id, DAILY_SLOTS + 1 + i, when, office)
            self.confiscations.append(
                dict(
                    custody_id=custody_id,
                    reason_category="misuse / filming" if i % 4 else "suspected offence",
                    do_not_examine=i % 4 == 0,
                    dsl_referred_at=when if i % 4 == 0 else None,
                    dsl_referred_by_id=office.id if i % 4 == 0 else None,
                )
            )
        morning = [p for p in owners if p not in set(left)]
        handed = self.rng.sample(morning, k=int(len(morning) * 0.92))
        start = min(now - dt.timedelta(minutes=1), at(self.today, 7, 30))
        for i, pupil_id in enumerate(handed):
            received = min(start + dt.timedelta(seconds=i * 2), now)
            self.held("daily", pupil_id, i + 1, received, KIOSK_ACTOR)
        self.flush_custodies()

    def held(self, kind: str, pupil_id: int, slot: int, when: dt.datetime, actor: Actor) -> int:
        custody_id = self.custody(
            pupil_id=pupil_id,
            slot_id=slot,
            kind=kind,
            state="held",
            received_at=when,
            received_by_id=actor.id,
        )
        kind_word = "hand_in" if kind == "daily" else "confiscated"
        self.chain.add(
            when, kind_word, actor, pupil_id=pupil_id, slot_number=slot, custody_id=custody_id
        )
        return custody_id

    def exemptions(self) -> None:
        senior = self.actors["senior"]
        rows = []
        for i, pupil_id in enumerate(self.rng.sample(range(1, PUPILS + 1), k=EXEMPTIONS + 10)):
            rows.append(
                dict(
                    pupil_id=pupil_id,
                    category=("medical", "young_carer", "other")[i % 3],
                    detail="Agreed with parents and the school nurse",
                    approved_by_id=senior.id,
                    starts_on=self.today - dt.timedelta(days=30 + i),
                    ends_on=None,
                    ended_at=utcnow() if i >= EXEMPTIONS else None,
                )
            )
        self.conn.execute(insert(Exemption), rows)

    def flush_custodies(self) -> None:
        # Custodies before their events' batch is flushed: nothing refers by key, but a
        # reader of the half-built file sees matching rows.
        if self.custodies:
            self.conn.execute(insert(Custody), self.custodies)
            self.custodies = []
        if self.confiscations:
            for row in self.confiscations:
                row.setdefault("dsl_referred_at", None)
                row.setdefault("dsl_referred_by_id", None)
            self.conn.execute(insert(Confiscation), self.confiscations)
            self.confiscations = []
        self.chain.flush()

    def finish(self) -> None:
        self.flush_custodies()  # the chain's last flush writes its head


def build(path: Path, today: dt.date) -> None:
    partial = path.with_suffix(".part")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    sessions = open_database(sqlite_url(partial))
    engine = sessions.engine
    settings.ensure_install(sessions)
    actors: dict[str, Actor] = {}
    for member in DEMO_STAFF:
        first = not actors
        staff_id = staff.add_staff(
            sessions, None if first else actors["admin"], member.name, member.role, member.pin
        )
        actors[member.role] = Actor(staff_id, member.name)
    settings.update(sessions, actors["admin"], {"school_name": "Benchmark High School"})
    days = school_days(today)
    with engine.begin() as conn:
        builder = Builder(conn, actors, today)
        owners = builder.pupils_and_slots()
        builder.past_days(owners, days)
        builder.still_held(owners, days[-1])
        builder.exemptions()
        builder.finish()
    engine.dispose()
    partial.rename(path)


# -- measuring ------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass
class Timings:
    wall: list[float]  # ms, what a person waits
    cpu: list[float]  # ms of this process's CPU: what the work costs, whatever the load


def timed(runs: int, action: Callable[[], object]) -> Timings:
    result = Timings([], [])
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        result.wall.append((time.perf_counter() - wall) * 1000)
        result.cpu.append((time.process_time() - cpu) * 1000)
    return result


class PaintWatch:
    """Notes when the slot map has painted (wraps its paintEvent for the benchmark only)."""

    def __init__(self) -> None:
        from kiosk.ui.staff.slot_map import SlotMap

        self.painted = False
        original = SlotMap.paintEvent

        def watched(widget: Any, event: Any) -> None:
            original(widget, event)
            self.painted = True

        SlotMap.paintEvent = watched  # type: ignore[method-assign]

    def wait(self, app: Any) -> None:
        while not self.painted:
            app.processEvents()


def open_dashboard(
    app: Any, watch: PaintWatch, sessions: Database, config: Config, member: StaffMember
) -> None:
    from kiosk.ui.staff.dashboard import DashboardTab

    watch.painted = False
    tab = DashboardTab(sessions, member, config)
    tab.resize(1280, 680)
    tab.show()
    watch.wait(app)
    tab.close()
    tab.deleteLater()


def log_in_to_dashboard(app: Any, watch: PaintWatch, sessions: Database, config: Config) -> None:
    from ui.taps import tap_name

    from kiosk.ui.staff.console import StaffConsole

    window = StaffConsole(sessions, config)
    window.resize(1280, 800)
    window.show()
    app.processEvents()
    office = next(m for m in DEMO_STAFF if m.role == "office")
    tap_name(window.login, office.name)
    watch.painted = False
    for digit in office.pin:
        window.login.pinpad.press(digit)
    window.login.pinpad.press("OK")
    watch.wait(app)
    window.lock()
    window.close()
    window.deleteLater()
    app.processEvents()


def query_plans(sessions: Database, engine: Any) -> Iterator[str]:
    """EXPLAIN QUERY PLAN of every statement the dashboard runs: no full scans wanted."""
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    console.dashboard(sessions)
    event.remove(engine, "before_cursor_execute", capture)
    with engine.connect() as conn:
        for statement, parameters in statements:
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            yield " / ".join(row[-1] for row in plan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opens", type=int, default=30)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    today = local_date(utcnow())
    path = cache_path(today)
    if args.rebuild or not path.exists():
        print(f"Building the school in {path} (once a day) ...", flush=True)
        started = time.perf_counter()
        build(path, today)
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)

    from PySide6.QtWidgets import QApplication

    from kiosk.ui.app import protect_singletons
    from kiosk.ui.style import STYLE_SHEET

    protect_singletons()
    app = QApplication.instance() or QApplication([])
    app.setStyleSheet(STYLE_SHEET)  # type: ignore[union-attr]
    data_dir = Path(tempfile.mkdtemp(prefix="kiosk-bench-dashboard-"))
    config = load_config(data_dir)
    sessions = open_database(sqlite_url(path), migrate=False)
    engine = sessions.engine
    with sessions() as session:
        counts = {
            name: session.scalar(text(f"SELECT count(*) FROM {name}"))
            for name in ("pupils", "slots", "custodies", "audit_events")
        }
    board = console.dashboard(sessions)
    print(
        f"\nSchool: {counts['pupils']} pupils, {counts['slots']} slots, "
        f"{counts['custodies']:,} custodies, {counts['audit_events']:,} audit events; "
        f"today {board.held_today} held, {board.held_overnight} overnight, "
        f"{board.confiscations} confiscations, {board.expected_not_in} expected not in, "
        f"{board.exemptions} exemptions. Load average {os.getloadavg()[0]:.1f}."
    )
    print("\nQuery plans (EXPLAIN QUERY PLAN):")
    for plan in query_plans(sessions, engine):
        print(f"  - {plan}")

    watch = PaintWatch()
    office = next(m for m in DEMO_STAFF if m.role == "office")
    member = next(m for m in staff.list_staff(sessions) if m.name == office.name)
    first = timed(1, lambda: open_dashboard(app, watch, sessions, config, member))
    read = timed(args.opens, lambda: console.dashboard(sessions))
    opens = timed(args.opens, lambda: open_dashboard(app, watch, sessions, config, member))
    pin = timed(
        5, lambda: staff.check_pin(sessions, member.id, office.pin, terminal=config.kiosk_name)
    )
    logins = timed(
        max(5, args.opens // 5), lambda: log_in_to_dashboard(app, watch, sessions, config)
    )
    rows = [
        (
            name,
            len(t.wall),
            statistics.median(t.wall),
            percentile(t.wall, 0.95),
            max(t.wall),
            statistics.median(t.cpu),
        )
        for name, t in (
            ("database read only (console.dashboard)", read),
            ("dashboard opened: built + read + first paint", opens),
            ("first open in this process (cold)", first),
            ("PIN check alone (argon2id)", pin),
            ("log-in to painted dashboard (PIN check, all tabs)", logins),
        )
    ]
    print_table(
        f"Dashboard open times (target: dashboard opened <= {TARGET_MS:.0f} ms)",
        ("what", "runs", "p50 ms", "p95 ms", "max ms", "CPU p50 ms"),
        rows,
    )
    p95 = percentile(opens.wall, 0.95)
    verdict = "met" if p95 <= TARGET_MS else "MISSED"
    print(
        f"\nTarget {verdict}: p95 {p95:.1f} ms. Load average {os.getloadavg()[0]:.1f} "
        "(the machine is shared: wall times swell with the load, CPU times do not)."
    )
    engine.dispose()


if __name__ == "__main__":
    main()
