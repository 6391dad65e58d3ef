"""SQLAlchemy 2 tables. The database itself enforces the custody rules that matter:
one held device per slot, and one held daily hand-in per pupil (partial unique indexes)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Role(StrEnum):
    OFFICE = "office"
    SENIOR = "senior"  # senior leader / Designated Safeguarding Lead
    ADMIN = "admin"


class CustodyKind(StrEnum):
    DAILY = "daily"
    CONFISCATION = "confiscation"


class CustodyState(StrEnum):
    HELD = "held"
    RELEASED = "released"
    HANDED_TO_POLICE = "handed_to_police"
    CANCELLED = "cancelled"  # a hand-in undone within the undo window


class ReleasedTo(StrEnum):
    PUPIL = "pupil"
    PARENT = "parent"


class ExemptionCategory(StrEnum):
    MEDICAL = "medical"
    YOUNG_CARER = "young_carer"
    OTHER = "other"


HELD = CustodyState.HELD.value


class Pupil(Base):
    __tablename__ = "pupils"

    id: Mapped[int] = mapped_column(primary_key=True)
    upn: Mapped[str] = mapped_column(String(13), unique=True)
    admission_number: Mapped[str] = mapped_column(String(20), unique=True)
    legal_forename: Mapped[str] = mapped_column(String(100))
    preferred_forename: Mapped[str | None] = mapped_column(String(100))
    surname: Mapped[str] = mapped_column(String(100))  # legal surname
    preferred_surname: Mapped[str | None] = mapped_column(String(100))
    year_group: Mapped[int] = mapped_column(Integer)
    reg_group: Mapped[str] = mapped_column(String(20), index=True)
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    brings_device: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    purged_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)

    cards: Mapped[list[Card]] = relationship(back_populates="pupil")

    @property
    def display_forename(self) -> str:
        return self.preferred_forename or self.legal_forename

    @property
    def display_surname(self) -> str:
        return self.preferred_surname or self.surname

    @property
    def display_name(self) -> str:
        return f"{self.display_forename} {self.display_surname}"


class Card(Base):
    __tablename__ = "cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    serial: Mapped[int] = mapped_column(Integer, unique=True)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    pupil: Mapped[Pupil] = relationship(back_populates="cards")


class Slot(Base):
    __tablename__ = "slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    cabinet: Mapped[str] = mapped_column(String(40), default="A")
    label: Mapped[str | None] = mapped_column(String(40))
    in_service: Mapped[bool] = mapped_column(Boolean, default=True)
    reserved_for_confiscation: Mapped[bool] = mapped_column(Boolean, default=False)


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    pin_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Custody(Base):
    """One device in the school's hands, from receipt to release."""

    __tablename__ = "custodies"
    __table_args__ = (
        Index(
            "uq_custodies_held_slot",
            "slot_id",
            unique=True,
            sqlite_where=text("state = 'held'"),
            postgresql_where=text("state = 'held'"),
        ),
        Index(
            "uq_custodies_held_daily_pupil",
            "pupil_id",
            unique=True,
            sqlite_where=text("state = 'held' AND kind = 'daily'"),
            postgresql_where=text("state = 'held' AND kind = 'daily'"),
        ),
        Index("ix_custodies_state_kind", "state", "kind"),
        Index("ix_custodies_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id"))
    kind: Mapped[str] = mapped_column(String(12))
    state: Mapped[str] = mapped_column(String(20), default=HELD)
    description: Mapped[str | None] = mapped_column(String(200))
    switched_off_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    keep_overnight_on: Mapped[dt.date | None] = mapped_column(Date)
    released_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    released_to: Mapped[str | None] = mapped_column(String(10))
    released_to_name: Mapped[str | None] = mapped_column(String(120))
    released_to_relationship: Mapped[str | None] = mapped_column(String(60))
    id_seen: Mapped[bool | None] = mapped_column(Boolean)

    pupil: Mapped[Pupil] = relationship()
    slot: Mapped[Slot | None] = relationship()
    confiscation: Mapped[Confiscation | None] = relationship(back_populates="custody")


class Confiscation(Base):
    __tablename__ = "confiscations"

    custody_id: Mapped[int] = mapped_column(ForeignKey("custodies.id"), primary_key=True)
    reason_category: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    do_not_examine: Mapped[bool] = mapped_column(Boolean, default=False)
    dsl_referred_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    dsl_referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    dsl_note: Mapped[str | None] = mapped_column(Text)
    police_officer: Mapped[str | None] = mapped_column(String(120))
    police_number: Mapped[str | None] = mapped_column(String(40))
    police_reference: Mapped[str | None] = mapped_column(String(60))
    police_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    custody: Mapped[Custody] = relationship(back_populates="confiscation")


