"""Every command the README shows, run or checked exactly as written, so the README
cannot drift from the program.

- The shell blocks of "Setting up your school" run in order, as a school would type them,
  on a new empty data folder (with a roster CSV and a photos folder where it names them,
  the PINs in ``KIOSK_NEW_PIN`` and ``KIOSK_PIN``): every one must exit 0, and the kiosk
  must then be set up, as ``kiosk setup`` in a process of its own says.
- The ``kiosk`` lines run through the program's own ``main`` (cli/commands.py: the words
  exactly as written, the environment and folder as the reader's, no terminal), which
  is the whole program but for the interpreter's start; the last check above runs the
  ``kiosk`` command as a process, to show that the command itself starts.
- The other blocks' ``kiosk`` lines run on a copy of the demo school (the demo admin's
  PIN in ``KIOSK_PIN``). Lines that start the kiosk's window (``kiosk run``, ``kiosk demo``)
  or talk to hardware (a locker bank's port, named with a "…" placeholder) are parsed by
  the program's own argument parser instead: every option must exist and every required
  one be given.
- Scripts (``bash scripts/….sh``, ``benchmarks/….py``) must exist, and pass ``bash -n``;
  the options a line gives them must be ones they read.
- Every ``kiosk …`` command written inline in the prose parses, and every ``--option``
  named inline is an option of the program or of a script.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from school_copies import copy_school

from cli.commands import kiosk
from kiosk.__main__ import build_parser
from kiosk.demo import DEMO_STAFF

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DATA = ROOT / "tests" / "data"
SETUP_SECTION = "Setting up your school"
SETUP_PIN = "592731"  # the new school's staff PINs (an admin needs 6 digits)
DEMO_PIN = {member.name: member.pin for member in DEMO_STAFF}
SHELLS = ("sh", "bash", "shell", "console")
GUI = {"run"}  # and "demo" without --no-run
HARDWARE = {("lockers", "test"), ("lockers", "simulate"), ("lockers", "open-all")}
PLACEHOLDER = "…"


@dataclass(frozen=True)
class Line:
    section: str  # the "## " heading above it
    text: str  # continuation lines joined, comments left out
    number: int  # where it starts in the README

    @property
    def words(self) -> list[str]:
        return shlex.split(self.text, comments=True)

    def __str__(self) -> str:
        return f"README line {self.number}: {self.text}"


def shell_lines(readme: str) -> list[Line]:
    """The commands of every shell code block, with the section each is in."""
    found, section, block, start = [], "", None, 0
    pending, pending_at = "", 0
    for number, raw in enumerate(readme.splitlines(), start=1):
        stripped = raw.strip()
        if block is None and raw.startswith("## "):
            section = raw[3:].strip()
        if stripped.startswith("```"):
            if block is None:
                block, start = stripped[3:].strip().lower(), number
            else:
                block = None
            continue
        if block not in SHELLS or not stripped:
            continue
        if not pending:
            pending_at = number
        pending += stripped.removesuffix("\\").rstrip() + " "
        if not stripped.endswith("\\"):
            text = pending.strip()
            pending = ""
            if shlex.split(text, comments=True):
                found.append(Line(section, text, pending_at))
    assert block is None, f"a code block opened at line {start} is never closed"
    return found


def inline_spans(readme: str) -> Iterator[tuple[int, str, bool]]:
    """Inline code in the prose (outside code blocks): its line number, its text, and
    whether it is the first column of a table (a command to type as it stands)."""
    fenced = False
    for number, raw in enumerate(readme.splitlines(), start=1):
        if raw.strip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            continue
        first_cell = raw.split("|")[1] if raw.startswith("|") else ""
        for span in re.findall(r"`([^`]+)`", raw):
            yield number, span.replace("\\|", "|"), f"`{span}`" in first_cell


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def lines(readme) -> list[Line]:
    found = shell_lines(readme)
    assert any(line.section == SETUP_SECTION for line in found), "no setup steps found"
    return found


def kiosk_words(line: Line) -> list[str] | None:
    """The arguments after ``kiosk`` when the line runs the kiosk command, else None."""
    words = line.words
    return words[1:] if words and words[0] == "kiosk" else None


def parses(argv: list[str]) -> str:
    """'' when the kiosk's own parser takes ``argv``, else what it said."""
    if any(word == "--pin" or word.startswith("--pin=") for word in argv):
        return "a PIN on the command line (the program refuses it)"
    said = io.StringIO()
    with contextlib.redirect_stderr(said), contextlib.redirect_stdout(io.StringIO()):
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as stop:
            return said.getvalue().strip() or f"exit {stop.code}"
    return "" if args.command else "no command"


