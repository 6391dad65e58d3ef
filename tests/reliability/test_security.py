"""Security checks against the services themselves, not the buttons in front of them.

Every service that takes an ``actor`` is listed in ``CASES`` with the permission it needs.
For each, the self-service kiosk, a made-up staff id, every role without the permission, and
a deactivated and a locked-out member of a role with it are all refused with NotAuthorised,
and the refusal writes nothing (the whole database and the data folder are unchanged); a
role with the permission gets past the check. A test fails when a new service with an
``actor`` appears without a line here, so none is forgotten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import inspect
import io
import itertools
import logging
import pkgutil
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cli_pins import pin_for
from PIL import Image
from sqlalchemy import select, update

from kiosk.clock import local_date, utcnow
from kiosk.config import Config, load_config
from kiosk.db import Sessions, open_database
from kiosk.demo import DemoSchool, build_school
from kiosk.errors import (
    AccountLocked,
    CardRevoked,
    NotAuthorised,
    PupilNotActive,
    UndoWindowPassed,
    UnknownCard,
    WrongPin,
)
from kiosk.event_kinds import EventKind
from kiosk.rules import PERMISSIONS, Action
from kiosk.services import cards, confiscation, custody, settings, slots, staff
from kiosk.services.audit import KIOSK_ACTOR, Actor
from kiosk.services.common import require
from kiosk.tables import AuditEvent, Base, Pupil, Role, Staff
from reliability.fuzz import card_world, fingerprint

PIN = "73915048"  # long and distinctive: it must never appear in a log or an export
FORGED = Actor(987_654, "Someone Pretending")


@dataclass
class World:
    """One school shared by all the cases (a refusal changes nothing, and every allowed
    call works on targets made for it alone)."""

    config: Config
    sessions: Sessions
    school: DemoSchool
    inactive: dict[str, Actor] = field(default_factory=dict)  # by role
    locked: dict[str, Actor] = field(default_factory=dict)  # by role
    _pupils: Iterator[int] = field(init=False)
    _slot_numbers: Iterator[int] = field(default_factory=lambda: itertools.count(500, 2))
    _names: Iterator[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self._pupils = iter(self.school.pupil_ids)

    @property
    def office(self) -> Actor:
        return self.school.actors["office"]

    @property
    def admin(self) -> Actor:
        return self.school.actors["admin"]

    def pupil(self) -> int:
        """A pupil no other case has used."""
        return next(self._pupils)

    def held(self, *, ago: dt.timedelta = dt.timedelta(hours=1)) -> int:
        result = custody.hand_in(self.sessions, self.pupil(), now=utcnow() - ago)
        assert result.custody_id is not None
        return result.custody_id

    def confiscation(self, *, referred: bool = False) -> int:
        info = confiscation.confiscate(self.sessions, self.office, self.pupil(), "used in lesson")
        if referred:
            confiscation.refer_to_dsl(self.sessions, self.office, info.id, "worried")
        return info.id

    def unused_slot_number(self) -> int:
        return next(self._slot_numbers)

    def new_slots(self) -> int:
        """A new, empty slot (numbered well above the school's own)."""
        number = self.unused_slot_number()
        slots.add_slots(self.sessions, self.admin, number, number, "Z")
        return number

    def name(self) -> str:
        return f"Staff Member {next(self._names)}"

    def new_staff(self) -> int:
        return staff.add_staff(self.sessions, self.admin, self.name(), "office", PIN)


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 150, 120)).save(out, "PNG")
    return out.getvalue()


def _roster_with_one_more(w: World) -> Any:
    from kiosk.services import roster_check, roster_file
    from reliability.fuzz import ROSTER_HEADERS, csv_text, roster_rows

    rows = roster_rows(w.sessions)
    rows.append(["A999999999999", "999999", "Newby", "", "Arrival", "Year 7", "7A", ""])
    return roster_check.check_table(
        roster_file.read_roster(csv_text([list(ROSTER_HEADERS), *rows]).encode())
    )


