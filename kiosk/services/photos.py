"""Pupil photos imported from a folder of images named by admission number or UPN
(``001234.jpg``, ``K886401213101.png``, ``001234 Smith Jo.jpg``).

Each image is turned upright by its EXIF orientation, cropped to a 3:4 portrait, resized to
300x400 and stored as a small JPEG without its metadata (no camera details, no location).
The slow image work happens before the transaction; the photos are then stored in one
transaction with their audit events. Files that match no pupil or cannot be read are listed
in the report, never silently dropped.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.errors import InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.services.common import get_pupil, now_or, require
from kiosk.tables import Pupil, Setting

PHOTO_SIZE = (300, 400)  # width, height: 3:4 portrait
JPEG_QUALITY = 85
MAX_FILE_BYTES = 30_000_000
MAX_PIXELS = 60_000_000  # a 60-megapixel photo is plenty; more is a decompression bomb
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
UNSUPPORTED = {
    ".heic": "HEIC photos (from iPhones) cannot be read: save them as JPEG.",
    ".heif": "HEIF photos cannot be read: save them as JPEG.",
    ".pdf": "a PDF, not a photo.",
}
JUNK = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FileProblem:
    name: str
    reason: str


@dataclass(frozen=True)
class PhotoImportReport:
    imported: int  # pupils who had no photo
    replaced: int  # pupils whose photo was replaced
    unmatched: tuple[str, ...]  # files whose name is no pupil's admission number or UPN
    unreadable: tuple[FileProblem, ...]
    duplicates: tuple[FileProblem, ...]  # a second file for one pupil (the first is used)
    skipped: tuple[str, ...]  # not image files
    still_without_photo: int  # pupils on roll who still have none

    def summary(self) -> str:
        photos = "photo" if self.imported == 1 else "photos"
        parts = [f"{self.imported} {photos} added", f"{self.replaced} replaced"]
        if self.unmatched:
            parts.append(f"{len(self.unmatched)} not matched to a pupil")
        if self.unreadable:
            parts.append(f"{len(self.unreadable)} could not be read")
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} duplicates ignored")
        parts.append(f"{self.still_without_photo} pupils on roll still without a photo")
        return ", ".join(parts)


def prepare_photo(data: bytes) -> bytes:
    """A 300x400 JPEG of the image in ``data``, upright, cropped to fill, metadata
    dropped. Raises InvalidInput with the reason when it is not a readable image."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise InvalidInput("the image is far too large (over 60 megapixels).")
                image.draft("RGB", (PHOTO_SIZE[0] * 2, PHOTO_SIZE[1] * 2))  # fast JPEG decode
                upright = ImageOps.exif_transpose(image)
                rgb = _on_white(upright)
    except InvalidInput:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput("not an image this program can read.") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise InvalidInput(f"the image is damaged ({exc}).") from None
    # Faces sit above the middle of a school photo: keep more of the top when cropping.
    fitted = ImageOps.fit(rgb, PHOTO_SIZE, Image.Resampling.LANCZOS, centering=(0.5, 0.35))
    out = io.BytesIO()
    fitted.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def _on_white(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid on white (not the black convert() would give)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


_FIRST_TOKEN = re.compile(r"^[A-Za-z0-9]+")


class _PupilIndex:
    """Pupils on roll by UPN and admission number; "1234" also finds admission number
    "001234" (spreadsheets often lose the leading zeros)."""

    def __init__(self, session: Session) -> None:
        rows = session.execute(
            select(Pupil.id, Pupil.upn, Pupil.admission_number).where(
                Pupil.active.is_(True), Pupil.purged_at.is_(None)
            )
        ).all()
        self.keys: dict[str, int] = {}
        unpadded: dict[str, set[int]] = {}
        for pupil_id, upn, admission in rows:
            self.keys[upn.upper()] = pupil_id
            self.keys[admission.upper()] = pupil_id
            if admission.isdigit():
                unpadded.setdefault(admission.lstrip("0") or "0", set()).add(pupil_id)
        for key, ids in unpadded.items():
            if len(ids) == 1:
                self.keys.setdefault(key, next(iter(ids)))

    def find(self, stem: str) -> int | None:
        candidates = [stem.strip()]
        token = _FIRST_TOKEN.match(stem.strip())
        if token:
            candidates.append(token.group(0))
        for candidate in candidates:
            key = candidate.upper()
            found = self.keys.get(key) or (
                self.keys.get(key.lstrip("0") or "0") if key.isdigit() else None
            )
            if found is not None:
                return found
        return None


@dataclass
class _Scan:
    photos: dict[int, bytes]
    names: dict[int, str]
    unmatched: list[str]
    unreadable: list[FileProblem]
    duplicates: list[FileProblem]
    skipped: list[str]


def _image_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise InvalidInput(f"{folder} is not a folder.")
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name.casefold())
    except OSError as exc:
        raise InvalidInput(f"Cannot open the folder: {exc.strerror or exc}.") from exc
    return [p for p in entries if p.is_file() and not p.name.startswith(".")]


