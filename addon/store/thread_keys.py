"""What the threads view needs of each response, computed once when its rows are built.

Threads are reconstructed in SQL (the `threads` view, migration 3) from columns of `responses`:

- `previous_response_id`, `conversation_id`: explicit links, which always win.
- `content_hash`: the chained content key (addon/wire/content_key) of the turn's whole context,
  its input followed by its output: what a stateless client's next request starts with.
- `parent_hashes`: the chained key of each prefix of the request's input that ends where the
  model's items end and the client's begin (after an assistant message or a tool call, before a
  tool output or a user message), longest first, at most `MAX_PARENTS`.
- `session_key`: the client's session (`thread-id` / `session-id` headers, else
  `prompt_cache_key`): a content match across two different sessions does not link.

Request B continues response A when one of B's `parent_hashes` equals A's `content_hash`.
Storing the hash per response and a few prefix hashes per request keeps that an equality join
between two small integer columns: the view stays a hash join over the responses, with no
scan of the items and no per-item rows (a Codex session resends its whole history every turn:
storing every prefix of every request would grow with the square of the session). Only
prefixes ending at a model/client boundary can be a response's input plus output (an output
ends with the model's last item; what the client adds next is its own), and keeping several of
them lets B link to an earlier turn when the immediate one was never recorded.

WebSocket mode sends several `response.create` on one socket: each response gets the input of
the create that led to it, and a create chained by `previous_response_id` to the response just
before it on the socket continues that response's context.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from addon.wire.content_key import START, chained, content_key, in_context, produced_by_model
from addon.wire.exchange import header
from addon.wire.result import ItemRecord, ParsedExchange

MAX_PARENTS = 16  # prefix hashes kept per request: links over up to 15 unrecorded turns
SESSION_HEADERS = ("thread-id", "thread_id", "session-id", "session_id", "x-session-id")
_INPUT_ENDPOINTS = frozenset({"responses.create", "responses.websocket"})


@dataclass(slots=True)
class TurnRequest:
    """The request part of one response: the input that led to it and its explicit links."""

    inputs: list[ItemRecord] = field(default_factory=list)
    previous_response_id: str | None = None
    conversation_id: str | None = None
    prompt_cache_key: str | None = None


@dataclass(slots=True)
class TurnKeys:
    """The responses columns of one response (see the module docstring)."""

    session_key: str | None = None
    content_hash: int | None = None
    parent_hashes: list[int] = field(default_factory=list)
    new_input_position: int | None = None  # first input item of the turn's own (new) input


@dataclass(slots=True)
class ExchangeTurns:
    keys: list[TurnKeys]  # one per response, in the order of the responses rows
    item_response: list[int | None]  # per parsed.items entry: the index of its response


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _input_count(value: Any) -> int:
    """How many input items a create adds (as addon/wire/request reads `input`)."""
    if isinstance(value, str):
        return 1
    return len(value) if isinstance(value, list) else 0


def _conversation(value: Any) -> str | None:
    if isinstance(value, dict):
        return _str(value.get("id"))
    return _str(value)


def _websocket_requests(parsed: ParsedExchange, responses: int) -> list[TurnRequest]:
    """Each response's create: a create's input belongs to the next response to start (a create
    answered by an error only adds its input to the next one, which keeps them in order)."""
    inputs = iter(parsed.request.input_items)
    requests = [TurnRequest() for _ in range(responses)]
    pending: list[ItemRecord] = []
    create: dict[str, Any] = {}
    turn = -1
    for event in parsed.events:
        if event.from_client:
            data = event.data if event.type == "response.create" else None
            if isinstance(data, dict):
                create = data
                pending += itertools.islice(inputs, _input_count(data.get("input")))
        elif event.valid and (event.type == "response.created" or turn < 0):
            turn += 1  # as addon/wire/streamed.parse_websocket starts a turn
            if turn < responses:
                requests[turn] = TurnRequest(
                    pending,
                    _str(create.get("previous_response_id")),
                    _conversation(create.get("conversation")),
                    _str(create.get("prompt_cache_key")),
                )
            pending, create = [], {}
    return requests


def _requests(parsed: ParsedExchange, raws: list[dict[str, Any]]) -> list[TurnRequest]:
    if parsed.turns:
        return _websocket_requests(parsed, len(raws))
    if not raws:
        return []
    body = parsed.request.body if isinstance(parsed.request.body, dict) else {}
    inputs = parsed.request.input_items if parsed.endpoint != "responses.retrieve" else []
    return [
        TurnRequest(
            inputs,
            parsed.request.previous_response_id,
            parsed.request.conversation_id,
            _str(body.get("prompt_cache_key")),
        )
    ]


def _parents(inputs: list[Any], keys: list[str]) -> list[int]:
    """Chained hashes of the input's prefixes that end at a model/client boundary."""
    out = [
        state
        for i, state in enumerate(chained(keys))
        if produced_by_model(inputs[i])
        and (i + 1 == len(inputs) or not produced_by_model(inputs[i + 1]))
    ]
    return out[::-1][:MAX_PARENTS]


