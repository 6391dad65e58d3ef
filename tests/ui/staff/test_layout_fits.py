"""Every tab and admin page, at the smallest, a middle and the largest supported screen:
the console keeps the size asked (it never grows past the screen), and every button, field,
list and column header a finger needs lies inside the window at its full size. Each page
is saved as a picture in ``artifacts/staff/layout`` to look at."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableView,
    QWidget,
)

from ui.look import save_png
from ui.staff.conftest import log_in, settle
from ui.taps import tab_titles

SIZES = ((1024, 600), (1280, 800), (1920, 1080))
TOUCHED = (QAbstractButton, QLineEdit, QComboBox)


def visible_inside(widget: QWidget, window: QWidget) -> bool:
    return widget.isVisibleTo(window) and widget.isVisible()


def clipped_rect(widget: QWidget) -> QRect:
    """The part of ``widget`` its ancestors let be seen, in its own coordinates."""
    rect = widget.rect()
    parent = widget.parentWidget()
    offset = QPoint(0, 0)
    child = widget
    scrolled = False  # below a page that scrolls up and down, only the sides can clip
    while parent is not None:
        offset += child.pos()
        seen = parent.rect().translated(-offset)
        scrolled = scrolled or _scrolls_up_and_down(parent)
        if scrolled:
            seen = QRect(seen.x(), rect.y(), seen.width(), rect.height())
        rect = rect.intersected(seen)
        child, parent = parent, parent.parentWidget()
    return rect


def problems(window: QWidget) -> list[str]:
    """Everything touchable that is cut off by the window or squashed below its size."""
    found = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or not isinstance(widget, TOUCHED):
            continue
        name = _name(widget)
        if clipped_rect(widget) != widget.rect():
            found.append(f"{name} is cut off")
        # A button's size hint fits its words; a field needs room for a dozen letters
        # (a spin box's own field is as small as its numbers).
        if isinstance(widget, QPushButton):
            wanted = widget.sizeHint().width() - 1
        elif isinstance(widget, QLineEdit) and not isinstance(widget.parent(), QAbstractSpinBox):
            wanted = min(widget.sizeHint().width(), 160)
        else:
            wanted = widget.minimumSizeHint().width()
        hint = widget.minimumSizeHint()
        if widget.width() < wanted or widget.height() < min(hint.height(), 48):
            found.append(f"{name} is squashed to {widget.width()}x{widget.height()}")
    for table in window.findChildren(QTableView):
        if table.isVisible():
            found += _header_problems(table)
    return found


def _scrolls_up_and_down(parent: QWidget) -> bool:
    """The viewport of a scrolling page (not of a table): what lies below can be reached."""
    frame = parent.parentWidget()
    return (
        isinstance(frame, QScrollArea)
        and frame.viewport() is parent
        and frame.verticalScrollBarPolicy() != Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    )


def _header_problems(table: QTableView) -> list[str]:
    header: QHeaderView = table.horizontalHeader()
    if not header.isVisible() or table.property("scrolls_sideways"):
        return []
    found = []
    width = table.viewport().width()
    for column in range(header.count()):
        if header.isSectionHidden(column):
            continue
        title = table.model().headerData(column, header.orientation()) if table.model() else ""
        start = header.sectionViewportPosition(column)
        size = header.sectionSize(column)
        if start + size > width + 1:
            found.append(f"column {title!r} of a table runs past its edge")
        if size < header.sectionSizeFromContents(column).width() - 1:
            found.append(f"column {title!r} is narrower than its heading")
    return found


def _name(widget: QWidget) -> str:
    text = getattr(widget, "text", None)
    label = text() if callable(text) else ""
    return f"{type(widget).__name__} {label!r}".strip()


def save(window: QWidget, artifacts, name: str) -> None:
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
    folder = artifacts / "staff" / "layout"
    folder.mkdir(parents=True, exist_ok=True)
    assert save_png(window.grab(), folder / f"{name}_{window.width()}x{window.height()}.png")


def pages(console):
    """(name, show) for every tab, and every admin section inside the Admin tab."""
    for title in tab_titles(console):
        yield title, lambda title=title: console.show_tab(title)
        if title == "Admin":
            panel = console.tab("Admin")
            for section, choice in panel.strip.buttons.items():
                yield f"Admin - {section}", lambda choice=choice: choice.click()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_page_fits_the_screen(make_console, artifacts, size):
    console = make_console()
    console.resize(*size)
    log_in(console, "admin")
    report = {}
    for index, (name, show) in enumerate(list(pages(console))):
        show()
        settle()
        QApplication.processEvents()
        save(console, artifacts, f"{index:02d}_{name.lower().replace(' ', '_')}")
        found = problems(console)
        if (console.width(), console.height()) != size:
            found.insert(0, f"the console grew to {console.width()}x{console.height()}")
        if found:
            report[name] = found
    assert not report, "\n".join(f"{k}: {v}" for k, v in report.items())
