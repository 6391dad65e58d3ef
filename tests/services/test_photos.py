"""Importing a folder of pupil photos: matched by admission number or UPN, turned upright,
cut to 300x400, metadata dropped; every file that is not used is reported."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fixtures.admin import *  # noqa: F403 (the admin tests' fixtures)
from PIL import Image
from sqlalchemy import select

from kiosk.errors import InvalidInput, NotAuthorised
from kiosk.services import chain_check, photos, pupils
from kiosk.tables import AuditEvent, Pupil

RED, BLUE = (220, 0, 0), (0, 0, 220)


def two_tone(size: tuple[int, int] = (600, 800)) -> Image.Image:
    """Red above, blue below: which way up it is shows in the result."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, size[0], size[1] // 2))
    return image


def save(image: Image.Image, path: Path, **kwargs: object) -> Path:
    image.save(path, **kwargs)
    return path


def top_and_bottom(jpeg: bytes) -> tuple[tuple[int, ...], tuple[int, ...]]:
    with Image.open(io.BytesIO(jpeg)) as image:
        return image.getpixel((150, 20)), image.getpixel((150, 380))


def close_to(colour: tuple[int, ...], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(colour, expected, strict=False))


def admission(sessions, pupil_id: int) -> tuple[str, str]:
    with sessions() as session:
        pupil = session.get(Pupil, pupil_id)
        return pupil.admission_number, pupil.upn


@pytest.fixture
def folder(tmp_path: Path, sessions, school) -> Path:
    """The kind of folder a photographer's disc gives, with the usual odd files in it."""
    folder = tmp_path / "photos"
    folder.mkdir()
    ids = school.pupil_ids
    first_adm, _ = admission(sessions, ids[0])
    _, second_upn = admission(sessions, ids[1])
    third_adm, _ = admission(sessions, ids[2])
    fourth_adm, _ = admission(sessions, ids[3])
    fifth_adm, _ = admission(sessions, ids[4])
    exif = Image.Exif()
    exif[0x010F] = "PhotoCo Camera"  # Make
    save(two_tone(), folder / f"{first_adm}.jpg", exif=exif)
    # Taken sideways: the pixels lie on their side and EXIF says "rotate 90° clockwise".
    sideways = two_tone().rotate(90, expand=True)
    exif_turn = Image.Exif()
    exif_turn[0x0112] = 6
    save(sideways, folder / f"{second_upn.lower()}.jpeg", exif=exif_turn)
    # Zeros lost by a spreadsheet, a PNG with a transparent background.
    clear = Image.new("RGBA", (300, 400), (0, 0, 0, 0))
    clear.paste((0, 0, 220, 255), (0, 200, 300, 400))
    save(clear, folder / f"{third_adm.lstrip('0')}.png")
    save(two_tone(), folder / f"{fourth_adm} Smith Jo.jpg")
    save(two_tone(), folder / f"{first_adm}.png")  # a second photo of the first pupil
    save(two_tone(), folder / "999999.jpg")  # nobody on roll
    (folder / f"{fifth_adm}.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (folder / "K886401213101.heic").write_bytes(b"\x00\x00\x00\x18ftypheic")
    (folder / "notes.txt").write_text("photo day 2025")
    (folder / "Thumbs.db").write_bytes(b"\x00" * 16)
    return folder


def test_photos_are_matched_converted_and_stored(sessions, admin, school, folder):
    report = photos.import_folder(sessions, admin, folder)
    assert (report.imported, report.replaced) == (4, 0)
    assert report.unmatched == ("999999.jpg",)
    fifth_adm, _ = admission(sessions, school.pupil_ids[4])
    assert {p.name for p in report.unreadable} == {f"{fifth_adm}.jpg", "K886401213101.heic"}
    assert "HEIC" in next(p.reason for p in report.unreadable if p.name.endswith(".heic"))
    first_adm, _ = admission(sessions, school.pupil_ids[0])
    assert [p.name for p in report.duplicates] == [f"{first_adm}.png"]
    assert report.skipped == ("notes.txt",)
    assert report.still_without_photo == 30 - 4
    for pupil_id in school.pupil_ids[:4]:
        stored = pupils.photo(sessions, pupil_id)
        assert stored is not None
        with Image.open(io.BytesIO(stored)) as image:
            assert (image.format, image.size) == ("JPEG", photos.PHOTO_SIZE)
            assert not image.getexif()  # no camera details or location kept


def test_a_sideways_photo_is_stored_upright(sessions, admin, school, folder):
    photos.import_folder(sessions, admin, folder)
    top, bottom = top_and_bottom(pupils.photo(sessions, school.pupil_ids[1]))
    assert close_to(top, RED) and close_to(bottom, BLUE)


def test_a_transparent_background_becomes_white_not_black(sessions, admin, school, folder):
    photos.import_folder(sessions, admin, folder)
    top, bottom = top_and_bottom(pupils.photo(sessions, school.pupil_ids[2]))
    assert close_to(top, (255, 255, 255)) and close_to(bottom, BLUE)


def test_importing_again_replaces_photos_and_says_so(sessions, admin, folder):
    photos.import_folder(sessions, admin, folder)
    again = photos.import_folder(sessions, admin, folder)
    assert (again.imported, again.replaced) == (0, 4)


def test_each_photo_and_the_import_are_in_the_audit_log_by_id_only(sessions, admin, school, folder):
    photos.import_folder(sessions, admin, folder)
    with sessions() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.kind.in_(["photo_added", "photos_imported"]))
        ).all()
    assert sorted(e.pupil_id for e in events if e.kind == "photo_added") == sorted(
        school.pupil_ids[:4]
    )
    summary = json.loads(events[-1].details)
    assert summary == {"added": 4, "replaced": 0, "unmatched": 1, "unreadable": 2, "duplicates": 1}
    assert chain_check.verify(sessions).intact


def test_office_staff_cannot_import_photos(sessions, school, folder, snapshot):
    before = snapshot()
    with pytest.raises(NotAuthorised):
        photos.import_folder(sessions, school.actors["office"], folder)
    assert snapshot() == before


def test_a_missing_folder_is_a_plain_message(sessions, admin, tmp_path):
    with pytest.raises(InvalidInput, match="is not a folder"):
        photos.import_folder(sessions, admin, tmp_path / "nowhere")


def test_an_enormous_image_is_refused_before_it_is_decoded(tmp_path):
    huge = save(Image.new("1", (8000, 8000)), tmp_path / "huge.png")
    with pytest.raises(InvalidInput, match="too large"):
        photos.prepare_photo(huge.read_bytes())


def test_a_landscape_photo_is_cropped_to_a_portrait_not_squashed():
    wide = Image.new("RGB", (1600, 800), BLUE)
    wide.paste(RED, (600, 0, 1000, 800))  # a red stripe in the middle
    out = io.BytesIO()
    wide.save(out, "JPEG")
    with Image.open(io.BytesIO(photos.prepare_photo(out.getvalue()))) as image:
        assert image.size == (300, 400)
        assert close_to(image.getpixel((150, 200)), RED)  # the middle stays, not squeezed
