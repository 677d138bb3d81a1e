"""From what a user types to one exchange id: a unique id prefix, or a response id.

Ids are UUIDs (a short prefix tells them apart, as with git's commits) or, in older
databases, BIGINTs; either way they are compared as text here, since a string that is not a
whole UUID cannot be compared with a UUID column at all.
"""

from __future__ import annotations

import re
from typing import Protocol

import duckdb

from ..db import StoreError
from ..sql_text import literal

MIN_PREFIX = 4  # hex characters a prefix needs (a whole BIGINT id may be shorter)
CANDIDATES = 5  # ids named when a prefix is ambiguous
SHORT = 8  # hex characters of a short id
_HEX = re.compile(r"[0-9a-f]+")
_JUMP = re.compile(r"\s*(?:id:\s*(\S+)|(resp_\S+))\s*", re.IGNORECASE)


class UnknownId(StoreError):
    """No exchange has that id prefix or response id."""


class AmbiguousId(StoreError):
    """More than one exchange starts with that prefix; the message names a few."""


class _Runs(Protocol):
    def execute(self, sql: str) -> duckdb.DuckDBPyConnection: ...


def short_id(exchange_id: object) -> str:
    """The first 8 hex digits of an id: what the list, the detail and `check` show, and what
    `resolve_exchange` takes back."""
    return str(exchange_id).replace("-", "")[:SHORT]


def _normal(text: str) -> str:
    return text.strip().lower().replace("-", "")


def resolve_exchange_sql(text: str) -> str:
    """Candidate exchange ids for `text`, best first, at most CANDIDATES + 1, as
    (exchange_id text, exact). A response id (`resp_...`) gives the exchanges holding that
    response, the one that made it (create, WebSocket) first; else `text` is an id or an id
    prefix: hyphens optional, any case."""
    raw = text.strip()
    limit = CANDIDATES + 1
    if raw.lower().startswith("resp_"):
        return f"""
            SELECT e.exchange_id::VARCHAR AS exchange_id, true AS exact
            FROM responses r JOIN exchanges e USING (exchange_id)
            WHERE r.response_id = {literal(raw)}
            GROUP BY ALL
            ORDER BY bool_or(e.endpoint IN ('responses.create', 'responses.websocket')) DESC,
                     min(e.started_at) NULLS LAST, 1
            LIMIT {limit}
        """
    norm = _normal(raw)
    if not _HEX.fullmatch(norm):
        norm = ""  # matches nothing: not an id
    key = "replace(lower(exchange_id::VARCHAR), '-', '')"
    match = f"{key} = {literal(norm)}"
    if len(norm) >= MIN_PREFIX:
        match = f"starts_with({key}, {literal(norm)})"
    return f"""
        SELECT exchange_id::VARCHAR AS exchange_id, {key} = {literal(norm)} AS exact
        FROM exchanges WHERE {match}
        ORDER BY exact DESC, started_at NULLS LAST, 1
        LIMIT {limit}
    """


def resolve_exchange(reader: _Runs, text: str) -> str:
    """The one exchange `text` names (see `resolve_exchange_sql`) through a Reader or one of
    its cursors; UnknownId or AmbiguousId, one line each, when it names none or several."""
    rows = reader.execute(resolve_exchange_sql(text)).fetchall()
    shown = text.strip()
    if not rows:
        if not shown.lower().startswith("resp_") and len(_normal(shown)) < MIN_PREFIX:
            raise UnknownId(
                f"no exchange {shown!r}: give at least {MIN_PREFIX} hex digits of its id"
            )
        raise UnknownId(f"no exchange has the id or response id {shown!r}")
    if rows[0][1] or len(rows) == 1:
        return str(rows[0][0])
    names = ", ".join(str(r[0]) for r in rows[:CANDIDATES])
    more = ", …" if len(rows) > CANDIDATES else ""
    raise AmbiguousId(f"{shown!r} is the start of several exchange ids: {names}{more}")


def resolve_capture_sql(text: str) -> str:
    """Captures whose id starts with `text` (hyphens optional, any case), best first."""
    norm = _normal(text)
    key = "replace(lower(capture_id::VARCHAR), '-', '')"
    return (
        f"SELECT capture_id::VARCHAR, {key} = {literal(norm)} AS exact FROM captures "
        f"WHERE starts_with({key}, {literal(norm)}) ORDER BY exact DESC, started_at, 1 "
        f"LIMIT {CANDIDATES + 1}"
    )


def resolve_capture(reader: _Runs, text: str) -> str:
    """The one capture `text` names by a unique id prefix; UnknownId or AmbiguousId."""
    shown = text.strip()
    if len(_normal(shown)) < MIN_PREFIX or not _HEX.fullmatch(_normal(shown)):
        raise UnknownId(f"no capture {shown!r}: give at least {MIN_PREFIX} hex digits of its id")
    rows = reader.execute(resolve_capture_sql(shown)).fetchall()
    if not rows:
        raise UnknownId(f"no capture has an id starting {shown!r}")
    if rows[0][1] or len(rows) == 1:
        return str(rows[0][0])
    names = ", ".join(str(r[0]) for r in rows[:CANDIDATES])
    raise AmbiguousId(f"{shown!r} is the start of several capture ids: {names}")


def jump_target(where: str) -> str | None:
    """What a filter `id:PREFIX` or a pasted `resp_...` names (None: an ordinary filter)."""
    found = _JUMP.fullmatch(where)
    if found is None:
        return None
    return found.group(1) or found.group(2)
