"""HAR 1.2 out: one entry per exchange, for mitmproxy, browsers' network panels and respdeck.

Bodies are byte-exact: a body goes as text when it is UTF-8 and not content-encoded, else as
base64 (`encoding: "base64"`). A content-encoded body (gzip, br, zstd) is kept as the wire bytes
with its Content-Encoding header, as respdeck stores it; HAR readers that take `text` for the
decoded body (mitmproxy among them) then hold the compressed bytes, the price of exactness.

respdeck's extensions, which `addon/importers/har.py` reads back and other readers ignore:
`content._chunks` ([[offset_ms, size], ...] over the raw body: the stream timing),
`content._truncated`, `entry._aborted`, `_abortReason`, `_closedEarly`, `_startedUnknown`
(HAR requires a start time; the one written is then the epoch), `postData._encoding` and a
WebSocket message's `_encoding` (base64 of a text message that is not UTF-8). WebSocket
messages go in Chrome's `_webSocketMessages`. A fingerprinted header carries a `comment`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from http import HTTPStatus
from importlib import metadata
from typing import Any
from urllib.parse import parse_qsl

import orjson

from addon.exporters import Format
from addon.wire.exchange import (
    FINGERPRINT_PREFIX,
    Exchange,
    Headers,
    HttpRequest,
    HttpResponse,
    Timings,
    WsMessage,
    header,
)

Json = dict[str, Any]

REDACTED_HEADER = "redacted by respdeck: fingerprint of the secret"
REDACTED_BODY = "redacted by respdeck: fingerprints in place of the values"
UNKNOWN = -1  # HAR's "does not apply or not known" for sizes and timings
FINGERPRINT = re.compile(rf"(?:\S+ )?{FINGERPRINT_PREFIX}[0-9a-f]{{12}}")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HTTP_VERSION = "HTTP/1.1"  # respdeck does not store the version; HTTP/1.1 is what it proxies


def _creator_version() -> str:
    try:
        return metadata.version("respdeck")
    except metadata.PackageNotFoundError:
        return "unknown"


def is_redacted(value: str) -> bool:
    """A fingerprint as `redact_value` writes it, alone or after an auth scheme (`Bearer`)."""
    return FINGERPRINT.fullmatch(value) is not None


def _headers(headers: Headers) -> list[Json]:
    """HAR name/value objects in the recorded order, duplicates kept, fingerprints marked."""
    out: list[Json] = []
    for name, value in headers:
        item: Json = {"name": name, "value": value}
        if is_redacted(value):
            item["comment"] = REDACTED_HEADER
        out.append(item)
    return out


def _text_or_base64(body: bytes, *, force_base64: bool = False) -> tuple[str, bool]:
    """(text, is_base64): UTF-8 text as it is, anything else base64, so no byte is lost."""
    if not force_base64:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _is_content_encoded(headers: Headers) -> bool:
    encoding = (header(headers, "content-encoding") or "").strip().lower()
    return encoding not in ("", "identity")


def _request(request: HttpRequest, redacted_body: bool) -> Json:
    out: Json = {
        "method": request.method,
        "url": request.url,
        "httpVersion": HTTP_VERSION,
        "cookies": [],
        "headers": _headers(request.headers),
        "queryString": [
            {"name": k, "value": v} for k, v in parse_qsl(request.query, keep_blank_values=True)
        ],
        "headersSize": UNKNOWN,
        "bodySize": len(request.body),
    }
    if request.body:
        text, is_base64 = _text_or_base64(request.body)
        post: Json = {"mimeType": header(request.headers, "content-type") or "", "text": text}
        if is_base64:
            post["_encoding"] = "base64"  # HAR's postData has no `encoding`: an extension
        if redacted_body:
            post["comment"] = REDACTED_BODY
        out["postData"] = post
    return out


def _status_text(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _response(response: HttpResponse, redacted_body: bool) -> Json:
    text, is_base64 = _text_or_base64(
        response.body, force_base64=_is_content_encoded(response.headers)
    )
    content: Json = {
        "size": len(response.body),
        "mimeType": header(response.headers, "content-type") or "x-unknown",
        "text": text,
    }
    if is_base64:
        content["encoding"] = "base64"
    if response.chunks is not None:
        content["_chunks"] = [[offset, size] for offset, size in response.chunks]
    if response.truncated:
        content["_truncated"] = True
    if redacted_body:
        content["comment"] = REDACTED_BODY
    return {
        "status": response.status,
        "statusText": _status_text(response.status),
        "httpVersion": HTTP_VERSION,
        "cookies": [],
        "headers": _headers(response.headers),
        "content": content,
        "redirectURL": header(response.headers, "location") or "",
        "headersSize": UNKNOWN,
        "bodySize": len(response.body),
    }


def _no_response() -> Json:
    """What HAR writers put where no response came (Chrome, mitmproxy): status 0, nothing."""
    return {
        "status": 0,
        "statusText": "",
        "httpVersion": "",
        "cookies": [],
        "headers": [],
        "content": {"size": 0, "mimeType": "x-unknown"},
        "redirectURL": "",
        "headersSize": UNKNOWN,
        "bodySize": UNKNOWN,
    }


def _timings(timings: Timings) -> tuple[float, Json]:
    """(`time`, `timings`): the importer's ttfb is blocked+dns+connect+send+wait, so send is
    0 and wait the time to first byte; unknown parts are -1."""
    ttfb, duration = timings.ttfb_ms, timings.duration_ms
    receive: float = UNKNOWN
    if duration is not None:
        receive = duration if ttfb is None else max(duration - ttfb, 0.0)
    return (
        UNKNOWN if duration is None else duration,
        {
            "blocked": UNKNOWN,
            "dns": UNKNOWN,
            "connect": UNKNOWN,
            "ssl": UNKNOWN,
            "send": 0,
            "wait": UNKNOWN if ttfb is None else ttfb,
            "receive": receive,
        },
    )


def _ws_message(message: WsMessage, started: datetime) -> Json:
    """Chrome's shape: type, time in epoch seconds, opcode 1 (text) or 2 (binary), data."""
    text, is_base64 = _text_or_base64(message.content, force_base64=not message.is_text)
    out: Json = {
        "type": "send" if message.from_client else "receive",
        "opcode": 1 if message.is_text else 2,
        "data": text,
    }
    if message.offset_ms is not None:
        out["time"] = (started.timestamp() * 1000.0 + message.offset_ms) / 1000.0
    if message.is_text and is_base64:
        out["_encoding"] = "base64"
    return out


