"""The layers of /work/shared/DESIGN.md ("Layers (after the redesign)"), read from the source
of every module in kiosk/ (imports anywhere in a module count, inside functions and
``TYPE_CHECKING`` blocks too):

    ui/, cli (commands), demo                       on top: they call services
    printing/, exports/, scanning/                  draw, write or read devices for them
    services/, record/ (seal, check)                one function a user action; the signed record
    core values: card_codec, rules, event_kinds, clock, errors, config, keystore, qtfix,
                 record's keys, lines and anchors
    db, migrate, tables                             at the bottom

A module imports its own layer and the layers below, never one above. The core (all but
kiosk/ui and the Qt device readers) imports no Qt; kiosk/ui imports no SQLAlchemy and
loads nothing by name (importlib); no module is over 400 lines."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

KIOSK = Path(__file__).resolve().parent.parent / "kiosk"
MOST_LINES = 400

# (module prefix, layer): the longest matching prefix decides; higher layers are on top
LAYERS = [
    ("kiosk.ui", 4),
    ("kiosk.cli", 4),  # kiosk.cli, cli_core, cli_admin, cli_reports
    ("kiosk.__main__", 4),
    ("kiosk.demo", 4),  # the demo school, built by a command
    ("kiosk.printing", 3),
    ("kiosk.exports", 3),
    ("kiosk.scanning", 3),
    ("kiosk.record", 1),  # the signed audit record's keys, line format and anchors: values
    ("kiosk.record.seal", 2),  # sealing and checking what services wrote
    ("kiosk.record.check", 2),
    ("kiosk.record.sheet", 3),  # its recovery sheet, drawn
    ("kiosk.services", 2),
    ("kiosk.card_codec", 1),
    ("kiosk.rules", 1),
    ("kiosk.event_kinds", 1),
    ("kiosk.worded", 1),  # values with words (event kinds, device kinds)
    ("kiosk.devices", 1),  # the kinds of device a pupil hands in, with their words
    ("kiosk.clock", 1),
    ("kiosk.helper_side", 1),  # what every second process does alike (standard library)
    ("kiosk.errors", 1),
    ("kiosk.config", 1),
    ("kiosk.keystore", 1),
    ("kiosk.qtfix", 1),
    ("kiosk.db", 0),
    ("kiosk.migrate", 0),
    ("kiosk.tables", 0),
    ("kiosk.custody_terms", 0),  # custody kinds and states (the tables use them)
    ("kiosk", 0),  # the package itself: its version only
]
# Imports upward allowed, each with its reason.
UPWARD_ALLOWED = {
    # the named errors hold no code: the database handle raises them like every layer
    ("kiosk.db", "kiosk.errors"),
    # the database handle's guard (issue 20) raises the same named error for the same reason
    ("kiosk.sqlite_guard", "kiosk.errors"),
}
QT_ALLOWED = (
    "kiosk.ui",
    "kiosk.scanning.camera",
    "kiosk.scanning.watchdog",  # the camera's watchdog (issue 20) runs on the GUI thread
    "kiosk.scanning.wedge",
    "kiosk.qtfix",
)
LONG_ALLOWED: dict[str, str] = {}  # module: why it may be over MOST_LINES lines, for now


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module

    def imports(self) -> list[tuple[int, str]]:
        """(line, module) of every import, names imported from a package counted as its
        modules (``from kiosk.services import audit`` is ``kiosk.services.audit``)."""
        package = self.name if self.path.name == "__init__.py" else self.name.rpartition(".")[0]
        found = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                found.extend((node.lineno, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                found.append((node.lineno, base))
                found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
        return found


def modules() -> list[Module]:
    found = []
    for path in sorted(KIOSK.rglob("*.py")):
        parts = path.relative_to(KIOSK.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found.append(Module(name, path, ast.parse(path.read_text(encoding="utf-8"))))
    return found


def layer(name: str) -> int | None:
    """The layer of a kiosk module (None for one that is not in kiosk/)."""
    matches = [
        (len(prefix), rank)
        for prefix, rank in LAYERS
        if name == prefix or name.startswith(prefix + ".") or _cli(prefix, name)
    ]
    return max(matches)[1] if matches else None


def _cli(prefix: str, name: str) -> bool:
    return prefix == "kiosk.cli" and name.startswith("kiosk.cli_")


def _is_kiosk_module(name: str) -> bool:
    """Whether ``name`` is a module or package in kiosk/ (not a name defined in one)."""
    parts = name.split(".")
    if parts[0] != "kiosk":
        return False
    path = KIOSK.parent.joinpath(*parts)
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _ours(module: Module, prefixes: tuple[str, ...]) -> bool:
    return any(module.name == p or module.name.startswith(p + ".") for p in prefixes)


def test_every_module_is_in_a_layer():
    assert [m.name for m in modules() if layer(m.name) is None] == []


def test_no_module_imports_a_layer_above_its_own():
    upward = []
    for module in modules():
        own = layer(module.name)
        assert own is not None
        for line, name in module.imports():
            if not _is_kiosk_module(name) or (module.name, name) in UPWARD_ALLOWED:
                continue
            theirs = layer(name)
            if theirs is not None and theirs > own:
                upward.append(f"{module.path.name}:{line} {module.name} imports {name}")
    assert upward == []


def test_services_never_import_printing_exports_scanning_ui_or_commands():
    above = ("kiosk.printing", "kiosk.exports", "kiosk.scanning", "kiosk.ui", "kiosk.cli")
    found = [
        f"{module.name}:{line} imports {name}"
        for module in modules()
        if _ours(module, ("kiosk.services",))
        for line, name in module.imports()
        if name.startswith(above)
    ]
    assert found == []


def test_only_the_screens_and_the_qt_device_readers_import_qt():
    found = [
        f"{module.name}:{line} imports {name}"
        for module in modules()
        if not _ours(module, QT_ALLOWED)
        for line, name in module.imports()
        if name.split(".")[0] in ("PySide6", "shiboken6", "PyQt5", "PyQt6")
    ]
    assert found == []


@pytest.mark.parametrize("banned", ["sqlalchemy", "importlib"])
def test_the_screens_import_no_sqlalchemy_and_load_nothing_by_name(banned):
    found = [
        f"{module.name}:{line} imports {name}"
        for module in modules()
        if _ours(module, ("kiosk.ui",))
        for line, name in module.imports()
        if name.split(".")[0] == banned
    ]
    calls = [
        f"{module.name}:{node.lineno} calls __import__"
        for module in modules()
        if _ours(module, ("kiosk.ui",))
        for node in ast.walk(module.tree)
        if isinstance(node, ast.Name) and node.id == "__import__"
    ]
    assert found + calls == []


def test_no_module_is_over_400_lines():
    sizes = {m.name: len(m.path.read_text(encoding="utf-8").splitlines()) for m in modules()}
    too_long = {name: n for name, n in sizes.items() if n > MOST_LINES and name not in LONG_ALLOWED}
    assert too_long == {}, f"the largest: {max(sizes.items(), key=lambda item: item[1])}"


def test_the_layer_check_sees_an_upward_import(tmp_path):
    """The checks above read real imports: a services module importing a screen, and a
    relative import, are both seen for what they are."""
    source = "from kiosk.ui import app\nfrom ..printing import draw\n"
    module = Module("kiosk.services.x", KIOSK / "services" / "x.py", ast.parse(source))
    names = [name for _, name in module.imports()]
    assert "kiosk.ui.app" in names and "kiosk.printing.draw" in names
    assert layer("kiosk.ui.app") == 4 > layer("kiosk.services.x") == 2
    assert layer("kiosk.cli_admin") == 4 and layer("kiosk.clock") == 1 and layer("kiosk.db") == 0