def _export_request() -> Any:
    from kiosk.exports import ExportRequest
    from kiosk.services.reports.filter import ReportFilter

    today = local_date(utcnow())
    return ExportRequest("custody", "csv", ReportFilter(today - dt.timedelta(days=7), today))


Call = Callable[[Actor], object]


@dataclass(frozen=True)
class Case:
    function: str  # module.function, relative to kiosk.services (or kiosk.* for others)
    action: Action
    prepare: Callable[[World], Call]  # makes the targets, returns the call to try
    variant: str = ""
    kiosk_allowed: bool = False  # the kiosk itself / command line may (by design)
    kiosk_refusal: type[Exception] = NotAuthorised
    check_allowed: bool = True  # False where the allowed call would upset the other cases

    @property
    def id(self) -> str:
        return f"{self.function}[{self.variant}]" if self.variant else self.function


def _services(name: str) -> Any:
    return importlib.import_module(name if name.startswith("kiosk.") else f"kiosk.services.{name}")


# Each preparer makes the case's own targets and returns the call to try with each actor.


def _hand_in_for(w: World) -> Call:
    pupil = w.pupil()
    return lambda a: custody.hand_in(w.sessions, pupil, actor=a)


def _undo(w: World) -> Call:
    held = w.held()  # an hour ago: past the pupil's own undo window
    return lambda a: custody.undo_hand_in(w.sessions, held, actor=a)


def _collect(w: World) -> Call:
    held = w.held()
    return lambda a: custody.collect(w.sessions, held, a)


def _confiscate(w: World) -> Call:
    pupil = w.pupil()
    return lambda a: confiscation.confiscate(w.sessions, a, pupil, "used in lesson")


def _release(w: World, *, referred: bool = False) -> Call:
    device = w.confiscation(referred=referred)
    return lambda a: confiscation.release_to_parent(
        w.sessions, a, device, "Pat Parent", "mum", True
    )


def _refer(w: World) -> Call:
    device = w.confiscation()
    return lambda a: confiscation.refer_to_dsl(w.sessions, a, device, "worried")


def _police(w: World) -> Call:
    device = w.confiscation()
    return lambda a: confiscation.hand_to_police(w.sessions, a, device, "PC Lee", "4021", "CR/1")


def _move(w: World) -> Call:
    held, free = w.held(), w.new_slots()
    return lambda a: custody.move(w.sessions, a, held, free)


def _keep(w: World) -> Call:
    held = w.held()
    return lambda a: custody.keep_overnight(w.sessions, a, held, "parent coming late")


def _issue_card(w: World) -> Call:
    pupil = w.pupil()
    return lambda a: cards.issue_card(w.sessions, a, pupil)


def _grant(w: World) -> Call:
    pupil = w.pupil()
    return lambda a: _services("exemptions").grant(w.sessions, a, pupil, "medical", "pump")


def _end_exemption(w: World) -> Call:
    exemptions = _services("exemptions")
    senior = w.school.actors["senior"]
    granted = exemptions.grant(w.sessions, senior, w.pupil(), "medical", "pump").id
    return lambda a: exemptions.end(w.sessions, a, granted)


def _add_slots(w: World) -> Call:
    number = w.unused_slot_number()
    return lambda a: slots.add_slots(w.sessions, a, number, number)


def _back_in_service(w: World) -> Call:
    number = w.new_slots()
    slots.set_in_service(w.sessions, w.office, number, False)
    return lambda a: slots.set_in_service(w.sessions, a, number, True)


def _out_of_service(w: World) -> Call:
    number = w.new_slots()
    return lambda a: slots.set_in_service(w.sessions, a, number, False, "broken lock")


def _slot_admin(name: str, *args: object) -> Callable[[World], Call]:
    def prepare(w: World) -> Call:
        number = w.new_slots()
        function = getattr(_services("slot_admin"), name)
        return lambda a: function(w.sessions, a, number, number, *args)

    return prepare


