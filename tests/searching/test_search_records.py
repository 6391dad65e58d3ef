"""Search records on SQLite and PostgreSQL: drafts, recording, corrections, the refusals the
DfE guidance and the policies ask for, and an insider's change to a final record showing."""

import json
import threading
import time

import pytest
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)
from sqlalchemy import delete, func, select, text, update

from kiosk.db import Database, make_engine
from kiosk.db_limits import Limits
from kiosk.errors import InvalidInput, NotAuthorised
from kiosk.services import chain_check, confiscation, search_records, searches
from kiosk.services.search_form import FoundItem
from kiosk.services.searches import Check
from kiosk.tables import AuditEvent, SearchItem, SearchRecord
from searching.forms import NOW, complete_form


def events(sessions, prefix="search_"):
    with sessions() as session:
        rows = session.execute(select(AuditEvent.kind, AuditEvent.details).order_by(AuditEvent.seq))
        return [(kind, json.loads(details)) for kind, details in rows if kind.startswith(prefix)]


def record_count(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(SearchRecord))


def test_office_starts_a_draft_and_a_senior_completes_it(school, sessions):
    office, senior = school.actors["office"], school.actors["senior"]
    pupil = school.pupil_ids[0]
    started = complete_form(pupil, place="", dsl_informed_at=None, dsl_informed_by="")
    draft = search_records.save_draft(sessions, office, started, now=NOW)
    assert (draft.status, draft.created_by, draft.finalised_by) == ("draft", "Olivia Office", None)
    with pytest.raises(NotAuthorised):
        search_records.record(sessions, office, complete_form(pupil), draft.id, now=NOW)
    with pytest.raises(InvalidInput, match="where it took place"):
        search_records.record(sessions, senior, started, draft.id, now=NOW)

    done = search_records.record(sessions, senior, complete_form(pupil), draft.id, now=NOW)

    assert (done.id, done.status, done.version) == (draft.id, "final", 1)
    assert (done.created_by, done.finalised_by) == ("Olivia Office", "Sam Senior (DSL)")
    kinds = [kind for kind, _ in events(sessions)]
    assert kinds == ["search_draft_saved", "search_recorded"]
    recorded = events(sessions)[-1][1]
    assert recorded["record_id"] == done.id and recorded["from_draft"] == draft.id
    assert recorded["found"] == "1 item(s)" and recorded["items"] == {"kept": 1}
    assert len(recorded["digest"]) == 64
    assert "vape" not in json.dumps(events(sessions)).lower()  # ids and outcomes only
    with pytest.raises(InvalidInput, match="not open any more"):
        search_records.save_draft(sessions, office, started, draft.id, now=NOW)
    assert chain_check.verify(sessions).intact


def test_office_sees_only_its_own_drafts_and_never_a_final_record(school, sessions):
    office, senior = school.actors["office"], school.actors["senior"]
    mine = search_records.save_draft(sessions, office, complete_form(school.pupil_ids[0]))
    seniors = search_records.save_draft(sessions, senior, complete_form(school.pupil_ids[1]))
    final = search_records.record(sessions, senior, complete_form(school.pupil_ids[2]), now=NOW)

    assert [row.id for row in searches.search_list(sessions, office).rows] == [mine.id]
    assert {row.id for row in searches.search_list(sessions, senior).rows} == {
        mine.id,
        seniors.id,
        final.id,
    }
    with pytest.raises(NotAuthorised):
        searches.search_detail(sessions, office, final.id)
    with pytest.raises(NotAuthorised):
        search_records.save_draft(sessions, office, complete_form(school.pupil_ids[1]), seniors.id)
    with pytest.raises(NotAuthorised):
        searches.search_list(sessions, school.actors["admin"])  # IT: no safeguarding records


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        (
            {"items": (FoundItem("Phone", "police"),), "examined": True, "data_outcome": "erased"},
            "cannot be recorded as erased when the police",
        ),
        (
            {
                "examined": True,
                "examined_by": "Mr Senior",
                "examination_reason": "Threats; the police were called",
                "data_outcome": "erased",
            },
            "may be evidence",
        ),
        (
            {"do_not_examine": True, "examined": True, "examined_by": "Mr Senior"},
            "do-not-examine path",
        ),
        ({"do_not_examine": True, "data_outcome": "kept_as_evidence"}, "do-not-examine path"),
        ({"same_sex": False}, "why the searcher was not the same sex"),
        ({"found_nothing": True}, "nothing was found, and lists items"),
        ({"items": ()}, "what was found"),
        ({"examined": True}, "who examined the data"),
        ({"parents_informed_how": ""}, "when the parents were told and how"),
        ({"searched_at": NOW.replace(hour=23)}, "in the future"),
    ],
)
def test_a_record_that_says_what_it_may_not_is_refused_in_words_and_nothing_is_written(
    school, sessions, changes, words
):
    senior = school.actors["senior"]
    before = record_count(sessions), chain_check.verify(sessions).events
    with pytest.raises(InvalidInput, match=words):
        search_records.record(
            sessions, senior, complete_form(school.pupil_ids[0], **changes), now=NOW
        )
    assert (record_count(sessions), chain_check.verify(sessions).events) == before


