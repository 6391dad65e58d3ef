"""Pupil cards: print for one pupil, a form, a year group or everyone, optionally as new
cards (the old ones then stop working). The PDF goes to the exports folder and can be
opened from here to print."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.config import Config
from kiosk.db import Database
from kiosk.printing import cards as card_sheet
from kiosk.services import card_runs, pupils
from kiosk.services.card_runs import CardBatch, CardSelection, FormGroup
from kiosk.services.common import PupilSummary
from kiosk.services.roster_check import year_label
from kiosk.services.staff import StaffMember
from kiosk.ui.admin.common import AdminPage, Jobs, button, export_path, selected, touch
from kiosk.ui.staff.common import attempt
from kiosk.ui.staff.models import Column, RowsModel, make_table
from kiosk.ui.widgets.document_bar import DocumentBar

SCOPES = ("One pupil", "A form", "A year group", "Everyone")


class CardsPage(AdminPage):
    def __init__(self, sessions: Database, staff: StaffMember, config: Config) -> None:
        super().__init__(sessions, staff)
        self.config = config
        self.scope_group = QButtonGroup(self)
        scopes = QHBoxLayout()
        self.scope_buttons: list[QPushButton] = []
        for index, text in enumerate(SCOPES):
            choice = button(text)
            choice.setCheckable(True)
            self.scope_group.addButton(choice, index)
            scopes.addWidget(choice)
            self.scope_buttons.append(choice)
        self.scope_group.idClicked.connect(self.set_scope)

        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Name, form or admission number")
        touch(self.search_box)
        self.search_box.textChanged.connect(self._search)
        self.pupils_model = RowsModel(
            [
                Column("Name", lambda p: p.display_name),
                Column("Form", lambda p: p.reg_group),
                Column("Admission no.", lambda p: p.admission_number),
            ]
        )
        self.pupils_view = make_table(self.pupils_model, row_height=48)
        self.lost_button = button("Card lost: print a new one", None, self.replace_lost)
        pupil_page = QWidget()
        pupil_layout = QVBoxLayout(pupil_page)
        pupil_layout.setContentsMargins(0, 0, 0, 0)
        pupil_layout.addWidget(self.search_box)
        pupil_layout.addWidget(self.pupils_view, 1)
        pupil_layout.addWidget(self.lost_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.form_combo = QComboBox()
        self.year_combo = QComboBox()
        for combo in (self.form_combo, self.year_combo):
            touch(combo)
        self.choices = QStackedWidget()
        self.choices.addWidget(pupil_page)
        self.choices.addWidget(_top_aligned(self.form_combo))
        self.choices.addWidget(_top_aligned(self.year_combo))
        self.choices.addWidget(_top_aligned(QLabel("Every pupil on roll, in year and form order.")))

        self.reissue = QCheckBox("New cards: the pupils' current cards stop working")
        touch(self.reissue, 48)
        self.make_button = button("Make cards PDF", "primary", self.make_pdf)
        self.saved = DocumentBar(full_path=True)
        self.jobs = Jobs(self.feedback, [self.make_button, self.lost_button])

        bottom = QHBoxLayout()
        bottom.addWidget(self.reissue, 1)
        bottom.addWidget(self.make_button)
        layout = self.headed(
            "Pupil cards",
            "Cards are bank-card size (CR80), ten to an A4 page, with the pupil's photo, "
            "a QR code for the kiosk camera and a barcode for USB scanners. Pupils without "
            "a card get one; print on card stock and cut along the marks.",
        )
        layout.addLayout(scopes)
        layout.addWidget(self.choices, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.feedback)
        layout.addWidget(self.saved)
        self.reload_choices()
        self.scope_buttons[1].setChecked(True)
        self.set_scope(1)

    def reload_choices(self) -> None:
        attempt(
            self,
            self.feedback,
            "Loading forms",
            lambda: card_runs.forms_on_roll(self.sessions),
            self._show_choices,
        )

    def _show_choices(self, forms: list[FormGroup]) -> None:
        self.form_combo.clear()
        for form in forms:
            self.form_combo.addItem(f"{form.reg_group}  ({_pupils(form.pupils)})", form.reg_group)
        self.year_combo.clear()
        years: dict[int, int] = {}
        for form in forms:
            years[form.year_group] = years.get(form.year_group, 0) + form.pupils
        for year, count in years.items():
            self.year_combo.addItem(f"{year_label(year)}  ({_pupils(count)})", year)

    def set_scope(self, index: int) -> None:
        self.choices.setCurrentIndex(index)
        if index == 0:
            self._search(self.search_box.text())

    def _search(self, text: str) -> None:
        attempt(
            self,
            self.feedback,
            "Pupil search",
            lambda: pupils.search(self.sessions, text, limit=100),
            self.pupils_model.set_rows,
        )

    def selection(self) -> CardSelection | None:
        scope = self.scope_group.checkedId()
        if scope == 0:
            pupil: PupilSummary | None = selected(self.pupils_view, self.pupils_model)
            return CardSelection(pupil_id=pupil.id) if pupil else None
        if scope == 1:
            form = self.form_combo.currentData()
            return CardSelection(form=form) if form else None
        if scope == 2:
            year = self.year_combo.currentData()
            return CardSelection(year=int(year)) if year is not None else None
        return CardSelection(everyone=True)

    def make_pdf(self) -> None:
        selection = self.selection()
        if selection is None:
            self.feedback.error("Choose a pupil, a form or a year group first.")
            return
        reissue = self.reissue.isChecked()
        if reissue and not self.confirm(
            self,
            "New cards",
            f"Make new cards for {selection.describe()}? Their current cards will stop "
            "working at once, so hand the new cards out straight away.",
        ):
            self.feedback.note("Nothing was changed.")
            return
        out = export_path(self.config, f"cards-{selection.describe()}")
        sessions, actor = self.sessions, self.staff.actor

        def make_cards() -> tuple[CardBatch, int]:
            batch = card_runs.prepare_cards(
                sessions, actor, selection, fits_on_card=card_sheet.check_code_fits, reissue=reissue
            )
            return batch, card_sheet.write_card_sheet(batch, out)

        self.saved.setVisible(False)
        self.jobs.start(
            "Printing cards",
            "Making the cards…",
            make_cards,
            lambda made: self._printed(out, *made),
        )

    def replace_lost(self) -> None:
        """The chosen pupil lost their card: a new one, printed on its own; the old one
        is refused at the kiosk from now on."""
        pupil: PupilSummary | None = selected(self.pupils_view, self.pupils_model)
        if pupil is None:
            self.feedback.error("Choose the pupil whose card is lost first.")
            return
        if not self.confirm(
            self,
            "Card lost",
            f"Print a new card for {pupil.display_name}? The lost card stops working at once.",
        ):
            self.feedback.note("Nothing was changed.")
            return
        out = export_path(self.config, f"card-{pupil.admission_number}")
        sessions, actor, pupil_id = self.sessions, self.staff.actor, pupil.id

        def make_card() -> tuple[CardBatch, int]:
            batch = card_runs.replace_lost_card(
                sessions, actor, pupil_id, fits_on_card=card_sheet.check_code_fits
            )
            return batch, card_sheet.write_card_sheet(batch, out)

        self.saved.setVisible(False)
        self.jobs.start(
            "Replacing a lost card",
            "Making the card…",
            make_card,
            lambda made: self._printed(out, *made),
        )

    def _printed(self, path: Path, batch: CardBatch, pages: int) -> None:
        self.reissue.setChecked(False)
        cards = len(batch.faces)
        self.feedback.ok(
            f"{cards} card{'s' if cards != 1 else ''} on {pages} "
            f"page{'s' if pages != 1 else ''}: {batch.issued} new, "
            f"{batch.reissued} replaced."
        )
        self.saved.show_path(path)


def _pupils(count: int) -> str:
    return f"{count} pupil{'s' if count != 1 else ''}"


def _top_aligned(widget: QWidget) -> QWidget:
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(widget)
    layout.addStretch(1)
    return holder
