"""The release receipt names the contact the device went to, the ID seen, and, for someone
not on the pupil's contact list, the senior member of staff who authorised it and why."""

from __future__ import annotations

import pytest
from fixtures.admin import DATA
from fixtures.console import *  # noqa: F403 (the console tests' fixtures)
from sqlalchemy import select

from kiosk.demo import DEMO_PINS
from kiosk.printing import receipts
from kiosk.services import (
    chain_of_custody,
    confiscation,
    contacts,
    contacts_check,
    contacts_import,
    roster_file,
)
from kiosk.services.contacts_columns import CONTACTS
from kiosk.services.release_to_contact import SeniorApproval
from kiosk.tables import Pupil
from printing.test_receipts import needs_poppler, pdf_text, render_first_page


@pytest.fixture
def pupil_id(sessions, school) -> int:
    table = roster_file.read_roster((DATA / "contacts_sims.csv").read_bytes(), CONTACTS)
    contacts_import.apply(sessions, school.actors["admin"], contacts_check.check_table(table))
    with sessions() as session:
        return session.scalars(select(Pupil.id).where(Pupil.upn == "K830000000000")).one()


def receipt_text(sessions, custody_id: int, data_dir, artifacts, name: str) -> str:
    chain = chain_of_custody.chain_of_custody(sessions, custody_id)
    path = data_dir / f"{name}.pdf"
    receipts.release_receipt(path, chain, school_name="Kingsmead Academy", printed_by="Olivia")
    render_first_page(path, artifacts / name)
    return " ".join(pdf_text(path).split())


@needs_poppler
def test_the_receipt_names_the_contact_and_the_id_seen(
    sessions, school, pupil_id, data_dir, artifacts
):
    office = school.actors["office"]
    custody_id = confiscation.confiscate(sessions, office, pupil_id, "used in lesson").id
    mother = contacts.for_pupil(sessions, pupil_id)[0]
    confiscation.release_to_parent(
        sessions, office, custody_id, "", "", True,
        contact_id=mother.contact_id, id_document="Driving licence",
    )  # fmt: skip
    text = receipt_text(sessions, custody_id, data_dir, artifacts, "receipt_release_contact")
    assert "Released to Mrs Aisling O'Brien (Mother) Contact list One of the pupil's" in text
    assert "ID seen Driving licence, seen by staff" in text


@needs_poppler
def test_the_receipt_names_who_authorised_someone_not_on_the_list(
    sessions, school, pupil_id, data_dir, artifacts
):
    office, senior = school.actors["office"], school.actors["senior"]
    custody_id = confiscation.confiscate(sessions, office, pupil_id, "used in lesson").id
    approval = SeniorApproval(senior.id, DEMO_PINS["senior"], "office", "Mother in hospital")
    confiscation.release_to_parent(
        sessions, office, custody_id, "Bob Smith", "Uncle", True,
        id_document="Passport", approval=approval,
    )  # fmt: skip
    text = receipt_text(sessions, custody_id, data_dir, artifacts, "receipt_release_unlisted")
    assert "Bob Smith (Uncle) Contact list Not on the pupil's contact list" in text
    assert "Authorised by Sam Senior (DSL): Mother in hospital" in text
    assert "ID seen Passport, seen by staff" in text
