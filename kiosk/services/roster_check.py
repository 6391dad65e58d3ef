"""Checking a roster file row by row against its column mapping: every value (UPN with its
check letter, names, year group, date of birth) and duplicates across rows, collecting
every problem at once so a school fixes the file in one go. Pure: touches no database."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from kiosk.clock import local_date, utcnow
from kiosk.services.pupils import PupilRecord
from kiosk.services.roster_columns import (
    FIELD_LABELS,
    ROSTER,
    ColumnMap,
    Field,
    FieldSet,
)
from kiosk.services.roster_file import RawTable

NAME_MAX, ADMISSION_MAX, REG_MAX = 100, 20, 20
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # I, O and S are never used
_UPN_RE = re.compile(rf"^[{UPN_LETTERS}]\d{{11}}[0-9{UPN_LETTERS}]$")
_SPREADSHEET_ERRORS = {"#N/A", "#REF!", "#VALUE!", "#NAME?", "#DIV/0!", "#NULL!", "#NUM!"}


def upn_check_letter(upn: str) -> str:
    """The DfE check letter for the last 12 characters of ``upn`` (a temporary UPN ends in
    a letter, which counts as its position in UPN_LETTERS)."""
    total = 0
    for weight, char in enumerate(upn[1:13], start=2):
        value = int(char) if char.isdigit() else UPN_LETTERS.index(char)
        total += weight * value
    return UPN_LETTERS[total % 23]


def clean_upn(value: str) -> str:
    return re.sub(r"[\s-]", "", value).upper()


_YEAR_PREFIX = re.compile(r"^(?:national curriculum year|nc year|year group|year|ncy|yr|y)\s*")
_YEAR_WORDS = {
    "r": 0,
    "rec": 0,
    "reception": 0,
    "yr": 0,  # "YR" is how SIMS writes reception
    "n": -1,
    "nur": -1,
    "nursery": -1,
    "n2": -1,
    "n1": -2,
    "l6": 12,
    "6l": 12,
    "lower sixth": 12,
    "u6": 13,
    "6u": 13,
    "upper sixth": 13,
}


def parse_year_group(value: str) -> int | None:
    """7, "Year 7", "Y7", "Yr 07", "R"/"Reception" (0), "N"/"Nursery" (-1), "N1" (-2),
    12 and 13 (sixth form, also "L6"/"U6"); None if it is not a year group."""
    text = " ".join(value.casefold().replace(".", " ").split())
    if text in _YEAR_WORDS:
        return _YEAR_WORDS[text]
    rest = _YEAR_PREFIX.sub("", text, count=1).strip()
    if rest in _YEAR_WORDS:
        return _YEAR_WORDS[rest]
    if re.fullmatch(r"\d{1,2}", rest) and 0 <= int(rest) <= 14:
        return int(rest)
    return None


_FORM_YEAR = re.compile(r"^(?:y(?:ea)?r?\s*)?(\d{1,2})(?!\d)", re.IGNORECASE)


def year_label(year_group: int) -> str:
    return {-2: "Nursery 1", -1: "Nursery", 0: "Reception"}.get(year_group, f"Year {year_group}")


_DATE_FORMATS = (
    "%d/%m/%Y",
    "%Y-%m-%d",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%d/%m/%y",
    "%d-%b-%y",
)


def parse_date(value: str) -> dt.date | None:
    text = re.sub(r"[ T]00:00(:00)?$", "", value.strip())
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class Problem:
    line: int | None  # None: about the whole file
    message: str
    blocking: bool = True  # False: a warning, the import may go ahead

    def describe(self) -> str:
        where = f"Line {self.line}: " if self.line is not None else ""
        return f"{where}{self.message}"


class WithProblems:
    """A result's ``problems`` split into errors (the import may not go ahead) and
    warnings."""

    problems: tuple[Problem, ...]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.blocking]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.blocking]


@dataclass(frozen=True)
class CheckedRow:
    line: int
    values: dict[Field, str]
    record: PupilRecord | None  # None when the row has an error


@dataclass(frozen=True)
class CheckedRoster(WithProblems):
    table: RawTable
    columns: ColumnMap
    rows: tuple[CheckedRow, ...]
    problems: tuple[Problem, ...]

    @property
    def mapped(self) -> frozenset[Field]:
        return frozenset(c for c in self.columns if c is not None)

    @property
    def records(self) -> list[tuple[int, PupilRecord]]:
        return [(r.line, r.record) for r in self.rows if r.record is not None]


class RowChecker:
    """Checks one row's cells of an MIS export, collecting every problem on the way (not
    only the first, so a school fixes the file in one go)."""

    def __init__(self, line: int, values: dict[Any, str], labels: dict[Any, str]) -> None:
        self.line, self.values, self.labels = line, values, labels
        self.problems: list[Problem] = []

    def error(self, message: str) -> None:
        self.problems.append(Problem(self.line, message))

    def warn(self, message: str) -> None:
        self.problems.append(Problem(self.line, message, blocking=False))

    @property
    def has_errors(self) -> bool:
        return any(p.blocking for p in self.problems)

    def checked_upn(self, raw: str, *, check_letter: bool = True) -> str:
        """``check_letter=False`` where the UPN only finds a pupil already on record (the
        roster import has warned about it already)."""
        upn = clean_upn(raw)
        if not upn:
            self.error("UPN is missing.")
        elif not _UPN_RE.match(upn):
            self.error(f"UPN '{raw}' is not valid: it is a letter and 12 more characters.")
        elif check_letter and upn_check_letter(upn) != upn[0]:
            self.warn(f"UPN {upn} has the wrong check letter: please check it in the MIS.")
        return upn

    def text(self, fld: Any, limit: int, *, required: bool) -> str:
        value = self.values.get(fld, "")
        label = self.labels[fld]
        if not value:
            if required:
                self.error(f"{label} is missing.")
        elif value.upper() in _SPREADSHEET_ERRORS:
            self.error(f"{label} is '{value}', a spreadsheet error, not a value.")
        elif len(value) > limit:
            self.error(f"{label} is longer than {limit} characters.")
        return value

    def name(self, fld: Any, *, required: bool) -> str:
        value = self.text(fld, NAME_MAX, required=required)
        if value and not any(ch.isalpha() for ch in value):
            self.error(f"{self.labels[fld]} '{value}' has no letters in it.")
        return value


class _PupilRowChecker(RowChecker):
    """Turns one roster row's cells into a PupilRecord."""

    def __init__(self, line: int, values: dict[Field, str], today: dt.date) -> None:
        super().__init__(line, values, dict(FIELD_LABELS))
        self.today = today

    def upn(self) -> str:
        return self.checked_upn(self.values.get(Field.UPN, ""))

    def year(self) -> int:
        raw = self.values.get(Field.YEAR_GROUP, "")
        year = parse_year_group(raw)
        if not raw:
            self.error("Year group is missing.")
        elif year is None:
            self.error(f"Year group '{raw}' is not a year: use a number (7, Year 7, Y7), R or N.")
        return year if year is not None else 0

    def check_year_fits_form(self, year: int, reg: str) -> None:
        """Warn where the year and the form disagree: a form named 7B in Year 14 is more
        likely a typing slip than a pupil."""
        if year > 13:
            self.warn(f"Year {year} is beyond sixth form (Year 13): please check it.")
        named = _FORM_YEAR.match(reg)
        if named and year > 0 and int(named.group(1)) != year:
            self.warn(
                f"{year_label(year)} in form {reg}: the form's name says Year "
                f"{int(named.group(1))}. Please check the year or the form."
            )

    def date_of_birth(self) -> dt.date | None:
        raw = self.values.get(Field.DATE_OF_BIRTH, "")
        if not raw:
            return None
        born = parse_date(raw)
        if born is None:
            self.error(f"Date of birth '{raw}' is not a date like 31/01/2012.")
        elif born > self.today:
            self.error(f"Date of birth '{raw}' is in the future.")
        elif (self.today - born).days > 25 * 366:
            self.warn(f"Date of birth '{raw}' makes this pupil over 25: please check it.")
        return born

    def record(self) -> PupilRecord | None:
        upn = self.upn()
        admission = self.text(Field.ADMISSION_NUMBER, ADMISSION_MAX, required=True)
        legal = self.name(Field.LEGAL_FORENAME, required=True)
        preferred = self.name(Field.PREFERRED_FORENAME, required=False)
        surname = self.name(Field.SURNAME, required=True)
        preferred_surname = self.name(Field.PREFERRED_SURNAME, required=False)
        year = self.year()
        reg = self.text(Field.REG_GROUP, REG_MAX, required=True)
        self.check_year_fits_form(year, reg)
        born = self.date_of_birth()
        if self.has_errors:
            return None
        return PupilRecord(
            upn=upn,
            admission_number=admission,
            legal_forename=legal,
            preferred_forename=preferred if preferred and preferred != legal else None,
            surname=surname,
            preferred_surname=(
                preferred_surname if preferred_surname and preferred_surname != surname else None
            ),
            year_group=year,
            reg_group=reg,
            date_of_birth=born,
        )


