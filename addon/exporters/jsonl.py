"""JSON lines: one exchange per line, that a person or `jq` reads, and that reads back exactly.

Every line is one JSON object, keys in this order (`?`: only sometimes present):

    {"respdeck": 1,                          the layout version, always the first key
     "exchange_id"?: "…", "capture_id"?: "…",   where it is stored (exports from a database)
     "started_at": "2025-05-01T10:00:00.123456+00:00" | null,
     "ttfb_ms": 412.5 | null, "duration_ms": 2250.0 | null,
     "aborted": false, "abort_reason": null, "closed_early": false,
     "request": {"method": "POST", "url": "https://api.openai.com/v1/responses",
                 "headers": [["content-type", "application/json"], …],
                 "json"?: {…},               the body parsed, when it is JSON
                 "text" | "base64": "…"},    the exact body
     "response": null | {"status": 200, "headers": [[name, value], …], "truncated": false,
                 "json"?: {…} | "events"?: [{…}, …],   the decoded body parsed, or each SSE
                                              data payload (parsed; as text when not JSON)
                 "text" | "base64": "…",     the exact body as received (still compressed)
                 "chunks": [[offset_ms, size], …] | null},   arrival over those bytes
     "websocket": null | [{"offset_ms": 12.5 | null, "from_client": true, "is_text": true,
                 "json"?: {…}, "text" | "base64": "…"}, …],   each message, in order
     "usage": [{"input_tokens": …, "cached_tokens": …, "output_tokens": …,
                "reasoning_tokens": …, "total_tokens": …}, …],   one per response carried
     "redacted"?: ["request.headers.authorization", "request.body", …]}   parts holding
                                              fingerprints (`fp:…`), not what was sent

Two kinds of keys. The exact ones (`text` or `base64`, headers as ordered pairs, `chunks`,
`truncated`, timings, flags) are what `addon/importers/respdeck_jsonl.py` reads back, byte for
byte: `text` when the bytes are UTF-8, else `base64` (a gzip body, binary frames). The views
(`json`, `events`, `usage`, `redacted`, the ids) are there for readers (`jq '.response.json
.output'`): derived from the exact parts by the wire core, ignored on import. That costs the
size of a body twice; proving that a view re-serialises to the very bytes would not be simpler.
Times are milliseconds since the request started; headers hold fingerprints, never a secret.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

import orjson

from addon.exporters import Format
from addon.importers.respdeck_jsonl import MARKER, VERSION
from addon.wire.exchange import FINGERPRINT_PREFIX, Exchange, Headers, WsMessage
from addon.wire.parse import parse_exchange
from addon.wire.result import ParsedExchange


def exact(data: bytes) -> dict[str, str]:
    """A body as the one key that keeps its bytes: `text` if UTF-8, else `base64`."""
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def json_view(data: bytes) -> dict[str, Any]:
    """`{"json": parsed}` for a JSON object or array body, else nothing."""
    if data.lstrip()[:1] not in (b"{", b"["):
        return {}
    try:
        return {"json": orjson.loads(data)}
    except orjson.JSONDecodeError:
        return {}


def _payload(raw: str, valid: bool) -> Any:
    if not valid:
        return raw
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw


def _response_view(exchange: Exchange, parsed: ParsedExchange) -> dict[str, Any]:
    if exchange.websocket is None and parsed.streamed:
        return {"events": [_payload(e.raw, e.valid) for e in parsed.events]}
    if parsed.body is not None:
        return {"json": parsed.body}
    return {}


def _is_fingerprint(value: str) -> bool:
    return value.startswith(FINGERPRINT_PREFIX) or value.partition(" ")[2].startswith(
        FINGERPRINT_PREFIX
    )


def redacted(exchange: Exchange) -> list[str]:
    """The parts that hold fingerprints: headers by name, and what the store marked."""
    found = [
        f"{side}.headers.{name.lower()}"
        for side, headers in (
            ("request", exchange.request.headers),
            ("response", exchange.response.headers if exchange.response else []),
        )
        for name, value in headers
        if _is_fingerprint(value)
    ]
    found.extend(getattr(exchange, "redacted", ()))  # a StoredExchange's body parts
    return list(dict.fromkeys(found))


def _pairs(headers: Headers) -> list[list[str]]:
    return [[name, value] for name, value in headers]


def _message(message: WsMessage, views: bool) -> dict[str, Any]:
    view = json_view(message.content) if views and message.is_text else {}
    return {
        "offset_ms": message.offset_ms,
        "from_client": message.from_client,
        "is_text": message.is_text,
        **view,
        **exact(message.content),
    }


def record(exchange: Exchange, parsed: ParsedExchange, *, views: bool = True) -> dict[str, Any]:
    """The line's object; `parsed` (the exchange parsed) feeds the views, and `views=False`
    leaves out the parsed bodies (`json`, `events`)."""
    request = exchange.request
    response = exchange.response
    timings = exchange.timings
    out: dict[str, Any] = {MARKER: VERSION}
    for key in ("exchange_id", "capture_id"):  # a StoredExchange's, when it is one
        if value := getattr(exchange, key, ""):
            out[key] = value
    out |= {
        "started_at": timings.started_at.isoformat() if timings.started_at else None,
        "ttfb_ms": timings.ttfb_ms,
        "duration_ms": timings.duration_ms,
        "aborted": exchange.aborted,
        "abort_reason": exchange.abort_reason,
        "closed_early": exchange.closed_early,
        "request": {
            "method": request.method,
            "url": request.url,
            "headers": _pairs(request.headers),
            **(json_view(request.body) if views else {}),
            **exact(request.body),
        },
        "response": None
        if response is None
        else {
            "status": response.status,
            "headers": _pairs(response.headers),
            "truncated": response.truncated,
            **(_response_view(exchange, parsed) if views else {}),
            **exact(response.body),
            "chunks": None if response.chunks is None else [list(c) for c in response.chunks],
        },
        "websocket": None
        if exchange.websocket is None
        else [_message(m, views) for m in exchange.websocket],
    }
    out["usage"] = [u.to_json() for u in parsed.usages]
    if marked := redacted(exchange):
        out["redacted"] = marked
    return out


def _scratch(exchange: Exchange) -> Exchange:
    """A copy to parse: parsing settles the abort flags in place, and the export must write
    them as given (and leave its caller's exchange alone)."""
    response = exchange.response
    return Exchange(
        request=replace(exchange.request),
        response=None if response is None else replace(response),
        timings=exchange.timings,
        websocket=exchange.websocket,
        aborted=exchange.aborted,
        abort_reason=exchange.abort_reason,
        closed_early=exchange.closed_early,
    )


def line(exchange: Exchange) -> bytes:
    """One exchange's line, newline included."""
    parsed = parse_exchange(_scratch(exchange))
    try:
        return orjson.dumps(record(exchange, parsed)) + b"\n"
    except TypeError:  # a view holds what orjson cannot (an integer past 64 bits): without
        return orjson.dumps(record(exchange, parsed, views=False)) + b"\n"


def chunks(exchanges: Iterable[Exchange]) -> Iterator[bytes]:
    """The file: one line per exchange, as they come."""
    for exchange in exchanges:
        yield line(exchange)


FORMAT = Format(
    "jsonl",
    ".jsonl",
    "JSON lines, one exchange per line: readable with jq, reads back exactly",
    chunks,
)
