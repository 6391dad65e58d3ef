"""What every second process (``python -I -m``, started by ``services.helper_process``)
does alike, standard library only: read one SQLite file read-only in one snapshot, name the
kiosk package it runs, and answer the one JSON job on stdin with one JSON answer on stdout
(data both ways, never code)."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kiosk

PACKAGE = str(Path(kiosk.__file__).parent)  # the kiosk package this process runs


def read_only(database: str, *pragmas: str) -> sqlite3.Connection:
    """A read-only connection to the SQLite file, its ``pragmas`` set and its snapshot
    begun: every statement on it sees the same record."""
    uri = Path(database).resolve().as_uri() + "?mode=ro"
    connection = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        for pragma in pragmas:
            connection.execute(f"PRAGMA {pragma}")
        connection.execute("BEGIN")
    except sqlite3.Error:
        connection.close()
        raise
    return connection


def serve(work: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """The job on stdin answered on stdout: ``work``'s answer, or its failure in words."""
    try:
        answer = work(json.load(sys.stdin))
    except (sqlite3.Error, OSError, ValueError, KeyError, TypeError) as error:
        answer = {"error": f"{type(error).__name__}: {error}"}
    json.dump(answer, sys.stdout)
