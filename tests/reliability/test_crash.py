"""kill -9 during hand-ins, again and again: every acknowledged step survives, nothing is
half-written, SQLite's integrity check passes and the audit chain verifies. The long run
(1,000 hand-ins) is benchmarks/crash.py."""

from __future__ import annotations

from reliability.crash import CrashLog, check_after_crash, crash_runs

# The school is the concurrency tests' (reliability/conftest.py): more ordinary slots than
# the crashing kiosk's pupils (reliability.crash.PUPILS) ever hold at once, as prepare() makes.


def test_killing_the_kiosk_mid_hand_in_loses_nothing_it_acknowledged(
    backend_url, copy_shared_school
):
    school = copy_shared_school(backend_url)
    log = crash_runs(backend_url, school, hand_ins=40, seed=3, most_steps=25)
    assert log.problems == []
    assert len(log.hand_ins) >= 40 and len(log.collections) > 0
    assert log.kills >= 2 and log.kills_mid_work >= 2


def test_the_crash_check_notices_a_lost_acknowledged_hand_in(data_dir, copy_shared_school):
    url = f"sqlite:///{data_dir / 'checked.db'}"
    school = copy_shared_school(url)
    log = CrashLog(hand_ins={424242: (school.pupil_ids[0], 1)}, collections={434343})
    problems = check_after_crash(url, log)
    assert "acknowledged hand-in 424242 was lost" in problems
    assert "acknowledged collection of 434343 was lost" in problems
