"""The letter to parents: the school's wording with the record's values put in, as a PDF a
parent can read (rendered to PNG to look at), and a template that cannot go wrong when it
is printed because it is checked when it is saved."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from fixtures.console_days import TODAY, at
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)
from fixtures.letters import family
from sqlalchemy import select

from kiosk.errors import InvalidInput, NotAuthorised
from kiosk.printing.letters import letter_path, write_letter
from kiosk.services import letters
from kiosk.tables import AuditEvent, Pupil

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"
)


def pdf_text(path):
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_the_default_letter_says_what_was_taken_when_why_and_how_it_comes_back(sessions, school):
    home = family(sessions, school, now=at(TODAY, 10, 15))
    letter = letters.letter_for(sessions, home.custody_id, now=at(TODAY, 12, 0))
    text = "\n".join(letter.paragraphs)
    assert letter.paragraphs[0].startswith("Dear Parent or Carer of ")
    assert "On Wednesday 11 March 2026, at 10:15" in text
    assert "black iPhone because of: used in lesson" in text
    # the pupil's first confiscation this term: the ladder's default rule says from when
    assert "when a parent or carer collects it from the school office, from the end of the " in text
    assert "from 14:45 to 18:00" in text
    assert "Filming in science" not in text  # the staff note stays in the record
    assert letter.paragraphs[-1] == "Kingsmead Academy"
    assert not letter.referred_to_dsl


@pytest.mark.parametrize(
    ("template", "words"),
    [
        ("Dear {parent_name},", r"does not know \{parent_name\}. The placeholders are: "),
        ("Dear {pupil_name.__class__}", r"does not know \{pupil_name.__class__\}"),
        ("{0} was taken", r"does not know \{0\}"),
        ("Taken on {date:>200}", "plain name in braces"),
        ("Taken on {date!r}", "plain name in braces"),
        ("Taken on {date", "is not closed"),
        ("Taken } here", "is not closed"),
        ("   ", None),  # empty: back to the default
    ],
)
def test_a_template_with_an_unknown_or_odd_placeholder_is_refused_in_words(
    sessions, school, template, words
):
    admin = school.actors["admin"]
    if words is None:
        assert letters.update_template(sessions, admin, template) == letters.DEFAULT_TEMPLATE
        return
    with pytest.raises(InvalidInput, match=words):
        letters.update_template(sessions, admin, template)
    assert letters.current_template(sessions) == letters.DEFAULT_TEMPLATE


def test_the_schools_own_wording_is_used_and_its_change_is_audited(sessions, school):
    admin = school.actors["admin"]
    wording = (
        "Dear {pupil_forename}'s family,\r\n\r\n{{Important}}: {device} held at {school_name}."
    )
    saved = letters.update_template(sessions, admin, wording)
    home = family(sessions, school)
    letter = letters.letter_for(sessions, home.custody_id)
    assert saved.endswith("{school_name}.")
    assert letter.paragraphs[1] == "{Important}: black iPhone held at Kingsmead Academy."
    with pytest.raises(NotAuthorised):
        letters.update_template(sessions, school.actors["senior"], "Hello {pupil_name}")
    with sessions() as session:
        kinds = session.scalars(select(AuditEvent.kind).order_by(AuditEvent.seq.desc())).all()
    assert "letter_template_changed" in kinds


@needs_poppler
def test_the_letter_pdf_reads_as_a_letter_with_awkward_names(sessions, school, tmp_path, artifacts):
    home = family(sessions, school, now=at(TODAY, 10, 15))
    with sessions.begin() as session:
        pupil = session.get(Pupil, home.pupil_id)
        pupil.preferred_forename, pupil.preferred_surname = "Thảo", "Nguyễn Ó Súilleabháin"
    letter = letters.letter_for(sessions, home.custody_id, now=at(TODAY, 12, 0))
    path = write_letter(letter_path(tmp_path, home.custody_id, at(TODAY, 12, 0)), letter)
    assert path.name == f"letter-{home.custody_id}-20260311-120000.pdf"
    text = " ".join(pdf_text(path).split())
    assert "Kingsmead Academy" in text
    assert "The parent or carer of Thảo Nguyễn Ó Súilleabháin" in text
    assert "Wednesday 11 March 2026" in text
    assert f"Record number {home.custody_id}" in text
    letters.record_letter(sessions, school.actors["office"], home.custody_id, path.name)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "70",
            "-f",
            "1",
            "-l",
            "1",
            str(path),
            str(artifacts / "letter"),
        ],
        check=True,
    )


def test_a_letters_file_name_is_one_the_purge_of_copies_finds(tmp_path):
    from kiosk.services import purge_copies

    name = letter_path(tmp_path, 42, at(TODAY, 12, 0)).name
    assert purge_copies.RECEIPT_NAME.match(name).group(1) == "42"  # removed with its pupil
