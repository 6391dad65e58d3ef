"""Random and mutated scanner payloads and roster CSVs through the real entry points.

The contract checked for every input: the service either succeeds with the right answer or
raises a ``KioskError`` whose message is plain words fit for the screen; anything else (an
``AttributeError``, a driver error, a traceback) is a crash. A refused input writes nothing:
the database's fingerprint is the same before and after. Used by tests/reliability (a few
thousand inputs) and benchmarks/fuzz.py (100,000).
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from new_cards import new_card
from sqlalchemy import func, select

from kiosk import card_codec
from kiosk.db import Database
from kiosk.demo import DemoSchool
from kiosk.errors import KioskError
from kiosk.services import cards, chain_check, custody
from kiosk.services.audit import Actor
from kiosk.tables import AuditEvent, Card, Custody, Pupil, Staff

# A message for the screen: a sentence, not a repr or a traceback.
PLAIN_WORDS = re.compile(r"^[A-Z0-9'\"][^\n]{3,400}[.!?)]$")
ODD_TEXT = (
    "\u200b",  # zero-width space
    "\ufeff",  # byte-order mark
    "\x00",
    "\r\n",
    "\t",
    "\u0130",  # capital I with dot
    "\u0131",  # dotless i
    "\u00df",  # sharp s: upper() makes it two letters
    "\u0410",  # Cyrillic A, looks like A
    "\U0001f4f1",  # mobile phone emoji
    "\ud800",  # lone surrogate
    "\u202e",  # right-to-left override
    "..",
    "%",
    "'; DROP TABLE pupils; --",
)
MAX_FUZZ_LENGTH = 20_000  # repeated mutations would otherwise grow a text without bound
NOT_TEXT: tuple[object, ...] = (None, 0, -1, 2**70, 1.5, float("nan"), [], {}, b"", object())


@dataclass
class FuzzReport:
    inputs: int = 0
    accepted: int = 0
    refusals: Counter[str] = field(default_factory=Counter)  # error class -> count
    crashes: list[str] = field(default_factory=list)  # first few, with the input
    crash_count: int = 0
    seconds: float = 0.0

    def crash(self, what: str) -> None:
        self.crash_count += 1
        if len(self.crashes) < 20:
            self.crashes.append(what)


def fingerprint(sessions: Database) -> tuple[Any, ...]:
    """Changes whenever a hand-in, a collection, a card, a PIN check or an import writes
    anything. One query, run after every refused input: its SQL is compiled once per
    dialect (building and compiling it each time cost 1.4 s of CPU for 2,000 calls,
    against 0.3 s)."""
    dialect = sessions.engine.dialect
    sql = _FINGERPRINT_SQL.get(dialect.name)
    if sql is None:
        compiled = _fingerprint_query().compile(dialect=dialect)
        assert not compiled.params, compiled.params  # nothing to bind: plain SQL
        sql = _FINGERPRINT_SQL[dialect.name] = str(compiled)
    with sessions.engine.connect() as connection:
        return tuple(connection.exec_driver_sql(sql).one())


_FINGERPRINT_SQL: dict[str, str] = {}  # dialect name -> the fingerprint's SQL


def _fingerprint_query() -> Any:
    def scalar(*columns: Any) -> Any:
        return select(*columns).scalar_subquery()

    return select(
        scalar(func.count(Custody.id)),
        scalar(func.max(Custody.released_at)),
        scalar(func.count(AuditEvent.seq)),
        scalar(func.max(AuditEvent.hash)),
        scalar(func.count(Card.id)),
        scalar(func.max(Card.revoked_at)),
        scalar(func.count(Pupil.id)),
        scalar(func.max(Pupil.updated_at)),
        scalar(func.sum(Staff.failed_attempts)),
        scalar(func.max(Staff.locked_until)),
    )


# -- scanner payloads ----------------------------------------------------------------------


@dataclass(frozen=True)
class CardWorld:
    """What the fuzzer knows: the valid card texts (upper case) and whose they are."""

    valid: dict[str, int]
    revoked: list[str]
    forged: list[str]  # right format, signed with another install's secret
    other_school: list[str]


def card_world(sessions: Database, school: DemoSchool, revoke: int = 3) -> CardWorld:
    """The school's cards, after reissuing a few (so their old texts are revoked)."""
    admin = school.actors["admin"]
    revoked = [school.card_texts[p] for p in school.pupil_ids[:revoke]]
    valid = {t: p for p, t in school.card_texts.items()}
    for pupil_id, old in zip(school.pupil_ids[:revoke], revoked, strict=True):
        del valid[old]
        valid[new_card(sessions, admin, pupil_id)] = pupil_id
    other_secret = b"another install's secret"
    forged = [
        card_codec.encode(other_secret, "KMA", p, 1001 + i) for i, p in enumerate(valid.values())
    ]
    with sessions() as session:
        from kiosk.services import settings

        secret = settings.card_secret(session)
    other_school = [card_codec.encode(secret, "OTHER", p, 1001) for p in valid.values()]
    return CardWorld(valid, revoked, forged, other_school)


