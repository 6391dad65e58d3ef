"""The letter to parents by email, against a real SMTP server on localhost: it reaches the
contacts with parental responsibility who have an email (one message each, the PDF
attached) and each is recorded; a server that refuses, is down or hangs gives words, loses
nothing, and the letter can be sent again."""

from __future__ import annotations

import pytest
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)
from fixtures.letters import family
from fixtures.mail import *  # noqa: F403 (the SMTP servers)
from sqlalchemy import select

from kiosk.errors import InvalidInput, NotAuthorised
from kiosk.printing.letters import letter_path, write_letter
from kiosk.services import confiscation, letters, mail, parent_mail
from kiosk.tables import AuditEvent, ParentMessage, Setting


def letter_pdf(sessions, custody_id, folder):
    path = write_letter(letter_path(folder, custody_id), letters.letter_for(sessions, custody_id))
    return path.read_bytes(), path.name


def send(sessions, actor, custody_id, store, folder):
    pdf, name = letter_pdf(sessions, custody_id, folder)
    return parent_mail.send_letter(sessions, actor, custody_id, store, pdf, name)


def recorded(sessions, custody_id):
    with sessions() as session:
        rows = session.scalars(
            select(ParentMessage)
            .where(ParentMessage.custody_id == custody_id)
            .order_by(ParentMessage.id)
        )
        return [(m.recipient_email, m.outcome, m.error) for m in rows]


def events(sessions, kind):
    with sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.kind == kind)))


def test_the_letter_reaches_each_parent_with_responsibility_and_an_email(
    sessions, school, smtp, mail_store, tmp_path
):
    smtp.configure(sessions, school.actors["admin"], mail_store)
    home = family(sessions, school)
    report = send(sessions, school.actors["office"], home.custody_id, mail_store, tmp_path)

    assert [r.email for r in report.results if r.sent] == [
        "ann.okafor@example.org",
        "ben@example.net",
    ]
    assert report.words().startswith("Emailed to Ann Okafor (ann.okafor@example.org), Ben")
    envelopes = [(rcpt, message["To"]) for rcpt, message in smtp.inbox.received]
    assert envelopes == [
        (["ann.okafor@example.org"], "Ann Okafor <ann.okafor@example.org>"),
        (["ben@example.net"], "Ben Okafor <ben@example.net>"),
    ]
    for _, message in smtp.inbox.received:
        assert message["From"] == "Kingsmead Academy <office@school.example>"
        assert "device was confiscated" in message["Subject"]
        assert "because of: used in lesson" in message.get_body().get_content()
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename().startswith(f"letter-{home.custody_id}-")
        assert attachment.get_content().startswith(b"%PDF")
    assert recorded(sessions, home.custody_id) == [
        ("ann.okafor@example.org", "sent", None),
        ("ben@example.net", "sent", None),
    ]
    assert len(events(sessions, "parent_email_sent")) == 2


def test_a_refusing_server_is_named_in_words_and_the_letter_can_be_sent_again(
    sessions, school, refusing_smtp, smtp, mail_store, tmp_path
):
    office = school.actors["office"]
    refusing_smtp.configure(sessions, school.actors["admin"], mail_store)
    home = family(sessions, school)
    report = send(sessions, office, home.custody_id, mail_store, tmp_path)

    assert not any(r.sent for r in report.results)
    words = f"The mail server 127.0.0.1:{refusing_smtp.port} refused the email: 550 5.7.1 "
    assert all(r.error.startswith(words) for r in report.failed)
    assert "Nothing is lost" in report.words()
    assert [outcome for _, outcome, _ in recorded(sessions, home.custody_id)] == ["failed"] * 2
    (failed, _) = events(sessions, "parent_email_failed")
    assert "550 5.7.1 Message refused by policy" in failed.details

    smtp.configure(sessions, school.actors["admin"], mail_store)  # the server is fixed
    again = send(sessions, office, home.custody_id, mail_store, tmp_path)
    assert [r.sent for r in again.results] == [True, True]
    assert len(smtp.inbox.received) == 2
    assert [o for _, o, _ in recorded(sessions, home.custody_id)] == ["failed"] * 2 + ["sent"] * 2


