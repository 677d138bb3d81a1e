"""What parsing one exchange yields: typed events, items, the final Response, usage, findings."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import BaseModel

from .endpoints import response_id_in_path
from .exchange import Exchange
from .findings import Finding

MAX_DEPTH = 1024  # orjson's limit: JSON nested deeper is bad input, not parsed


class TooDeep(ValueError):
    """JSON nested deeper than MAX_DEPTH levels: bad input, a `json_invalid` finding that says
    so (Python's json would raise RecursionError a little deeper; nothing real comes near)."""

    def __init__(self) -> None:
        super().__init__(f"nested deeper than {MAX_DEPTH} levels")


def too_deep(exc: orjson.JSONDecodeError) -> bool:
    """Whether orjson refused a document for its depth (then json must not try it)."""
    return str(exc).startswith("depth limit exceeded")


def loads(data: str | bytes) -> Any:
    """orjson, falling back to json for what orjson refuses (NaN, huge integers).

    Raises ValueError for what is not JSON, TooDeep (a ValueError) for JSON nested deeper
    than MAX_DEPTH levels."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if too_deep(exc):
            raise TooDeep() from None
    try:
        return json.loads(data)
    except RecursionError:
        raise TooDeep() from None


@dataclass(slots=True)
class StreamEvent:
    """One stream event: an SSE data payload or a WebSocket message.

    Keeps the payload text exactly as received; `data` and `model` are rebuilt from it on
    demand (parsing already validated it once), which keeps a long stream small in memory.
    """

    index: int
    t_ms: float | None  # arrival since request start (the chunk that completed it)
    type: str | None  # current name (old aliases mapped); None when the JSON is invalid
    sequence_number: int | None
    raw: str  # the payload as received (cut at 64 KiB only when it is not valid JSON)
    valid: bool  # a JSON object
    sse_event: str | None = None  # the SSE `event:` field, when sent
    from_client: bool = False  # WebSocket messages the client sent
    # (output_index, item_id, content_index, delta) as sent, taken while the parsed dict
    # existed: the store's event columns, without parsing the payload again
    columns: tuple[Any, Any, Any, Any] | None = None
    _model: BaseModel | None = None

    @property
    def data(self) -> Any:
        """The parsed JSON object (None when the payload is not one)."""
        return loads(self.raw) if self.valid else None

    @property
    def model(self) -> BaseModel | None:
        """The typed openai model (or Unknown); None for invalid payloads and client messages."""
        if self._model is None and self.valid and not self.from_client:
            from .models import type_payload

            self._model = type_payload(self.data)[1].model
        return self._model

    def keep_model(self, model: BaseModel) -> None:
        self._model = model

    def get(self, key: str) -> Any:
        data = self.data
        return data.get(key) if isinstance(data, dict) else None


@dataclass(slots=True)
class ItemRecord:
    """An input or output item with the columns people filter on, plus the typed model."""

    direction: str  # input (in the request), output (of a response), listed (in a list body)
    position: int
    type: str | None
    model: BaseModel
    raw: Any
    id: str | None = None
    role: str | None = None
    status: str | None = None
    call_id: str | None = None
    name: str | None = None
    text: str | None = None  # plain text for search


@dataclass(slots=True)
class Usage:
    input_tokens: int | None = None
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int | None = None
    total_tokens: int | None = None

    def to_json(self) -> dict[str, int | None]:
        return {
            "input_tokens": self.input_tokens,
            "cached_tokens": self.cached_tokens,
            "output_tokens": self.output_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "total_tokens": self.total_tokens,
        }


def usage_of(raw: Any) -> Usage | None:
    """A response's `usage` object as a Usage (None when it has none)."""
    if not isinstance(raw, dict):
        return None
    input_details = raw.get("input_tokens_details")
    output_details = raw.get("output_tokens_details")
    input_details = input_details if isinstance(input_details, dict) else {}
    output_details = output_details if isinstance(output_details, dict) else {}
    return Usage(
        input_tokens=_int(raw.get("input_tokens")),
        cached_tokens=_int(input_details.get("cached_tokens")),
        cache_write_tokens=_int(input_details.get("cache_write_tokens")),
        output_tokens=_int(raw.get("output_tokens")),
        reasoning_tokens=_int(output_details.get("reasoning_tokens")),
        total_tokens=_int(raw.get("total_tokens")),
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(slots=True)
class ErrorInfo:
    """An API error, from an HTTP error body, an in-stream error event or response.error."""

    source: str  # http, stream, response
    message: str | None
    code: str | None = None
    type: str | None = None
    param: str | None = None


@dataclass
class RequestView:
    """The request body and query, with the parts that matter typed."""

    body: Any = None  # parsed JSON body (None when empty or not JSON)
    query: dict[str, list[str]] = field(default_factory=dict)
    model: str | None = None
    stream: bool = False
    previous_response_id: str | None = None
    conversation_id: str | None = None
    input_was_string: bool = False
    input_items: list[ItemRecord] = field(default_factory=list)
    tools: list[BaseModel] = field(default_factory=list)
    reasoning: BaseModel | None = None
    text: BaseModel | None = None
    include: list[str] = field(default_factory=list)


@dataclass
class ParsedExchange:
    exchange: Exchange
    endpoint: str
    request: RequestView
    streamed: bool = False
    events: list[StreamEvent] = field(default_factory=list)
    body: Any = None  # parsed JSON of a non-streamed response body
    object: BaseModel | None = None  # typed body: Response, CompactedResponse, Conversation...
    response: BaseModel | None = None  # the final Response (accumulated for streams)
    response_raw: dict[str, Any] | None = None
    partial: bool = False  # a stream with no terminal event: `response` is what arrived
    # WebSocket mode: one (response, raw) per response.create on the socket
    turns: list[tuple[BaseModel, dict[str, Any]]] = field(default_factory=list)
    items: list[ItemRecord] = field(default_factory=list)
    usage: Usage | None = None
    error: ErrorInfo | None = None
    findings: list[Finding] = field(default_factory=list)
    unknown_types: Counter[str] = field(default_factory=Counter)

    @property
    def responses_raw(self) -> list[dict[str, Any]]:
        """Every response object the exchange carries: one per WebSocket turn, else the one
        (`usage` and `response_raw` are the last one's)."""
        if self.turns:
            return [raw for _, raw in self.turns]
        return [self.response_raw] if self.response_raw is not None else []

    @property
    def usages(self) -> list[Usage]:
        """The usage of each of those responses: what an exchange's tokens add up."""
        return [u for raw in self.responses_raw if (u := usage_of(raw.get("usage"))) is not None]

    @property
    def status(self) -> int | None:
        return self.exchange.response.status if self.exchange.response else None

    @property
    def response_id(self) -> str | None:
        if self.response_raw and isinstance(found := self.response_raw.get("id"), str):
            return found
        body = self.body
        if (
            isinstance(body, dict)
            and isinstance(found := body.get("id"), str)
            and body.get("object") in ("response", "response.compaction")
        ):
            return found
        return response_id_in_path(self.exchange.request.path)

    @property
    def model(self) -> str | None:
        if self.response_raw and isinstance(found := self.response_raw.get("model"), str):
            return found
        if isinstance(self.body, dict) and isinstance(found := self.body.get("model"), str):
            return found
        return self.request.model

    @property
    def output_text(self) -> str | None:
        """The final response's output_text parts joined with newlines (SDK convenience)."""
        raw = self.response_raw
        if raw is None and isinstance(self.body, dict) and "output" in self.body:
            raw = self.body
        if raw is None:
            return None
        texts = [
            part.get("text", "")
            for item in raw.get("output") or []
            if isinstance(item, dict) and item.get("type") == "message"
            for part in item.get("content") or []
            if isinstance(part, dict) and part.get("type") == "output_text"
        ]
        return "\n".join(t for t in texts if isinstance(t, str)) if texts else None
