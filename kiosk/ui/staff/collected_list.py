"""The columns of the "Collected" list: confiscated devices a parent or carer took home
lately, and who (kiosk.services.collected)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from kiosk.services.collected import Collection
from kiosk.ui.staff.common import pupil_search_text, when_text
from kiosk.ui.staff.models import Column, pupil_columns

LISTED_WORDS = {True: "On the list", False: "Not on the list", None: ""}


def collected_columns(_today: Callable[[], dt.date]) -> list[Column]:
    return [
        *pupil_columns(lambda c: c.pupil, with_year=False),
        Column("Collected", lambda c: when_text(c.released_at), lambda c: c.released_at),
        Column("By", lambda c: f"{c.name} ({c.relationship})"),
        Column("ID seen", lambda c: c.id_seen_as or "Yes"),
        Column("Contacts", lambda c: LISTED_WORDS[c.listed]),
        Column("Authorised by", lambda c: c.authorised_by or ""),
    ]


def collected_search(c: Collection) -> str:
    return f"{pupil_search_text(c.pupil)} {c.name} {c.relationship}"
