"""Importing the MIS's contacts export: several contacts per pupil, one contact shared by
siblings, missing emails, court-order markers; all rows or none; a re-import replaces each
pupil's contacts; the audit event holds counts, never names."""

from __future__ import annotations

import json

import pytest
from fixtures.admin import *  # noqa: F403 (the admin tests' fixtures)
from sqlalchemy import func, select

from kiosk.errors import InvalidInput, NotAuthorised
from kiosk.services import contacts, contacts_check, contacts_import, roster_file
from kiosk.services.contacts_columns import CONTACTS, ContactField
from kiosk.tables import AuditEvent, Contact, Pupil, PupilContact

both_databases = pytest.mark.parametrize(
    "database_url",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)


def check(raw: bytes, **overrides: str) -> contacts_check.CheckedContacts:
    return contacts_check.check_table(roster_file.read_roster(raw, CONTACTS), overrides)


def pupil_id(sessions, upn: str) -> int:
    with sessions() as session:
        return session.scalars(select(Pupil.id).where(Pupil.upn == upn)).one()


def count(sessions, table) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def edited(raw: bytes, old: str, new: str) -> bytes:
    text = raw.decode("utf-8-sig")
    assert old in text
    return text.replace(old, new).encode("utf-8-sig")


@both_databases
def test_a_sims_export_gives_each_pupil_their_contacts_in_priority_order(sessions, admin, data):
    result = contacts_import.apply(sessions, admin, check(data("contacts_sims.csv")))
    assert (result.pupils, result.contacts, result.links) == (4, 7, 8)
    first = contacts.for_pupil(sessions, pupil_id(sessions, "K830000000000"))
    assert [(c.name, c.relationship, c.priority) for c in first] == [
        ("Mrs Aisling O'Brien", "Mother", 1),
        ("Mr Darragh O'Brien", "Father", 2),
        ("Mrs Nóirín Kelly", "Grandmother", 3),
    ]
    mother, father, grandmother = first
    assert mother.parental_responsibility and mother.may_receive_device
    assert mother.email == "aisling.obrien@example.org"
    assert father.do_not_release and not father.may_collect  # "Court Order: Yes"
    assert grandmother.email is None and grandmother.telephone == "01632 960003"
    assert grandmother.may_collect and not grandmother.parental_responsibility


@both_databases
def test_siblings_share_one_contact_row(sessions, admin, data):
    contacts_import.apply(sessions, admin, check(data("contacts_sims.csv")))
    elder = contacts.for_pupil(sessions, pupil_id(sessions, "K830000000000"))
    younger = contacts.for_pupil(sessions, pupil_id(sessions, "K830000000001"))
    assert elder[0].contact_id == younger[0].contact_id
    assert count(sessions, Contact) == 7


def test_a_court_order_in_words_bars_the_contact_and_keeps_only_a_short_note(sessions, admin, data):
    contacts_import.apply(sessions, admin, check(data("contacts_sims.csv")))
    aunt, father = contacts.for_pupil(sessions, pupil_id(sessions, "K830000000003"))
    assert aunt.may_receive_device and not father.may_receive_device
    with sessions() as session:
        notes = set(session.scalars(select(PupilContact.court_order_note)))
    assert notes == {None, "Court order", "Prohibited steps order 2025"}


def test_a_contact_without_a_priority_comes_after_the_numbered_ones(sessions, admin, data):
    raw = edited(data("contacts_sims.csv"), "Aunt,1,", "Aunt,,")
    contacts_import.apply(sessions, admin, check(raw))
    rows = contacts.for_pupil(sessions, pupil_id(sessions, "K830000000003"))
    assert [(c.relationship, c.priority) for c in rows] == [("Father", 2), ("Aunt", 3)]


def test_the_audit_event_counts_and_names_no_one(sessions, admin, data):
    contacts_import.apply(sessions, admin, check(data("contacts_sims.csv")))
    with sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == "contacts_imported")
        ).one()
    details = json.loads(event.details)
    assert details["contacts"] == 7 and details["do_not_release"] == 2
    assert event.actor_id == admin.id and event.pupil_id is None
    text = event.details.casefold()
    for personal in ("o'brien", "kelly", "example.org", "07700", "prohibited", "k8300"):
        assert personal not in text


@both_databases
def test_one_bad_row_refuses_the_whole_file_and_says_where(sessions, admin, data, snapshot):
    raw = edited(data("contacts_sims.csv"), "priya.patel@example.org", "priya.patel at example")
    raw = edited(raw, "Grandmother,3,", "Grandmother,third,")
    checked = check(raw)
    messages = [p.describe() for p in checked.errors]
    assert messages == [
        "Line 6: Priority 'third' is not a number from 1 to 99.",
        "Line 10: Email 'priya.patel at example' is not an email address (one address per "
        "contact).",
    ]
    before = snapshot()
    with pytest.raises(InvalidInput, match="2 problem"):
        contacts_import.apply(sessions, admin, checked)
    assert snapshot() == before


