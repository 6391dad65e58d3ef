"""The real QR photos are found beside a clone, beside a worktree's main checkout, or
where KIOSK_QR_PHOTOS says; the skip reason names every folder tried."""

from __future__ import annotations

from pathlib import Path

from .photo_folder import ENV, find_qr_photos


def photos_at(folder: Path) -> Path:
    folder.mkdir(parents=True)
    return folder


def test_photos_beside_a_clone_in_any_folder_are_found(tmp_path: Path) -> None:
    repo = tmp_path / "ci-checkout"
    (repo / ".git").mkdir(parents=True)
    beside = photos_at(tmp_path / "shared" / "qr-photos")
    assert find_qr_photos(repo, {})[0] == beside


def test_a_worktree_finds_the_photos_beside_its_main_checkout(tmp_path: Path) -> None:
    main, worktree = tmp_path / "main", tmp_path / "wt" / "feature"
    admin = main / ".git" / "worktrees" / "feature"
    admin.mkdir(parents=True)
    (admin / "commondir").write_text("../..\n")
    worktree.mkdir(parents=True)
    (worktree / ".git").write_text(f"gitdir: {admin}\n")
    beside_main = photos_at(tmp_path / "shared" / "qr-photos")
    found, tried = find_qr_photos(worktree, {})
    assert found == beside_main
    assert tried == [tmp_path / "wt" / "shared" / "qr-photos", beside_main]


def test_the_environment_comes_first_and_a_missing_folder_is_reported(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    chosen = photos_at(tmp_path / "elsewhere")
    photos_at(tmp_path / "shared" / "qr-photos")
    assert find_qr_photos(repo, {ENV: str(chosen)})[0] == chosen
    found, tried = find_qr_photos(tmp_path / "lonely" / "repo", {ENV: str(tmp_path / "none")})
    assert found is None
    assert tried == [tmp_path / "none", tmp_path / "lonely" / "shared" / "qr-photos"]


def test_this_checkout_finds_the_shared_photos_when_they_exist(qr_photos: Path) -> None:
    assert any(qr_photos.glob("qrcode-*/*.txt"))
