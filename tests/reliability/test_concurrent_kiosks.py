"""Four kiosks (real processes) on one database at once: no slot double-booked, no
acknowledged hand-in or collection lost, the audit chain linear and valid. The full
4 x 500 run is benchmarks/concurrency.py; this is the short version."""

from __future__ import annotations

from reliability.conftest import KIOSKS
from reliability.kiosks import KioskRun, check_database, run_kiosks, scan_same_cards

ROUNDS = 60


def test_four_kiosks_share_one_database_without_double_booking_or_losing_events(
    backend_url, copy_shared_school
):
    school = copy_shared_school(backend_url)
    runs = run_kiosks(backend_url, school, KIOSKS, ROUNDS)
    assert check_database(backend_url, runs) == []
    assert all(len(r.hand_ins) + r.repeat_scans == ROUNDS for r in runs)
    assert sum(len(r.collections) for r in runs) > KIOSKS * ROUNDS // 3


def test_the_check_notices_a_hand_in_the_database_does_not_have(data_dir, copy_shared_school):
    url = f"sqlite:///{data_dir / 'checked.db'}"
    copy_shared_school(url)
    told = KioskRun(kiosk=0, hand_ins=[(515151, 1, 1)], collections=[525252])
    problems = check_database(url, [told])
    assert "acknowledged hand-in 515151 is not in the database" in problems
    assert "acknowledged collection 525252 is not recorded as released" in problems


def test_a_card_scanned_at_four_kiosks_at_once_is_handed_in_once(backend_url, copy_shared_school):
    school = copy_shared_school(backend_url)
    assert scan_same_cards(backend_url, school, KIOSKS) == []
