"""`kiosk contacts import FILE --as NAME` as an admin types it (in-process, on the test's
data directory; the PIN in KIOSK_PIN as a script gives it)."""

from __future__ import annotations

from cli_pins import pin_for
from fixtures.admin import *  # noqa: F403 (the admin tests' fixtures)
from fixtures.admin import DATA
from sqlalchemy import func, select

from kiosk.__main__ import main
from kiosk.tables import Contact, PupilContact

ADMIN = ["--as", "Alex Admin"]


def run(capsys, *args: str, pin: str | None = None) -> tuple[int, str, str]:
    with pin_for(args, pin):
        status = main(list(args))
    out = capsys.readouterr()
    return status, out.out, out.err


def links(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(PupilContact)) or 0


def test_a_dry_run_shows_the_columns_and_the_plan_and_imports_nothing(capsys, sessions, school):
    status, out, _ = run(
        capsys, "contacts", "import", str(DATA / "contacts_sims.csv"), "--dry-run", *ADMIN
    )
    assert status == 0, out
    assert "Read 8 rows (UTF-8 with BOM, header on line 3)." in out
    assert "Collect Pupil            ->  May collect" in out
    assert "Legal Surname            ->  (not used)" in out
    assert "4 pupils, 7 contacts (7 new), 2 marked 'do not release to'" in out
    assert "Dry run: nothing was imported." in out
    assert links(sessions) == 0


def test_the_import_then_a_file_with_a_bad_row_which_changes_nothing(
    capsys, sessions, school, tmp_path
):
    status, out, _ = run(capsys, "contacts", "import", str(DATA / "contacts_sims.csv"), *ADMIN)
    assert status == 0, out
    assert "Imported: 4 pupils, 7 contacts (7 added, 0 removed), 2 marked" in out
    bad = tmp_path / "bad.csv"
    text = (DATA / "contacts_sims.csv").read_text(encoding="utf-8-sig")
    bad.write_text(text.replace("Grandmother,3,No", "Grandmother,3,Perhaps"), encoding="utf-8")
    status, out, _ = run(capsys, "contacts", "import", str(bad), *ADMIN)
    assert status == 1
    assert "  Line 6: Parental responsibility is 'Perhaps': write Yes or No" in out
    assert "Nothing was imported" in out
    assert links(sessions) == 8
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 7


def test_office_staff_and_a_wrong_pin_are_refused(capsys, sessions, school):
    path = str(DATA / "contacts_sims.csv")
    status, _, err = run(capsys, "contacts", "import", path, "--as", "Alex Admin", pin="0000")
    assert status == 2 and "PIN" in err
    status, _, err = run(capsys, "contacts", "import", path, "--as", "Olivia Office")
    assert status == 2 and "needs" in err
    assert links(sessions) == 0
