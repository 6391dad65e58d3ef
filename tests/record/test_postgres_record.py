"""Rewrite-and-recompute on PostgreSQL: an insider disables the trigger, rewrites who a
confiscated phone was released to and recomputes every hash; the signatures catch it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pgserver import server_for_tests
from school_copies import small_school

from kiosk.db import Database, open_database
from kiosk.keystore import KeyStore
from kiosk.record import seal
from kiosk.record.check import verify_record
from kiosk.services import audit, chain_check, confiscation, custody, settings
from tests.record.attacks import rewrite_and_recompute

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_sessions() -> Iterator[tuple[object, Database]]:
    with server_for_tests().fresh_database(migrated=True) as url:
        sessions = open_database(url)
        engine = sessions.engine
        settings.ensure_install(sessions)
        yield engine, sessions
        audit.HEAD_SIGNERS.pop(engine, None)
        engine.dispose()


def test_rewrite_and_recompute_on_postgres_is_caught(pg_sessions, tmp_path: Path) -> None:
    engine, sessions = pg_sessions
    school = small_school(sessions)
    store = KeyStore(tmp_path)
    recovery = seal.setup_school(sessions, store, "office-pc", school.actors["admin"])
    sealer, why = seal.load(engine, store, "office-pc")
    assert sealer is not None, why
    held = confiscation.confiscate(
        sessions, school.actors["senior"], school.pupil_ids[2], "used in lesson"
    )
    confiscation.release_to_parent(
        sessions, school.actors["office"], held.id, "Mrs Ada Carter", "mother", True
    )
    released = chain_check.verify(sessions).last_seq
    assert sealer.rotate(sessions) == 1  # a new school day's key, on PostgreSQL too
    custody.hand_in(sessions, school.pupil_ids[5])
    assert verify_record(sessions, recovery.fingerprint).intact

    rewrite_and_recompute(engine, released, name="Mr Nobody", relationship="uncle")
    assert chain_check.verify(sessions).intact  # the hash chain alone is fooled
    report = verify_record(sessions, recovery.fingerprint)
    assert not report.intact
    assert "new daily key is not signed by its previous key" in report.problem
