"""A purged leaver's contacts go with their record; a contact a sibling still has stays."""

from __future__ import annotations

from fixtures.reports import *  # noqa: F403 (the reports tests' fixtures)
from fixtures.reports import NOW
from sqlalchemy import select

from kiosk.services import contacts, contacts_check, contacts_import, retention, roster_file
from kiosk.services.contacts_columns import CONTACTS
from kiosk.tables import Contact, Pupil


def test_a_purge_removes_the_leavers_contacts_and_keeps_a_siblings(history, sessions):
    sibling = history.late_pupil
    with sessions() as session:
        leaver_upn = session.get(Pupil, history.leaver).upn
        sibling_upn = session.get(Pupil, sibling).upn
    text = (
        "UPN,Contact ID,Contact Name,Relationship,Priority,Parental Responsibility\n"
        f"{leaver_upn},C1,Mrs Leaver,Mother,1,Yes\n"
        f"{leaver_upn},C2,Mr Leaver,Father,2,Yes\n"
        f"{sibling_upn},C1,Mrs Leaver,Mother,1,Yes\n"
    )
    table = roster_file.read_roster(text.encode(), CONTACTS)
    admin = history.school.actors["admin"]
    contacts_import.apply(sessions, admin, contacts_check.check_table(table))
    retention.purge(sessions, admin, now=NOW)
    assert contacts.for_pupil(sessions, history.leaver) == []
    assert [c.name for c in contacts.for_pupil(sessions, sibling)] == ["Mrs Leaver"]
    with sessions() as session:
        assert list(session.scalars(select(Contact.name))) == ["Mrs Leaver"]
