"""Statements every scan runs, compiled once per dialect into SQL text.

At each execution SQLAlchemy finds a Core statement in its compiled cache by hashing the
statement's whole structure (columns, joins, their ORM annotations): for the pupil's day
(``kiosk.services.hand_in_facts``) a key of some 600 nested tuples, about 25 us a scan,
and in all a tenth of a hand-in's CPU. A ``Prepared`` statement is written as Core, as
everywhere else, compiled once for each dialect it meets, and executed as that SQL text,
typed like the original (its constants, its parameters' types, its result columns' names
and types), whose key is the SQL string and a few types.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, column, text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.engine.interfaces import BindTyping
from sqlalchemy.sql.selectable import TextualSelect


class Prepared:
    """A SELECT kept as SQL text per dialect: ``conn.execute(prepared.on(conn), params)``."""

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        self._texts: dict[str, TextualSelect] = {}

    def on(self, conn: Connection) -> TextualSelect:
        """The statement for ``conn``'s dialect (compiled at its first use there)."""
        found = self._texts.get(conn.dialect.name)
        if found is None:
            found = self._texts[conn.dialect.name] = as_text(self.statement, conn.dialect)
        return found


def as_text(statement: Select[*tuple[Any, ...]], dialect: Dialect) -> TextualSelect:
    """``statement`` compiled for ``dialect`` with named parameters, as typed text."""
    compiled = statement.compile(dialect=_named(dialect))
    params = {compiled.bind_names[bind]: bind for bind in compiled.binds.values()}
    if any(bind.expanding for bind in params.values()) or compiled.literal_execute_params:
        raise ValueError("a prepared statement takes no IN lists of values")
    return (
        text(compiled.string)
        .bindparams(*(_param(name, bind) for name, bind in params.items()))
        .columns(*(column(key, col.type) for key, col in statement.selected_columns.items()))
    )


def _named(dialect: Dialect) -> Dialect:
    """A dialect like ``dialect`` that writes parameters as ``:name`` (what text() reads),
    without casts (psycopg's ``:day::DATE``): the connection's own dialect adds those to
    the text's typed parameters when it runs it."""
    like: Any = type(dialect)
    named: Dialect = like(paramstyle="named")
    named.bind_typing = BindTyping.NONE
    return named


def _param(name: str, bind: BindParameter[Any]) -> BindParameter[Any]:
    """The parameter under its compiled name: with its constant value, if it has one."""
    if bind.value is None:
        return bindparam(name, type_=bind.type)
    return bindparam(name, bind.value, type_=bind.type)
