"""Cards shown to the camera (a folder of real-looking frames as its source), a lost
camera, the three sounds and their silent fallback, and the screen's pure decisions."""

from __future__ import annotations

import datetime as dt
import sys
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from kiosk import errors
from kiosk.config import Config
from kiosk.db import Database
from kiosk.demo import DemoSchool
from kiosk.services import custody
from kiosk.services.settings import SchoolSettings
from kiosk.tables import Custody
from kiosk.ui import make_sounds
from kiosk.ui.background import describe_failure
from kiosk.ui.kiosk_screen.outcomes import (
    DB_PROBLEM,
    Mode,
    State,
    effective_mode,
    error_outcome,
)
from kiosk.ui.sounds import SOUND_DIR, Sound, SoundPlayer

from .conftest import ScreenFactory, pupil_id_with_card, scan


def test_cards_shown_to_the_camera_are_handed_in_and_the_preview_shows_the_camera(
    qtbot: QtBot,
    make_screen: ScreenFactory,
    kiosk_config: Config,
    sessions: Database,
    school: DemoSchool,
    frame_folder: Callable[[list[str]], Path],
) -> None:
    pupils = [pupil_id_with_card(school, index) for index in (0, 1)]
    folder = frame_folder([text for _, text in pupils])
    config = Config(kiosk_config.data_dir, kiosk_config.database_url, "cam", str(folder), False)
    screen = make_screen(config=config, repeat_scan_seconds=3.0)
    assert screen.camera is not None
    previews: list[object] = []
    screen.camera.frame_ready.connect(previews.append)

    def handed_in() -> set[int]:
        with sessions() as session:
            return set(session.scalars(select(Custody.pupil_id)))

    qtbot.waitUntil(lambda: handed_in() == {pupil_id for pupil_id, _ in pupils}, timeout=15_000)
    qtbot.waitUntil(lambda: screen.state is State.HANDED_IN, timeout=5000)
    assert previews
    screen.go_idle()
    qtbot.waitUntil(lambda: screen.idle_page.preview.image() is not None, timeout=5000)
    screen.close()
    assert screen.camera is not None and not screen.camera.running


def test_without_a_camera_picture_the_scanner_still_works(
    qtbot: QtBot, make_screen: ScreenFactory, kiosk_config: Config, school: DemoSchool
) -> None:
    missing = kiosk_config.data_dir / "no-camera-here"
    config = Config(kiosk_config.data_dir, kiosk_config.database_url, "cam", str(missing), False)
    screen = make_screen(config=config)
    qtbot.waitUntil(lambda: "Camera not working" in screen.idle_page.status.text(), timeout=10_000)
    assert screen.idle_page.preview.placeholder == "No camera picture"
    assert scan(qtbot, screen, pupil_id_with_card(school, 0)[1]) is State.HANDED_IN


def test_with_no_camera_configured_the_screen_points_to_the_scanner(screen: object) -> None:
    from kiosk.ui.kiosk_screen.screen import KioskScreen

    assert isinstance(screen, KioskScreen)
    assert not screen.idle_page.preview.isVisible()
    assert screen.idle_page.hint.text() == "Hold your pupil card under the scanner"
    assert screen.camera is None


# -- sounds ------------------------------------------------------------------------------


def read_wav(path: Path) -> tuple[wave._wave_params, np.ndarray]:
    with wave.open(str(path), "rb") as sound:
        params = sound.getparams()
        samples = np.frombuffer(sound.readframes(params.nframes), dtype="<i2")
    return params, samples


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def test_the_sound_files_are_short_mono_16_bit_and_made_by_the_script(tmp_path: Path) -> None:
    made = make_sounds.write_all(tmp_path)
    assert [p.name for p in made] == ["success.wav", "error.wav", "info.wav"]
    for path in made:
        params, samples = read_wav(path)
        assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, 22_050)
        assert 0.3 <= params.nframes / params.framerate <= 0.5
        assert 0.5 * 32767 < np.abs(samples).max() <= 0.61 * 32767  # loud, never clipped
        assert abs(int(samples[0])) < 300 and abs(int(samples[-1])) < 300  # no clicks
        assert (SOUND_DIR / path.name).read_bytes() == path.read_bytes()  # committed = script


def test_the_three_sounds_are_told_apart_by_pitch() -> None:
    pitch = {sound: dominant_hz(read_wav(SOUND_DIR / f"{sound}.wav")[1], 22_050) for sound in Sound}
    assert pitch[Sound.ERROR] < 200  # the low buzz
    assert 700 < pitch[Sound.SUCCESS] < 1100  # the bright chime
    assert 550 < pitch[Sound.INFO] < 620  # the neutral tone between


