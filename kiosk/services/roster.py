"""Roster import from the CSV a school's MIS exports (SIMS, Arbor, Bromcom and similar).

Two halves. The pure half reads and checks a file and touches no database:
``read_roster`` (bytes -> ``RawTable``: encoding, delimiter and header row found),
``detect_mapping`` (which column means what), ``check`` (row-by-row problems ->
``CheckedRoster``). The database half compares with the pupils on record (``preview``) and
applies the whole file in one transaction (``apply``): new pupils are added, pupils matched
by UPN are updated, pupils missing from the file are marked as left (never deleted, so
their history stays), and nothing at all changes if any row has an error.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.clock import local_date, utcnow
from kiosk.db import Sessions
from kiosk.errors import InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.services.common import now_or, require
from kiosk.services.pupils import PupilRecord, create_in
from kiosk.tables import HELD, Custody, Pupil, Setting, Slot

MAX_FILE_BYTES = 20_000_000
MAX_ROWS = 20_000
HEADER_SEARCH_ROWS = 10
NAME_MAX, ADMISSION_MAX, REG_MAX = 100, 20, 20


class Field(StrEnum):
    UPN = "upn"
    ADMISSION_NUMBER = "admission_number"
    LEGAL_FORENAME = "legal_forename"
    PREFERRED_FORENAME = "preferred_forename"
    SURNAME = "surname"
    YEAR_GROUP = "year_group"
    REG_GROUP = "reg_group"
    DATE_OF_BIRTH = "date_of_birth"


FIELD_LABELS: dict[Field, str] = {
    Field.UPN: "UPN",
    Field.ADMISSION_NUMBER: "Admission number",
    Field.LEGAL_FORENAME: "Legal forename",
    Field.PREFERRED_FORENAME: "Preferred forename",
    Field.SURNAME: "Surname",
    Field.YEAR_GROUP: "Year group",
    Field.REG_GROUP: "Registration group",
    Field.DATE_OF_BIRTH: "Date of birth",
}
REQUIRED = (
    Field.UPN,
    Field.ADMISSION_NUMBER,
    Field.LEGAL_FORENAME,
    Field.SURNAME,
    Field.YEAR_GROUP,
    Field.REG_GROUP,
)

# Header names seen in MIS exports, normalised (lower case, letters and digits only), best
# first: when two columns match one field (SIMS has "Legal Surname" and "Preferred
# Surname"), the earlier alias wins and the other column is left unused.
_ALIAS_WORDS: dict[Field, str] = {
    Field.UPN: "upn uniquepupilnumber pupilupn studentupn currentupn",
    Field.ADMISSION_NUMBER: "adno admissionno admissionnumber admno admnumber admissionsno "
    "admissionsnumber admission",
    Field.LEGAL_FORENAME: "legalforename legalfirstname forename firstname forenames "
    "legalforenames givenname givennames",
    Field.PREFERRED_FORENAME: "preferredforename preferredfirstname preferredname knownas "
    "chosenname",
    Field.SURNAME: "legalsurname legallastname surname lastname familyname preferredsurname "
    "preferredlastname",
    Field.YEAR_GROUP: "year yeargroup ncyear nationalcurriculumyear curriculumyear yr yeargrp",
    Field.REG_GROUP: "reg reggroup registrationgroup regform registrationform form formgroup "
    "tutorgroup regclass registrationclass class",
    Field.DATE_OF_BIRTH: "dob dateofbirth birthdate",
}
ALIASES: dict[Field, tuple[str, ...]] = {f: tuple(w.split()) for f, w in _ALIAS_WORDS.items()}

ColumnMap = tuple[Field | None, ...]  # one entry per column of the file


# --- Reading the file ---------------------------------------------------------------


@dataclass(frozen=True)
class SourceRow:
    line: int  # where the row starts in the file (1-based), as a spreadsheet numbers it
    cells: tuple[str, ...]


@dataclass(frozen=True)
class RawTable:
    headers: tuple[str, ...]
    rows: tuple[SourceRow, ...]
    encoding: str
    delimiter: str
    header_line: int | None  # None when no header row was recognised
    sha256: str

    def cell(self, row: SourceRow, column: int) -> str:
        return row.cells[column] if column < len(row.cells) else ""


_INVISIBLE = str.maketrans({"\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "", "\xa0": " "})
_EXCEL_TEXT = re.compile(r'^="(.*)"$')  # ="001234": Excel's way of keeping leading zeros


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of a CSV export and the name of its encoding. UTF-8 (with or without a
    BOM) is tried first: Windows-1252 bytes above 0x7F are almost never valid UTF-8."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "UTF-8 with BOM"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "ISO-8859-1"


def clean_cell(value: str) -> str:
    value = unicodedata.normalize("NFC", value.translate(_INVISIBLE)).strip()
    excel = _EXCEL_TEXT.match(value)
    if excel:
        value = excel.group(1)
    return " ".join(value.split())


def _refuse_non_csv(data: bytes) -> None:
    if not data.strip():
        raise InvalidInput("The file is empty.")
    if data.startswith(b"PK\x03\x04"):
        raise InvalidInput(
            "This is an Excel workbook, not a CSV file. In Excel choose File > Save As > "
            "'CSV UTF-8 (Comma delimited)', then import that file."
        )
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InvalidInput("This is not a text (CSV) file.")


def _records(text: str, delimiter: str) -> list[SourceRow]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    rows: list[SourceRow] = []
    start = 1
    try:
        for cells in reader:
            cleaned = tuple(clean_cell(c) for c in cells)
            if any(cleaned):
                rows.append(SourceRow(start, _trim(cleaned)))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidInput(f"Line {start} of the file cannot be read as CSV ({exc}).") from exc
    return rows


def _trim(cells: tuple[str, ...]) -> tuple[str, ...]:
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _guess_delimiter(text: str) -> str:
    """The candidate that splits the first lines into the most columns (commas win ties).
    Not csv.Sniffer: it can take the apostrophe in O'Brien for a quote character."""
    sample = "\n".join(text.splitlines()[:30])
    best, best_width = ",", 0
    for candidate in (",", ";", "\t", "|"):
        widths = sorted(len(r) for r in csv.reader(io.StringIO(sample), delimiter=candidate) if r)
        width = widths[len(widths) // 2] if widths else 0
        if width > best_width:
            best, best_width = candidate, width
    return best


def normalise_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.casefold())


