"""Which backups the kiosk deletes by itself: only automatic ones, as generations.

The rule (``kiosk backup --help`` and the README say it too):

- a backup a person made (``kiosk backup``, "Back up now") and the copy a restore keeps of
  the records it replaced ("pre-restore") are never deleted automatically: a person decides
  when they go (``kiosk purge`` removes every backup older than the retention period,
  because those files hold the details of pupils who have left);
- of the automatic (daily) backups the kiosk keeps the newest of each of the last
  ``daily`` days that have one, the newest of each of the last ``weekly`` ISO weeks and the
  newest of each of the last ``monthly`` calendar months (school settings
  ``backup_keep_daily``, ``backup_keep_weekly``, ``backup_keep_monthly``: 14, 8 and 12 by
  default), and any that holds audit events the current database lacks (see
  ``kiosk.services.backup.holds_events_missing_from``);
- a backup that failed part-way never becomes a backup at all (``backup._write_whole``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session

from kiosk.services import settings

AUTOMATIC = "auto"


class Dated(Protocol):
    @property
    def path(self) -> Path: ...
    @property
    def made_at(self) -> dt.datetime: ...
    @property
    def kind(self) -> str: ...


@dataclass(frozen=True)
class Generations:
    """How many automatic backups of each generation are kept."""

    daily: int = int(settings.DEFAULTS["backup_keep_daily"])
    weekly: int = int(settings.DEFAULTS["backup_keep_weekly"])
    monthly: int = int(settings.DEFAULTS["backup_keep_monthly"])

    def words(self) -> str:
        return (
            f"the newest automatic backup of each of the last {self.daily} days, "
            f"{self.weekly} weeks and {self.monthly} months"
        )


def generations(session: Session) -> Generations:
    """The school's choice (validated when it was set: kiosk.services.settings)."""
    return Generations(
        daily=int(settings.get_value(session, "backup_keep_daily")),
        weekly=int(settings.get_value(session, "backup_keep_weekly")),
        monthly=int(settings.get_value(session, "backup_keep_monthly")),
    )


def _newest_each(
    automatic: list[Dated], period: Callable[[dt.datetime], object], count: int
) -> set[Path]:
    """The newest backup of each of the ``count`` newest periods that have one
    (``automatic`` is newest first)."""
    newest: dict[object, Path] = {}
    for backup in automatic:
        newest.setdefault(period(backup.made_at), backup.path)
    return set(list(newest.values())[:count])


def _week(at: dt.datetime) -> object:
    return at.isocalendar()[:2]


def _month(at: dt.datetime) -> object:
    return (at.year, at.month)


def backups_to_keep(backups: Iterable[Dated], keep: Generations | None = None) -> set[Path]:
    """The backups the rotation keeps: every one not automatic, and the automatic ones in
    the generations ``keep`` says (the defaults if None)."""
    keep = keep or Generations()
    everything = list(backups)
    kept = {b.path for b in everything if b.kind != AUTOMATIC}
    automatic = sorted(
        (b for b in everything if b.kind == AUTOMATIC),
        key=lambda b: (b.made_at, b.path.name),
        reverse=True,
    )
    kept |= _newest_each(automatic, lambda at: at.date(), keep.daily)
    kept |= _newest_each(automatic, _week, keep.weekly)
    kept |= _newest_each(automatic, _month, keep.monthly)
    return kept
