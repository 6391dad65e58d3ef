from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from fixtures.console import *  # noqa: F403 (the console tests' fixtures)
from fixtures.console_days import LAST_WEEK, TODAY, at

from kiosk.errors import InvalidInput
from kiosk.printing import draw, receipts
from kiosk.services import chain_of_custody, confiscation, held_devices
from kiosk.tables import Pupil

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"
)


def pdf_text(path):
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def render_first_page(path, target_stem):
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(path), str(target_stem)],
        check=True,
    )


@pytest.fixture
def confiscated(sessions, school):
    """A confiscated device with an awkward name on it, moved and referred to the DSL."""
    pupil_id = school.pupil_ids[3]
    with sessions.begin() as session:
        pupil = session.get(Pupil, pupil_id)
        pupil.preferred_forename, pupil.surname = "Thảo", "Nguyễn Ó Súilleabháin"
    office = school.actors["office"]
    info = confiscation.confiscate(
        sessions,
        office,
        pupil_id,
        "misuse / filming",
        "Filming in the changing room",
        description="Black iPhone, cracked case",
        now=at(LAST_WEEK, 11, 5),
    )
    held_devices.move(sessions, office, info.id, 17, now=at(LAST_WEEK, 11, 30))
    confiscation.refer_to_dsl(sessions, office, info.id, "Possible images", now=at(LAST_WEEK, 12))
    return info.id


@needs_poppler
def test_release_receipt_names_who_took_the_device_and_has_signature_lines(
    sessions, school, confiscated, data_dir, artifacts
):
    senior = school.actors["senior"]
    confiscation.release_to_parent(
        sessions, senior, confiscated, "Lan Nguyễn", "mother", True, now=at(TODAY, 16, 5)
    )
    chain = chain_of_custody.chain_of_custody(sessions, confiscated)
    path = receipts.receipt_path(data_dir / "receipts", "release", confiscated, at(TODAY, 16, 6))

    receipts.release_receipt(
        path,
        chain,
        school_name="Kingsmead Academy",
        printed_by=senior.name,
        printed_at=at(TODAY, 16, 6),
    )

    text = pdf_text(path)
    assert path.name == f"release-{confiscated}-20260311-160600.pdf"
    assert "Thảo Nguyễn Ó Súilleabháin" in text
    assert "Lan Nguyễn (mother)" in text
    assert "Wed 11 Mar 2026, 16:05 GMT by Sam Senior (DSL)" in text
    assert "Filming in the changing room" in text
    assert "Parent / carer signature" in text and "Staff signature" in text
    release = chain.last_event("released_to_parent")
    assert release.hash in text.replace("\n", "")
    assert not list(path.parent.glob("*.part"))
    render_first_page(path, artifacts / "receipt_release")


def test_release_receipt_is_refused_for_a_device_still_held(sessions, confiscated, tmp_path):
    chain = chain_of_custody.chain_of_custody(sessions, confiscated)
    with pytest.raises(InvalidInput):
        receipts.release_receipt(tmp_path / "r.pdf", chain, school_name="S", printed_by="X")
    assert not (tmp_path / "r.pdf").exists()


@needs_poppler
def test_chain_of_custody_receipt_lists_every_event_with_local_time_and_hash(
    sessions, school, confiscated, data_dir, artifacts
):
    senior = school.actors["senior"]
    # 1 June is summer time: the receipt shows BST, an hour ahead of the stored UTC time.
    police_at = at(dt.date(2026, 6, 1), 10, 15)
    confiscation.hand_to_police(
        sessions, senior, confiscated, "PC Jo Bloggs", "4711", "CR/2026/22", police_at
    )
    chain = chain_of_custody.chain_of_custody(sessions, confiscated)
    path = data_dir / "receipts" / "custody.pdf"

    receipts.custody_receipt(path, chain, school_name="Kingsmead Academy", printed_by=senior.name)

    text = pdf_text(path)
    flat = text.replace("\n", "").replace(" ", "")
    words = " ".join(text.split())
    assert len(chain.events) == 4
    for event in chain.events:
        assert f"#{event.seq}" in text
        # printed as two lines of 32 hex digits in the hash column
        assert event.hash[:32] in flat and event.hash[32:] in flat
    assert "Confiscated Wed 4 Mar 2026, 11:05 GMT by Olivia Office" in words
    assert "PC Jo Bloggs (4711), reference CR/2026/22, Mon 1 Jun 2026, 10:15 BST" in words
    assert "Handed to the police" in text
    assert "Received by" in text
    render_first_page(path, artifacts / "receipt_chain_of_custody")


def test_a_failed_write_leaves_no_partial_file(sessions, confiscated, tmp_path, monkeypatch):
    chain = chain_of_custody.chain_of_custody(sessions, confiscated)

    def broken_build(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(draw.SimpleDocTemplate, "build", broken_build)
    with pytest.raises(OSError):
        receipts.custody_receipt(tmp_path / "out" / "c.pdf", chain, school_name="S", printed_by="X")
    assert list((tmp_path / "out").iterdir()) == []


def test_receipt_file_names_carry_no_personal_details(tmp_path):
    path = receipts.receipt_path(tmp_path, "chain_of_custody", 42, at(TODAY, 9, 0))
    assert path.name == "chain_of_custody-42-20260311-090000.pdf"
