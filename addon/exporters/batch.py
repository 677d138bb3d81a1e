"""The Batch API input file: recorded create requests, to run again in bulk.

One line per `POST …/responses` create with a JSON object body, other exchanges skipped (and a
body with nothing but `stream`, the request an SSE file's import makes up):

    {"custom_id": "…", "method": "POST", "url": "/v1/responses", "body": {…}}

`body` is the recorded request body (content-decoded if it was sent compressed) without
`stream` and `stream_options`: a Batch request does not stream. `custom_id` is the stored
exchange's id when the exchange comes from a database, else `request-N`, N its place among the
exchanges exported (what Batch's own examples use): the same exchanges give the same ids. The
Batch output file answers per `custom_id`, so the ids are unique within the file (a repeat gets
`#2`, `#3`…). There is no response, timing or header here: that is the Batch API's form.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from addon.exporters import Format
from addon.wire.decoding import BodyDecoder
from addon.wire.endpoints import classify
from addon.wire.exchange import Exchange, HttpRequest, header

URL = "/v1/responses"
DROPPED = ("stream", "stream_options")  # Batch requests do not stream


def _decoded(request: HttpRequest) -> bytes | None:
    """The body as the client meant it (None when its Content-Encoding cannot be undone)."""
    decoder = BodyDecoder(header(request.headers, "content-encoding"))
    if decoder.unsupported:
        return None
    data = decoder.feed(request.body) + decoder.close()
    return None if decoder.error else data


def create_body(exchange: Exchange) -> dict[str, Any] | None:
    """The body of a Responses create as a Batch line carries it; None when the exchange is
    not one (another endpoint, a WebSocket, a body that is not a JSON object or is empty)."""
    request = exchange.request
    if exchange.websocket is not None or classify(request.method, request.path) != (
        "responses.create"
    ):
        return None
    data = _decoded(request)
    if not data:
        return None
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(body, dict):
        return None
    kept = {key: value for key, value in body.items() if key not in DROPPED}
    return kept or None  # nothing to run: the `{"stream": true}` an SSE file's import makes up


def _custom_id(exchange: Exchange, position: int, seen: set[str]) -> str:
    base = str(getattr(exchange, "exchange_id", "") or f"request-{position}")
    found, repeat = base, 1
    while found in seen:
        repeat += 1
        found = f"{base}#{repeat}"
    seen.add(found)
    return found


def _dumps(line: dict[str, Any]) -> bytes:
    """Compact JSON, non-ASCII text as itself (escaped only where a lone surrogate, which
    UTF-8 cannot hold, was sent escaped)."""
    try:
        return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(line, separators=(",", ":")).encode("ascii")


def chunks(exchanges: Iterable[Exchange]) -> Iterator[bytes]:
    """The file: one line per create, in order."""
    seen: set[str] = set()
    for position, exchange in enumerate(exchanges):
        body = create_body(exchange)
        if body is None:
            continue
        line = {
            "custom_id": _custom_id(exchange, position, seen),
            "method": "POST",
            "url": URL,
            "body": body,
        }
        yield _dumps(line) + b"\n"


FORMAT = Format(
    "batch",
    ".jsonl",
    "Batch API input: each recorded create as a request line, without streaming",
    chunks,
)