def test_a_draft_may_be_incomplete_but_never_erased_with_police(school, sessions):
    office = school.actors["office"]
    bare = complete_form(school.pupil_ids[0], place="", grounds="", items=(), same_sex=False)
    assert search_records.save_draft(sessions, office, bare, now=NOW).status == "draft"
    police = complete_form(
        school.pupil_ids[0],
        items=(FoundItem("Phone", "police"),),
        examined=True,
        data_outcome="erased",
    )
    with pytest.raises(InvalidInput, match="erased"):
        search_records.save_draft(sessions, office, police, now=NOW)


def test_a_device_confiscated_as_do_not_examine_keeps_its_record_on_that_path(school, sessions):
    office, senior = school.actors["office"], school.actors["senior"]
    pupil = school.pupil_ids[0]
    held = confiscation.confiscate(
        sessions, office, pupil, "inappropriate content", do_not_examine=True
    )
    examined = complete_form(
        pupil, custody_id=held.id, examined=True, examined_by="X", examination_reason="look"
    )
    with pytest.raises(InvalidInput, match="do-not-examine path"):
        search_records.record(sessions, senior, examined, now=NOW)
    with pytest.raises(InvalidInput, match="must say so"):
        search_records.record(sessions, senior, complete_form(pupil, custody_id=held.id), now=NOW)
    other = complete_form(school.pupil_ids[1], custody_id=held.id)
    with pytest.raises(InvalidInput, match="another pupil"):
        search_records.record(sessions, senior, other, now=NOW)

    done = search_records.record(
        sessions, senior, complete_form(pupil, custody_id=held.id, do_not_examine=True), now=NOW
    )
    assert done.form.custody_id == held.id and done.form.do_not_examine


def test_a_device_handed_to_the_police_never_has_its_data_recorded_as_erased(school, sessions):
    office, senior = school.actors["office"], school.actors["senior"]
    pupil = school.pupil_ids[0]
    held = confiscation.confiscate(sessions, office, pupil, "used in lesson")
    confiscation.hand_to_police(sessions, senior, held.id, "PC Lee", "4021", "CR/1")
    erased = complete_form(
        pupil,
        custody_id=held.id,
        examined=True,
        examined_by="Mr Senior",
        examination_reason="Images shared without consent",
        data_outcome="erased",
    )
    with pytest.raises(InvalidInput, match="may be evidence"):
        search_records.record(sessions, senior, erased, now=NOW)
    kept = search_records.record(
        sessions,
        senior,
        erased.__class__(**{**erased.__dict__, "data_outcome": "kept_as_evidence"}),
        now=NOW,
    )
    assert kept.form.data_outcome == "kept_as_evidence"


def test_a_correction_is_a_new_version_and_the_recorded_one_stays_as_it_was(school, sessions):
    senior = school.actors["senior"]
    pupil = school.pupil_ids[0]
    first = search_records.record(sessions, senior, complete_form(pupil), now=NOW)
    fixed = complete_form(pupil, place="Year 9 office")
    with pytest.raises(InvalidInput, match="why"):
        search_records.correct(sessions, senior, first.id, fixed, "  ", now=NOW)
    with pytest.raises(NotAuthorised):
        search_records.correct(sessions, school.actors["office"], first.id, fixed, "typo")

    second = search_records.correct(sessions, senior, first.id, fixed, "wrong room", now=NOW)

    assert (second.series_id, second.version, second.supersedes_id) == (first.id, 2, first.id)
    detail = searches.search_detail(sessions, senior, first.id)
    assert detail.info.form.place == "Head of Year office" and detail.check is Check.MATCHES
    assert detail.versions == (first.id, second.id)
    listed = searches.search_list(sessions, senior).rows
    assert [(r.id, r.version) for r in listed] == [(second.id, 2)]
    with pytest.raises(InvalidInput, match="later version"):
        search_records.correct(sessions, senior, first.id, fixed, "again", now=NOW)
    corrected = events(sessions)[-1]
    assert corrected[0] == "search_corrected" and corrected[1]["supersedes_id"] == first.id


