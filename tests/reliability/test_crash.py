"""kill -9 during hand-ins, again and again: every acknowledged step survives, nothing is
half-written, SQLite's integrity check passes and the audit chain verifies. The long run
(1,000 hand-ins) is benchmarks/crash.py."""

from __future__ import annotations

from reliability.crash import crash_runs, prepare


def test_killing_the_kiosk_mid_hand_in_loses_nothing_it_acknowledged(backend_url):
    log = crash_runs(backend_url, prepare(backend_url), hand_ins=60, seed=3, max_delay=0.4)
    assert log.problems == []
    assert len(log.hand_ins) >= 60 and len(log.collections) > 0
    assert log.kills >= 2 and log.kills_mid_work >= 2
