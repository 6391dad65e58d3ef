"""The search record form (DfE "Searching, screening and confiscation"): who, when, where,
why, what was found and what became of it, any examination of a device, and who was told.
The "do not examine" path (a suspected indecent image of a child) says so plainly and
blocks the examination fields; the services refuse them on that path too."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from kiosk.db import Database
from kiosk.services import pupils, searches
from kiosk.services.common import PupilSummary
from kiosk.services.search_form import (
    DO_NOT_EXAMINE_WORDS,
    SearchForm,
)
from kiosk.services.searches import LinkableConfiscation
from kiosk.ui.staff.common import Feedback, attempt, heading_label, pupil_line, when_text
from kiosk.ui.staff.search_items import (
    ItemsEditor,
    choices,
    line,
    select,
    text_box,
    time_edit,
    to_field,
    to_stored,
    touch_sized,
)
from kiosk.ui.style import RED, TOUCH

YES_NO = (("Not said yet", None), ("Yes", True), ("No", False))
CONSENT = (("Not said yet", None), ("With the pupil's consent", True), ("Without consent", False))
DATA_CHOICES = (
    ("Neither kept nor erased", "none"),
    ("Kept as evidence", "kept_as_evidence"),
    ("Erased", "erased"),
)


class SearchFormView(QWidget):
    """The form's fields; ``form()`` reads them as a SearchForm (None until a pupil is
    chosen), ``show_form()`` fills them from one."""

    def __init__(self, sessions: Database, feedback: Feedback, parent: QWidget | None = None):
        super().__init__(parent)
        self.sessions, self.feedback = sessions, feedback
        self.pupil: PupilSummary | None = None
        self._build_fields()
        form = QFormLayout(self)  # one form, so every label lines up
        for part in (self._who_and_where, self._why_and_what, self._examination, self._told):
            part(form)
        self._wire()
        touch_sized(self)
        self.clear()

    # -- building --------------------------------------------------------------------------

    def _build_fields(self) -> None:
        self.find_text = line("Type a name or admission number")
        self.find_button = QPushButton("Find")
        self.pupil_box = QComboBox()
        self.pupil_box.setMinimumHeight(TOUCH)
        self.pupil_box.setPlaceholderText("Find the pupil first")
        self.confiscation_box = QComboBox()
        self.confiscation_box.setMinimumHeight(TOUCH)
        self.searched_at = time_edit()
        self.place = line("e.g. Head of Year office")
        self.authorised_by = line("the headteacher, or who they authorised")
        self.searched_by = line()
        self.witness = line("a second member of staff")
        self.same_sex = choices(YES_NO)
        self.not_same_sex_reason = line("why not (required when not)")
        self.consent = choices(CONSENT)
        self.grounds = text_box("The reasonable grounds for the search")
        self.sought = text_box("What was being looked for")
        self.searched_what = text_box("e.g. outer clothing, bag, locker, the device")
        self.found_nothing = QCheckBox("Nothing was found")
        self.items = ItemsEditor()
        self.do_not_examine = QCheckBox("Suspected indecent image of a child")
        self.do_not_examine_words = QLabel(DO_NOT_EXAMINE_WORDS)
        self.do_not_examine_words.setWordWrap(True)
        self.do_not_examine_words.setStyleSheet(
            f"color: white; background: {RED}; font-weight: 700; padding: 10px;"
        )
        self.examined = QCheckBox("Data on a device was examined")
        self.examined_by = line()
        self.examination_reason = text_box("The good reason to examine it")
        self.data_outcome = choices(DATA_CHOICES)
        self.dsl_informed = QCheckBox("The DSL was told")
        self.dsl_at, self.dsl_by = time_edit(), line("who told the DSL")
        self.parents_informed = QCheckBox("Parents or carers were told")
        self.parents_at, self.parents_how = time_edit(), line("e.g. telephone, mother")

    def _who_and_where(self, form: QFormLayout) -> None:
        finder = QHBoxLayout()
        finder.addWidget(self.find_text, 1)
        finder.addWidget(self.find_button)
        form.addRow(heading_label("The search"))
        form.addRow("Pupil", finder)
        form.addRow("", self.pupil_box)
        form.addRow("Confiscation", self.confiscation_box)
        form.addRow("When", self.searched_at)
        form.addRow("Where", self.place)
        form.addRow("Authorised by", self.authorised_by)
        form.addRow("Searched by", self.searched_by)
        form.addRow("Witness", self.witness)
        form.addRow("Searcher same sex\nas the pupil", self.same_sex)
        form.addRow("", self.not_same_sex_reason)
        form.addRow("Consent", self.consent)

    def _why_and_what(self, form: QFormLayout) -> None:
        form.addRow("Grounds", self.grounds)
        form.addRow("Looked for", self.sought)
        form.addRow("What was searched", self.searched_what)
        form.addRow(heading_label("What was found"))
        form.addRow("", self.found_nothing)
        form.addRow("Items", self.items)

    def _examination(self, form: QFormLayout) -> None:
        form.addRow(heading_label("Devices"))
        form.addRow("", self.do_not_examine)
        form.addRow(self.do_not_examine_words)
        form.addRow("", self.examined)
        form.addRow("Examined by", self.examined_by)
        form.addRow("Good reason", self.examination_reason)
        form.addRow("Data", self.data_outcome)

    def _told(self, form: QFormLayout) -> None:
        form.addRow(heading_label("Who was told"))
        form.addRow("", self.dsl_informed)
        form.addRow("DSL told at", self.dsl_at)
        form.addRow("Told by", self.dsl_by)
        form.addRow("", self.parents_informed)
        form.addRow("Parents told at", self.parents_at)
        form.addRow("How", self.parents_how)

    def _wire(self) -> None:
        self.find_text.returnPressed.connect(self.find_pupil)
        self.find_button.clicked.connect(self.find_pupil)
        self.pupil_box.currentIndexChanged.connect(self._pupil_chosen)
        self.confiscation_box.currentIndexChanged.connect(lambda _i: self._update())
        for box in (self.do_not_examine, self.examined, self.found_nothing):
            box.toggled.connect(lambda _on: self._update())
        for box in (self.dsl_informed, self.parents_informed):
            box.toggled.connect(lambda _on: self._update())
        self.same_sex.currentIndexChanged.connect(lambda _i: self._update())

    # -- the pupil and the confiscation ------------------------------------------------------

    def find_pupil(self) -> None:
        job = partial(pupils.find, self.sessions, self.find_text.text(), limit=20)
        attempt(self, self.feedback, "Finding pupils", job, self._found)

    def _found(self, found: list[PupilSummary]) -> None:
        self.pupil = None
        self.confiscation_box.clear()
        self.pupil_box.clear()
        for pupil in found:
            self.pupil_box.addItem(f"{pupil.display_name} · {pupil_line(pupil)}", pupil)
        if not found:
            self.feedback.note("Nobody found: check the spelling, or try the admission number.")
        elif len(found) == 1:
            self.pupil_box.setCurrentIndex(0)
        else:
            self.feedback.note(f"{len(found)} pupils found: choose one.")

    def set_pupil(self, pupil: PupilSummary, custody_id: int | None = None) -> None:
        self.pupil_box.blockSignals(True)
        self.pupil_box.clear()
        self.pupil_box.addItem(f"{pupil.display_name} · {pupil_line(pupil)}", pupil)
        self.pupil_box.setCurrentIndex(0)
        self.pupil_box.blockSignals(False)
        self._load_confiscations(pupil, custody_id)

    def _pupil_chosen(self, _index: int) -> None:
        pupil = self.pupil_box.currentData()
        if isinstance(pupil, PupilSummary):
            self._load_confiscations(pupil, None)

    def _load_confiscations(self, pupil: PupilSummary, custody_id: int | None) -> None:
        self.pupil = pupil
        self.confiscation_box.clear()
        self.confiscation_box.addItem("Not linked to a confiscation", None)
        job = partial(searches.confiscations_of, self.sessions, pupil.id)
        attempt(
            self,
            self.feedback,
            "Loading confiscations",
            job,
            partial(self._show_confiscations, pupil.id, custody_id),
        )

    def _show_confiscations(
        self, pupil_id: int, chosen: int | None, found: list[LinkableConfiscation]
    ) -> None:
        if self.pupil is None or self.pupil.id != pupil_id:
            return  # another pupil was chosen meanwhile
        for c in found:
            flag = " · do not examine" if c.do_not_examine else ""
            words = f"No. {c.custody_id}, {when_text(c.received_at)}, {c.reason}{flag}"
            self.confiscation_box.addItem(words, c)
        for index in range(self.confiscation_box.count()):
            data = self.confiscation_box.itemData(index)
            if isinstance(data, LinkableConfiscation) and data.custody_id == chosen:
                self.confiscation_box.setCurrentIndex(index)

    def linked(self) -> LinkableConfiscation | None:
        data = self.confiscation_box.currentData()
        return data if isinstance(data, LinkableConfiscation) else None

    # -- what the fields allow -------------------------------------------------------------

    def _update(self) -> None:
        linked = self.linked()
        if linked is not None and linked.do_not_examine:
            self.do_not_examine.setChecked(True)
        self.do_not_examine.setEnabled(linked is None or not linked.do_not_examine)
        blocked = self.do_not_examine.isChecked()
        self.do_not_examine_words.setVisible(blocked)
        if blocked:
            self.examined.setChecked(False)
            self.examined_by.clear()
            self.examination_reason.clear()
            select(self.data_outcome, "none")
        self.examined.setEnabled(not blocked)
        examined = self.examined.isChecked() and not blocked
        for widget in (self.examined_by, self.examination_reason, self.data_outcome):
            widget.setEnabled(examined)
        self.not_same_sex_reason.setEnabled(self.same_sex.currentData() is False)
        self.items.setEnabled(not self.found_nothing.isChecked())
        self.dsl_at.setEnabled(self.dsl_informed.isChecked())
        self.dsl_by.setEnabled(self.dsl_informed.isChecked())
        self.parents_at.setEnabled(self.parents_informed.isChecked())
        self.parents_how.setEnabled(self.parents_informed.isChecked())

    # -- reading and filling -----------------------------------------------------------------

    def form(self) -> SearchForm | None:
        if self.pupil is None:
            return None
        linked, examined = self.linked(), self.examined.isChecked()
        dsl, parents = self.dsl_informed.isChecked(), self.parents_informed.isChecked()
        return SearchForm(
            pupil_id=self.pupil.id,
            custody_id=linked.custody_id if linked else None,
            searched_at=to_stored(self.searched_at.dateTime()),
            place=self.place.text(),
            authorised_by=self.authorised_by.text(),
            searched_by=self.searched_by.text(),
            witness=self.witness.text(),
            same_sex=self.same_sex.currentData(),
            not_same_sex_reason=self.not_same_sex_reason.text(),
            consent=self.consent.currentData(),
            grounds=self.grounds.toPlainText(),
            sought=self.sought.toPlainText(),
            searched_what=self.searched_what.toPlainText(),
            found_nothing=self.found_nothing.isChecked(),
            items=() if self.found_nothing.isChecked() else self.items.items(),
            do_not_examine=self.do_not_examine.isChecked(),
            examined=examined,
            examined_by=self.examined_by.text() if examined else "",
            examination_reason=self.examination_reason.toPlainText() if examined else "",
            data_outcome=str(self.data_outcome.currentData()) if examined else "none",
            dsl_informed_at=to_stored(self.dsl_at.dateTime()) if dsl else None,
            dsl_informed_by=self.dsl_by.text() if dsl else "",
            parents_informed_at=to_stored(self.parents_at.dateTime()) if parents else None,
            parents_informed_how=self.parents_how.text() if parents else "",
        )

    def clear(self) -> None:
        self.pupil = None
        self.pupil_box.clear()
        self.confiscation_box.clear()
        self.find_text.clear()
        blank = SearchForm(pupil_id=0)
        self._fill(blank)

    def show_form(self, pupil: PupilSummary, form: SearchForm) -> None:
        self.set_pupil(pupil, form.custody_id)
        self._fill(form)

    def _fill(self, form: SearchForm) -> None:
        self.searched_at.setDateTime(to_field(form.searched_at))
        for edit, text in (
            (self.place, form.place),
            (self.authorised_by, form.authorised_by),
            (self.searched_by, form.searched_by),
            (self.witness, form.witness),
            (self.not_same_sex_reason, form.not_same_sex_reason),
            (self.examined_by, form.examined_by),
            (self.dsl_by, form.dsl_informed_by),
            (self.parents_how, form.parents_informed_how),
        ):
            edit.setText(text)
        for box, text in (
            (self.grounds, form.grounds),
            (self.sought, form.sought),
            (self.searched_what, form.searched_what),
            (self.examination_reason, form.examination_reason),
        ):
            box.setPlainText(text)
        select(self.same_sex, form.same_sex)
        select(self.consent, form.consent)
        select(self.data_outcome, form.data_outcome)
        self.found_nothing.setChecked(form.found_nothing)
        self.items.set_items(form.items)
        self.do_not_examine.setChecked(form.do_not_examine)
        self.examined.setChecked(form.examined)
        self.dsl_informed.setChecked(form.dsl_informed_at is not None)
        self.dsl_at.setDateTime(to_field(form.dsl_informed_at))
        self.parents_informed.setChecked(form.parents_informed_at is not None)
        self.parents_at.setDateTime(to_field(form.parents_informed_at))
        self._update()