def runs_for_real(argv: list[str]) -> bool:
    if not argv or argv[0] in GUI or (argv[0] == "demo" and "--no-run" not in argv):
        return False
    if any(PLACEHOLDER in word for word in argv):
        return False
    return tuple(argv[:2]) not in HARDWARE


def run_kiosk(argv: list[str], data_dir: Path, cwd: Path, pin: str | None) -> str:
    """Run ``kiosk ARGS`` in ``cwd`` with nobody at a terminal (a prompt would be a
    failure); '' when it exits 0, else what went wrong."""
    result = kiosk(data_dir, *argv, pin=pin, new_pin=pin, cwd=cwd)
    if result.returncode == 0:
        return ""
    return f"exit {result.returncode}: {(result.stderr or result.stdout).strip()[-400:]}"


def check_line(line: Line, data_dir: Path, cwd: Path, pin_of: dict[str, str]) -> str:
    """'' when ``line`` runs (or, for the window and hardware, parses) as written."""
    argv = kiosk_words(line)
    if argv is None:
        return check_other(line)
    problem = parses(argv)
    if problem or not runs_for_real(argv):
        return problem
    name = argv[argv.index("--as") + 1] if "--as" in argv else None
    adding = argv[:2] == ["staff", "add"]
    pin = pin_of.get(name or "") or (next(iter(pin_of.values())) if adding else None)
    return run_kiosk(argv, data_dir, cwd, pin)


def check_other(line: Line) -> str:
    """A script, an environment setting: checked, not run (they install software)."""
    words = line.words
    if words[0] == "export":
        names = [word.split("=", 1)[0] for word in words[1:]]
        return "" if all(re.fullmatch(r"[A-Z_]+", n) for n in names) else "not NAME=VALUE"
    if words[0] == "bash" and len(words) > 1:
        script = ROOT / words[1]
        if not script.is_file():
            return f"{words[1]} does not exist"
        syntax = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        return syntax.stderr.strip() or unread_options(words[2:], script)
    if words[0].endswith("python") and len(words) > 1:
        script = ROOT / words[1]
        return unread_options(words[2:], script) if script.is_file() else f"no {words[1]}"
    return "a command this test does not know how to check: add it here"


def unread_options(words: list[str], script: Path) -> str:
    source = script.read_text(encoding="utf-8")
    unknown = [w for w in words if w.startswith("--") and w.split("=")[0] not in source]
    return f"{script.name} reads no {', '.join(unknown)}" if unknown else ""


def known_options() -> set[str]:
    """Every option of every kiosk command, and of the scripts a reader runs."""
    found: set[str] = set()
    parsers = [build_parser()]
    while parsers:
        parser = parsers.pop()
        for action in parser._actions:
            found.update(action.option_strings)
            if action.choices and isinstance(action.choices, dict):
                parsers.extend(action.choices.values())
    for script in [*ROOT.glob("scripts/*.sh"), ROOT / "benchmarks" / "run_all.py"]:
        found.update(re.findall(r"--[a-z][a-z-]+", script.read_text(encoding="utf-8")))
    return found


