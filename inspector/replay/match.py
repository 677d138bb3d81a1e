"""Which recorded exchange answers an incoming request: pure functions plus a round-robin pick.

Keys normalise what never matters (host, an Azure-style prefix, query order, JSON key order);
what else is left out (volatile fields, ids, user ignore paths) is `meaning`'s job, which
builds the keys HTTP matching compares. Tiers: `exact` (method, path, query and body agree),
then `synthetic` (a recording whose request the importer made up stands for any request of
its route and stream flag). A WebSocket session is chosen leniently (`lenient`): also the
recording whose first message agrees best (`similar`) or the only one on the path (`only`),
since an agent's first message changes from run to run.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
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


def candidates(
    pool: Sequence[RequestKey], incoming: RequestKey, lenient: bool = False
) -> tuple[list[int], str]:
    """Indexes into `pool` that answer `incoming` equally well, in pool order, and the tier
    that found them: `exact`, with `lenient` also `similar` and `only` (sole recording of
    that method and path), then `synthetic` (recordings whose request was made up), or
    `none`."""
    same = [
        i for i, k in enumerate(pool) if k.method == incoming.method and k.path == incoming.path
    ]
    if not same:
        return [], "none"
    exact = [i for i in same if pool[i].query == incoming.query and pool[i].body == incoming.body]
    if exact:
        return exact, "exact"
    if lenient:
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
    """Candidates plus the one stateful part: equal candidates are served in recorded order,
    so a background response polled several times replays its states, and a recorded retry
    (a stream, then a 429 for the same body) replays in turn. `links` (a recording's
    `previous_response_id` and `conversation`, as sent) narrow equal candidates to those
    continuing the same state as the request, when any does."""

    def __init__(self, keys: Sequence[RequestKey], links: Sequence[Hashable] = ()) -> None:
        self.keys = list(keys)
        self.links = list(links) or [None] * len(self.keys)
        self._by_route: dict[tuple[str, str], list[int]] = {}
        for i, key in enumerate(self.keys):
            self._by_route.setdefault((key.method, key.path), []).append(i)
        self._turns: dict[tuple[int, ...], int] = {}
        self._lock = threading.Lock()

    def route(self, method: str, path: str) -> list[int]:
        """Indexes of the recordings of one method and path, in recorded order."""
        return list(self._by_route.get((method, path), []))

    def candidates(self, incoming: RequestKey, lenient: bool = False) -> tuple[list[int], str]:
        """Like `candidates()`, over the recordings of the same method and path only."""
        route = self._by_route.get((incoming.method, incoming.path), [])
        found, tier = candidates([self.keys[i] for i in route], incoming, lenient)
        return [route[i] for i in found], tier

    def pick(
        self,
        incoming: RequestKey,
        *,
        link: Hashable = None,
        cycle: bool = True,
        lenient: bool = False,
        allowed: Callable[[int], bool] | None = None,
    ) -> tuple[int | None, str]:
        """The index of the recording to serve now (None when nothing matches), and the tier.
        Without `cycle`, a group served to the end answers None (tier `exhausted`): what
        comes after the recorded polls is the state's to say. `allowed` vets candidates."""
        found, tier = self.candidates(incoming, lenient)
        if allowed is not None:
            found = [i for i in found if allowed(i)]
        if not found:
            return None, tier if tier == "none" else "refused"
        linked = [i for i in found if link is not None and self.links[i] == link]
        group = tuple(linked or found)
        with self._lock:
            turn = self._turns.get(group, 0)
            if not cycle and turn >= len(group):
                return None, "exhausted"
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
