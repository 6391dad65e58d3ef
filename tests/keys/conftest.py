"""A copy of the small school (SQLite, with its key store) for every test."""

from school_copies import engine_on_a_copy, school_on_a_copy  # noqa: F401
