"""Where the shared real QR photos are: read-only, beside the repository, never copied in.

The repository is cloned at ``X/<any name>`` with ``shared/`` beside it at ``X/shared``
(CI clones main into a folder of its own with a copy of ``shared/`` beside it). A git
worktree such as ``X/wt/<branch>`` has no ``shared/`` beside it, so the folder beside the
main checkout (found through the worktree's git common directory) is tried as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

ENV = "KIOSK_QR_PHOTOS"
BESIDE = Path("shared") / "qr-photos"


def candidates(repo: Path, environ: Mapping[str, str]) -> list[Path]:
    """The folders to try, in order: $KIOSK_QR_PHOTOS, beside this checkout, beside the
    main checkout of a worktree."""
    found = [Path(environ[ENV])] if environ.get(ENV) else []
    found.append(repo.parent / BESIDE)
    main = main_checkout(repo)
    if main is not None and main != repo:
        found.append(main.parent / BESIDE)
    return found


def main_checkout(repo: Path) -> Path | None:
    """The checkout that owns the git common directory of ``repo`` (itself unless ``repo``
    is a linked worktree, whose ``.git`` file points into ``<main>/.git/worktrees/``)."""
    dot_git = repo / ".git"
    if dot_git.is_dir():
        return repo
    try:
        pointer = dot_git.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not pointer.startswith("gitdir:"):
        return None
    git_dir = repo / pointer.removeprefix("gitdir:").strip()  # an absolute path stays so
    try:
        common = git_dir / (git_dir / "commondir").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return common.resolve().parent


def find_qr_photos(repo: Path, environ: Mapping[str, str]) -> tuple[Path | None, list[Path]]:
    """The first candidate folder that exists (or None), and every folder tried."""
    tried = candidates(repo, environ)
    return next((folder for folder in tried if folder.is_dir()), None), tried
