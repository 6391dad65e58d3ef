"""A log's columns described once: each column's name, title and type, the look-up it
comes from and how its stored value is shown. From the description come the code that
turns the log's rows into the rows the reports show and (in ``csv_lines``) the CSV lines
made at once; ``log_sql`` adds where each named value is read from and makes the joined
query, the lean query and the look-ups. Standard library only: the exports' second
process makes its lines from the same description.

A column whose value lives in a small table that the log's row names by id (a pupil, a
slot, a member of staff) says so with a ``Lookup``. The joined query joins that table;
a log not filtered by pupil reads it whole once instead and looks each row's id up in
Python, which took half the time of joining it for every row. In the lean query each
look-up's columns collapse into its key, at the place of the first of them (or nowhere,
if the key is already one of the log's own columns)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from kiosk.clock import LocalClock
from kiosk.services.reports.cells import ZONE_NAME, Column


@dataclass(frozen=True, eq=False)  # compared by identity: two look-ups of one table differ
class Lookup:
    """A small table the log's rows name by id: the look-up's name (``log_sql`` gives its
    table) and the name of the value holding the id (a column of the log, or a value
    ``log_sql`` gives for the lean query alone)."""

    name: str
    key: str
    inner: bool = False  # a row naming none (or one that is gone) is left out of the log


@dataclass(frozen=True, eq=False)
class Shown:
    """How a column's stored value is shown: a Python expression of ``{v}`` (the column's
    stored value, as the DBAPI gives it: on SQLite flags are 0/1 and days text), of other
    columns' stored values by their names (``{released}``), of ``{text}`` (the
    school-local time of a stored time, ``LocalClock.text``) and of the values in
    ``using`` by their keys. The expressions are made into one function a log (see
    ``row_shaper``): a call a value would cost a third of an export's time."""

    expression: str
    using: Mapping[str, Any] = field(default_factory=dict)


def _stored_day(value: Any) -> dt.date:
    return dt.date.fromisoformat(value) if type(value) is str else value


LOCAL_TIME = Shown("{text}({v})")  # school-local ``YYYY-MM-DD HH:MM:SS``
FLAG = Shown("{v} if {v} is None else {v} is True or {v} == 1")  # yes/no/unknown
DAY = Shown("None if {v} is None else {day}({v})", {"day": _stored_day})


def words(mapping: Mapping[Any, Any], otherwise: str = "{v}") -> Shown:
    """The value's words from ``mapping``; a value it lacks as ``otherwise`` shows it."""
    return Shown(f"{{words}}.get({{v}}, {otherwise})", {"words": mapping})


@dataclass(frozen=True, eq=False)
class Field:
    """One column of a log: its name (its value's in ``log_sql``, and other columns'
    ``Shown`` expressions use it), the look-up it comes from and how it is shown (None: as
    it is)."""

    name: str
    column: Column
    lookup: Lookup | None = None
    shown: Shown | None = None
    unique: bool = False  # every row its own value (a hash, details): not worth remembering
    reads: str = ""  # another column's name: this shows that column's stored value (read once)

    @property
    def own_value(self) -> bool:
        """Whether the log reads a value for this column (not another column's)."""
        return not self.reads


def local_time(name: str, title: str) -> Field:
    """A stored time, shown in school-local time under a title that names the zone."""
    return Field(name, Column(f"{title} ({ZONE_NAME})", "datetime", 20), shown=LOCAL_TIME)


def columns(fields: Sequence[Field]) -> tuple[Column, ...]:
    return tuple(field.column for field in fields)


def lookups(fields: Sequence[Field]) -> list[Lookup]:
    found: list[Lookup] = []
    for field_ in fields:
        if field_.lookup is not None and field_.lookup not in found:
            found.append(field_.lookup)
    return found


def lean_layout(fields: Sequence[Field]) -> list[int | Lookup]:
    """The lean query's columns: the log's own columns by their place in ``fields``, and
    each look-up (its key) at the place of its first column, unless the key is already
    one of the log's own columns."""
    own = {field_.name for field_ in fields if field_.lookup is None}
    layout: list[int | Lookup] = []
    for n, field_ in enumerate(fields):
        if field_.reads:
            continue
        if field_.lookup is None:
            layout.append(n)
        elif field_.lookup not in layout and field_.lookup.key not in own:
            layout.append(field_.lookup)
    return layout


def lookup_widths(fields: Sequence[Field]) -> list[int]:
    """How many of the log's columns each look-up gives, in the order of ``lookups``."""
    return [sum(f.lookup is lookup for f in fields) for lookup in lookups(fields)]


def lookup_table(rows: Iterable[Sequence[Any]], width: int) -> dict[Any, Any]:
    """A look-up's rows (its id, then the ``width`` columns the log takes from it) by id:
    the one column, or a tuple of them."""
    if width == 1:
        return {row[0]: row[1] for row in rows}
    return {row[0]: tuple(row[1:]) for row in rows}