def _settings(changes: dict[str, str]) -> Callable[[World], Call]:
    return lambda w: lambda a: settings.update(w.sessions, a, changes)


def _add_staff(w: World) -> Call:
    return lambda a: staff.add_staff(w.sessions, a, w.name(), "office", PIN)


def _staff_change(name: str, value: object) -> Callable[[World], Call]:
    def prepare(w: World) -> Call:
        target = w.new_staff()
        return lambda a: getattr(staff, name)(w.sessions, a, target, value)

    return prepare


def _roster(w: World) -> Call:
    checked = _roster_with_one_more(w)
    return lambda a: _services("roster").apply(w.sessions, a, checked)


def _import_photos(w: World) -> Call:
    folder = _photo_folder(w)
    return lambda a: _services("photos").import_folder(w.sessions, a, folder)


def _purge(w: World) -> Call:
    return lambda a: _services("retention").purge(w.sessions, a)


def _backup(w: World) -> Call:
    return lambda a: _services("backup").make_backup(w.config, actor=a)


def _restore(w: World) -> Call:
    candidate = w.config.data_dir / "restore-candidate.db"
    live = w.config.database_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(live)) as source, closing(sqlite3.connect(candidate)) as copy:
        source.backup(copy)
    return lambda a: _services("backup").restore(w.config, candidate, actor=a)


def _receipt(w: World) -> Call:
    device = w.confiscation()
    return lambda a: _services("chain_of_custody").record_receipt(w.sessions, a, device, "release")


def _console_locked(w: World) -> Call:
    return lambda a: _services("staff").record_console_locked(w.sessions, a, "idle")


def _kiosk_event(w: World) -> Call:
    events = _services("kiosk_events")
    return lambda a: events.record(w.sessions, a, EventKind.KIOSK_CLOSED, "kiosk-1")


def _export(w: World) -> Call:
    out = w.config.export_dir / f"{w.name()}.csv"
    return lambda a: _services("kiosk.exports").run_export(w.sessions, a, _export_request(), out)


def _prepare_cards(w: World) -> Call:
    pupil = w.pupil()
    card_runs, card_sheet = _services("card_runs"), _services("kiosk.printing.cards")
    return lambda a: card_runs.prepare_cards(
        w.sessions, a, _selection(pupil), fits_on_card=card_sheet.check_code_fits
    )


def _labels(w: World) -> Call:
    labels = _services("slot_labels")
    return lambda a: labels.prepare_labels(w.sessions, a, 1, 2)