def _new_input_position(inputs: list[ItemRecord]) -> int | None:
    if not inputs:
        return None
    last = max((i for i, r in enumerate(inputs) if produced_by_model(r.raw)), default=-1)
    return inputs[min(last + 1, len(inputs) - 1)].position


def exchange_turns(parsed: ParsedExchange, raws: list[dict[str, Any]]) -> ExchangeTurns:
    """The thread keys of each response of an exchange (`raws`, in responses-row order), and
    which response each of its items belongs to."""
    requests = _requests(parsed, raws)
    session = next(
        (v for name in SESSION_HEADERS if (v := header(parsed.exchange.request.headers, name))),
        None,
    )
    with_input = parsed.endpoint in _INPUT_ENDPOINTS
    keys: list[TurnKeys] = []
    states: list[int | None] = []  # each response's context hash, for the next on a socket
    previous_id: str | None = None
    for raw, request in zip(raws, requests, strict=True):
        previous = request.previous_response_id or _str(raw.get("previous_response_id"))
        conversation = request.conversation_id or _conversation(raw.get("conversation"))
        turn = TurnKeys(
            session or request.prompt_cache_key or _str(raw.get("prompt_cache_key")),
            new_input_position=_new_input_position(request.inputs),
        )
        context = [r.raw for r in request.inputs if in_context(r.raw)]
        input_keys = [content_key(item) for item in context]
        start: int | None = START
        if previous or conversation:
            # incremental input: the whole context is known only when it continues the
            # response just before it on this socket
            start = states[-1] if previous and states and previous == previous_id else None
        elif with_input:
            turn.parent_hashes = _parents(context, input_keys)
        listed = raw.get("output")
        output = listed if isinstance(listed, list) else []
        if (
            with_input
            and request.inputs
            and start is not None
            and raw.get("object", "response") == "response"
        ):
            context_keys = input_keys + [content_key(o) for o in output if in_context(o)]
            turn.content_hash = list(chained(context_keys, start))[-1]
        states.append(turn.content_hash)
        previous_id = _str(raw.get("id"))
        keys.append(turn)
    return ExchangeTurns(keys, _item_responses(parsed, raws, requests))


def _item_responses(
    parsed: ParsedExchange, raws: list[dict[str, Any]], requests: list[TurnRequest]
) -> list[int | None]:
    """Per item, the index of the response it belongs to (None: no response)."""
    if not parsed.turns:
        owner = 0 if raws else None
        return [owner] * len(parsed.items)
    by_input = {id(r): i for i, request in enumerate(requests) for r in request.inputs}
    outputs: list[int | None] = []
    for i, raw in enumerate(raws):
        output = raw.get("output")
        outputs += [i] * (len(output) if isinstance(output, list) else 0)
    produced = [r for r in parsed.items if r.direction != "input"]
    if len(produced) != len(outputs):  # not the shape parse_websocket builds: say nothing
        outputs = [None] * len(produced)
    rest = iter(outputs)
    return [
        by_input.get(id(r)) if r.direction == "input" else next(rest, None) for r in parsed.items
    ]
