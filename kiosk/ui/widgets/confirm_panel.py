"""Review, then confirm: before an action that records for many pupils at once, the console
says in words what will be recorded, under it a Yes button and Back. Inline (not a modal
box), so the list it speaks of stays in view."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class ConfirmPanel(QFrame):
    """Hidden until ``ask``; Yes hides it again and runs ``on_yes``, Back only hides it.
    The buttons stand under the question, or ``beside`` it on a wide page."""

    def __init__(
        self,
        yes_text: str,
        on_yes: Callable[[], None],
        *,
        role: str = "danger",
        beside: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.Box)
        self.on_yes = on_yes
        self.question = QLabel("")
        self.question.setWordWrap(True)
        self.yes = QPushButton(yes_text)
        self.yes.setProperty("role", role)
        self.yes.clicked.connect(self._confirmed)
        self.back = QPushButton("Back")
        self.back.clicked.connect(lambda: self.setVisible(False))
        buttons = QHBoxLayout()
        buttons.addWidget(self.yes)
        buttons.addWidget(self.back)
        layout = QHBoxLayout(self) if beside else QVBoxLayout(self)
        layout.addWidget(self.question, 1)
        layout.addLayout(buttons)
        self.setVisible(False)

    def ask(self, question: str) -> None:
        self.question.setText(question)
        self.setVisible(True)

    def _confirmed(self) -> None:
        self.setVisible(False)
        self.on_yes()
