"""HAR 1.2 archives, including Polly.js chunk arrays and respdeck's/Chrome's extensions.

Body shapes read here:
- `content.text` as text, or base64 with `content.encoding: "base64"`;
- Polly.js content-encoded responses: `text` is a JSON array of chunks, base64 (Polly >= 5,
  `encoding: "base64"`) or hex (older Polly); the chunks are joined into the raw body and
  their boundaries kept as the chunk table. HAR has no per-chunk times, so chunk offsets are
  spread over the receive window (all at time-to-first-byte when `receive` is 0);
- respdeck's own `content._chunks: [[offset_ms, size], ...]` over the raw body (real times),
  `content._truncated`, `entry._aborted` (when present it decides, also for an entry without
  a response), `_abortReason`, `_closedEarly` and `_startedUnknown` (the start time written
  only because HAR requires one), as `addon/exporters/har.py` writes them;
- Chrome's `entry._webSocketMessages` -> `Exchange.websocket` (a text message with respdeck's
  `_encoding: "base64"` was not UTF-8: its bytes are the base64 data).
"""

from __future__ import annotations

import binascii
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from addon.importers._common import (
    as_dict,
    as_list,
    b64decode,
    get_header,
    headers_from_pairs,
    parse_when,
    status_code,
    to_bytes,
)
from addon.wire.exchange import (
    Exchange,
    Headers,
    HttpRequest,
    HttpResponse,
    Timings,
    WsMessage,
)

Chunks = list[tuple[float, int]]


def is_har(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and isinstance(doc.get("log"), dict)
        and isinstance(doc["log"].get("entries"), list)
    )


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def _timings(entry: dict[str, Any]) -> Timings:
    """ttfb = blocked + dns + connect + send + wait (each when known); duration = `time`."""
    raw = as_dict(entry.get("timings"))
    ttfb = None
    if _number(raw.get("wait")) is not None:
        parts = (_number(raw.get(k)) for k in ("blocked", "dns", "connect", "send", "wait"))
        ttfb = sum(p for p in parts if p is not None)
    return Timings(
        started_at=parse_when(entry.get("startedDateTime")),
        ttfb_ms=ttfb,
        duration_ms=_number(entry.get("time")),
    )


def _polly_chunks(text: str, encoding: Any, headers: Headers) -> list[bytes] | None:
    """Polly.js keeps content-encoded responses as a JSON array of base64/hex chunks."""
    if not text.lstrip().startswith("["):
        return None
    if encoding != "base64" and not get_header(headers, "content-encoding"):
        return None  # a plain JSON array body
    try:
        items = json.loads(text)
    except ValueError:
        return None
    if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
        return None
    try:
        if encoding == "base64":
            return [b64decode(x) for x in items]
        return [bytes.fromhex(x) for x in items]
    except (binascii.Error, ValueError):
        return None


def _base64_or_text(text: str) -> bytes:
    try:
        return b64decode(text)
    except (binascii.Error, ValueError):
        return text.encode("utf-8", "surrogatepass")


def _spread(sizes: list[int], timings: Timings) -> Chunks | None:
    start = timings.ttfb_ms
    if start is None:
        return None
    end = max(start, timings.duration_ms if timings.duration_ms is not None else start)
    steps = max(len(sizes) - 1, 1)
    return [(start + (end - start) * i / steps, size) for i, size in enumerate(sizes)]


def _own_chunks(raw: Any) -> Chunks | None:
    """respdeck's `_chunks: [[offset_ms, size], ...]`; ignored unless well formed."""
    if not isinstance(raw, list):
        return None
    table: Chunks = []
    for item in raw:
        if not (isinstance(item, list | tuple) and len(item) == 2):
            return None
        offset, size = item
        if not isinstance(offset, int | float) or not isinstance(size, int) or size < 0:
            return None
        table.append((float(offset), size))
    return table


def _response(raw: dict[str, Any], timings: Timings) -> HttpResponse:
    headers = headers_from_pairs(raw.get("headers"))
    content = as_dict(raw.get("content"))
    text = content.get("text")
    encoding = content.get("encoding")
    chunks: Chunks | None = None
    if not isinstance(text, str):
        body = to_bytes(text)
    elif (parts := _polly_chunks(text, encoding, headers)) is not None:
        body = b"".join(parts)
        chunks = _spread([len(p) for p in parts], timings)
    elif encoding == "base64":
        body = _base64_or_text(text)
    else:
        body = text.encode("utf-8", "surrogatepass")
    own = _own_chunks(content.get("_chunks"))
    if own is not None:
        chunks = own
    return HttpResponse(
        status=status_code(raw.get("status")),
        headers=headers,
        body=body,
        chunks=chunks,
        truncated=bool(content.get("_truncated")),
    )


def _request_body(post: Any) -> bytes:
    post = as_dict(post)
    text = post.get("text")
    if isinstance(text, str):
        if post.get("encoding") == "base64" or post.get("_encoding") == "base64":
            return _base64_or_text(text)
        return text.encode("utf-8", "surrogatepass")
    params = [p for p in as_list(post.get("params")) if isinstance(p, dict)]
    if params:
        return urlencode(
            [(str(p.get("name", "")), str(p.get("value", ""))) for p in params]
        ).encode()
    return b""


def _ws_message(raw: Any, started: datetime | None) -> WsMessage | None:
    if not isinstance(raw, dict):
        return None
    opcode = raw.get("opcode", 1)
    data = raw.get("data")
    data = data if isinstance(data, str) else ""
    if opcode == 2 or raw.get("_encoding") == "base64":
        content = _base64_or_text(data)
    else:
        content = data.encode("utf-8", "surrogatepass")
    when = raw.get("time")
    offset = None
    if started is not None and isinstance(when, int | float) and not isinstance(when, bool):
        offset = when * 1000.0 - started.timestamp() * 1000.0
    return WsMessage(
        offset_ms=offset,
        from_client=raw.get("type") == "send",
        content=content,
        is_text=opcode != 2,
    )


def _exchange(entry: Any) -> Exchange | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("request"), dict):
        return None
    req = entry["request"]
    timings = _timings(entry)
    request = HttpRequest(
        method=str(req.get("method") or "GET").upper(),
        url=str(req.get("url") or ""),
        headers=headers_from_pairs(req.get("headers")),
        body=_request_body(req.get("postData")),
    )
    raw_res = entry.get("response")
    response = _response(raw_res, timings) if isinstance(raw_res, dict) else None
    aborted = bool(entry.get("_aborted"))
    if response is not None and response.status <= 0 and not response.body:
        response = None  # Chrome's failed request: status 0, `_error`
        aborted = aborted if "_aborted" in entry else True
    websocket = None
    if isinstance(entry.get("_webSocketMessages"), list):
        messages = (_ws_message(m, timings.started_at) for m in entry["_webSocketMessages"])
        websocket = [m for m in messages if m is not None]
    if entry.get("_startedUnknown") is True:
        timings.started_at = None  # after the messages' offsets, counted from what is written
    reason = entry.get("_abortReason")
    return Exchange(
        request=request,
        response=response,
        timings=timings,
        websocket=websocket,
        aborted=aborted,
        abort_reason=reason if isinstance(reason, str) else None,
        closed_early=entry.get("_closedEarly") is True,
    )


def read_har(doc: dict[str, Any]) -> list[Exchange]:
    return [ex for ex in map(_exchange, as_list(doc["log"].get("entries"))) if ex is not None]
