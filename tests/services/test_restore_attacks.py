"""Restore as a weapon: crafted files, rolling the records back, restoring without the right
to. Each attack is refused in words a headteacher can read, or (a legitimate roll-back)
done without losing anything from every file."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from fixtures.reports import *  # noqa: F403 (the reports tests' fixtures)
from sqlalchemy import select

from kiosk.config import Config, sqlite_url
from kiosk.db import opened
from kiosk.demo import DEMO_PINS
from kiosk.services import audit, backup, chain_check, confiscation, restore, staff
from kiosk.services.restore import RestoreRefused
from kiosk.tables import AuditEvent, Confiscation, Custody

ADMIN, ADMIN_PIN = "Alex Admin", DEMO_PINS["admin"]
REFERENCE = "CR/777/26"


@pytest.fixture
def config(data_dir: Path, database_url: str) -> Config:
    return Config(data_dir, database_url, "kiosk-1", "", False)


@pytest.fixture
def made(history, config) -> Path:
    return backup.make_backup(config).path


def do_restore(config: Config, path: Path, name: str = ADMIN, pin: str | None = ADMIN_PIN):
    return restore.restore(config, path, admin_name=name, pin=pin)


def edit(path: Path, *statements: str) -> None:
    """Change the file as an insider with a SQLite tool would, triggers out of the way and
    put back exactly as they were."""
    with sqlite3.connect(path) as conn:
        saved = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
        ).fetchall()
        for name, _sql in saved:
            conn.execute(f"DROP TRIGGER {name}")
        for statement in statements:
            conn.execute(statement)
        for _name, sql in saved:
            conn.execute(sql)


def recompute_chain(path: Path) -> None:
    """What an insider does after changing events: every hash and the head made to fit, so
    the chain on its own verifies."""
    with sqlite3.connect(path) as conn:
        saved = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
        ).fetchall()
        for name, _sql in saved:
            conn.execute(f"DROP TRIGGER {name}")
        columns = (
            "seq, at, kind, actor_id, actor_name, pupil_id, slot_number, custody_id, details,"
            " details_salt"
        )
        prev, last = audit.GENESIS_HASH, 0
        for row in conn.execute(f"SELECT {columns} FROM audit_events ORDER BY seq").fetchall():
            event = SimpleNamespace(
                seq=row[0],
                at=dt.datetime.fromisoformat(row[1]),
                kind=row[2],
                actor_id=row[3],
                actor_name=row[4],
                pupil_id=row[5],
                slot_number=row[6],
                custody_id=row[7],
                details_digest=audit.details_digest(row[8], row[9]),
                prev_hash=prev,
            )
            hashed = audit.event_hash(event)
            conn.execute(
                "UPDATE audit_events SET details_digest = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                (event.details_digest, prev, hashed, event.seq),
            )
            prev, last = hashed, event.seq
        conn.execute(
            "UPDATE settings SET value = ? WHERE key = ?", (f"{last}:{prev}", audit.HEAD_KEY)
        )
        for _name, sql in saved:
            conn.execute(sql)
    with opened(sqlite_url(path)) as check:
        assert chain_check.verify(check).intact  # the forgery is a good one


def newest_kind(sessions) -> str:
    with sessions() as session:
        return session.scalar(select(AuditEvent.kind).order_by(AuditEvent.seq.desc()).limit(1))


def police_custody(sessions) -> int:
    with sessions() as session:
        return session.scalar(
            select(Confiscation.custody_id).where(Confiscation.police_officer.is_not(None))
        )


# -- crafted files ---------------------------------------------------------------------------


def test_an_extra_admin_account_with_its_event_forged_into_the_chain_is_refused(
    history, config, made, sessions
):
    add = (
        "INSERT INTO staff (id, name, role, pin_hash, active, failed_attempts, created_at) "
        "VALUES (99, 'Mallory', 'admin', 'x', 1, 0, '2026-03-20 08:00:00.000000')"
    )
    forged = (
        "INSERT INTO audit_events (seq, at, kind, actor_id, actor_name, details, "
        "details_digest, redacted, prev_hash, hash) SELECT seq + 1, at, 'staff_added', 1, "
        '\'Alex Admin\', \'{"name":"Mallory","role":"admin","staff_id":99}\', \'\', 0, \'\', '
        "'x' FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)"
    )
    edit(made, add, forged)
    recompute_chain(made)
    with pytest.raises(RestoreRefused) as refused:
        do_restore(config, made)
    assert "it is not an earlier copy of these records" in str(refused.value)
    assert newest_kind(sessions) == "restore_refused"


def test_an_extra_admin_account_with_no_event_is_refused(history, config, made):
    edit(
        made,
        "INSERT INTO staff (id, name, role, pin_hash, active, failed_attempts, created_at) "
        "VALUES (99, 'Mallory', 'admin', 'x', 1, 0, '2026-03-20 08:00:00.000000')",
    )
    with pytest.raises(RestoreRefused, match="'Mallory' \\(#99\\) was never recorded as added"):
        do_restore(config, made)


def test_a_promotion_made_outside_the_kiosk_is_refused(history, config, made):
    edit(made, "UPDATE staff SET role = 'admin' WHERE name = 'Olivia Office'")
    with pytest.raises(RestoreRefused, match="is 'admin' but the log last made it 'office'"):
        do_restore(config, made)


def test_a_file_without_the_append_only_triggers_is_refused(history, config, made):
    with sqlite3.connect(made) as conn:
        conn.execute("DROP TRIGGER audit_events_no_update")
        conn.execute("DROP TRIGGER audit_events_no_delete")
    with pytest.raises(RestoreRefused) as refused:
        do_restore(config, made)
    words = str(refused.value)
    assert "trigger 'audit_events_no_update' on audit_events is missing" in words
    assert "trigger 'audit_events_no_delete' on audit_events is missing" in words


def test_a_trigger_that_undoes_a_demotion_is_refused(history, config, made):
    with sqlite3.connect(made) as conn:
        conn.execute(
            "CREATE TRIGGER staff_keep_admin AFTER UPDATE OF role ON staff "
            "WHEN OLD.name = 'Alex Admin' "
            "BEGIN UPDATE staff SET role = 'admin' WHERE id = NEW.id; END"
        )
    with pytest.raises(RestoreRefused, match="unknown trigger 'staff_keep_admin' on staff"):
        do_restore(config, made)


def test_a_trigger_that_swallows_audit_events_is_refused(history, config, made):
    with sqlite3.connect(made) as conn:
        conn.execute(
            "CREATE TRIGGER audit_quiet BEFORE INSERT ON audit_events "
            "WHEN NEW.kind IN ('handed_to_police', 'staff_role_changed') "
            "BEGIN SELECT RAISE(IGNORE); END"
        )
    with pytest.raises(RestoreRefused, match="unknown trigger 'audit_quiet' on audit_events"):
        do_restore(config, made)


def test_an_altered_trigger_and_a_view_are_refused(history, config, made):
    with sqlite3.connect(made) as conn:
        conn.execute("DROP TRIGGER audit_events_no_delete")
        conn.execute(
            "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
            "WHEN OLD.kind <> 'handed_to_police' BEGIN SELECT RAISE(ABORT, 'no'); END"
        )
        conn.execute("CREATE VIEW staff_v AS SELECT * FROM staff")
    with pytest.raises(RestoreRefused) as refused:
        do_restore(config, made)
    words = str(refused.value)
    assert "trigger 'audit_events_no_delete' on audit_events was altered" in words
    assert "unknown view 'staff_v'" in words


def test_blanked_police_details_are_refused(history, config, made, sessions):
    seized = police_custody(sessions)
    edit(
        made,
        "UPDATE confiscations SET police_officer = '', police_number = '', "
        f"police_reference = '' WHERE custody_id = {seized}",
    )
    with pytest.raises(RestoreRefused) as refused:
        do_restore(config, made)
    assert f"device record #{seized} has police details" in str(refused.value)
    assert "differ from the log" in str(refused.value)


def test_blanked_police_details_with_the_event_rewritten_and_rehashed_are_refused(
    history, config, made, sessions
):
    seized = police_custody(sessions)
    edit(
        made,
        "UPDATE confiscations SET police_officer = '', police_number = '', "
        f"police_reference = '' WHERE custody_id = {seized}",
        "UPDATE audit_events SET details = "
        '\'{"officer":"","officer_number":"","reference":""}\' '
        f"WHERE kind = 'handed_to_police' AND custody_id = {seized}",
    )
    recompute_chain(made)
    with sqlite3.connect(made) as conn:
        query = "SELECT seq FROM audit_events WHERE kind = 'handed_to_police' AND custody_id = ?"
        (seq,) = conn.execute(query, (seized,)).fetchone()
    with pytest.raises(RestoreRefused, match=f"differs from this kiosk's from event #{seq} on"):
        do_restore(config, made)


def test_another_schools_database_is_refused(history, config, tmp_path):
    from kiosk.db import open_database
    from kiosk.demo import build_school
    from kiosk.services import settings

    other = tmp_path / "other" / "kiosk.db"
    sessions = open_database(sqlite_url(other))
    engine = sessions.engine
    settings.ensure_install(sessions)
    build_school(sessions, pupils=3, slot_count=3, reserved=0)
    engine.dispose()
    with pytest.raises(RestoreRefused, match="differs from this kiosk's from event #1 on"):
        do_restore(config, other)


# -- who may restore -------------------------------------------------------------------------


@pytest.mark.parametrize("pin", [None, ""])
def test_a_restore_without_a_pin_is_refused(history, config, made, pin):
    with pytest.raises(RestoreRefused, match="a restore needs an admin's name and PIN"):
        do_restore(config, made, pin=pin)


def test_a_restore_with_a_wrong_pin_is_refused_and_counts_as_a_failed_log_in(
    history, config, made, sessions
):
    with pytest.raises(RestoreRefused, match=r"Not restored: Wrong PIN\.$"):
        do_restore(config, made, pin="0000")
    assert newest_kind(sessions) == "pin_wrong"


def test_a_restore_by_someone_who_is_not_an_admin_is_refused(history, config, made):
    with pytest.raises(RestoreRefused, match="Your role does not allow this"):
        do_restore(config, made, "Olivia Office", DEMO_PINS["office"])
    with pytest.raises(RestoreRefused, match="no active staff member called Nobody"):
        do_restore(config, made, "Nobody", "1111")


# -- rolling back ----------------------------------------------------------------------------


def hand_over_to_police(history, sessions) -> int:
    senior = history.school.actors["senior"]
    seized = confiscation.confiscate(sessions, senior, history.late_pupil, "suspected offence")
    confiscation.hand_to_police(sessions, senior, seized.id, "PC Patel", "5150", REFERENCE)
    return seized.id


def files_holding(folder: Path, reference: str) -> list[Path]:
    holding = []
    for path in sorted(folder.glob("kiosk-*.db")):
        with sqlite3.connect(path) as conn:
            query = "SELECT count(*) FROM confiscations WHERE police_reference = ?"
            if conn.execute(query, (reference,)).fetchone()[0]:
                holding.append(path)
    return holding


def test_restoring_an_old_backup_again_and_again_never_loses_a_police_hand_over(
    history, config, made, sessions
):
    seized = hand_over_to_police(history, sessions)
    first = do_restore(config, made)
    assert first.events_set_aside >= 4  # confiscation, hand-over, log-in(s)
    with sessions() as session:
        assert session.get(Custody, seized) is None
        restored = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == "database_restored")
        ).one()
    assert f'"events_set_aside":{first.events_set_aside}' in restored.details
    # The old backup again and again, with days of automatic backups and rotation between.
    day = dt.datetime(2026, 4, 1, 7, 0)
    for n in range(8):
        do_restore(config, made)
        backup.ensure_daily_backup(config, now=day + dt.timedelta(days=n))
        backup.rotate(config.backup_dir, backup.database_file(config))
    kinds = [b.kind for b in backup.list_backups(config.backup_dir)]
    assert kinds.count("pre-restore") == 9  # never deleted automatically
    assert files_holding(config.backup_dir, REFERENCE) == [first.pre_restore_backup]
    # ...and the records it set aside can be brought back, the restore itself undone.
    back = do_restore(config, first.pre_restore_backup)
    assert back.events_set_aside > 0
    with sessions() as session:
        assert session.get(Confiscation, seized).police_reference == REFERENCE
    assert chain_check.verify(sessions).intact


def test_rotation_deletes_an_old_copy_only_when_the_live_records_hold_all_its_events(
    history, config, sessions
):
    early = [
        backup.make_backup(config, kind="auto", now=dt.datetime(2026, 1, d, 7)) for d in (1, 2, 3)
    ]
    do_restore(config, early[0].path)  # back to 1 January: the 2nd and 3rd hold more
    live = backup.database_file(config)
    assert [backup.holds_events_missing_from(b.path, live) for b in early] == [False, True, True]
    for day in range(4, 21):  # more days than the rotation keeps
        backup.make_backup(config, kind="auto", now=dt.datetime(2026, 1, day, 7))
    left = {b.path for b in backup.list_backups(config.backup_dir)}
    assert early[0].path not in left  # aged out: every event of it is in the live records
    assert {early[1].path, early[2].path} <= left  # aged out too, but the only copies


# -- a full disk -----------------------------------------------------------------------------

LIMITED = """
import resource, signal, sys
from pathlib import Path
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), int(sys.argv[2])))
from kiosk.config import Config, sqlite_url
from kiosk.errors import KioskError
from kiosk.services import backup
data = Path(sys.argv[1])
config = Config(data, sqlite_url(data / "kiosk.db"), "kiosk-1", "", False)
try:
    if sys.argv[3] == "backup":
        backup.make_backup(config)
    else:
        backup.pre_restore_copy(data / "kiosk.db", config.backup_dir)