def _case_list() -> list[Case]:
    A = Action
    return [
        Case("custody.hand_in", A.HAND_IN_FOR_PUPIL, _hand_in_for, "by staff", kiosk_allowed=True),
        Case("custody.undo_hand_in", A.UNDO_HAND_IN, _undo, kiosk_refusal=UndoWindowPassed),
        Case("custody.collect", A.COLLECT, _collect),
        Case("confiscation.confiscate", A.CONFISCATE, _confiscate),
        Case("confiscation.release_to_parent", A.RELEASE_TO_PARENT, _release),
        Case(
            "confiscation.release_to_parent",
            A.RELEASE_DSL_REFERRED,
            lambda w: _release(w, referred=True),
            "referred to the DSL",
        ),
        Case("confiscation.refer_to_dsl", A.REFER_TO_DSL, _refer),
        Case("confiscation.hand_to_police", A.HAND_TO_POLICE, _police),
        Case("custody.move", A.MOVE, _move),
        Case("custody.keep_overnight", A.KEEP_OVERNIGHT, _keep),
        Case("cards.issue_card", A.PRINT_CARDS, _issue_card),
        Case("exemptions.grant", A.MANAGE_EXEMPTIONS, _grant),
        Case("exemptions.end", A.MANAGE_EXEMPTIONS, _end_exemption),
        Case("slots.add_slots", A.MANAGE_SLOTS, _add_slots),
        Case("slots.set_in_service", A.MANAGE_SLOTS, _back_in_service, "back in service"),
        Case("slots.set_in_service", A.MOVE, _out_of_service, "out of service"),
        Case("slot_admin.set_cabinet", A.MANAGE_SLOTS, _slot_admin("set_cabinet", "B")),
        Case(
            "slot_admin.set_reserved_range",
            A.MANAGE_SLOTS,
            _slot_admin("set_reserved_range", True),
        ),
        Case("slot_admin.remove_slots", A.MANAGE_SLOTS, _slot_admin("remove_slots")),
        Case("settings.update", A.MANAGE_SETTINGS, _settings({"school_name": "Renamed"})),
        Case("settings.update", A.SET_MODE, _settings({"mode": "handin"}), "mode only"),
        Case("staff.add_staff", A.MANAGE_STAFF, _add_staff),
        Case("staff.reset_pin", A.MANAGE_STAFF, _staff_change("reset_pin", PIN)),
        Case("staff.set_active", A.MANAGE_STAFF, _staff_change("set_active", False)),
        Case("staff.set_role", A.MANAGE_STAFF, _staff_change("set_role", "senior")),
        Case("roster.apply", A.MANAGE_ROSTER, _roster),
        Case("photos.import_folder", A.MANAGE_ROSTER, _import_photos),
        Case("retention.purge", A.MANAGE_SETTINGS, _purge),
        # The kiosk's own daily backup and the command line need no log-in, by design.
        Case("backup.make_backup", A.MANAGE_SETTINGS, _backup, kiosk_allowed=True),
        # A restore would swap the database under the other cases: refusals only.
        Case(
            "backup.restore",
            A.MANAGE_SETTINGS,
            _restore,
            kiosk_allowed=True,
            check_allowed=False,
        ),
        Case("chain_of_custody.record_receipt", A.VIEW_CONSOLE, _receipt),
        Case("staff.record_console_locked", A.VIEW_CONSOLE, _console_locked),
        Case("kiosk_events.record", A.VIEW_CONSOLE, _kiosk_event),
        Case("kiosk.exports.run_export", A.EXPORT, _export),
        Case("card_runs.prepare_cards", A.PRINT_CARDS, _prepare_cards),
        Case("slot_labels.prepare_labels", A.MANAGE_SLOTS, _labels),
    ]


def _selection(pupil_id: int) -> Any:
    return _services("card_runs").CardSelection(pupil_id=pupil_id)


def _photo_folder(w: World) -> Path:
    folder = w.config.data_dir / "photo-import"
    folder.mkdir(exist_ok=True)
    (folder / "nobody-matches-this.png").write_bytes(_photo())
    return folder


CASES = _case_list()
KNOWN_GAPS: dict[str, str] = {}  # function -> why it is expected to fail, while it does
SEARCHED_PACKAGES = ("kiosk.services", "kiosk.exports", "kiosk.printing")


def services_taking_an_actor() -> set[str]:
    """Every public function in the service, export and printing packages with an ``actor``
    parameter, except the in-transaction helpers (first parameter ``session`` or ``conn``)."""
    found = set()
    for package_name in SEARCHED_PACKAGES:
        package = importlib.import_module(package_name)
        names = [package_name]
        names += [f"{package_name}.{m.name}" for m in pkgutil.iter_modules(package.__path__)]
        for module_name in names:
            module = importlib.import_module(module_name)
            for name, function in inspect.getmembers(module, inspect.isfunction):
                if function.__module__ != module_name or name.startswith("_"):
                    continue
                parameters = list(inspect.signature(function).parameters)
                if "actor" in parameters and parameters[0] not in ("session", "conn"):
                    short = module_name.removeprefix("kiosk.services.")
                    found.add(f"{short}.{name}")
    return found


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("security") / "data"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KIOSK_DATA_DIR", str(data_dir))
        patch.delenv("KIOSK_DATABASE_URL", raising=False)
        config = load_config(data_dir)
        config.data_dir.mkdir(parents=True)
        config.export_dir.mkdir()
        sessions = open_database(config.database_url)
        engine = sessions.engine
        settings.ensure_install(sessions)
        school = build_school(sessions, pupils=60, slot_count=80, reserved=4)
        w = World(config, sessions, school)
        _add_unusable_staff(w)
        yield w
        engine.dispose()


