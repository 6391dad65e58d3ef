"""Which column of a school's MIS export means what: a ``FieldSet`` (an export's fields, the
header names MIS exports give them, those a file must have), and a column mapping (one field
or None per column) found from the headers and changed by hand. The roster's fields are
here; the contacts export has its own set (``contacts_columns``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

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

F = TypeVar("F", bound=StrEnum)


def normalise_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.casefold())


@dataclass(frozen=True)
class FieldSet(Generic[F]):
    """The fields of one kind of MIS export."""

    kind: type[F]
    labels: Mapping[F, str]
    aliases: Mapping[F, tuple[str, ...]]  # normalised header names, best first
    required: tuple[F, ...]
    noun: str  # what a file of them is called: "roster"

    def rank(self, header: str) -> tuple[F, int] | None:
        """The field a header names, and how good a name for it (0 = the best alias)."""
        key = normalise_header(header)
        for fld, names in self.aliases.items():
            if key in names:
                return fld, names.index(key)
        return None

    def detect(self, headers: Sequence[str]) -> tuple[F | None, ...]:
        """Each column's field from its header name; unknown headers map to None. When
        two columns match one field, the better alias wins and the other is left unused."""
        best: dict[F, tuple[int, int]] = {}  # field -> (alias rank, column)
        for column, header in enumerate(headers):
            hit = self.rank(header)
            if hit and (hit[0] not in best or hit[1] < best[hit[0]][0]):
                best[hit[0]] = (hit[1], column)
        by_column = {column: fld for fld, (_rank, column) in best.items()}
        return tuple(by_column.get(i) for i in range(len(headers)))

    def parse(self, name: str) -> F | None:
        """A field from a name typed on the command line ('surname', 'Year group', 'ignore')."""
        key = normalise_header(name)
        if key in ("", "ignore", "none", "skip", "unused"):
            return None
        for fld in self.kind:
            if key in (normalise_header(fld.value), normalise_header(self.labels[fld])):
                return fld
        hit = self.rank(name)
        if hit:
            return hit[0]
        raise InvalidInput(
            f"'{name}' is not a {self.noun} field. Use one of: "
            f"{', '.join(f.value for f in self.kind)}, or 'ignore'."
        )

    def mapping(
        self, headers: Sequence[str], overrides: Mapping[str, str] | None = None
    ) -> tuple[F | None, ...]:
        """Detected from the headers, then ``overrides`` (column number or header -> field
        name) applied."""
        columns = self.detect(headers)
        for column_key, field_name in (overrides or {}).items():
            columns = remap(columns, find_column(headers, column_key), self.parse(field_name))
        return columns


ROSTER = FieldSet(Field, FIELD_LABELS, ALIASES, REQUIRED, "roster")
ColumnMap = tuple[Field | None, ...]  # one entry per column of the file


def find_column(headers: Sequence[str], key: str) -> int:
    """A column by its 1-based number or its header name (case and spaces ignored)."""
    if key.strip().isdigit() and 1 <= int(key) <= len(headers):
        return int(key) - 1
    wanted = normalise_header(key)
    for index, header in enumerate(headers):
        if normalise_header(header) == wanted:
            return index
    raise InvalidInput(f"The file has no column '{key}'. Its columns: {', '.join(headers)}.")


def remap(columns: tuple[F | None, ...], column: int, fld: F | None) -> tuple[F | None, ...]:
    """``columns`` with ``column`` set to ``fld``; any other column with that field is
    cleared, so one change never leaves a field mapped twice."""
    return tuple(
        fld if i == column else (None if fld is not None and current == fld else current)
        for i, current in enumerate(columns)
    )
