"""The contacts import in the admin panel, through the real widgets: a good file previewed
and imported after a yes; a file with a bad row listed with its problems and the Import
button kept off; the columns chosen by hand."""

from __future__ import annotations

from fixtures.admin import *  # noqa: F403 (the admin tests' fixtures)
from fixtures.admin import DATA
from sqlalchemy import func, select

from kiosk.services.contacts_columns import ContactField
from kiosk.tables import PupilContact
from ui.admin import test_panel as panel_tests
from ui.admin.test_panel import qtbot_button, settle
from ui.look import save_png
from ui.staff.conftest import settle as settle_ops

# The admin panel's own fixtures (a panel with an admin logged in, and the yes/no answers).
answers, make_panel, panel = panel_tests.answers, panel_tests.make_panel, panel_tests.panel


def load(qtbot, panel, path) -> None:
    panel.contacts.load_file(path)
    settle(qtbot, panel.contacts.jobs)


def links(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(PupilContact)) or 0


def test_a_good_file_is_previewed_then_imported_after_a_yes(
    qtbot, panel, answers, sessions, artifacts
):
    panel.contacts.confirm = answers
    panel.show_named("Contacts import")
    load(qtbot, panel, DATA / "contacts_sims.csv")
    page = panel.contacts
    assert page.import_button.isEnabled()
    assert page.summary.text().startswith("Ready to import: 4 pupils, 7 contacts (7 new)")
    rows = page.preview_model.rows
    assert len(rows) == 8
    assert [r.line for r in rows if r.barred] == [5, 11]
    save_png(panel.grab(), artifacts / "admin-contacts-ready.png")
    qtbot.mouseClick(page.import_button, qtbot_button())
    settle_ops()
    settle(qtbot, page.jobs)
    assert answers.questions[0].startswith("Import the contacts: 4 pupils")
    assert page.result.text().startswith("Imported: 4 pupils, 7 contacts (7 added, 0 removed)")
    assert links(sessions) == 8


def test_a_bad_row_keeps_import_off_and_says_where(qtbot, panel, sessions, tmp_path, artifacts):
    text = (DATA / "contacts_sims.csv").read_text(encoding="utf-8-sig")
    bad = tmp_path / "contacts.csv"
    bad.write_text(text.replace("K830000000002", "K830000000099"), encoding="utf-8")
    panel.show_named("Contacts import")
    load(qtbot, panel, bad)
    page = panel.contacts
    assert not page.import_button.isEnabled()
    assert [p.line for p in page.problems_model.rows if p.blocking] == [9]
    assert "1 problem to fix" in page.summary.text()
    assert [r.blocking for r in page.preview_model.rows].count(True) == 1
    save_png(panel.grab(), artifacts / "admin-contacts-problem.png")
    assert links(sessions) == 0


def test_a_column_chosen_by_hand(qtbot, panel):
    panel.show_named("Contacts import")
    load(qtbot, panel, DATA / "contacts_sims.csv")
    page = panel.contacts
    collect = page.table.headers.index("Collect Pupil")
    combo = page.mapping.combos[collect]
    assert combo.currentData() == ContactField.MAY_COLLECT.value
    combo.setCurrentIndex(0)  # not used: parental responsibility decides
    settle(qtbot, page.jobs)
    assert "no 'may collect' column" in page.problems_model.rows[0].message
    assert page.import_button.isEnabled()
