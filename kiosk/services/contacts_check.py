"""Checking a contacts export row by row (the pure half of the contacts import, like
``roster_check`` for the pupils): each row is one contact of one pupil. Every problem is
collected at once; any error and the import does nothing."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from kiosk.services.contacts_columns import CONTACTS, ContactColumns, ContactField
from kiosk.services.roster_check import (
    Problem,
    RowChecker,
    WithProblems,
    lines_with_errors,
    mapping_problems,
)
from kiosk.services.roster_file import RawTable

C = ContactField
NAME_MAX, RELATIONSHIP_MAX, EMAIL_MAX, TELEPHONE_MAX, NOTE_MAX = 120, 40, 254, 40, 120
PRIORITY_MAX = 99
_YES = {"yes", "y", "true", "t", "1", "x", "✓", "✔"}
_NO = {"no", "n", "false", "f", "0", "", "-"}
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_TELEPHONE = re.compile(r"^\+?[0-9 ()\-.]+(?:\s*(?:ext\.?|x)\s*[0-9]+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class ContactLine:
    """One row of the file: one contact of one pupil."""

    line: int
    upn: str
    match_key: str  # SHA-256 of the MIS reference, or of name, email and telephone
    name: str
    relationship: str
    priority: int | None  # None: not given (after the numbered ones)
    parental_responsibility: bool
    may_collect: bool
    do_not_release: bool
    court_order_note: str | None
    email: str | None
    telephone: str | None


@dataclass(frozen=True)
class CheckedContacts(WithProblems):
    table: RawTable
    columns: ContactColumns
    lines: tuple[ContactLine, ...]  # the rows without errors
    problems: tuple[Problem, ...]

    @property
    def pupils(self) -> int:
        return len({c.upn for c in self.lines})

    @property
    def contacts(self) -> int:
        return len({c.match_key for c in self.lines})


def _key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def yes_no(value: str) -> bool | None:
    """True, False, or None when the value is neither (a blank is no)."""
    word = value.strip().casefold().rstrip(".")
    return True if word in _YES else False if word in _NO else None


class _ContactRowChecker(RowChecker):
    def __init__(self, line: int, values: dict[ContactField, str], may_collect_given: bool):
        super().__init__(line, values, dict(CONTACTS.labels))
        self.may_collect_given = may_collect_given

    def flag(self, fld: ContactField) -> bool:
        raw = self.values.get(fld, "")
        value = yes_no(raw)
        if value is None:
            self.error(f"{self.labels[fld]} is '{raw}': write Yes or No (or leave it blank).")
        return bool(value)

    def contact_name(self) -> str:
        if self.values.get(C.NAME):
            return self.name(C.NAME, required=True)
        parts = [
            self.text(C.TITLE, 20, required=False),
            self.name(C.FORENAME, required=False),
            self.name(C.SURNAME, required=True),
        ]
        name = " ".join(p for p in parts if p)
        if len(name) > NAME_MAX:
            self.error(f"The contact's name is longer than {NAME_MAX} characters.")
        return name

    def priority(self) -> int | None:
        raw = self.values.get(C.PRIORITY, "")
        if not raw:
            return None
        if not raw.isdigit() or not 1 <= int(raw) <= PRIORITY_MAX:
            self.error(f"Priority '{raw}' is not a number from 1 to {PRIORITY_MAX}.")
            return None
        return int(raw)

    def email(self) -> str | None:
        value = self.text(C.EMAIL, EMAIL_MAX, required=False)
        if value and not _EMAIL.match(value):
            self.error(f"Email '{value}' is not an email address (one address per contact).")
        return value.lower() or None

    def telephone(self) -> str | None:
        value = self.text(C.TELEPHONE, TELEPHONE_MAX, required=False)
        if value and not (_TELEPHONE.match(value) and sum(ch.isdigit() for ch in value) >= 6):
            self.error(f"Telephone '{value}' is not a telephone number.")
        return value or None

    def court_order(self) -> tuple[bool, str | None]:
        """A court-order column holds Yes/No in some MIS and a few words in others: any
        words mean there is one. Only a short note is kept (the order stays in the
        safeguarding file)."""
        raw = self.values.get(C.COURT_ORDER, "")
        flag = yes_no(raw)
        if flag is not None:
            return flag, "Court order" if flag else None
        if len(raw) > NOTE_MAX:
            self.warn(
                f"The court order note is cut to {NOTE_MAX} characters: the order's details "
                "belong in the safeguarding file, not on the kiosk."
            )
        return True, raw[:NOTE_MAX]

    def contact(self) -> ContactLine | None:
        upn = self.checked_upn(self.values.get(C.UPN, ""), check_letter=False)
        name = self.contact_name()
        relationship = self.text(C.RELATIONSHIP, RELATIONSHIP_MAX, required=True)
        priority = self.priority()
        responsibility = self.flag(C.PARENTAL_RESPONSIBILITY)
        may_collect = self.flag(C.MAY_COLLECT) if self.may_collect_given else responsibility
        barred = self.flag(C.DO_NOT_RELEASE)
        court_order, note = self.court_order()
        email, telephone = self.email(), self.telephone()
        if (barred or court_order) and may_collect and self.may_collect_given:
            self.warn(
                f"{name} is marked both 'may collect' and 'do not release to': the kiosk "
                "will refuse to release to them."
            )
        if self.has_errors:
            return None
        ref = self.values.get(C.CONTACT_REF, "")
        key = (
            _key("ref", ref) if ref else _key("name", name.casefold(), email or "", telephone or "")
        )
        return ContactLine(
            line=self.line,
            upn=upn,
            match_key=key,
            name=name,
            relationship=relationship,
            priority=priority,
            parental_responsibility=responsibility,
            may_collect=may_collect and not (barred or court_order),
            do_not_release=barred or court_order,
            court_order_note=note,
            email=email,
            telephone=telephone,
        )


def _mapping_problems(table: RawTable, columns: ContactColumns) -> list[Problem]:
    problems = mapping_problems(table.headers, columns, CONTACTS)
    if C.NAME not in columns and C.SURNAME not in columns:
        problems.append(Problem(None, "No column is chosen as the contact's full name or surname."))
    if C.MAY_COLLECT not in columns:
        problems.append(
            Problem(
                None,
                "The file has no 'may collect' column: contacts with parental responsibility "
                "are taken as allowed to collect.",
                blocking=False,
            )
        )
    if not table.rows:
        problems.append(Problem(None, "The file has a header row but no contacts."))
    return problems


def check(table: RawTable, columns: ContactColumns) -> CheckedContacts:
    """Every row checked against the column mapping; nothing is imported here."""
    problems = _mapping_problems(table, columns)
    if any(p.blocking for p in problems):
        return CheckedContacts(table, columns, (), tuple(problems))
    lines: list[ContactLine] = []
    for source in table.rows:
        values = {
            fld: table.cell(source, column) for column, fld in enumerate(columns) if fld is not None
        }
        checker = _ContactRowChecker(source.line, values, C.MAY_COLLECT in columns)
        line = checker.contact()
        problems.extend(checker.problems)
        if line is not None:
            lines.append(line)
    problems.extend(_across_rows(lines))
    problems.sort(key=lambda p: p.line or 0)
    bad = lines_with_errors(problems)
    return CheckedContacts(
        table, columns, tuple(c for c in lines if c.line not in bad), tuple(problems)
    )


def _across_rows(lines: list[ContactLine]) -> list[Problem]:
    """The same contact twice for one pupil is an error; one contact (by MIS reference)
    with different details on two rows keeps the first and says so."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    first: dict[str, ContactLine] = {}
    for c in lines:
        pair = (c.upn, c.match_key)
        if pair in seen:
            problems.append(
                Problem(
                    c.line, f"{c.name} is listed twice for UPN {c.upn} (also line {seen[pair]})."
                )
            )
        seen.setdefault(pair, c.line)
        earlier = first.setdefault(c.match_key, c)
        if (earlier.name, earlier.email, earlier.telephone) != (c.name, c.email, c.telephone):
            problems.append(
                Problem(
                    c.line,
                    f"This contact's name, email or telephone differ from line {earlier.line} "
                    f"(the same MIS reference): line {earlier.line}'s are kept.",
                    blocking=False,
                )
            )
    return problems


def check_table(table: RawTable, overrides: Mapping[str, str] | None = None) -> CheckedContacts:
    """Map (detected from the headers, then ``overrides``) and check, in one call."""
    return check(table, CONTACTS.mapping(table.headers, overrides))
