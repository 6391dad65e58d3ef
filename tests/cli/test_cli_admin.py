"""The admin commands as an admin types them (run in-process on the test's data directory;
test_cli.py runs the `kiosk` command as a process)."""

from __future__ import annotations

from cli_pins import pin_for
from fixtures.admin import *  # noqa: F403 (the admin tests' fixtures)
from fixtures.admin import DATA
from PIL import Image
from sqlalchemy import select

from cli.commands import kiosk
from kiosk.__main__ import main
from kiosk.services import settings, slot_admin
from kiosk.tables import Pupil

ADMIN = ["--as", "Alex Admin"]


def run(capsys, *args: str, pin: str | None = None) -> tuple[int, str, str]:
    with pin_for(args, pin):
        status = main(list(args))
    out = capsys.readouterr()
    return status, out.out, out.err


def on_roll(sessions) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(Pupil.upn).where(Pupil.active.is_(True))))


def test_a_dry_run_shows_the_columns_and_what_would_happen_and_changes_nothing(
    capsys, sessions, school, snapshot
):
    before = snapshot()
    status, out, _ = run(
        capsys, "import-roster", str(DATA / "arbor_title_rows.csv"), "--dry-run", *ADMIN
    )
    assert status == 0
    assert "Read 6 rows (UTF-8, header on line 4)." in out
    assert "Registration Form     ->  Registration group" in out
    assert "Address               ->  (not used)" in out
    assert "6 new, 0 updated, 0 returning, 0 unchanged, 30 to be marked as left" in out
    assert "Dry run: nothing was imported." in out
    after = snapshot()
    assert after["pupils"] == before["pupils"]


def test_a_file_with_errors_lists_them_by_line_and_imports_nothing(capsys, sessions, school):
    before = on_roll(sessions)
    status, out, _ = run(capsys, "import-roster", str(DATA / "errors.csv"), *ADMIN)
    assert status == 1
    assert "  Line 3: Surname is missing." in out
    assert "  Line 4: Year group 'Y7x' is not a year" in out
    assert "Nothing was imported" in out
    assert on_roll(sessions) == before


def test_many_leavers_need_confirm_leavers(capsys, sessions, school):
    status, out, _ = run(capsys, "import-roster", str(DATA / "sims_bom_crlf.csv"), *ADMIN)
    assert status == 1 and "--confirm-leavers" in out
    status, out, _ = run(
        capsys, "import-roster", str(DATA / "sims_bom_crlf.csv"), "--confirm-leavers", *ADMIN
    )
    assert status == 0
    assert "Imported: 10 added, 0 updated, 0 returned, 0 unchanged, 30 marked as left." in out
    assert len(on_roll(sessions)) == 10


def test_columns_can_be_chosen_on_the_command_line(capsys, sessions, school, tmp_path):
    headless = tmp_path / "no-header.csv"
    headless.write_text("B801200005001,9001,Ava,Adams,Y7,7A\n", encoding="utf-8")
    mapping = [
        "--mapping=1=upn",
        "--mapping=2=admission_number",
        "--mapping=3=legal forename",
        "--mapping=4=surname",
        "--mapping=5=year",
        "--mapping=6=form",
    ]
    status, out, _ = run(
        capsys, "import-roster", str(headless), *mapping, "--confirm-leavers", *ADMIN
    )
    assert status == 0, out
    assert on_roll(sessions) == {"B801200005001"}


def test_plain_errors_not_tracebacks(capsys, school, tmp_path):
    status, _, err = run(capsys, "import-roster", str(tmp_path / "missing.csv"), *ADMIN)
    assert (status, err.strip()) == (
        2,
        "kiosk import-roster: Cannot read missing.csv: No such file or directory.",
    )
    status, _, err = run(
        capsys, "import-roster", str(DATA / "errors.csv"), "--as", "Alex Admin", pin="0000"
    )
    assert status == 2 and "Wrong PIN" in err
    status, _, err = run(
        capsys, "import-roster", str(DATA / "errors.csv"), "--mapping", "Shoe=upn", *ADMIN
    )
    assert status == 2 and "no column 'Shoe'" in err


def test_cards_for_a_form_are_written_to_the_pdf_named(capsys, school, tmp_path):
    out_pdf = tmp_path / "cards.pdf"
    status, out, _ = run(capsys, "cards", "--form", "7B", "--out", str(out_pdf), *ADMIN)
    assert status == 0
    assert f"Wrote 1 card (1 page) to {out_pdf}: 0 new, 0 reissued." in out
    assert out_pdf.read_bytes().startswith(b"%PDF")


def test_reissuing_from_a_script_needs_yes(capsys, school, tmp_path):
    out_pdf = tmp_path / "cards.pdf"
    status, _, err = run(capsys, "cards", "--year", "7", "--reissue", "--out", str(out_pdf), *ADMIN)
    assert status == 2 and "--yes" in err and not out_pdf.exists()
    status, out, _ = run(
        capsys, "cards", "--year", "Y7", "--reissue", "--yes", "--out", str(out_pdf), *ADMIN
    )
    assert status == 0 and "6 reissued" in out


def test_labels_slots_and_settings_commands(capsys, sessions, school, tmp_path):
    status, out, _ = run(
        capsys, "labels", "--out", str(tmp_path / "l.pdf"), "--from", "3", "--to", "5", *ADMIN
    )
    assert (status, out.split(" (")[0]) == (0, "Wrote 3 labels")
    assert run(capsys, "slots", "add", "--from", "21", "--to", "30", "--cabinet", "B", *ADMIN)[
        1
    ] == ("Added 10 slots (0 already existed).\n")
    run(capsys, "slots", "reserve", "--from", "29", "--to", "30", *ADMIN)
    run(capsys, "slots", "out", "21", "--reason", "hinge broken", *ADMIN)
    listed = {row.number: row for row in slot_admin.list_slot_rows(sessions)}
    assert listed[30].reserved_for_confiscation and not listed[21].in_service
    assert listed[25].cabinet == "B"
    status, out, _ = run(capsys, "slots", "list")
    assert "   21  B                    OUT OF SERVICE" in out
    status, out, _ = run(capsys, "settings", "set", "sound", "off", *ADMIN)
    assert status == 0 and not settings.load(sessions).sound
    status, _, err = run(capsys, "settings", "set", "retention_days", "5", *ADMIN)
    assert status == 2 and "30 to 3650" in err
    status, _, err = run(capsys, "settings", "set", "school_code", "NEW", *ADMIN)
    assert status == 2 and "stops every printed card" in err
    status, out, _ = run(capsys, "settings", "show")
    assert "school_name          Kingsmead Academy" in out


def test_import_photos_reports_what_it_did(capsys, sessions, school, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    with sessions() as session:
        number = session.get(Pupil, school.pupil_ids[0]).admission_number
    Image.new("RGB", (60, 80), "grey").save(folder / f"{number}.jpg")
    Image.new("RGB", (60, 80), "grey").save(folder / "nobody.jpg")
    status, out, _ = run(capsys, "import-photos", str(folder), *ADMIN)
    assert status == 0
    assert "Photos: 1 photo added, 0 replaced, 1 not matched to a pupil" in out
    assert "not matched to a pupil on roll: nobody.jpg" in out


def test_the_kiosk_command_lists_the_admin_commands(tmp_path):
    result = kiosk(tmp_path, "--help")
    assert result.returncode == 0
    for name in ("import-roster", "import-photos", "cards", "labels", "slots", "settings"):
        assert name in result.stdout
