"""The text printed on a pupil card (QR and Code128), and how a scanned text is read back.

A core value module (no Qt, no database): services issue and read cards with it, and
printing draws the text it makes.

Format: ``HK1.<school>.<pupil-ref>.<serial>.<mac>``

* ``school``: the school's short code, 2-8 upper-case letters/digits.
* ``pupil-ref``: the pupil's database id in base 36 (no name, no UPN on the card).
* ``serial``: the card serial in base 36; reissuing a card gives a new serial.
* ``mac``: HMAC-SHA256 over the first four fields under the install secret, truncated to
  64 bits and written in base 32 without padding.

Everything is upper case, digits and dots, so a QR code can use its dense alphanumeric
mode and a Code128 stays short enough for a CR80 card.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import Enum

VERSION = "HK1"
MAX_LENGTH = 64
MAC_BYTES = 8
_SCHOOL_RE = re.compile(r"[A-Z0-9]{2,8}")
_FIELD_RE = re.compile(r"[0-9A-Z]{1,10}")
_MAC_RE = re.compile(r"[A-Z2-7]{13}")


class CardProblem(Enum):
    """Why a scanned text is not a card of this school. Each has words for the screen."""

    EMPTY = "Nothing was read. Please show your card again."
    NOT_A_CARD = "That is not a pupil card. Please show your school card."
    TOO_LONG = "That is not a pupil card. Please show your school card."
    OTHER_SCHOOL = "This card belongs to another school. Please see the office."
    FORGED = "Card not recognised. Please see the office."


@dataclass(frozen=True)
class CardPayload:
    school: str
    pupil_id: int
    serial: int


@dataclass(frozen=True)
class CardRejected:
    problem: CardProblem

    @property
    def message(self) -> str:
        return self.problem.value


def _to_base36(value: int) -> str:
    if value < 0:
        raise ValueError("card numbers are never negative")
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while True:
        value, rem = divmod(value, 36)
        out = digits[rem] + out
        if value == 0:
            return out


def _mac(secret: bytes, body: str) -> str:
    digest = hmac.new(secret, body.encode("ascii"), hashlib.sha256).digest()[:MAC_BYTES]
    return base64.b32encode(digest).decode("ascii").rstrip("=")


def normalise_school_code(school: str) -> str:
    code = school.strip().upper()
    if not _SCHOOL_RE.fullmatch(code):
        raise ValueError("school code must be 2-8 letters or digits")
    return code


def encode(secret: bytes, school: str, pupil_id: int, serial: int) -> str:
    """The signed text to print on the card."""
    body = ".".join(
        (VERSION, normalise_school_code(school), _to_base36(pupil_id), _to_base36(serial))
    )
    return f"{body}.{_mac(secret, body)}"


def read(text: object, secret: bytes, school: str) -> CardPayload | CardRejected:
    """Read a scanned text. Never raises: anything that is not a valid card of this
    school comes back as a ``CardRejected`` with the reason."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str):
        return CardRejected(CardProblem.NOT_A_CARD)
    cleaned = text.strip()
    if not cleaned:
        return CardRejected(CardProblem.EMPTY)
    if len(cleaned) > MAX_LENGTH:
        return CardRejected(CardProblem.TOO_LONG)
    # Some USB scanners send lower case when Caps Lock is on; the format is upper case only.
    cleaned = cleaned.upper()
    parts = cleaned.split(".")
    if len(parts) != 5 or parts[0] != VERSION:
        return CardRejected(CardProblem.NOT_A_CARD)
    _, card_school, ref, serial, mac = parts
    if not (
        _SCHOOL_RE.fullmatch(card_school)
        and _FIELD_RE.fullmatch(ref)
        and _FIELD_RE.fullmatch(serial)
        and _MAC_RE.fullmatch(mac)
    ):
        return CardRejected(CardProblem.NOT_A_CARD)
    if card_school != normalise_school_code(school):
        return CardRejected(CardProblem.OTHER_SCHOOL)
    body = ".".join(parts[:4])
    if not hmac.compare_digest(_mac(secret, body), mac):
        return CardRejected(CardProblem.FORGED)
    return CardPayload(school=card_school, pupil_id=int(ref, 36), serial=int(serial, 36))
