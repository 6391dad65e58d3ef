"""A log's description (``reports.fields``: names, titles, how shown) and where its columns
are read from (``reports.log_sql``) are checked against each other when they are made; a
column that shows another's stored value reads it once."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import sqlite

from kiosk.services.reports import audit_columns, audit_log
from kiosk.services.reports.cells import Column
from kiosk.services.reports.fields import Code, Field, Lookup, lean_layout
from kiosk.services.reports.log_sql import LogSql
from kiosk.tables import AuditEvent, Pupil

TEXT = Column("A", "text")


def test_sql_lacking_a_column_or_a_lookup_table_is_named():
    pupil = Lookup("pupil", "pupil_id")
    fields = (Field("seq", TEXT), Field("surname", TEXT, pupil))
    with pytest.raises(ValueError, match="No SQL given for pupil_id, surname, pupil"):
        LogSql({"seq": AuditEvent.seq}, {}).covers(fields)
    values = {"seq": AuditEvent.seq, "pupil_id": AuditEvent.pupil_id, "surname": Pupil.surname}
    assert LogSql(values, {"pupil": Pupil}).covers(fields)


@pytest.mark.parametrize(
    "fields",
    [
        (Field("kind", TEXT), Field("code", TEXT, reads="nothing")),
        (Field("kind", TEXT, reads="code"), Field("code", TEXT, reads="kind")),
        (Field("kind", TEXT), Field("kind", TEXT)),
        (Field("v", TEXT),),
    ],
    ids=["unknown", "each other", "one name twice", "a reserved name"],
)
def test_a_description_that_does_not_hold_together_is_refused(fields):
    with pytest.raises(ValueError, match=r"reads|names of their own"):
        Code(fields)


def test_the_event_code_reads_the_stored_kind_once():
    """The audit log's "Event" (in words) and "Event code" (as stored) are one value in
    its queries."""
    fields = audit_columns.AUDIT_FIELDS
    code = next(n for n, f in enumerate(fields) if f.column.title == "Event code")
    kind = next(n for n, f in enumerate(fields) if f.name == "kind")
    assert code not in lean_layout(fields) and kind in lean_layout(fields)
    assert Code(fields).var(code) == Code(fields).var(kind)
    joined = audit_log.AUDIT_SQL.joined_select(fields)
    assert len(joined.selected_columns) == len(fields) - 1
    sql = str(joined.compile(dialect=sqlite.dialect()))
    assert sql.count("audit_events.kind") == 1
