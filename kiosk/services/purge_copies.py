"""The retention purge reaches the copies too: exports, receipts and old backups.

The purge (``kiosk.services.retention``) removes the departed pupils' personal data from
the database; copies of it sit in the data folder. After a purge:

- ``receipts/``: each receipt is named ``<kind>-<custody id>-<time>.pdf``; those for the
  devices of a purged pupil are deleted;
- ``exports/``: an export named by the kiosk covers a period (``..._<from>_to_<to>_...``);
  one whose period begins on or before a purged pupil's last day in the records may hold
  their rows, and is deleted (an export is a copy: it can be made again, now without them);
- ``backups/``: every backup, pre-restore copies included, older than the retention period
  is deleted: it was taken while those pupils' details were still there. Younger backups are
  kept for recovery; they age out within the retention period.

Files the kiosk did not name are never touched. What was removed is listed (file names hold
kinds, record numbers and dates, no names) and recorded as an audit event.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from kiosk.clock import local_date
from kiosk.config import Config
from kiosk.db import Database
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit, backup, settings
from kiosk.services.audit import Actor
from kiosk.services.common import now_or, require
from kiosk.tables import Custody, Pupil

RECEIPT_NAME = re.compile(r"^[a-z_-]+-(\d+)-\d{8}-\d{6}\.pdf$")
EXPORT_NAME = re.compile(r"^[a-z_-]+_(\d{4}-\d{2}-\d{2})_to_(\d{4}-\d{2}-\d{2})_\d{8}-\d{6}\.\w+$")
RECEIPTS = "receipts"


@dataclass(frozen=True)
class CopiesRemoved:
    exports: tuple[Path, ...]
    receipts: tuple[Path, ...]
    backups: tuple[Path, ...]
    dry_run: bool = False

    @property
    def count(self) -> int:
        return len(self.exports) + len(self.receipts) + len(self.backups)

    def describe(self) -> str:
        verb = "Would remove" if self.dry_run else "Removed"
        lines = [f"{verb} copies holding purged pupils' data:"]
        for title, paths in (
            ("exports", self.exports),
            ("receipts", self.receipts),
            ("backups older than the retention period", self.backups),
        ):
            names = ", ".join(p.name for p in paths[:5]) + (", …" if len(paths) > 5 else "")
            lines.append(f"  {title}: {len(paths)}" + (f" ({names})" if paths else ""))
        return "\n".join(lines)


@dataclass(frozen=True)
class _Purged:
    custody_ids: frozenset[int]
    last_day: dt.date | None  # the newest day any of them appears in the records


def _purged(sessions: Database, also: tuple[int, ...]) -> _Purged:
    """Pupils purged already, and ``also`` (those a dry run would purge)."""
    with sessions() as session:
        gone = select(Pupil.id).where(Pupil.purged_at.is_not(None) | Pupil.id.in_(also))
        ids = frozenset(session.scalars(select(Custody.id).where(Custody.pupil_id.in_(gone))))
        newest = session.execute(
            select(
                func.max(Custody.received_at),
                func.max(Custody.released_at),
                func.max(Pupil.left_on),
            )
            .select_from(Pupil)
            .outerjoin(Custody, Custody.pupil_id == Pupil.id)
            .where(Pupil.id.in_(gone))
        ).one()
    days = [v.date() if isinstance(v, dt.datetime) else v for v in newest if v is not None]
    return _Purged(ids, max(days) if days else None)


def _receipts(folder: Path, purged: _Purged) -> list[Path]:
    found = []
    for path in sorted(folder.glob("*.pdf")) if folder.is_dir() else []:
        match = RECEIPT_NAME.match(path.name)
        if match and int(match[1]) in purged.custody_ids:
            found.append(path)
    return found


def _exports(folder: Path, purged: _Purged) -> list[Path]:
    if purged.last_day is None or not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        match = EXPORT_NAME.match(path.name)
        if match and dt.date.fromisoformat(match[1]) <= purged.last_day:
            found.append(path)
    return found


def _old_backups(config: Config, retention_days: int, now: dt.datetime) -> list[Path]:
    cutoff = local_date(now) - dt.timedelta(days=retention_days)
    return [b.path for b in backup.list_backups(config.backup_dir) if b.made_at.date() < cutoff]


def purge_copies(
    config: Config,
    sessions: Database,
    actor: Actor,
    *,
    dry_run: bool = False,
    also: tuple[int, ...] = (),
    now: dt.datetime | None = None,
) -> CopiesRemoved:
    """Remove (or with ``dry_run`` list) the copies described above, after
    ``retention.purge``; what was removed is recorded as an audit event."""
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_SETTINGS)
        days = int(settings.get_value(session, "retention_days"))
    purged = _purged(sessions, also)
    removed = CopiesRemoved(
        tuple(_exports(config.export_dir, purged)),
        tuple(_receipts(config.data_dir / RECEIPTS, purged)),
        tuple(_old_backups(config, days, now)),
        dry_run,
    )
    if dry_run or not removed.count:
        return removed
    for path in (*removed.exports, *removed.receipts, *removed.backups):
        path.unlink(missing_ok=True)
    with sessions.begin() as session:
        details = {
            "exports": [p.name for p in removed.exports],
            "receipts": [p.name for p in removed.receipts],
            "backups": [p.name for p in removed.backups],
            "retention_days": days,
        }
        audit.append(session, EventKind.PURGED_COPIES_REMOVED, actor, details=details, at=now)
    return removed
