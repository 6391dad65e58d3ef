"""kiosk.ui.background, the one way the UI runs work off the GUI thread: jobs on a lane are
answered in the order started, off the GUI thread; failures come back as words; progress
and cancel reach a tracked job; nothing is answered to a widget that is gone."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from kiosk.errors import DatabaseUnavailable, NoFreeSlot
from kiosk.ui.background import (
    RECORDS_DOWN,
    UNEXPECTED,
    Failure,
    Lane,
    Op,
    Progress,
)


@pytest.fixture
def owner(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def lane() -> object:
    made = Lane("test")
    yield made
    made.stop()


def test_jobs_on_a_lane_are_answered_in_the_order_started_off_the_gui_thread(
    qtbot: QtBot, owner: QWidget, lane: Lane
) -> None:
    answers: list[tuple[int, str]] = []

    def job(number: int, seconds: float) -> tuple[int, str]:
        time.sleep(seconds)  # the first job is the slowest
        return number, threading.current_thread().name

    for number, seconds in ((1, 0.2), (2, 0.0), (3, 0.05)):
        Op(owner, "A job", lambda n=number, s=seconds: job(n, s)).success(answers.append).run(lane)
    qtbot.waitUntil(lambda: lane.pending == 0, timeout=5000)
    assert [number for number, _ in answers] == [1, 2, 3]
    assert all(name != threading.main_thread().name for _, name in answers)


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (NoFreeSlot(), NoFreeSlot.default_message),
        (DatabaseUnavailable(), RECORDS_DOWN),
        (OSError(28, "No space left on device"), None),
        (ValueError("pupil 0042 Okafor"), UNEXPECTED),
    ],
)
def test_a_failure_comes_back_as_words_and_the_log_has_no_values(
    qtbot: QtBot,
    owner: QWidget,
    lane: Lane,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
    words: str | None,
) -> None:
    failures: list[Failure] = []

    def fail() -> None:
        raise error

    with caplog.at_level(logging.INFO):
        Op(owner, "Doing it", fail).failure(failures.append).run(lane)
        qtbot.waitUntil(lambda: bool(failures), timeout=5000)
    assert failures[0].error is error
    if words is None:
        assert failures[0].words.startswith("The file could not be written or read")
    else:
        assert failures[0].words == words
    assert "Okafor" not in caplog.text
    if isinstance(error, ValueError):
        assert "Doing it failed: ValueError" in caplog.text


def test_a_tracked_job_reports_progress_and_stops_when_cancelled(
    qtbot: QtBot, owner: QWidget, lane: Lane
) -> None:
    seen: list[tuple[int, int]] = []
    ended: list[str] = []
    started = threading.Event()

    def job(progress: Progress) -> str:
        progress.report(1, 4)
        started.set()
        while not progress.cancelled():
            time.sleep(0.01)
        raise RuntimeError("stopped")  # what an export does: it gives up by raising

    op = Op.tracked(owner, "A long job", job).with_progress(lambda d, t: seen.append((d, t)))
    ticket = (
        op.cancelled(lambda: ended.append("cancelled"))
        .failure(lambda _f: ended.append("failed"))
        .run(lane)
    )
    assert started.wait(5)
    ticket.cancel()
    qtbot.waitUntil(lambda: bool(ended), timeout=5000)
    assert ended == ["cancelled"] and seen == [(1, 4)] and ticket.finished


def test_nothing_is_answered_to_a_widget_that_is_gone(qtbot: QtBot, lane: Lane) -> None:
    gone = QWidget()
    answers: list[object] = []
    release = threading.Event()
    Op(gone, "A job", lambda: release.wait(5)).success(answers.append).run(lane)
    gone.deleteLater()
    qtbot.waitUntil(lambda: not _alive(gone), timeout=2000)
    release.set()
    qtbot.waitUntil(lambda: lane.pending == 0, timeout=5000)
    assert answers == []


def test_a_stopped_lane_answers_nothing_more(qtbot: QtBot, owner: QWidget) -> None:
    lane = Lane("stopping")
    answers: list[object] = []
    Op(owner, "Slow", lambda: time.sleep(0.2)).success(answers.append).run(lane)
    Op(owner, "Never started", lambda: 1).success(answers.append).run(lane)
    assert lane.stop(timeout_s=5)
    Op(owner, "After the stop", lambda: 2).success(answers.append).run(lane)
    qtbot.wait(300)
    assert answers == [] and lane.pending == 0


def _alive(widget: QWidget) -> bool:
    import shiboken6

    return shiboken6.isValid(widget)