def test_an_insider_changing_deleting_or_adding_a_final_record_by_sql_shows(school, sessions):
    senior = school.actors["senior"]
    p = school.pupil_ids
    changed = search_records.record(sessions, senior, complete_form(p[0]), now=NOW)
    removed = search_records.record(sessions, senior, complete_form(p[1]), now=NOW)
    item_changed = search_records.record(sessions, senior, complete_form(p[2]), now=NOW)
    untouched = search_records.record(sessions, senior, complete_form(p[3]), now=NOW)
    draft = search_records.save_draft(sessions, school.actors["office"], complete_form(p[4]))
    started_by = search_records.record(sessions, senior, complete_form(p[4]), draft.id, now=NOW)
    with sessions.begin() as session:
        session.execute(
            update(SearchRecord).where(SearchRecord.id == changed.id).values(consent=False)
        )
        session.execute(
            update(SearchItem)
            .where(SearchItem.record_id == item_changed.id)
            .values(outcome="returned")
        )
        session.execute(delete(SearchItem).where(SearchItem.record_id == removed.id))
        session.execute(  # who started it: the office's name taken off a record
            update(SearchRecord)
            .where(SearchRecord.id == started_by.id)
            .values(created_by_id=senior.id)
        )
        session.execute(delete(SearchRecord).where(SearchRecord.id == removed.id))
        forged = SearchRecord(
            **{c: getattr(session.get(SearchRecord, untouched.id), c) for c in ("pupil_id",)},
            status="final",
            version=1,
            created_at=NOW,
            created_by_id=senior.id,
            found_nothing=True,
        )
        session.add(forged)
        session.flush()
        forged.series_id = forged.id
        forged_id = forged.id

    listed = searches.search_list(sessions, senior)

    checks = {row.id: row.check for row in listed.rows}
    assert checks[changed.id] is Check.CHANGED
    assert checks[item_changed.id] is Check.CHANGED
    assert checks[started_by.id] is Check.CHANGED
    assert checks[untouched.id] is Check.MATCHES
    assert checks[forged_id] is Check.NOT_LOGGED
    assert listed.missing_ids == (removed.id,)


def test_a_recorded_search_turned_back_into_a_draft_by_sql_shows_and_stays_shut(school, sessions):
    senior = school.actors["senior"]
    done = search_records.record(sessions, senior, complete_form(school.pupil_ids[0]), now=NOW)
    with sessions.begin() as session:
        session.execute(
            update(SearchRecord).where(SearchRecord.id == done.id).values(status="draft")
        )

    [row] = searches.search_list(sessions, senior).rows
    assert row.check is Check.CHANGED
    rewritten = complete_form(school.pupil_ids[0], consent=False)
    with pytest.raises(InvalidInput, match="tell the headteacher"):
        search_records.record(sessions, senior, rewritten, done.id, now=NOW)
    with pytest.raises(InvalidInput, match="tell the headteacher"):
        search_records.save_draft(sessions, senior, rewritten, done.id, now=NOW)


def test_a_draft_recorded_by_two_seniors_at_once_is_recorded_once(school, sessions, engine):
    """PostgreSQL: both wait on a lock the test holds on the draft, then go at once."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's writers queue for the whole database anyway")
    office, senior = school.actors["office"], school.actors["senior"]
    form = complete_form(school.pupil_ids[0])
    draft = search_records.save_draft(sessions, office, form, now=NOW)
    outcomes: list[str] = []
    # The two seniors wait on the test's lock until both are there: under a loaded machine
    # the second can arrive after the kiosk's 10 s lock timeout has cut off the first.
    # This test is about recording once, not about that timeout: they get a long one.
    url = engine.url.render_as_string(hide_password=False)
    patient = Database(make_engine(url, limits=Limits(lock_s=120)))

    def record_it() -> None:
        try:
            search_records.record(patient, senior, form, draft.id, now=NOW)
            outcomes.append("recorded")
        except InvalidInput as refused:
            outcomes.append(str(refused))
        except Exception as error:  # shown by the assertion below, not lost in a thread
            outcomes.append(f"{type(error).__name__}: {error}")

    with engine.connect() as holder:
        holder.execute(text("BEGIN"))
        holder.execute(text(f"SELECT id FROM search_records WHERE id = {draft.id} FOR UPDATE"))
        threads = [threading.Thread(target=record_it) for _ in range(2)]
        for thread in threads:
            thread.start()
        with engine.connect() as watcher:
            deadline = time.monotonic() + 60
            while _waiting_on_locks(watcher) < 2:
                assert not outcomes, f"a senior ended before the draft was free: {outcomes}"
                waiting = _activity(watcher)
                assert time.monotonic() < deadline, f"never both waiting: {waiting}"
                time.sleep(0.05)
        holder.execute(text("COMMIT"))
    for thread in threads:
        thread.join(30)
    patient.engine.dispose()

    assert len(outcomes) == 2 and outcomes.count("recorded") == 1, outcomes
    assert any("not open any more" in words for words in outcomes)
    assert [kind for kind, _ in events(sessions)] == ["search_draft_saved", "search_recorded"]


def _waiting_on_locks(conn) -> int:
    """PostgreSQL reads ``pg_stat_activity`` once per transaction: each look is its own, or
    a first look taken before the seniors arrived is all the watcher ever sees."""
    query = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    waiting = int(conn.execute(text(query)).scalar() or 0)
    conn.rollback()
    return waiting


def _activity(conn) -> list[tuple[object, ...]]:
    """What each connection to the test's database is doing (for a failure's message)."""
    query = (
        "SELECT state, wait_event_type, wait_event, left(query, 60) FROM pg_stat_activity"
        " WHERE datname = current_database()"
    )
    return [tuple(row) for row in conn.execute(text(query))]