def entry(exchange: Exchange) -> Json:
    """One HAR entry for one exchange."""
    redacted = set(getattr(exchange, "redacted", ()))  # a StoredExchange says which parts
    started = exchange.timings.started_at
    time, timings = _timings(exchange.timings)
    out: Json = {
        "startedDateTime": _iso(started or EPOCH),
        "time": time,
        "request": _request(exchange.request, "request.body" in redacted),
        "response": _no_response()
        if exchange.response is None
        else _response(exchange.response, "response.body" in redacted),
        "cache": {},
        "timings": timings,
    }
    if started is None:
        out["_startedUnknown"] = True
    if exchange.aborted or exchange.response is None:  # readers take no response as aborted
        out["_aborted"] = exchange.aborted
    if exchange.abort_reason:
        out["_abortReason"] = exchange.abort_reason
    if exchange.closed_early:
        out["_closedEarly"] = True
    if exchange.websocket is not None:
        out["_resourceType"] = "websocket"
        out["_webSocketMessages"] = [_ws_message(m, started or EPOCH) for m in exchange.websocket]
    return out


def _dumps(value: Json) -> bytes:
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:  # a lone surrogate (a header of undecodable bytes)
        return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def chunks(exchanges: Iterable[Exchange]) -> Iterator[bytes]:
    """The archive in pieces: the log's head, each entry on its own line, the closing."""
    head = {
        "version": "1.2",
        "creator": {"name": "respdeck", "version": _creator_version()},
        "pages": [],
    }
    yield b'{"log":' + _dumps(head)[:-1] + b',"entries":[\n'
    for n, exchange in enumerate(exchanges):
        yield (b",\n" if n else b"") + _dumps(entry(exchange))
    yield b"\n]}}\n"


FORMAT = Format("har", ".har", "HAR 1.2 (mitmproxy, browsers), with stream timings", chunks)
