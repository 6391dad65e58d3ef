"""Looking inside a database file nobody vouches for (a backup offered for restore).

A SQLite file carries its own schema: triggers and views run whatever SQL the file's author
wrote, and a damaged or crafted file can aim at the parser itself. So a candidate is only
ever opened here, on a private copy, the way SQLite's "defense against the dark arts" advice
says: read-only and immutable (no locks, no journal, nothing written), ``trusted_schema``
off (functions with side effects cannot run from a view or trigger), cell size checks on,
no memory mapping, and SQLITE_DBCONFIG_DEFENSIVE where Python exposes it (3.12 and later;
on 3.11 the read-only, immutable open is what keeps the file from being changed).

Its schema must then equal, entry for entry, that of a database freshly made by our own
migrations at the same revision: no extra table, view, index or trigger, none missing, and
each one's SQL the same (whitespace aside).
"""

from __future__ import annotations

import sqlite3
import tempfile
from contextlib import closing
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from kiosk import migrate
from kiosk.config import sqlite_url
from kiosk.db import make_engine
from kiosk.errors import KioskError
from kiosk.migrate import upgrade

SchemaEntry = tuple[str, str, str, str]  # type, name, table, SQL with whitespace collapsed
# Made by SQLite itself (ANALYZE, PRAGMA optimize): allowed, with exactly SQLite's own SQL.
_SQLITE_OWN = {
    ("table", "sqlite_stat1", "sqlite_stat1", "CREATE TABLE sqlite_stat1(tbl,idx,stat)"),
    (
        "table",
        "sqlite_stat4",
        "sqlite_stat4",
        "CREATE TABLE sqlite_stat4(tbl,idx,neq,nlt,ndlt,sample)",
    ),
}
_KIND_WORDS = {"table": "table", "view": "view", "index": "index", "trigger": "trigger"}


class CandidateRefused(KioskError):
    default_message = "Not restored: the file is not a kiosk database this kiosk can trust."


def open_untrusted(path: Path) -> sqlite3.Connection:
    """A read-only, immutable connection to ``path`` with SQLite's defensive settings."""
    uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    setconfig = getattr(conn, "setconfig", None)  # Python 3.12+
    if setconfig is not None:
        setconfig(sqlite3.SQLITE_DBCONFIG_DEFENSIVE, True)  # type: ignore[attr-defined]
        setconfig(sqlite3.SQLITE_DBCONFIG_TRUSTED_SCHEMA, False)  # type: ignore[attr-defined]
    for pragma in ("trusted_schema=OFF", "cell_size_check=ON", "mmap_size=0"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def untrusted_engine(path: Path) -> Engine:
    """An SQLAlchemy engine whose every connection is ``open_untrusted(path)``."""
    return create_engine("sqlite://", creator=lambda: open_untrusted(path), poolclass=NullPool)


def check_integrity(path: Path) -> None:
    try:
        with closing(open_untrusted(path)) as conn:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise CandidateRefused(
            f"Not restored: the file is not a readable database ({exc})."
        ) from exc
    if [tuple(row) for row in rows] != [("ok",)]:
        first = rows[0][0] if rows else "no answer"
        raise CandidateRefused(f"Not restored: the file is damaged (integrity check: {first}).")


@lru_cache(maxsize=1)
def known_revisions() -> tuple[str, ...]:
    return migrate.known_revisions()


def head_revision() -> str:
    return known_revisions()[0]  # walk_revisions goes from the head down


def revision_of(path: Path) -> str:
    """The candidate's schema revision, if it is one this kiosk knows."""
    try:
        with closing(open_untrusted(path)) as conn:
            rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError as exc:
        raise CandidateRefused("Not restored: the file is not a kiosk database.") from exc
    if len(rows) != 1 or not isinstance(rows[0][0], str):
        raise CandidateRefused("Not restored: the file is not a kiosk database.")
    revision: str = rows[0][0]
    if revision not in known_revisions():
        raise CandidateRefused(
            "Not restored: the file was made by a newer version of the kiosk "
            f"(schema {revision}). Update this kiosk first."
        )
    return revision


def _entries(conn: sqlite3.Connection) -> set[SchemaEntry]:
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    return {(kind, name, table, " ".join((sql or "").split())) for kind, name, table, sql in rows}


@lru_cache(maxsize=8)
def expected_schema(revision: str) -> frozenset[SchemaEntry]:
    """sqlite_master of a database made afresh by our migrations up to ``revision``."""
    with tempfile.TemporaryDirectory(prefix="kiosk-schema-") as folder:
        path = Path(folder) / "fresh.db"
        engine = make_engine(sqlite_url(path))
        try:
            upgrade(engine, revision)
        finally:
            engine.dispose()
        with closing(sqlite3.connect(path)) as conn:
            return frozenset(_entries(conn))


def _describe(entry: SchemaEntry) -> str:
    kind, name, table, _sql = entry
    where = f" on {table}" if kind in ("index", "trigger") and table != name else ""
    return f"{_KIND_WORDS.get(kind, kind)} '{name}'{where}"


def check_schema(path: Path, revision: str) -> None:
    """Refuse unless the file's schema is exactly our migrations' schema at ``revision``."""
    try:
        with closing(open_untrusted(path)) as conn:
            found = _entries(conn)
    except sqlite3.DatabaseError as exc:
        raise CandidateRefused("Not restored: the file's schema cannot be read.") from exc
    expected = expected_schema(revision)
    extra = sorted(found - expected - _SQLITE_OWN)
    names_expected = {(kind, name) for kind, name, _t, _s in expected}
    changed = [e for e in extra if (e[0], e[1]) in names_expected]
    unknown = [e for e in extra if (e[0], e[1]) not in names_expected]
    missing = [e for e in sorted(expected - found) if (e[0], e[1]) not in {c[:2] for c in changed}]
    problems = [f"it has an unknown {_describe(e)}" for e in unknown]
    problems += [f"its {_describe(e)} was altered" for e in changed]
    problems += [f"its {_describe(e)} is missing" for e in missing]
    if problems:
        listed = "; ".join(problems[:4]) + ("; …" if len(problems) > 4 else "")
        raise CandidateRefused(
            f"Not restored: the file's database structure is not the kiosk's own ({listed}). "
            "Someone changed it outside the kiosk."
        )


def bring_to_head(staging: Path) -> None:
    """Upgrade a checked staging copy (its schema already equal to ours at its revision)
    to the newest revision, and leave it one self-contained file again."""
    engine = make_engine(sqlite_url(staging))
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    with closing(sqlite3.connect(staging)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
