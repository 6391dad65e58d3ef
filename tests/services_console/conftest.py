from __future__ import annotations

import datetime as dt

import pytest

from services_console.days import TODAY, at
from services_console.school_template import engine, school  # noqa: F401


@pytest.fixture
def now() -> dt.datetime:
    return at(TODAY, 15, 30)