def _mutate(text: str, rng: random.Random) -> str:
    if not text:
        return rng.choice(ODD_TEXT)
    i = rng.randrange(len(text))
    choice = rng.randrange(12)
    if choice == 0:  # flip one character to another of the card alphabet
        return text[:i] + rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.") + text[i + 1 :]
    if choice == 1:
        return text[:i] + text[i + 1 :]
    if choice == 2:
        return text[:i] + rng.choice(ODD_TEXT) + text[i:]
    if choice == 3:
        j = rng.randrange(len(text))
        chars = list(text)
        chars[i], chars[j] = chars[j], chars[i]
        return "".join(chars)
    if choice == 4:
        return text[:i]
    if choice == 5:
        return text + text[i:]
    if choice == 6:
        return text.lower() if rng.random() < 0.5 else f"  {text}\r\n"
    if choice == 7:  # a USB scanner on the wrong keyboard layout, or a dropped key
        return text.replace(".", rng.choice([">", "/", "", ","]))
    if choice == 8:
        return text * rng.randint(2, 200)
    if choice == 9:
        parts = text.split(".")
        k = rng.randrange(len(parts))
        parts[k] = rng.choice(["", "0", "-1", "ZZZZZZZZZZZ", parts[k] * 3, "HK2"])
        return ".".join(parts)
    if choice == 10:
        return "".join(chr(ord(c) ^ rng.choice((1, 32, 64))) if c.isalnum() else c for c in text)
    return text[:i] + chr(rng.randrange(0x20, 0x3000)) + text[i:]


def _random_text(rng: random.Random) -> str:
    length = rng.choice((0, 1, 5, 20, 40, 63, 64, 65, 200, 5000))
    if rng.random() < 0.5:
        return "".join(chr(rng.randrange(0x20, 0x7F)) for _ in range(length))
    return "".join(chr(rng.randrange(0x1, 0x2FFF)) for _ in range(length))


def payloads(world: CardWorld, count: int, seed: int) -> Iterator[object]:
    """``count`` scanner inputs: valid cards (some mutated once or several times), revoked,
    forged and other-school cards, random text and bytes, and things that are not text."""
    rng = random.Random(seed)
    valid = list(world.valid)
    sources = (valid, world.revoked, world.forged, world.other_school)
    for _ in range(count):
        kind = rng.random()
        if kind < 0.08:
            yield rng.choice(valid)
        elif kind < 0.75:
            text = rng.choice(rng.choice(sources))
            for _ in range(rng.choice((1, 1, 1, 2, 3, 8))):
                text = _mutate(text, rng)[:MAX_FUZZ_LENGTH]
            yield text.encode("utf-8", "surrogatepass") if rng.random() < 0.05 else text
        elif kind < 0.93:
            yield _random_text(rng)
        elif kind < 0.98:
            yield bytes(rng.randrange(256) for _ in range(rng.choice((0, 3, 40, 64, 300))))
        else:
            yield rng.choice(NOT_TEXT)


def expected_pupil(world: CardWorld, scanned: object) -> int | None:
    """Whose card this is, by the documented rule: surrounding blanks ignored, upper case
    (a scanner with Caps Lock on sends lower case); anything else must be refused."""
    if isinstance(scanned, bytes):
        scanned = scanned.decode("utf-8", errors="replace")
    if not isinstance(scanned, str):
        return None
    return world.valid.get(scanned.strip().upper())


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) < 120 else text[:117] + "..."


