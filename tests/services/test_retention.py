"""The retention purge: personal data of long-gone pupils removed, what was removed recorded
as counts, and the audit chain still verifying (and catching a redaction nobody recorded)."""

from __future__ import annotations

import json

import pytest
from audit_guard import disable_audit_guard
from fixtures.reports import *  # noqa: F403 (the reports tests' fixtures)
from fixtures.reports import NOW
from sqlalchemy import func, select, text

from kiosk.errors import NotAuthorised
from kiosk.services import audit, chain_check, retention
from kiosk.services.retention import seq_ranges
from kiosk.tables import AuditEvent, Card, Confiscation, Custody, Exemption, Pupil

POSTGRES = pytest.param("postgresql", marks=pytest.mark.postgres)


def everything_about(sessions, pupil_id):
    with sessions() as session:
        pupil = session.get(Pupil, pupil_id)
        custodies = list(session.scalars(select(Custody).where(Custody.pupil_id == pupil_id)))
        return {
            "pupil": (
                pupil.legal_forename,
                pupil.preferred_forename,
                pupil.surname,
                pupil.upn,
                pupil.admission_number,
                pupil.date_of_birth,
                pupil.purged_at is not None,
            ),
            "cards": session.scalar(select(func.count()).where(Card.pupil_id == pupil_id)),
            "names": {(c.released_to_name, c.released_to_relationship) for c in custodies},
            "notes": {
                (c.confiscation.note, c.confiscation.dsl_note) for c in custodies if c.confiscation
            },
            "exemptions": set(
                session.scalars(select(Exemption.detail).where(Exemption.pupil_id == pupil_id))
            ),
            "details": set(
                session.scalars(select(AuditEvent.details).where(AuditEvent.pupil_id == pupil_id))
            ),
        }


@pytest.mark.parametrize("database_url", ["sqlite", POSTGRES], indirect=True)
def test_a_purge_removes_the_leavers_personal_data_and_the_chain_still_verifies(history, sessions):
    before = everything_about(sessions, history.leaver)
    assert before["cards"] == 1 and ("Mrs Leaver", "mother") in before["names"]
    result = retention.purge(sessions, history.school.actors["admin"], now=NOW)
    assert (result.pupils, result.cards_deleted, result.exemptions_cleared) == (1, 1, 1)
    assert result.events_redacted == len(before["details"]) > 3
    after = everything_about(sessions, history.leaver)
    upn = after["pupil"][3]
    assert after["pupil"] == ("Purged", None, "Purged", upn, upn, None, True)
    assert upn.startswith("#P") and after["cards"] == 0
    assert after["names"] == {(None, None)} and after["notes"] == {(None, None)}
    assert after["exemptions"] == {"Purged"}
    assert after["details"] == {audit.REDACTED_DETAILS}
    report = chain_check.verify(sessions)
    assert report.intact, report.describe()


def test_the_purge_event_holds_counts_and_event_numbers_never_contents(history, sessions):
    with sessions() as session:
        redacted = sorted(
            session.scalars(select(AuditEvent.seq).where(AuditEvent.pupil_id == history.leaver))
        )
    result = retention.purge(sessions, history.school.actors["admin"], now=NOW)
    with sessions() as session:
        event = session.get(AuditEvent, result.audit_seq)
    details = json.loads(event.details)
    assert event.kind == "retention_purge" and event.actor_name == "Alex Admin"
    assert details["pupils"] == 1 and details["events_redacted"] == len(redacted)
    listed = [s for first, last in details[audit.PURGE_RANGES_KEY] for s in range(first, last + 1)]
    assert listed == redacted
    for personal in ("Leaver", "Insulin", "Filmed", "K83"):
        assert personal not in event.details


def test_only_pupils_past_the_period_and_with_nothing_held_are_purged(history, sessions):
    result = retention.purge(sessions, history.school.actors["admin"], now=NOW)
    assert result.pupils == 1 and result.skipped_device_held == 1
    with sessions() as session:
        assert session.get(Pupil, history.recent_leaver).purged_at is None
        assert session.get(Pupil, history.held_leaver).purged_at is None
        assert session.get(Pupil, history.late_pupil).purged_at is None


