"""Settings: where the data lives and which database to use.

Order of precedence: environment (``KIOSK_DATA_DIR``, ``KIOSK_DATABASE_URL``), then
``config.toml`` in the data directory, then defaults. School-level settings that every kiosk
sharing a database must agree on (school name, times, retention) live in the database's
``settings`` table instead, see ``kiosk.services.settings``.
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from sqlalchemy.engine import URL, make_url

from kiosk.storage import POSIX

APP_NAME = "handin-kiosk"


@dataclass(frozen=True)
class Config:
    data_dir: Path
    database_url: str
    kiosk_name: str
    camera: str  # device index ("0") or a path to a video / image folder; "" for none
    fullscreen: bool
    # A second place (another drive, a network share) for the daily signed audit head.
    anchor_dir: Path | None = None

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def export_dir(self) -> Path:
        return self.data_dir / "exports"


def default_data_dir() -> Path:
    override = os.environ.get("KIOSK_DATA_DIR")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def sqlite_url(path: Path) -> str:
    # Rendered by SQLAlchemy, so a '#', '?' or '%' in a folder name is escaped and the
    # URL parses back to exactly this path.
    return URL.create("sqlite", database=str(path)).render_as_string()


def load_config(data_dir: Path | None = None) -> Config:
    data_dir = (data_dir or default_data_dir()).resolve()
    file_values: dict[str, object] = {}
    config_file = data_dir / "config.toml"
    if config_file.exists():
        with config_file.open("rb") as fh:
            file_values = tomllib.load(fh)

    def pick(env: str, key: str, default: str) -> str:
        value = os.environ.get(env)
        if value is not None:
            return value
        return str(file_values.get(key, default))

    return Config(
        data_dir=data_dir,
        database_url=pick("KIOSK_DATABASE_URL", "database_url", sqlite_url(data_dir / "kiosk.db")),
        kiosk_name=pick("KIOSK_NAME", "kiosk_name", "kiosk-1"),
        camera=pick("KIOSK_CAMERA", "camera", "0"),
        fullscreen=pick("KIOSK_FULLSCREEN", "fullscreen", "true").lower() in ("1", "true", "yes"),
        anchor_dir=Path(anchor).expanduser()
        if (anchor := pick("KIOSK_ANCHOR_DIR", "anchor_dir", ""))
        else None,
    )


PRIVATE_FOLDERS = ("backups", "exports", "receipts", "keys")
_DATABASE_SUFFIXES = ("", "-wal", "-shm", "-journal")


class UnsafeDataDir(Exception):
    """The data folder or a database file is open to other users and cannot be fixed."""


def _tighten(path: Path, mode: int) -> None:
    if not POSIX:
        return  # Windows: no modes; the profile's access list protects the folder
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or stat.S_IMODE(info.st_mode) & ~mode == 0:
        return
    try:
        os.chmod(path, mode)
    except OSError as exc:
        raise UnsafeDataDir(
            f"{path} can be read by other users of this computer and its permissions cannot "
            f"be changed ({exc.strerror}). Make it yours alone (chmod {mode:o} as its owner), "
            "then start the kiosk again."
        ) from exc


def ensure_data_dir(config: Config) -> None:
    """Make the data folder if needed and keep it private: the folder and its own folders
    0700, the SQLite files 0600 (made 0600 before SQLite first opens them, and SQLite gives
    its -wal and -shm files the database file's mode). Loose permissions found on an
    existing folder are fixed, or the start is refused with what to do."""
    config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name != "posix":
        return  # Windows: the user profile's ACLs protect the data folder
    _tighten(config.data_dir, 0o700)
    for name in PRIVATE_FOLDERS:
        folder = config.data_dir / name
        if folder.is_dir():
            _tighten(folder, 0o700)
            for backup in folder.glob("*.db*") if name == "backups" else ():
                _tighten(backup, 0o600)
    database = sqlite_file(config.database_url)
    if database is None:
        return
    database.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not database.exists():
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
    for suffix in _DATABASE_SUFFIXES:
        extra = database.with_name(database.name + suffix)
        if extra.exists():
            _tighten(extra, 0o600)


def sqlite_file(database_url: str) -> Path | None:
    """The file behind a SQLite URL; None for PostgreSQL or an in-memory database."""
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).expanduser().resolve()