def _add_unusable_staff(w: World) -> None:
    """For each role: one deactivated member and one locked out after wrong PINs."""
    for role in Role:
        inactive = staff.add_staff(w.sessions, w.admin, f"Former {role}", role.value, PIN)
        staff.set_active(w.sessions, w.admin, inactive, False)
        w.inactive[role.value] = Actor(inactive, f"Former {role}")
        locked = staff.add_staff(w.sessions, w.admin, f"Locked {role}", role.value, PIN)
        with w.sessions.begin() as session:
            session.execute(
                update(Staff)
                .where(Staff.id == locked)
                .values(locked_until=utcnow() + dt.timedelta(hours=1))
            )
        w.locked[role.value] = Actor(locked, f"Locked {role}")


def database_digest(sessions: Sessions) -> str:
    """SHA-256 over every row of every table, in key order."""
    digest = hashlib.sha256()
    with sessions() as session:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            for row in session.execute(select(table).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def files_in(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file() and ".db" not in p.name}


# -- the tests -------------------------------------------------------------------------------


def test_every_service_that_takes_an_actor_is_checked_here():
    listed = {case.function for case in CASES}
    missing = services_taking_an_actor() - listed
    assert not missing, (
        f"{sorted(missing)} take an actor but have no line in CASES in {__file__}: add one "
        "with the permission each needs, so their refusals are tested"
    )


def _refused_actors(world: World, case: Case) -> list[tuple[str, Actor]]:
    actors = [("a made-up staff id", FORGED)]
    if not case.kiosk_allowed:
        actors.append(("the kiosk itself", KIOSK_ACTOR))
    for role, actor in world.school.actors.items():
        if case.action not in PERMISSIONS[Role(role)]:
            actors.append((f"{role} (no {case.action} permission)", actor))
    for role in world.school.actors:
        if case.action in PERMISSIONS[Role(role)]:
            actors.append((f"deactivated {role}", world.inactive[role]))
            actors.append((f"locked-out {role}", world.locked[role]))
    return actors


def _allowed_actor(world: World, case: Case) -> Actor:
    return next(
        actor
        for role, actor in world.school.actors.items()
        if case.action in PERMISSIONS[Role(role)]
    )


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            c, id=c.id, marks=[pytest.mark.xfail(reason=KNOWN_GAPS[c.function], strict=True)]
        )
        if c.function in KNOWN_GAPS
        else pytest.param(c, id=c.id)
        for c in CASES
    ],
)
def test_a_staff_only_service_refuses_whoever_may_not_and_writes_nothing(world, case):
    call = case.prepare(world)
    before, files = database_digest(world.sessions), files_in(world.config.data_dir)
    for who, actor in _refused_actors(world, case):
        expected = case.kiosk_refusal if actor is KIOSK_ACTOR else NotAuthorised
        with pytest.raises(expected):
            call(actor)
        assert database_digest(world.sessions) == before, f"refusing {who} wrote to the database"
        assert files_in(world.config.data_dir) == files, f"refusing {who} left a file"
    if case.check_allowed:
        try:
            call(_allowed_actor(world, case))
        except NotAuthorised:
            pytest.fail(f"{case.id} refused a role that has {case.action}")


# -- PINs, cards and secrets -----------------------------------------------------------------

T0 = dt.datetime(2026, 11, 23, 8, 0)  # a Monday morning, UTC