def _alias_rank(header: str) -> tuple[Field, int] | None:
    key = normalise_header(header)
    for fld, names in ALIASES.items():
        if key in names:
            return fld, names.index(key)
    return None


def _header_score(cells: Sequence[str]) -> int:
    return len({hit[0] for c in cells if (hit := _alias_rank(c)) is not None})


def read_roster(data: bytes) -> RawTable:
    """Decode and split a CSV export; find its header row (MIS reports may put a title
    and blank lines above it). Raises InvalidInput with plain words when it cannot."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput("The file is too large to be a roster (over 20 MB).")
    _refuse_non_csv(data)
    text, encoding = decode_text(data)
    delimiter = _guess_delimiter(text)
    rows = _records(text, delimiter)
    if not rows:
        raise InvalidInput("The file is empty.")
    scores = [_header_score(r.cells) for r in rows[:HEADER_SEARCH_ROWS]]
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    if scores[best] >= 2:
        header_row, data_rows = rows[best], rows[best + 1 :]
        headers = header_row.cells
        header_line: int | None = header_row.line
    else:
        headers, data_rows, header_line = (), rows, None
    width = max([len(headers), *(len(r.cells) for r in data_rows)])
    headers = tuple(h or f"Column {i + 1}" for i, h in enumerate(headers)) + tuple(
        f"Column {i + 1}" for i in range(len(headers), width)
    )
    if len(data_rows) > MAX_ROWS:
        raise InvalidInput(f"The file has more than {MAX_ROWS} rows: is it the right file?")
    digest = hashlib.sha256(data).hexdigest()
    return RawTable(headers, tuple(data_rows), encoding, delimiter, header_line, digest)


def load_roster_file(path: Path) -> RawTable:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InvalidInput("The file is too large to be a roster (over 20 MB).")
        return read_roster(path.read_bytes())
    except OSError as exc:
        raise InvalidInput(f"Cannot read {path.name}: {exc.strerror or exc}.") from exc


# --- Which column means what --------------------------------------------------------


def detect_mapping(headers: Sequence[str]) -> ColumnMap:
    """Each column's field from its header name; unknown headers map to None."""
    best: dict[Field, tuple[int, int]] = {}  # field -> (alias rank, column)
    for column, header in enumerate(headers):
        hit = _alias_rank(header)
        if hit and (hit[0] not in best or hit[1] < best[hit[0]][0]):
            best[hit[0]] = (hit[1], column)
    by_column = {column: fld for fld, (_rank, column) in best.items()}
    return tuple(by_column.get(i) for i in range(len(headers)))


