"""The admin's Letters and email page: the letter's wording saved (an unknown placeholder
refused in words, nothing saved), the mail server with its password going to the key
store, a plain connection with a password refused, and the unclaimed limit."""

from __future__ import annotations

import pytest
from fixtures.admin import *  # noqa: F403 (the admin tests' fixtures)
from sqlalchemy import select

from kiosk.config import load_config
from kiosk.keystore import KeyStore
from kiosk.services import letters, mail, staff
from kiosk.tables import Setting
from kiosk.ui.admin.letters_page import KEEP_PASSWORD, LettersPage
from kiosk.ui.style import STYLE_SHEET
from ui.staff.conftest import settle


@pytest.fixture
def page(qtbot, sessions, school, data_dir):
    admin = next(m for m in staff.list_staff(sessions) if m.role == "admin")
    made = LettersPage(sessions, admin, load_config(data_dir))
    made.setStyleSheet(STYLE_SHEET)
    qtbot.addWidget(made)
    made.resize(1264, 1400)
    made.show()
    settle()
    return made


def test_a_wording_with_an_unknown_placeholder_is_refused_and_a_good_one_saved(page, sessions):
    assert page.template.toPlainText() == letters.DEFAULT_TEMPLATE
    page.template.setPlainText("Dear {parent_title} {pupil_name},")
    page.save_template()
    settle()
    assert page.feedback.is_error
    assert "The letter does not know {parent_title}." in page.feedback.text()
    assert letters.current_template(sessions) == letters.DEFAULT_TEMPLATE
    page.template.setPlainText("Dear family of {pupil_name},\n\nThe office, {school_name}")
    page.save_template()
    settle()
    assert page.feedback.text().startswith("The letter's wording is saved")
    assert letters.current_template(sessions).startswith("Dear family of {pupil_name},")


def test_the_mail_server_is_saved_with_its_password_in_the_key_store(page, sessions, data_dir):
    page.host.setText("smtp.example.org")
    page.security.setCurrentIndex(page.security.findData("ssl"))
    assert page.port.value() == 465  # the usual port follows the security chosen
    page.user.setText("office@school.example")
    page.password.setText("s3cret-Pa55word")
    page.from_address.setText("office@school.example")
    page.save_mail()
    settle()
    assert page.mail_feedback.text() == ("Saved: letters are emailed through smtp.example.org:465.")
    assert KeyStore(data_dir).read(mail.PASSWORD_KEY) == b"s3cret-Pa55word"
    assert page.password.text() == "" and page.password.placeholderText() == KEEP_PASSWORD
    with sessions() as session:
        assert "s3cret-Pa55word" not in " ".join(s.value for s in session.scalars(select(Setting)))

    page.security.setCurrentIndex(page.security.findData("none"))
    page.save_mail()
    settle()
    assert page.mail_feedback.is_error
    assert "only sent over STARTTLS or SSL" in page.mail_feedback.text()
    assert mail.mail_server(sessions).security == "ssl"  # nothing changed


def test_the_unclaimed_limit_is_saved(page, sessions):
    page.unclaimed_days.setValue(8)
    page.save_unclaimed()
    settle()
    assert page.unclaimed_feedback.text() == "Saved: devices are flagged after 8 days."
    with sessions() as session:
        assert session.get(Setting, "unclaimed_days").value == "8"
