"""Read-only table models for the console's lists, a search-and-sort proxy, and the
columns each kind of row shows."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from kiosk.services.common import PupilSummary
from kiosk.services.console import HeldDevice
from kiosk.services.exams import MissingCandidate
from kiosk.services.exemptions import ExemptionRow
from kiosk.services.school_day import LateHandIn
from kiosk.ui.staff.common import date_text, pupil_search_text, when_text
from kiosk.ui.widgets.fit_columns import ColumnFitter

Index = QModelIndex | QPersistentModelIndex
ROW_HEIGHT = 52


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[Any], str]
    sort_key: Callable[[Any], Any] | None = None  # default: the text, case-folded
    numeric: bool = False


class RowsModel(QAbstractTableModel):
    """Plain rows (frozen dataclasses from the services) shown through ``columns``;
    ``search_text(row)`` is what a SearchProxy matches typed words against, and
    ``colour(row)`` may give a row its text colour."""

    def __init__(
        self,
        columns: Sequence[Column],
        search_text: Callable[[Any], str] | None = None,
        *,
        colour: Callable[[Any], str | None] | None = None,
    ) -> None:
        super().__init__()
        self.columns = list(columns)
        self.search_text = search_text
        self.colour = colour
        self._rows: list[Any] = []
        self._search: list[str] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        search = self.search_text
        self._search = [search(r).casefold() for r in self._rows] if search else []
        self.endResetModel()

    @property
    def rows(self) -> list[Any]:
        return list(self._rows)

    def row(self, index: int) -> Any:
        return self._rows[index]

    def searchable(self, index: int) -> str:
        return self._search[index]

    def sort_value(self, row: int, column: int) -> Any:
        col = self.columns[column]
        if col.sort_key is not None:
            return col.sort_key(self._rows[row])
        return col.text(self._rows[row]).casefold()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        column = self.columns[index.column()]
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == Qt.ItemDataRole.ForegroundRole and self.colour is not None:
            colour = self.colour(row)
            return QColor(colour) if colour else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section].title
        return None


class SearchProxy(QSortFilterProxyModel):
    """Keeps the rows whose search text holds every typed word; sorts on the columns' own
    sort keys (times as times, slots as numbers), not on their display text."""

    def __init__(self, model: RowsModel) -> None:
        super().__init__()
        self.rows_model = model
        self._words: list[str] = []
        self.setSourceModel(model)

    def set_search(self, text: str) -> None:
        self.beginFilterChange()
        self._words = text.casefold().split()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, _source_parent: Index) -> bool:
        text = self.rows_model.searchable(source_row)
        return all(word in text for word in self._words)

    def lessThan(self, left: Index, right: Index) -> bool:
        a = self.rows_model.sort_value(left.row(), left.column())
        b = self.rows_model.sort_value(right.row(), right.column())
        return bool((a is None, a) < (b is None, b)) if a != b else left.row() < right.row()

    def row_at(self, proxy_row: int) -> Any:
        source = self.mapToSource(self.index(proxy_row, 0))
        return self.rows_model.row(source.row())

    def visible_rows(self) -> list[Any]:
        return [self.row_at(r) for r in range(self.rowCount())]


def make_table(
    model: QAbstractItemModel,
    *,
    compact: bool = False,
    row_height: int | None = None,
    wide: bool = False,
) -> QTableView:
    """A single-row-selection, read-only table; sortable by any column when ``model`` is
    a ``SearchProxy``. ``compact`` for the narrow tables beside a form (smaller type and
    rows, so more columns show). The first column (the name) takes the room the others
    leave and elides, so every column fits; ``wide`` for a file's preview with more
    columns than any screen: it scrolls sideways instead."""
    view = QTableView()
    if compact:
        view.setStyleSheet(
            "QTableView { font-size: 17px; }"
            " QHeaderView::section { font-size: 17px; padding: 8px 4px; }"
        )
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    if row_height is None:
        row_height = ROW_HEIGHT - 6 if compact else ROW_HEIGHT
    view.verticalHeader().setDefaultSectionSize(row_height)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if wide:
        header.setStretchLastSection(True)
        view.setProperty("scrolls_sideways", True)
    else:
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(64)
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.setTextElideMode(Qt.TextElideMode.ElideRight)
        ColumnFitter(view)
    view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    if isinstance(model, SearchProxy):
        view.setSortingEnabled(True)
        view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    return view


def selected_row(view: QTableView, proxy: SearchProxy) -> Any | None:
    rows = view.selectionModel().selectedRows()
    return proxy.row_at(rows[0].row()) if rows else None


# -- columns --------------------------------------------------------------------------------


def collation_key(text: str) -> str:
    """Sort "Ó Súilleabháin" with the Os and "Zoë" with the Zs, as a register would."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in plain if not unicodedata.combining(c))


