"""Telling parents and arranging collection (issue 18): every email to a parent or carer
about a confiscated device, and the appointment made to collect it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.tables.base import Base


class ParentMessage(Base):
    """One email to one person about one confiscation: the letter, or a reminder of the
    collection appointment. A failed send is a row too (with the mail server's answer in
    words), so staff see what did not go and can send again."""

    __tablename__ = "parent_messages"
    __table_args__ = (
        CheckConstraint("outcome IN ('sent', 'failed')", name="outcome_known"),
        CheckConstraint("outcome = 'sent' OR error IS NOT NULL", name="failure_has_words"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    custody_id: Mapped[int] = mapped_column(ForeignKey("custodies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # letter | reminder
    contact_id: Mapped[int | None] = mapped_column(Integer)  # the MIS contact, if one
    recipient_name: Mapped[str] = mapped_column(String(120))
    recipient_email: Mapped[str] = mapped_column(String(254))
    attempted_at: Mapped[dt.datetime] = mapped_column(DateTime)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    outcome: Mapped[str] = mapped_column(String(10))
    error: Mapped[str | None] = mapped_column(Text)


class CollectionAppointment(Base):
    """When a parent or carer will come for a confiscated device, and who: one of the
    pupil's contacts (``contact_id``) or a name typed by staff. One per device; making it
    again moves it (the audit log keeps every version)."""

    __tablename__ = "collection_appointments"

    custody_id: Mapped[int] = mapped_column(ForeignKey("custodies.id"), primary_key=True)
    on_date: Mapped[dt.date] = mapped_column(Date, index=True)
    at_time: Mapped[dt.time] = mapped_column(Time)
    who: Mapped[str] = mapped_column(String(120))
    contact_id: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