def parse_field(name: str) -> Field | None:
    """A field from a name typed on the command line ('surname', 'Year group', 'ignore')."""
    key = normalise_header(name)
    if key in ("", "ignore", "none", "skip", "unused"):
        return None
    for fld in Field:
        if key in (normalise_header(fld.value), normalise_header(FIELD_LABELS[fld])):
            return fld
    hit = _alias_rank(name)
    if hit:
        return hit[0]
    raise InvalidInput(
        f"'{name}' is not a roster field. Use one of: {', '.join(f.value for f in Field)}, "
        "or 'ignore'."
    )


def find_column(headers: Sequence[str], key: str) -> int:
    """A column by its 1-based number or its header name (case and spaces ignored)."""
    if key.strip().isdigit() and 1 <= int(key) <= len(headers):
        return int(key) - 1
    wanted = normalise_header(key)
    for index, header in enumerate(headers):
        if normalise_header(header) == wanted:
            return index
    raise InvalidInput(f"The file has no column '{key}'. Its columns: {', '.join(headers)}.")


def remap(columns: ColumnMap, column: int, fld: Field | None) -> ColumnMap:
    """``columns`` with ``column`` set to ``fld``; any other column with that field is
    cleared, so one change never leaves a field mapped twice."""
    return tuple(
        fld if i == column else (None if fld is not None and current == fld else current)
        for i, current in enumerate(columns)
    )


def mapping_problems(headers: Sequence[str], columns: ColumnMap) -> list[Problem]:
    problems = [
        Problem(None, f"No column is chosen as {FIELD_LABELS[f]}.")
        for f in REQUIRED
        if f not in columns
    ]
    for fld, count in Counter(c for c in columns if c is not None).items():
        if count > 1:
            names = " and ".join(f"'{headers[i]}'" for i, c in enumerate(columns) if c == fld)
            problems.append(Problem(None, f"{names} are both chosen as {FIELD_LABELS[fld]}."))
    return problems


# --- Checking values ----------------------------------------------------------------

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


# --- Checking rows ------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    line: int | None  # None: about the whole file
    message: str
    blocking: bool = True  # False: a warning, the import may go ahead

    def describe(self) -> str:
        where = f"Line {self.line}: " if self.line is not None else ""
        return f"{where}{self.message}"


@dataclass(frozen=True)
class CheckedRow:
    line: int
    values: dict[Field, str]
    record: PupilRecord | None  # None when the row has an error


@dataclass(frozen=True)
class CheckedRoster:
    table: RawTable
    columns: ColumnMap
    rows: tuple[CheckedRow, ...]
    problems: tuple[Problem, ...]

    @property
    def mapped(self) -> frozenset[Field]:
        return frozenset(c for c in self.columns if c is not None)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.blocking]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.blocking]

    @property
    def records(self) -> list[tuple[int, PupilRecord]]:
        return [(r.line, r.record) for r in self.rows if r.record is not None]


class _RowChecker:
    """Turns one row's cells into a PupilRecord, collecting every problem on the way
    (not only the first, so a school fixes the file in one go)."""

    def __init__(self, line: int, values: dict[Field, str], today: dt.date) -> None:
        self.line, self.values, self.today = line, values, today
        self.problems: list[Problem] = []

    def error(self, message: str) -> None:
        self.problems.append(Problem(self.line, message))

    def warn(self, message: str) -> None:
        self.problems.append(Problem(self.line, message, blocking=False))

    def upn(self) -> str:
        raw = self.values.get(Field.UPN, "")
        upn = clean_upn(raw)
        if not upn:
            self.error("UPN is missing.")
        elif not _UPN_RE.match(upn):
            self.error(f"UPN '{raw}' is not valid: it is a letter and 12 more characters.")
        elif upn_check_letter(upn) != upn[0]:
            self.warn(f"UPN {upn} has the wrong check letter: please check it in the MIS.")
        return upn

    def text(self, fld: Field, limit: int, *, required: bool) -> str:
        value = self.values.get(fld, "")
        label = FIELD_LABELS[fld]
        if not value:
            if required:
                self.error(f"{label} is missing.")
        elif value.upper() in _SPREADSHEET_ERRORS:
            self.error(f"{label} is '{value}', a spreadsheet error, not a value.")
        elif len(value) > limit:
            self.error(f"{label} is longer than {limit} characters.")
        return value

    def name(self, fld: Field, *, required: bool) -> str:
        value = self.text(fld, NAME_MAX, required=required)
        if value and not any(ch.isalpha() for ch in value):
            self.error(f"{FIELD_LABELS[fld]} '{value}' has no letters in it.")
        return value

    def year(self) -> int:
        raw = self.values.get(Field.YEAR_GROUP, "")
        year = parse_year_group(raw)
        if not raw:
            self.error("Year group is missing.")
        elif year is None:
            self.error(f"Year group '{raw}' is not a year: use a number (7, Year 7, Y7), R or N.")
        return year if year is not None else 0

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
        year = self.year()
        reg = self.text(Field.REG_GROUP, REG_MAX, required=True)
        born = self.date_of_birth()
        if any(p.blocking for p in self.problems):
            return None
        return PupilRecord(
            upn=upn,
            admission_number=admission,
            legal_forename=legal,
            preferred_forename=preferred if preferred and preferred != legal else None,
            surname=surname,
            year_group=year,
            reg_group=reg,
            date_of_birth=born,
        )


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
        checker = _RowChecker(source.line, values, today)
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


