"""Pieces of the search record form: school-local times, touch-sized fields, and the
list of things found with what happened to each."""

from __future__ import annotations

import datetime as dt
from functools import partial

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.clock import SCHOOL_ZONE, to_local, utcnow
from kiosk.services.search_form import NAME_MAX, FoundItem
from kiosk.services.searches import ITEM_OUTCOME_WORDS
from kiosk.ui.style import GREY, TOUCH, WHITE

TEXT_HEIGHT = 84
OFF_GREY = "#e5e7eb"


def to_stored(value: QDateTime) -> dt.datetime:
    """A school-local time typed on the form, as stored (naive UTC)."""
    d, t = value.date(), value.time()
    local = dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=SCHOOL_ZONE)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def to_field(value: dt.datetime | None) -> QDateTime:
    local = to_local(value or utcnow())
    return QDateTime(local.year, local.month, local.day, local.hour, local.minute, 0)


def time_edit() -> QDateTimeEdit:
    edit = QDateTimeEdit(to_field(None))
    edit.setDisplayFormat("ddd d MMM yyyy HH:mm")
    edit.setCalendarPopup(True)
    edit.setMinimumHeight(TOUCH)
    # the application's style sheet names the date and time edits, not this one
    edit.setStyleSheet(
        f"QDateTimeEdit {{ padding: 4px 10px; border: 2px solid {GREY}; border-radius: 8px;"
        f" background: {WHITE}; }} QDateTimeEdit:disabled {{ {_OFF} }}"
    )
    return edit


# The application's style sheet gives fields 48 px of text (60 px in all) and check boxes
# 48 px; a style sheet wins over setMinimumHeight, so the form's own sheet asks for more.
_FIELD_TEXT = TOUCH - 12  # less the style sheet's padding and border
# A field that does not apply (the examination on the do-not-examine path) looks it.
_OFF = f"background: {OFF_GREY}; color: {GREY}; border-style: dashed;"


def touch_sized(root: QWidget) -> None:
    """Every field, list and check box in ``root`` at least TOUCH pixels high."""
    for widget in [root, *root.findChildren(QWidget)]:
        if isinstance(widget, QLineEdit) and isinstance(widget.parent(), QAbstractSpinBox):
            continue  # the date-time edit's own field: the edit itself is sized
        if isinstance(widget, (QLineEdit, QComboBox)):
            kind = type(widget).__name__
            widget.setStyleSheet(
                f"{kind} {{ min-height: {_FIELD_TEXT}px; }} {kind}:disabled {{ {_OFF} }}"
            )
        elif isinstance(widget, QPlainTextEdit):
            widget.setStyleSheet(f"QPlainTextEdit:disabled {{ {_OFF} }}")
        elif isinstance(widget, QCheckBox):
            widget.setStyleSheet(f"min-height: {TOUCH}px;")


def line(placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setMaxLength(NAME_MAX)
    edit.setPlaceholderText(placeholder)
    edit.setMinimumHeight(TOUCH)
    return edit


def text_box(placeholder: str) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setPlaceholderText(placeholder)
    edit.setFixedHeight(TEXT_HEIGHT)
    return edit


def choices(options: tuple[tuple[str, object], ...]) -> QComboBox:
    box = QComboBox()
    for words, value in options:
        box.addItem(words, value)
    box.setMinimumHeight(TOUCH)
    return box


def select(box: QComboBox, value: object) -> None:
    box.setCurrentIndex(max(0, box.findData(value)))


class ItemsEditor(QWidget):
    """The things found, one row each: what it is and what happened to it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[QWidget, QLineEdit, QComboBox]] = []
        self.list = QVBoxLayout()
        self.list.setContentsMargins(0, 0, 0, 0)
        self.add_button = QPushButton("Add an item found")
        self.add_button.clicked.connect(lambda: self.add())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.list)
        layout.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)

    def add(self, item: FoundItem | None = None) -> None:
        row = QWidget()
        what = line("e.g. vape pen, second phone")
        outcome = choices(tuple((w, o) for o, w in ITEM_OUTCOME_WORDS.items()))
        remove = QPushButton("Remove")
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(what, 2)
        layout.addWidget(outcome, 1)
        layout.addWidget(remove)
        if item is not None:
            what.setText(item.description)
            select(outcome, item.outcome)
        entry = (row, what, outcome)
        remove.clicked.connect(partial(self._remove, entry))
        self.rows.append(entry)
        self.list.addWidget(row)
        touch_sized(row)

    def _remove(self, entry: tuple[QWidget, QLineEdit, QComboBox]) -> None:
        self.rows.remove(entry)
        entry[0].deleteLater()

    def set_items(self, items: tuple[FoundItem, ...]) -> None:
        for entry in list(self.rows):
            self._remove(entry)
        for item in items:
            self.add(item)

    def items(self) -> tuple[FoundItem, ...]:
        return tuple(
            FoundItem(what.text(), str(outcome.currentData())) for _, what, outcome in self.rows
        )
