"""Whatever a scanner or camera hands over, ``card_codec.read`` answers and never raises."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from kiosk import card_codec
from kiosk.card_codec import CardPayload, CardProblem, CardRejected

SECRET = b"install-secret-for-tests-0123456"
SCHOOL = "DEMO"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ."

schools = st.from_regex(r"\A[A-Z0-9]{2,8}\Z")
ids = st.integers(min_value=0, max_value=36**10 - 1)
secrets = st.binary(min_size=1, max_size=64)
SQL = [
    "' OR 1=1 --",
    "HK1.DEMO.1'; DROP TABLE pupils;--.1.AAAAAAAAAAAAA",
    "1; DELETE FROM custody WHERE 1=1",
    "HK1.DEMO.1.1.AAAAAAAAAAAA' OR ''='",
    'HK1.DEMO" UNION SELECT * FROM staff --',
    "Robert'); DROP TABLE Students;--",
]


def is_answer(result: object) -> bool:
    return isinstance(result, CardPayload | CardRejected)


@given(st.text())
def test_any_text_gets_an_answer(text: str) -> None:
    assert is_answer(card_codec.read(text, SECRET, SCHOOL))


@given(st.binary())
def test_any_bytes_get_an_answer(data: bytes) -> None:
    assert is_answer(card_codec.read(data, SECRET, SCHOOL))


@given(
    st.one_of(
        st.none(),
        st.integers(),
        st.floats(),
        st.lists(st.text()),
        st.dictionaries(st.text(), st.text()),
    )
)
def test_things_that_are_not_text_are_not_cards(thing: object) -> None:
    assert card_codec.read(thing, SECRET, SCHOOL) == CardRejected(CardProblem.NOT_A_CARD)


@given(
    st.text(min_size=card_codec.MAX_LENGTH + 1, max_size=20_000).filter(
        lambda t: len(t.strip()) > card_codec.MAX_LENGTH
    )
)
def test_very_long_text_is_too_long(text: str) -> None:
    assert card_codec.read(text, SECRET, SCHOOL) == CardRejected(CardProblem.TOO_LONG)


def test_a_megabyte_of_text_is_too_long() -> None:
    assert card_codec.read("HK1." * 250_000, SECRET, SCHOOL) == CardRejected(CardProblem.TOO_LONG)


@pytest.mark.parametrize("text", SQL)
def test_sql_looking_text_is_not_a_card(text: str) -> None:
    result = card_codec.read(text, SECRET, SCHOOL)
    assert isinstance(result, CardRejected)
    assert result.problem in (CardProblem.NOT_A_CARD, CardProblem.TOO_LONG)


@given(st.sampled_from(SQL), st.text(max_size=20), st.text(max_size=20))
def test_sql_with_anything_around_it_gets_an_answer(sql: str, before: str, after: str) -> None:
    assert isinstance(card_codec.read(before + sql + after, SECRET, SCHOOL), CardRejected)


@given(schools, ids, ids, secrets)
def test_a_card_reads_back_as_itself(school: str, pupil: int, serial: int, secret: bytes) -> None:
    text = card_codec.encode(secret, school, pupil, serial)
    assert len(text) <= card_codec.MAX_LENGTH
    expected = CardPayload(school, pupil, serial)
    assert card_codec.read(text, secret, school) == expected
    # Scanners with Caps Lock on send lower case; wedges add whitespace or a newline.
    assert card_codec.read(f"  {text.lower()}\r\n", secret, school) == expected
    assert card_codec.read(text.encode("ascii"), secret, school) == expected


@given(ids, ids, st.data())
def test_a_card_with_one_character_changed_is_refused(
    pupil: int, serial: int, data: st.DataObject
) -> None:
    text = card_codec.encode(SECRET, SCHOOL, pupil, serial)
    index = data.draw(st.integers(0, len(text) - 1), label="index")
    replacement = data.draw(st.sampled_from(ALPHABET.replace(text[index], "")), label="new char")
    mutated = text[:index] + replacement + text[index + 1 :]
    assert isinstance(card_codec.read(mutated, SECRET, SCHOOL), CardRejected)


@given(ids, ids, st.data())
def test_a_card_with_characters_cut_or_added_is_refused(
    pupil: int, serial: int, data: st.DataObject
) -> None:
    text = card_codec.encode(SECRET, SCHOOL, pupil, serial)
    start = data.draw(st.integers(0, len(text)), label="start")
    end = data.draw(st.integers(start, len(text)), label="end")
    insert = data.draw(st.text(ALPHABET, max_size=5), label="insert")
    mutated = text[:start] + insert + text[end:]
    assume(mutated != text)
    assert isinstance(card_codec.read(mutated, SECRET, SCHOOL), CardRejected)


@given(schools.filter(lambda s: s != SCHOOL), ids, ids)
def test_another_schools_card_is_refused_as_such(school: str, pupil: int, serial: int) -> None:
    text = card_codec.encode(SECRET, school, pupil, serial)
    assert card_codec.read(text, SECRET, SCHOOL) == CardRejected(CardProblem.OTHER_SCHOOL)


@given(secrets.filter(lambda s: s != SECRET), ids, ids)
def test_a_card_signed_with_another_secret_is_forged(
    secret: bytes, pupil: int, serial: int
) -> None:
    text = card_codec.encode(secret, SCHOOL, pupil, serial)
    assert card_codec.read(text, SECRET, SCHOOL) == CardRejected(CardProblem.FORGED)


@given(ids, ids, st.from_regex(r"\A[A-Z2-7]{13}\Z"))
@example(1, 1, "A" * 13)
def test_a_made_up_mac_is_forged(pupil: int, serial: int, mac: str) -> None:
    body = card_codec.encode(SECRET, SCHOOL, pupil, serial).rsplit(".", 1)[0]
    assume(f"{body}.{mac}" != card_codec.encode(SECRET, SCHOOL, pupil, serial))
    assert card_codec.read(f"{body}.{mac}", SECRET, SCHOOL) == CardRejected(CardProblem.FORGED)


@given(st.from_regex(r"\A[A-Z2-7]{0,12}\Z|\A[A-Z2-7]{14,20}\Z|\A[A-Z0-9]*[0189][A-Z0-9]*\Z"))
def test_a_mac_of_the_wrong_shape_is_not_a_card(mac: str) -> None:
    body = card_codec.encode(SECRET, SCHOOL, 7, 1).rsplit(".", 1)[0]
    assume(len(f"{body}.{mac}") <= card_codec.MAX_LENGTH)
    assert card_codec.read(f"{body}.{mac}", SECRET, SCHOOL) == CardRejected(CardProblem.NOT_A_CARD)


def test_a_field_ending_in_a_newline_is_not_a_card() -> None:
    card = card_codec.encode(SECRET, SCHOOL, 123, 4).split(".")
    card[1] += "\n"
    assert card_codec.read(".".join(card), SECRET, SCHOOL) == CardRejected(CardProblem.NOT_A_CARD)
