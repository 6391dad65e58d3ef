"""A log's CSV lines made at once from its description (``reports.fields``), standard
library only: this process and the export's second process (``csv_half``) run this one
code, so their parts of a file are the same bytes."""

from __future__ import annotations

import gc
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from itertools import chain
from operator import itemgetter
from typing import Any, TextIO

from kiosk.clock import LocalClock
from kiosk.services.reports.cells import FORMULA_STARTS, Column, csv_writer, guarded
from kiosk.services.reports.fields import LOCAL_TIME, Code, Field, columns, row_shaper

CHUNK = 5000  # rows a batch


def prepared(rows: Iterable[Sequence[Any]], columns: Sequence[Column]) -> Iterator[Sequence[Any]]:
    """The rows with their free text ``guarded``, for csv.writer (the queries read text as
    it is stored)."""
    free_text = [i for i, column in enumerate(columns) if column.free_text]
    for row in rows:
        if any(
            type(value := row[i]) is str
            and (value[:1] in FORMULA_STARTS or not value.isprintable())
            for i in free_text
        ):
            safe = list(row)
            for i in free_text:
                safe[i] = guarded(safe[i]) if type(safe[i]) is str else safe[i]
            yield safe
        else:
            yield row


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """The cycle collector paused while rows stream: every row is a new tuple, and the
    collections they set off were a tenth of a large export's time. The rows make no
    reference cycles; anything else's are collected once it is switched back on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# -- a log's lines made at once ---------------------------------------------------------------
#
# Profiled on a year of a large school (600,000 events), two thirds of a CSV's time went on
# Python handling each row twice after the DBAPI made it: shaping it as the reports show it,
# then csv.writer quoting each value and handing every line to the text file on its own.
# Here each batch of the cursor's lean rows becomes its text in one f-string a row, made
# once a log from its fields (``_line_form``): a value whose text repeats (words, names,
# flags, a look-up's columns by its key, the school-local hour of a time) is turned into
# csv.writer's own text once (free text ``guarded`` first) and looked up; the rest (ids,
# a time's minutes and seconds, a hash, an event's details: never free text) is written
# between double quotes as csv.writer writes integers, None and text (its double quotes
# doubled, nothing else changed). A batch with any value outside those cases goes through
# the row shaper and csv.writer instead: the bytes are always theirs.


def _csv_cells(values: Sequence[Any]) -> str:
    """What csv.writer writes for ``values`` as a row, without the line end."""
    buffer = io.StringIO()
    csv_writer(buffer).writerow(values)
    return buffer.getvalue().removesuffix("\r\n")


def _as_is(value: Any) -> tuple[Any, ...]:
    return (value,)


class _CellTexts(dict[Any, str]):
    """csv.writer's text for the cells ``shape`` makes of a value (those ``free`` says are
    free text ``guarded``), made once a value. Keyed by value: a column's values are of one
    kind (text, by SQLite's TEXT affinity; flags; ids checked to be ints), so values equal
    as keys (1, 1.0, True) never need different texts."""

    def __init__(
        self, shape: Callable[[Any], tuple[Any, ...]] = _as_is, free: tuple[bool, ...] = ()
    ) -> None:
        super().__init__()
        self.shape, self.free = shape, free

    def __missing__(self, value: Any) -> str:
        cells = self.shape(value)
        if any(self.free):
            cells = tuple(
                guarded(cell) if free and type(cell) is str else cell
                for cell, free in zip(cells, self.free, strict=True)
            )
        text = self[value] = _csv_cells(cells)
        return text


class _LocalHours(dict[str, str]):
    """School-local hours by UTC hour (``LocalClock.hour``); an hour it has none for is
    noted in ``missed`` (not kept, so every use of it is noted) and looked up as ""."""

    def __init__(self, clock: LocalClock) -> None:
        super().__init__()
        self.clock, self.missed = clock, False

    def __missing__(self, key: str) -> str:
        local = self.clock.hour(key) if len(key) == 13 and key[10] == " " else None
        if local is None:
            self.missed = True
            return ""
        self[key] = local
        return local


def _ints(values: Iterable[Any]) -> bool:
    """Whether every value is an int or None."""
    return set(map(type, values)) <= _INT_OR_NONE


_INT_OR_NONE = frozenset({int, type(None)})


def _texts(values: Iterable[Any]) -> bool:
    """Whether every value is text or None."""
    return set(map(type, values)) <= _TEXT_OR_NONE


_TEXT_OR_NONE = frozenset({str, type(None)})


def _plain_texts(values: Iterable[Any], shortest: int = 0) -> bool:
    """Whether every value is text of at least ``shortest`` characters that csv.writer
    writes as it is between its quotes."""
    values = list(values)
    if not set(map(type, values)) <= {str} or min(map(len, values), default=0) < shortest:
        return False
    joined = "".join(values)
    return not any(char in joined for char in _KEPT_APART)


# Not needed for csv.writer's bytes between quotes but for its double quote alone: a batch
# holding these goes to csv.writer all the same, as before every field was quoted.
_KEPT_APART = (",", '"', "\r", "\n")


def _times(values: Iterable[Any]) -> bool:
    """Whether every value is None or stored time text (``YYYY-MM-DD HH:MM:SS...``) that
    csv.writer writes as it is."""
    return _plain_texts((value for value in values if value is not None), shortest=19)


def _group(fields: tuple[Field, ...], n: int) -> list[int]:
    """Field ``n`` and the fields after it that come from the same look-up."""
    group = [n]
    while group[-1] + 1 < len(fields) and fields[group[-1] + 1].lookup is fields[n].lookup:
        group.append(group[-1] + 1)
    return group


_VARIABLE = re.compile(r"\bc(\d+)\b")


def _uses_only(expressions: list[str], group: list[int]) -> bool:
    """Whether the expressions use no column's value outside ``group``."""
    used = {int(n) for expression in expressions for n in _VARIABLE.findall(expression)}
    return used <= set(group)


def _looked_up_in(code: Code, n: int, expression: str) -> str:
    """``expression`` with column ``n``'s value (from a look-up) looked up in place."""
    lookup = code.fields[n].lookup
    assert lookup is not None
    at = code.lookups.index(lookup)
    taken = [m for m, f in enumerate(code.fields) if f.lookup is lookup]
    value = f"found{at}.get({code.key(lookup)})"
    if len(taken) > 1:
        value = f"found{at}.get({code.key(lookup)}, none{at})[{taken.index(n)}]"
        code.values[f"none{at}"] = (None,) * len(taken)
    return re.sub(rf"\bc{n}\b", value, expression)


def _cells(code: Code, n: int) -> tuple[str, str]:
    """The statement making column ``n``'s remembered texts, and what they are looked up
    by: its stored value when how it is shown depends on that value alone (words, a flag:
    worked out once a value), else the value shown."""
    shown, free = code.shown(n), (code.fields[n].column.free_text,)
    if code.fields[n].shown is None or not _uses_only([shown], [n]):
        return f"    cells{n} = Cells(free={free})", shown
    shape = f"    def shown{n}(c{n}):\n        return ({shown},)\n"
    return f"{shape}    cells{n} = Cells(shown{n}, {free})", f"c{n}"


LineMaker = Callable[[list[Any]], "list[str] | None"]


@cache
def _line_form(fields: tuple[Field, ...]) -> Callable[..., tuple[LineMaker, list[_CellTexts]]]:
    """The function that makes, for one export (its clock, look-ups and local hours), a
    maker of CSV lines from a batch of lean rows (None for a batch it does not take)
    and the texts it remembers."""
    code, checks = Code(fields), []
    cells: list[str] = []  # the statements making the texts remembered
    caches: list[str] = []  # their names
    made: list[str] = []  # each column's part of the line
    at = {name: p for p, name in enumerate(code.lean_row().rstrip(",").split(", "))}
    n = 0
    while n < len(fields):
        field_ = fields[n]
        if field_.lookup is not None:
            group = _group(fields, n)
            shown = [code.shown(m) for m in group]
            key, g = code.key(field_.lookup), len(caches)
            free = tuple(fields[m].column.free_text for m in group)
            if _uses_only(shown, group):  # the look-up's columns here, by its key
                cells.append(
                    f"    def shape{g}({key}):\n        {code.looked_up(field_.lookup)}\n"
                    f"        return ({', '.join(shown)},)\n"
                    f"    group{g} = Cells(shape{g}, {free!r})"
                )
                caches.append(f"group{g}")
                made.append(f"{{group{g}[{key}]}}")
            else:  # shown with the row's other values: each looked up where it is used
                for m, expression in zip(group, shown, strict=True):
                    cells.append(f"    cells{m} = Cells(free=({fields[m].column.free_text},))")
                    caches.append(f"cells{m}")
                    made.append(f"{{cells{m}[{_looked_up_in(code, m, expression)}]}}")
            n = group[-1] + 1
            continue
        var = code.var(n)
        if field_.shown is None and field_.column.type == "int":
            checks.append(("ints", at[var]))
            made.append(f"\"{{'' if {var} is None else {var}}}\"")
        elif field_.shown is None and field_.unique and not field_.column.free_text:
            # any text as it is (never free text: that is guarded), its quotes doubled
            checks.append(("texts", at[var]))
            made.append(f"\"{{'' if {var} is None else {var}.replace(Q, QQ)}}\"")
        elif field_.shown is LOCAL_TIME:
            checks.append(("times", at[var]))
            made.append(f"\"{{'' if {var} is None else hours[{var}[:13]] + {var}[13:19]}}\"")
        else:
            statement, key = _cells(code, n)
            cells.append(statement)
            caches.append(f"cells{n}")
            made.append(f"{{cells{n}[{key}]}}")
        n += 1
    tests = [
        f"{test}(chain({', '.join(f'map(column[{p}], rows)' for t, p in checks if t == test)}))"
        for test in ("ints", "texts", "times")
        if any(t == test for t, _ in checks)
    ]
    line, kept = ",".join(made), f" if {code.kept()}" if code.kept() else ""
    source = "\n".join(
        [
            "def make(clock, found, hours):",
            "    text = clock.text",
            *(f"    found{n} = found[{n}]" for n in range(len(code.lookups))),
            *cells,
            "    def lines(rows):",
            f"        if not ({' and '.join(tests) or 'True'}):",
            "            return None",
            "        hours.missed = False",
            f'        made = [f"""{line}\\r\\n""" for {code.lean_row()} in rows{kept}]',
            "        return None if hours.missed else made",
            f"    return lines, [{', '.join(caches)}]",
        ]
    )
    code.values.update(
        Cells=_CellTexts,
        chain=chain,
        ints=_ints,
        texts=_texts,
        times=_times,
        Q='"',
        QQ='""',  # csv.writer doubles a double quote; nothing else (every field is quoted)
        column=[itemgetter(p) for p in range(len(at))],
    )
    return code.function(source + "\n", "make")


class Lines:
    """CSV text for batches of one log's lean rows (``LogReader.lean_batches``)."""

    def __init__(self, fields: tuple[Field, ...], found: list[dict[Any, Any]]) -> None:
        self.clock, self.found = LocalClock(), found
        self.hours = _LocalHours(self.clock)
        self.fast, self.texts = _line_form(fields)(self.clock, found, self.hours)
        self.shape = row_shaper(fields, True)
        self.columns = columns(fields)

    def text(self, rows: list[Any]) -> tuple[str, int]:
        """The batch's CSV text and how many rows of the log it holds."""
        for texts in self.texts:  # mostly a few values each; keep rare ones from piling up
            if len(texts) > 50_000:
                texts.clear()
        fast = self.fast(rows)
        if fast is not None:
            return "".join(fast), len(fast)
        shaped = list(prepared(self.shape(iter(rows), self.clock, self.found), self.columns))
        buffer = io.StringIO()
        csv_writer(buffer).writerows(shaped)
        return buffer.getvalue(), len(shaped)


def write_lines(
    batches: Iterable[list[Any]],
    lines: Lines,
    out: TextIO,
    progress: Callable[[int, int], None] | None = None,
    total: int = 0,
) -> int:
    """Batches of the log's lean rows written to ``out`` as CSV lines; returns how many."""
    done = 0
    with no_cyclic_gc():
        for rows in batches:
            text, written = lines.text(rows)
            out.write(text)
            done += written
            if progress:
                progress(done, total)
    return done
