"""The school's mail server (SMTP) and sending one email through it.

The server's name, port, security, user and from address are school settings in the
database; the password is a secret in the key store (``smtp-password``), never in the
database, the config file, a log or an export. A password is only ever sent over STARTTLS
or SSL (certificates checked): a plain connection is for a relay on this computer or the
school's network that needs no log-in.

Every way a send can fail becomes ``MailFailed`` with words for the office: the server
refused (its own answer, e.g. "550 mailbox unavailable"), is not running, cannot be found,
or did not answer in time.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.errors import InvalidInput, KioskError
from kiosk.event_kinds import EventKind
from kiosk.keystore import KeyStore
from kiosk.rules import Action
from kiosk.services import audit, settings
from kiosk.services.audit import Actor
from kiosk.services.common import require
from kiosk.tables import Setting

PASSWORD_KEY = "smtp-password"
SECURITY = ("starttls", "ssl", "none")
SECURITY_WORDS = {"starttls": "STARTTLS", "ssl": "SSL/TLS", "none": "none (no log-in)"}
KEYS = ("smtp_host", "smtp_port", "smtp_security", "smtp_user", "smtp_from")
DEFAULT_PORT = {"starttls": 587, "ssl": 465, "none": 25}
TIMEOUT_S = 15.0
_ADDRESS = re.compile(r"[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[^@\s<>,;\"']+")
_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,252}|\[[0-9A-Fa-f:.]+\]")
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


class MailFailed(KioskError):
    """An email was not sent; the message says why, in words for the office."""


@dataclass(frozen=True)
class MailServer:
    host: str = ""
    port: int = 587
    security: str = "starttls"
    user: str = ""
    from_address: str = ""
    has_password: bool = False

    @property
    def configured(self) -> bool:
        return bool(self.host and self.from_address)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def is_address(text: str) -> bool:
    return bool(_ADDRESS.fullmatch(text))


def server_in(session: Session, store: KeyStore | None = None) -> MailServer:
    values = {key: row.value for key in KEYS if (row := session.get(Setting, key)) is not None}
    security = values.get("smtp_security", "starttls")
    return MailServer(
        host=values.get("smtp_host", ""),
        port=int(values.get("smtp_port") or DEFAULT_PORT.get(security, 587)),
        security=security,
        user=values.get("smtp_user", ""),
        from_address=values.get("smtp_from", ""),
        has_password=store is not None and bool(store.read(PASSWORD_KEY)),
    )


def mail_server(sessions: Database, store: KeyStore | None = None) -> MailServer:
    with sessions() as session:
        return server_in(session, store)


def check_server(server: MailServer, password_set: bool) -> MailServer:
    """The settings tidied, or InvalidInput in words. An empty host turns email off."""
    host, user = server.host.strip(), server.user.strip()
    sender = server.from_address.strip()
    if not host:
        return MailServer()
    if not _HOST.fullmatch(host):
        raise InvalidInput("The mail server is a name such as smtp.office365.com.")
    if not 1 <= server.port <= 65535:
        raise InvalidInput("The port is a number from 1 to 65535 (usually 587 or 465).")
    if server.security not in SECURITY:
        raise InvalidInput("Security is STARTTLS, SSL or none.")
    if not is_address(sender):
        raise InvalidInput("The from address is an email address, e.g. office@school.org.uk.")
    if password_set and not user:
        raise InvalidInput("A password needs the user name it belongs to.")
    if user and server.security == "none" and host.lower() not in _LOCAL_HOSTS:
        raise InvalidInput(
            "A password is only sent over STARTTLS or SSL: choose one, or no user name."
        )
    return MailServer(host, server.port, server.security, user, sender, password_set)


def update_server(
    sessions: Database,
    actor: Actor,
    server: MailServer,
    store: KeyStore,
    password: str | None = None,
) -> MailServer:
    """Save the mail settings (admins). ``password``: None keeps the stored one, "" removes
    it, anything else replaces it (in the key store)."""
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_SETTINGS)
        had_password = bool(store.read(PASSWORD_KEY))
        keeps_password = had_password if password is None else bool(password)
        clean = check_server(server, keeps_password)
        before = server_in(session)
        values = {
            "smtp_host": clean.host,
            "smtp_port": str(clean.port) if clean.host else "",
            "smtp_security": clean.security,
            "smtp_user": clean.user,
            "smtp_from": clean.from_address,
        }
        settings.put_values(session, values)
        changed = "kept" if password is None else ("removed" if not password else "changed")
        audit.append(
            session,
            EventKind.MAIL_SETTINGS_CHANGED,
            actor,
            details={
                "before": _described(before),
                "after": _described(clean),
                "password": changed,  # never the password itself
            },
        )
        # The secret is written last, inside the transaction: if it cannot be written the
        # settings are not saved either.
        if password is not None and clean.host and password:
            store.write(PASSWORD_KEY, password.encode())
        elif password == "" or not clean.host:
            store.erase(PASSWORD_KEY)
        return MailServer(*_fields(clean), has_password=bool(store.read(PASSWORD_KEY)))


def _fields(server: MailServer) -> tuple[str, int, str, str, str]:
    return server.host, server.port, server.security, server.user, server.from_address


def _described(server: MailServer) -> dict[str, str]:
    host, port, security, user, sender = _fields(server)
    return {"host": host, "port": str(port), "security": security, "user": user, "from": sender}


@dataclass(frozen=True)
class Attachment:
    file_name: str
    data: bytes
    mime: tuple[str, str] = ("application", "pdf")


def compose(
    server: MailServer,
    sender_name: str,
    to_name: str,
    to_address: str,
    subject: str,
    body: str,
    attachment: Attachment | None = None,
) -> EmailMessage:
    """One email to one person (so separated parents never see each other's address).
    Names are flattened to one line: no header can be added through a name."""
    if not is_address(to_address):
        raise MailFailed(f"{to_address!r} is not an email address.")
    message = EmailMessage()
    message["From"] = formataddr((" ".join(sender_name.split()), server.from_address))
    message["To"] = formataddr((" ".join(to_name.split()), to_address))
    message["Subject"] = " ".join(subject.split())
    domain = server.from_address.rpartition("@")[2]
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(body)
    if attachment is not None:
        kind, sub = attachment.mime
        message.add_attachment(
            attachment.data, maintype=kind, subtype=sub, filename=attachment.file_name
        )
    return message


def send(server: MailServer, store: KeyStore | None, message: EmailMessage) -> None:
    """Send ``message`` now, waiting at most TIMEOUT_S for each answer from the server;
    MailFailed in words if it did not go."""
    if not server.configured:
        raise MailFailed("No mail server is set up (Admin, Letters and email).")
    password = store.read(PASSWORD_KEY) if store is not None and server.user else None
    try:
        _deliver(server, password.decode() if password else None, message, TIMEOUT_S)
    except MailFailed:
        raise
    except Exception as error:  # every failure becomes words; nothing leaves half-sent
        raise MailFailed(failure_words(server, error)) from error


def _deliver(
    server: MailServer, password: str | None, message: EmailMessage, timeout: float
) -> None:
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if server.security == "ssl":
        client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    with client:
        client.ehlo()
        if server.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if server.user and password:
            client.login(server.user, password)
        client.send_message(message)


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(words.split())}"[:240]


def failure_words(server: MailServer, error: BaseException) -> str:
    where = server.where
    # smtplib reports a read that timed out as "connection unexpectedly closed"
    if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
        return f"The mail server {where} did not answer within {TIMEOUT_S:g} seconds."
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refusals = "; ".join(_reply(c, t) for c, t in error.recipients.values())
        return f"The mail server {where} refused the address: {refusals}."
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"The mail server {where} refused the user name or password."
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return f"The mail server {where} does not offer STARTTLS: choose SSL, or ask IT."
    if isinstance(error, smtplib.SMTPResponseException):
        answer = _reply(error.smtp_code, error.smtp_error)
        return f"The mail server {where} refused the email: {answer}."
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"The mail server {where} closed the connection before the email was sent."
    if isinstance(error, ConnectionRefusedError):
        return f"Nothing answers at {where}: the mail server is down or the port is wrong."
    if isinstance(error, socket.gaierror):
        return f"The mail server's name {server.host} cannot be found: check it, or the network."
    if isinstance(error, ssl.SSLError):
        return f"The secure connection to {where} failed ({error.reason or 'SSL error'})."
    if isinstance(error, OSError):
        return (
            f"The mail server {where} cannot be reached ({error.strerror or type(error).__name__})."
        )
    return f"The email could not be sent through {where} ({type(error).__name__})."
