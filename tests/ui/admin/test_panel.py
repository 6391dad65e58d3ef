"""The admin panel as an admin uses it on the touchscreen (offscreen Qt): roster import
with the column choices and problems, photos, cards, labels, staff, slots, settings."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from fixtures.admin import *  # noqa: F403 (the admin tests' fixtures)
from fixtures.admin import DATA
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QLineEdit,
    QPushButton,
    QWidget,
)

from kiosk.config import load_config
from kiosk.demo import DEMO_PINS
from kiosk.errors import AccountLocked, WrongPin
from kiosk.rules import PIN_HARD_LOCK_AT
from kiosk.services import backup_rotation, settings, slot_admin, staff
from kiosk.services.roster_columns import Field
from kiosk.ui.admin.panel import AdminPanel
from kiosk.ui.style import STYLE_SHEET
from ui.look import save_png
from ui.staff.conftest import settle as settle_ops

KIOSK = "kiosk-1"

CONSOLE_ROOM = (1264, 660)  # what the staff console leaves for a tab on a 1280x800 screen
NARROW_CONSOLE_WIDTH = 1000  # what it leaves on a 1024 px screen


class Answers:
    """Stands in for the yes/no dialogs: records each question, gives a set answer."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.questions: list[str] = []

    def __call__(self, _parent: QWidget, _heading: str, text: str) -> bool:
        self.questions.append(text)
        return self.answer


@pytest.fixture
def answers() -> Answers:
    return Answers()


def member(sessions, role: str) -> staff.StaffMember:
    return next(m for m in staff.list_staff(sessions) if m.role == role)


@pytest.fixture
def make_panel(qtbot, sessions, school, data_dir, answers):
    made: list[AdminPanel] = []

    def make(role: str = "admin") -> AdminPanel:
        panel = AdminPanel(sessions, member(sessions, role), load_config(data_dir))
        panel.setStyleSheet(STYLE_SHEET + panel.styleSheet())
        for page in (panel.roster, panel.cards, panel.slots, panel.settings):
            page.confirm = answers
        qtbot.addWidget(panel)
        panel.resize(*CONSOLE_ROOM)
        panel.show()
        made.append(panel)
        return panel

    yield make
    for panel in made:
        panel.lane.stop()


@pytest.fixture
def panel(make_panel) -> AdminPanel:
    return make_panel()


def settle(qtbot, jobs) -> None:
    qtbot.waitUntil(lambda: not jobs.busy, timeout=20_000)


def load(qtbot, panel: AdminPanel, path: Path) -> None:
    panel.roster.load_file(path)
    settle(qtbot, panel.roster.jobs)


def test_a_file_with_problems_lists_them_and_keeps_import_off(qtbot, panel, artifacts):
    load(qtbot, panel, DATA / "errors.csv")
    page = panel.roster
    assert not page.import_button.isEnabled()
    problems = page.problems_model.rows
    assert [p.line for p in problems if p.blocking] == [2, 3, 4, 5, 6, 7, 8]
    assert "Y7x" in problems[2].message
    statuses = [row.status for row in page.preview_model.rows]
    assert statuses.count("Problem") == 7 and statuses.count("New") == 1
    assert "7 problems to fix" in page.summary.text()
    page.only_problems.setChecked(True)
    settle_ops()
    assert all(row.problems for row in page.preview_model.rows)
    save_png(panel.grab(), artifacts / "admin-roster-problems.png")


def test_importing_a_good_file_after_a_yes_to_the_leavers(
    qtbot, panel, answers, sessions, artifacts
):
    load(qtbot, panel, DATA / "sims_bom_crlf.csv")
    page = panel.roster
    assert page.import_button.isEnabled()
    assert "10 new" in page.summary.text() and "30 to be marked as left" in page.summary.text()
    assert [r.status for r in page.preview_model.rows].count("Will be marked as left") == 30
    save_png(panel.grab(), artifacts / "admin-roster-ready.png")
    qtbot.mouseClick(page.import_button, qtbot_button())
    settle_ops()
    settle(qtbot, page.jobs)
    assert "mark 30 of 30 pupils as left" in answers.questions[0]
    assert page.result.text() == (
        "Imported: 10 added, 0 updated, 0 returned, 0 unchanged, 30 marked as left."
    )
    assert {r.status for r in page.preview_model.rows} == {"Unchanged"}
    assert not page.import_button.isEnabled()  # nothing left to import


