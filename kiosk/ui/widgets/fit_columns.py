"""A table beside a form on a 1024 px screen cannot show every column at a readable width.
Rather than cut the last ones off at the edge, it leaves out whole columns from the right
(the least needed: the form, the admission number) until the rest fit, and shows them
again when there is room. The search still finds what a hidden column holds."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QTableView

KEEP = 2  # the name and the next column always show


class ColumnFitter(QObject):
    def __init__(self, view: QTableView) -> None:
        super().__init__(view)
        self.view = view
        self.timer = QTimer(self)  # dies with the table: no late call into a deleted one
        self.timer.setSingleShot(True)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self.fit)
        view.viewport().installEventFilter(self)
        model = view.model()
        for signal in (model.modelReset, model.layoutChanged, model.rowsInserted):
            signal.connect(self.schedule)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.schedule()
        return False

    def schedule(self, *_args: object) -> None:
        self.timer.start()

    def needed(self, column: int) -> int:
        header = self.view.horizontalHeader()
        return max(
            header.sectionSizeFromContents(column).width(),
            self.view.sizeHintForColumn(column),
            header.minimumSectionSize(),
        )

    def fit(self) -> None:
        header = self.view.horizontalHeader()
        room = self.view.viewport().width()
        total = 0
        for column in range(header.count()):
            total += self.needed(column)
            header.setSectionHidden(column, column >= KEEP and total > room)
