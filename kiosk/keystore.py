"""The one home for secrets kept outside the database.

A folder ``keys/`` in the data directory (mode 0700) holds one file per named secret (mode
0600): the audit signing keys, and (issue 14) the card secret and the PIN pepper. A copy of
the database or a backup therefore carries none of them; backups must not copy this folder.

Writes are atomic (a temporary file in the same folder, fsync, rename over the old file,
fsync of the folder), so a power cut leaves either the old secret or the new one, never half
of one. ``erase`` overwrites the file with zeros and fsyncs before unlinking it: the best an
ordinary program can do. On an SSD, or a copy-on-write or journalling file system, old
blocks may survive the overwrite; the forward security of the audit log rests on the key no
longer being readable through the file system, which this gives.

On Windows, file modes are not POSIX: ``chmod`` only sets the read-only flag and directories
cannot be fsynced. The code path runs there unchanged (modes are asked for, never checked,
and the folder fsync is skipped); the folder's protection then comes from the user profile's
ACLs (the default data directory is under the user's AppData).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from pathlib import Path

from kiosk.config import Config

KEYS_FOLDER = "keys"
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,79}")
_POSIX = os.name == "posix"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


class KeyStoreError(Exception):
    """The key store cannot be used safely (a name that is not a plain file name, or the
    folder is a link or not a folder). The message is for an administrator."""


class KeyStore:
    """Named secrets, one file each, under ``<data_dir>/keys``."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = Path(data_dir) / KEYS_FOLDER

    @classmethod
    def for_config(cls, config: Config) -> KeyStore:
        return cls(config.data_dir)

    def read(self, name: str) -> bytes | None:
        """The secret's bytes, or None if it was never written (or was erased)."""
        path = self._path(name)
        try:
            fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _BINARY)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise KeyStoreError(f"The key file {path} cannot be read: {error}") from error
        with os.fdopen(fd, "rb") as handle:
            return handle.read()

    def write(self, name: str, data: bytes) -> None:
        """Store ``data`` under ``name``, replacing any earlier value atomically."""
        path = self._path(name)
        self._ensure_folder()
        temporary = self.folder / f".{name}.{secrets.token_hex(8)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY
        fd = os.open(temporary, flags, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if _POSIX:
                os.chmod(temporary, 0o600)  # in case a umask or ACL widened it
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        self._sync_folder()

    def erase(self, name: str) -> None:
        """Overwrite the secret with zeros, then remove it. Erasing a missing name is fine."""
        path = self._path(name)
        try:
            fd = os.open(path, os.O_WRONLY | _NOFOLLOW | _BINARY)
        except FileNotFoundError:
            return
        with os.fdopen(fd, "wb") as handle:  # in place: os.open did not truncate
            size = os.fstat(handle.fileno()).st_size
            handle.write(b"\0" * size)
            handle.flush()
            os.fsync(handle.fileno())
        path.unlink()
        self._sync_folder()

    def names(self) -> list[str]:
        """The names stored, sorted (temporary files left by a crash are not names)."""
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir() if _NAME.fullmatch(p.name))

    def _path(self, name: str) -> Path:
        if not _NAME.fullmatch(name):
            raise KeyStoreError(f"{name!r} is not a usable key name")
        return self.folder / name

    def _ensure_folder(self) -> None:
        """Create ``keys/`` 0700, or tighten an existing one; refuse a link or a file."""
        self.folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileExistsError):
            self.folder.mkdir(mode=0o700)
        info = os.lstat(self.folder)
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
            raise KeyStoreError(f"{self.folder} is not a plain folder; the keys are not kept there")
        if _POSIX and stat.S_IMODE(info.st_mode) != 0o700:
            os.chmod(self.folder, 0o700)

    def _sync_folder(self) -> None:
        if not _POSIX:  # a directory cannot be opened for fsync on Windows
            return
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
