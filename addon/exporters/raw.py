"""Exchanges as the HTTP/1.1 messages that went over the wire, in a `.http` file.

Per exchange: a separator line `### respdeck exchange N ID STARTED_AT` (as `.http` files
separate requests), a `# respdeck {...}` line holding what framing and a lossless read back
need (body lengths, timings, the chunk table, the abort flags, WebSocket messages), then the
request (absolute-form request line, headers as stored in order with duplicates, a blank
line, the body bytes exactly) and the response (status line, headers, blank line, the body as
received: content-encoded bytes stay so). Each body is followed by one newline. WebSocket
messages follow the response, each a `## websocket FROM KIND OFFSET_MS SIZE` line then its
bytes. Bodies are framed by their length, so a body holding a separator line still reads
back (`addon.importers.raw_http`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from http import HTTPStatus
from typing import Any

from addon.wire.exchange import Exchange, Headers, WsMessage

from . import Format

SEPARATOR = b"### respdeck exchange "
META = b"# respdeck "
WEBSOCKET = b"## websocket "
CRLF = b"\r\n"
# Header text to bytes and back without loss (importers keep undecodable bytes as surrogates).
TEXT_ERRORS = "surrogatepass"


def encode_text(text: str) -> bytes:
    return text.encode("utf-8", TEXT_ERRORS)


def _breaks(text: str) -> bool:
    return "\r" in text or "\n" in text


def _one_line(text: str) -> str:
    """`text` without line breaks (the meta line carries the exact text then)."""
    return text.replace("\r", " ").replace("\n", " ")


def _writable(headers: Headers) -> bool:
    """Whether the header lines read back as these headers (no line breaks, no `: ` in a
    name, no empty name); when not, the meta line carries them as well."""
    return all(
        name and ": " not in name and not _breaks(name) and not _breaks(value)
        for name, value in headers
    )


def _head(start_line: str, headers: Headers) -> bytes:
    lines = [start_line] + [f"{name}: {value}" for name, value in headers]
    return CRLF.join(encode_text(_one_line(line)) for line in lines) + CRLF + CRLF


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def meta(exchange: Exchange) -> dict[str, Any]:
    """What the separator and the HTTP messages do not say: lengths, times, flags."""
    response = exchange.response
    info: dict[str, Any] = {
        "request_body": len(exchange.request.body),
        "response_body": None if response is None else len(response.body),
        "ttfb_ms": exchange.timings.ttfb_ms,
        "duration_ms": exchange.timings.duration_ms,
        "aborted": exchange.aborted,
        "abort_reason": exchange.abort_reason,
        "closed_early": exchange.closed_early,
        "websocket": None if exchange.websocket is None else len(exchange.websocket),
    }
    if response is not None:
        info["truncated"] = response.truncated
        info["chunks"] = response.chunks
        if not _writable(response.headers):
            info["response_headers"] = response.headers
    request = exchange.request
    if not _writable(request.headers):
        info["request_headers"] = request.headers
    if _breaks(request.method) or _breaks(request.url) or " " in request.method:
        info["method"], info["url"] = request.method, request.url
    return info


def _websocket(message: WsMessage) -> bytes:
    offset = "-" if message.offset_ms is None else repr(float(message.offset_ms))
    line = (
        f"{'client' if message.from_client else 'server'} "
        f"{'text' if message.is_text else 'binary'} {offset} {len(message.content)}"
    )
    return WEBSOCKET + line.encode() + b"\n" + bytes(message.content) + b"\n"


def exchange_bytes(number: int, exchange: Exchange) -> Iterator[bytes]:
    """One exchange's part of the file, in pieces (bodies are not copied)."""
    exchange_id = getattr(exchange, "exchange_id", "") or "-"  # a StoredExchange says
    started = exchange.timings.started_at
    when = started.isoformat() if started is not None else "-"
    yield SEPARATOR + f"{number} {exchange_id} {when}\n".encode()
    yield META + json.dumps(meta(exchange), ensure_ascii=True).encode() + b"\n"
    request = exchange.request
    yield _head(f"{request.method} {request.url} HTTP/1.1", request.headers)
    yield bytes(request.body)
    yield b"\n"
    response = exchange.response
    if response is not None:
        yield _head(f"HTTP/1.1 {response.status} {_reason(response.status)}", response.headers)
        yield bytes(response.body)
        yield b"\n"
    for message in exchange.websocket or ():
        yield _websocket(message)


def chunks(exchanges: Iterable[Exchange]) -> Iterator[bytes]:
    for number, exchange in enumerate(exchanges, start=1):
        yield from exchange_bytes(number, exchange)


FORMAT = Format(
    "raw",
    ".http",
    "the HTTP/1.1 messages as they went over the wire, bodies byte for byte",
    chunks,
)
