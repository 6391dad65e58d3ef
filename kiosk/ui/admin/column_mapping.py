"""What each column of an MIS export means: one drop-down per column of the file (with an
example value), filled in from the header names, changed by hand. Used by the roster and
the contacts imports, each with its own set of fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from kiosk.services.roster_columns import FieldSet, remap
from kiosk.services.roster_file import RawTable
from kiosk.ui.admin.common import touch
from kiosk.ui.style import GREY

NOT_USED = "(not used)"
Columns = tuple[Any, ...]  # one field (or None) per column of the file


class ColumnMapping(QWidget):
    """Calls ``on_change`` with the new columns when a drop-down is changed."""

    def __init__(self, fields: FieldSet[Any], on_change: Callable[[Columns], None]) -> None:
        super().__init__()
        self.fields, self.on_change = fields, on_change
        self.columns: Columns = ()
        self.choices: list[Any] = list(fields.labels)  # the fields, in the drop-downs' order
        self.combos: list[QComboBox] = []
        self.grid = QGridLayout()
        holder = QWidget()
        holder.setLayout(self.grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(holder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>What each column in the file means</b>"))
        layout.addWidget(scroll, 1)

    def clear(self) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.combos = []

    def show_table(self, table: RawTable) -> Columns:
        """A drop-down per column of ``table``, set from its header names; those columns."""
        self.clear()
        self.columns = self.fields.detect(table.headers)
        example = table.rows[0] if table.rows else None
        for column, header in enumerate(table.headers):
            sample = table.cell(example, column) if example else ""
            shown = escape(sample) if sample else "(blank)"
            example_html = f"<span style='color:{GREY}; font-size: 16px'>e.g. {shown}</span>"
            name = QLabel(f"<b>{escape(header)}</b> &nbsp; {example_html}")
            name.setTextFormat(Qt.TextFormat.RichText)
            combo = QComboBox()
            touch(combo)
            combo.addItem(NOT_USED, None)
            for fld in self.choices:
                combo.addItem(self.fields.labels[fld], fld.value)
            combo.setCurrentIndex(self._index(self.columns[column]))
            combo.currentIndexChanged.connect(lambda _i, c=column: self._combo_changed(c))
            self.grid.addWidget(name, 2 * column, 0)
            self.grid.addWidget(combo, 2 * column + 1, 0)
            self.combos.append(combo)
        self.grid.setRowStretch(2 * len(table.headers), 1)
        return self.columns

    def _index(self, fld: Any) -> int:
        return 0 if fld is None else self.choices.index(fld) + 1

    def _combo_changed(self, column: int) -> None:
        value = self.combos[column].currentData()
        self.set_field(column, self.fields.kind(value) if value else None)

    def set_field(self, column: int, fld: Any) -> None:
        """Say what ``column`` means; a field chosen here is taken from any other column."""
        self.columns = remap(self.columns, column, fld)
        for index, combo in enumerate(self.combos):
            wanted = self._index(self.columns[index])
            if combo.currentIndex() != wanted:
                combo.blockSignals(True)
                combo.setCurrentIndex(wanted)
                combo.blockSignals(False)
        self.on_change(self.columns)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
