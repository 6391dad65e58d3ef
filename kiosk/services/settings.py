"""School-wide settings kept in the database, so every kiosk on one database agrees."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.card_codec import normalise_school_code
from kiosk.db import Database
from kiosk.errors import InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.keystore import KeyStore
from kiosk.rules import Action
from kiosk.services import audit, ladder, school_keys
from kiosk.services.audit import Actor
from kiosk.services.common import require
from kiosk.services.school_keys import SchoolKeys
from kiosk.tables import Setting

DEFAULTS: dict[str, str] = {
    "school_name": "Our School",
    "school_code": "SCHOOL",
    "handin_opens": "07:00",
    "handin_closes": "10:00",
    "collection_opens": "14:45",
    "collection_closes": "18:00",
    "sound": "on",
    "retention_days": "365",
    "card_grace_days": "14",  # after a card key change, how long old cards still work
    "mode": "auto",  # auto (by the times above), handin or collection
    # devices one slot holds; 0: a slot holds a pupil's day's items (phone, watch...)
    "slot_capacity": "0",
    # the escalation ladder: the n-th confiscation in a term's release condition (ladder.py)
    "escalation_rules": ladder.DEFAULT_RULES,
    "term_starts": ladder.DEFAULT_TERM_STARTS,
    # a confiscated device still held this many school-local days after it was taken is
    # flagged as unclaimed (lists, dashboard, exports)
    "unclaimed_days": "5",
    # automatic backups kept: the newest of each of so many days, weeks, months (SQLite;
    # kiosk.services.backup_rotation). Backups made by a person are never deleted by the kiosk.
    "backup_keep_daily": "14",
    "backup_keep_weekly": "8",
    "backup_keep_monthly": "12",
}
PUBLIC_KEYS = frozenset(DEFAULTS)
# a whole number in a range: (lowest, highest, what it counts)
NUMBERS: dict[str, tuple[int, int, str]] = {
    "backup_keep_daily": (1, 366, "days of automatic backups kept"),
    "backup_keep_weekly": (0, 260, "weeks of automatic backups kept"),
    "backup_keep_monthly": (0, 120, "months of automatic backups kept"),
    "unclaimed_days": (1, 60, "days before a confiscated device is flagged unclaimed"),
}


@dataclass(frozen=True)
class SchoolSettings:
    school_name: str
    school_code: str
    handin_opens: dt.time
    handin_closes: dt.time
    collection_opens: dt.time
    collection_closes: dt.time
    sound: bool
    retention_days: int
    mode: str
    # automatic backups kept (days, weeks, months): kiosk.services.backup_rotation
    backups_kept: tuple[int, int, int] = (14, 8, 12)


def ensure_install(sessions: Database, store: KeyStore | None = None) -> SchoolKeys:
    """Create the default settings on first start, and make, move or check the school's
    keys in ``store`` (by default the one beside the SQLite file; see
    ``kiosk.services.school_keys``). Safe to repeat, and when two kiosks start at once."""
    with sessions.read() as session:  # at every start: read first, no write lock
        present = set(session.scalars(select(Setting.key).where(Setting.key.in_(DEFAULTS))))
    for key, value in DEFAULTS.items():
        if key in present:
            continue
        try:
            with sessions.begin() as session:
                if session.get(Setting, key) is None:
                    session.add(Setting(key=key, value=value))
        except IntegrityError:
            continue  # another kiosk created it first
    engine = sessions.engine
    if store is None:
        held = school_keys.attached(engine)
        if held is not None:
            return held  # provisioned at start from the configured key store
        store = school_keys.store_for(engine)
    return school_keys.provision(sessions, store)


def get_value(session: Session, key: str) -> str:
    row = session.get(Setting, key)
    if row is not None:
        return row.value
    if key in DEFAULTS:
        return DEFAULTS[key]
    raise KeyError(key)


def put_values(session: Session, values: dict[str, str]) -> None:
    """Store each setting's new value (a row added for one still at its default)."""
    for key, value in values.items():
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=value))
        else:
            row.value = value


def card_secret(session: Session) -> bytes:
    """The current card key (from the key store: never shown, exported or logged)."""
    return school_keys.of(session.connection()).card_secret


def parse_time(value: str) -> dt.time:
    try:
        return dt.time.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"'{value}' is not a time like 08:30.") from exc


def load(sessions: Database) -> SchoolSettings:
    with sessions() as session:
        values = {key: get_value(session, key) for key in DEFAULTS}
    return SchoolSettings(
        school_name=values["school_name"],
        school_code=values["school_code"],
        handin_opens=parse_time(values["handin_opens"]),
        handin_closes=parse_time(values["handin_closes"]),
        collection_opens=parse_time(values["collection_opens"]),
        collection_closes=parse_time(values["collection_closes"]),
        sound=values["sound"] == "on",
        retention_days=int(values["retention_days"]),
        mode=values["mode"],
        backups_kept=(
            int(values["backup_keep_daily"]),
            int(values["backup_keep_weekly"]),
            int(values["backup_keep_monthly"]),
        ),
    )


def _validate(key: str, value: str) -> str:
    value = value.strip()
    if key not in PUBLIC_KEYS:
        raise InvalidInput(
            f"Unknown setting '{key}'. The settings are: {', '.join(sorted(PUBLIC_KEYS))}."
        )
    if key.endswith(("_opens", "_closes")):
        return parse_time(value).strftime("%H:%M")
    if key == "retention_days" and not (value.isdigit() and 30 <= int(value) <= 3650):
        raise InvalidInput("Retention is a number of days from 30 to 3650.")
    if key == "card_grace_days" and not (value.isdigit() and 0 <= int(value) <= 90):
        raise InvalidInput("The grace period for old cards is a number of days from 0 to 90.")
    if key == "sound" and value not in ("on", "off"):
        raise InvalidInput("Sound is on or off.")
    if key == "slot_capacity" and not (value.isdigit() and 0 <= int(value) <= 10):
        raise InvalidInput("Slot capacity is a number of devices from 0 (no limit) to 10.")
    if key in NUMBERS:
        lowest, highest, what = NUMBERS[key]
        if not (value.isdigit() and lowest <= int(value) <= highest):
            raise InvalidInput(f"{key} ({what}) is a whole number from {lowest} to {highest}.")
        return str(int(value))
    if key == "mode" and value not in ("auto", "handin", "collection"):
        raise InvalidInput("Mode is auto, handin or collection.")
    if key == "escalation_rules":
        return ladder.format_rules(ladder.parse_rules(value))
    if key == "term_starts":
        return ladder.format_term_starts(ladder.parse_term_starts(value))
    if key == "school_code":
        try:
            return normalise_school_code(value)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
    if not value:
        raise InvalidInput("A value is needed.")
    return value


def update(sessions: Database, actor: Actor, changes: dict[str, str]) -> None:
    """Change one or more settings; the mode alone may be changed by office staff."""
    action = Action.SET_MODE if set(changes) == {"mode"} else Action.MANAGE_SETTINGS
    with sessions.begin() as session:
        require(session, actor, action)
        clean = {key: _validate(key, value) for key, value in changes.items()}
        before = {key: get_value(session, key) for key in clean}
        put_values(session, clean)
        audit.append(
            session, EventKind.SETTINGS_CHANGED, actor, details={"before": before, "after": clean}
        )
