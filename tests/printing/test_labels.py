"""Slot labels (rendered and read back) and the admin's range changes to slots."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from fixtures.admin import *  # noqa: F403 (the admin tests' fixtures)
from reportlab.lib.units import mm
from sqlalchemy import select

from kiosk.errors import AlreadyHeld, InvalidInput, NotAuthorised
from kiosk.printing import labels
from kiosk.scanning.decoders import default_decoder
from kiosk.services import custody, slot_admin, slot_labels, slots
from kiosk.tables import AuditEvent
from printing.test_cards import crop, needs_poppler, render


@needs_poppler
def test_each_label_shows_its_number_and_its_qr_reads_back_as_that_slot(
    sessions, admin, school, tmp_path, artifacts
):
    pdf = tmp_path / "labels.pdf"
    chosen = slot_labels.prepare_labels(sessions, admin)
    assert (len(chosen), labels.write_label_sheet(chosen, pdf)) == (20, 1)
    shutil.copy(pdf, artifacts / "slot-labels.pdf")
    page = render(pdf, artifacts / "slot-labels.png")
    decoder = default_decoder()
    for index in range(20):
        x, y = labels.label_origin(index)
        qr_x = x + labels.LABEL_W - labels.INSET - labels.QR_SIZE
        texts = decoder.decode(
            crop(page, qr_x, y + 14 * mm, labels.QR_SIZE, labels.QR_SIZE, 1 * mm)
        )
        assert texts == [f"HKS.KMA.{index + 1}"]
    words = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout.split()
    assert all(str(n) in words for n in range(1, 21))
    assert "HKS.KMA.19" in words and words.count("C") == 2  # slots 19-20 are in cabinet C


def test_labels_for_a_range_and_an_empty_range(sessions, admin, school, tmp_path):
    chosen = slot_labels.prepare_labels(sessions, admin, 5, 30)
    assert len(chosen) == 16
    with pytest.raises(InvalidInput, match="no slots"):
        slot_labels.prepare_labels(sessions, admin, 500, 600)


def test_printing_labels_is_recorded_and_office_staff_cannot(sessions, admin, school, tmp_path):
    slot_labels.prepare_labels(sessions, admin, 1, 3)
    with sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == "slot_labels_printed")
        ).one()
    assert json.loads(event.details) == {"from": 1, "to": 3, "labels": 3}
    with pytest.raises(NotAuthorised):
        slot_labels.prepare_labels(sessions, school.actors["office"])


def rows(sessions) -> dict[int, slot_admin.SlotRow]:
    return {row.number: row for row in slot_admin.list_slot_rows(sessions)}


def test_a_range_of_slots_moves_to_a_named_cabinet(sessions, admin, school):
    assert slot_admin.set_cabinet(sessions, admin, 5, 8, "  Staff   room ") == 4
    cabinets = {n: r.cabinet for n, r in rows(sessions).items()}
    assert [cabinets[n] for n in (4, 5, 8, 9)] == ["A", "Staff room", "Staff room", "A"]


def test_a_range_can_be_reserved_for_confiscations_and_given_back(sessions, admin, school):
    slot_admin.set_reserved_range(sessions, admin, 1, 3, True)
    assert [rows(sessions)[n].reserved_for_confiscation for n in (1, 3, 4)] == [True, True, False]
    slot_admin.set_reserved_range(sessions, admin, 1, 3, False)
    assert not any(rows(sessions)[n].reserved_for_confiscation for n in (1, 2, 3))


def test_the_slot_list_shows_what_each_slot_holds(sessions, admin, school):
    handed = custody.hand_in(sessions, school.pupil_ids[0])
    listed = rows(sessions)
    assert listed[handed.slot_number].holding == "daily"
    assert sum(1 for r in listed.values() if r.holding) == 1


def test_removing_slots_deletes_unused_ones_and_retires_used_ones(sessions, admin, school):
    handed = custody.hand_in(sessions, school.pupil_ids[0])  # slot 1
    with pytest.raises(AlreadyHeld, match="move it"):
        slot_admin.remove_slots(sessions, admin, 1, 3)
    custody.collect(sessions, handed.custody_id, admin)
    removed = slot_admin.remove_slots(sessions, admin, 1, 3)
    assert (removed.removed, removed.retired) == (2, 1)
    listed = rows(sessions)
    assert 1 in listed and not listed[1].in_service  # its history still points at it
    assert 2 not in listed and 3 not in listed


def test_slot_ranges_are_checked(sessions, admin, school):
    with pytest.raises(InvalidInput, match="1 to 9999"):
        slot_admin.set_cabinet(sessions, admin, 9, 2, "B")
    with pytest.raises(InvalidInput, match="cabinet name"):
        slot_admin.set_cabinet(sessions, admin, 1, 2, " ")
    with pytest.raises(NotAuthorised):
        slot_admin.set_reserved_range(sessions, school.actors["office"], 1, 2, True)


def test_a_slot_taken_out_of_service_is_never_given_out(sessions, admin, school):
    slots.set_in_service(sessions, admin, 1, False, "lock broken")
    handed = custody.hand_in(sessions, school.pupil_ids[0])
    assert handed.slot_number == 2
