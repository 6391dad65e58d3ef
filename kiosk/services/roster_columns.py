"""Which column of a school's MIS export means what: the roster's fields, the header names
MIS exports give them, and a column mapping (one field or None per column) found from the
headers and changed by hand."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from kiosk.errors import InvalidInput


class Field(StrEnum):
    UPN = "upn"
    ADMISSION_NUMBER = "admission_number"
    LEGAL_FORENAME = "legal_forename"
    PREFERRED_FORENAME = "preferred_forename"
    SURNAME = "surname"
    PREFERRED_SURNAME = "preferred_surname"
    YEAR_GROUP = "year_group"
    REG_GROUP = "reg_group"
    DATE_OF_BIRTH = "date_of_birth"


FIELD_LABELS: dict[Field, str] = {
    Field.UPN: "UPN",
    Field.ADMISSION_NUMBER: "Admission number",
    Field.LEGAL_FORENAME: "Legal forename",
    Field.PREFERRED_FORENAME: "Preferred forename",
    Field.SURNAME: "Surname",
    Field.PREFERRED_SURNAME: "Preferred surname",
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
# first: when two columns match one field, the earlier alias wins and the other column is
# left unused. SIMS's "Legal Surname" and "Preferred Surname" are two fields: cards and
# screens show the preferred one when the pupil has one.
_ALIAS_WORDS: dict[Field, str] = {
    Field.UPN: "upn uniquepupilnumber pupilupn studentupn currentupn",
    Field.ADMISSION_NUMBER: "adno admissionno admissionnumber admno admnumber admissionsno "
    "admissionsnumber admission",
    Field.LEGAL_FORENAME: "legalforename legalfirstname forename firstname forenames "
    "legalforenames givenname givennames",
    Field.PREFERRED_FORENAME: "preferredforename preferredfirstname preferredname knownas "
    "chosenname",
    Field.SURNAME: "legalsurname legallastname surname lastname familyname",
    Field.PREFERRED_SURNAME: "preferredsurname preferredlastname knownassurname chosensurname",
    Field.YEAR_GROUP: "year yeargroup ncyear nationalcurriculumyear curriculumyear yr yeargrp",
    Field.REG_GROUP: "reg reggroup registrationgroup regform registrationform form formgroup "
    "tutorgroup regclass registrationclass class",
    Field.DATE_OF_BIRTH: "dob dateofbirth birthdate",
}
ALIASES: dict[Field, tuple[str, ...]] = {f: tuple(w.split()) for f, w in _ALIAS_WORDS.items()}

ColumnMap = tuple[Field | None, ...]  # one entry per column of the file


def normalise_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.casefold())


def alias_rank(header: str) -> tuple[Field, int] | None:
    """The field a header names, and how good a name for it (0 = the best alias)."""
    key = normalise_header(header)
    for fld, names in ALIASES.items():
        if key in names:
            return fld, names.index(key)
    return None


def detect_mapping(headers: Sequence[str]) -> ColumnMap:
    """Each column's field from its header name; unknown headers map to None."""
    best: dict[Field, tuple[int, int]] = {}  # field -> (alias rank, column)
    for column, header in enumerate(headers):
        hit = alias_rank(header)
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
    hit = alias_rank(name)
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
