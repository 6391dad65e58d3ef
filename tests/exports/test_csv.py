"""A CSV log's fast ways (look-ups by id instead of joins, the audit log's lines made at
once) give byte for byte the file of the plain ways, on data chosen to be awkward: commas,
quotes, CR/LF, formula starts, accents, NULLs, microseconds, and times on both sides of
both clock changes. And no temporary file outlives an export, whatever happens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fixtures.reports import *  # noqa: F403 (the reports tests' fixtures)
from sqlalchemy import func, insert, select

import kiosk.exports.csv as csv_export
import kiosk.exports.csv_lines as csv_lines
from kiosk.exports.run import ExportCancelled, ExportRequest, run_export
from kiosk.services import audit, staff
from kiosk.services.audit import Actor
from kiosk.services.reports.fields import Field, Shown, words
from kiosk.services.reports.filter import ReportFilter
from kiosk.services.reports.log_sql import LogSql
from kiosk.services.reports.reader import LogReader, open_log
from kiosk.tables import AuditEvent, Confiscation, Custody, Pupil, Slot

AWKWARD = [
    'Zoë, "Zo" O\'Neill',
    "Nguyễn\r\nThị",
    "=SUM(A1:A9)",
    "+44 7700 900123",
    "-minus",
    "@handle",
    "\tTabbed",
    "\rCarriage",
    'She said "hi"',
    "line\nbreak",
    "semi;colon",
    " leading space",
    "",
]
# UTC instants around the clocks going back (26 Oct 2025, 01:00 UTC) and forward
# (29 Mar 2026, 01:00 UTC), with microseconds, and a late-evening one that crosses midnight
INSTANTS = [
    dt.datetime(2025, 10, 25, 23, 59, 59, 999999),
    dt.datetime(2025, 10, 26, 0, 30, 0, 1),
    dt.datetime(2025, 10, 26, 0, 59, 59, 500000),
    dt.datetime(2025, 10, 26, 1, 0, 0),
    dt.datetime(2025, 10, 26, 1, 30, 15, 123456),
    dt.datetime(2025, 10, 27, 23, 45, 1, 2),
    dt.datetime(2026, 3, 28, 23, 30, 0, 999),
    dt.datetime(2026, 3, 29, 0, 59, 59, 500000),
    dt.datetime(2026, 3, 29, 0, 59, 59, 999999),
    dt.datetime(2026, 3, 29, 1, 0, 0, 0),
    dt.datetime(2026, 3, 29, 1, 0, 0, 1),
    dt.datetime(2026, 3, 29, 22, 59, 59),
    dt.datetime(2026, 3, 29, 23, 0, 0, 7),
]
YEAR = ReportFilter(dt.date(2025, 9, 1), dt.date(2026, 8, 31))
FILTERS = [
    YEAR,
    ReportFilter(dt.date(2025, 9, 1), dt.date(2026, 8, 31), year_group=9),
    ReportFilter(dt.date(2025, 9, 1), dt.date(2026, 8, 31), reg_group="=x"),
    ReportFilter(dt.date(2025, 9, 1), dt.date(2026, 8, 31), custody_kind="confiscation"),
    ReportFilter(dt.date(2025, 10, 26), dt.date(2026, 3, 29), custody_kind="daily"),
]


def add_awkward_history(sessions, admin: Actor) -> None:
    """Pupils, staff, custodies and audit events with awkward values in every text field
    and NULL wherever the schema allows one."""
    staff_ids = [
        staff.add_staff(sessions, admin, name, "office", f"{4000 + i}")
        for i, name in enumerate(["O'Brien, Pat", '=Evil "Staff"', "Zoë Ünal"])
    ]
    with sessions.begin() as session:
        slots = [
            session.execute(insert(Slot).values(number=900 + i, cabinet="Z")).inserted_primary_key[
                0
            ]
            for i in range(3)
        ]
        pupil_ids = []
        for i, text in enumerate(AWKWARD):
            values = dict(
                upn=f"Z{900000000000 + i}",
                admission_number=f"{text[:10]}#{i}",
                legal_forename=text or "Ann",
                preferred_forename=None if i % 2 else f"{text}-p",
                surname=AWKWARD[-1 - i] or "Smith",
                year_group=7 + i % 4,
                reg_group="=x" if i % 3 == 0 else f"{7 + i % 4}{text[:1]}",
                brings_device=True,
                active=True,
                created_at=INSTANTS[0],
                updated_at=INSTANTS[0],
            )
            pupil_ids.append(
                session.execute(insert(Pupil).values(**values)).inserted_primary_key[0]
            )
        for n, at in enumerate(INSTANTS * 3):
            text = AWKWARD[n % len(AWKWARD)]
            kind = "confiscation" if n % 3 == 0 else "daily"
            released = None if n % 4 == 0 else at + dt.timedelta(hours=n, microseconds=n)
            custody_id = session.execute(
                insert(Custody).values(
                    pupil_id=pupil_ids[n % len(pupil_ids)],
                    slot_id=None if n % 5 == 0 or released is None else slots[n % 3],
                    kind=kind,
                    state="held" if released is None else ("released", "handed_to_police")[n % 2],
                    switched_off_confirmed=bool(n % 2),
                    received_at=at + dt.timedelta(microseconds=n),
                    received_by_id=None if n % 2 else staff_ids[n % 3],
                    keep_overnight_on=at.date() if n % 6 == 1 else None,
                    released_at=released,
                    released_by_id=None if n % 3 == 1 or released is None else staff_ids[n % 3],
                    released_to=None if released is None else ("pupil", "parent", "other")[n % 3],
                    released_to_name=None if n % 2 else text,
                    released_to_relationship=None if n % 3 else text,
                    id_seen=None if n % 3 == 2 else bool(n % 2),
                    card_less=n % 5 == 1,
                    late=n % 7 in (2, 3),
                )
            ).inserted_primary_key[0]
            if kind == "confiscation":
                session.execute(
                    insert(Confiscation).values(
                        custody_id=custody_id,
                        reason_category=text,
                        note=text,
                        do_not_examine=False,
                        dsl_referred_at=None if n % 2 else at,
                    )
                )
            actor = Actor(None if n % 2 else staff_ids[n % 3], text if n % 4 else None)
            audit.append(
                session,
                "awkward," + text[:5],
                actor,  # type: ignore[arg-type]
                pupil_id=(None, 999_999)[n % 2] if n % 5 == 1 else pupil_ids[n % len(pupil_ids)],
                slot_number=None if n % 2 else 900 + n % 3,
                custody_id=None if n % 3 == 2 else custody_id,
                details={"note": text, "n": n} if n % 7 else None,
                at=at + dt.timedelta(microseconds=n),
            )


_LEAN, _LEAN_BATCHES = LogReader.lean, LogReader.lean_batches


def look_up(monkeypatch, lookup: bool) -> None:
    """Pupils (and the custody log's slots and staff) looked up by id where the reader
    would, or (False) always joined: the reference the look-ups are compared with."""
    monkeypatch.setattr(LogReader, "lean", _LEAN if lookup else lambda self: False)


@contextmanager
def _no_batches(self, batch: int = 0) -> Iterator[None]:
    yield None


def lines_at_once(monkeypatch, at_once: bool) -> None:
    """CSV lines made at once where the writer would, or (False) every row through
    csv.writer: the reference the lines are compared with."""
    monkeypatch.setattr(LogReader, "lean_batches", _LEAN_BATCHES if at_once else _no_batches)


def export_bytes(sessions, actor, folder: Path, report: str, which: ReportFilter) -> bytes:
    folder.mkdir(exist_ok=True)
    out = folder / f"{report}.csv"
    run_export(sessions, actor, ExportRequest(report, "csv", which), out)
    assert sorted(p.name for p in folder.iterdir()) == [out.name], "no temporary file left"
    data = out.read_bytes()
    out.unlink()
    return data


@pytest.fixture
def awkward(history, sessions):
    admin = history.school.actors["admin"]
    add_awkward_history(sessions, admin)
    return admin


def test_the_awkward_values_survive_the_round_trip(awkward, sessions, tmp_path, monkeypatch):
    import csv
    import io

    data = export_bytes(sessions, awkward, tmp_path / "out", "custody", YEAR)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    names = {row[14] for row in rows[1:]}
    assert "'=SUM(A1:A9)" in names and "Nguyễn\r\nThị" in names and 'She said "hi"' in names
    times = {row[9] for row in rows[1:]}
    assert "2025-10-26 01:59:59" in times  # BST, just before the clocks go back
    assert "2025-10-26 01:00:00" in times  # GMT, just after
    assert "2026-03-29 00:59:59" in times and "2026-03-29 02:00:00" in times
    header = rows[0]
    card_less, late, unclaimed = (header.index(t) for t in ("Card-less", "Late", "Unclaimed"))
    assert {"Step this term", "Release condition", "Condition differs from rule because"} <= set(
        header
    )  # the escalation ladder (issue 18)
    daily = [row for row in rows[1:] if row[6] == "Daily hand-in"]
    assert {row[card_less] for row in daily} == {row[late] for row in daily} == {"True", "False"}
    assert {row[unclaimed] for row in daily} == {""}
    confiscations = [row for row in rows[1:] if row[6] == "Confiscation"]
    assert {(row[card_less], row[late]) == ("", "") for row in confiscations} == {True}


@pytest.mark.parametrize("report", ["custody", "audit"])
def test_a_cancelled_export_leaves_no_file_and_no_event(
    awkward, sessions, tmp_path, monkeypatch, report
):
    monkeypatch.setattr(csv_export, "CHUNK", 5)
    out = tmp_path / "out" / f"{report}.csv"
    out.parent.mkdir()
    request = ExportRequest(report, "csv", YEAR)
    with pytest.raises(ExportCancelled):
        run_export(sessions, awkward, request, out, cancelled=lambda: True)
    assert list(out.parent.iterdir()) == []
    with sessions() as session:
        exports = select(func.count()).where(AuditEvent.kind == "export")
        assert session.scalar(exports) == 0


@pytest.mark.parametrize("kind", ["custody", "audit"])
def test_the_row_count_matches_the_rows_for_every_filter(awkward, sessions, kind):
    for which in FILTERS:
        with open_log(sessions, kind, which) as table:
            assert table.total == sum(1 for _ in table.rows), which


def add_dangling_custodies(database_url: str) -> None:
    """Custodies naming a pupil, slot or staff member that does not exist (only possible
    with the foreign keys off): the joins drop or blank them, and so must the lookups."""
    import sqlite3

    path = database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys=OFF")
        pupil = conn.execute("SELECT min(id) FROM pupils").fetchone()[0]
        for n, (pupil_id, slot_id, staff_id) in enumerate(
            [(888_888, None, None), (pupil, 666_666, 777_777), (pupil, None, 777_777)]
        ):
            conn.execute(
                "INSERT INTO custodies (pupil_id, slot_id, kind, state, switched_off_confirmed,"
                " received_at, received_by_id, released_at, released_by_id, released_to)"
                " VALUES (?, ?, 'daily', 'released', 1, ?, ?, ?, ?, 'pupil')",
                (
                    pupil_id,
                    slot_id,
                    f"2026-01-0{n + 5} 08:00:00.000000",
                    staff_id,
                    f"2026-01-0{n + 5} 15:00:00.000000",
                    staff_id,
                ),
            )


@pytest.mark.parametrize("report", ["custody", "audit"])
def test_lookups_by_id_give_the_bytes_of_the_joins(
    awkward, sessions, database_url, tmp_path, monkeypatch, report
):
    """Without a pupil filter the logs look pupils (and slots and staff) up by id rather
    than joining them: the same bytes, with events naming no pupil, a pupil that does not
    exist, and custodies whose pupil, slot or staff member is missing."""
    add_dangling_custodies(database_url)
    for n, which in enumerate(FILTERS):
        look_up(monkeypatch, False)
        joined = export_bytes(sessions, awkward, tmp_path / f"join{n}", report, which)
        look_up(monkeypatch, True)
        looked_up = export_bytes(sessions, awkward, tmp_path / f"lookup{n}", report, which)
        assert looked_up == joined, which
        if report == "custody" and which == YEAR:
            assert b"2026-01-06 08:00:00" in joined  # a missing slot or staff: kept
            assert b"2026-01-05 08:00:00" not in joined  # a missing pupil: dropped


@pytest.mark.parametrize("report", ["custody", "audit"])
def test_lookups_give_the_rows_of_the_joins_value_for_value(
    awkward, sessions, database_url, monkeypatch, report
):
    """The same values and types (None stays None) for the XLSX writer as for CSV."""
    add_dangling_custodies(database_url)
    for which in FILTERS:
        rows = {}
        for lookup in (False, True):
            look_up(monkeypatch, lookup)
            with open_log(sessions, report, which) as table:
                rows[lookup] = [tuple((type(v), v) for v in row) for row in table.rows]
        assert rows[True] == rows[False], which


def count_fast_batches(monkeypatch) -> dict[str, int]:
    """How many batches the lines made at once wrote, and how many went to csv.writer
    instead (a value they do not take)."""
    counts = {"fast": 0, "csv.writer": 0}
    real_init = csv_lines.Lines.__init__

    def counting_init(self, *args):
        real_init(self, *args)
        fast = self.fast

        def counted(rows):
            made = fast(rows)
            counts["fast" if made is not None else "csv.writer"] += 1
            return made

        self.fast = counted

    monkeypatch.setattr(csv_lines.Lines, "__init__", counting_init)
    return counts


@pytest.mark.parametrize("report", ["custody", "audit"])
def test_lines_made_at_once_are_the_bytes_of_csv_writer(
    awkward, sessions, database_url, tmp_path, monkeypatch, report
):
    """A log's lines made in one step (every filter; batches of a few rows, so the clock
    changes fall inside and between them) against csv.writer row by row."""
    add_dangling_custodies(database_url)
    counts = count_fast_batches(monkeypatch)
    monkeypatch.setattr(csv_export, "CHUNK", 4)
    for n, which in enumerate(FILTERS):
        lines_at_once(monkeypatch, False)
        by_row = export_bytes(sessions, awkward, tmp_path / f"row{n}", report, which)
        lines_at_once(monkeypatch, True)
        at_once = export_bytes(sessions, awkward, tmp_path / f"once{n}", report, which)
        assert at_once == by_row, which
    assert counts["fast"] > 10 and counts["csv.writer"] == 0, counts


def add_odd_events(database_url: str) -> int:
    """Audit events holding what only a hand-edited database could, one odd value each:
    times of other shapes, text and reals in the id columns, hashes a CSV must quote (or
    empty: NOT NULL), flags as text. Returns how many of them csv.writer must write."""
    import sqlite3

    usual = ("2026-01-10 12:00:00.000000", 1, 1, 1, 0)
    to_csv_writer = [  # (column, value): at, pupil_id, slot_number, custody_id, redacted, hash
        (0, "2026-03-29T00:30:00"),
        (0, "2026-03-29 01:30"),
        (0, "2026-01-10 12:00,01.000000"),
        (0, '2026-01-10 12:00"02.000000'),
        (1, "3,4"),
        (1, "x"),
        (1, 2.5),
        (2, "7,8"),
        (2, 1e20),
        (3, 'say "4"'),
    ]
    as_they_are = [(3, -0.0), (4, "1"), (4, 1.0), (4, "yes"), (5, None)]  # -0.0 is stored as 0
    as_they_are += [  # any text, between quotes with its own doubled (every field is quoted)
        (5, "d" * 63 + ","),
        (5, "d" * 63 + '"'),
        (5, "e\r\n" + "e" * 61),
        (5, "e\n" + "e" * 62),
    ]
    odd = to_csv_writer + as_they_are
    path = database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        last = conn.execute("SELECT max(seq) FROM audit_events").fetchone()[0]
        for n, (column, value) in enumerate(odd, start=1):
            row = [*usual[:5], str(n).zfill(64)]  # hashes are unique
            row[column] = value
            conn.execute(
                "INSERT INTO audit_events (seq, at, kind, actor_name, pupil_id, slot_number,"
                " custody_id, details, details_digest, redacted, prev_hash, hash)"
                " VALUES (?, ?, 'odd', 'Ed', ?, ?, ?, '{}', '', ?, '', coalesce(?, ''))",
                (last + 1000 + n, *row),
            )
    return len(to_csv_writer)


def test_values_lines_at_once_do_not_take_go_through_csv_writer(
    awkward, sessions, database_url, tmp_path, monkeypatch
):
    """One row a batch, so that each odd value is the only reason for its batch's way."""
    odd = add_odd_events(database_url)
    counts = count_fast_batches(monkeypatch)
    monkeypatch.setattr(csv_export, "CHUNK", 1)
    lines_at_once(monkeypatch, False)
    by_row = export_bytes(sessions, awkward, tmp_path / "row", "audit", YEAR)
    lines_at_once(monkeypatch, True)
    at_once = export_bytes(sessions, awkward, tmp_path / "once", "audit", YEAR)
    assert at_once == by_row
    assert b',"e\r\neee' in at_once and b',"7,8",' in at_once  # the odd values are in
    assert b',"' + b"d" * 63 + b'"""\r\n' in at_once  # its quote doubled
    assert counts["fast"] > 20 and counts["csv.writer"] == odd, counts