def check_refusal(exc: KioskError, report: FuzzReport, scanned: object) -> None:
    report.refusals[type(exc).__name__] += 1
    if not PLAIN_WORDS.match(str(exc)):
        report.crash(f"unclear message {str(exc)!r} for {_describe(scanned)}")


def fuzz_cards(
    sessions: Database, school: DemoSchool, world: CardWorld, count: int, seed: int
) -> FuzzReport:
    """Each input through ``cards.pupil_for_card`` (a read) and ``custody.hand_in_by_card``
    (a write). An accepted hand-in is collected again so the slots never run out."""
    report = FuzzReport()
    office = school.actors["office"]
    began = time.perf_counter()
    state = fingerprint(sessions)
    for scanned in payloads(world, count, seed):
        report.inputs += 1
        wanted = expected_pupil(world, scanned)
        _lookup(sessions, scanned, wanted, report)
        if _hand_in(sessions, scanned, wanted, report, state, office):
            state = fingerprint(sessions)
    report.seconds = time.perf_counter() - began
    return report


def _lookup(sessions: Database, scanned: object, wanted: int | None, report: FuzzReport) -> None:
    try:
        with sessions() as session:
            found = cards.pupil_for_card(session, scanned).id
    except KioskError as exc:
        if wanted is not None:
            report.crash(f"valid card refused ({exc}) {_describe(scanned)}")
        return check_refusal(exc, report, scanned)
    except Exception as exc:
        return report.crash(f"lookup raised {type(exc).__name__}: {exc} for {_describe(scanned)}")
    if found != wanted:
        report.crash(f"lookup gave pupil {found}, expected {wanted}, for {_describe(scanned)}")


def _hand_in(
    sessions: Database,
    scanned: object,
    wanted: int | None,
    report: FuzzReport,
    state: tuple[Any, ...],
    office: Actor,
) -> bool:
    """One hand-in (given back at once if accepted). True if the database changed."""
    try:
        result = custody.hand_in_by_card(sessions, scanned)
    except KioskError as exc:
        if wanted is not None:
            report.crash(f"valid card refused at hand-in ({exc}) {_describe(scanned)}")
        check_refusal(exc, report, scanned)
        if fingerprint(sessions) != state:
            report.crash(f"a refused hand-in wrote something: {_describe(scanned)}")
            return True
        return False
    except Exception as exc:
        report.crash(f"hand-in raised {type(exc).__name__}: {exc} for {_describe(scanned)}")
        return True
    report.accepted += 1
    if result.pupil.id != wanted:
        report.crash(f"hand-in for pupil {result.pupil.id}, expected {wanted}")
    if result.custody_id is not None and not result.already_held:
        custody.collect(sessions, result.custody_id, office)
    return True


def chain_problem(sessions: Database) -> str | None:
    report = chain_check.verify(sessions)
    return None if report.intact else report.describe()


# -- roster CSVs -----------------------------------------------------------------------------

ROSTER_HEADERS = (
    "UPN",
    "Adno",
    "Legal Forename",
    "Preferred Forename",
    "Legal Surname",
    "Year",
    "Reg",
    "DOB",
)
CSV_NOISE = ('"', '""', ",", ";", "\t", "\n", "\r", "\x00", "=", '="0012"', "#N/A", "\ufeff")