def mapping_problems(
    headers: Sequence[str], columns: Sequence[Any], fields: FieldSet[Any] = ROSTER
) -> list[Problem]:
    problems = [
        Problem(None, f"No column is chosen as {fields.labels[f]}.")
        for f in fields.required
        if f not in columns
    ]
    for fld, count in Counter(c for c in columns if c is not None).items():
        if count > 1:
            names = " and ".join(f"'{headers[i]}'" for i, c in enumerate(columns) if c == fld)
            problems.append(Problem(None, f"{names} are both chosen as {fields.labels[fld]}."))
    return problems


def check(table: RawTable, columns: ColumnMap, *, today: dt.date | None = None) -> CheckedRoster:
    """Every row checked against the column mapping; nothing is imported here."""
    today = today or local_date(utcnow())
    problems = mapping_problems(table.headers, columns)
    if not table.rows:
        problems.append(Problem(None, "The file has a header row but no pupils."))
    if any(p.blocking for p in problems):
        return CheckedRoster(table, columns, (), tuple(problems))
    rows: list[CheckedRow] = []
    for source in table.rows:
        values = {
            fld: table.cell(source, column) for column, fld in enumerate(columns) if fld is not None
        }
        checker = _PupilRowChecker(source.line, values, today)
        rows.append(CheckedRow(source.line, values, checker.record()))
        problems.extend(checker.problems)
    problems.extend(_duplicates(rows, Field.UPN, clean_upn))
    problems.extend(_duplicates(rows, Field.ADMISSION_NUMBER, str))
    problems.sort(key=lambda p: p.line or 0)  # the file's own problems first, then by line
    return CheckedRoster(table, columns, _drop_duplicates(rows, problems), tuple(problems))


def _duplicates(
    rows: Iterable[CheckedRow], fld: Field, normalise: Callable[[str], str]
) -> list[Problem]:
    lines: dict[str, list[int]] = {}
    for row in rows:
        value = normalise(row.values.get(fld, ""))
        if value:
            lines.setdefault(value, []).append(row.line)
    label = FIELD_LABELS[fld]
    return [
        Problem(line, f"{label} {value} is also on line {', '.join(map(str, others))}.")
        for value, found in lines.items()
        if len(found) > 1
        for line in found
        if (others := [o for o in found if o != line])
    ]


def lines_with_errors(problems: Iterable[Problem]) -> set[int]:
    return {p.line for p in problems if p.blocking and p.line is not None}


def _drop_duplicates(rows: list[CheckedRow], problems: list[Problem]) -> tuple[CheckedRow, ...]:
    bad = lines_with_errors(problems)
    return tuple(replace(r, record=None) if r.line in bad else r for r in rows)


def check_table(table: RawTable, overrides: dict[str, str] | None = None) -> CheckedRoster:
    """Map (detected from the headers, then ``overrides``: column number or header -> field
    name) and check, in one call."""
    return check(table, ROSTER.mapping(table.headers, overrides))
