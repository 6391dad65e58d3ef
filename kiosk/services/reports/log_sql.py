"""Where a log's named columns are read from (``fields``' description has the rest): each
column's SQL value by its name, and each look-up's table by its name. From the two come the
joined query, the lean query and the look-ups' own queries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, select

from kiosk.services.reports.fields import (
    Field,
    Lookup,
    lean_layout,
    lookup_table,
    lookup_widths,
    lookups,
)
from kiosk.services.reports.filter import raw_time


@dataclass(frozen=True)
class LogSql:
    """A log's SQL values by column name (and each look-up's key by its name, if no column
    has it) and its look-ups' tables by their names."""

    values: Mapping[str, Any]
    tables: Mapping[str, Any]

    def covers(self, fields: Sequence[Field]) -> LogSql:
        """This, once checked to give every value and table ``fields`` name; ValueError
        naming what it lacks."""
        wanted = {f.name for f in fields if f.own_value} | {ln.key for ln in lookups(fields)}
        missing = sorted(wanted - set(self.values))
        missing += sorted({ln.name for ln in lookups(fields)} - set(self.tables))
        if missing:
            raise ValueError(f"No SQL given for {', '.join(missing)}.")
        return self

    def value(self, field_: Field) -> Any:
        """A column's SQL value (a stored time as its text)."""
        value = self.values[field_.name]
        return raw_time(value) if field_.column.type == "datetime" else value

    def table(self, lookup: Lookup) -> Any:
        return self.tables[lookup.name]

    def joined_select(self, fields: Sequence[Field]) -> Select[Any]:
        """Every column, each look-up's table joined on its key."""
        query = select(*(self.value(field_) for field_ in fields if field_.own_value))
        for lookup in lookups(fields):
            table, key = self.table(lookup), self.values[lookup.key]
            on = table.id == key
            query = query.join(table, on) if lookup.inner else query.outerjoin(table, on)
        return query

    def lean_select(self, fields: Sequence[Field]) -> Select[Any]:
        """The log's own columns, with each look-up's key where its columns would be."""
        return select(
            *(
                self.value(fields[at]) if isinstance(at, int) else self.values[at.key]
                for at in lean_layout(fields)
            )
        )

    def lookup_selects(self, fields: Sequence[Field]) -> list[Select[Any]]:
        """Each look-up's table: its id, then the columns the log takes from it, in the
        order of ``fields.lookups``."""
        return [
            select(
                self.table(lookup).id,
                *(self.value(field_) for field_ in fields if field_.lookup is lookup),
            )
            for lookup in lookups(fields)
        ]

    def read_lookups(self, connection: Connection, fields: Sequence[Field]) -> list[dict[Any, Any]]:
        """Each look-up's table by id (``fields.lookup_table``), in the order of
        ``fields.lookups``."""
        queries, widths = self.lookup_selects(fields), lookup_widths(fields)
        return [
            lookup_table(connection.execute(query), width)
            for query, width in zip(queries, widths, strict=True)
        ]
