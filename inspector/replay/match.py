"""Which recorded exchange answers an incoming request: pure functions plus a round-robin pick.

Replay must work when a client's requests are not byte-identical to the recorded ones (another
host, an Azure-style prefix, query parameters in another order, JSON keys reordered, a prompt
that changed a little), yet never answer a streaming call with a JSON body or vice versa.
So matching goes in tiers: exact (method, path, query, JSON body), then the recordings whose
comparable fields (model, input, other top-level keys, query parameters) agree best, then the
only recording of that method and path (or ones whose request the importer made up).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from addon.importers import SYNTHETIC_HEADER
from addon.wire.canonical import canonical_json, canonical_text
from addon.wire.exchange import Exchange, WsMessage

# Fields a client is most likely to keep when it re-sends a recorded call, heaviest first.
PRIMARY_FIELDS = ("input", "model")

Query = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class RequestKey:
    """What matching compares: a request with host, prefix, key order and query order gone."""

    method: str
    path: str
    query: Query = ()
    body: bytes = b""  # canonical JSON (sorted keys) when the body is JSON, else the raw bytes
    fields: Mapping[str, Any] = field(default_factory=dict)  # top-level JSON keys, if an object
    stream: bool = False
    synthetic: bool = False  # the importer made this request up: it can stand for any request

    def describe(self) -> str:
        """`POST /v1/responses (model gpt-4o, stream)`, for logs and 404 messages."""
        extra = []
        if isinstance(self.fields.get("model"), str):
            extra.append(f"model {self.fields['model']}")
        if self.stream:
            extra.append("stream")
        query = "?" + "&".join(f"{k}={v}" for k, v in self.query) if self.query else ""
        return f"{self.method} {self.path}{query}" + (f" ({', '.join(extra)})" if extra else "")


def normalize_path(path: str) -> str:
    """Path from `/v1` on (any host, any prefix such as `/openai`); `/v1` is added when absent,
    so a recording of a local server (`/responses`) and a client of it still agree."""
    path = urlsplit(path).path if "://" in path else path.split("?", 1)[0]
    path = "/" + path.strip("/")
    at = (path + "/").find("/v1/")
    return path[at:] if at >= 0 else "/v1" + (path if path != "/" else "")


def normalize_query(query: str) -> Query:
    """Query pairs sorted, `name[]` read as `name`, so order and array spelling do not matter."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return tuple(sorted((k.removesuffix("[]"), v) for k, v in pairs))


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return value is True


def request_key(
    method: str, url: str, body: bytes = b"", headers: Sequence[tuple[str, str]] = ()
) -> RequestKey:
    """Normalize one request (recorded or incoming) for comparison.

    `url` may be a full URL or a request target (`/v1/responses?x=1`).
    """
    split = urlsplit(url)
    query = normalize_query(split.query)
    fields: Mapping[str, Any] = {}
    canonical = bytes(body)
    if body.strip():
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            data = None
        else:
            canonical = canonical_json(data)
        if isinstance(data, dict):
            fields = data
    stream = _truthy(fields.get("stream")) or any(k == "stream" and _truthy(v) for k, v in query)
    synthetic = any(k.lower() == SYNTHETIC_HEADER for k, _ in headers)
    return RequestKey(
        method.upper(), normalize_path(split.path), query, canonical, fields, stream, synthetic
    )


def recording_key(exchange: Exchange) -> RequestKey:
    """The key of a recording; a WebSocket session is keyed by its first client message
    (method `WS`), which is what tells several sessions on one path apart."""
    request = exchange.request
    if exchange.websocket is None:
        return request_key(request.method, request.url, request.body, request.headers)
    first = next((m.content for m in exchange.websocket if m.from_client), b"")
    return request_key("WS", request.url, first)


