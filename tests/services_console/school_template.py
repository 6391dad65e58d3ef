"""The staff-console folders' tests start from a copy of the small demo school built once
per run (see school_copies.py): building it takes over a second, copying it milliseconds."""

from school_copies import engine_on_a_copy as engine
from school_copies import school_on_a_copy as school

__all__ = ["engine", "school"]
