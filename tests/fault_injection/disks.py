"""Disk faults for an SQLite data folder: a small tmpfs of its own (so it can be filled),
the immutable flag (``chattr +i``: stops even root's writes, where ``chmod`` does not),
and a hand-in loop in a child process (a SIGBUS would kill only the child, and the test
says so instead of dying)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fault_injection.harness import HandInLoop, LoopReport, Told
from kiosk.demo import DemoSchool

HERE = Path(__file__).resolve().parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False)


@contextlib.contextmanager
def tmpfs(folder: Path, size: str = "16m") -> Iterator[Path]:
    """``folder`` as a tmpfs mount of ``size``; the test is skipped where mounting is not
    allowed (not root, or a container without the capability)."""
    folder.mkdir(parents=True, exist_ok=True)
    done = _run("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder))
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or 'not permitted'}")
    try:
        yield folder
    finally:
        _run("umount", "-l", str(folder))


def immutable_supported(folder: Path) -> str | None:
    """Why ``chattr +i`` cannot be used in ``folder``, or None."""
    probe = folder / ".chattr-probe"
    probe.write_bytes(b"")
    try:
        done = _run("chattr", "+i", str(probe))
        if done.returncode != 0:
            return done.stderr.strip() or "chattr failed"
        _run("chattr", "-i", str(probe))
        return None
    finally:
        probe.unlink(missing_ok=True)


def set_immutable(paths: list[Path], on: bool) -> None:
    for path in paths:
        if path.exists():
            done = _run("chattr", "+i" if on else "-i", str(path))
            assert done.returncode == 0, done.stderr


@contextlib.contextmanager
def filled(folder: Path) -> Iterator[None]:
    """Fill ``folder``'s file system to the last byte, then free it again."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 65536)
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 512)  # the last few blocks too
    finally:
        os.close(fd)
    try:
        yield
    finally:
        filler.unlink()


def start_child_loop(
    url: str, school: DemoSchool, seconds: float, out: Path
) -> subprocess.Popen[str]:
    """A hand-in loop in its own process until ``<out>.stop`` appears (or ``seconds``
    pass); its report so far is in ``out`` (see ``child_report``)."""
    cards = out.with_suffix(".cards.json")
    cards.write_text(json.dumps({str(k): v for k, v in school.card_texts.items()}))
    code = (
        "import sys; from fault_injection.disks import child_main; "
        "child_main(sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4])"
    )
    env = {
        **os.environ,
        "PYTHONFAULTHANDLER": "1",
        "PYTHONPATH": os.pathsep.join([str(HERE.parent.parent), str(HERE.parent)]),
    }
    args = [sys.executable, "-c", code, url, str(seconds), str(cards), str(out)]
    return subprocess.Popen(args, env=env, text=True, stderr=subprocess.PIPE)


def child_report(out: Path) -> LoopReport:
    """What the child loop has told its pupils so far (empty before its first scan)."""
    try:
        told = json.loads(out.read_text())
    except FileNotFoundError:
        told = []
    return LoopReport([Told(**t) for t in told])


def _write_report(report: LoopReport, out: Path) -> int:
    """The report in ``out``, whole at every moment (written aside, then renamed)."""
    told = list(report.told)
    partial = out.with_suffix(".partial")
    partial.write_text(json.dumps([dataclasses.asdict(t) for t in told]))
    partial.replace(out)
    return len(told)


def _report_until_stopped(loop: HandInLoop, out: Path, seconds: float) -> None:
    """Until ``<out>.stop`` appears or ``seconds`` pass: ``<out>.idling`` exists while the
    loop is idle, and ``out`` holds the report so far."""
    idling, stop = Path(f"{out}.idling"), Path(f"{out}.stop")
    end, written = time.monotonic() + seconds, 0
    while not stop.exists() and time.monotonic() < end:
        if loop.idling.is_set():
            idling.touch()
        else:
            idling.unlink(missing_ok=True)
        if len(loop.report.told) != written:
            written = _write_report(loop.report, out)
        time.sleep(0.005)


def child_main(url: str, seconds: float, cards_file: str, out: str) -> None:
    """The child: hand-ins until stopped; idle while ``<out>.idle`` exists (and says so
    with ``<out>.idling``)."""
    from fault_injection.conftest import TEST_LIMITS
    from kiosk.db import open_database

    texts = {int(k): v for k, v in json.loads(Path(cards_file).read_text()).items()}
    school = DemoSchool(pupil_ids=sorted(texts), card_texts=texts)
    database = open_database(url, migrate=False, limits=TEST_LIMITS)
    # A hand-in takes milliseconds here: the pause keeps pupils coming for the whole run
    # (60 pupils at 0.15 s last 9 s), so the loop is still alive to go idle.
    loop = HandInLoop(database, school, pause_s=0.15, idle=Path(f"{out}.idle").exists)
    loop.start()
    _report_until_stopped(loop, Path(out), seconds)
    _write_report(loop.stop(), Path(out))
    database.dispose()
