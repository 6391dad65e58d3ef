"""A demo school: pupils with cards, slots, staff with known PINs, and some days of history.
Used by ``kiosk demo`` and, smaller, by the tests and benchmarks."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from sqlalchemy import func, select

from kiosk.clock import start_of_local_day
from kiosk.db import Database
from kiosk.services import cards, confiscation, custody, exemptions, settings, slots, staff
from kiosk.services.audit import Actor
from kiosk.services.pupils import PupilRecord, create_in
from kiosk.tables import Pupil

FORENAMES = (
    "Amelia",
    "Olivia",
    "Isla",
    "Ava",
    "Mia",
    "Ivy",
    "Lily",
    "Freya",
    "Florence",
    "Willow",
    "Zoë",
    "Aisha",
    "Maryam",
    "Sofia",
    "Chloé",
    "Oliver",
    "George",
    "Noah",
    "Arthur",
    "Leo",
    "Muhammad",
    "Oscar",
    "Harry",
    "Archie",
    "Jack",
    "Theo",
    "Finley",
    "Kai",
    "Mateusz",
    "Siobhán",
    "Niamh",
    "Aoife",
    "Ciarán",
    "Oluwaseun",
    "Chidi",
    "Priya",
    "Arjun",
    "Jan",
    "Ananya",
    "Thảo",
    "Minh",
)
SURNAMES = (
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Roberts",
    "Johnson",
    "Lewis",
    "Walker",
    "Robinson",
    "Wood",
    "Thompson",
    "White",
    "Watson",
    "Jackson",
    "Wright",
    "Green",
    "Harris",
    "Cooper",
    "King",
    "Lee",
    "O'Brien",
    "Nguyễn",
    "Kowalski",
    "Okafor",
    "Patel",
    "Khan",
    "Ahmed",
    "Begum",
    "Murphy",
    "MacDonald",
    "Fitzgerald-Hughes",
    "Ali",
    "Hussain",
    "Singh",
    "Ó Súilleabháin",
)
PREFERRED = {"Oliver": "Ollie", "Alexander": "Alex", "Florence": "Flo", "Mateusz": "Mat"}
# What a week's confiscations look like: the reason, and the note staff typed.
CONFISCATIONS = (
    ("used in lesson", "Using phone in maths after a warning"),
    ("used in lesson", "Phone out in science, twice"),
    ("not handed in", "Kept phone in blazer pocket at registration"),
    ("used in lesson", "Messaging during English"),
    ("misuse / filming", "Filming in the corridor at break"),
    ("not handed in", "Found in bag during PE"),
    ("inappropriate content", "Showing others a video in the canteen"),
)
PARENTS = (
    ("Sarah", "mother"),
    ("David", "father"),
    ("Joanne", "mother"),
    ("Imran", "father"),
    ("Margaret", "grandmother"),
    ("Chris", "carer"),
    ("Aisha", "mother"),
)


@dataclass(frozen=True)
class DemoStaff:
    name: str
    role: str
    pin: str


# Strong enough for their roles (kiosk.rules.pin_problem): no keypad lines, runs or dates.
DEMO_STAFF = (
    DemoStaff("Alex Admin", "admin", "804726"),
    DemoStaff("Olivia Office", "office", "5937"),
    DemoStaff("Sam Senior (DSL)", "senior", "613804"),
)
DEMO_PINS = {member.role: member.pin for member in DEMO_STAFF}  # by role


@dataclass
class DemoSchool:
    actors: dict[str, Actor] = field(default_factory=dict)  # by role
    pupil_ids: list[int] = field(default_factory=list)
    device_owners: list[int] = field(default_factory=list)  # pupils flagged brings_device
    card_texts: dict[int, str] = field(default_factory=dict)  # pupil id -> card text
    surnames: dict[int, str] = field(default_factory=dict)  # pupil id -> surname


def is_empty(sessions: Database) -> bool:
    with sessions() as session:
        return not session.scalar(select(func.count()).select_from(Pupil))


def _records(count: int, rng: random.Random) -> list[PupilRecord]:
    records = []
    for i in range(count):
        year = 7 + i % 5
        forename = rng.choice(FORENAMES)
        records.append(
            PupilRecord(
                upn=f"K{830000000000 + i:012d}",
                admission_number=f"{2000 + i:06d}",
                legal_forename=forename,
                preferred_forename=PREFERRED.get(forename),
                surname=rng.choice(SURNAMES),
                year_group=year,
                reg_group=f"{year}{'ABCDEF'[(i // 5) % 6]}",
                brings_device=rng.random() < 0.33,
            )
        )
    return records


def build_school(
    sessions: Database,
    *,
    pupils: int = 300,
    slot_count: int = 120,
    reserved: int = 10,
    school_name: str = "Kingsmead Academy",
    school_code: str = "KMA",
    seed: int = 7,
) -> DemoSchool:
    """Staff, slots (the last ``reserved`` kept for confiscations) and pupils with cards."""
    settings.ensure_install(sessions)
    rng = random.Random(seed)
    demo = DemoSchool()
    records = _records(pupils, rng)
    for member in DEMO_STAFF:
        first = not demo.actors
        staff_id = staff.add_staff(
            sessions, None if first else demo.actors["admin"], member.name, member.role, member.pin
        )
        demo.actors[member.role] = Actor(staff_id, member.name)
    admin = demo.actors["admin"]
    settings.update(sessions, admin, {"school_name": school_name, "school_code": school_code})
    ordinary = slot_count - reserved
    slots.add_slots(sessions, admin, 1, ordinary, "A")
    if reserved:
        slots.add_slots(sessions, admin, ordinary + 1, slot_count, "C", reserved=True)
    with sessions.begin() as session:
        for record in records:
            pupil = create_in(session, record)
            issued = cards.issue_in(session, admin, pupil.id, reissue=False)
            demo.pupil_ids.append(pupil.id)
            if record.brings_device:
                demo.device_owners.append(pupil.id)
            demo.card_texts[pupil.id] = issued.text
            demo.surnames[pupil.id] = record.surname
    return demo


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return start_of_local_day(day) + dt.timedelta(hours=hour, minutes=minute)


def add_history(
    sessions: Database,
    demo: DemoSchool,
    *,
    days: int = 5,
    today: dt.date | None = None,
    seed: int = 11,
) -> None:
    """School days before ``today`` (a week by default): morning hand-ins, a few
    confiscations, home-time collections (a few left uncollected overnight), confiscated
    phones collected by a parent or carer after school."""
    rng = random.Random(seed)
    words = random.Random(seed + 1)  # reasons and parents: not to change the rest's draws
    today = today or dt.date.today()
    office, senior = demo.actors["office"], demo.actors["senior"]
    day = today - dt.timedelta(days=1)
    school_days: list[dt.date] = []
    while len(school_days) < days:
        if day.weekday() < 5:
            school_days.append(day)
        day -= dt.timedelta(days=1)
    # Each day's events are recorded in the order they happened, so the audit log's times
    # only go forwards and a slot is never shown holding two devices at once.
    for day in reversed(school_days):
        handed: list[int] = []
        owners = demo.device_owners
        for pupil_id in rng.sample(owners, k=int(len(owners) * 0.95)):
            result = custody.hand_in(
                sessions, pupil_id, now=_at(day, 7, 30) + dt.timedelta(seconds=len(handed) * 7)
            )
            if result.custody_id and not result.already_held:
                handed.append(result.custody_id)
        confiscated = []
        for n, pupil_id in enumerate(rng.sample(demo.pupil_ids, k=2)):
            reason, note = words.choice(CONFISCATIONS)
            info = confiscation.confiscate(
                sessions, office, pupil_id, reason, note, now=_at(day, 10 + n, 5)
            )
            confiscated.append((info.id, pupil_id))
        if day == school_days[0]:
            confiscation.confiscate(
                sessions,
                senior,
                demo.pupil_ids[3],
                "suspected offence",
                "Referred to DSL",
                do_not_examine=True,
                now=_at(day, 13, 0),
            )
        for i, custody_id in enumerate(handed):
            if rng.random() < 0.01:
                continue  # left overnight
            custody.collect(
                sessions, custody_id, office, now=_at(day, 15, 10) + dt.timedelta(seconds=i * 5)
            )
        for n, (custody_id, pupil_id) in enumerate(confiscated):
            forename, relationship = words.choice(PARENTS)
            surname = demo.surnames.get(pupil_id, "Smith")
            confiscation.release_to_parent(
                sessions,
                office,
                custody_id,
                f"{forename} {surname}",
                relationship,
                True,
                now=_at(day, 16, 10 + 15 * n),
            )
    exemptions.grant(
        sessions,
        senior,
        demo.pupil_ids[5],
        "medical",
        "Blood glucose monitoring app (type 1 diabetes)",
        starts_on=school_days[-1],
    )


def build_demo(
    sessions: Database, *, pupils: int = 300, slot_count: int = 120, days: int = 5
) -> DemoSchool:
    demo = build_school(sessions, pupils=pupils, slot_count=slot_count)
    add_history(sessions, demo, days=days)
    return demo