def test_saying_no_imports_nothing(qtbot, panel, answers, snapshot):
    answers.answer = False
    before = snapshot()
    load(qtbot, panel, DATA / "sims_bom_crlf.csv")
    panel.roster.start_import()
    assert panel.roster.feedback.text() == "Nothing was imported."
    assert snapshot() == before


def test_choosing_columns_by_hand_in_the_drop_downs(qtbot, panel, tmp_path):
    headless = tmp_path / "export.csv"
    headless.write_text("B801200005001,9001,Ava,Adams,Y7,7A\n", encoding="utf-8")
    load(qtbot, panel, headless)
    page = panel.roster
    assert not page.import_button.isEnabled()
    fields = [Field.UPN, Field.ADMISSION_NUMBER, Field.LEGAL_FORENAME, Field.SURNAME]
    fields += [Field.YEAR_GROUP, Field.REG_GROUP]
    for column, fld in enumerate(fields):
        combo = page.combos[column]
        combo.setCurrentIndex(combo.findData(fld.value))
        settle_ops()
        settle(qtbot, page.jobs)
    assert not page.preview.errors
    assert page.import_button.isEnabled()
    # choosing Surname for another column takes it from the first one
    page.combos[2].setCurrentIndex(page.combos[2].findData(Field.SURNAME.value))
    settle_ops()
    settle(qtbot, page.jobs)
    assert page.combos[3].currentData() is None
    assert "No column is chosen as Legal forename." in [p.message for p in page.preview.errors]


def test_a_file_that_is_not_csv_is_a_message_not_a_crash(qtbot, panel, tmp_path):
    workbook = tmp_path / "pupils.xlsx"
    workbook.write_bytes(b"PK\x03\x04 workbook")
    load(qtbot, panel, workbook)
    assert "Excel workbook" in panel.roster.feedback.text()
    assert not panel.roster.import_button.isEnabled()


def test_photos_import_reports_files_it_could_not_use(qtbot, panel, tmp_path, sessions, school):
    from PIL import Image

    from kiosk.tables import Pupil

    folder = tmp_path / "photos"
    folder.mkdir()
    with sessions() as session:
        number = session.get(Pupil, school.pupil_ids[0]).admission_number
    Image.new("RGB", (90, 120), "grey").save(folder / f"{number}.jpg")
    Image.new("RGB", (90, 120), "grey").save(folder / "somebody.jpg")
    page = panel.photos
    panel.show_named("Photos")
    page.set_folder(folder)
    page.start_import()
    settle(qtbot, page.jobs)
    assert page.feedback.text().startswith("Done: 1 photo added")
    assert [(r.name, r.serious) for r in page.files_model.rows] == [("somebody.jpg", True)]


def test_closing_the_panel_during_an_import_lets_the_import_finish(
    qtbot, tmp_path, sessions, school, data_dir
):
    """The console throws the panel away when it locks; a running import must neither be
    cut off half-way nor take the application down."""
    from PIL import Image

    from kiosk.services import pupils

    folder = tmp_path / "photos"
    folder.mkdir()
    numbers = [p.admission_number for p in pupils.search(sessions, "", limit=100)]
    for number in numbers:
        Image.new("RGB", (1200, 1600), "grey").save(folder / f"{number}.jpg")
    panel = AdminPanel(
        sessions, member(sessions, "admin"), load_config(data_dir)
    )  # as the console does
    lane = panel.lane
    panel.photos.set_folder(folder)
    panel.photos.start_import()
    panel.deleteLater()
    qtbot.waitUntil(lambda: lane.pending == 0, timeout=60_000)
    assert all(p.has_photo for p in (pupils.summary(sessions, i) for i in school.pupil_ids))