def _drop_duplicates(rows: list[CheckedRow], problems: list[Problem]) -> tuple[CheckedRow, ...]:
    bad = {p.line for p in problems if p.blocking and p.line is not None}
    return tuple(replace(r, record=None) if r.line in bad else r for r in rows)


def check_file(data: bytes, overrides: dict[str, str] | None = None) -> CheckedRoster:
    """Read, map (detected, then ``overrides``: column -> field) and check, in one call."""
    table = read_roster(data)
    columns = detect_mapping(table.headers)
    for column_key, field_name in (overrides or {}).items():
        columns = remap(columns, find_column(table.headers, column_key), parse_field(field_name))
    return check(table, columns)


# --- Against the database -----------------------------------------------------------

COMPARED = (
    Field.UPN,
    Field.ADMISSION_NUMBER,
    Field.LEGAL_FORENAME,
    Field.PREFERRED_FORENAME,
    Field.SURNAME,
    Field.YEAR_GROUP,
    Field.REG_GROUP,
    Field.DATE_OF_BIRTH,
)


class ChangeKind(StrEnum):
    ADD = "add"
    UPDATE = "update"
    RETURN = "return"  # on record as left, back in the roster
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class PlannedChange:
    line: int
    kind: ChangeKind
    pupil_id: int | None
    changed: tuple[str, ...]
    record: PupilRecord


@dataclass(frozen=True)
class Leaver:
    pupil_id: int
    name: str
    reg_group: str
    holds_device: bool  # a device is still held for them
    slot: int | None


@dataclass(frozen=True)
class RosterPreview:
    checked: CheckedRoster
    changes: tuple[PlannedChange, ...]
    leavers: tuple[Leaver, ...]
    problems: tuple[Problem, ...]
    on_roll_before: int
    status_by_line: dict[int, ChangeKind] = field(default_factory=dict)

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.blocking]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.blocking]

    @property
    def changes_anything(self) -> bool:
        return bool(self.leavers) or any(c.kind != ChangeKind.UNCHANGED for c in self.changes)

    @property
    def can_import(self) -> bool:
        return not self.errors and self.changes_anything

    @property
    def leavers_need_confirmation(self) -> bool:
        """Many pupils about to be marked as left usually means the wrong file (one year
        group, or last year's export): the import then needs an explicit yes."""
        return len(self.leavers) > max(10, self.on_roll_before // 10)

    def summary(self) -> str:
        return (
            f"{self.count(ChangeKind.ADD)} new, {self.count(ChangeKind.UPDATE)} updated, "
            f"{self.count(ChangeKind.RETURN)} returning, {self.count(ChangeKind.UNCHANGED)} "
            f"unchanged, {len(self.leavers)} to be marked as left"
        )


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    returned: int
    unchanged: int
    left: int

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.returned} returned, "
            f"{self.unchanged} unchanged, {self.left} marked as left"
        )


def _record_of(pupil: Pupil) -> PupilRecord:
    return PupilRecord(
        upn=pupil.upn,
        admission_number=pupil.admission_number,
        legal_forename=pupil.legal_forename,
        surname=pupil.surname,
        year_group=pupil.year_group,
        reg_group=pupil.reg_group,
        preferred_forename=pupil.preferred_forename,
        date_of_birth=pupil.date_of_birth,
    )


