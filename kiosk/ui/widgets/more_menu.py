"""The "More" menu of a tab strip: the tabs that do not fit its one row, as big buttons in
a pop-up beside the strip (a column, or several when the screen is short), so every tab is
a finger's tap away at any screen size and a new tab never needs a second row."""

from __future__ import annotations

import math

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFrame, QGridLayout, QPushButton, QWidget

from kiosk.ui.style import BLUE, TOUCH, WHITE

SPACING = 6
MENU_STYLE = f"""
QFrame#more_menu {{ background: #f3f4f6; border: 2px solid #6b7280; border-radius: 8px; }}
QPushButton {{ min-height: {TOUCH}px; padding: 4px 18px; text-align: left; }}
QPushButton:checked {{ background: {BLUE}; color: {WHITE}; }}
"""


class MoreMenu(QFrame):
    """A pop-up of the tabs given to ``show_choices``; ``chosen`` gives the tab's index.
    Like any pop-up it goes away at a tap outside it."""

    chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("more_menu")
        self.setStyleSheet(MENU_STYLE)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(SPACING, SPACING, SPACING, SPACING)
        self.grid.setSpacing(SPACING)
        self.buttons: dict[str, QPushButton] = {}

    def show_choices(self, choices: list[tuple[int, str]], current: int, below: QWidget) -> None:
        """Show ``choices`` (index, title) under the widget ``below`` (the More button),
        inside the screen: as many columns as the height below it needs."""
        self._fill(choices, current, self._columns(len(choices), below))
        self.show()  # styled once shown: only then do the buttons know their size
        self.resize(self.sizeHint())  # (adjustSize would hold it to 2/3 of the screen)
        self.move(self._place(below))
        self.raise_()

    def _fill(self, choices: list[tuple[int, str]], current: int, columns: int) -> None:
        for old in self.buttons.values():
            self.grid.removeWidget(old)
            old.hide()
            old.deleteLater()
        self.buttons = {}
        rows = math.ceil(len(choices) / columns)
        for place, (index, title) in enumerate(choices):
            choice = QPushButton(title)
            choice.setCheckable(True)
            choice.setChecked(index == current)
            choice.clicked.connect(lambda _checked=False, index=index: self._pick(index))
            self.grid.addWidget(choice, place % rows, place // rows)
            self.buttons[title] = choice

    def _pick(self, index: int) -> None:
        self.hide()
        self.chosen.emit(index)

    def _columns(self, count: int, below: QWidget) -> int:
        room = self._room(below).height() - 2 * SPACING
        per_column = max(1, (room + SPACING) // (TOUCH + 4 + SPACING))
        return max(1, math.ceil(count / per_column))

    def _room(self, below: QWidget) -> QRect:
        """The part of the window (and screen) under ``below``, where the menu may go."""
        window = below.window()
        area = QRect(window.mapToGlobal(QPoint(0, 0)), window.size())
        screen = below.screen() or QGuiApplication.primaryScreen()
        if screen is not None:
            area = area.intersected(screen.availableGeometry()) or area
        top = below.mapToGlobal(QPoint(0, below.height())).y()
        return QRect(area.left(), top, area.width(), max(0, area.bottom() - top))

    def _place(self, below: QWidget) -> QPoint:
        room = self._room(below)
        right = below.mapToGlobal(QPoint(below.width(), 0)).x()
        x = min(right - self.width(), room.right() - self.width())
        return QPoint(max(room.left(), x), room.top())
