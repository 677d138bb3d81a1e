"""What a cassette's recordings say about each stored response and conversation (pure).

The Responses API keeps state: a response can be retrieved, resumed, listed, cancelled and
deleted; a conversation gathers items. A recording holds that state only as the traffic that
built it, so this reads it back: for each response id, its states in recorded order (the
create's answer, each poll, a resumed stream's final), its stream events by sequence number,
its input, a recorded listing of it, and what it continues; for each conversation, its
object, the items each exchange added, whole listings, and which exchanges changed it. Parsed
once per cassette, on the first request that needs state (`addon.wire.parse`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from addon.wire.endpoints import query_params
from addon.wire.exchange import Exchange
from inspector.diff.request_key import normalize_path

from .listing import full_listing, with_ids
from .meaning import json_object

if TYPE_CHECKING:  # the parser (and openai's models) load with the first request on state
    from addon.wire.result import ParsedExchange

TERMINAL = frozenset({"completed", "failed", "incomplete", "cancelled"})


@dataclass(frozen=True, slots=True)
class Event:
    """One recorded stream event: its SSE name, the data payload as sent, its arrival."""

    seq: int
    name: str | None
    raw: str
    t_ms: float | None


@dataclass(slots=True)
class ResponseFacts:
    id: str
    states: list[dict[str, Any]] = field(default_factory=list)  # response objects, in order
    events: dict[int, Event] = field(default_factory=dict)  # by sequence number
    input: list[Any] = field(default_factory=list)  # the create's input, as sent
    listed: list[dict[str, Any]] | None = None  # a recorded whole input_items listing
    previous: str | None = None
    conversation: str | None = None
    background: bool = False
    stored: bool = True  # created with `store: false`, the API keeps nothing to retrieve
    cancelled: dict[str, Any] | None = None  # a recorded cancel's answer

    def final(self) -> dict[str, Any] | None:
        """The last state the recordings reached: the last terminal one, else the last."""
        done = [s for s in self.states if s.get("status") in TERMINAL]
        found = done or self.states
        return found[-1] if found else None


@dataclass(slots=True)
class ConversationFacts:
    id: str
    object: dict[str, Any] | None = None
    added: list[tuple[int, list[dict[str, Any]]]] = field(default_factory=list)  # by exchange
    listed: list[tuple[int, list[dict[str, Any]]]] = field(default_factory=list)  # oldest first
    effects: set[int] = field(default_factory=set)  # exchanges that changed it

    def known_items(self) -> list[dict[str, Any]]:
        """Every item the recordings show, oldest first: the last whole listing, else all
        that was added."""
        if self.listed:
            return list(self.listed[-1][1])
        return [item for _, items in self.added for item in items]


@dataclass(slots=True)
class Facts:
    responses: dict[str, ResponseFacts] = field(default_factory=dict)
    conversations: dict[str, ConversationFacts] = field(default_factory=dict)

    def response(self, rid: str) -> ResponseFacts:
        return self.responses.setdefault(rid, ResponseFacts(rid))

    def conversation(self, cid: str) -> ConversationFacts:
        return self.conversations.setdefault(cid, ConversationFacts(cid))


def path_ids(path: str) -> list[str]:
    """The ids in a normalised path: `/v1/conversations/c/items/i` gives `[c, i]`."""
    parts = [p for p in path.split("/") if p]
    return [p for n, p in enumerate(parts[2:], 2) if n % 2 == 0]


def _conversation_id(value: Any) -> str | None:
    value = value.get("id") if isinstance(value, dict) else value
    return value if isinstance(value, str) else None


def _events(parsed: ParsedExchange) -> dict[int, Event]:
    return {
        e.sequence_number: Event(e.sequence_number, e.sse_event or e.type, e.raw, e.t_ms)
        for e in parsed.events
        if e.sequence_number is not None and e.valid and not e.from_client
    }


def _body(parsed: ParsedExchange) -> Any:
    return parsed.body if parsed.body is not None else parsed.response_raw


def _add_create(facts: Facts, index: int, parsed: ParsedExchange, request: dict[str, Any]) -> None:
    raw = parsed.response_raw or (parsed.body if isinstance(parsed.body, dict) else None)
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        return
    found = facts.response(raw["id"])
    found.states.append(raw)
    for seq, event in _events(parsed).items():
        found.events.setdefault(seq, event)
    value = request.get("input")
    found.input = [value] if isinstance(value, str) else list(value or [])
    previous = request.get("previous_response_id")
    found.previous = previous if isinstance(previous, str) else None
    found.conversation = _conversation_id(request.get("conversation"))
    found.background = request.get("background") is True or raw.get("background") is True
    found.stored = request.get("store") is not False and raw.get("store") is not False
    if found.conversation:
        conversation = facts.conversation(found.conversation)
        output = [i for i in raw.get("output") or [] if isinstance(i, dict)]
        conversation.added.append((index, [*found.input, *output]))
        conversation.effects.add(index)


def _add(facts: Facts, index: int, exchange: Exchange) -> None:
    """What one successful HTTP exchange says (see the module docstring)."""
    from addon.wire.parse import parse_exchange

    parsed = parse_exchange(exchange)
    endpoint, request = parsed.endpoint, parsed.request
    body = request.body if isinstance(request.body, dict) else {}
    ids = path_ids(normalize_path(exchange.request.path))
    answer = _body(parsed)
    if endpoint == "responses.create":
        _add_create(facts, index, parsed, body)
    elif endpoint == "responses.retrieve" and ids:
        found = facts.response(ids[0])
        if isinstance(parsed.response_raw, dict):
            found.states.append(parsed.response_raw)
        for seq, event in _events(parsed).items():
            found.events.setdefault(seq, event)
    elif endpoint == "responses.cancel" and ids and isinstance(answer, dict):
        facts.response(ids[0]).cancelled = answer
    elif endpoint == "responses.input_items" and ids:
        listing = full_listing(answer, query_params(exchange.request.query))
        if listing is not None:
            facts.response(ids[0]).listed = listing
    elif endpoint.startswith("conversations."):
        _add_conversation(facts, index, endpoint, ids, body, answer, exchange)


def _add_conversation(
    facts: Facts,
    index: int,
    endpoint: str,
    ids: Sequence[str],
    body: dict[str, Any],
    answer: Any,
    exchange: Exchange,
) -> None:
    if endpoint == "conversations.create":
        if not isinstance(answer, dict) or not isinstance(answer.get("id"), str):
            return
        found = facts.conversation(answer["id"])
        found.object = answer
        found.added.append((index, list(body.get("items") or [])))
        found.effects.add(index)
        return
    if not ids:
        return
    found = facts.conversation(ids[0])
    if endpoint == "conversations.items.create" and isinstance(answer, dict):
        found.added.append((index, [i for i in answer.get("data") or [] if isinstance(i, dict)]))
        found.effects.add(index)
    elif endpoint == "conversations.items.list":
        listing = full_listing(answer, query_params(exchange.request.query))
        if listing is not None:
            found.listed.append((index, listing))
    elif endpoint in ("conversations.retrieve", "conversations.update") and isinstance(
        answer, dict
    ):
        found.object = answer
        if endpoint == "conversations.update":
            found.effects.add(index)
    elif endpoint == "conversations.items.delete":
        found.effects.add(index)


def _add_websocket(facts: Facts, exchange: Exchange) -> None:
    """A WebSocket session's responses: each turn's final, with the input its create sent."""
    from addon.wire.parse import parse_exchange

    parsed = parse_exchange(exchange)
    creates = []
    for message in exchange.websocket or []:
        if message.from_client:
            data = json_object(message.content)
            if data is not None and data.get("type") == "response.create":
                creates.append(data)
    for n, (_, raw) in enumerate(parsed.turns):
        if isinstance(raw.get("id"), str):
            found = facts.response(raw["id"])
            found.states.append(raw)
            sent = creates[n] if n < len(creates) else {}
            value = sent.get("input")
            found.input = [value] if isinstance(value, str) else list(value or [])
            previous = sent.get("previous_response_id")
            found.previous = previous if isinstance(previous, str) else None


def _name_items(facts: Facts) -> None:
    """Ids for the items added without one, from the conversation's listings by content, in
    recorded order (so two equal messages get the two listed ids)."""
    for conversation in facts.conversations.values():
        known = [item for _, listing in conversation.listed for item in listing]
        flat = [item for _, items in conversation.added for item in items]
        named = with_ids(flat, conversation.id, known)
        at = 0
        for n, (index, items) in enumerate(conversation.added):
            conversation.added[n] = (index, named[at : at + len(items)])
            at += len(items)


def build_facts(http: Sequence[Exchange], websockets: Sequence[Exchange] = ()) -> Facts:
    """The facts of a cassette: `http` indexes are the exchange numbers effects refer to."""
    facts = Facts()
    for index, exchange in enumerate(http):
        if exchange.response is not None and 200 <= exchange.response.status < 300:
            _add(facts, index, exchange)
    for exchange in websockets:
        _add_websocket(facts, exchange)
    _name_items(facts)
    return facts
