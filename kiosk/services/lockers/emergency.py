"""The emergency release: every door of every board at once, by an admin, recorded with
its reason before the first door opens (a fire-alarm style release)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk.db import Database
from kiosk.errors import InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.lockers.driver import LockerBoardError
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.services.common import now_or, require
from kiosk.services.lockers import faults, openings
from kiosk.services.lockers.bank import LockerBank
from kiosk.services.lockers.faults import FaultKey, FaultKind
from kiosk.services.lockers.openings import Outcome, Purpose, State
from kiosk.tables import LockerOpening


@dataclass(frozen=True)
class EmergencyResult:
    doors: int
    boards_opened: tuple[tuple[str, int], ...]
    boards_failed: tuple[tuple[str, int, str], ...]


def emergency_open_all(
    sessions: Database,
    bank: LockerBank,
    actor: Actor,
    reason: str,
    *,
    now: dt.datetime | None = None,
) -> EmergencyResult:
    """Every door of every board at once (a fire-alarm style release), by an admin, with
    the reason recorded before the first door opens."""
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("Give the reason for opening every door.")
    now = now_or(now)
    boards = bank.boards()
    with sessions.begin() as session:
        require(session, actor, Action.OPEN_ALL_LOCKERS)
        busy = openings.active(session)
        for door in bank.doors.values():
            if (previous := busy.get(door.slot_id)) is not None:
                openings.finish(previous, Outcome.SUPERSEDED, now)
            session.add(
                LockerOpening(
                    slot_id=door.slot_id,
                    purpose=Purpose.EMERGENCY.value,
                    opened_at=now,
                    opened_by_id=actor.id,
                    state=State.COMMANDED.value,
                )
            )
        audit.append(
            session,
            EventKind.LOCKER_EMERGENCY_OPEN_ALL,
            actor,
            at=now,
            details={
                "reason": reason,
                "doors": len(bank.doors),
                "boards": [[bank.cabinet_name(c), b] for c, b in boards],
            },
        )
    return _open_boards(sessions, bank, actor, boards, now)


def _open_boards(
    sessions: Database,
    bank: LockerBank,
    actor: Actor,
    boards: list[tuple[int, int]],
    now: dt.datetime,
) -> EmergencyResult:
    opened: list[tuple[str, int]] = []
    failed: list[tuple[str, int, str]] = []
    for cabinet_id, board in boards:
        name = bank.cabinet_name(cabinet_id)
        try:
            bank.unlock_board(cabinet_id, board)
            opened.append((name, board))
        except LockerBoardError as exc:
            failed.append((name, board, str(exc)))
    with sessions.begin() as session:
        audit.append(
            session,
            EventKind.LOCKER_EMERGENCY_RESULT,
            actor,
            at=now,
            details={"opened": opened, "failed": [list(f) for f in failed]},
        )
        for name, board, error in failed:
            faults.raise_in(
                session,
                FaultKey(FaultKind.BOARD_NOT_ANSWERING, None, name, board),
                f"Cabinet {name} board {board} did not take the emergency release: {error}",
                now,
            )
    return EmergencyResult(len(bank.doors), tuple(opened), tuple(failed))
