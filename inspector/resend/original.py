"""The recorded exchanges to re-send, read from the store with what decides whether they can
be: what the user named, its redacted parts, the responses it continues and their fate."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

import duckdb

from addon.store.load import StoredExchange, load_exchange
from addon.store.queries import resolve_capture, resolve_exchange, short_id
from addon.store.queries.sides import capture_exchanges_sql
from addon.store.sql_text import literal
from addon.wire.parse import parse_exchange
from addon.wire.result import ParsedExchange

from .plan import json_object, key_use
from .refuse import Facts, Previous

MAKERS = ("responses.create", "responses.compact", "responses.websocket")


@dataclass(slots=True)
class Original:
    """One recorded exchange, parsed again by the same code that stored it."""

    label: str  # as the user named it (or its short id)
    stored: StoredExchange
    parsed: ParsedExchange
    facts: Facts

    @property
    def exchange_id(self) -> str:
        return self.stored.exchange_id

    @property
    def websocket(self) -> bool:
        return self.stored.websocket is not None


def made_ids(parsed: ParsedExchange) -> list[str]:
    """The ids an exchange made, in order: its responses' (one per WebSocket turn), or a new
    conversation's. A re-run maps them, place by place, to those its re-send made."""
    if parsed.endpoint in MAKERS:
        return [i for raw in parsed.responses_raw if isinstance(i := raw.get("id"), str)]
    if parsed.endpoint == "conversations.create" and isinstance(parsed.body, dict):
        found = parsed.body.get("id")
        return [found] if isinstance(found, str) else []
    return []


def continued(parsed: ParsedExchange) -> list[str]:
    """The `previous_response_id`s a request depends on that it does not make itself (a
    WebSocket session's later turns continue its earlier ones)."""
    if parsed.exchange.websocket is None:
        found = parsed.request.previous_response_id
        return [found] if found else []
    made = set(made_ids(parsed))
    out: list[str] = []
    for message in parsed.exchange.websocket:
        body = json_object(message.content) if message.from_client else None
        if body is None or body.get("type") != "response.create":
            continue
        inner = body.get("response")
        found = (inner if isinstance(inner, dict) else body).get("previous_response_id")
        if isinstance(found, str) and found not in made and found not in out:
            out.append(found)
    return out


def previous_of(store: duckdb.DuckDBPyConnection, response_id: str) -> Previous:
    """What the store knows of a response a request continues."""
    rid = literal(response_id)
    made = store.execute(
        f"SELECT r.raw FROM responses r JOIN exchanges e USING (exchange_id) "
        f"WHERE r.response_id = {rid} AND e.position >= 0 "
        f"ORDER BY e.endpoint IN {MAKERS} DESC LIMIT 1"
    ).fetchone()
    deleted = store.execute(
        f"SELECT count(*) FROM exchanges WHERE method = 'DELETE' AND status BETWEEN 200 AND 299 "
        f"AND ends_with(path, '/responses/' || {rid})"
    ).fetchone()
    raw = json_object(str(made[0]).encode()) if made and made[0] is not None else None
    return Previous(
        response_id,
        recorded=made is not None,
        deleted=bool(deleted and deleted[0]),
        unstored=raw is not None and raw.get("store") is False,
    )


def _redacted_request(stored: StoredExchange) -> str | None:
    """The part of the request that was stored redacted, if any (a client's message of a
    WebSocket session is part of its request)."""
    messages = stored.websocket or []
    for part in stored.redacted:
        if part == "request.body":
            return "its request body"
        kind, _, index = part.partition(".")
        if (
            kind == "websocket"
            and index.isdigit()
            and int(index) < len(messages)
            and messages[int(index)].from_client
        ):
            return f"its client message #{int(index)}"
    return None


def load_original(
    store: duckdb.DuckDBPyConnection,
    name: str,
    *,
    key_available: bool,
    env: str,
    known: Set[str] = frozenset(),
    exchange_id: str | None = None,
) -> Original:
    """The exchange `name` names (an id, a prefix, a `resp_` id) and its facts. `known`: ids
    that what is re-sent before it makes again (their continuations are re-chained)."""
    if exchange_id is None:
        exchange_id = resolve_exchange(store, name)
    stored = load_exchange(store, exchange_id)
    parsed = parse_exchange(stored)
    session = short_id(stored.exchange_id)
    named_turn = (
        session
        if name.strip().lower().startswith("resp_") and stored.websocket is not None
        else None
    )
    previous = tuple(previous_of(store, p) for p in continued(parsed) if p not in known)
    facts = Facts(
        label=name,
        redacted_request=_redacted_request(stored),
        turn_of_session=named_turn,
        capture=short_id(stored.capture_id),
        previous=previous,
        recorded_key=key_use(stored.request.headers, None, env).recorded,
        key_available=key_available,
        env=env,
    )
    return Original(name, stored, parsed, facts)


def capture_ids(store: duckdb.DuckDBPyConnection, name: str) -> tuple[str, list[str]]:
    """A capture's id and its exchanges' ids, in recorded order."""
    capture = resolve_capture(store, name)
    rows = store.execute(capture_exchanges_sql(capture)).fetchall()
    return capture, [str(r[0]) for r in rows]
