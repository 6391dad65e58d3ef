"""A document just saved (a receipt, a sheet of cards): where it is, and a button to open
it in the computer's PDF viewer for printing."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget


def open_document(path: Path) -> bool:
    """Open a file (or folder) with the computer's own program for it."""
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))


class DocumentBar(QWidget):
    """``saved`` names the document on its line ("Receipt saved: …"); ``full_path`` shows
    the whole path rather than the file's name."""

    def __init__(
        self, saved: str = "Saved", parent: QWidget | None = None, *, full_path: bool = False
    ) -> None:
        super().__init__(parent)
        self.saved, self.full_path = saved, full_path
        self.path: Path | None = None
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.open_button = QPushButton("Open to print")
        self.open_button.clicked.connect(self._open)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.open_button)
        self.setVisible(False)

    def show_path(self, path: Path) -> None:
        self.path = path
        self.label.setText(f"{self.saved}: {path if self.full_path else path.name}")
        self.setVisible(True)

    def _open(self) -> None:
        if self.path is not None and not open_document(self.path):
            self.label.setText(f"Could not open a PDF viewer. The file is at {self.path}")