def roster_rows(sessions: Database) -> list[list[str]]:
    """The school's pupils as an MIS export would list them."""
    with sessions() as session:
        pupils = session.scalars(select(Pupil).order_by(Pupil.id)).all()
        return [
            [
                p.upn,
                p.admission_number,
                p.legal_forename,
                p.preferred_forename or "",
                p.surname,
                f"Year {p.year_group}",
                p.reg_group,
                p.date_of_birth.strftime("%d/%m/%Y") if p.date_of_birth else "",
            ]
            for p in pupils
        ]


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    def cell(value: str) -> str:
        if any(ch in value for ch in (delimiter, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    return "\r\n".join(delimiter.join(cell(v) for v in row) for row in rows) + "\r\n"


def _mutate_rows(rows: list[list[str]], rng: random.Random) -> list[list[str]]:
    rows = [list(r) for r in rows]
    for _ in range(rng.choice((0, 1, 1, 2, 5))):
        if not rows:
            break
        r, choice = rng.randrange(len(rows)), rng.randrange(8)
        c = rng.randrange(len(rows[r])) if rows[r] else 0
        if choice == 0 and rows[r]:
            rows[r][c] = rng.choice(CSV_NOISE) + rows[r][c]
        elif choice == 1 and rows[r]:
            rows[r][c] = _random_text(rng)[:120]
        elif choice == 2:
            del rows[r]
        elif choice == 3:
            rows.insert(r, list(rows[r]))  # a duplicated pupil
        elif choice == 4 and rows[r]:
            del rows[r][c]  # a short row
        elif choice == 5:
            rows[r].append(rng.choice(CSV_NOISE))
        elif choice == 6 and rows[r]:
            rows[r][c] = ""
        else:
            rng.shuffle(rows[r])
    return rows


def roster_files(base: list[list[str]], count: int, seed: int) -> Iterator[bytes]:
    """``count`` roster files: the real one with rows and cells mutated, other encodings and
    delimiters, a title above the header, then bytes flipped, cut short, or pure noise."""
    rng = random.Random(seed)
    for _ in range(count):
        kind = rng.random()
        if kind < 0.05:
            yield bytes(rng.randrange(256) for _ in range(rng.choice((0, 1, 100, 3000))))
            continue
        header = list(ROSTER_HEADERS)
        if rng.random() < 0.2:
            mutated = _mutate_rows([header], rng)
            header = mutated[0] if mutated and rng.random() < 0.5 else header[::-1]
        body = _mutate_rows(base, rng) if rng.random() < 0.8 else base
        if rng.random() < 0.1:
            body = body[: rng.randrange(len(body) + 1)]
        rows = [header, *body]
        if rng.random() < 0.1:
            rows = [["Student list (all)"], [], *rows]
        text = csv_text(rows, rng.choice((",", ",", ";", "\t", "|")))
        data = text.encode(
            rng.choice(("utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1")), "replace"
        )
        if rng.random() < 0.15:
            data = _flip_bytes(data, rng)
        if rng.random() < 0.05:
            data = data[: rng.randrange(len(data) + 1)]
        yield data


def _flip_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def fuzz_roster(
    sessions: Database, school: DemoSchool, count: int, seed: int, *, apply_share: float = 1.0
) -> FuzzReport:
    """Each file through ``roster_file.read_roster`` and ``roster_check.check_table``;
    ``apply_share`` of them also through ``roster.preview`` and ``roster.apply`` (as the
    admin). An import either happens whole or, refused, leaves the database exactly as it
    was."""
    from kiosk.services import roster, roster_check, roster_file

    report = FuzzReport()
    admin = school.actors["admin"]
    rng = random.Random(seed)
    began = time.perf_counter()
    for data in roster_files(roster_rows(sessions), count, seed):
        report.inputs += 1
        try:
            checked = roster_check.check_table(roster_file.read_roster(data))
            for problem in checked.problems:
                if not problem.describe().strip():
                    report.crash(f"an empty problem message for {_describe(data)}")
            if rng.random() < apply_share:
                _import(roster, sessions, admin, checked, rng.random() < 0.3, report, data)
        except KioskError as exc:
            check_refusal(exc, report, data)
        except Exception as exc:
            report.crash(f"roster raised {type(exc).__name__}: {exc} for {_describe(data)}")
    report.seconds = time.perf_counter() - began
    return report


def _import(
    roster: Any,
    sessions: Database,
    admin: Any,
    checked: Any,
    confirm: bool,
    report: FuzzReport,
    data: bytes,
) -> None:
    roster.preview(sessions, checked)
    before = fingerprint(sessions)
    try:
        roster.apply(sessions, admin, checked, confirm_leavers=confirm)
    except KioskError as exc:
        check_refusal(exc, report, data)
        if fingerprint(sessions) != before:
            report.crash(f"a refused import wrote something: {_describe(data)}")
        return
    report.accepted += 1