def test_cards_for_a_form_go_to_the_exports_folder(qtbot, panel, data_dir):
    page = panel.cards
    panel.show_named("Pupil cards")
    page.form_combo.setCurrentIndex(page.form_combo.findData("8B"))
    settle_ops()
    page.make_pdf()
    settle(qtbot, page.jobs)
    assert page.feedback.text() == "1 card on 1 page: 0 new, 0 replaced."
    saved = page.saved.path
    assert saved is not None and saved.parent == data_dir / "exports"
    assert saved.read_bytes().startswith(b"%PDF")


def test_new_cards_need_a_yes(qtbot, panel, answers, data_dir):
    page = panel.cards
    page.set_scope(2)
    page.scope_buttons[2].setChecked(True)
    settle_ops()
    page.reissue.setChecked(True)
    settle_ops()
    answers.answer = False
    page.make_pdf()
    assert page.feedback.text() == "Nothing was changed."
    assert not (data_dir / "exports").exists() or not any((data_dir / "exports").iterdir())
    answers.answer = True
    page.make_pdf()
    settle(qtbot, page.jobs)
    assert "replaced" in page.feedback.text() and "0 replaced" not in page.feedback.text()
    assert "current cards will stop working" in answers.questions[-1]


def test_one_pupils_card_from_a_search(qtbot, panel):
    page = panel.cards
    qtbot.mouseClick(page.scope_buttons[0], qtbot_button())
    settle_ops()
    page.search_box.setText("002003")
    settle_ops()
    assert len(page.pupils_model.rows) == 1
    page.pupils_view.selectRow(0)
    page.make_pdf()
    settle(qtbot, page.jobs)
    assert page.feedback.text().startswith("1 card on 1 page")


def test_slot_labels_pdf(qtbot, panel, data_dir):
    page = panel.labels
    panel.show_named("Slot labels")
    assert (page.first.value(), page.last.value()) == (1, 20)
    page.make_pdf()
    settle(qtbot, page.jobs)
    assert page.feedback.text() == "20 labels on 1 sheet(s)."
    assert page.saved.path is not None and page.saved.path.is_file()


def hashed(qtbot, page) -> None:
    """Wait for the new PIN's hash (in the background) and its answer."""
    qtbot.waitUntil(lambda: not page.busy, timeout=10000)


def test_adding_staff_needs_the_same_pin_twice_and_never_keeps_it(qtbot, panel, sessions):
    page = panel.staff_page
    page.new_name.setText("Pat  Pastoral")
    page.new_role.setCurrentIndex(page.new_role.findData("senior"))
    settle_ops()
    page.new_pin.setText("739184")
    page.new_pin_again.setText("7392")
    page.add()
    settle_ops()
    assert page.feedback.text() == "The two PINs are different. Type them again."
    assert page.new_pin.text() == page.new_pin_again.text() == ""
    page.new_pin.setText("739184")
    page.new_pin_again.setText("739184")
    page.add()
    assert page.new_pin.text() == "" and not page.add_button.isEnabled()  # hashing
    hashed(qtbot, page)
    settle_ops()
    assert page.feedback.text() == "Pat Pastoral can now log in as Senior / DSL."
    assert page.new_pin.text() == ""
    assert "Pat Pastoral" in [m.name for m in page.model.rows]
    pat = next(m for m in staff.list_staff(sessions) if m.name == "Pat Pastoral")
    assert staff.check_pin(sessions, pat.id, "739184", terminal=KIOSK).role == "senior"


def test_a_weak_pin_is_refused_in_plain_words(qtbot, panel):
    page = panel.staff_page
    page.new_name.setText("Sam Same")
    page.new_pin.setText("1111")
    page.new_pin_again.setText("1111")
    page.add()
    hashed(qtbot, page)
    assert page.feedback.text() == (
        "That PIN repeats a pattern (like 1111 or 1212): people guess those first. "
        "Please choose another."
    )
    settle_ops()


