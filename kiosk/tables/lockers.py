"""The electronic locker banks' tables (issue 19): cabinets, the door on each slot, each
opening of a door and each fault a board reported."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.tables.base import Base


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
