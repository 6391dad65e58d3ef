"""verify-log split between this process and a second one (``kiosk.record.chain_half``):
the same report as one process gives, whichever half the damage is in; the helper's
failure reaches the caller in words; nothing where the command runs is imported."""
# ruff: noqa: F811 (the fixtures imported from helper_python are parameters)

from __future__ import annotations

import pytest
from audit_guard import disable_audit_guard
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)
from fixtures.core import round_trips
from fixtures.helper_python import helper_python, split  # noqa: F401 (fixtures)
from sqlalchemy import text

from kiosk.services import audit, chain_check, helper_process


@pytest.fixture
def busy_school(school, sessions):
    return round_trips(sessions, school, pupils=12)


def verified(sessions, monkeypatch, split_from: int) -> chain_check.ChainReport:
    monkeypatch.setattr(chain_check, "SPLIT_FROM", split_from)
    return chain_check.verify(sessions)


def one_and_two(sessions, monkeypatch) -> tuple[chain_check.ChainReport, chain_check.ChainReport]:
    return verified(sessions, monkeypatch, 2**62), verified(sessions, monkeypatch, 1)


def test_an_intact_chain_gives_the_same_report_with_the_helper_doing_its_half(
    busy_school, sessions, monkeypatch, split
):
    one, two = one_and_two(sessions, monkeypatch)
    assert one.intact and two == one
    (answer,) = split
    assert answer is not None and answer["done"] > one.events // 3
    assert answer["expected"] == one.last_seq + 1


def _last(sessions) -> int:
    with sessions() as s:
        return int(s.execute(text("SELECT max(seq) FROM audit_events")).scalar_one())


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE audit_events SET slot_number = 99 WHERE seq = :seq",
        "UPDATE audit_events SET details = '{\"x\": 1}' WHERE seq = :seq",
        "DELETE FROM audit_events WHERE seq = :seq",
    ],
)
@pytest.mark.parametrize("where", [0.2, 0.45, 0.46, 0.8])  # either half, either side of the seam
def test_damage_in_either_half_is_named_as_one_process_names_it(
    busy_school, engine, sessions, monkeypatch, split, damage, where
):
    seq = max(2, int(_last(sessions) * where) + (where == 0.46))
    disable_audit_guard(engine)
    with engine.begin() as conn:
        conn.execute(text(damage), {"seq": seq})
    one, two = one_and_two(sessions, monkeypatch)
    assert not one.intact and one.first_bad_seq in (seq, seq + 1)
    assert two == one


def test_a_recomputed_hash_at_the_seam_still_breaks_the_link(
    busy_school, engine, sessions, monkeypatch, split
):
    seam = int(_last(sessions) * chain_check.PARENT_SHARE)  # the parent's last event
    disable_audit_guard(engine)
    with sessions.begin() as s:
        event = s.get(audit.AuditEvent, seam)
        event.kind = "collected"
        event.hash = audit.event_hash(event)
    one, two = one_and_two(sessions, monkeypatch)
    assert (one.intact, one.first_bad_seq) == (False, seam + 1)
    assert two == one


def _redact(sessions, seq: int, listed: bool) -> None:
    with sessions.begin() as s:
        pupil_id = s.get(audit.AuditEvent, seq).pupil_id
        s.execute(
            text("INSERT INTO audit_redaction_grants (pupil_id, granted_in) VALUES (:p, NULL)"),
            {"p": pupil_id},
        )
        s.execute(
            text(
                "UPDATE audit_events SET details = :d, details_salt = NULL, redacted = 1 "
                "WHERE seq = :seq"
            ),
            {"d": audit.REDACTED_DETAILS, "seq": seq},
        )
        s.execute(text("DELETE FROM audit_redaction_grants"))
        ranges = [[seq, seq]] if listed else []
        audit.append(
            s, audit.PURGE_KIND, audit.KIOSK_ACTOR, details={audit.PURGE_RANGES_KEY: ranges}
        )


@pytest.mark.parametrize("listed", [True, False])
def test_a_redaction_in_the_older_half_is_listed_by_a_purge_in_the_newer(
    busy_school, sessions, monkeypatch, split, listed
):
    first = next(
        seq for seq in range(3, _last(sessions)) if _pupil_event(sessions, seq)
    )  # an early event about a pupil: the parent's half
    _redact(sessions, first, listed)  # the purge event is the newest: the helper's half
    one, two = one_and_two(sessions, monkeypatch)
    assert one.intact is listed and two == one
    assert split[0] is not None and split[0]["done"] > 0


def _pupil_event(sessions, seq: int) -> bool:
    with sessions() as s:
        event = s.get(audit.AuditEvent, seq)
        return event is not None and event.pupil_id is not None and not event.redacted


def test_a_helper_that_cannot_start_leaves_its_half_to_this_process(
    busy_school, sessions, monkeypatch, split, caplog
):
    """A kiosk run from a folder its interpreter does not hold, say: the newer half is
    checked here, and damage in it is still named."""
    monkeypatch.setattr(chain_check, "HALF_MODULE", "kiosk.record.no_such_half")
    one, two = one_and_two(sessions, monkeypatch)
    assert one.intact and two == one and split == []
    assert "one process" in caplog.text and "No module named" in caplog.text


def test_an_interpreter_that_cannot_be_started_leaves_the_newer_half_here(
    busy_school, sessions, monkeypatch, split, caplog
):
    """Before, the OSError of starting it ended verify-log."""
    monkeypatch.setattr(helper_process, "PYTHON", "/nonexistent/python3")
    one, two = one_and_two(sessions, monkeypatch)
    assert one.intact and two == one and split == []
    assert "one process" in caplog.text and "No such file" in caplog.text