def parsed(data: bytes) -> list[list[str]]:
    import csv
    import io

    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def changed_fields(monkeypatch, module, name: str, title: str, change) -> int:
    """The log's description with the field titled ``title`` changed by ``change`` (a
    function of the field: the new one, or None to remove it); returns its place."""
    fields = list(getattr(module, name))
    at = next(n for n, field in enumerate(fields) if field.column.title == title)
    new = change(fields[at])
    fields[at : at + 1] = [] if new is None else [new]
    monkeypatch.setattr(module, name, tuple(fields))
    return at


@pytest.mark.parametrize("lookup", [True, False], ids=["looked up", "joined"])
def test_a_column_changed_in_its_description_changes_that_column_only(
    awkward, sessions, tmp_path, monkeypatch, lookup
):
    """One edit to where the audit log's "Pupil" column is read from (the surname alone)
    reaches the joined query, the look-up and the CSV lines made at once, and no other
    column changes."""
    from kiosk.services.reports import audit_columns, audit_log

    look_up(monkeypatch, lookup)
    before = parsed(export_bytes(sessions, awkward, tmp_path / "before", "audit", YEAR))
    counts = count_fast_batches(monkeypatch)
    values = {**audit_log.AUDIT_SQL.values, "pupil_name": Pupil.surname}
    monkeypatch.setattr(audit_log, "AUDIT_SQL", LogSql(values, audit_log.AUDIT_SQL.tables))
    at = [field.name for field in audit_columns.AUDIT_FIELDS].index("pupil_name")
    after = parsed(export_bytes(sessions, awkward, tmp_path / "after", "audit", YEAR))
    assert len(after) == len(before) > 100
    named = 0
    for old, new in zip(before, after, strict=True):
        assert old[:at] + old[at + 1 :] == new[:at] + new[at + 1 :]
        assert old[at].endswith(new[at].removeprefix("'"))
        named += bool(new[at]) and new[at] != old[at]
    assert named > 50
    assert (counts["fast"] > 0) == lookup and counts["csv.writer"] == 0, counts