@pytest.fixture
def school_folder(tmp_path) -> Path:
    """Where the reader types the setup commands: their MIS export saved as roster.csv,
    and a folder of photos named by admission number."""
    folder = tmp_path / "school"
    (folder / "photos").mkdir(parents=True)
    shutil.copy(DATA / "sims_bom_crlf.csv", folder / "roster.csv")
    for admission in ("001201", "001202"):
        face = np.full((400, 300, 3), (180, 150, 120), np.uint8)
        assert cv2.imwrite(str(folder / "photos" / f"{admission}.jpg"), face)
    return folder


def test_setting_up_a_school_runs_as_written(lines, school_folder, tmp_path):
    steps = [line for line in lines if line.section == SETUP_SECTION]
    data_dir = tmp_path / "data"
    names = {w[w.index("--name") + 1] for w in map(kiosk_words, steps) if w and "--name" in w}
    pin_of = dict.fromkeys(names, SETUP_PIN)
    failures = [
        f"{line}\n    {problem}"
        for line in steps
        if (problem := check_line(line, data_dir, school_folder, pin_of))
    ]
    assert not failures, "\n".join(failures)
    assert (school_folder / "cards.pdf").read_bytes().startswith(b"%PDF")
    status = subprocess.run(
        [sys.executable, "-m", "kiosk", "setup"],
        env={**os.environ, "KIOSK_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "The pupil screen takes scans" in status.stdout, status.stdout + status.stderr
    assert "to do" not in status.stdout, status.stdout


def test_the_other_commands_run_on_a_demo_school(lines, school_template, tmp_path):
    others = [line for line in lines if line.section != SETUP_SECTION]
    data_dir = tmp_path / "demo"
    data_dir.mkdir()
    copy_school(school_template.path, data_dir / "kiosk.db")
    failures = [
        f"{line}\n    {problem}"
        for line in others
        if (problem := check_line(line, data_dir, tmp_path, DEMO_PIN))
    ]
    assert not failures, "\n".join(failures)


def test_commands_in_the_prose_exist(readme):
    """The command table's first column is typed as it stands: it parses. Elsewhere the
    prose names commands in passing (`kiosk purge`, `kiosk restore`): each command, action
    and option named exists."""
    options = known_options()
    failures = []
    for number, span, in_table in inline_spans(readme):
        words = span.split()
        if words[0] == "kiosk" and PLACEHOLDER not in span:
            argv = shlex.split(re.sub(r"\[[^\]]*\]", "", span))[1:]  # [optional] parts out
            problem = parses(argv) if in_table else unknown_names(argv)
            if problem:
                failures.append(f"README line {number}: `{span}`\n    {problem}")
        elif words[0].startswith("--") and words[0].split("=")[0] not in options:
            failures.append(f"README line {number}: `{span}` is no option of kiosk or a script")
    assert not failures, "\n".join(failures)


def unknown_names(argv: list[str]) -> str:
    """'' when the command, its actions (lower-case words where the command takes a
    choice) and every option named exist; metavariables (NAME, FILE) and missing required
    options are fine here."""
    parser = build_parser()
    positionals = [a for a in parser._actions if not a.option_strings]
    rest = list(argv)
    while rest:
        word = rest.pop(0)
        if word.startswith("-"):
            named = word.split("=")[0]
            action = next((a for a in parser._actions if named in a.option_strings), None)
            if action is None:
                return f"kiosk {argv[0]} has no option {word}"
            if action.nargs != 0 and "=" not in word and rest:
                rest.pop(0)  # its value
            continue
        if not positionals:
            return f"kiosk {argv[0]} takes no {word!r}"
        choices = positionals.pop(0).choices
        if choices is not None and word.islower() and word not in choices:
            return f"{word!r} is none of {', '.join(map(str, choices))}"
        if isinstance(choices, dict):  # a command: its own options and words from here
            if word not in choices:
                return ""  # `kiosk COMMAND --help`: any command
            parser = choices[word]
            positionals = [a for a in parser._actions if not a.option_strings]
    return ""
