"""The roster import's preview in rows and columns: one row per pupil in the file (what
will happen to them, or their problems), one per pupil on record who is not in the file,
and the list of problems."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.services.roster import COMPARED, ChangeKind, RosterPreview
from kiosk.services.roster_check import Problem
from kiosk.services.roster_columns import FIELD_LABELS, Field
from kiosk.ui.staff.models import Column
from kiosk.ui.style import AMBER, GREEN, RED

STATUS_WORDS = {
    ChangeKind.ADD: "New",
    ChangeKind.UPDATE: "Update",
    ChangeKind.RETURN: "Returning",
    ChangeKind.UNCHANGED: "Unchanged",
}
SHOWN_FIELDS = COMPARED  # the fields the import compares, so a change shows where it is


@dataclass(frozen=True)
class PreviewRow:
    line: int | None  # None for a pupil on record who is not in the file
    status: str
    values: dict[Field, str]
    problems: str
    blocking: bool
    warning: bool


def preview_rows(preview: RosterPreview) -> list[PreviewRow]:
    """One row per pupil in the file (what happens to them, or their problems), then one
    per pupil on record who is not in the file and will be marked as left."""
    by_line: dict[int, list[Problem]] = {}
    for problem in preview.problems:
        if problem.line is not None:
            by_line.setdefault(problem.line, []).append(problem)
    changes = {change.line: change for change in preview.changes}
    rows = []
    for checked in preview.checked.rows:
        problems = by_line.get(checked.line, [])
        blocking = any(p.blocking for p in problems)
        change = changes.get(checked.line)
        if blocking or change is None:
            status = "Problem"
        elif change.kind == ChangeKind.UPDATE:
            status = "Update: " + ", ".join(f.replace("_", " ") for f in change.changed)
        else:
            status = STATUS_WORDS[change.kind]
        rows.append(
            PreviewRow(
                checked.line,
                status,
                checked.values,
                " ".join(p.message for p in problems),
                blocking,
                bool(problems) and not blocking,
            )
        )
    for leaver in preview.leavers:
        note = "A device is still held for them." if leaver.holds_device else ""
        values = {Field.SURNAME: leaver.name, Field.REG_GROUP: leaver.reg_group}
        rows.append(PreviewRow(None, "Will be marked as left", values, note, False, bool(note)))
    return rows


def row_colour(row: PreviewRow) -> str | None:
    if row.blocking:
        return RED
    if row.warning or row.line is None:
        return AMBER
    return GREEN if row.status == "New" else None


def _value_column(fld: Field) -> Column:
    def text(row: PreviewRow) -> str:
        return row.values.get(fld, "")

    return Column(FIELD_LABELS[fld], text)


PREVIEW_COLUMNS = [
    Column("Line", lambda r: "" if r.line is None else str(r.line), numeric=True),
    Column("What happens", lambda r: r.status),
    *[_value_column(f) for f in SHOWN_FIELDS],
    Column("Problems", lambda r: r.problems),
]
