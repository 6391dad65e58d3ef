"""Security checks against the services themselves, not the buttons in front of them.

Every service that takes an ``actor`` is listed in ``CASES`` with the permission it needs.
For each, the self-service kiosk, a made-up staff id, every role without the permission, and
a deactivated member of a role with it are all refused with NotAuthorised,
and the refusal writes nothing (the whole database and the data folder are unchanged); a
role with the permission gets past the check. A test fails when a new service with an
``actor`` appears without a line here, so none is forgotten. (An account locked by wrong
PINs cannot log in, but a session it already has goes on: see the PIN tests below.)
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
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cli_pins import pin_for
from new_cards import new_card
from PIL import Image
from sqlalchemy import select, update

from kiosk.clock import local_date, utcnow
from kiosk.config import Config, load_config
from kiosk.db import Database, open_database
from kiosk.demo import DEMO_PINS, DemoSchool, build_school
from kiosk.errors import (
    AccountLocked,
    CardRevoked,
    NotAuthorised,
    PinThrottled,
    PupilNotActive,
    UndoWindowPassed,
    UnknownCard,
    WrongPin,
)
from kiosk.event_kinds import EventKind
from kiosk.rules import PERMISSIONS, PIN_HARD_LOCK_AT, Action
from kiosk.services import confiscation, custody, held_devices, settings, slots, staff
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
    sessions: Database
    school: DemoSchool
    inactive: dict[str, Actor] = field(default_factory=dict)  # by role
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


def _contacts(w: World) -> Call:
    from kiosk.services import contacts_check, contacts_import, roster_file
    from kiosk.services.contacts_columns import CONTACTS

    pupil = w.pupil()
    with w.sessions() as session:
        upn = session.get(Pupil, pupil).upn
    header = "UPN,Contact Name,Relationship,Priority,Parental Responsibility"
    text = f"{header}\n{upn},Pat Parent,Mother,1,Yes\n"
    checked = contacts_check.check_table(roster_file.read_roster(text.encode(), CONTACTS))
    return lambda a: contacts_import.apply(w.sessions, a, checked)


def _export_request() -> Any:
    from kiosk.exports.run import ExportRequest
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
    return lambda a: held_devices.move(w.sessions, a, held, free)


def _slot_check(w: World) -> Call:
    handed_in = custody.hand_in(w.sessions, w.pupil())
    assert handed_in.custody_id is not None and handed_in.slot_number is not None
    custody.undo_hand_in(w.sessions, handed_in.custody_id, actor=w.office)
    checks = _services("slot_checks")
    return lambda a: checks.mark_checked_empty(w.sessions, a, handed_in.slot_number)


def _keep(w: World) -> Call:
    held = w.held()
    return lambda a: held_devices.keep_overnight(w.sessions, a, held, "parent coming late")


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


def _setup_step(w: World) -> Call:
    return lambda a: _services("setup").mark_step(w.sessions, a, "times", "done")


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


def _export_keys(w: World) -> Call:
    out = w.config.data_dir / "keys-for-kiosk-2.json"
    return lambda a: _services("key_transfer").export_keys(w.sessions, a, out)


def _rotate_card_key(w: World) -> Call:
    from kiosk.keystore import KeyStore

    store = KeyStore.for_config(w.config)
    return lambda a: _services("card_keys").rotate(w.sessions, a, store)


def _purge_copies(w: World) -> Call:
    return lambda a: _services("purge_copies").purge_copies(w.config, w.sessions, a)


def _receipt(w: World) -> Call:
    device = w.confiscation()
    return lambda a: _services("chain_of_custody").record_receipt(w.sessions, a, device, "release")


def _unlock(w: World) -> Call:
    target = w.new_staff()
    with w.sessions.begin() as session:  # as many wrong PINs as lock an account would leave
        session.execute(
            update(Staff)
            .where(Staff.id == target)
            .values(pin_locked_at=utcnow(), failed_attempts=20)
        )
    return lambda a: staff.unlock(w.sessions, a, target)


def _console_locked(w: World) -> Call:
    return lambda a: _services("staff").record_console_locked(w.sessions, a, "idle")


def _kiosk_event(w: World) -> Call:
    events = _services("kiosk_events")
    return lambda a: events.record(w.sessions, a, EventKind.KIOSK_CLOSED, "kiosk-1")


def _export(w: World) -> Call:
    out = w.config.export_dir / f"{w.name()}.csv"
    return lambda a: _services("kiosk.exports.run").run_export(
        w.sessions, a, _export_request(), out
    )


def _prepare_cards(w: World) -> Call:
    pupil = w.pupil()
    card_runs, card_sheet = _services("card_runs"), _services("kiosk.printing.cards")
    return lambda a: card_runs.prepare_cards(
        w.sessions, a, _selection(pupil), fits_on_card=card_sheet.check_code_fits
    )


def _labels(w: World) -> Call:
    labels = _services("slot_labels")
    return lambda a: labels.prepare_labels(w.sessions, a, 1, 2)


def _without_card(w: World) -> Call:
    pupil = w.pupil()
    return lambda a: custody.hand_in_without_card(w.sessions, pupil, a)


def _day_out(w: World) -> Call:
    pupil = w.pupil()
    custody.hand_in(w.sessions, pupil)
    days = _services("day_outs")
    return lambda a: days.release_for_day_out(w.sessions, a, [pupil], "appointment")


def _back_from_day_out(w: World) -> Call:
    pupil = w.pupil()
    custody.hand_in(w.sessions, pupil)
    days = _services("day_outs")
    out = days.release_for_day_out(w.sessions, w.office, [pupil], "illness").out[0].id
    return lambda a: days.mark_back(w.sessions, a, out)


def _usual_devices(w: World) -> Call:
    pupil, devices = w.pupil(), _services("kiosk.devices")
    watch = (devices.Device(devices.DeviceKind.PHONE), devices.Device(devices.DeviceKind.WATCH))
    return lambda a: _services("device_items").set_usual_devices(w.sessions, a, pupil, watch)


def _give_back_some(w: World) -> Call:
    pupil, devices, items = w.pupil(), _services("kiosk.devices"), _services("device_items")
    both = (devices.Device(devices.DeviceKind.PHONE), devices.Device(devices.DeviceKind.WATCH))
    custody.hand_in(w.sessions, pupil, devices=both)
    watch = [i.id for i in items.held_items(w.sessions, pupil) if i.kind == "watch"]
    return lambda a: items.give_back_some(w.sessions, a, pupil, watch, "needed for PE")


def _emergency_list(w: World) -> Call:
    return lambda a: _services("emergency").held_list(w.sessions, a)


def _emergency_list_printed(w: World) -> Call:
    printing = _services("kiosk.printing.emergency")
    return lambda a: printing.save_held_list(w.sessions, a, w.config.export_dir)


def _emergency_release(w: World) -> Call:
    return lambda a: _services("emergency").release_all(w.sessions, a, "fire alarm")


def _confirm_given_back(w: World) -> Call:
    held = w.held()
    return lambda a: _services("emergency").confirm_given_back(w.sessions, a, [held])


def _set_exam(w: World) -> Call:
    exams, pupil = _services("exams"), w.pupil()
    chosen = exams.Candidates(pupil_ids=(pupil,))
    day = dt.date.today()
    return lambda a: exams.set_exam(w.sessions, a, day, dt.time(9, 0), "Maths", chosen)


def _lost_card(w: World) -> Call:
    pupil = w.pupil()
    card_runs, card_sheet = _services("card_runs"), _services("kiosk.printing.cards")
    return lambda a: card_runs.replace_lost_card(
        w.sessions, a, pupil, fits_on_card=card_sheet.check_code_fits
    )


def _letter_template(w: World) -> Call:
    text = "Dear parent of {pupil_name},\n\nYour child's {device} is in the office."
    return lambda a: _services("letters").update_template(w.sessions, a, text)


def _record_letter(w: World) -> Call:
    device = w.confiscation()
    return lambda a: _services("letters").record_letter(w.sessions, a, device, "letter-1.pdf")


def _mail_server(w: World) -> Call:
    from kiosk.keystore import KeyStore

    mail, store = _services("mail"), KeyStore.for_config(w.config)
    return lambda a: mail.update_server(w.sessions, a, mail.MailServer(), store, password="")


def _send_letter(w: World, *, referred: bool = False) -> Call:
    from kiosk.keystore import KeyStore

    device, store = w.confiscation(referred=referred), KeyStore.for_config(w.config)
    send = _services("parent_mail").send_letter
    return lambda a: send(w.sessions, a, device, store, b"%PDF-1.4", "letter.pdf")


def _appointment(w: World) -> Call:
    device, day = w.confiscation(), local_date(utcnow())
    make = _services("appointments").make_appointment
    return lambda a: make(w.sessions, a, device, day, dt.time(16, 0), "Pat Parent")


def _booked(w: World) -> int:
    device, day = w.confiscation(), local_date(utcnow())
    make = _services("appointments").make_appointment
    make(w.sessions, w.office, device, day, dt.time(16, 0), "Pat Parent")
    return device


def _cancel_appointment(w: World) -> Call:
    device = _booked(w)
    return lambda a: _services("appointments").cancel_appointment(w.sessions, a, device)


def _send_reminder(w: World) -> Call:
    from kiosk.keystore import KeyStore

    device, store = _booked(w), KeyStore.for_config(w.config)
    return lambda a: _services("parent_mail").send_reminder(w.sessions, a, device, store)


def _todays_reminders(w: World) -> Call:
    from kiosk.keystore import KeyStore

    _booked(w)  # today, with a name: nothing to email, nothing changed
    store = KeyStore.for_config(w.config)
    return lambda a: _services("parent_mail").send_todays_reminders(w.sessions, a, store)


def _search_form(w: World) -> Any:
    from searching.forms import complete_form

    return complete_form(w.pupil())


def _draft_search(w: World) -> Call:
    form = _search_form(w)
    return lambda a: _services("search_records").save_draft(w.sessions, a, form)


def _draft_search_again(w: World) -> Call:
    form, records = _search_form(w), _services("search_records")
    draft = records.save_draft(w.sessions, w.office, form).id
    return lambda a: records.save_draft(w.sessions, a, form, draft)


def _record_search(w: World) -> Call:
    form = _search_form(w)
    return lambda a: _services("search_records").record(w.sessions, a, form)


def _complete_search(w: World) -> Call:
    form, records = _search_form(w), _services("search_records")
    draft = records.save_draft(w.sessions, w.office, form).id
    return lambda a: records.record(w.sessions, a, form, draft)


def _correct_search(w: World) -> Call:
    form, records = _search_form(w), _services("search_records")
    done = records.record(w.sessions, w.school.actors["senior"], form).id
    return lambda a: records.correct(w.sessions, a, done, form, "a typing slip")


def _search_list(w: World) -> Call:
    return lambda a: _services("searches").search_list(w.sessions, a)


def _search_detail(w: World) -> Call:
    draft = _services("search_records").save_draft(w.sessions, w.office, _search_form(w)).id
    return lambda a: _services("searches").search_detail(w.sessions, a, draft)


def _export_searches(w: World) -> Call:
    from kiosk.exports.run import ExportRequest

    which = _export_request().which
    out = w.config.export_dir / f"{w.name()}.xlsx"
    request = ExportRequest("searches", "xlsx", which)
    return lambda a: _services("kiosk.exports.run").run_export(w.sessions, a, request, out)


def _case_list() -> list[Case]:
    A = Action
    return [
        Case("custody.hand_in", A.HAND_IN_FOR_PUPIL, _hand_in_for, "by staff", kiosk_allowed=True),
        Case("custody.undo_hand_in", A.UNDO_HAND_IN, _undo, kiosk_refusal=UndoWindowPassed),
        Case("custody.collect", A.COLLECT, _collect),
        Case("slot_checks.mark_checked_empty", A.UNDO_HAND_IN, _slot_check),
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
        Case("held_devices.move", A.MOVE, _move),
        Case("held_devices.keep_overnight", A.KEEP_OVERNIGHT, _keep),
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
        Case("setup.mark_step", A.MANAGE_SETTINGS, _setup_step),
        Case("staff.add_staff", A.MANAGE_STAFF, _add_staff),
        Case("staff.reset_pin", A.MANAGE_STAFF, _staff_change("reset_pin", PIN)),
        Case("staff.set_active", A.MANAGE_STAFF, _staff_change("set_active", False)),
        Case("staff.set_role", A.MANAGE_STAFF, _staff_change("set_role", "senior")),
        Case("staff.unlock", A.MANAGE_STAFF, _unlock),
        Case("roster.apply", A.MANAGE_ROSTER, _roster),
        Case("photos.import_folder", A.MANAGE_ROSTER, _import_photos),
        Case("retention.purge", A.MANAGE_SETTINGS, _purge),
        # The kiosk's own daily backup and the command line need no log-in, by design.
        Case("backup.make_backup", A.MANAGE_SETTINGS, _backup, kiosk_allowed=True),
        Case("key_transfer.export_keys", A.MANAGE_SETTINGS, _export_keys),
        Case("purge_copies.purge_copies", A.MANAGE_SETTINGS, _purge_copies),
        # A new card key would change the cards under the other cases: refusals only.
        Case("card_keys.rotate", A.MANAGE_SETTINGS, _rotate_card_key, check_allowed=False),
        # restore.restore takes an admin's name and PIN, not an actor: its refusals are
        # tested in tests/reports/test_restore_attacks.py.
        Case("chain_of_custody.record_receipt", A.VIEW_CONSOLE, _receipt),
        Case("staff.record_console_locked", A.VIEW_CONSOLE, _console_locked),
        Case("kiosk_events.record", A.LEAVE_KIOSK, _kiosk_event),
        Case("kiosk.exports.run.run_export", A.EXPORT, _export),
        Case("card_runs.prepare_cards", A.PRINT_CARDS, _prepare_cards),
        Case("slot_labels.prepare_labels", A.MANAGE_SLOTS, _labels),
        # issue 17: the school day as it really runs
        Case("custody.hand_in_without_card", A.HAND_IN_FOR_PUPIL, _without_card),
        Case("day_outs.release_for_day_out", A.RELEASE_FOR_DAY_OUT, _day_out),
        Case("day_outs.mark_back", A.RELEASE_FOR_DAY_OUT, _back_from_day_out),
        Case("device_items.set_usual_devices", A.SET_USUAL_DEVICES, _usual_devices),
        Case("device_items.give_back_some", A.COLLECT, _give_back_some),
        Case("emergency.held_list", A.EMERGENCY, _emergency_list),
        Case("kiosk.printing.emergency.save_held_list", A.EMERGENCY, _emergency_list_printed),
        # Releasing every device would change the devices under the other cases: refusals.
        Case("emergency.release_all", A.EMERGENCY, _emergency_release, check_allowed=False),
        Case("emergency.confirm_given_back", A.COLLECT, _confirm_given_back, check_allowed=False),
        Case("exams.set_exam", A.SET_EXAMS, _set_exam),
        Case("card_runs.replace_lost_card", A.PRINT_CARDS, _lost_card),
        # issue 18: contacts from the MIS. Contacts on record would put the release cases
        # above behind a senior's PIN: refusals only (tests/services/test_contacts_import.py
        # shows an admin's import).
        Case("contacts_import.apply", A.MANAGE_ROSTER, _contacts, check_allowed=False),
        # issue 18: letters to parents, emails, collection appointments
        Case("letters.update_template", A.MANAGE_SETTINGS, _letter_template),
        Case("letters.record_letter", A.RELEASE_TO_PARENT, _record_letter),
        Case("mail.update_server", A.MANAGE_SETTINGS, _mail_server),
        Case("parent_mail.send_letter", A.RELEASE_TO_PARENT, _send_letter),
        Case(
            "parent_mail.send_letter",
            A.RELEASE_DSL_REFERRED,
            lambda w: _send_letter(w, referred=True),
            "referred to the DSL",
        ),
        Case("parent_mail.send_reminder", A.RELEASE_TO_PARENT, _send_reminder),
        Case("parent_mail.send_todays_reminders", A.RELEASE_TO_PARENT, _todays_reminders),
        Case("appointments.make_appointment", A.RELEASE_TO_PARENT, _appointment),
        Case("appointments.cancel_appointment", A.RELEASE_TO_PARENT, _cancel_appointment),
        # issue 18: search and examination records
        Case("search_records.save_draft", A.DRAFT_SEARCH, _draft_search),
        Case("search_records.save_draft", A.DRAFT_SEARCH, _draft_search_again, "a draft again"),
        Case("search_records.record", A.RECORD_SEARCH, _record_search),
        Case("search_records.record", A.RECORD_SEARCH, _complete_search, "an office draft"),
        Case("search_records.correct", A.RECORD_SEARCH, _correct_search),
        Case("searches.search_list", A.DRAFT_SEARCH, _search_list),
        Case("searches.search_detail", A.DRAFT_SEARCH, _search_detail),
        Case("kiosk.exports.run.run_export", A.RECORD_SEARCH, _export_searches, "search records"),
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
    """For each role: one deactivated member."""
    for role in Role:
        inactive = staff.add_staff(w.sessions, w.admin, f"Former {role}", role.value, PIN)
        staff.set_active(w.sessions, w.admin, inactive, False)
        w.inactive[role.value] = Actor(inactive, f"Former {role}")


def database_digest(sessions: Database) -> str:
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
SECOND = dt.timedelta(seconds=1)


KIOSK = "kiosk-1"


def test_guessing_pins_gets_growing_waits_and_even_the_right_pin_waits(school, sessions):
    office = school.actors["office"]
    pin = DEMO_PINS["office"]
    for i, guess in enumerate(("0000", "1234", "1111")):
        with pytest.raises(WrongPin):
            staff.check_pin(sessions, office.id, guess, terminal=KIOSK, now=T0 + i * SECOND)
    with pytest.raises(PinThrottled):
        staff.check_pin(sessions, office.id, pin, terminal=KIOSK, now=T0 + 5 * SECOND)
    assert staff.check_pin(sessions, office.id, pin, terminal=KIOSK, now=T0 + 12 * SECOND)


def test_an_hour_of_guessing_every_pin_in_turn_gets_under_twenty_real_checks(school, sessions):
    office = school.actors["office"]
    outcomes = Counter()
    for n, second in enumerate(range(0, 3600, 20)):  # a guess every 20 s: 0000, 0001, ...
        try:
            at = T0 + dt.timedelta(hours=1, seconds=second)
            staff.check_pin(sessions, office.id, f"{n:04d}", terminal=KIOSK, now=at)
            outcomes["in"] += 1
        except (WrongPin, PinThrottled, AccountLocked) as error:
            outcomes[type(error).__name__] += 1
    with sessions() as session:
        mine = select(AuditEvent.kind).where(AuditEvent.actor_id == office.id)
        kinds = Counter(session.scalars(mine))
    assert outcomes["in"] == 0 and outcomes["WrongPin"] < PIN_HARD_LOCK_AT
    assert outcomes["PinThrottled"] == 180 - outcomes["WrongPin"]  # not checked at all
    assert kinds == Counter({"pin_wrong": 1, "pin_throttled": 1})  # two events, not 180


def test_a_locked_account_cannot_log_in_but_its_open_session_goes_on(school, sessions):
    office = school.actors["office"]
    at = T0
    for _ in range(PIN_HARD_LOCK_AT):
        with pytest.raises((WrongPin, AccountLocked)) as error:
            staff.check_pin(sessions, office.id, "000000", terminal=KIOSK, now=at)
        at += getattr(error.value, "wait", SECOND)
    assert str(error.value) == (
        "This account is locked after too many wrong PINs: an admin can unlock it."
    )
    with pytest.raises(AccountLocked):
        staff.check_pin(sessions, office.id, DEMO_PINS["office"], terminal="kiosk-2", now=at)
    with sessions() as session:  # the wrong PINs end nobody's work
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


def _busy_day_with_distinctive_pins(sessions: Database, school: DemoSchool) -> None:
    admin = school.actors["admin"]
    for role, pin in SECRET_PINS.items():
        staff.reset_pin(sessions, admin, school.actors[role].id, pin)
    staff.add_staff(sessions, admin, "New Starter", "office", "62840731")
    office, senior = school.actors["office"], school.actors["senior"]
    with pytest.raises(WrongPin):
        staff.check_pin(sessions, office.id, WRONG_GUESS, terminal=KIOSK)
    staff.check_pin(sessions, office.id, SECRET_PINS["office"], terminal=KIOSK)
    for pupil_id in school.pupil_ids[:8]:
        custody.hand_in_by_card(sessions, school.card_texts[pupil_id])
    held = custody.check_collection(sessions, school.card_texts[school.pupil_ids[0]]).daily
    assert held is not None
    custody.collect(sessions, held.id, office)
    taken = confiscation.confiscate(sessions, office, school.pupil_ids[20], "misuse / filming", "x")
    confiscation.refer_to_dsl(sessions, office, taken.id, "concern")
    confiscation.hand_to_police(sessions, senior, taken.id, "PC Lee", "4021", "CR/1")
    new_card(sessions, admin, school.pupil_ids[1])


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
