from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from kiosk.ui.widgets.confirm_panel import ConfirmPanel


def shown_in_a_page(qtbot, panel):
    page = QWidget()
    QVBoxLayout(page).addWidget(panel)
    qtbot.addWidget(page)
    page.show()
    return page


def test_back_withdraws_the_question_and_records_nothing(qtbot):
    answered: list[str] = []
    panel = ConfirmPanel("Yes, record it", lambda: answered.append("yes"))
    page = shown_in_a_page(qtbot, panel)  # noqa: F841 (kept alive: it owns the panel)
    assert not panel.isVisible()  # hidden until asked
    panel.ask("Record that all 3 devices left?")
    assert panel.isVisible() and panel.question.text() == "Record that all 3 devices left?"
    qtbot.mouseClick(panel.back, Qt.MouseButton.LeftButton)
    assert not panel.isVisible() and answered == []


def test_yes_hides_the_question_then_runs_the_action_once(qtbot):
    seen: list[bool] = []
    panel = ConfirmPanel("Yes, release them", lambda: seen.append(panel.isVisible()))
    page = shown_in_a_page(qtbot, panel)  # noqa: F841 (kept alive: it owns the panel)
    panel.ask("Release every held device of 2 pupils?")
    qtbot.mouseClick(panel.yes, Qt.MouseButton.LeftButton)
    assert seen == [False]  # a second tap cannot record it twice: the button is gone
    assert panel.yes.property("role") == "danger"


def test_on_a_wide_page_the_buttons_stand_beside_the_question(qtbot):
    panel = ConfirmPanel("Yes, record it", lambda: None, beside=True)
    page = shown_in_a_page(qtbot, panel)
    page.resize(1000, 200)
    panel.ask("Record that all 280 daily devices left their slots in an emergency?")
    qtbot.waitUntil(lambda: panel.yes.geometry().top() < panel.question.geometry().bottom())
    assert panel.yes.geometry().left() > panel.question.geometry().right()
