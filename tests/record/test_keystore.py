"""The key store: secrets outside the database, one private file each."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from kiosk.config import load_config
from kiosk.keystore import KeyStore, KeyStoreError

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def test_write_read_replace_and_erase(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    assert store.read("card-secret") is None
    store.write("card-secret", b"first")
    store.write("card-secret", b"second value")
    assert store.read("card-secret") == b"second value"
    assert store.names() == ["card-secret"]
    store.erase("card-secret")
    assert store.read("card-secret") is None
    assert store.names() == []
    store.erase("card-secret")  # erasing twice is harmless


def test_no_temporary_file_is_left(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    store.write("pin-pepper", os.urandom(32))
    assert [p.name for p in store.folder.iterdir()] == ["pin-pepper"]


def test_erase_overwrites_the_bytes_before_unlinking(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    store.write("epoch-1", b"S" * 32)
    path = store.folder / "epoch-1"
    keep = os.open(path, os.O_RDONLY)  # a second name for the same inode sees the overwrite
    try:
        store.erase("epoch-1")
        assert not path.exists()
        assert os.pread(keep, 64, 0) == b"\0" * 32
    finally:
        os.close(keep)


@posix_only
def test_modes_are_private_and_a_loose_folder_is_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    store = KeyStore(tmp_path)
    store.write("card-secret", b"x")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "card-secret").stat().st_mode) == 0o600


@posix_only
def test_a_linked_folder_or_key_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    data = tmp_path / "data"
    data.mkdir()
    (data / "keys").symlink_to(elsewhere)
    with pytest.raises(KeyStoreError, match="not a plain folder"):
        KeyStore(data).write("card-secret", b"x")
    assert list(elsewhere.iterdir()) == []

    target = tmp_path / "planted"
    target.write_bytes(b"attacker's key")
    store = KeyStore(tmp_path / "other")
    store.write("card-secret", b"x")
    (store.folder / "card-secret").unlink()
    (store.folder / "card-secret").symlink_to(target)
    with pytest.raises(KeyStoreError):
        store.read("card-secret")


@pytest.mark.parametrize("name", ["", "../db", "a/b", "Upper", ".hidden", "x" * 81])
def test_names_are_plain(tmp_path: Path, name: str) -> None:
    with pytest.raises(KeyStoreError, match="not a usable key name"):
        KeyStore(tmp_path).write(name, b"x")


def test_built_from_the_configured_data_directory(data_dir: Path) -> None:
    store = KeyStore.for_config(load_config())
    assert store.folder == data_dir.resolve() / "keys"


def test_the_windows_code_path_asks_for_no_posix_modes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Windows chmod cannot give 0600 and a folder cannot be fsynced: the store must
    work without either (the modes come from the profile's ACLs there)."""
    import kiosk.keystore as keystore

    calls: list[str] = []
    monkeypatch.setattr(keystore, "_POSIX", False)
    monkeypatch.setattr(keystore.os, "chmod", lambda *a, **k: calls.append("chmod"))
    store = KeyStore(tmp_path)
    store.write("card-secret", b"abc")
    assert store.read("card-secret") == b"abc"
    store.erase("card-secret")
    assert store.read("card-secret") is None
    assert calls == []
