"""Schema upgrades with Alembic (the scripts are in db/ beside the package).

Every start opens the database through ``upgrade``. Nearly always its schema is already the
newest, and Alembic would only read the version table to find that out: it is not imported
then (its imports and its loading of every script in db/versions were a third of the
kiosk's start). The newest revision is read from the scripts' own ``revision`` and
``down_revision`` lines, and the database's from its ``alembic_version`` table, as Alembic
reads them; anything else (another revision, no version table, a script these lines do not
describe plainly) goes to Alembic, which upgrades or says what is wrong.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "db"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
# The files Alembic takes as scripts in a versions folder (its _only_source_rev_file).
_SCRIPT_NAME = re.compile(r"(?!\.\#|__init__)(.*\.py)$")
# A script's top-level `revision = "0014"` or `down_revision: str | None = "0013"`.
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.M)


def alembic_config(engine: Engine | None = None) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    if revision == "head" and is_at_head(engine):
        return
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def show_current(engine: Engine) -> None:
    """Print the database's schema revision (``kiosk db current``)."""
    from alembic import command

    command.current(alembic_config(engine))


def known_revisions() -> tuple[str, ...]:
    """Every schema revision this version of the kiosk knows, from the newest down."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    return tuple(script.revision for script in scripts.walk_revisions())


def is_at_head(engine: Engine) -> bool:
    """Whether the database's schema is the newest revision of the scripts (False when
    either cannot be read plainly: Alembic then looks for itself)."""
    head = head_revision()
    return head is not None and database_revisions(engine) == (head,)


def database_revisions(engine: Engine) -> tuple[str, ...] | None:
    """The revisions in the database's ``alembic_version`` table (None: no such table yet,
    or it cannot be read)."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
            return tuple(sorted(rows))
    except DBAPIError:
        return None


def head_revision() -> str | None:
    """The one newest revision of the scripts in db/versions (None: not one, or a script
    whose revision lines are not plain literals)."""
    revisions: set[str] = set()
    below: set[str] = set()
    for path in VERSIONS_DIR.iterdir():
        if not _SCRIPT_NAME.match(path.name) or not path.is_file():
            continue
        lines = script_revision(path.read_text(encoding="utf-8"))
        if lines is None:
            return None
        revision, down = lines
        revisions.add(revision)
        below.update(down)
    heads = revisions - below
    return heads.pop() if len(heads) == 1 else None


def script_revision(source: str) -> tuple[str, tuple[str, ...]] | None:
    """A script's revision and the revisions it follows, from its top-level lines."""
    found: dict[str, list[object]] = {"revision": [], "down_revision": []}
    for name, value in _REVISION_LINE.findall(source):
        try:
            found[name].append(ast.literal_eval(value))
        except (ValueError, SyntaxError):
            return None
    if len(found["revision"]) != 1 or len(found["down_revision"]) != 1:
        return None
    revision, down = found["revision"][0], found["down_revision"][0]
    downs = (down,) if isinstance(down, str) else () if down is None else down
    if not isinstance(revision, str) or not isinstance(downs, tuple | list):
        return None
    if not all(isinstance(d, str) for d in downs):
        return None
    return revision, tuple(downs)
