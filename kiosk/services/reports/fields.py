"""A log's columns described once: each column's title and type with the value it shows,
from which the joined query, the lean query and the look-ups are made.

A column whose value lives in a small table that the log's row names by id (a pupil, a
slot, a member of staff) says so with a ``Lookup``. The joined query joins that table;
a log not filtered by pupil reads it whole once instead and looks each row's id up in
Python, which took half the time of joining it for every row. In the lean query each
look-up's columns collapse into its key, at the place of the first of them (or nowhere,
if the key is already one of the log's own columns)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, select

from kiosk.services.reports.filter import Column, TextGuard


@dataclass(frozen=True, eq=False)  # SQL expressions compare into expressions: by identity
class Lookup:
    """A small table the log's rows name by id."""

    table: Any  # the table's class, or an alias of it
    key: Any  # the log's column holding its id
    inner: bool = False  # a row naming none (or one that is gone) is left out of the log


@dataclass(frozen=True, eq=False)
class Field:
    """One column of a log and the SQL value it shows (free text is guarded as asked)."""

    column: Column
    value: Any
    lookup: Lookup | None = None

    def read(self, safe: TextGuard) -> Any:
        return safe(self.value) if self.column.free_text else self.value


def columns(fields: Sequence[Field]) -> tuple[Column, ...]:
    return tuple(field.column for field in fields)


def _lookups(fields: Sequence[Field]) -> list[Lookup]:
    found: list[Lookup] = []
    for field in fields:
        if field.lookup is not None and field.lookup not in found:
            found.append(field.lookup)
    return found


def joined_select(fields: Sequence[Field], safe: TextGuard) -> Select[Any]:
    """Every column, each look-up's table joined on its key."""
    query = select(*(field.read(safe) for field in fields))
    for lookup in _lookups(fields):
        on = lookup.table.id == lookup.key
        query = query.join(lookup.table, on) if lookup.inner else query.outerjoin(lookup.table, on)
    return query


def lean_select(fields: Sequence[Field], safe: TextGuard) -> Select[Any]:
    """The log's own columns, with each look-up's key where its columns would be."""
    own = [field.value for field in fields if field.lookup is None]
    selected, keyed = [], []
    for field in fields:
        if field.lookup is None:
            selected.append(field.read(safe))
        elif field.lookup not in keyed:
            keyed.append(field.lookup)
            if not any(value is field.lookup.key for value in own):
                selected.append(field.lookup.key)
    return select(*selected)


def read_lookups(
    connection: Connection, fields: Sequence[Field], safe: TextGuard
) -> list[dict[Any, Any]]:
    """Each look-up's table by id, in the order of the lean query's keys: the value is
    the one column it gives, or a tuple of its columns when it gives several."""
    found = []
    for lookup in _lookups(fields):
        values = [field.read(safe) for field in fields if field.lookup is lookup]
        rows = connection.execute(select(lookup.table.id, *values))
        if len(values) == 1:
            found.append({row[0]: row[1] for row in rows})
        else:
            found.append({row[0]: tuple(row[1:]) for row in rows})
    return found