def similarity(recorded: RequestKey, incoming: RequestKey) -> tuple[int, ...] | None:
    """How alike two requests of the same method and path are; None when they must not match.

    A different stream flag never matches (an SSE body to a JSON call breaks any client). The
    score orders by: input equal, model equal, other equal fields and query pairs minus
    differing ones. None too when nothing comparable agrees.
    """
    if recorded.stream != incoming.stream:
        return None
    a, b = recorded.fields, incoming.fields
    primary = [
        int(k in a and k in b and canonical_text(a[k]) == canonical_text(b[k]))
        for k in PRIMARY_FIELDS
    ]
    others = (set(a) | set(b)) - {*PRIMARY_FIELDS, "stream"}
    equal = sum(
        1 for k in others if k in a and k in b and canonical_text(a[k]) == canonical_text(b[k])
    )
    q_a, q_b = set(recorded.query), set(incoming.query)
    equal_q = len(q_a & q_b - {("stream", "true")})
    if not any(primary) and not equal_q:
        return None
    differ = len(others) - equal + len(q_a ^ q_b)
    return (*primary, equal + equal_q - differ)


def candidates(pool: Sequence[RequestKey], incoming: RequestKey) -> tuple[list[int], str]:
    """Indexes into `pool` that answer `incoming` equally well, in pool order, and the tier
    that found them: `exact`, `similar`, `only` (sole recording of that method and path),
    `synthetic` (recordings whose request was made up), or `none`."""
    same = [
        i for i, k in enumerate(pool) if k.method == incoming.method and k.path == incoming.path
    ]
    if not same:
        return [], "none"
    exact = [i for i in same if pool[i].query == incoming.query and pool[i].body == incoming.body]
    if exact:
        return exact, "exact"
    scores = {i: similarity(pool[i], incoming) for i in same}
    ranked = {i: s for i, s in scores.items() if s is not None}
    if ranked:
        best = max(ranked.values())
        return [i for i in same if ranked.get(i) == best], "similar"
    if len(same) == 1:
        return same, "only"
    synthetic = [i for i in same if pool[i].synthetic and pool[i].stream == incoming.stream]
    if synthetic:
        return synthetic, "synthetic"
    return [], "none"


class Matcher:
    """Candidates plus the one stateful part: equal candidates are served round-robin in
    recorded order, so a background response polled several times replays its states, and a
    recorded retry (a stream, then a 429 for the same body) replays in turn."""

    def __init__(self, keys: Sequence[RequestKey]) -> None:
        self.keys = list(keys)
        self._by_route: dict[tuple[str, str], list[int]] = {}
        for i, key in enumerate(self.keys):
            self._by_route.setdefault((key.method, key.path), []).append(i)
        self._turns: dict[tuple[int, ...], int] = {}
        self._lock = threading.Lock()

    def candidates(self, incoming: RequestKey) -> tuple[list[int], str]:
        """Like `candidates()`, over the recordings of the same method and path only."""
        route = self._by_route.get((incoming.method, incoming.path), [])
        found, tier = candidates([self.keys[i] for i in route], incoming)
        return [route[i] for i in found], tier

    def pick(self, incoming: RequestKey) -> tuple[int | None, str]:
        """The index of the recording to serve now (None when nothing matches), and the tier."""
        found, tier = self.candidates(incoming)
        if not found:
            return None, tier
        group = tuple(found)
        with self._lock:
            turn = self._turns.get(group, 0)
            self._turns[group] = turn + 1
        return group[turn % len(group)], tier


def ws_turns(messages: Sequence[WsMessage]) -> tuple[list[WsMessage], list[WsMessage]]:
    """(server messages sent before any client message, the client messages) of a session."""
    first = next((i for i, m in enumerate(messages) if m.from_client), len(messages))
    return list(messages[:first]), [m for m in messages if m.from_client]


def ws_replies(
    messages: Sequence[WsMessage], turn: int
) -> tuple[WsMessage | None, list[WsMessage]]:
    """The `turn`-th client message and the server messages that followed it."""
    seen, client, replies = -1, None, []
    for message in messages:
        if message.from_client:
            seen += 1
            if seen > turn:
                break
            client = message if seen == turn else client
        elif seen == turn:
            replies.append(message)
    return client, replies
