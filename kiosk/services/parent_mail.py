"""Emailing parents about a confiscated device: the letter (PDF attached) to every contact
with parental responsibility who has an email address, and a reminder of the collection
appointment to the contact who will come. Every email is one row in ``parent_messages``
and one audit event, sent or not: a mail server that refuses, is down or does not answer
loses nothing (the letter is still on file, the failure is recorded in words, and staff
can send again).

The mail server is never talked to inside a database transaction: the recipients are read
in one, the emails sent, and the outcomes written in another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kiosk.clock import local_date, to_local
from kiosk.db import Database
from kiosk.errors import InvalidInput, NotAuthorised
from kiosk.event_kinds import EventKind
from kiosk.keystore import KeyStore
from kiosk.rules import Action
from kiosk.services import audit, letters, mail
from kiosk.services.audit import Actor
from kiosk.services.common import now_or, require
from kiosk.services.letter_contacts import Recipient, letter_recipients, reminder_recipient
from kiosk.services.mail import Attachment, MailFailed, MailServer
from kiosk.tables import HELD, CollectionAppointment, Custody, ParentMessage

LETTER, REMINDER = "letter", "reminder"


@dataclass(frozen=True)
class SendResult:
    name: str
    email: str
    error: str | None = None  # words; None when sent

    @property
    def sent(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class MailReport:
    """What happened to one letter's (or reminder's) emails, for the office."""

    results: tuple[SendResult, ...] = ()
    not_sent_because: str | None = None  # nothing was tried: no server, nobody to send to

    @property
    def failed(self) -> tuple[SendResult, ...]:
        return tuple(r for r in self.results if not r.sent)

    def words(self) -> str:
        if self.not_sent_because:
            return self.not_sent_because
        sent = [f"{r.name} ({r.email})" for r in self.results if r.sent]
        parts = [f"Emailed to {', '.join(sent)}." if sent else ""]
        by_error: dict[str, list[str]] = {}  # one server problem is said once
        for result in self.failed:
            by_error.setdefault(result.error or "", []).append(result.name)
        parts += [f"Not sent to {' and '.join(names)}: {e}" for e, names in by_error.items()]
        if self.failed:
            parts.append("Nothing is lost: send again when the mail server is back.")
        return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class MessageRecord:
    kind: str
    recipient_name: str
    recipient_email: str
    attempted_at: dt.datetime  # naive UTC
    outcome: str
    error: str | None


@dataclass(frozen=True)
class _Prepared:
    custody_id: int
    server: MailServer
    sender_name: str  # the school's name
    recipients: tuple[Recipient, ...]
    subject: str
    body: str


def _held_confiscation(session: Session, actor: Actor, custody_id: int) -> Custody:
    require(session, actor, Action.RELEASE_TO_PARENT)
    custody = letters.confiscation_of(session, custody_id)
    if custody.state != HELD:
        raise InvalidInput("That device is no longer held: there is nothing to tell parents.")
    c = custody.confiscation
    if c is not None and (c.dsl_referred_at or c.do_not_examine):
        # The DSL decides whether, and when, parents are told.
        require(session, actor, Action.RELEASE_DSL_REFERRED)
    return custody


def send_letter(
    sessions: Database,
    actor: Actor,
    custody_id: int,
    store: KeyStore,
    pdf: bytes,
    file_name: str,
    now: dt.datetime | None = None,
) -> MailReport:
    """Email the letter (``pdf``, made from ``letters.letter_for``) to the pupil's contacts
    with parental responsibility who have an email address."""
    with sessions() as session:
        custody = _held_confiscation(session, actor, custody_id)
        letter = letters.letter_in(session, custody_id, now)
        server = mail.server_in(session)
        prepared = _Prepared(
            custody.id,
            server,
            letter.school_name,
            tuple(letter_recipients(session, custody.pupil_id)),
            letter.subject,
            "\n\n".join((*letter.paragraphs, "The letter is attached as a PDF.")) + "\n",
        )
    if not server.configured:
        return MailReport(not_sent_because="No email was sent: no mail server is set up.")
    if not prepared.recipients:
        return MailReport(
            not_sent_because="No email was sent: no contact with parental responsibility has "
            "an email address. Post the letter or give it to a parent."
        )
    attachment = Attachment(file_name, pdf)
    return _send_all(sessions, actor, store, prepared, LETTER, attachment, now)


def send_reminder(
    sessions: Database,
    actor: Actor,
    custody_id: int,
    store: KeyStore,
    now: dt.datetime | None = None,
) -> MailReport:
    """Email the person coming to collect the device a reminder of the appointment."""
    with sessions() as session:
        custody = _held_confiscation(session, actor, custody_id)
        appointment = session.get(CollectionAppointment, custody_id)
        if appointment is None:
            raise InvalidInput("No collection appointment is made for this device.")
        server = mail.server_in(session)
        recipient = reminder_recipient(session, custody.pupil_id, appointment)
        values = letters.values_for(session, custody)
        prepared = _Prepared(
            custody.id,
            server,
            values["school_name"],
            (recipient,) if recipient is not None else (),
            f"{values['school_name']}: collecting {values['pupil_forename']}'s device",
            _reminder_body(values, appointment),
        )
    if not server.configured:
        return MailReport(not_sent_because="No reminder was sent: no mail server is set up.")
    if not prepared.recipients:
        return MailReport(
            not_sent_because=f"No reminder was sent: {appointment.who} is not one of the "
            "pupil's contacts with an email address."
        )
    return _send_all(sessions, actor, store, prepared, REMINDER, None, now)


def send_todays_reminders(
    sessions: Database, actor: Actor, store: KeyStore, now: dt.datetime | None = None
) -> list[tuple[int, MailReport]]:
    """A reminder to the contact coming for each of today's (school-local) collections not
    reminded yet; (device, how it went) for each."""
    today = local_date(now_or(now))
    with sessions() as session:
        require(session, actor, Action.RELEASE_TO_PARENT)
        due = session.scalars(
            select(CollectionAppointment.custody_id)
            .join(Custody, Custody.id == CollectionAppointment.custody_id)
            .where(
                CollectionAppointment.on_date == today,
                CollectionAppointment.reminded_at.is_(None),
                CollectionAppointment.contact_id.is_not(None),
                Custody.state == HELD,
            )
            .order_by(CollectionAppointment.at_time)
        ).all()
    return [(custody_id, _reminded(sessions, actor, custody_id, store, now)) for custody_id in due]


def _reminded(
    sessions: Database, actor: Actor, custody_id: int, store: KeyStore, now: dt.datetime | None
) -> MailReport:
    """One of today's reminders; one that may not be sent (a device referred to the DSL,
    for office staff) is said in words and the others still go."""
    try:
        return send_reminder(sessions, actor, custody_id, store, now)
    except (InvalidInput, NotAuthorised) as refused:
        return MailReport(not_sent_because=f"Not sent: {refused}")


def _reminder_body(values: dict[str, str], appointment: CollectionAppointment) -> str:
    day = appointment.on_date
    return (
        f"Dear {appointment.who},\n\n"
        f"This is a reminder that you are expected at {values['school_name']} on "
        f"{day:%A} {day.day} {day:%B %Y} at {appointment.at_time:%H:%M} to collect "
        f"{values['pupil_name']}'s {values['device']}. Please bring identification.\n\n"
        "If you cannot come then, please contact the school office.\n\n"
        f"{values['school_name']}\n"
    )


def _send_all(
    sessions: Database,
    actor: Actor,
    store: KeyStore,
    prepared: _Prepared,
    kind: str,
    attachment: Attachment | None,
    now: dt.datetime | None,
) -> MailReport:
    results = []
    for recipient in prepared.recipients:
        try:
            message = mail.compose(
                prepared.server,
                prepared.sender_name,
                recipient.name,
                recipient.email,
                prepared.subject,
                prepared.body,
                attachment,
            )
            mail.send(prepared.server, store, message)
            results.append(SendResult(recipient.name, recipient.email))
        except MailFailed as failure:
            results.append(SendResult(recipient.name, recipient.email, str(failure)))
    _record(sessions, actor, prepared, kind, results, now_or(now))
    return MailReport(tuple(results))


def _record(
    sessions: Database,
    actor: Actor,
    prepared: _Prepared,
    kind: str,
    results: Sequence[SendResult],
    now: dt.datetime,
) -> None:
    contacts = {(r.name, r.email): r.contact_id for r in prepared.recipients}
    with sessions.begin() as session:
        custody = session.get(Custody, prepared.custody_id)
        assert custody is not None  # read a moment ago; custodies are never deleted
        for result in results:
            session.add(
                ParentMessage(
                    custody_id=custody.id,
                    kind=kind,
                    contact_id=contacts.get((result.name, result.email)),
                    recipient_name=result.name[:120],
                    recipient_email=result.email[:254],
                    attempted_at=now,
                    sent_by_id=actor.id,
                    outcome="sent" if result.sent else "failed",
                    error=result.error,
                )
            )
            audit.append(
                session,
                EventKind.PARENT_EMAIL_SENT if result.sent else EventKind.PARENT_EMAIL_FAILED,
                actor,
                pupil_id=custody.pupil_id,
                custody_id=custody.id,
                at=now,
                details={"what": kind, "to": result.name, "email": result.email}
                | ({"error": result.error} if result.error else {}),
            )
        appointment = session.get(CollectionAppointment, custody.id)
        if kind == REMINDER and appointment is not None and any(r.sent for r in results):
            appointment.reminded_at = now


def messages(sessions: Database, custody_id: int) -> list[MessageRecord]:
    """Every email about one device, oldest first."""
    query = (
        select(ParentMessage)
        .where(ParentMessage.custody_id == custody_id)
        .order_by(ParentMessage.attempted_at, ParentMessage.id)
    )
    with sessions() as session:
        return [
            MessageRecord(
                m.kind, m.recipient_name, m.recipient_email, m.attempted_at, m.outcome, m.error
            )
            for m in session.scalars(query)
        ]


def message_line(record: MessageRecord) -> str:
    """One email in words, e.g. "11 Mar 10:20 letter to Ann Lee (ann@...): sent"."""
    local = to_local(record.attempted_at)
    outcome = "sent" if record.outcome == "sent" else f"NOT SENT: {record.error}"
    return (
        f"{local.day} {local:%b %H:%M} {record.kind} to {record.recipient_name} "
        f"({record.recipient_email}): {outcome}"
    )


def forget_pupils(session: Session, pupil_ids: Sequence[int]) -> None:
    """A purged pupil's emails and collection appointments go with their record (inside
    the purge's transaction): they hold their parents' names and addresses."""
    theirs = select(Custody.id).where(Custody.pupil_id.in_(pupil_ids))
    session.execute(delete(ParentMessage).where(ParentMessage.custody_id.in_(theirs)))
    session.execute(
        delete(CollectionAppointment).where(CollectionAppointment.custody_id.in_(theirs))
    )