def test_a_server_that_is_down_gives_words_and_records_the_failed_send(
    sessions, school, unused_port, mail_store, tmp_path
):
    settings = mail.MailServer("127.0.0.1", unused_port, "none", "", "office@school.example")
    mail.update_server(sessions, school.actors["admin"], settings, mail_store)
    home = family(sessions, school)
    report = send(sessions, school.actors["office"], home.custody_id, mail_store, tmp_path)
    assert report.failed[0].error == (
        f"Nothing answers at 127.0.0.1:{unused_port}: the mail server is down or the port is wrong."
    )
    assert [o for _, o, _ in recorded(sessions, home.custody_id)] == ["failed", "failed"]


def test_a_server_that_never_answers_times_out_in_words(
    sessions, school, silent_port, mail_store, tmp_path, monkeypatch
):
    monkeypatch.setattr(mail, "TIMEOUT_S", 0.5)
    settings = mail.MailServer("127.0.0.1", silent_port, "none", "", "office@school.example")
    mail.update_server(sessions, school.actors["admin"], settings, mail_store)
    home = family(sessions, school)
    report = send(sessions, school.actors["office"], home.custody_id, mail_store, tmp_path)
    assert report.failed[0].error == (
        f"The mail server 127.0.0.1:{silent_port} did not answer within 0.5 seconds."
    )


def test_without_a_mail_server_nothing_is_tried_and_the_office_is_told(
    sessions, school, mail_store, tmp_path
):
    home = family(sessions, school)
    report = send(sessions, school.actors["office"], home.custody_id, mail_store, tmp_path)
    assert report.results == () and "no mail server is set up" in report.words()
    assert recorded(sessions, home.custody_id) == []


def test_a_device_referred_to_the_dsl_is_emailed_only_by_senior_staff(
    sessions, school, smtp, mail_store, tmp_path
):
    smtp.configure(sessions, school.actors["admin"], mail_store)
    home = family(sessions, school)
    confiscation.refer_to_dsl(sessions, school.actors["office"], home.custody_id, "concern")
    with pytest.raises(NotAuthorised):
        send(sessions, school.actors["office"], home.custody_id, mail_store, tmp_path)
    assert smtp.inbox.received == []
    send(sessions, school.actors["senior"], home.custody_id, mail_store, tmp_path)
    assert len(smtp.inbox.received) == 2


def test_the_password_lives_in_the_key_store_never_in_the_database(sessions, school, mail_store):
    secret = "correct-horse-battery-9"
    admin = school.actors["admin"]
    server = mail.MailServer("smtp.example.org", 587, "starttls", "office", "office@x.example")
    saved = mail.update_server(sessions, admin, server, mail_store, password=secret)
    assert saved.has_password and mail_store.read(mail.PASSWORD_KEY) == secret.encode()
    with sessions() as session:
        stored = [s.value for s in session.scalars(select(Setting))]
        details = [e.details for e in session.scalars(select(AuditEvent))]
    assert not any(secret in text for text in stored + details)
    assert mail.mail_server(sessions, mail_store).has_password
    mail.update_server(sessions, admin, server, mail_store)  # None keeps it
    assert mail_store.read(mail.PASSWORD_KEY) == secret.encode()
    mail.update_server(sessions, admin, server, mail_store, password="")
    assert mail_store.read(mail.PASSWORD_KEY) is None


@pytest.mark.parametrize(
    ("server", "words"),
    [
        (mail.MailServer("smtp.example.org", 25, "none", "office", "o@x.example"), "only sent"),
        (mail.MailServer("smtp example", 587, "starttls", "", "o@x.example"), "a name such"),
        (mail.MailServer("smtp.example.org", 0, "starttls", "", "o@x.example"), "1 to 65535"),
        (mail.MailServer("smtp.example.org", 587, "starttls", "", "office"), "from address"),
    ],
)
def test_unusable_mail_settings_are_refused_in_words(sessions, school, mail_store, server, words):
    with pytest.raises(InvalidInput, match=words):
        mail.update_server(sessions, school.actors["admin"], server, mail_store, password="pw")
    assert mail_store.read(mail.PASSWORD_KEY) is None
