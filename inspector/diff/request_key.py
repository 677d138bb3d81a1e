"""What request matching compares, shared by the replay server (which recording answers) and
the capture diff (which exchanges of two runs pair): a request normalised (host, an Azure-style
prefix, query order and JSON key order gone) and how alike two requests are."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from addon.importers import SYNTHETIC_HEADER
from addon.wire.canonical import canonical_json, canonical_text
from addon.wire.exchange import Exchange

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
