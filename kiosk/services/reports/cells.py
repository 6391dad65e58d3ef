"""A log's columns and the safety of their cells, standard library only (the exports'
second process reads them too): each column's title and type, and text typed by people
made safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from typing import Any, Literal, TextIO

from kiosk.clock import SCHOOL_ZONE

ZONE_NAME = str(SCHOOL_ZONE)
ColumnType = Literal["int", "text", "datetime", "date", "bool"]


@dataclass(frozen=True)
class Column:
    title: str
    type: ColumnType
    width: int = 12  # characters, a hint for spreadsheets
    free_text: bool = False  # typed by people: guarded against formula injection in CSV


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as a formula
# Control characters (C0 but tab, line feed and carriage return; DEL; C1): a NUL ahead of
# "=" hid a formula from the guard, and spreadsheets drop or choke on the rest. Line breaks
# and tabs stay: a quoted cell holds them, and a note may have several lines.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def guarded(value: str) -> str:
    """Text typed by people made safe to open in a spreadsheet: control characters
    removed, then a leading apostrophe if it would start a formula ("CSV injection").
    Unchanged in nearly every case (and then checked at C speed)."""
    if not value.isprintable():
        value = CONTROL.sub("", value)
    return "'" + value if value[:1] in FORMULA_STARTS else value


def csv_writer(out: TextIO) -> Any:
    """The CSV writer of every export: the "excel" dialect (CRLF), every field quoted (a
    spreadsheet whose locale splits at ";" splits an unquoted field there)."""
    return csv.writer(out, quoting=csv.QUOTE_ALL)