# -- the code made from a description ---------------------------------------------------------
#
# In the code below, column n's stored value is the variable ``c<n>``, look-up n's key
# ``k<n>`` (or the own column holding it), look-up n's table by id ``found<n>``, and a value
# a ``Shown`` uses is ``u<n>_<key>``.


class Code:
    """The names and expressions of one log's fields, for code made from them."""

    def __init__(self, fields: Sequence[Field]) -> None:
        self.fields = tuple(fields)
        self.lookups = lookups(fields)
        self.layout = lean_layout(fields)
        at = {f.name: n for n, f in enumerate(fields)}
        if len(at) < len(fields) or {"v", "text"} & set(at):
            raise ValueError("A log's columns need names of their own, not 'v' or 'text'.")
        for f in fields:
            if f.reads and (f.lookup or f.reads not in at or not fields[at[f.reads]].own_value):
                raise ValueError(f"{f.name!r} reads {f.reads!r}, not a column of its own log.")
        self.names = {f.name: f"c{at[f.reads or f.name]}" for f in fields}
        self.values: dict[str, Any] = {}  # what the code's names stand for

    def shown(self, n: int) -> str:
        """Column ``n``'s shown value as an expression."""
        field_ = self.fields[n]
        if field_.shown is None:
            return self.var(n)
        names = {**self.names, "v": self.var(n), "text": "text"}
        for key, value in field_.shown.using.items():
            names[key] = f"u{n}_{key}"
            self.values[f"u{n}_{key}"] = value
        try:
            return "(" + field_.shown.expression.format_map(names) + ")"
        except KeyError as missing:
            raise ValueError(
                f"{field_.column.title!r} is shown using {missing}, which is not a field's "
                "name nor a value it uses"
            ) from None

    def var(self, n: int) -> str:
        """The variable holding column ``n``'s stored value (another's, if it reads it)."""
        return self.names[self.fields[n].name]

    def key(self, lookup: Lookup) -> str:
        """The variable holding the look-up's key in a lean row."""
        if lookup in self.layout:
            return f"k{self.lookups.index(lookup)}"
        return self.names[lookup.key]

    def lean_row(self) -> str:
        """The lean query's row unpacked into its variables."""
        names = [f"c{at}" if isinstance(at, int) else self.key(at) for at in self.layout]
        return ", ".join(names) + ","

    def joined_row(self) -> str:
        own = [f"c{n}" for n, f in enumerate(self.fields) if f.own_value]
        return ", ".join(own) + ","

    def looked_up(self, lookup: Lookup) -> str:
        """The statement that sets a looked-up row's columns from its key (as the outer
        join gives them when the key names no row; an inner look-up is checked first)."""
        n = self.lookups.index(lookup)
        taken = [f"c{m}" for m, f in enumerate(self.fields) if f.lookup is lookup]
        self.values[f"none{n}"] = (None,) * len(taken)
        if len(taken) == 1:
            return f"{taken[0]} = found{n}.get({self.key(lookup)})"
        return f"{', '.join(taken)}, = found{n}.get({self.key(lookup)}, none{n})"

    def kept(self) -> str:
        """The condition for a lean row to be in the log (its inner look-ups found), or ""
        if every row is."""
        inner = [
            f"{self.key(lookup)} in found{n}"
            for n, lookup in enumerate(self.lookups)
            if lookup.inner
        ]
        return " and ".join(inner)

    def function(self, source: str, name: str) -> Callable[..., Any]:
        label = f"{name} of {self.fields[0].column.title!r}..."
        return generated(source, name, dict(self.values), label)


def generated(source: str, name: str, namespace: dict[str, Any], label: str) -> Callable[..., Any]:
    """The function ``name`` that ``source`` defines, run in ``namespace`` (the values it
    uses); ``label`` names it in a traceback. For the exports' per-log code: a Python call
    a cell cost more than the cell."""
    exec(compile(source, f"<{label}>", "exec"), namespace)
    made: Callable[..., Any] = namespace[name]
    return made


RowShaper = Callable[
    [Iterator[Any], LocalClock, Sequence[dict[Any, Any]]], Iterator[tuple[Any, ...]]
]


@cache
def row_shaper(fields: tuple[Field, ...], lean: bool) -> RowShaper:
    """A function turning the joined query's rows (or, if ``lean``, the lean query's rows
    with the look-ups read by ``read_lookups``) into the rows the reports show. It takes
    SQLAlchemy's rows or the DBAPI's own tuples."""
    code = Code(fields)
    shown = ", ".join(code.shown(n) for n in range(len(fields)))
    lines = ["def shape(rows, clock, found):", "    text = clock.text"]
    if lean:
        lines.extend(f"    found{n} = found[{n}]" for n in range(len(code.lookups)))
        lines.append(f"    for {code.lean_row()} in rows:")
        if code.kept():
            lines.append(f"        if not ({code.kept()}):")
            lines.append("            continue")
        lines.extend(f"        {code.looked_up(lookup)}" for lookup in code.lookups)
    else:
        lines.append(f"    for {code.joined_row()} in rows:")
    lines.append(f"        yield ({shown},)")
    return code.function("\n".join(lines) + "\n", "shape")
