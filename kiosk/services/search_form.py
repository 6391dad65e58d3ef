"""What a search record says, and what makes one acceptable: pure checks, no database.

A draft may be incomplete, but never says what a final record may not (data erased when
the police are involved, a device examined on the "do not examine" path). A final record
is complete: the DfE guidance's who, when, where, why, what was found and what became of
it, and the DSL told."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields, replace
from typing import Any

from kiosk.tables import DataOutcome, ItemOutcome

NAME_MAX, TEXT_MAX, ITEM_MAX, ITEMS_MAX = 120, 4000, 200, 30
FUTURE_SLACK = dt.timedelta(minutes=5)
_ITEM_OUTCOMES = frozenset(o.value for o in ItemOutcome)
_DATA_OUTCOMES = frozenset(o.value for o in DataOutcome)
_POLICE = re.compile(r"\bpolice\b", re.IGNORECASE)

DO_NOT_EXAMINE_WORDS = (
    "Suspected indecent image of a child: do not view, copy, print, share or delete it. "
    "Do not examine the device. Keep it secure and pass it to the DSL at once; the DSL "
    "involves the police."
)


@dataclass(frozen=True)
class FoundItem:
    description: str
    outcome: str  # an ItemOutcome value


@dataclass(frozen=True)
class SearchForm:
    """A search record as typed. Times are stored times (naive UTC)."""

    pupil_id: int
    custody_id: int | None = None
    searched_at: dt.datetime | None = None
    place: str = ""
    authorised_by: str = ""
    searched_by: str = ""
    witness: str = ""
    same_sex: bool | None = None
    not_same_sex_reason: str = ""
    consent: bool | None = None
    grounds: str = ""
    sought: str = ""
    searched_what: str = ""
    found_nothing: bool = False
    items: tuple[FoundItem, ...] = ()
    do_not_examine: bool = False
    examined: bool = False
    examined_by: str = ""
    examination_reason: str = ""
    data_outcome: str = DataOutcome.NONE.value
    dsl_informed_at: dt.datetime | None = None
    dsl_informed_by: str = ""
    parents_informed_at: dt.datetime | None = None
    parents_informed_how: str = ""

    def tidied(self) -> SearchForm:
        """Spaces trimmed, items with no description dropped."""
        changes: dict[str, Any] = {
            f.name: getattr(self, f.name).strip()
            for f in fields(self)
            if isinstance(getattr(self, f.name), str)
        }
        changes["items"] = tuple(
            FoundItem(" ".join(i.description.split()), i.outcome)
            for i in self.items
            if i.description.strip()
        )
        return replace(self, **changes)


@dataclass(frozen=True)
class LinkedDevice:
    """The confiscation a search record is linked to, as far as the checks need it."""

    pupil_id: int
    do_not_examine: bool
    handed_to_police: bool
    suspected_offence: bool


def refusals(form: SearchForm, now: dt.datetime, linked: LinkedDevice | None) -> list[str]:
    """What no record may say, draft or final."""
    found = []
    if linked is not None and linked.pupil_id != form.pupil_id:
        found.append("That confiscated device is another pupil's.")
    found += _sizes(form)
    found += _times(form, now)
    if any(i.outcome not in _ITEM_OUTCOMES for i in form.items):
        found.append("Say what happened to each item: kept, returned, police or disposed of.")
    if form.data_outcome not in _DATA_OUTCOMES:
        found.append("Say whether data was kept as evidence, erased, or neither.")
    found += _examination(form, linked)
    if form.data_outcome == DataOutcome.ERASED and _police_involved(form, linked):
        found.append(
            "Data cannot be recorded as erased when the police are involved or an offence "
            "is suspected: it may be evidence. Keep it, and hand the device to the police."
        )
    return found


def missing(form: SearchForm) -> list[str]:
    """What a final record needs that ``form`` lacks."""
    needed = [
        (form.searched_at is not None, "the date and time of the search"),
        (bool(form.place), "where it took place"),
        (bool(form.authorised_by), "who authorised it"),
        (bool(form.searched_by), "who searched"),
        (form.same_sex is not None, "whether the searcher was the same sex as the pupil"),
        (form.consent is not None, "whether the pupil consented"),
        (bool(form.grounds), "the grounds for the search"),
        (bool(form.sought), "what was being looked for"),
        (bool(form.searched_what), "what was searched"),
        (form.found_nothing or bool(form.items), "what was found (or that nothing was)"),
        (
            form.dsl_informed_at is not None and bool(form.dsl_informed_by),
            "when the DSL was told, and by whom",
        ),
    ]
    lacking = [words for present, words in needed if not present]
    found = [f"Please add {', '.join(lacking)}."] if lacking else []
    if form.same_sex is False and not form.not_same_sex_reason:
        found.append("Say why the searcher was not the same sex as the pupil.")
    if form.examined and not (form.examined_by and form.examination_reason):
        found.append("Say who examined the data on the device, and the good reason for it.")
    return found


def _sizes(form: SearchForm) -> list[str]:
    found = []
    names = [form.place, form.authorised_by, form.searched_by, form.witness, form.examined_by]
    names += [form.dsl_informed_by, form.parents_informed_how]
    if any(len(name) > NAME_MAX for name in names):
        found.append(f"Names and places are at most {NAME_MAX} characters.")
    texts = (form.grounds, form.sought, form.searched_what, form.examination_reason)
    if any(len(text) > TEXT_MAX for text in (*texts, form.not_same_sex_reason)):
        found.append(f"A description is at most {TEXT_MAX} characters.")
    if len(form.items) > ITEMS_MAX or any(len(i.description) > ITEM_MAX for i in form.items):
        found.append(f"At most {ITEMS_MAX} items, each described in {ITEM_MAX} characters.")
    if form.found_nothing and form.items:
        found.append("The record says nothing was found, and lists items: which is it?")
    return found


def _times(form: SearchForm, now: dt.datetime) -> list[str]:
    times = (form.searched_at, form.dsl_informed_at, form.parents_informed_at)
    found = []
    if any(t is not None and t > now + FUTURE_SLACK for t in times):
        found.append("A time on the record is in the future.")
    if (form.parents_informed_at is None) != (not form.parents_informed_how):
        found.append("Say both when the parents were told and how (or neither).")
    return found


def _examination(form: SearchForm, linked: LinkedDevice | None) -> list[str]:
    examination = form.examined or form.examined_by or form.examination_reason
    if (form.do_not_examine or (linked is not None and linked.do_not_examine)) and (
        examination or form.data_outcome != DataOutcome.NONE
    ):
        return [
            "This is the do-not-examine path (a suspected indecent image of a child): "
            "nothing on the device is examined, kept or erased by the school."
        ]
    if linked is not None and linked.do_not_examine and not form.do_not_examine:
        return ["The device was confiscated as do-not-examine: the record must say so."]
    if not form.examined and (examination or form.data_outcome != DataOutcome.NONE):
        return ["Data can be recorded as examined, kept or erased only when it was examined."]
    return []


def _police_involved(form: SearchForm, linked: LinkedDevice | None) -> bool:
    if linked is not None and (linked.handed_to_police or linked.suspected_offence):
        return True
    if any(item.outcome == ItemOutcome.POLICE for item in form.items):
        return True
    words = (form.grounds, form.sought, form.examination_reason, form.searched_what)
    return any(_POLICE.search(text) for text in (*words, *(i.description for i in form.items)))
