"""Search and examination records (DfE "Searching, screening and confiscation").

A record is a draft while office staff or a senior fill it in, and final once a senior has
recorded it. A final row is never changed: a correction is a new row of the same series
(``series_id``, the first version's id) with the next ``version``, pointing at the row it
corrects (``supersedes_id``) and saying why. Each final row's content digest is in the
audit log (kiosk.services.searches), so a row changed by SQL shows as not matching it."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.tables.base import Base


class SearchStatus(StrEnum):
    DRAFT = "draft"
    FINAL = "final"


class ItemOutcome(StrEnum):
    """What happened to one thing found."""

    KEPT = "kept"
    RETURNED = "returned"
    POLICE = "police"  # handed to the police
    DISPOSED = "disposed"


class DataOutcome(StrEnum):
    """What became of the data on a device examined."""

    NONE = "none"  # looked at, neither kept nor erased
    KEPT_AS_EVIDENCE = "kept_as_evidence"
    ERASED = "erased"


class SearchRecord(Base):
    __tablename__ = "search_records"
    __table_args__ = (
        UniqueConstraint("series_id", "version", name="uq_search_records_series_version"),
        CheckConstraint("status IN ('draft', 'final')", name="status_known"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_search_records_searched_at", "searched_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int | None] = mapped_column(Integer, index=True)  # the first version's id
    version: Mapped[int] = mapped_column(Integer, default=1)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("search_records.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=SearchStatus.DRAFT.value)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    custody_id: Mapped[int | None] = mapped_column(ForeignKey("custodies.id"), index=True)
    # when and where; who authorised (the head or someone they authorised) and who searched
    searched_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    place: Mapped[str | None] = mapped_column(String(120))
    authorised_by: Mapped[str | None] = mapped_column(String(120))
    searched_by: Mapped[str | None] = mapped_column(String(120))
    witness: Mapped[str | None] = mapped_column(String(120))
    same_sex: Mapped[bool | None] = mapped_column(Boolean)
    not_same_sex_reason: Mapped[str | None] = mapped_column(Text)
    consent: Mapped[bool | None] = mapped_column(Boolean)
    grounds: Mapped[str | None] = mapped_column(Text)
    sought: Mapped[str | None] = mapped_column(Text)  # what was being looked for
    searched_what: Mapped[str | None] = mapped_column(Text)  # pockets, bag, locker, device
    found_nothing: Mapped[bool] = mapped_column(Boolean, default=False)
    # a suspected indecent image of a child: nobody examines the device (the DSL, police do)
    do_not_examine: Mapped[bool] = mapped_column(Boolean, default=False)
    examined: Mapped[bool] = mapped_column(Boolean, default=False)
    examined_by: Mapped[str | None] = mapped_column(String(120))
    examination_reason: Mapped[str | None] = mapped_column(Text)  # the "good reason"
    data_outcome: Mapped[str] = mapped_column(String(20), default=DataOutcome.NONE.value)
    dsl_informed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    dsl_informed_by: Mapped[str | None] = mapped_column(String(120))
    parents_informed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    parents_informed_how: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    finalised_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    items: Mapped[list[SearchItem]] = relationship(
        back_populates="record", order_by="SearchItem.position", cascade="all, delete-orphan"
    )


class SearchItem(Base):
    """One thing found in a search, and what happened to it."""

    __tablename__ = "search_items"
    __table_args__ = (
        CheckConstraint(
            "outcome IN ('kept', 'returned', 'police', 'disposed')", name="outcome_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("search_records.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(10))

    record: Mapped[SearchRecord] = relationship(back_populates="items")