def test_deactivate_reset_pin_and_change_role(qtbot, panel, sessions):
    page = panel.staff_page
    page.choose("Olivia Office")
    page.toggle_active()
    settle_ops()
    assert page.feedback.text() == "Olivia Office is deactivated: they cannot log in."
    assert "Olivia Office" not in [m.name for m in page.model.rows]
    page.show_inactive.setChecked(True)
    settle_ops()
    page.choose("Olivia Office")
    assert page.active_button.text() == "Reactivate"
    page.toggle_active()
    settle_ops()
    page.choose("Olivia Office")
    page.reset_pin.setText("8642")
    page.reset_pin_again.setText("8642")
    page.set_pin()
    hashed(qtbot, page)
    settle_ops()
    office = member(sessions, "office")
    with pytest.raises(WrongPin):
        staff.check_pin(sessions, office.id, DEMO_PINS["office"], terminal=KIOSK)
    assert staff.check_pin(sessions, office.id, "8642", terminal=KIOSK).name == "Olivia Office"
    page.choose("Olivia Office")
    page.role.setCurrentIndex(page.role.findData("senior"))
    settle_ops()
    page.change_role()
    settle_ops()
    assert page.feedback.text() == "Olivia Office is now Senior / DSL."


def test_an_admin_cannot_deactivate_themselves(panel):
    page = panel.staff_page
    page.choose("Alex Admin")
    page.toggle_active()
    settle_ops()
    assert page.feedback.is_error
    assert page.feedback.text() == "You cannot deactivate your own account."


def test_an_admin_unlocks_an_account_locked_by_wrong_pins(qtbot, panel, sessions):
    office = member(sessions, "office")
    at = dt.datetime(2026, 11, 20, 9, 0)
    for _ in range(PIN_HARD_LOCK_AT):
        with pytest.raises((WrongPin, AccountLocked)) as error:
            staff.check_pin(sessions, office.id, "000000", terminal=KIOSK, now=at)
        at += getattr(error.value, "wait", dt.timedelta(0))
    page = panel.staff_page
    page.reload()
    settle_ops()
    page.choose("Olivia Office")
    row = next(m for m in page.model.rows if m.name == "Olivia Office")
    assert row.locked and not page.unlock_button.isHidden()
    page.unlock_button.click()
    settle_ops()
    assert page.feedback.text() == "Olivia Office is unlocked and can log in again."
    assert staff.check_pin(sessions, office.id, DEMO_PINS["office"], terminal=KIOSK, now=at)
    settle_ops()
    page.choose("Olivia Office")
    assert page.unlock_button.isHidden()


def test_the_services_refuse_a_non_admin_even_inside_the_panel(qtbot, make_panel):
    panel = make_panel("office")
    page = panel.staff_page
    page.new_name.setText("Someone New")
    page.new_pin.setText("739184")
    page.new_pin_again.setText("739184")
    page.add()
    hashed(qtbot, page)
    settle_ops()
    assert "Your role does not allow this" in page.feedback.text()


def test_slot_ranges_and_one_slot_out_of_service(panel, sessions):
    page = panel.slots
    panel.show_named("Slots")
    settle_ops()
    assert (page.first.value(), page.last.value()) == (21, 30)  # next free numbers offered
    page.cabinet.setText("B")
    page.add()
    settle_ops()
    assert page.feedback.text() == "Added 10 slots."
    page.first.setValue(29)
    page.reserve(True)
    settle_ops()
    assert page.feedback.text() == "2 slots are now kept for confiscations."
    page.view.selectRow(0)
    page.reason.setText("Lock broken")
    page.set_service(False)
    settle_ops()
    assert page.feedback.text() == "Slot 1 is out of service."
    assert page.reason.text() == ""
    page.first.setValue(25)
    page.last.setValue(30)
    page.remove()
    settle_ops()
    rows = {r.number: r for r in slot_admin.list_slot_rows(sessions)}
    assert not rows[1].in_service and 24 in rows and 25 not in rows
    assert page.count_label.text() == "24 slots, 23 in service"


