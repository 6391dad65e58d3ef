"""A pupil's contacts from the school's MIS (parents, carers and others) and the link per
pupil: relationship, priority, parental responsibility, whether they may collect, and a
"do not release to" marker (a court order). Kept minimal on purpose (a copy of the database
is a copy of these): a name, an email and a telephone, nothing the release does not need.
One contact may be linked to several pupils (siblings)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.tables.base import Base


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the MIS's own reference for the contact when the export has one, else of
    # its name, email and telephone: how a re-import finds it again, and siblings share it.
    match_key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    telephone: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class PupilContact(Base):
    """One contact of one pupil, as the MIS has it (replaced whole at each import)."""

    __tablename__ = "pupil_contacts"

    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), primary_key=True, index=True)
    relationship: Mapped[str] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(Integer)  # 1 = first to call
    parental_responsibility: Mapped[bool] = mapped_column(Boolean, default=False)
    may_collect: Mapped[bool] = mapped_column(Boolean, default=False)
    do_not_release: Mapped[bool] = mapped_column(Boolean, default=False)
    # Only a short pointer ("court order: see file"): the order itself stays in the
    # safeguarding file, never in this database nor in the audit log.
    court_order_note: Mapped[str | None] = mapped_column(String(120))
