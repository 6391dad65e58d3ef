"""Touch-sized tabs: one row of big buttons, with the pages that do not fit under "More"
(Qt's own tab bar hides them behind 10 px scroll arrows; wrapping took three rows of a
600 px screen), and pages that scroll up and down when the screen is short instead of
pushing the window past it. ``FlowLayout`` wraps other rows of choices."""

from __future__ import annotations

from PySide6.QtCore import QMargins, QObject, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QLayout,
    QLayoutItem,
    QPushButton,
    QScrollArea,
    QScroller,
    QSizePolicy,
    QTabWidget,
    QWidget,
)

from kiosk.ui.style import BLUE, TOUCH, WHITE
from kiosk.ui.widgets.more_menu import MoreMenu

MORE = "More"
SPACING = 6
STRIP_STYLE = f"""
QPushButton[strip="true"] {{ min-height: {TOUCH}px; padding: 4px 10px; }}
QPushButton[strip="true"]:checked {{ background: {BLUE}; color: {WHITE}; }}
"""


class FlowLayout(QLayout):
    """Items left to right, starting a new row when the next one would not fit."""

    def __init__(
        self, parent: QWidget | None = None, spacing: int = 6, *, nested: bool = True
    ) -> None:
        """``nested``: inside another layout, which asks the height for its width. A
        window's own strip (``nested=False``) answers for the width it was last given
        instead: Qt's height-for-width would size the window for one button a row."""
        super().__init__(parent)
        self._nested = nested
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self._height = 0
        self._width = 0  # the width last given (invalidate() forgets the geometry)
        self.setContentsMargins(QMargins(0, 0, 0, 0))

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return self._nested

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._width = rect.width()
        self._arrange(rect, move=True)
        if not self._nested and self._arrange(rect, move=False) != self._height:
            # A row more or fewer: every layout up to the window must measure again.
            layout: QObject | None = self
            while isinstance(layout, QLayout):
                layout.invalidate()
                layout = layout.parent()
            owner = self.parentWidget()
            if owner is not None:
                owner.updateGeometry()

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        """As narrow as the widest item (the rest wraps); when not nested, as tall as the
        rows need at the width given last."""
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        # Before the first layout the width is unknown: one row, corrected when placed.
        width = self._width or 1 << 20
        self._height = self._arrange(QRect(0, 0, max(width, size.width()), 0), move=False)
        return QSize(size.width(), self._height)

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        x, y, row_height = rect.x(), rect.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > rect.right() + 1 and x > rect.x():
                x, y = rect.x(), y + row_height + self._spacing
                row_height = 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            row_height = max(row_height, hint.height())
        return y + row_height - rect.y()