def test_settings_are_saved_and_checked(panel, answers, sessions):
    page = panel.settings
    page.school_name.setText("Kingsmead Academy Trust")
    page.sound.setChecked(False)
    settle_ops()
    page.times["handin_closes"].setTime(page.times["handin_opens"].time().addSecs(-60))
    page.save()
    settle_ops()
    assert page.feedback.text() == "Hand-in closes must be after hand-in opens."
    page.times["handin_closes"].setTime(page.times["handin_opens"].time().addSecs(3 * 3600))
    page.save()
    settle_ops()
    assert page.feedback.text().startswith("Saved.")
    saved = settings.load(sessions)
    assert (saved.school_name, saved.sound, saved.handin_closes.hour) == (
        "Kingsmead Academy Trust",
        False,
        10,
    )
    answers.answer = False
    page.school_code.setText("NEW")
    page.save()
    settle_ops()
    assert page.feedback.text() == "Nothing was saved."
    assert settings.load(sessions).school_code == "KMA"


def test_how_many_automatic_backups_are_kept_is_a_setting(panel, sessions):
    page = panel.settings
    settle_ops()
    assert [spin.value() for spin in page.backups_kept.values()] == [14, 8, 12]
    page.backups_kept["backup_keep_daily"].setValue(30)
    page.backups_kept["backup_keep_monthly"].setValue(0)
    page.save()
    settle_ops()
    assert page.feedback.text().startswith("Saved.")
    assert settings.load(sessions).backups_kept == (30, 8, 0)
    with sessions() as session:
        assert backup_rotation.generations(session) == backup_rotation.Generations(30, 8, 0)
    assert page.backups_kept["backup_keep_daily"].minimum() == 1  # at least a day's backup


TOUCHED = (QPushButton, QLineEdit, QComboBox, QAbstractSpinBox, QCheckBox)


def test_everything_a_finger_presses_is_big_enough_and_the_panel_fits_the_console(
    qtbot, panel, artifacts
):
    names = ["roster", "contacts", "photos", "cards", "labels", "staff", "slots", "settings"]
    load(qtbot, panel, DATA / "arbor_title_rows.csv")
    for index, name in enumerate(names):
        panel.show_section(index)
        qtbot.wait(10)
        page = panel.stack.currentWidget()
        small = [
            (type(w).__name__, w.text() if hasattr(w, "text") else "", w.height())
            for w in page.findChildren(QWidget)
            if isinstance(w, TOUCHED) and w.isVisible() and w.height() < 48
        ]
        assert not small, name
        save_png(panel.grab(), artifacts / f"admin-{name}.png")
    for choice in panel.strip.buttons.values():
        assert choice.height() >= 64
    # As wide as the console leaves on a 1024 px screen; a taller page scrolls there
    # (tests/ui/staff/test_layout_fits.py checks every page in the console itself).
    assert panel.minimumSizeHint().width() <= NARROW_CONSOLE_WIDTH


def qtbot_button():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


@pytest.fixture(autouse=True)
def _no_stray_files(data_dir, tmp_path):
    """Everything the panel writes lands in the data directory (or the test's own files)."""
    yield
    home_exports = Path.home() / "exports"
    assert not home_exports.exists() or home_exports.is_dir()
    shutil.rmtree(data_dir / "exports", ignore_errors=True)


def test_a_lost_card_prints_a_new_one_singly_and_the_old_one_is_refused(
    qtbot, panel, answers, sessions, school, artifacts
):
    from kiosk.errors import CardRevoked
    from kiosk.services import custody, pupils

    panel.show_named("Pupil cards")
    page = panel.cards
    page.scope_buttons[0].click()
    pupil = pupils.summary(sessions, school.pupil_ids[4])
    settle_ops()
    page.search_box.setText(pupil.surname)
    settle_ops()
    view = page.pupils_view
    row = next(
        i for i in range(page.pupils_model.rowCount()) if page.pupils_model.row(i).id == pupil.id
    )
    view.selectRow(row)
    assert page.lost_button.isVisible() and page.lost_button.height() >= 64
    page.lost_button.click()
    settle(qtbot, page.jobs)
    assert "lost card stops working" in answers.questions[-1]
    assert "1 card" in page.feedback.text() and "1 replaced" in page.feedback.text()
    assert page.saved.path is not None and page.saved.path.read_bytes().startswith(b"%PDF")
    with pytest.raises(CardRevoked):
        custody.hand_in_by_card(sessions, school.card_texts[pupil.id])
    save_png(panel.grab(), artifacts / "admin-card-lost.png")
