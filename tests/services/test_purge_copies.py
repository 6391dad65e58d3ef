"""The purge reaches the copies: exports and receipts holding the purged pupils' data, and
backups older than the retention period, are removed, and the purge says what it removed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from fixtures.reports import *  # noqa: F403 (the reports tests' fixtures)
from fixtures.reports import NOW
from sqlalchemy import select

from kiosk.config import Config
from kiosk.exports.run import ExportRequest, default_path, run_export
from kiosk.printing.receipts import receipt_path
from kiosk.services import backup, purge_copies, retention
from kiosk.services.reports.filter import ReportFilter
from kiosk.tables import AuditEvent, Custody


@pytest.fixture
def config(data_dir: Path, database_url: str) -> Config:
    return Config(data_dir, database_url, "kiosk-1", "", False)


def export(sessions, actor, config, first: dt.date, last: dt.date) -> Path:
    config.export_dir.mkdir(exist_ok=True)
    request = ExportRequest("custody", "csv", ReportFilter(first, last))
    out = default_path(config.export_dir, request)
    return run_export(sessions, actor, request, out).path


def receipts_for(sessions, config, pupil_id: int) -> list[Path]:
    folder = config.data_dir / "receipts"
    folder.mkdir(exist_ok=True)
    with sessions() as session:
        ids = session.scalars(select(Custody.id).where(Custody.pupil_id == pupil_id)).all()
    made = [receipt_path(folder, "release", custody_id) for custody_id in ids]
    for path in made:
        path.write_bytes(b"%PDF-1.4 a receipt")
    return made


def test_a_purge_removes_the_copies_holding_the_leavers_data_and_says_so(history, sessions, config):
    admin = history.school.actors["admin"]
    old_export = export(sessions, admin, config, dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    new_export = export(sessions, admin, config, dt.date(2026, 3, 23), dt.date(2026, 3, 31))
    assert "Mrs Leaver" in old_export.read_text()  # the leaver's parent, in the copy
    assert "Mrs Leaver" not in new_export.read_text()
    gone_receipts = receipts_for(sessions, config, history.leaver)
    kept_receipts = receipts_for(sessions, config, history.police_pupil)
    (config.export_dir / "notes.txt").write_text("not the kiosk's: never touched")
    old_backup = backup.make_backup(config, now=NOW - dt.timedelta(days=400))
    new_backup = backup.make_backup(config, now=NOW - dt.timedelta(days=3))

    plan = retention.purge(sessions, admin, dry_run=True, now=NOW)
    listed = purge_copies.purge_copies(
        config, sessions, admin, dry_run=True, also=plan.pupil_ids, now=NOW
    )
    assert old_export in listed.exports and old_backup.path in listed.backups
    assert all(p.exists() for p in (old_export, old_backup.path, *gone_receipts))

    retention.purge(sessions, admin, now=NOW)
    removed = purge_copies.purge_copies(config, sessions, admin, now=NOW)
    assert removed.exports == (old_export,)
    assert set(removed.receipts) == set(gone_receipts) and gone_receipts
    assert removed.backups == (old_backup.path,)
    for path in (old_export, old_backup.path, *gone_receipts):
        assert not path.exists()
    for path in (new_export, new_backup.path, *kept_receipts, config.export_dir / "notes.txt"):
        assert path.exists()
    words = removed.describe()
    assert "exports: 1" in words and f"receipts: {len(gone_receipts)}" in words
    assert "backups older than the retention period: 1" in words
    with sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == "purged_copies_removed")
        ).one()
    assert json.loads(event.details)["backups"] == [old_backup.path.name]


def test_nothing_to_remove_records_nothing(history, sessions, config):
    admin = history.school.actors["admin"]
    removed = purge_copies.purge_copies(config, sessions, admin, now=NOW)
    assert removed.count == 0
    with sessions() as session:
        kinds = session.scalars(select(AuditEvent.kind)).all()
    assert "purged_copies_removed" not in kinds
