"""SQLAlchemy 2 tables, one module per part of the school's record; every table is
imported here so that ``Base.metadata`` (Alembic's and the tests' view of the schema) has
them all. The database itself enforces the custody rules that matter (see ``school``)."""

from kiosk.custody_terms import CustodyKind, CustodyState, ReleasedTo
from kiosk.tables.base import NAMING, Base
from kiosk.tables.contacts import Contact, PupilContact
from kiosk.tables.letters import CollectionAppointment, ParentMessage
from kiosk.tables.lockers import LockerCabinet, LockerDoor, LockerFault, LockerOpening
from kiosk.tables.school import (
    HELD,
    AuditEvent,
    AuditHead,
    AuditRedactionGrant,
    Card,
    Confiscation,
    Custody,
    CustodyItem,
    DayOut,
    ExamCandidate,
    ExamSession,
    Exemption,
    ExemptionCategory,
    OutReason,
    PinTries,
    Pupil,
    Role,
    Setting,
    Slot,
    Staff,
)
from kiosk.tables.searches import (
    DataOutcome,
    ItemOutcome,
    SearchItem,
    SearchRecord,
    SearchStatus,
)

__all__ = [
    "HELD",
    "NAMING",
    "AuditEvent",
    "AuditHead",
    "AuditRedactionGrant",
    "Base",
    "Card",
    "CollectionAppointment",
    "Confiscation",
    "Contact",
    "Custody",
    "CustodyItem",
    "CustodyKind",
    "CustodyState",
    "DataOutcome",
    "DayOut",
    "ExamCandidate",
    "ExamSession",
    "Exemption",
    "ExemptionCategory",
    "ItemOutcome",
    "LockerCabinet",
    "LockerDoor",
    "LockerFault",
    "LockerOpening",
    "OutReason",
    "ParentMessage",
    "PinTries",
    "Pupil",
    "PupilContact",
    "ReleasedTo",
    "Role",
    "SearchItem",
    "SearchRecord",
    "SearchStatus",
    "Setting",
    "Slot",
    "Staff",
]