def _changed_fields(pupil: Pupil, record: PupilRecord, mapped: frozenset[Field]) -> tuple[str, ...]:
    """Fields the file changes. A field with no column in the file is left as it is
    (a file without dates of birth does not wipe them)."""
    before = _record_of(pupil)
    return tuple(
        f.value
        for f in COMPARED
        if f in mapped and getattr(before, f.value) != getattr(record, f.value)
    )


class _Planner:
    def __init__(self, session: Session, checked: CheckedRoster) -> None:
        self.checked = checked
        self.pupils = list(session.scalars(select(Pupil)))
        self.by_upn = {p.upn: p for p in self.pupils}
        self.by_admission = {p.admission_number: p for p in self.pupils}
        self.file_upns = {record.upn for _line, record in checked.records}
        self.problems: list[Problem] = []
        self.matched: dict[int, int] = {}  # pupil id -> line
        self.held = _held_slots(session)

    def match(self, line: int, record: PupilRecord) -> Pupil | None:
        pupil = self.by_upn.get(record.upn)
        if pupil is None:
            # A temporary UPN replaced by the permanent one: same admission number, and
            # the old UPN is no longer in the file.
            candidate = self.by_admission.get(record.admission_number)
            if (
                candidate is not None
                and candidate.upn not in self.file_upns
                and _same_person(candidate, record)
            ):
                self.problems.append(
                    Problem(
                        line,
                        f"UPN changes from {candidate.upn} to {record.upn} "
                        f"(admission number {record.admission_number}).",
                        blocking=False,
                    )
                )
                pupil = candidate
        if pupil is not None and pupil.purged_at is not None:
            self.problems.append(
                Problem(line, "This UPN belongs to a pupil whose records were purged.")
            )
            return None
        return pupil

    def plan(self) -> tuple[list[PlannedChange], list[Leaver]]:
        changes: list[PlannedChange] = []
        for line, record in self.checked.records:
            pupil = self.match(line, record)
            changes.append(self._change(line, record, pupil))
            if pupil is not None:
                self.matched[pupil.id] = line
        self._check_admission_numbers(changes)
        leavers = [self._leaver(p) for p in self.pupils if self._is_leaving(p)]
        return changes, leavers

    def _change(self, line: int, record: PupilRecord, pupil: Pupil | None) -> PlannedChange:
        if pupil is None:
            return PlannedChange(line, ChangeKind.ADD, None, (), record)
        changed = _changed_fields(pupil, record, self.checked.mapped)
        if not pupil.active:
            kind = ChangeKind.RETURN
        else:
            kind = ChangeKind.UPDATE if changed else ChangeKind.UNCHANGED
        return PlannedChange(line, kind, pupil.id, changed, record)

    def _check_admission_numbers(self, changes: list[PlannedChange]) -> None:
        final = {p.id: p.admission_number for p in self.pupils if p.id not in self.matched}
        holders = {number: pupil_id for pupil_id, number in final.items()}
        for change in changes:
            holder = holders.get(change.record.admission_number)
            if holder is not None and holder != change.pupil_id:
                other = next(p for p in self.pupils if p.id == holder)
                self.problems.append(
                    Problem(
                        change.line,
                        f"Admission number {change.record.admission_number} belongs to "
                        f"another pupil on record (UPN {other.upn}), who is not in this file.",
                    )
                )

    def _is_leaving(self, pupil: Pupil) -> bool:
        return pupil.active and pupil.purged_at is None and pupil.id not in self.matched

    def _leaver(self, pupil: Pupil) -> Leaver:
        holds = pupil.id in self.held
        slot = self.held.get(pupil.id)
        if holds:
            where = f" in slot {slot}" if slot is not None else ""
            self.problems.append(
                Problem(
                    None,
                    f"{pupil.display_name} ({pupil.reg_group}) will be marked as left, but a "
                    f"device is still held for them{where}.",
                    blocking=False,
                )
            )
        return Leaver(pupil.id, pupil.display_name, pupil.reg_group, holds, slot)


def _same_person(pupil: Pupil, record: PupilRecord) -> bool:
    """Whether a pupil on record is plainly the one in a file row under a new UPN: same
    date of birth where both have one, else the same legal name."""
    if pupil.date_of_birth and record.date_of_birth:
        return pupil.date_of_birth == record.date_of_birth
    return (pupil.legal_forename.casefold(), pupil.surname.casefold()) == (
        record.legal_forename.casefold(),
        record.surname.casefold(),
    )


def _held_slots(session: Session) -> dict[int, int | None]:
    rows = session.execute(
        select(Custody.pupil_id, Slot.number)
        .join(Slot, Slot.id == Custody.slot_id, isouter=True)
        .where(Custody.state == HELD)
    )
    return {pupil_id: number for pupil_id, number in rows}