def test_guessing_pins_gets_five_tries_per_lockout_and_the_right_pin_is_refused_while_locked(
    school, sessions
):
    office = school.actors["office"]  # PIN 2580 (kiosk.demo.DEMO_STAFF)
    for i, guess in enumerate(("0000", "1234", "1111", "2222", "9999")):
        with pytest.raises((WrongPin, AccountLocked)):
            staff.check_pin(sessions, office.id, guess, now=T0 + dt.timedelta(seconds=i))
    with pytest.raises(AccountLocked):
        staff.check_pin(sessions, office.id, "2580", now=T0 + dt.timedelta(minutes=1))
    assert staff.check_pin(sessions, office.id, "2580", now=T0 + dt.timedelta(minutes=16))


def test_an_hour_of_guessing_every_pin_in_turn_gets_about_twenty_real_checks(school, sessions):
    office = school.actors["office"]
    outcomes = Counter()
    for n, second in enumerate(range(0, 3600, 20)):  # a guess every 20 s: 0000, 0001, ...
        try:
            at = T0 + dt.timedelta(hours=1, seconds=second)
            staff.check_pin(sessions, office.id, f"{n:04d}", now=at)
            outcomes["in"] += 1
        except (WrongPin, AccountLocked) as error:
            outcomes[type(error).__name__] += 1
    with sessions() as session:
        mine = select(AuditEvent.kind).where(AuditEvent.actor_id == office.id)
        kinds = Counter(session.scalars(mine))
    checked = kinds["pin_wrong"] + kinds["staff_locked_out"]
    assert outcomes["in"] == 0 and checked <= 5 * 4  # 5 checks per 15-minute lock-out
    assert kinds["pin_refused_locked"] == 180 - checked  # every refusal is on record


def test_a_wrong_pin_says_how_many_tries_are_left_and_a_lock_says_so_plainly(school, sessions):
    office = school.actors["office"]
    messages = []
    # Now, not T0: ``require`` below checks the lock against the real clock.
    started = utcnow()
    for i in range(5):
        with pytest.raises((WrongPin, AccountLocked)) as error:
            staff.check_pin(sessions, office.id, "0000", now=started + dt.timedelta(seconds=i))
        messages.append(str(error.value))
    assert messages[0] == "Wrong PIN. 4 attempts left."
    assert messages[3] == "Wrong PIN. 1 attempt left."
    assert messages[4].startswith("Too many wrong PINs.")
    with pytest.raises(NotAuthorised), sessions() as session:  # and the services refuse them
        require(session, office, Action.COLLECT)


def test_forged_revoked_foreign_and_leavers_cards_are_refused_and_write_nothing(school, sessions):
    world = card_world(sessions, school)  # three cards reissued: their old texts are revoked
    leaver = school.pupil_ids[10]
    with sessions.begin() as session:
        session.execute(update(Pupil).where(Pupil.id == leaver).values(active=False))
    valid = next(iter(world.valid))
    head, mac = valid.rsplit(".", 1)
    refused = [
        (world.forged[0], UnknownCard, "Card not recognised"),
        (world.other_school[0], UnknownCard, "another school"),
        (world.revoked[0], CardRevoked, "replaced"),
        (f"{head}.{mac[::-1]}", UnknownCard, "Card not recognised"),
        (f"{head[:-1]}Z.{mac}", UnknownCard, "Card not recognised"),  # serial changed
        (school.card_texts[leaver], PupilNotActive, "no longer on roll"),
    ]
    before = fingerprint(sessions)
    for text, error, words in refused:
        with pytest.raises(error, match=words):
            custody.hand_in_by_card(sessions, text)
        with pytest.raises(error, match=words):
            custody.check_collection(sessions, text)
    assert fingerprint(sessions) == before


def _readable_text(path: Path) -> str:
    """What a person opening the file could read (XLSX unzipped, PDF text extracted)."""
    data = path.read_bytes()
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as book:
            return "\n".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
    if path.suffix == ".pdf" and shutil.which("pdftotext"):
        done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
        return done.stdout.decode("utf-8", "replace") + data.decode("latin-1")
    return data.decode("utf-8", "replace")


