"""Contacts import: choose the MIS's contacts export, check what each column means, see
every row (one contact of one pupil) and every problem, then import. As with the roster,
the Import button stays off while any problem remains, and the import is all or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.db import Database
from kiosk.services import contacts_check, contacts_import
from kiosk.services.audit import Actor
from kiosk.services.contacts_columns import CONTACTS, ContactField
from kiosk.services.contacts_import import ContactsImportResult, ContactsPreview
from kiosk.services.roster_check import Problem
from kiosk.services.roster_file import RawTable
from kiosk.ui.admin.column_mapping import Columns
from kiosk.ui.admin.csv_import_page import CsvImportPage, ImportKind
from kiosk.ui.staff.models import Column
from kiosk.ui.style import AMBER, RED

C = ContactField


@dataclass(frozen=True)
class ContactPreviewRow:
    line: int
    values: dict[Any, str]  # the row's cells by field, as in the file
    problems: str
    blocking: bool
    barred: bool


def preview_rows(preview: ContactsPreview) -> list[ContactPreviewRow]:
    checked = preview.checked
    by_line: dict[int, list[Problem]] = {}
    for problem in preview.problems:
        if problem.line is not None:
            by_line.setdefault(problem.line, []).append(problem)
    barred = {line.line for line in checked.lines if line.do_not_release}
    rows = []
    for source in checked.table.rows:
        values = {f: checked.table.cell(source, i) for i, f in enumerate(checked.columns) if f}
        problems = by_line.get(source.line, [])
        rows.append(
            ContactPreviewRow(
                source.line,
                values,
                " ".join(p.message for p in problems),
                any(p.blocking for p in problems),
                source.line in barred,
            )
        )
    return rows


def _row_colour(row: ContactPreviewRow) -> str | None:
    if row.blocking:
        return RED
    return AMBER if row.problems or row.barred else None


def _value(fld: ContactField, label: str) -> Column:
    return Column(label, lambda r: r.values.get(fld, ""))


def _name(row: ContactPreviewRow) -> str:
    if row.values.get(C.NAME):
        return row.values[C.NAME]
    return " ".join(row.values.get(f, "") for f in (C.TITLE, C.FORENAME, C.SURNAME)).strip()


PREVIEW_COLUMNS = [
    Column("Line", lambda r: str(r.line), numeric=True),
    _value(C.UPN, "UPN"),
    Column("Contact", _name),
    _value(C.RELATIONSHIP, "Relationship"),
    _value(C.PRIORITY, "Priority"),
    _value(C.PARENTAL_RESPONSIBILITY, "PR"),
    _value(C.MAY_COLLECT, "May collect"),
    Column("Do not release", lambda r: "DO NOT RELEASE" if r.barred else ""),
    _value(C.TELEPHONE, "Telephone"),
    _value(C.EMAIL, "Email"),
    Column("Problems", lambda r: r.problems),
]


class ContactsPage(CsvImportPage[ContactsPreview]):
    kind = ImportKind(
        heading="Import contacts",
        noun="the contacts",
        explanation=(
            "The MIS's contacts export: one row per pupil and contact (name, relationship, "
            "priority, parental responsibility, may collect, telephone, email, court "
            "order). Pupils are matched by UPN; each pupil's contacts become the file's."
        ),
        fields=CONTACTS,
        rows_heading="Contacts (one row per pupil and contact)",
        preview_columns=PREVIEW_COLUMNS,
        row_colour=_row_colour,
    )

    @staticmethod
    def check(sessions: Database, table: RawTable, columns: Columns) -> ContactsPreview:
        return contacts_import.preview(sessions, contacts_check.check(table, columns))

    @staticmethod
    def apply(sessions: Database, actor: Actor, preview: ContactsPreview) -> ContactsImportResult:
        return contacts_import.apply(sessions, actor, preview.checked)

    def rows(self, preview: ContactsPreview) -> list[Any]:
        return preview_rows(preview)
