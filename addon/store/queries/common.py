"""Pieces every read query shares: the token fields, and ids inlined as literals."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from ..sql_text import literal

# The usage counts of a response, as the responses table and the usage view name them, and
# the short names `respdeck usage` and its screen show them under.
TOKEN_FIELDS = (
    "input_tokens",
    "cached_tokens",
    "output_tokens",
    "reasoning_tokens",
    "total_tokens",
)
TOKEN_LABELS = {
    "input_tokens": "input",
    "cached_tokens": "cached",
    "output_tokens": "output",
    "reasoning_tokens": "reasoning",
    "total_tokens": "total",
}


def ids_of(value: object) -> str:
    """An id as Python holds it: `str`, whether the column is a UUID or a BIGINT."""
    return str(value)


def by_id(column: str, exchange_id: object) -> str:
    """`column = '<id>'`: a string literal compares with a UUID and a BIGINT column alike."""
    return f"{column} = {literal(ids_of(exchange_id))}"


def id_list(ids: Iterable[object]) -> str:
    """`('<id>', ...)` for IN; `(NULL)` when empty (matches nothing)."""
    inner = ", ".join(literal(ids_of(i)) for i in ids)
    return f"({inner or 'NULL'})"


def in_ids(ids: Sequence[object] | None, column: str = "exchange_id") -> str:
    """`AND column IN (...)`, or nothing when `ids` is None (every exchange)."""
    return "" if ids is None else f"AND {column} IN {id_list(ids)}"


def normal_row(names: Sequence[str], row: Sequence[object]) -> dict[str, object]:
    """A result row as a dict, ids as `str` (UUID or BIGINT in the database)."""
    return {n: _id_text(n, v) for n, v in zip(names, row, strict=True)}


def _id_text(name: str, value: object) -> object:
    if isinstance(value, uuid.UUID):
        return str(value)
    if name.endswith("_id") and isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # an older database's BIGINT id
    return value
