"""Search records as staff would fill them in, for the tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from kiosk.services.search_form import FoundItem, SearchForm

SEARCHED_AT = dt.datetime(2026, 11, 20, 10, 30)  # a Friday morning, UTC
NOW = dt.datetime(2026, 11, 20, 12, 0)


def complete_form(pupil_id: int, **changes: Any) -> SearchForm:
    """A search that found a vape, kept by the school; DSL and parents told (after the
    search: ``searched_at`` moves those times with it)."""
    at = changes.get("searched_at") or SEARCHED_AT
    form = SearchForm(
        pupil_id=pupil_id,
        searched_at=at,
        place="Head of Year office",
        authorised_by="Mrs Head (headteacher)",
        searched_by="Mr Senior",
        witness="Ms Office",
        same_sex=True,
        consent=True,
        grounds="Seen passing a vape to another pupil at break",
        sought="A vape",
        searched_what="Blazer pockets and school bag",
        items=(FoundItem("Blue vape pen", "kept"),),
        dsl_informed_at=at + dt.timedelta(minutes=20),
        dsl_informed_by="Mr Senior",
        parents_informed_at=at + dt.timedelta(hours=1),
        parents_informed_how="telephone, mother",
    )
    return replace(form, **changes)
