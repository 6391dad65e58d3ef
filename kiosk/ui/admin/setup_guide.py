"""Setting up a real school from the admin panel: the **Setup** section lists the steps in
order with what the records show for each (done, skipped, to do), and a guided run walks
through them on the panel's own pages (Staff, Settings, Slots...), with a bar above the
page saying which step this is, **Skip** and **Done: next**. Where the records cannot
tell whether a step is done (the times, say), "Done" is the admin's word for it, kept as a
setting (``services.setup``), so a setup can stop here and go on later, on any kiosk."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from kiosk.db import Database
from kiosk.services import setup
from kiosk.services.setup import SetupStatus, StepState
from kiosk.services.staff import StaffMember
from kiosk.ui.admin.common import Feedback, button, hint, title
from kiosk.ui.staff.common import attempt
from kiosk.ui.style import GREEN, GREY

# Each step on the panel's page that does it.
STEP_SECTIONS = {
    "first_admin": "Staff",
    "school": "Settings",
    "slots": "Slots",
    "labels": "Slot labels",
    "times": "Settings",
    "roster": "Roster import",
    "photos": "Photos",
    "cards": "Pupil cards",
}
# What to do on that page, when the page does more than the step.
STEP_HINTS = {
    "first_admin": "Add the office and senior staff too (each chooses a PIN).",
    "school": "Type the school's name and its code for the cards, then Save.",
    "slots": "Add the slot numbers; a cabinet letter groups them. Electronic locker "
    "banks are wired and mapped with 'kiosk lockers map' (README: Electronic locker banks); "
    "their faults show in the console's Lockers tab.",
    "times": "Set when hand-in and collection open and close, then Save.",
    "roster": "Choose the MIS export, check the preview, then Import.",
    "cards": "Print the whole school (All pupils), or a form at a time.",
}
STATE_COLOURS = {StepState.DONE: GREEN, StepState.SKIPPED: GREY, StepState.TO_DO: "#b45309"}
READY = "The pupil screen takes scans: it has slots and pupils."
NOT_READY = "The pupil screen says 'not set up yet' until there are slots and pupils."


class SetupOverview(QWidget):
    """The steps, what is done, and a way into each (``step_chosen``) or into a guided run
    from the first step not done (``guide_requested``)."""

    step_chosen = Signal(str)
    guide_requested = Signal()

    def __init__(self, sessions: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sessions = sessions
        self.status: SetupStatus | None = None
        self.feedback = Feedback()
        self.readiness = QLabel("")
        self.readiness.setWordWrap(True)
        self.start = button("Start the setup", "primary", self.guide_requested.emit)
        self.rows = QGridLayout()
        self.rows.setColumnStretch(1, 1)
        self.states: dict[str, QLabel] = {}
        for row, step in enumerate(setup.STEPS):
            name = QLabel(f"{row + 1}. {step.title}")
            name.setStyleSheet("font-weight: 700;")
            state = QLabel("")
            state.setWordWrap(True)
            self.states[step.key] = state
            self.rows.addWidget(name, row, 0)
            self.rows.addWidget(state, row, 1)
            self.rows.addWidget(
                button("Open", on_click=partial(self.step_chosen.emit, step.key)), row, 2
            )
        top = QHBoxLayout()
        top.addWidget(self.readiness, 1)
        top.addWidget(self.start)
        layout = QVBoxLayout(self)
        layout.addWidget(title("Setting up the school"))
        layout.addLayout(top)
        layout.addWidget(self.feedback)
        layout.addLayout(self.rows)
        layout.addWidget(
            hint(
                "Each step is on its own admin page too; the setup only puts them in order. "
                "'kiosk setup' lists the same steps at the command line."
            )
        )
        layout.addStretch(1)

    def reload(self) -> None:
        attempt(
            self,
            self.feedback,
            "Reading the setup",
            partial(setup.status, self.sessions),
            self.show_status,
        )

    def show_status(self, status: SetupStatus) -> None:
        self.status = status
        self.readiness.setText(READY if status.ready else NOT_READY)
        for item in status.steps:
            words = item.state.value.capitalize()
            if item.detail:
                words += f": {item.detail}"
            label = self.states[item.step.key]
            label.setText(words)
            label.setStyleSheet(f"color: {STATE_COLOURS[item.state]};")
        unfinished = status.next_to_do() is not None
        self.start.setText("Go on with the setup" if unfinished else "Go through the steps again")


class SetupBar(QWidget):
    """Above the page during a guided run: which step, what to do, Skip, Done: next."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel("")
        self.heading.setStyleSheet("font-size: 19px; font-weight: 800;")
        self.words = QLabel("")
        self.words.setWordWrap(True)
        self.feedback = Feedback()
        self.lockers = button("Lockers tab")  # the console's page for locker banks
        self.all_steps = button("All steps")
        self.skip = button("Skip")
        self.next = button("Done: next", "primary")
        texts = QVBoxLayout()
        texts.setSpacing(2)
        texts.addWidget(self.heading)
        texts.addWidget(self.words)
        texts.addWidget(self.feedback)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addLayout(texts, 1)
        layout.addWidget(self.lockers)
        layout.addWidget(self.all_steps)
        layout.addWidget(self.skip)
        layout.addWidget(self.next)
        self.setStyleSheet("SetupBar { background: #e0f2fe; }")
        self.setVisible(False)