class Exemption(Base):
    __tablename__ = "exemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text)
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AuditEvent(Base):
    """Append-only, hash-chained. ``hash`` = SHA-256 over the canonical event (which holds
    ``details_digest``, not the details) and ``prev_hash``. Keeping the digest in the chain
    lets a retention purge redact personal details without breaking verification."""

    __tablename__ = "audit_events"
    __table_args__ = (
        CheckConstraint("seq > 0", name="seq_positive"),
        Index(
            "ix_audit_events_redacted",
            "seq",
            "pupil_id",
            sqlite_where=text("redacted"),
            postgresql_where=text("redacted"),
        ),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str | None] = mapped_column(String(100))
    pupil_id: Mapped[int | None] = mapped_column(Integer, index=True)
    slot_number: Mapped[int | None] = mapped_column(Integer)
    custody_id: Mapped[int | None] = mapped_column(Integer, index=True)
    details: Mapped[str] = mapped_column(Text)
    details_digest: Mapped[str] = mapped_column(String(64))
    # Random, per event: details_digest = SHA-256(salt + details). NULL on events written
    # before salting (plain digest) and on redacted ones (destroyed with the details).
    details_salt: Mapped[str | None] = mapped_column(String(32))
    redacted: Mapped[bool] = mapped_column(Boolean, default=False)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditRedactionGrant(Base):
    """A pupil whose audit events the running retention purge may redact: written and
    deleted again inside the purge's transaction (the UPDATE trigger checks it)."""

    __tablename__ = "audit_redaction_grants"

    pupil_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    granted_in: Mapped[int | None] = mapped_column(BigInteger)  # PostgreSQL transaction id


class AuditHead(Base):
    """A kiosk key line's newest signed chain head: (seq, hash) signed with the line's key
    of ``epoch`` (kiosk.record)."""

    __tablename__ = "audit_heads"

    line: Mapped[str] = mapped_column(String(60), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))


# -- electronic locker banks (issue 19) ------------------------------------------------------


class LockerCabinet(Base):
    """A cabinet of slots (``Slot.cabinet`` by name) whose doors a lock-control board opens:
    the driver family and how to reach its bus."""

    __tablename__ = "locker_cabinets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    driver: Mapped[str] = mapped_column(String(40))
    port: Mapped[str] = mapped_column(String(200))
    baud: Mapped[int] = mapped_column(Integer, default=19200)
    pulse_ms: Mapped[int | None] = mapped_column(Integer)
    occupancy_sensors: Mapped[bool] = mapped_column(Boolean, default=True)
    hook_closed_bit: Mapped[int] = mapped_column(Integer, default=1)
    door_open_limit_s: Mapped[int] = mapped_column(Integer, default=60)


class LockerDoor(Base):
    """Which board and channel open one slot's door."""

    __tablename__ = "locker_doors"
    __table_args__ = (
        Index("uq_locker_doors_channel", "cabinet_id", "board", "channel", unique=True),
    )

    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"), primary_key=True)
    cabinet_id: Mapped[int] = mapped_column(ForeignKey("locker_cabinets.id"))
    board: Mapped[int] = mapped_column(Integer)
    channel: Mapped[int] = mapped_column(Integer)


class LockerOpening(Base):
    """One door opened on purpose (a hand-in, a release, an emergency, a technician's
    test), followed until the door is shut again and what was in the slot then."""

    __tablename__ = "locker_openings"
    __table_args__ = (
        Index("ix_locker_openings_finished_at", "finished_at"),
        Index("ix_locker_openings_slot_finished", "slot_id", "finished_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    purpose: Mapped[str] = mapped_column(String(12))
    custody_id: Mapped[int | None] = mapped_column(ForeignKey("custodies.id"), index=True)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    state: Mapped[str] = mapped_column(String(12))
    seen_open_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    shut_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str | None] = mapped_column(String(30))


class LockerFault(Base):
    """Something staff must look at: a door left open, a jammed lock, a slot occupied that
    the records call free, a board not answering, a hand-in declared but not deposited."""

    __tablename__ = "locker_faults"
    __table_args__ = (Index("ix_locker_faults_cleared_at", "cleared_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    slot_number: Mapped[int | None] = mapped_column(Integer)
    cabinet: Mapped[str | None] = mapped_column(String(40))
    board: Mapped[int | None] = mapped_column(Integer)
    custody_id: Mapped[int | None] = mapped_column(ForeignKey("custodies.id"))
    raised_at: Mapped[dt.datetime] = mapped_column(DateTime)
    message: Mapped[str] = mapped_column(String(200))
    cleared_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    cleared_note: Mapped[str | None] = mapped_column(Text)
