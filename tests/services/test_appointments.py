"""Collection appointments: made with a contact who may collect (never a barred one) or a
name, shown in the awaiting-parent list with the emails and the unclaimed flag, listed on
the day, and reminded by email to the contact who will come."""

from __future__ import annotations

import datetime as dt

import pytest
from fixtures.console_days import TODAY, YESTERDAY, at
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)
from fixtures.letters import booked, family
from fixtures.mail import *  # noqa: F403 (the SMTP servers)
from sqlalchemy import select

from kiosk.errors import InvalidInput, NotHeld
from kiosk.services import appointments, confiscation, parent_mail
from kiosk.tables import AuditEvent

TOMORROW = TODAY + dt.timedelta(days=1)
FOUR = dt.time(16, 0)
NOW = at(TODAY, 9)


def make(sessions, actor, custody_id, day, time, who="", contact_id=None):
    return appointments.make_appointment(
        sessions, actor, custody_id, day, time, who, contact_id, now=NOW
    )


def test_an_appointment_with_a_contact_is_shown_awaiting_a_parent(sessions, school):
    office = school.actors["office"]
    home = family(sessions, school, now=at(TODAY - dt.timedelta(days=6), 10))
    made = make(sessions, office, home.custody_id, TOMORROW, FOUR, contact_id=home.mum)
    assert made.who == "Ann Okafor" and made.words == "Thu 12 Mar 16:00, Ann Okafor"
    (waiting,) = appointments.awaiting_parent(sessions, at(TODAY, 9))
    assert waiting.appointment == made
    assert (waiting.days, waiting.unclaimed) == (6, True)
    assert (waiting.emails_sent, waiting.emails_failed) == (0, 0)


def test_a_barred_contact_or_one_who_may_not_collect_is_refused_in_words(sessions, school):
    office = school.actors["office"]
    home = family(sessions, school, now=NOW)
    with pytest.raises(InvalidInput, match="Rob Stone \\(father\\) is marked 'do not release to'"):
        make(sessions, office, home.custody_id, TOMORROW, FOUR, contact_id=home.barred)
    with pytest.raises(InvalidInput, match="not one of this pupil's contacts"):
        make(sessions, office, home.custody_id, TOMORROW, FOUR, contact_id=999_999)
    with pytest.raises(InvalidInput, match="in the past"):
        make(sessions, office, home.custody_id, YESTERDAY, FOUR, "Aunt May")
    with pytest.raises(InvalidInput, match="type their name"):
        make(sessions, office, home.custody_id, TOMORROW, FOUR, "  ")
    assert booked(sessions, home.custody_id) is None


def test_moving_and_cancelling_keep_every_version_in_the_audit_log(sessions, school):
    office = school.actors["office"]
    home = family(sessions, school, now=NOW)
    make(sessions, office, home.custody_id, TOMORROW, FOUR, "Aunt May")
    later = dt.time(17, 30)
    moved = make(sessions, office, home.custody_id, TOMORROW, later, contact_id=home.dad)
    assert (moved.at_time, moved.who) == (later, "Ben Okafor")
    appointments.cancel_appointment(sessions, office, home.custody_id)
    assert booked(sessions, home.custody_id) is None
    with sessions() as session:
        details = session.scalars(
            select(AuditEvent.details)
            .where(AuditEvent.custody_id == home.custody_id)
            .order_by(AuditEvent.seq)
        ).all()
    assert '"moved_from":"Thu 12 Mar 16:00, Aunt May"' in details[-2]
    assert "Ben Okafor" in details[-1]


def test_todays_appointments_list_only_devices_still_held(sessions, school):
    office = school.actors["office"]
    first = family(sessions, school, 0, NOW)
    second = family(sessions, school, 1, NOW)
    for home, time in ((first, dt.time(15, 30)), (second, dt.time(9, 0))):
        appointments.make_appointment(
            sessions, office, home.custody_id, TODAY, time, "Someone", now=at(TODAY, 8)
        )
    today = appointments.appointments_today(sessions, at(TODAY, 8))
    assert [t.device.custody_id for t in today] == [second.custody_id, first.custody_id]
    confiscation.release_to_parent(
        sessions, office, second.custody_id, "", "", True, contact_id=second.mum
    )
    assert [
        t.device.custody_id for t in appointments.appointments_today(sessions, at(TODAY, 8))
    ] == [first.custody_id]
    with pytest.raises(NotHeld):
        appointments.make_appointment(
            sessions, office, second.custody_id, TODAY, FOUR, "Again", now=at(TODAY, 8)
        )


def test_the_reminder_goes_to_the_contact_who_will_come(
    sessions, school, smtp, mail_store, tmp_path
):
    office = school.actors["office"]
    smtp.configure(sessions, school.actors["admin"], mail_store)
    home = family(sessions, school, now=NOW)
    make(sessions, office, home.custody_id, TOMORROW, FOUR, contact_id=home.dad)
    report = parent_mail.send_reminder(sessions, office, home.custody_id, mail_store)
    assert report.words() == "Emailed to Ben Okafor (ben@example.net)."
    ((rcpt, message),) = smtp.inbox.received
    assert rcpt == ["ben@example.net"]
    body = message.get_body().get_content()
    assert "on Thursday 12 March 2026 at 16:00 to collect" in body
    assert booked(sessions, home.custody_id).reminded_at is not None
    history = parent_mail.messages(sessions, home.custody_id)
    assert [(m.kind, m.outcome) for m in history] == [("reminder", "sent")]

    make(sessions, office, home.custody_id, TOMORROW, FOUR, "Aunt May")
    words = parent_mail.send_reminder(sessions, office, home.custody_id, mail_store).words()
    assert words.startswith("No reminder was sent: Aunt May is not one of the pupil's contacts")


def test_todays_reminders_go_once_to_each_contact_coming_today(sessions, school, smtp, mail_store):
    office = school.actors["office"]
    smtp.configure(sessions, school.actors["admin"], mail_store)
    first = family(sessions, school, 0, NOW)
    second = family(sessions, school, 1, NOW)
    referred = family(sessions, school, 2, NOW)
    named = family(sessions, school, 3, NOW)
    confiscation.refer_to_dsl(sessions, office, referred.custody_id, "concern", now=NOW)
    make(sessions, office, first.custody_id, TODAY, FOUR, contact_id=first.mum)
    make(sessions, office, second.custody_id, TODAY, dt.time(9, 30), contact_id=second.dad)
    make(sessions, office, referred.custody_id, TODAY, FOUR, contact_id=referred.mum)
    make(sessions, office, named.custody_id, TODAY, FOUR, "Aunt May")  # no email to send to
    make(sessions, office, family(sessions, school, 4, NOW).custody_id, TOMORROW, FOUR, "X")

    reports = dict(parent_mail.send_todays_reminders(sessions, office, mail_store, now=NOW))
    assert set(reports) == {first.custody_id, second.custody_id, referred.custody_id}
    assert reports[referred.custody_id].not_sent_because.startswith("Not sent: Your role")
    assert [rcpt for rcpt, _ in smtp.inbox.received] == [
        ["ben@example.net"],  # 09:30 first
        ["ann.okafor@example.org"],
    ]
    again = parent_mail.send_todays_reminders(sessions, office, mail_store, now=NOW)
    assert [custody for custody, _ in again] == [referred.custody_id]  # the others went
    assert len(smtp.inbox.received) == 2
