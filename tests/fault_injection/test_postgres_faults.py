"""A loop of hand-ins while the PostgreSQL server is stopped (fast, immediate, SIGKILL),
paused, or has a connection cut during COMMIT. Each asserts: no confirmed hand-in lost,
none stored twice, every pupil answered within the deadline's bound, and recovery
without a restart of the kiosk (the same Database object throughout)."""

from __future__ import annotations

import time

import pytest
from pgserver import PostgresServer

from fault_injection import pgfaults
from fault_injection.conftest import TEST_LIMITS, make_school
from fault_injection.harness import HandInLoop, check, settle_unknowns, wait_for

pytestmark = pytest.mark.postgres

# The longest a hand-in job may take to answer: its attempt is cut at the deadline, the
# look-up that follows needs a new connection (libpq's connect timeout) and is cut too.
ANSWER_BOUND_S = 2 * TEST_LIMITS.job_s + TEST_LIMITS.connect_s + 1.5
RECOVERY_BOUND_S = 10.0
PAUSED = "a pupil to be answered while the server is paused"


def run_through(server: PostgresServer, url: str, fault: str) -> dict[str, float]:
    database, school = make_school(url)
    loop = HandInLoop(database, school, pause_s=0.02)
    loop.start()
    try:
        wait_for(lambda: loop.confirmed_count() >= 5, 30, "hand-ins before the fault")
        began = time.monotonic()
        if fault == "pause":
            frozen = pgfaults.pause(server)
            try:  # nothing but the kiosk's own deadline can end its wait meanwhile
                wait_for(lambda: loop.report.refused_since(began), ANSWER_BOUND_S, PAUSED)
            finally:
                pgfaults.resume(frozen)
        else:
            pgfaults.halt(server, fault)
            wait_for(lambda: loop.report.refused_since(began), 10, "a scan met the stopped server")
            pgfaults.start_again(server)
        ended = time.monotonic()
        back = wait_for(
            lambda: loop.report.first_slot_after(ended) is not None,
            RECOVERY_BOUND_S + 10,
            "a hand-in after the fault",
        )
    finally:
        report = loop.stop()
    settle_unknowns(database, report)
    counts = check(database, report)
    database.dispose()
    longest = report.longest_wait(since=began - ANSWER_BOUND_S)
    assert longest <= ANSWER_BOUND_S, f"a pupil waited {longest:.1f} s for an answer"
    assert back - ended <= RECOVERY_BOUND_S, f"recovery took {back - ended:.1f} s"
    assert counts["confirmed"] >= 6
    return {"longest": longest, "recovery": back - ended}


@pytest.mark.parametrize("how", ["fast", "immediate", "kill"])
def test_hand_ins_through_a_stopped_server(own_server: PostgresServer, pg_url: str, how: str):
    run_through(own_server, pg_url, how)


def test_hand_ins_through_a_paused_server(own_server: PostgresServer, pg_url: str):
    figures = run_through(own_server, pg_url, "pause")
    # The paused server still acknowledged every packet: only the deadline ended the waits.
    assert figures["longest"] >= TEST_LIMITS.job_s * 0.9


@pytest.mark.parametrize("when", ["after", "before"])
def test_a_connection_cut_during_commit_is_resolved_not_guessed(
    own_server: PostgresServer, pg_url: str, when: str
):
    cutter = pgfaults.CommitCutter(own_server.port)
    proxied = pg_url.replace(f":{own_server.port}/", f":{cutter.port}/")
    database, school = make_school(proxied)
    try:
        loop = HandInLoop(database, school)
        first, second, third = (school.pupil_ids[i] for i in range(3))
        told = [loop._scan(first)]
        cutter.arm(when)
        told.append(loop._scan(second))
        told.append(loop._scan(third))
        assert cutter.cuts == 1
        loop.report.told.extend(told)
        # The cut hand-in is answered with the truth: its slot, saved once (found by its
        # token when the server committed it, made again when it did not).
        assert [t.said for t in told] == ["slot", "slot", "slot"]
        assert len({t.custody_id for t in told}) == 3
        check(database, loop.report)
    finally:
        database.dispose()
        cutter.close()