class TabStrip(QWidget):
    """One checkable button per page, in one row: the pages that do not fit go under a
    "More" button at its end (``MoreMenu``), which names the page on show when it is one
    of them. ``chosen`` gives the index tapped."""

    chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(STRIP_STYLE)
        self.group = QButtonGroup(self)
        self.group.idClicked.connect(self.chosen)
        self.buttons: dict[str, QPushButton] = {}
        self.more = self._strip_button(MORE)
        self.more.setCheckable(True)
        self.more.clicked.connect(lambda _checked=False: self.open_more())
        self.menu = MoreMenu(self)
        self.menu.chosen.connect(self.chosen)
        self.hidden: list[int] = []  # the indexes under More
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.more.sizeHint().height())

    def _strip_button(self, title: str) -> QPushButton:
        choice = QPushButton(title, self)
        choice.setProperty("strip", "true")
        return choice

    def set_titles(self, titles: list[str]) -> None:
        self.menu.hide()  # its buttons are for the pages that were
        for choice in list(self.buttons.values()):
            self.group.removeButton(choice)
            choice.deleteLater()
        self.buttons = {}
        for index, title in enumerate(titles):
            choice = self._strip_button(title)
            choice.setCheckable(True)
            self.group.addButton(choice, index)
            self.buttons[title] = choice
        self.setFixedHeight(max(b.sizeHint().height() for b in [self.more, *self.buttons.values()]))
        self._arrange()
        self.updateGeometry()

    def select(self, index: int) -> None:
        choice = self.group.button(index)
        if choice is not None:
            choice.setChecked(True)
        self._arrange()

    def open_more(self) -> None:
        """The pages that did not fit, as big buttons under More."""
        titles = list(self.buttons)
        choices = [(index, titles[index]) for index in self.hidden]
        self.menu.show_choices(choices, self.group.checkedId(), self.more)
        self._mark_more()

    def sizeHint(self) -> QSize:
        widths = [b.sizeHint().width() for b in self.buttons.values()]
        return QSize(sum(widths) + SPACING * len(widths), self.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.more.sizeHint().width(), self.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange()

    def _arrange(self) -> None:
        """As many pages as fit, in order, then More with the rest."""
        choices = list(self.buttons.values())
        widths = [choice.sizeHint().width() for choice in choices]
        shown = len(choices)
        if sum(widths) + SPACING * (shown - 1) > self.width():
            shown = self._fitting(widths)
        x = 0
        for index, choice in enumerate(choices):
            choice.setVisible(index < shown)
            if index < shown:
                choice.setGeometry(x, 0, widths[index], self.height())
                x += widths[index] + SPACING
        self.hidden = list(range(shown, len(choices)))
        self.more.setVisible(bool(self.hidden))
        if self.hidden:
            self.more.setText(self._more_words(shown))
            width = self.more.sizeHint().width()
            self.more.setGeometry(x, 0, width, self.height())
        self._mark_more()

    def _fitting(self, widths: list[int]) -> int:
        """How many pages fit before More (whose words name the page on show, if hidden)."""
        for shown in range(len(widths) - 1, 0, -1):
            self.more.setText(self._more_words(shown))
            used = sum(widths[:shown]) + SPACING * shown + self.more.sizeHint().width()
            if used <= self.width():
                return shown
        return 0

    def _more_words(self, shown: int) -> str:
        current = self.group.checkedId()
        if current >= shown:
            return f"{MORE}: {list(self.buttons)[current]}"
        return MORE

    def _mark_more(self) -> None:
        """More looks chosen while the page on show is one of those under it."""
        self.more.setChecked(self.group.checkedId() in self.hidden)


def scrolling(page: QWidget) -> QScrollArea:
    """``page`` in a frame that scrolls up and down when the screen is too short for it."""
    frame = QScrollArea()
    frame.setWidget(page)
    frame.setWidgetResizable(True)
    frame.setFrameShape(QFrame.Shape.NoFrame)
    frame.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    frame.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
    QScroller.grabGesture(frame.viewport(), QScroller.ScrollerGestureType.TouchGesture)
    return frame


class StripTabs(QTabWidget):
    """A ``QTabWidget`` shown through a ``TabStrip`` (``self.strip``, placed by the owner)
    with its own bar hidden. Each page sits in a scrolling frame; ``widget`` and
    ``currentWidget`` give the page itself, never the frame."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tabBar().hide()
        self.setDocumentMode(True)
        self.strip = TabStrip()
        self.strip.chosen.connect(self.setCurrentIndex)
        self.currentChanged.connect(self.strip.select)

    def add_page(self, page: QWidget, title: str) -> int:
        return self.addTab(scrolling(page), title)

    def replace_page(self, index: int, page: QWidget) -> None:
        """Put ``page`` in the frame at ``index``, deleting the page that was there."""
        frame = super().widget(index)
        if isinstance(frame, QScrollArea):
            frame.setWidget(page)

    def remove_page(self, index: int) -> None:
        """Take a page out and delete it (with its frame)."""
        frame = super().widget(index)
        self.removeTab(index)
        if frame is not None:
            frame.deleteLater()

    def widget(self, index: int) -> QWidget | None:
        frame = super().widget(index)
        return frame.widget() if isinstance(frame, QScrollArea) else frame

    def currentWidget(self) -> QWidget:
        page = self.widget(self.currentIndex())
        return page if page is not None else super().currentWidget()

    def setCurrentWidget(self, page: QWidget) -> None:
        for index in range(self.count()):
            if self.widget(index) is page:
                self.setCurrentIndex(index)
                return

    def tabInserted(self, index: int) -> None:
        super().tabInserted(index)
        self._retitle()

    def tabRemoved(self, index: int) -> None:
        super().tabRemoved(index)
        self._retitle()

    def _retitle(self) -> None:
        self.strip.set_titles([self.tabText(i) for i in range(self.count())])
        self.strip.select(self.currentIndex())
