"""A hand-in is found again by its token among its other audit details (issue 20 merged
with issue 17's several devices): the same slots the pupil was given, nothing for a
token never used."""

from fixtures.core import *  # noqa: F403 (the core tests' fixtures)

from kiosk.devices import Device, DeviceKind
from kiosk.services import custody, device_items, outcome


def test_a_hand_in_of_several_devices_is_found_by_its_token_with_its_slots(school, sessions):
    pupil = school.pupil_ids[0]
    phone_and_watch = [Device(DeviceKind.PHONE), Device(DeviceKind.WATCH, "blue")]
    device_items.set_usual_devices(sessions, school.actors["office"], pupil, phone_and_watch)
    token = outcome.new_token()
    made = custody.hand_in_by_card(sessions, school.card_texts[pupil], token=token)
    assert made.placements and made.placements[0].kinds == ("phone", "watch")

    found = outcome.find_hand_in(sessions, token)

    assert found is not None
    assert (found.slot_number, found.custody_id) == (made.slot_number, made.custody_id)
    assert found.placements == made.placements
    assert found.pupil.id == pupil and not found.already_held


def test_a_token_never_used_finds_nothing(school, sessions):
    custody.hand_in_by_card(
        sessions, school.card_texts[school.pupil_ids[0]], token=outcome.new_token()
    )
    assert outcome.find_hand_in(sessions, outcome.new_token()) is None