except KioskError as exc:
    print("REFUSED", exc)
else:
    print("DONE")
"""


def run_limited(data_dir: Path, limit: int, what: str) -> str:
    ran = subprocess.run(
        [sys.executable, "-c", LIMITED, str(data_dir), str(limit), what],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert ran.returncode == 0, ran.stderr
    return ran.stdout


@pytest.mark.parametrize(
    ("what", "words"),
    [
        ("backup", "REFUSED The backup could not be made"),
        ("pre-restore", "REFUSED The current database could not be kept as a pre-restore copy"),
    ],
)
def test_a_copy_that_runs_out_of_disk_leaves_nothing_behind(history, config, engine, what, words):
    engine.dispose()
    config.backup_dir.mkdir()
    size = backup.database_file(config).stat().st_size
    assert run_limited(config.data_dir, size // 2, what).startswith(words)
    assert list(config.backup_dir.iterdir()) == []
    assert run_limited(config.data_dir, size * 4, what).startswith("DONE")  # the control
    assert len(backup.list_backups(config.backup_dir)) == 1


def test_the_pin_check_uses_the_live_accounts(history, config, made, sessions):
    admin = history.school.actors["admin"]
    staff.reset_pin(sessions, admin, admin.id, "864297")
    with pytest.raises(RestoreRefused, match="Wrong PIN"):
        do_restore(config, made)  # the backup's PIN for the account no longer counts
    assert do_restore(config, made, pin="864297").events > 0


def test_a_damaged_current_database_is_not_taken_for_a_new_install(history, config, made, engine):
    engine.dispose()
    live = backup.database_file(config)
    for suffix in ("-wal", "-shm"):
        live.with_name(live.name + suffix).unlink(missing_ok=True)
    live.write_bytes(b"garbage" * 1000)
    with pytest.raises(RestoreRefused, match=r"current database cannot be read.*move it out"):
        do_restore(config, made)