def test_a_dry_run_counts_and_changes_nothing(history, sessions):
    before = everything_about(sessions, history.leaver)
    with sessions() as session:
        last = session.scalar(select(func.max(AuditEvent.seq)))
    plan = retention.purge(sessions, history.school.actors["admin"], dry_run=True, now=NOW)
    assert plan.dry_run and plan.pupils == 1 and plan.audit_seq is None
    assert "Would purge 1 pupil" in plan.describe()
    assert everything_about(sessions, history.leaver) == before
    with sessions() as session:
        assert session.scalar(select(func.max(AuditEvent.seq))) == last


def test_a_second_purge_finds_nothing_more(history, sessions):
    admin = history.school.actors["admin"]
    retention.purge(sessions, admin, now=NOW)
    again = retention.purge(sessions, admin, now=NOW)
    assert (again.pupils, again.events_redacted, again.audit_seq) == (0, 0, None)


@pytest.mark.parametrize("role", ["office", "senior"])
def test_only_an_admin_may_purge(history, sessions, role):
    with pytest.raises(NotAuthorised):
        retention.purge(sessions, history.school.actors[role], now=NOW)
    with sessions() as session:
        assert session.get(Pupil, history.leaver).purged_at is None


def test_a_redaction_no_purge_event_lists_is_caught(history, sessions, engine):
    retention.purge(sessions, history.school.actors["admin"], now=NOW)
    with sessions() as session:
        victim = session.scalar(
            select(func.min(AuditEvent.seq)).where(
                AuditEvent.pupil_id == history.late_pupil, AuditEvent.redacted.is_(False)
            )
        )
    disable_audit_guard(engine)  # the trigger refuses it outside a purge: dropped first
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE audit_events SET details = :d, details_salt = NULL, redacted = :r"
                " WHERE seq = :s"
            ),
            {"d": audit.REDACTED_DETAILS, "r": True, "s": victim},
        )
    report = chain_check.verify(sessions)
    assert (report.intact, report.first_bad_seq) == (False, victim)
    assert "no retention purge event lists it" in report.describe()


def test_purged_pupils_show_as_purged_in_exports(history, sessions):
    import datetime as dt

    from kiosk.services.reports.filter import ReportFilter
    from kiosk.services.reports.reader import open_log

    retention.purge(sessions, history.school.actors["admin"], now=NOW)
    which = ReportFilter(dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    with open_log(sessions, "custody", which) as table:
        rows = list(table.rows)
    assert rows and {(r[2], r[3], r[14]) for r in rows} == {("Purged", "Purged", None)}


def test_confiscation_records_keep_their_reason_for_the_statistics(history, sessions):
    retention.purge(sessions, history.school.actors["admin"], now=NOW)
    with sessions() as session:
        reasons = session.scalars(
            select(Confiscation.reason_category)
            .join(Custody)
            .where(Custody.pupil_id == history.leaver)
        ).all()
    assert reasons == ["misuse / filming"]


def test_event_numbers_are_recorded_as_runs():
    assert seq_ranges([]) == []
    assert seq_ranges([7, 1, 2, 3, 9, 10]) == [[1, 3], [7, 7], [9, 10]]


def test_a_redacted_digest_confirms_no_guess_and_the_grants_are_gone(history, sessions):
    """Before the purge, anyone holding a copy could test a guess about an event's details
    against its digest; after it, the salt is gone with the details, so nothing can be
    confirmed. The purge's grants to redact do not outlive its transaction."""
    with sessions() as session:
        before = {
            e.seq: (e.details, e.details_salt, e.details_digest)
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.pupil_id == history.leaver)
            )
        }
    salted = {seq: v for seq, v in before.items() if v[1] is not None}
    assert salted, "the leaver's events were written salted"
    for details, salt, digest in salted.values():
        assert audit.details_digest(details, salt) == digest
        assert audit.sha256_hex(details) != digest  # the bare guess does not match
    retention.purge(sessions, history.school.actors["admin"], now=NOW)
    with sessions() as session:
        for seq in salted:
            event = session.get(AuditEvent, seq)
            assert event.redacted and event.details_salt is None
            assert event.details_digest == salted[seq][2]  # the chain keeps it
        assert session.scalar(text("SELECT count(*) FROM audit_redaction_grants")) == 0
        purge = session.scalar(
            select(AuditEvent)
            .where(AuditEvent.kind == audit.PURGE_KIND)
            .order_by(AuditEvent.seq.desc())
        )
        listed = json.loads(purge.details)[audit.PURGE_PUPILS_KEY]
    assert any(first <= history.leaver <= last for first, last in listed)