OUTCOMES = {"held": "In the cabinet", "released": "Back with the pupil"}
SHOWN_CHANGES = [  # (log, field title, how it is shown now, old shown -> new shown)
    ("custody", "Outcome", words(OUTCOMES), {"Held": "In the cabinet"}),
    ("custody", "Released by", Shown("{v}"), {"Kiosk (self-service)": ""}),
    ("audit", "Redacted", Shown("{yes} if {v} else {no}", {"yes": "yes", "no": "no"}), {}),
    ("audit", "Event", Shown("{v}.upper()"), {}),
]


@pytest.mark.parametrize("lookup", [True, False], ids=["looked up", "joined"])
@pytest.mark.parametrize(("report", "title", "shown", "old_to_new"), SHOWN_CHANGES)
def test_a_column_shown_another_way_in_its_description_changes_that_column_only(
    awkward, sessions, tmp_path, monkeypatch, lookup, report, title, shown, old_to_new
):
    """One edit to how a column is shown reaches the rows the reports show and the CSV
    lines made at once (which still take every batch), and no other column changes."""
    from kiosk.services.reports import audit_columns, custody_columns

    module, name = (
        (custody_columns, "CUSTODY_FIELDS")
        if report == "custody"
        else (audit_columns, "AUDIT_FIELDS")
    )
    look_up(monkeypatch, lookup)
    before = parsed(export_bytes(sessions, awkward, tmp_path / "before", report, YEAR))
    counts = count_fast_batches(monkeypatch)
    at = changed_fields(
        monkeypatch,
        module,
        name,
        title,
        lambda field: Field(field.name, field.column, field.lookup, shown),
    )
    after = parsed(export_bytes(sessions, awkward, tmp_path / "after", report, YEAR))
    assert len(after) == len(before) > 30
    changed = 0
    for old, new in zip(before[1:], after[1:], strict=True):
        assert old[:at] + old[at + 1 :] == new[:at] + new[at + 1 :]
        if old[at] in old_to_new:
            assert new[at] == old_to_new[old[at]]
        changed += new[at] != old[at]
    assert changed >= 5
    if title == "Redacted":
        assert {row[at] for row in after[1:]} == {"no"}
    if title == "Event":
        assert all(row[at] == row[at].upper() for row in after[1:])
    assert (counts["fast"] > 0) == lookup and counts["csv.writer"] == 0, counts


@pytest.mark.parametrize("report", ["custody", "audit"])
def test_a_column_removed_from_its_description_leaves_the_others(
    awkward, sessions, tmp_path, monkeypatch, report
):
    from kiosk.services.reports import audit_columns, custody_columns

    module, name, title = (
        (custody_columns, "CUSTODY_FIELDS", "Released to")
        if report == "custody"
        else (audit_columns, "AUDIT_FIELDS", "Details")
    )
    before = parsed(export_bytes(sessions, awkward, tmp_path / "before", report, YEAR))
    counts = count_fast_batches(monkeypatch)
    at = changed_fields(monkeypatch, module, name, title, lambda field: None)
    after = parsed(export_bytes(sessions, awkward, tmp_path / "after", report, YEAR))
    assert [old[:at] + old[at + 1 :] for old in before] == after
    assert counts["fast"] > 0 and counts["csv.writer"] == 0, counts