def _name_key(p: PupilSummary) -> tuple[str, str]:
    return (collation_key(p.surname), collation_key(p.forename))


def _form_key(p: PupilSummary) -> tuple[int, str]:
    return (p.year_group, p.reg_group.casefold())


def pupil_columns(get: Callable[[Any], PupilSummary], *, with_year: bool = True) -> list[Column]:
    columns = [
        Column("Name", lambda r: get(r).display_name, lambda r: _name_key(get(r))),
        Column("Form", lambda r: get(r).reg_group, lambda r: _form_key(get(r))),
    ]
    if with_year:
        columns.append(
            Column("Year", lambda r: str(get(r).year_group), lambda r: get(r).year_group, True)
        )
    return columns


def _slot(d: HeldDevice) -> str:
    return "" if d.slot_number is None else str(d.slot_number)


def _kind(d: HeldDevice) -> str:
    if not d.is_confiscation:
        return "Daily"
    return "Confiscated (DSL)" if d.dsl_referred else "Confiscated"


def held_columns(
    today: Callable[[], dt.date], *, with_kind: bool = True, with_year: bool = True
) -> list[Column]:
    columns = pupil_columns(lambda d: d.pupil, with_year=with_year)
    if with_kind:
        columns.append(Column("Kind", _kind))
    columns += [
        Column("Slot", _slot, lambda d: d.slot_number or 0, True),
        Column("Since", lambda d: when_text(d.received_at, today()), lambda d: d.received_at),
    ]
    return columns


def overnight_columns(today: Callable[[], dt.date]) -> list[Column]:
    return [
        *held_columns(today, with_kind=False),
        Column("Days", lambda d: str(d.age_days(today())), lambda d: d.age_days(today()), True),
    ]


def expected_columns() -> list[Column]:
    return [
        *pupil_columns(lambda p: p),
        Column("Admission no.", lambda p: p.admission_number),
    ]


def late_columns(today: Callable[[], dt.date]) -> list[Column]:
    return [
        *pupil_columns(lambda r: r.pupil),
        Column("Slot", lambda r: "" if r.slot_number is None else str(r.slot_number)),
        Column("Handed in", lambda r: when_text(r.received_at, today()), lambda r: r.received_at),
        Column("Card", lambda r: f"Forgotten (by {r.received_by})" if r.card_less else "Scanned"),
    ]


def exam_missing_columns() -> list[Column]:
    return [
        *pupil_columns(lambda m: m.pupil),
        Column("Exam", lambda m: f"{m.starts_at:%H:%M} {m.exam_title}", lambda m: m.starts_at),
    ]


def late_search(r: LateHandIn) -> str:
    return pupil_search_text(r.pupil)


def exam_search(m: MissingCandidate) -> str:
    return f"{pupil_search_text(m.pupil)} {m.exam_title}"


def exemption_columns(today: Callable[[], dt.date]) -> list[Column]:
    return [
        *pupil_columns(lambda e: e.pupil),
        Column("Category", lambda e: e.category_words),
        Column("From", lambda e: date_text(e.starts_on), lambda e: e.starts_on),
        Column("Until", lambda e: date_text(e.ends_on) or "open-ended", _until_key),
        Column("Review by", lambda e: _review_text(e, today()), _review_key),
        Column("Approved by", lambda e: e.approved_by),
        Column("Detail", lambda e: e.detail),
    ]


def _review_text(e: ExemptionRow, today: dt.date) -> str:
    if e.review_on is None:
        return "no review date"
    overdue = " (review overdue)" if e.review_on < today else ""
    return f"{date_text(e.review_on)}{overdue}"


def _review_key(e: ExemptionRow) -> dt.date:
    return e.review_on or dt.date.min  # no date first: what most needs a look


def _until_key(e: ExemptionRow) -> dt.date:
    return e.ends_on or dt.date.max


def end_of_day_columns(today: Callable[[], dt.date]) -> list[Column]:
    return [
        *held_columns(today, with_year=False),
        Column("Tonight", lambda d: "Kept overnight" if d.kept_overnight(today()) else "To decide"),
    ]


def held_today_columns(today: Callable[[], dt.date]) -> list[Column]:
    return held_columns(today, with_kind=False)


def compact_held_columns(today: Callable[[], dt.date]) -> list[Column]:
    """For the narrow tables beside a form: name and slot first, no year column (the
    search still finds it)."""
    name, form, kind, slot, since = held_columns(today, with_year=False)
    return [name, slot, kind, since, form]


def held_search(d: HeldDevice) -> str:
    return f"{pupil_search_text(d.pupil)} slot {_slot(d)} {_kind(d)}"


def pupil_search(p: PupilSummary) -> str:
    return pupil_search_text(p)


def exemption_search(e: ExemptionRow) -> str:
    return f"{pupil_search_text(e.pupil)} {e.category_words}"