class SetupGuide:
    """Walks the panel through the steps: ``show_section(title)`` shows one of its pages."""

    def __init__(
        self,
        sessions: Database,
        staff: StaffMember,
        overview: SetupOverview,
        show_section: Callable[[str], None],
    ) -> None:
        self.sessions, self.staff, self.overview = sessions, staff, overview
        self.show_section = show_section
        self.bar = SetupBar()
        self.step: str | None = None
        # The console's tabs, when the panel is in the console: the slots step links to
        # the Lockers tab (locker banks have their own page; the setup does not copy it).
        self.open_tab: Callable[[str], object] | None = None
        self.bar.lockers.clicked.connect(lambda _c=False: self._open_lockers())
        self.bar.all_steps.clicked.connect(lambda _c=False: self.stop())
        self.bar.skip.clicked.connect(lambda _c=False: self.finish_step(setup.Mark.SKIPPED))
        self.bar.next.clicked.connect(lambda _c=False: self.finish_step(setup.Mark.DONE))
        overview.guide_requested.connect(lambda: self.start())
        overview.step_chosen.connect(self.start)

    @property
    def running(self) -> bool:
        return self.step is not None

    def start(self, key: str | None = None) -> None:
        """From step ``key``, or the first step not done (the first of all when every step
        is done or skipped)."""

        def begin(status: SetupStatus) -> None:
            self._show(key or status.next_to_do() or setup.STEP_KEYS[0], status)

        self._read(begin)

    def stop(self, words: str = "") -> None:
        self.step = None
        self.bar.setVisible(False)
        self.show_section("Setup")
        if words:
            self.overview.feedback.ok(words)

    def finish_step(self, mark: setup.Mark) -> None:
        """Skip, or Done (the admin's word, where the records do not show it done), then
        the next step not done."""
        step = self.step
        if step is None:
            return
        actor, sessions = self.staff.actor, self.sessions

        def record() -> SetupStatus:
            state = setup.status(sessions).of(step).state
            if state is StepState.TO_DO or (mark is setup.Mark.DONE and state is StepState.SKIPPED):
                setup.mark_step(sessions, actor, step, mark)
            return setup.status(sessions)

        attempt(
            self.bar,
            self.bar.feedback,
            "Recording the setup step",
            record,
            partial(self._after, step),
        )

    def _after(self, step: str, status: SetupStatus) -> None:
        following = status.next_to_do(after=step)
        if following is None:
            done = all(item.state is StepState.DONE for item in status.steps)
            self.stop(
                "Setup finished."
                if done
                else "The last step is behind you: the list shows what was skipped."
            )
            self.overview.show_status(status)
            return
        self._show(following, status)

    def _open_lockers(self) -> None:
        if self.open_tab is not None:
            self.open_tab("Lockers")

    def _read(self, then: Callable[[SetupStatus], None]) -> None:
        attempt(
            self.bar,
            self.overview.feedback,
            "Reading the setup",
            partial(setup.status, self.sessions),
            then,
        )

    def _show(self, key: str, status: SetupStatus) -> None:
        self.step = key
        item = status.of(key)
        number = setup.STEP_KEYS.index(key) + 1
        self.bar.heading.setText(f"Setup, step {number} of {len(setup.STEPS)}: {item.step.title}")
        done = f" Done: {item.detail}." if item.detail else ""
        self.bar.words.setText(f"{STEP_HINTS.get(key, item.step.what)}{done}")
        self.bar.feedback.clear()
        self.bar.lockers.setVisible(key == "slots" and self.open_tab is not None)
        self.bar.setVisible(True)
        self.show_section(STEP_SECTIONS[key])
