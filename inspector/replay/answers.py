"""Answers made for a request rather than recorded: JSON objects, resumed event streams and the
API's errors, as HTTP responses the server sends like recorded ones.

Each carries `x-respdeck-replay: state`, so a reader of the traffic can tell an answer the
recording implies from one it holds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from addon.wire.exchange import HttpResponse

from .facts import Event
from .miss import error_body

MADE = ("x-respdeck-replay", "state")


def json_response(obj: Any, status: int = 200) -> HttpResponse:
    body = json.dumps(obj, ensure_ascii=False).encode()
    return HttpResponse(status, [("content-type", "application/json"), MADE], body)


def api_error(status: int, message: str, param: str | None = None) -> HttpResponse:
    """An `invalid_request_error` as the API sends it (code null, as its not-found errors)."""
    body = error_body(message, "invalid_request_error", None, param)
    return HttpResponse(status, [("content-type", "application/json"), MADE], body)


def not_found(kind: str, object_id: str) -> HttpResponse:
    """The API's 404 for an id it does not have (deleted, say): `Response with id '…' not
    found.`"""
    return api_error(404, f"{kind} with id '{object_id}' not found.")


def sse_response(events: Sequence[Event]) -> HttpResponse:
    """`events` as an SSE body, one network chunk per event at its recorded offset (moved so
    the first comes at once): a resumed stream keeps the recorded rhythm."""
    pieces = []
    for event in events:
        name = f"event: {event.name}\n" if event.name else ""
        pieces.append(f"{name}data: {event.raw}\n\n".encode())
    times = [e.t_ms for e in events if e.t_ms is not None]
    base = min(times) if times else 0.0
    chunks = [
        (0.0 if e.t_ms is None else e.t_ms - base, len(piece))
        for e, piece in zip(events, pieces, strict=True)
    ]
    headers = [("content-type", "text/event-stream; charset=utf-8"), MADE]
    return HttpResponse(200, headers, b"".join(pieces), chunks or None)