@both_databases
def test_a_pupil_not_on_record_refuses_the_whole_file(sessions, admin, data, snapshot):
    raw = edited(data("contacts_sims.csv"), "K830000000002", "K830000000099")
    preview = contacts_import.preview(sessions, check(raw))
    assert [p.describe() for p in preview.errors] == [
        "Line 9: No pupil on record has UPN K830000000099: import the pupils' roster first, "
        "or check the UPN."
    ]
    assert not preview.can_import
    before = snapshot()
    with pytest.raises(InvalidInput, match="nothing was imported"):
        contacts_import.apply(sessions, admin, preview.checked)
    assert snapshot() == before


@both_databases
def test_a_re_import_replaces_each_pupils_contacts(sessions, admin, data):
    contacts_import.apply(sessions, admin, check(data("contacts_sims.csv")))
    first = pupil_id(sessions, "K830000000000")
    mother_id = contacts.for_pupil(sessions, first)[0].contact_id
    lines = data("contacts_sims.csv").decode("utf-8-sig").splitlines(keepends=True)
    # the grandmother and the whole of pupil 3 left the MIS; the mother's phone changed
    kept = [ln for ln in lines if "Kelly" not in ln and "K830000000003" not in ln]
    raw = "".join(kept).replace("07700 900001", "07700 900111").encode("utf-8-sig")
    preview = contacts_import.preview(sessions, check(raw))
    assert (preview.removed_contacts, preview.pupils_losing_all) == (3, 1)
    result = contacts_import.apply(sessions, admin, preview.checked)
    assert (result.added, result.removed) == (0, 3)
    rows = contacts.for_pupil(sessions, first)
    assert [c.relationship for c in rows] == ["Mother", "Father"]
    assert (rows[0].contact_id, rows[0].telephone) == (mother_id, "07700 900111")
    assert contacts.for_pupil(sessions, pupil_id(sessions, "K830000000003")) == []
    assert count(sessions, Contact) == 4


def test_an_arbor_file_in_windows_1252_with_semicolons_and_no_contact_ids(sessions, admin, data):
    """Arbor's header names; siblings' mother matched by name and email (its case aside)."""
    checked = check(data("contacts_arbor_semicolon_cp1252.csv"))
    assert checked.table.encoding == "Windows-1252" and not checked.errors
    assert ContactField.MAY_COLLECT in checked.columns
    contacts_import.apply(sessions, admin, checked)
    e = contacts.for_pupil(sessions, pupil_id(sessions, "K830000000004"))
    f = contacts.for_pupil(sessions, pupil_id(sessions, "K830000000005"))
    assert e[0].name == "Zoë Kowalski" and e[0].contact_id == f[0].contact_id
    assert f[1].do_not_release and not f[1].may_collect


def test_without_a_may_collect_column_parental_responsibility_decides(sessions, admin, data):
    checked = check(data("contacts_sims.csv"), **{"Collect Pupil": "ignore"})
    assert checked.warnings[0].message.startswith("The file has no 'may collect'")
    contacts_import.apply(sessions, admin, checked)
    rows = contacts.for_pupil(sessions, pupil_id(sessions, "K830000000000"))
    assert [c.may_collect for c in rows] == [True, False, False]  # father barred, gran no PR


def test_a_file_without_upn_or_names_is_refused_before_any_row(data):
    raw = b"Name,Phone\nA Person,07700 900001\n"
    checked = check(raw)
    assert {p.message for p in checked.errors} >= {
        "No column is chosen as Pupil's UPN.",
        "No column is chosen as Relationship.",
    }


def test_flags_that_are_neither_yes_nor_no_are_errors(data):
    raw = edited(data("contacts_sims.csv"), "Mother,1,Yes,Yes", "Mother,1,Maybe,Yes")
    assert "Parental responsibility is 'Maybe'" in check(raw).errors[0].message


def test_the_same_contact_twice_for_one_pupil_is_an_error(data):
    lines = data("contacts_sims.csv").decode("utf-8-sig").splitlines(keepends=True)
    raw = "".join([*lines, lines[3]]).encode("utf-8-sig")
    errors = check(raw).errors
    assert errors[0].describe().startswith("Line 12: Mrs Aisling O'Brien is listed twice")


def test_office_staff_cannot_import_contacts(sessions, school, data, snapshot):
    before = snapshot()
    with pytest.raises(NotAuthorised):
        contacts_import.apply(sessions, school.actors["office"], check(data("contacts_sims.csv")))
    assert snapshot() == before


def test_no_audit_event_is_written_for_a_refused_file(sessions, admin, data):
    raw = edited(data("contacts_sims.csv"), "K830000000002", "K830000000099")
    with pytest.raises(InvalidInput):
        contacts_import.apply(sessions, admin, check(raw))
    with sessions() as session:
        kinds = set(session.scalars(select(AuditEvent.kind)))
    assert "contacts_imported" not in kinds
