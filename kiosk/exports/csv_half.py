"""The second process of a long CSV export on SQLite: the later part of a log's rows as
CSV lines, standard library only (it starts in tens of milliseconds, not the half second of
importing SQLAlchemy). Started by ``kiosk.exports.csv`` as ``python -I -m
kiosk.exports.csv_half`` (isolated: no current folder, PYTHONPATH or user site on the path,
so no file where the kiosk runs can stand in for a module). It reads one JSON job from
stdin and writes one JSON answer to stdout: data both ways, never Python code.

Job: ``{"database": path, "log": "audit" or "custody", "sql": {"rows", "newest",
"lookups"} (``LogReader.lean_sql``: SELECTs run on a read-only connection), "newest": the
parent's newest audit seq, "out": the file for the lines, "mapped": bytes to map}``.
Answer: ``{"kiosk": the package's folder, "moved": bool, "rows": lines written}``, or
``{"error": words}``.

The lines come from the same description and code as the parent's (``csv_lines``). This
process reads its own, newer snapshot; every change to what a log shows is committed with
an audit event, so a snapshot whose newest event is not the parent's says "moved" and
the parent writes that part itself."""

from __future__ import annotations

from functools import partial
from typing import Any

from kiosk.exports.csv_lines import CHUNK, Lines, write_lines
from kiosk.helper_side import PACKAGE, read_only, serve
from kiosk.services.reports.audit_columns import AUDIT_FIELDS
from kiosk.services.reports.custody_columns import CUSTODY_FIELDS
from kiosk.services.reports.fields import lookup_table, lookup_widths

FIELDS = {"audit": AUDIT_FIELDS, "custody": CUSTODY_FIELDS}


def write_part(job: dict[str, Any]) -> dict[str, Any]:
    """The answer for one job (see above), the lines written to ``job["out"]``."""
    fields, sql = FIELDS[job["log"]], job["sql"]
    mapped = f"mmap_size={int(job['mapped'])}"
    connection = read_only(str(job["database"]), "query_only=ON", mapped)
    try:
        answer: dict[str, Any] = {"kiosk": PACKAGE}
        newest = connection.execute(sql["newest"]).fetchone()[0] or 0
        answer["moved"] = newest != int(job["newest"])
        if answer["moved"]:
            return answer
        found = [
            lookup_table(connection.execute(query), width)
            for query, width in zip(sql["lookups"], lookup_widths(fields), strict=True)
        ]
        cursor = connection.execute(sql["rows"])
        with open(job["out"], "w", encoding="utf-8", newline="") as out:
            batches = iter(partial(cursor.fetchmany, CHUNK), [])
            answer["rows"] = write_lines(batches, Lines(fields, found), out)
        return answer
    finally:
        connection.close()


if __name__ == "__main__":
    serve(write_part)