def _preview_in(session: Session, checked: CheckedRoster) -> RosterPreview:
    planner = _Planner(session, checked)
    changes, leavers = planner.plan()
    problems = (*checked.problems, *planner.problems)
    on_roll = sum(1 for p in planner.pupils if p.active and p.purged_at is None)
    statuses = {c.line: c.kind for c in changes}
    return RosterPreview(checked, tuple(changes), tuple(leavers), problems, on_roll, statuses)


def preview(sessions: Sessions, checked: CheckedRoster) -> RosterPreview:
    """What importing ``checked`` would do, with any problems it has against the record."""
    with sessions() as session:
        return _preview_in(session, checked)


def apply(
    sessions: Sessions, actor: Actor, checked: CheckedRoster, *, confirm_leavers: bool = False
) -> ImportResult:
    """Import the whole roster in one transaction, or nothing at all. The plan is made
    again inside the transaction, so it matches the data it changes."""
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_ROSTER)
        plan = _preview_in(session, checked)
        if plan.errors:
            raise InvalidInput(
                f"The roster has {len(plan.errors)} problem(s) to fix first; nothing was imported."
            )
        if not plan.changes_anything:
            raise InvalidInput("Nothing to import: the records already match this file.")
        if plan.leavers_need_confirmation and not confirm_leavers:
            raise InvalidInput(
                f"This would mark {len(plan.leavers)} pupils as left. If this file really is "
                "the whole school's roster, confirm and import again."
            )
        return _write(session, actor, plan)


def _write(session: Session, actor: Actor, plan: RosterPreview) -> ImportResult:
    now = now_or(None)
    today = local_date(now)
    # The identity map holds rows weakly: keep the settings (the audit head among them)
    # loaded, or each of the thousand-odd audit events below reads them again.
    held_settings = list(session.scalars(select(Setting)))
    pupils = {p.id: p for p in session.scalars(select(Pupil))}
    _free_admission_numbers(session, plan, pupils)
    for change in plan.changes:
        if change.kind == ChangeKind.ADD:
            pupil = create_in(session, change.record)
            audit.append(session, EventKind.PUPIL_ADDED, actor, pupil_id=pupil.id)
        elif change.pupil_id is not None and change.kind != ChangeKind.UNCHANGED:
            _update(session, actor, pupils[change.pupil_id], change, now)
    for leaver in plan.leavers:
        pupil = pupils[leaver.pupil_id]
        pupil.active, pupil.left_on, pupil.updated_at = False, today, now
        audit.append(session, EventKind.PUPIL_LEFT, actor, pupil_id=pupil.id)
    result = ImportResult(
        added=plan.count(ChangeKind.ADD),
        updated=plan.count(ChangeKind.UPDATE),
        returned=plan.count(ChangeKind.RETURN),
        unchanged=plan.count(ChangeKind.UNCHANGED),
        left=len(plan.leavers),
    )
    audit.append(
        session,
        EventKind.ROSTER_IMPORTED,
        actor,
        details={
            **result.__dict__,
            "rows": len(plan.checked.rows),
            "file_sha256": plan.checked.table.sha256,
            "encoding": plan.checked.table.encoding,
        },
    )
    del held_settings
    return result


def _free_admission_numbers(
    session: Session, plan: RosterPreview, pupils: dict[int, Pupil]
) -> None:
    """Two pupils swapping admission numbers would trip the unique index half-way: park
    every changing number on a placeholder first."""
    moving = [c for c in plan.changes if c.pupil_id is not None and "admission_number" in c.changed]
    for change in moving:
        pupils[change.pupil_id or 0].admission_number = f"~{change.pupil_id}"
    if moving:
        session.flush()


def _update(
    session: Session,
    actor: Actor,
    pupil: Pupil,
    change: PlannedChange,
    now: dt.datetime,
) -> None:
    for name in change.changed:
        setattr(pupil, name, getattr(change.record, name))
    pupil.updated_at = now
    details: dict[str, object] = {"fields": list(change.changed)}
    if change.kind == ChangeKind.RETURN:
        pupil.active, pupil.left_on = True, None
        audit.append(session, EventKind.PUPIL_RETURNED, actor, pupil_id=pupil.id, details=details)
    else:
        audit.append(session, EventKind.PUPIL_UPDATED, actor, pupil_id=pupil.id, details=details)