SECRET_PINS = {"admin": "73915048", "office": "86402719", "senior": "51937264"}
WRONG_GUESS = "24681357"


def _busy_day_with_distinctive_pins(sessions: Sessions, school: DemoSchool) -> None:
    admin = school.actors["admin"]
    for role, pin in SECRET_PINS.items():
        staff.reset_pin(sessions, admin, school.actors[role].id, pin)
    staff.add_staff(sessions, admin, "New Starter", "office", "62840731")
    office, senior = school.actors["office"], school.actors["senior"]
    with pytest.raises(WrongPin):
        staff.check_pin(sessions, office.id, WRONG_GUESS)
    staff.check_pin(sessions, office.id, SECRET_PINS["office"])
    for pupil_id in school.pupil_ids[:8]:
        custody.hand_in_by_card(sessions, school.card_texts[pupil_id])
    held = custody.check_collection(sessions, school.card_texts[school.pupil_ids[0]]).daily
    assert held is not None
    custody.collect(sessions, held.id, office)
    taken = confiscation.confiscate(sessions, office, school.pupil_ids[20], "misuse / filming", "x")
    confiscation.refer_to_dsl(sessions, office, taken.id, "concern")
    confiscation.hand_to_police(sessions, senior, taken.id, "PC Lee", "4021", "CR/1")
    cards.issue_card(sessions, admin, school.pupil_ids[1])


def test_no_pin_or_card_secret_in_logs_exports_printouts_or_command_output(
    data_dir, school, sessions, capfd, caplog, monkeypatch
):
    from kiosk.__main__ import main
    from kiosk.ui.app import setup_logging

    config = load_config()
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # setup_logging replaces it
    root_handlers = list(logging.getLogger().handlers)
    caplog.set_level(logging.DEBUG)
    try:
        assert sessions.file == config.data_dir / "kiosk.db"
        setup_logging(config)
        _busy_day_with_distinctive_pins(sessions, school)
        today = f"{local_date(utcnow())}"
        admin = ["--as", "Alex Admin"]
        senior = ["--as", "Sam Senior (DSL)"]
        export = ["export", "--from", today, "--to", today, *senior, "--format"]
        out = str(config.export_dir)
        commands = [
            ["verify-log"],
            ["staff", "list"],
            ["settings", "show"],
            [*export, "csv", "--kind", "audit"],
            [*export, "xlsx", "--kind", "audit"],
            [*export, "csv", "--kind", "custody"],
            [*export, "pdf"],
            ["cards", "--all", "--yes", "--out", f"{out}/cards.pdf", *admin],
            ["labels", "--out", f"{out}/labels.pdf", *admin],
            ["backup"],
        ]
        statuses = []
        for args in commands:
            role = "admin" if "Alex Admin" in args else "senior"
            with pin_for(args, SECRET_PINS[role]):
                statuses.append(main(args))
        with sessions() as session:
            secret = settings.card_secret(session).hex()
    finally:
        for handler in logging.getLogger().handlers:
            if handler not in root_handlers:
                logging.getLogger().removeHandler(handler)
                handler.close()
    output = capfd.readouterr()
    assert statuses == [0] * len(commands), output.err

    never = [*SECRET_PINS.values(), "62840731", WRONG_GUESS, secret, secret.upper(), "$argon2"]
    sources = {"command output": output.out + output.err, "log records": caplog.text}
    written = [p for p in files_in(data_dir) if "backups" not in p.parts]
    assert {p.suffix for p in written} >= {".csv", ".xlsx", ".pdf", ".log"}
    sources.update({str(p.relative_to(data_dir)): _readable_text(p) for p in written})
    leaks = [(where, s) for where, text in sources.items() for s in never if s in text]
    assert leaks == []
    database = Path(config.database_url.removeprefix("sqlite:///")).read_bytes()
    assert [pin for pin in [*SECRET_PINS.values(), WRONG_GUESS] if pin.encode() in database] == []
