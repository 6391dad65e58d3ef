"""Settings: where the data lives and which database to use.

Order of precedence: environment (``KIOSK_DATA_DIR``, ``KIOSK_DATABASE_URL``), then
``config.toml`` in the data directory, then defaults. School-level settings that every kiosk
sharing a database must agree on (school name, times, retention) live in the database's
``settings`` table instead, see ``kiosk.services.settings``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from sqlalchemy.engine import URL

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


def ensure_data_dir(config: Config) -> None:
    config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
