"""SQL text built by hand, quoted one way.

Queries to a live recorder go whole, as text, through `quack_query` (no bound parameters
there), and DDL such as LOAD or ATTACH takes no parameters at all; so values are inlined, and
every inlined value goes through here.
"""

from __future__ import annotations

from datetime import datetime


def sql_string(text: str) -> str:
    """The inside of a single-quoted SQL string: quotes doubled, NUL dropped."""
    return text.replace("\x00", "").replace("'", "''")


def literal(value: object) -> str:
    """A Python value as a SQL literal: NULL, booleans, numbers, timestamps, else a string
    (ids, which are UUIDs, compare to their columns as string literals)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return f"TIMESTAMPTZ '{value.isoformat()}'"
    return f"'{sql_string(str(value))}'"
