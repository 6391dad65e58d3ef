"""Admin work at the size of a large secondary school: roster import, card sheets, photo
import and slot labels, timed end to end through the real services, on a SQLite file.

    .venv/bin/python benchmarks/admin.py [--pupils 1500] [--photos 200] [--slots 500]

The roster is generated (names with accents, apostrophes and hyphens, valid UPN check
letters) and written as a SIMS-style CSV (UTF-8 with BOM, CRLF). The second import changes
about 10 % of the pupils (a new form), drops 2 % (leavers) and adds 3 % (joiners), as a
September re-import does.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._table import print_table
from kiosk.config import sqlite_url
from kiosk.db import Database, open_database
from kiosk.demo import DEMO_PINS, FORENAMES, PREFERRED, SURNAMES
from kiosk.printing import cards as card_sheet
from kiosk.printing import labels
from kiosk.services import (
    card_runs,
    chain_check,
    photos,
    roster,
    roster_check,
    roster_file,
    settings,
    slot_labels,
    slots,
    staff,
)
from kiosk.services.audit import Actor
from kiosk.services.card_runs import CardSelection
from kiosk.services.roster_check import upn_check_letter

HEADER = ("Adno", "UPN", "Legal Surname", "Legal Forename", "Preferred Forename", "Year", "Reg")
HEADER += ("DOB",)
ROSTER_COLUMNS = ("file", "rows", "added/updated/left", "read+check ms", "preview ms")
ROSTER_COLUMNS += ("apply ms", "ms a row")
CARD_COLUMNS = ("cards for", "cards", "with photo", "pages", "issue ms", "PDF ms")
CARD_COLUMNS += ("PDF ms a card", "file")


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = action()
    return result, (time.perf_counter() - start) * 1000


def upn(serial: int) -> str:
    body = f"886401{serial:06d}"
    return upn_check_letter("A" + body) + body


def pupil_rows(count: int, rng: random.Random, start: int = 0) -> list[list[str]]:
    rows = []
    for i in range(start, start + count):
        year = 7 + i % 7 if i % 7 < 5 else 12 + i % 2
        forename = rng.choice(FORENAMES)
        surname = rng.choice(SURNAMES)
        if rng.random() < 0.05:
            surname = f"{surname}-{rng.choice(SURNAMES)}"
        rows.append(
            [
                f"{10000 + i:06d}",
                upn(i),
                surname,
                forename,
                PREFERRED.get(forename, ""),
                f"Year {year}",
                f"{year}{'ABCDEF'[i % 6]}",
                f"{1 + i % 28:02d}/{1 + i % 12:02d}/{2020 - year:04d}",
            ]
        )
    return rows


def to_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([list(HEADER), *rows])
    return out.getvalue().encode("utf-8-sig")


def september(rows: list[list[str]], rng: random.Random) -> list[list[str]]:
    """A re-import: 2 % leave, 10 % change form, 3 % join."""
    kept = [list(r) for r in rows if rng.random() >= 0.02]
    for row in rng.sample(kept, k=len(kept) // 10):
        row[6] = row[6][:-1] + "Z"
    return kept + pupil_rows(len(rows) * 3 // 100, rng, start=len(rows) + 5000)


def school(folder: Path) -> tuple[Database, Actor]:
    sessions = open_database(sqlite_url(folder / "kiosk.db"))
    settings.ensure_install(sessions)
    admin_id = staff.add_staff(sessions, None, "Alex Admin", "admin", DEMO_PINS["admin"])
    admin = Actor(admin_id, "Alex Admin")
    settings.update(sessions, admin, {"school_name": "Kingsmead Academy", "school_code": "KMA"})
    return sessions, admin


def bench_roster(sessions: Database, admin: Actor, pupils: int) -> list[list[object]]:
    rng = random.Random(5)
    first = pupil_rows(pupils, rng)
    rows: list[list[object]] = []
    for label, data, allow in (
        ("first import", to_csv(first), False),
        ("September re-import", to_csv(september(first, rng)), True),
    ):
        checked, read_ms = timed(
            lambda data=data: roster_check.check_table(roster_file.read_roster(data))
        )
        preview, preview_ms = timed(lambda checked=checked: roster.preview(sessions, checked))
        result, apply_ms = timed(
            lambda checked=checked, allow=allow: roster.apply(
                sessions, admin, checked, confirm_leavers=allow
            )
        )
        rows.append(
            [
                label,
                len(checked.rows),
                f"{result.added}/{result.updated}/{result.left}",
                read_ms,
                preview_ms,
                apply_ms,
                (read_ms + preview_ms + apply_ms) / len(checked.rows),
            ]
        )
        assert not preview.errors
    return rows


def camera_photo(rng: random.Random) -> bytes:
    """A school-photographer-sized JPEG (12 MP, sideways with an EXIF turn on some)."""
    image = Image.new("RGB", (3000, 4000), (rng.randrange(60, 200), 120, 160))
    draw = ImageDraw.Draw(image)
    draw.ellipse((900, 900, 2100, 2400), fill=(230, 190, 160))
    exif = Image.Exif()
    if rng.random() < 0.3:
        image = image.rotate(90, expand=True)
        exif[0x0112] = 6
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def bench_photos(sessions: Database, admin: Actor, folder: Path, count: int) -> list[list[object]]:
    rng = random.Random(9)
    photo_dir = folder / "photos"
    photo_dir.mkdir()
    samples = [camera_photo(rng) for _ in range(8)]
    for i in range(count):
        (photo_dir / f"{10000 + i:06d}.jpg").write_bytes(samples[i % len(samples)])
    size_mb = sum(p.stat().st_size for p in photo_dir.iterdir()) / 1e6
    report, ms = timed(lambda: photos.import_folder(sessions, admin, photo_dir))
    return [[count, f"{size_mb:.0f} MB", report.imported, ms, ms / count]]


def bench_cards(sessions: Database, admin: Actor, folder: Path) -> list[list[object]]:
    rows: list[list[object]] = []
    for label, selection, reissue in (
        ("one form", CardSelection(form="7A"), False),
        ("one year", CardSelection(year=7), False),
        ("everyone (new cards)", CardSelection(everyone=True), True),
        ("everyone (reprint)", CardSelection(everyone=True), False),
    ):
        batch, prepare_ms = timed(
            lambda s=selection, r=reissue: card_runs.prepare_cards(
                sessions, admin, s, fits_on_card=card_sheet.check_code_fits, reissue=r
            )
        )
        out = folder / f"cards-{len(rows)}.pdf"
        pages, write_ms = timed(lambda b=batch, o=out: card_sheet.write_card_sheet(b, o))
        with_photo = sum(1 for f in batch.faces if f.photo)
        rows.append(
            [
                label,
                len(batch.faces),
                with_photo,
                pages,
                prepare_ms,
                write_ms,
                write_ms / len(batch.faces),
                f"{out.stat().st_size / 1e6:.1f} MB",
            ]
        )
    return rows


def bench_labels(sessions: Database, admin: Actor, folder: Path, count: int) -> list[list[object]]:
    slots.add_slots(sessions, admin, 1, count, "A")

    def print_labels() -> tuple[int, int]:
        chosen = slot_labels.prepare_labels(sessions, admin)
        return len(chosen), labels.write_label_sheet(chosen, folder / "labels.pdf")

    (count_printed, pages), ms = timed(print_labels)
    return [[count_printed, pages, ms, ms / count_printed]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pupils", type=int, default=1500)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--slots", type=int, default=500)
    args = parser.parse_args()
    print(f"Load average at start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory(prefix="admin-bench-") as name:
        folder = Path(name)
        sessions, admin = school(folder)
        print_table(
            f"Roster import, {args.pupils} pupils (SIMS-style CSV, SQLite, one transaction)",
            ROSTER_COLUMNS,
            bench_roster(sessions, admin, args.pupils),
        )
        print_table(
            "Photo folder import (12 MP JPEGs -> 300x400, EXIF turned, one transaction)",
            ["photos", "on disk", "stored", "total ms", "ms a photo"],
            bench_photos(sessions, admin, folder, args.photos),
        )
        print_table(
            "Pupil card sheets (CR80, 10 an A4 page, vector QR + Code128)",
            CARD_COLUMNS,
            bench_cards(sessions, admin, folder),
        )
        print_table(
            "Slot labels (21 an A4 sheet)",
            ["labels", "pages", "total ms", "ms a label"],
            bench_labels(sessions, admin, folder, args.slots),
        )
        report = chain_check.verify(sessions)
        print(f"\n{report.describe()}")
    print(f"Load average at end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
