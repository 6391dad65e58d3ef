"""Most school offices run Windows. Nothing here has run on Windows yet, so this test keeps
the code from calling what Windows lacks: every POSIX-only call in kiosk/ (file modes,
statvfs, the process's own symbols, POSIX-only signals, uid) sits behind a POSIX check, and
a POSIX-only module (pty, tty, termios, fcntl...) is imported only where an ImportError is
caught and said in words. The README's "Windows" section says what is and is not tried."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

KIOSK = Path(__file__).resolve().parents[1] / "kiosk"
POSIX_ONLY_MODULES = {"fcntl", "termios", "tty", "pty", "pwd", "grp", "resource", "posix"}
POSIX_ONLY_OS = {
    "chmod",
    "fchmod",
    "lchmod",
    "chown",
    "lchown",
    "statvfs",
    "fstatvfs",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "kill",
    "killpg",
    "fork",
    "setsid",
    "getpgid",
    "sync",
    "ST_RDONLY",
}
WINDOWS_SIGNALS = {"SIGINT", "SIGTERM", "SIGABRT", "SIGFPE", "SIGILL", "SIGSEGV", "SIGBREAK"}
WINDOWS_SIGNALS |= {"SIG_IGN", "SIG_DFL"}  # what signal.signal accepts there
GUARD_WORDS = ("POSIX", "os.name", "sys.platform", "hasattr(")
# Modules that are POSIX-only as a whole, and why they may be: imported only through a
# function that turns their ImportError into words.
POSIX_ONLY_KIOSK_MODULES = {"kiosk.lockers.simulator": "a pseudo-terminal; kiosk.cli_lockers"}


def sources() -> Iterator[tuple[str, ast.Module, str]]:
    for path in sorted(KIOSK.rglob("*.py")):
        name = ".".join(path.relative_to(KIOSK.parent).with_suffix("").parts)
        text = path.read_text(encoding="utf-8")
        yield name.removesuffix(".__init__"), ast.parse(text), text


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _guarded(node: ast.AST, parents: dict[ast.AST, ast.AST], text: str) -> bool:
    """Inside an ``if`` on POSIX, or after a function's early return when not POSIX."""
    at = node
    while at in parents:
        parent = parents[at]
        if isinstance(parent, ast.If) and any(
            w in ast.get_source_segment(text, parent.test) for w in GUARD_WORDS
        ):
            return True
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
            for statement in parent.body:
                if statement.lineno >= node.lineno:
                    break
                if (
                    isinstance(statement, ast.If)
                    and any(w in ast.get_source_segment(text, statement.test) for w in GUARD_WORDS)
                    and isinstance(statement.body[-1], ast.Return)
                ):
                    return True
        at = parent
    return False


def _posix_only_uses(tree: ast.Module) -> Iterator[tuple[ast.AST, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner, attr = node.value.id, node.attr
            if owner == "os" and attr in POSIX_ONLY_OS:
                yield node, f"os.{attr}"
            if owner == "signal" and attr.startswith("SIG") and attr not in WINDOWS_SIGNALS:
                yield node, f"signal.{attr}"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "chmod" and not (
                isinstance(node.func.value, ast.Name) and node.func.value.id == "os"
            ):
                yield node, "Path.chmod"
            if node.func.attr == "CDLL" and node.args and ast.unparse(node.args[0]) == "None":
                yield node, "ctypes.CDLL(None)"


def test_every_posix_only_call_has_a_windows_path():
    unguarded = []
    for name, tree, text in sources():
        if name in POSIX_ONLY_KIOSK_MODULES:
            continue
        parents = _parents(tree)
        for node, what in _posix_only_uses(tree):
            if not _guarded(node, parents, text):
                unguarded.append(f"{name}:{node.lineno} {what}")
    assert unguarded == []


def _imports(tree: ast.Module) -> Iterator[tuple[ast.AST, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node, node.module


def _catches_import_error(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    at = node
    while at in parents:
        parent = parents[at]
        if isinstance(parent, ast.Try) and at in parent.body:
            names = [ast.unparse(h.type) for h in parent.handlers if h.type is not None]
            if any("ImportError" in caught for caught in names):
                return True
        if isinstance(parent, ast.If) and ast.unparse(parent.test) == "TYPE_CHECKING":
            return True
        at = parent
    return False


def test_posix_only_modules_are_imported_only_where_their_absence_is_said_in_words():
    bare = []
    for name, tree, _text in sources():
        if name in POSIX_ONLY_KIOSK_MODULES:
            continue  # the module itself: reached only through the guarded imports below
        parents = _parents(tree)
        for node, module in _imports(tree):
            posix_only = module.split(".")[0] in POSIX_ONLY_MODULES
            if (posix_only or module in POSIX_ONLY_KIOSK_MODULES) and not _catches_import_error(
                node, parents
            ):
                bare.append(f"{name}:{node.lineno} imports {module}")
    assert bare == []


@pytest.mark.parametrize(
    "call",
    ["os.chmod(path, 0o600)", "path.chmod(0o600)", "os.statvfs(x)", "ctypes.CDLL(None)"],
)
def test_the_check_finds_an_unguarded_call(call):
    """The test above can fail: each kind of call, unguarded, is found; guarded, it is not."""
    bare = ast.parse(f"def f(path, x):\n    {call}\n")
    assert [what for _node, what in _posix_only_uses(bare)]
    text = f"def f(path, x):\n    if not POSIX:\n        return\n    {call}\n"
    guarded = ast.parse(text)
    parents = _parents(guarded)
    assert all(_guarded(node, parents, text) for node, _what in _posix_only_uses(guarded))
    bare_text = f"def f(path, x):\n    {call}\n"
    parents = _parents(bare)
    assert not any(_guarded(node, parents, bare_text) for node, _what in _posix_only_uses(bare))
