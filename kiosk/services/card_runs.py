"""A run of pupil cards for the printer: choosing the pupils, issuing a card to each who
needs one (permission checked, each card with its audit event), and the faces to draw.

Issuing happens in short transactions; the caller draws the PDF after them, so a long
print run never holds the database's write lock while hand-ins are going on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kiosk import card_codec
from kiosk.db import Database
from kiosk.errors import InvalidInput, KioskError
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit, cards, settings
from kiosk.services.audit import Actor
from kiosk.services.common import require
from kiosk.services.roster_check import year_label
from kiosk.tables import Card, Pupil, Setting

ISSUE_BATCH = 200  # cards issued a transaction: ~1 s of the database's write lock at most


@dataclass(frozen=True)
class CardSelection:
    """Which pupils to print: one pupil (by id or admission number), a form, a year
    group, or everyone on roll."""

    pupil_id: int | None = None
    admission_number: str | None = None
    form: str | None = None
    year: int | None = None
    everyone: bool = False

    def describe(self) -> str:
        """For the audit log: no names."""
        if self.pupil_id is not None:
            return f"pupil #{self.pupil_id}"
        if self.admission_number is not None:
            return "one pupil"
        if self.form is not None:
            return f"form {self.form}"
        if self.year is not None:
            return year_label(self.year).lower()
        return "all pupils"


@dataclass(frozen=True)
class CardFace:
    pupil_id: int
    forename: str
    surname: str
    reg_group: str
    year_group: int
    serial: int
    text: str
    photo: bytes | None


@dataclass(frozen=True)
class CardBatch:
    school_name: str
    faces: tuple[CardFace, ...]
    issued: int  # pupils who had no card
    reissued: int  # cards replaced (old ones revoked)


@dataclass(frozen=True)
class FormGroup:
    year_group: int
    reg_group: str
    pupils: int


@dataclass(frozen=True)
class IssueCounts:
    issued: int
    reissued: int


class CardsPartlyIssued(KioskError):
    def __init__(self, done: int, total: int, *, reissue: bool) -> None:
        self.done, self.total = done, total
        if reissue:
            text = (
                f"New cards were made for {done} of {total} pupils before something went "
                "wrong, so their old cards no longer work. Nothing was printed: make the PDF "
                "again without 'new cards' to print everyone's current card."
            )
        else:
            text = (
                f"Cards were issued to {done} of {total} pupils before something went wrong. "
                "Nothing was printed: please make the PDF again."
            )
        super().__init__(text)


def forms_on_roll(sessions: Database) -> list[FormGroup]:
    """Each registration group with pupils on roll, by year then name (for choosing)."""
    with sessions() as session:
        rows = session.execute(
            select(Pupil.year_group, Pupil.reg_group, func.count())
            .where(Pupil.active.is_(True), Pupil.purged_at.is_(None))
            .group_by(Pupil.year_group, Pupil.reg_group)
            .order_by(Pupil.year_group, Pupil.reg_group)
        ).all()
    return [FormGroup(year, form, count) for year, form, count in rows]


def _on_roll() -> Select[Pupil]:
    return select(Pupil).where(Pupil.active.is_(True), Pupil.purged_at.is_(None))


def _by_admission_number(session: Session, number: str) -> list[Pupil]:
    wanted = number.strip()
    found = list(session.scalars(_on_roll().where(Pupil.admission_number == wanted)))
    if not found and wanted.isdigit():  # "1234" for "001234"
        candidates = session.scalars(_on_roll().where(Pupil.admission_number.like(f"%{wanted}")))
        found = [p for p in candidates if p.admission_number.lstrip("0") == wanted.lstrip("0")]
    return found[:1]


def _select_pupils(session: Session, selection: CardSelection) -> list[Pupil]:
    if selection.pupil_id is not None:
        pupils = list(session.scalars(_on_roll().where(Pupil.id == selection.pupil_id)))
    elif selection.admission_number is not None:
        pupils = _by_admission_number(session, selection.admission_number)
    elif selection.form is not None:
        form = selection.form.strip()
        pupils = list(
            session.scalars(_on_roll().where(func.upper(Pupil.reg_group) == form.upper()))
        )
    elif selection.year is not None:
        pupils = list(session.scalars(_on_roll().where(Pupil.year_group == selection.year)))
    elif selection.everyone:
        pupils = list(session.scalars(_on_roll()))
    else:
        raise InvalidInput("Choose a pupil, a form, a year group or everyone.")
    if not pupils:
        raise InvalidInput(f"No pupils on roll match: {selection.describe()}.")
    return sorted(
        pupils,
        key=lambda p: (p.year_group, p.reg_group, p.surname.casefold(), p.display_forename),
    )


def _worst_case_text(session: Session, pupils: Sequence[Pupil]) -> str:
    top_serial = (session.scalar(select(func.max(Card.serial))) or 1000) + len(pupils)
    return card_codec.encode(
        settings.card_secret(session),
        settings.get_value(session, "school_code"),
        max(p.id for p in pupils),
        top_serial,
    )


def _current_serials(session: Session, pupil_ids: list[int]) -> dict[int, int]:
    rows = session.execute(
        select(Card.pupil_id, Card.serial).where(
            Card.pupil_id.in_(pupil_ids), Card.revoked_at.is_(None)
        )
    )
    return {pupil_id: serial for pupil_id, serial in rows}


def _photos(session: Session, pupil_ids: list[int]) -> dict[int, bytes]:
    rows = session.execute(
        select(Pupil.id, Pupil.photo).where(Pupil.id.in_(pupil_ids), Pupil.photo.is_not(None))
    )
    return {pupil_id: photo for pupil_id, photo in rows if photo is not None}


def prepare_cards(
    sessions: Database,
    actor: Actor,
    selection: CardSelection,
    *,
    fits_on_card: Callable[[str], None],
    reissue: bool = False,
) -> CardBatch:
    """Issue a card to each selected pupil who has none (or to all of them when
    ``reissue``: new serials, old cards revoked) and gather what to print.

    ``fits_on_card`` is the printer's check of a card text (it raises InvalidInput for one
    it cannot print readably, e.g. ``kiosk.printing.cards.check_code_fits``): it is given
    the longest text this run can make, before any card is issued.

    Up to ISSUE_BATCH cards this is one transaction. A bigger run (new cards for the whole
    school) issues ISSUE_BATCH cards a transaction, so a kiosk's hand-in never waits more
    than about a second for the database; if it stops part-way, CardsPartlyIssued says how
    far it got (each card issued is complete, with its audit event)."""
    with sessions() as session:
        require(session, actor, Action.PRINT_CARDS)
        pupils = _select_pupils(session, selection)
        fits_on_card(_worst_case_text(session, pupils))
        ids = [p.id for p in pupils]
        had_card = set(_current_serials(session, ids))
    pending = [i for i in ids if reissue or i not in had_card]
    batches = [pending[i : i + ISSUE_BATCH] for i in range(0, len(pending), ISSUE_BATCH)]
    done = 0
    try:
        for batch in batches[:-1]:
            with sessions.begin() as session:
                require(session, actor, Action.PRINT_CARDS)
                _issue(session, actor, batch, reissue=reissue)
            done += len(batch)
        last = batches[-1] if batches else []
        counts = IssueCounts(
            issued=sum(1 for i in pending if i not in had_card),
            reissued=sum(1 for i in pending if i in had_card),
        )
        return _issue_and_gather(sessions, actor, selection, ids, last, counts, reissue)
    except Exception as error:
        if done == 0:
            raise
        raise CardsPartlyIssued(done, len(pending), reissue=reissue) from error


def _issue(session: Session, actor: Actor, pupil_ids: list[int], *, reissue: bool) -> None:
    # The identity map holds rows weakly: keep the settings each card reads (secret,
    # school code, audit head) loaded for the whole batch instead of a query per card.
    held_settings = list(session.scalars(select(Setting)))
    for pupil_id in pupil_ids:
        cards.issue_in(session, actor, pupil_id, reissue=reissue)
    del held_settings


def _issue_and_gather(
    sessions: Database,
    actor: Actor,
    selection: CardSelection,
    ids: list[int],
    last_batch: list[int],
    counts: IssueCounts,
    reissue: bool,
) -> CardBatch:
    with sessions.begin() as session:
        require(session, actor, Action.PRINT_CARDS)
        held_settings = list(session.scalars(select(Setting)))  # read again for every face
        _issue(session, actor, last_batch, reissue=reissue)
        by_id = {p.id: p for p in session.scalars(_on_roll().where(Pupil.id.in_(ids)))}
        pupils = [by_id[i] for i in ids if i in by_id]
        serials = _current_serials(session, ids)
        photos = _photos(session, ids)
        faces = tuple(
            _face(session, p, serials[p.id], photos.get(p.id)) for p in pupils if p.id in serials
        )
        audit.append(
            session,
            EventKind.CARDS_PRINTED,
            actor,
            pupil_id=ids[0] if len(ids) == 1 else None,
            details={
                "selection": selection.describe(),
                "cards": len(faces),
                "issued": counts.issued,
                "reissued": counts.reissued,
            },
        )
        school_name = settings.get_value(session, "school_name")
        del held_settings
    return CardBatch(school_name, faces, counts.issued, counts.reissued)


def _face(session: Session, pupil: Pupil, serial: int, photo: bytes | None) -> CardFace:
    return CardFace(
        pupil_id=pupil.id,
        forename=pupil.display_forename,
        surname=pupil.display_surname,
        reg_group=pupil.reg_group,
        year_group=pupil.year_group,
        serial=serial,
        text=cards.card_text(session, pupil.id, serial),
        photo=photo,
    )


def replace_lost_card(
    sessions: Database, actor: Actor, pupil_id: int, *, fits_on_card: Callable[[str], None]
) -> CardBatch:
    """A pupil reported their card lost: a new card for them alone (the old one stops
    working at once), its face to print singly. The report is recorded first, in its own
    short transaction, so a failed print still leaves the reason in the log."""
    with sessions.begin() as session:
        require(session, actor, Action.PRINT_CARDS)
        old = session.scalar(
            select(Card.serial).where(Card.pupil_id == pupil_id, Card.revoked_at.is_(None))
        )
        if session.get(Pupil, pupil_id) is None:
            raise InvalidInput("No such pupil.")
        audit.append(
            session,
            EventKind.CARD_REPORTED_LOST,
            actor,
            pupil_id=pupil_id,
            details={"lost_serial": old},
        )
    selection = CardSelection(pupil_id=pupil_id)
    return prepare_cards(sessions, actor, selection, fits_on_card=fits_on_card, reissue=True)