def _read_folder(folder: Path, index: _PupilIndex, progress: Progress | None) -> _Scan:
    scan = _Scan({}, {}, [], [], [], [])
    files = _image_files(folder)
    for done, path in enumerate(files, start=1):
        _read_one(path, index, scan)
        if progress:
            progress(done, len(files))
    return scan


def _read_one(path: Path, index: _PupilIndex, scan: _Scan) -> None:
    suffix = path.suffix.lower()
    if path.name.lower() in JUNK:
        return
    if suffix in UNSUPPORTED:
        scan.unreadable.append(FileProblem(path.name, UNSUPPORTED[suffix]))
        return
    if suffix not in IMAGE_SUFFIXES:
        scan.skipped.append(path.name)
        return
    pupil_id = index.find(path.stem)
    if pupil_id is None:
        scan.unmatched.append(path.name)
        return
    if pupil_id in scan.photos:
        used = scan.names[pupil_id]
        scan.duplicates.append(FileProblem(path.name, f"same pupil as {used}, which was used"))
        return
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InvalidInput("the file is over 30 MB.")
        scan.photos[pupil_id] = prepare_photo(path.read_bytes())
        scan.names[pupil_id] = path.name
    except InvalidInput as exc:
        scan.unreadable.append(FileProblem(path.name, str(exc)))
    except OSError as exc:
        scan.unreadable.append(FileProblem(path.name, f"cannot be opened ({exc.strerror})."))


def import_folder(
    sessions: Database, actor: Actor, folder: Path, progress: Progress | None = None
) -> PhotoImportReport:
    """Match, convert and store every photo in ``folder`` (not its sub-folders)."""
    with sessions() as session:
        require(session, actor, Action.MANAGE_ROSTER)  # refuse before the slow part
        index = _PupilIndex(session)
    scan = _read_folder(folder, index, progress)
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_ROSTER)
        replaced = _store(session, actor, scan.photos)
        report = PhotoImportReport(
            imported=len(scan.photos) - replaced,
            replaced=replaced,
            unmatched=tuple(scan.unmatched),
            unreadable=tuple(scan.unreadable),
            duplicates=tuple(scan.duplicates),
            skipped=tuple(scan.skipped),
            still_without_photo=_without_photo(session),
        )
        audit.append(
            session,
            EventKind.PHOTOS_IMPORTED,
            actor,
            details={
                "added": report.imported,
                "replaced": report.replaced,
                "unmatched": len(report.unmatched),
                "unreadable": len(report.unreadable),
                "duplicates": len(report.duplicates),
            },
        )
        return report


def _store(session: Session, actor: Actor, photos: dict[int, bytes]) -> int:
    """Store the photos of pupils still on roll; returns how many replaced one."""
    had_photo = set(
        session.scalars(
            select(Pupil.id).where(Pupil.id.in_(list(photos)), Pupil.photo.is_not(None))
        )
    )
    now = now_or(None)
    held_settings = list(session.scalars(select(Setting)))  # see roster._write: fewer reads
    for pupil_id, jpeg in photos.items():
        pupil = get_pupil(session, pupil_id)
        pupil.photo, pupil.updated_at = jpeg, now
        kind = EventKind.PHOTO_REPLACED if pupil_id in had_photo else EventKind.PHOTO_ADDED
        audit.append(session, kind, actor, pupil_id=pupil_id)
    del held_settings
    return len(had_photo)


def _without_photo(session: Session) -> int:
    session.flush()
    count = session.scalar(
        select(func.count())
        .select_from(Pupil)
        .where(Pupil.active.is_(True), Pupil.purged_at.is_(None), Pupil.photo.is_(None))
    )
    return int(count or 0)
