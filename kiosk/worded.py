"""Values with words: a kind stored as its value (in the audit log, on a pupil's row) and
shown to people in words that may be reworded freely."""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class WordedEnum(StrEnum):
    """A StrEnum whose members are declared as ``NAME = "value", "words"``."""

    words: str

    def __new__(cls, value: str, words: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.words = words
        return member
