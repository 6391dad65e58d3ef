"""Importing a roster into the database: all rows or none, updates by UPN, leavers marked
(never deleted), history kept, audit events without personal data."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fixtures.admin import *  # noqa: F403 (the admin tests' fixtures)
from sqlalchemy import select

from kiosk.errors import InvalidInput, NotAuthorised
from kiosk.services import chain_check, custody, pupils, roster, roster_check, roster_file
from kiosk.services.roster import ChangeKind
from kiosk.tables import AuditEvent, Custody, Pupil

# The tests about transactions also run on PostgreSQL (skipped when no server starts).
both_databases = pytest.mark.parametrize(
    "database_url",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)


def check(raw: bytes, **overrides: str) -> roster_check.CheckedRoster:
    return roster_check.check_table(roster_file.read_roster(raw), overrides)


def pupils_by_upn(sessions) -> dict[str, Pupil]:
    with sessions() as session:
        return {p.upn: p for p in session.scalars(select(Pupil))}


def import_file(sessions, actor, raw: bytes) -> roster.ImportResult:
    return roster.apply(sessions, actor, check(raw), confirm_leavers=True)


def rewrite(raw: bytes, change) -> bytes:
    """The CSV in ``raw`` (UTF-8 with BOM) with ``change(rows)`` applied to its rows."""
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    body = change(header, body)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *body])
    return out.getvalue().encode("utf-8-sig")


@both_databases
def test_a_first_import_adds_every_pupil_with_names_exactly_as_in_the_file(sessions, admin, data):
    result = import_file(sessions, admin, data("sims_bom_crlf.csv"))
    assert (result.added, result.updated, result.left) == (10, 0, 30)  # 30 demo pupils leave
    pupils = pupils_by_upn(sessions)
    nguyen = pupils["K886401213101"]
    assert (nguyen.legal_forename, nguyen.surname) == ("Thảo", "Nguyễn")
    assert pupils["W886401213100"].surname == "O'Brien"
    assert pupils["N886401213103"].surname == "Ó Súilleabháin"
    assert pupils["N886401214104"].surname == (
        "Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh"
    )
    assert pupils["Z886401213102"].display_forename == "Ollie"
    in_file = {record.upn for _line, record in check(data("sims_bom_crlf.csv")).records}
    assert {p.upn for p in pupils.values() if p.active} == in_file


def test_importing_the_same_file_again_changes_nothing(sessions, admin, data):
    import_file(sessions, admin, data("sims_bom_crlf.csv"))
    again = roster.preview(sessions, check(data("sims_bom_crlf.csv")))
    assert again.count(ChangeKind.UNCHANGED) == 10
    assert not again.leavers and not again.errors
    assert not again.can_import
    with pytest.raises(InvalidInput, match="already match"):
        roster.apply(sessions, admin, again.checked)


def test_names_survive_a_round_trip_out_of_the_database_and_back(sessions, admin, data):
    """Write the pupils back out as a UTF-8 CSV and import it: nothing is different."""
    for name in ("sims_bom_crlf.csv", "bromcom_cp1252.csv", "semicolon_excel.csv"):
        roster.apply(sessions, admin, check(data(name)), confirm_leavers=True)
        pupils = [p for p in pupils_by_upn(sessions).values() if p.active]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(
            ["UPN", "Adno", "Legal Forename", "Preferred Forename", "Surname", "Year", "Reg", "DOB"]
        )
        for p in pupils:
            born = p.date_of_birth.strftime("%d/%m/%Y") if p.date_of_birth else ""
            writer.writerow(
                [
                    p.upn,
                    p.admission_number,
                    p.legal_forename,
                    p.preferred_forename or "",
                    p.surname,
                    p.year_group,
                    p.reg_group,
                    born,
                ]
            )
        back = roster.preview(sessions, check(out.getvalue().encode("utf-8-sig")))
        assert back.count(ChangeKind.UNCHANGED) == len(pupils), name
        assert not back.errors and not back.leavers


@both_databases
def test_reimport_updates_by_upn_marks_missing_pupils_left_and_keeps_their_history(
    sessions, admin, data
):
    original = data("sims_bom_crlf.csv")
    import_file(sessions, admin, original)
    leaver = pupils_by_upn(sessions)["C886401214105"]  # Chidi Okafor, 9A
    handed = custody.hand_in(sessions, leaver.id)
    custody.collect(sessions, handed.custody_id, admin)

    def next_year(header, body):
        year, reg = header.index("Year"), header.index("Reg")
        kept = [row for row in body if row[1] != "C886401214105"]
        for row in kept:
            if row[1] == "W886401213100":
                row[year], row[reg] = "Year 8", "8B"
        kept.append(["001299", "Q886401217118", "Murphy", "Aoife", "", "", "Year 7", "7A", "", ""])
        return kept

    result = import_file(sessions, admin, rewrite(original, next_year))
    assert (result.added, result.updated, result.unchanged, result.left) == (1, 1, 8, 1)
    pupils = pupils_by_upn(sessions)
    assert (pupils["W886401213100"].year_group, pupils["W886401213100"].reg_group) == (8, "8B")
    gone = pupils["C886401214105"]
    assert not gone.active and gone.left_on is not None  # marked left, not deleted
    with sessions() as session:
        kept = session.scalars(select(Custody).where(Custody.pupil_id == gone.id)).all()
    assert len(kept) == 1  # the hand-in history is still there

    back = import_file(sessions, admin, original)
    assert back.returned == 1 and back.left == 1  # Okafor back, Murphy gone
    assert pupils_by_upn(sessions)["C886401214105"].active
    assert pupils_by_upn(sessions)["C886401214105"].left_on is None


def test_a_file_with_errors_is_refused_and_the_database_is_untouched(
    sessions, admin, data, snapshot
):
    before = snapshot()
    result = check(data("errors.csv"))
    assert result.errors
    with pytest.raises(InvalidInput, match="nothing was imported"):
        roster.apply(sessions, admin, result, confirm_leavers=True)
    assert snapshot() == before


@both_databases
def test_a_failure_half_way_through_leaves_the_database_untouched(
    sessions, admin, data, snapshot, monkeypatch
):
    before = snapshot()
    real_create = roster.create_in
    calls = []

    def failing_create(session, record):
        calls.append(record.upn)
        if len(calls) == 6:
            raise RuntimeError("disk full")
        return real_create(session, record)

    monkeypatch.setattr(roster, "create_in", failing_create)
    with pytest.raises(RuntimeError, match="disk full"):
        import_file(sessions, admin, data("sims_bom_crlf.csv"))
    assert len(calls) == 6  # five pupils were written before the failure...
    assert snapshot() == before  # ...and none of them, nor any audit event, was kept


def test_office_staff_cannot_import_a_roster(sessions, school, data, snapshot):
    before = snapshot()
    with pytest.raises(NotAuthorised):
        roster.apply(sessions, school.actors["office"], check(data("sims_bom_crlf.csv")))
    assert snapshot() == before


def test_many_leavers_need_an_explicit_yes(sessions, admin, data, snapshot):
    one_form = rewrite(data("sims_bom_crlf.csv"), lambda header, body: body[:2])
    plan = roster.preview(sessions, check(one_form))
    assert plan.leavers_need_confirmation and len(plan.leavers) == 30
    before = snapshot()
    with pytest.raises(InvalidInput, match="would mark 30 pupils as left"):
        roster.apply(sessions, admin, check(one_form))
    assert snapshot() == before


def test_a_few_leavers_need_no_extra_yes(sessions, admin, data):
    import_file(sessions, admin, data("sims_bom_crlf.csv"))
    fewer = rewrite(data("sims_bom_crlf.csv"), lambda header, body: body[1:])
    result = roster.apply(sessions, admin, check(fewer))
    assert result.left == 1


@both_databases
def test_the_audit_log_records_the_import_by_id_without_personal_details(sessions, admin, data):
    with sessions() as session:
        first_new = (
            session.scalar(select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)),
            session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)),
        )
    import_file(sessions, admin, data("sims_bom_crlf.csv"))
    with sessions() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.seq > first_new[1])).all()
    kinds = [e.kind for e in events]
    assert kinds.count("pupil_added") == 10 and kinds.count("pupil_left") == 30
    summary = json.loads(events[-1].details)
    assert events[-1].kind == "roster_imported" and events[-1].actor_id == admin.id
    assert (summary["added"], summary["left"], summary["rows"]) == (10, 30, 10)
    everything = " ".join(e.details for e in events)
    for personal in ("O'Brien", "Nguy", "Siobh", "886401213", "001201", "2014"):
        assert personal not in everything
    assert all(e.pupil_id for e in events if e.kind.startswith("pupil_"))
    assert chain_check.verify(sessions).intact


def test_an_update_lists_the_changed_fields_but_not_their_values(sessions, admin, data):
    import_file(sessions, admin, data("sims_bom_crlf.csv"))

    def new_form(header, body):
        body[0][header.index("Reg")] = "7Z"
        return body

    import_file(sessions, admin, rewrite(data("sims_bom_crlf.csv"), new_form))
    with sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.kind == "pupil_updated")).one()
    assert json.loads(event.details) == {"fields": ["reg_group"]}


def test_a_file_without_dates_of_birth_does_not_wipe_them(sessions, admin, data):
    import_file(sessions, admin, data("sims_bom_crlf.csv"))

    def new_form(header, body):
        body[0][header.index("Reg")] = "7Z"
        return body

    without_dates = check(rewrite(data("sims_bom_crlf.csv"), new_form), DOB="ignore")
    result = roster.apply(sessions, admin, without_dates)
    assert (result.updated, result.unchanged) == (1, 9)
    assert all(p.date_of_birth for p in pupils_by_upn(sessions).values() if p.active)


def test_a_temporary_upn_replaced_in_the_mis_updates_the_same_pupil(sessions, admin, data):
    import_file(sessions, admin, data("sims_bom_crlf.csv"))
    old_id = pupils_by_upn(sessions)["W886401213100"].id

    def permanent(header, body):
        body[0][1] = "B801200005001"
        return body

    plan = roster.preview(sessions, check(rewrite(data("sims_bom_crlf.csv"), permanent)))
    assert "UPN changes from W886401213100 to B801200005001" in plan.warnings[0].message
    import_file(sessions, admin, rewrite(data("sims_bom_crlf.csv"), permanent))
    assert pupils_by_upn(sessions)["B801200005001"].id == old_id


def test_an_admission_number_held_by_another_pupil_on_record_is_an_error(
    sessions, admin, data, school
):
    with sessions() as session:
        demo_number = session.get(Pupil, school.pupil_ids[0]).admission_number

    def clash(header, body):
        body[0][0] = demo_number
        return body

    plan = roster.preview(sessions, check(rewrite(data("sims_bom_crlf.csv"), clash)))
    assert [p.line for p in plan.errors] == [2]
    assert "belongs to another pupil on record" in plan.errors[0].message
    assert not plan.can_import


def test_two_pupils_swapping_admission_numbers_is_imported(sessions, admin, data):
    import_file(sessions, admin, data("sims_bom_crlf.csv"))

    def swap(header, body):
        body[0][0], body[1][0] = body[1][0], body[0][0]
        return body

    result = import_file(sessions, admin, rewrite(data("sims_bom_crlf.csv"), swap))
    assert result.updated == 2
    pupils = pupils_by_upn(sessions)
    assert pupils["W886401213100"].admission_number == "001202"
    assert pupils["K886401213101"].admission_number == "001201"


def test_a_leaver_who_still_has_a_device_held_is_flagged_before_import(
    sessions, admin, data, school
):
    custody.hand_in(sessions, school.pupil_ids[4])
    plan = roster.preview(sessions, check(data("sims_bom_crlf.csv")))
    held = [leaver for leaver in plan.leavers if leaver.holds_device]
    assert [leaver.pupil_id for leaver in held] == [school.pupil_ids[4]]
    assert any("still held" in p.message for p in plan.warnings)


def test_a_preferred_surname_is_what_screens_and_cards_show(sessions, admin):
    raw = (
        b"UPN,Adno,Legal Forename,Legal Surname,Preferred Surname,Year,Reg\r\n"
        b"W886401213100,1,Ava,Smith,Jones,7,7A\r\n"
    )
    import_file(sessions, admin, raw)
    stored = pupils_by_upn(sessions)["W886401213100"]
    assert (stored.surname, stored.preferred_surname) == ("Smith", "Jones")
    [found] = pupils.search(sessions, "Jones")
    assert found.display_name == "Ava Jones"
    assert pupils.search(sessions, "Smith")[0].id == found.id  # the legal name finds her too