def test_no_sound_device_or_files_means_silence_not_failure(qtbot: QtBot, tmp_path: Path) -> None:
    player = SoundPlayer(directory=tmp_path / "nothing-here")
    asked: list[str] = []
    player.requested.connect(asked.append)
    player.play(Sound.ERROR)
    assert asked == ["error"]
    assert not player.children()  # no sound effect was loaded


def test_without_qtmultimedia_the_kiosk_is_silent(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "PySide6.QtMultimedia", None)
    player = SoundPlayer()
    assert not player.children()  # no sound effect was loaded
    player.play(Sound.SUCCESS)


# -- decisions -----------------------------------------------------------------------------


def school_settings(mode: str) -> SchoolSettings:
    return SchoolSettings(
        school_name="Test",
        school_code="TST",
        handin_opens=dt.time(7),
        handin_closes=dt.time(10),
        collection_opens=dt.time(14, 45),
        collection_closes=dt.time(18),
        sound=True,
        retention_days=365,
        mode=mode,
    )


@pytest.mark.parametrize(
    ("mode", "at", "expected"),
    [
        ("auto", dt.time(8, 0), Mode.HANDIN),
        ("auto", dt.time(11, 30), Mode.HANDIN),  # a late pupil can still hand in
        ("auto", dt.time(14, 44), Mode.HANDIN),
        ("auto", dt.time(14, 45), Mode.COLLECTION),
        ("auto", dt.time(17, 59), Mode.COLLECTION),
        ("auto", dt.time(18, 0), Mode.HANDIN),
        ("handin", dt.time(15, 30), Mode.HANDIN),
        ("collection", dt.time(8, 0), Mode.COLLECTION),
    ],
)
def test_the_mode_by_setting_and_time(mode: str, at: dt.time, expected: Mode) -> None:
    assert effective_mode(school_settings(mode), at) is expected


def test_before_the_settings_are_read_the_kiosk_takes_hand_ins() -> None:
    assert effective_mode(None, dt.time(15, 30)) is Mode.HANDIN


@pytest.mark.parametrize(
    ("error", "title"),
    [
        (errors.UnknownCard(), "Card not recognised"),
        (errors.CardRevoked(), "This card has been replaced"),
        (errors.PupilNotActive(), "Card not accepted"),
        (errors.NoFreeSlot(), "No free slot"),
        (errors.UndoWindowPassed(), "Too late to undo"),
        (errors.InvalidInput(), "Please see the office"),
        (RuntimeError("boom"), "Kiosk not working"),
        (errors.DatabaseUnavailable(), "Kiosk not working"),
        (
            errors.DatabaseUnavailable("The kiosk was busy. Please scan again."),
            "Please see the office",
        ),
    ],
)
def test_every_error_gets_a_title_and_what_to_do(error: Exception, title: str) -> None:
    outcome = error_outcome(error)
    assert outcome.state is State.ERROR and outcome.title == title
    assert outcome.message and not outcome.message.lower().startswith(title.lower())
    if not isinstance(error, errors.KioskError):
        assert outcome.message == DB_PROBLEM


def test_the_log_line_for_a_database_error_carries_no_statement_parameters() -> None:
    error = OperationalError(
        "INSERT INTO pupils (surname) VALUES (?)", ("Okafor",), Exception("disk I/O error")
    )
    described = describe_failure(error)
    assert described == "OperationalError (Exception: disk I/O error)"
    assert "Okafor" not in described and "INSERT" not in described


def test_a_hand_in_result_offers_undo_only_for_a_new_hand_in(
    sessions: Database, school: DemoSchool
) -> None:
    from kiosk.ui.kiosk_screen.outcomes import hand_in_outcome

    first = hand_in_outcome(custody.hand_in(sessions, school.pupil_ids[0]))
    again = hand_in_outcome(custody.hand_in(sessions, school.pupil_ids[0]))
    assert (first.state, first.undo, first.custody_id is not None) == (State.HANDED_IN, True, True)
    assert (again.state, again.undo) == (State.ALREADY_HANDED_IN, False)


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_screen_colours_are_high_contrast() -> None:
    from kiosk.ui.style import KIOSK_BAR, KIOSK_IDLE, KIOSK_MUTED, TONE_COLOURS

    for tone, colour in TONE_COLOURS.items():
        assert contrast("#ffffff", colour) >= 4.5, tone  # white words on every result
    assert contrast("#0b0b0b", "#ffffff") >= 18  # the slot number's digits on its card
    assert contrast("#ffffff", KIOSK_IDLE) >= 15 and contrast(KIOSK_MUTED, KIOSK_IDLE) >= 10
    assert contrast(KIOSK_MUTED, KIOSK_BAR) >= 10
