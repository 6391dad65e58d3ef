"""The school's record: pupils, cards, slots, staff, custody, confiscations, exemptions,
exams, settings and the audit log. The database itself enforces the custody rules that matter: one
pupil's hand-in per held slot, one held daily hand-in per pupil and slot-sized part (partial
unique indexes), and a device taken from its slot apart from the rest only with a reason
(a check constraint)."""

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
    String,
    Text,
    Time,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.custody_terms import CustodyState
from kiosk.tables.base import Base


class Role(StrEnum):
    OFFICE = "office"
    SENIOR = "senior"  # senior leader / Designated Safeguarding Lead
    ADMIN = "admin"


class OutReason(StrEnum):
    """Why a pupil's devices left the slots during the day (the pupil is out of school)."""

    APPOINTMENT = "appointment"
    ILLNESS = "illness"
    TRIP = "trip"
    CLUB = "club"
    OTHER = "other"


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
    # what the pupil hands in each morning (kiosk.devices.encode); NULL: one phone
    usual_devices: Mapped[str | None] = mapped_column(String(200))
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
    # Set when a hand-in to this slot is undone: a phone may still be in it, so no one is
    # sent here until a member of staff has checked it is empty (then it is cleared).
    check_needed_since: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    pin_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Wrong PINs for this account, at every kiosk, since its last log-in (kiosk.rules:
    # PIN_HARD_LOCK_AT of them lock it until an admin unlocks it, at pin_locked_at).
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)  # no longer written
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    pin_locked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class PinTries(Base):
    """The current burst of wrong PINs for one account at one kiosk (its ``kiosk_name``):
    what the kiosk's waits grow from (kiosk.rules.pin_wait). In the database, so that
    several kiosks on one database agree."""

    __tablename__ = "pin_tries"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    terminal: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_failure_at: Mapped[dt.datetime] = mapped_column(DateTime)


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
            "uq_custodies_held_daily_pupil_part",
            "pupil_id",
            "part",
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
    # a pupil's devices that do not fit one slot take several: part 1, 2, ...
    part: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
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
    id_seen_as: Mapped[str | None] = mapped_column(String(60))  # "Driving licence"
    # A release to a parent or carer: whether they were one of the pupil's MIS contacts who
    # may collect; someone else needs a senior member of staff, who is named here.
    released_to_listed: Mapped[bool | None] = mapped_column(Boolean)
    release_authorised_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    release_reason: Mapped[str | None] = mapped_column(String(20))  # OutReason, "emergency"
    release_note: Mapped[str | None] = mapped_column(String(200))
    # Handed in with staff finding the pupil by name (card forgotten); received_by names them.
    card_less: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    late: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    pupil: Mapped[Pupil] = relationship()
    slot: Mapped[Slot | None] = relationship()
    confiscation: Mapped[Confiscation | None] = relationship(back_populates="custody")
    items: Mapped[list[CustodyItem]] = relationship(
        back_populates="custody", order_by="CustodyItem.id"
    )


class CustodyItem(Base):
    """One device of a custody (a phone, a watch...). It is held while its custody is, and
    leaves with it; one taken out apart from the rest records when, by whom and why."""

    __tablename__ = "custody_items"
    __table_args__ = (
        CheckConstraint(
            "released_at IS NULL OR (release_reason IS NOT NULL AND release_reason <> '')",
            name="released_apart_has_reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    custody_id: Mapped[int] = mapped_column(ForeignKey("custodies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(80))
    released_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    release_reason: Mapped[str | None] = mapped_column(String(200))

    custody: Mapped[Custody] = relationship(back_populates="items")


class DayOut(Base):
    """A pupil out of school during the day (appointment, trip...): their devices were
    released when they left; ``back_at`` is set when they hand in again (or staff mark them
    back). Open ones of today are who is still out."""

    __tablename__ = "day_outs"
    __table_args__ = (Index("ix_day_outs_pupil_open", "pupil_id", "back_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(200))
    group_name: Mapped[str | None] = mapped_column(String(80))
    out_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    out_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    slot_number: Mapped[int | None] = mapped_column(Integer)  # the slot they left
    device_kinds: Mapped[str | None] = mapped_column(String(200))  # kiosk.devices.encode
    back_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    back_custody_id: Mapped[int | None] = mapped_column(ForeignKey("custodies.id"))


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
    # The escalation ladder (kiosk.services.escalation): the n-th in its term, the release
    # condition given, and why, when it is not the school's rule for that step.
    term_step: Mapped[int | None] = mapped_column(Integer)
    release_condition: Mapped[str | None] = mapped_column(String(20))
    condition_note: Mapped[str | None] = mapped_column(Text)

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
    review_on: Mapped[dt.date | None] = mapped_column(Date)  # NULL: granted before review dates
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ExamSession(Base):
    """An exam set by staff: its candidates are reminded at hand-in to hand in every device."""

    __tablename__ = "exam_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    on_date: Mapped[dt.date] = mapped_column(Date, index=True)
    starts_at: Mapped[dt.time] = mapped_column(Time)
    title: Mapped[str] = mapped_column(String(120))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ExamCandidate(Base):
    __tablename__ = "exam_candidates"

    exam_id: Mapped[int] = mapped_column(ForeignKey("exam_sessions.id"), primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), primary_key=True, index=True)


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
