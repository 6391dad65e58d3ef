"""chain_check.verify's fast path must agree with the exact hash (``event_hash``) on every event
a service can write, and must never accept an event the exact check would refuse."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from fixtures.reports import *  # noqa: F403 (the reports tests' fixtures)
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.record.chain_scan import scan as _scan
from kiosk.services import audit
from kiosk.services.audit import canonical_json, details_digest, event_hash

texts = st.text(max_size=40)  # any unicode: quotes, backslashes, control characters, emoji
ids = st.none() | st.integers(min_value=0, max_value=2**40)
times = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1))
details = st.dictionaries(st.text(max_size=8), st.text(max_size=20) | st.integers(), max_size=3)


SALT = "5a" * 16


def make_row(
    seq, at, kind, actor_id, actor_name, pupil_id, slot, custody_id, info, stored_as_text, salt=SALT
):
    """A row as verify reads it; salted (as written since issue 14) unless ``salt`` is None
    (an older event's plain digest)."""
    text = canonical_json(info)
    fields = SimpleNamespace(
        seq=seq,
        at=at,
        kind=kind,
        actor_id=actor_id,
        actor_name=actor_name,
        pupil_id=pupil_id,
        slot_number=slot,
        custody_id=custody_id,
        details_digest=details_digest(text, salt),
        prev_hash="ab" * 32,
    )
    stored_at = at.strftime("%Y-%m-%d %H:%M:%S.%f") if stored_as_text else at
    row = (
        seq,
        stored_at,
        kind,
        actor_id,
        actor_name,
        pupil_id,
        slot,
        custody_id,
        text,
        fields.details_digest,
        False,
        fields.prev_hash,
        event_hash(fields),
        salt,
    )
    return row


def _row_is_sound(row, expected_seq, prev_hash):
    """Whether verify's batch scan (``_scan``) passes ``row`` without the exact check."""
    unlisted: set[int] = set()
    return _scan([row], expected_seq, prev_hash, unlisted)[0] == 1


event = st.tuples(
    st.integers(min_value=1, max_value=10**9),
    times,
    texts,
    ids,
    st.none() | texts,
    ids,
    ids,
    ids,
    details,
    st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(event, st.booleans())
def test_the_fast_path_accepts_every_genuine_event(values, salted):
    row = make_row(*values, salt=SALT if salted else None)
    # a time as SQLite stores it (text) or as PostgreSQL's driver gives it (a time)
    assert _row_is_sound(row, row[0], row[11])


def test_a_time_with_a_zone_goes_to_the_exact_check():
    at = dt.datetime(2026, 3, 30, 6, 30)
    row = list(make_row(5, at, "hand_in", None, "kiosk", 3, 4, 5, {}, False))
    assert _row_is_sound(tuple(row), 5, row[11])
    row[1] = at.replace(tzinfo=dt.UTC)
    assert not _row_is_sound(tuple(row), 5, row[11])


def test_a_salt_that_is_removed_or_changed_is_not_accepted():
    row = list(
        make_row(5, dt.datetime(2026, 3, 30, 6, 30), "hand_in", None, "k", 3, 4, 5, {}, True)
    )
    assert _row_is_sound(tuple(row), 5, row[11])
    for salt in (None, "6b" * 16):
        changed = [*row[:13], salt]
        assert not _row_is_sound(tuple(changed), 5, row[11])


@settings(max_examples=150, deadline=None)
@given(event, st.integers(min_value=2, max_value=9), texts)
def test_the_fast_path_never_accepts_a_changed_field(values, index, replacement):
    row = list(make_row(*values))
    changed = replacement if isinstance(row[index], str) or row[index] is None else row[index] + 1
    if changed == row[index]:
        return
    row[index] = changed
    assert not _row_is_sound(tuple(row), row[0], row[11])


def test_a_redacted_event_passes_only_with_the_redacted_marker():
    row = list(
        make_row(
            5, dt.datetime(2026, 3, 30, 6, 30), "hand_in", None, "kiosk", 3, 4, 5, {"a": 1}, True
        )
    )
    row[8], row[10] = audit.REDACTED_DETAILS, True
    assert not _row_is_sound(tuple(row), 5, row[11])  # the salt must go with the details
    row[13] = None
    assert _row_is_sound(tuple(row), 5, row[11])
    row[8] = '{"a":1}'
    assert not _row_is_sound(tuple(row), 5, row[11])


def test_an_unusual_stored_time_goes_to_the_exact_check():
    row = list(
        make_row(5, dt.datetime(2026, 3, 30, 6, 30), "hand_in", None, "kiosk", 3, 4, 5, {}, True)
    )
    row[1] = "2026-03-30 06:30:00"  # same moment, another spelling
    assert not _row_is_sound(tuple(row), 5, row[11])


def test_text_put_where_a_number_or_null_was_is_not_accepted():
    # SQLite keeps non-numeric text even in an INTEGER column: the text "null" where the
    # event had NULL must not pass for it.
    genuine = make_row(
        5, dt.datetime(2026, 3, 30, 6, 30), "hand_in", None, "kiosk", 3, None, 5, {}, True
    )
    for index, value in ((3, "null"), (5, "3"), (6, "null"), (7, "5")):
        row = list(genuine)
        row[index] = value
        assert not _row_is_sound(tuple(row), 5, row[11])
