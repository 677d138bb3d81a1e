"""respdeck's raw HTTP export (`respdeck export --format raw`, a `.http` file) read back.

The file is a sequence of exchanges, each opened by `### respdeck exchange N ID STARTED_AT`
and a `# respdeck {...}` line (body lengths, timings, chunk table, flags, WebSocket count),
then the request and the response as HTTP/1.1 messages, each body followed by one newline,
then the WebSocket messages. Bodies are read by their length, never by looking for the next
separator, so any bytes round-trip. Line ends in the messages' heads may be CRLF or LF.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from addon.importers._common import ImportFailure
from addon.wire.exchange import Exchange, Headers, HttpRequest, HttpResponse, Timings, WsMessage

MAGIC = b"### respdeck exchange "
META = b"# respdeck "
WEBSOCKET = b"## websocket "
_BOM = b"\xef\xbb\xbf"
TEXT_ERRORS = "surrogatepass"  # as the exporter wrote header text


def looks_like_raw(head: bytes) -> bool:
    """The file starts (after a BOM or blank lines) with the exporter's separator line."""
    return _start(head).startswith(MAGIC)


def _start(data: bytes) -> bytes:
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    return data.lstrip(b"\r\n")


@dataclass(slots=True)
class _Cursor:
    """A read position in the file; every read names what it expected when it fails."""

    data: bytes
    pos: int = 0

    @property
    def done(self) -> bool:
        return self.pos >= len(self.data)

    def line(self, what: str) -> bytes:
        end = self.data.find(b"\n", self.pos)
        if end < 0:
            raise ImportFailure(f"raw HTTP: the file ends inside {what}")
        line = self.data[self.pos : end]
        self.pos = end + 1
        return line[:-1] if line.endswith(b"\r") else line

    def take(self, size: int, what: str) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise ImportFailure(f"raw HTTP: {what} is cut short")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def body(self, size: int, what: str) -> bytes:
        """`size` bytes and the newline the exporter writes after them."""
        chunk = self.take(size, what)
        if self.take(1, what) != b"\n":
            raise ImportFailure(f"raw HTTP: {what} is not followed by a newline")
        return chunk

    def peek(self, prefix: bytes) -> bool:
        return self.data.startswith(prefix, self.pos)


def _text(line: bytes) -> str:
    return line.decode("utf-8", TEXT_ERRORS)


def _head(cur: _Cursor, what: str) -> tuple[str, Headers]:
    """The start line and the headers, up to the blank line ending a message head."""
    start = _text(cur.line(what))
    headers: Headers = []
    while line := cur.line(what):
        name, sep, value = _text(line).partition(": ")
        if not sep:  # "name:" with an empty value, as some editors leave it
            name, value = name.removesuffix(":"), ""
        headers.append((name, value))
    return start, headers


def _request(cur: _Cursor, info: dict[str, Any]) -> HttpRequest:
    start, headers = _head(cur, "a request head")
    method, _, rest = start.partition(" ")
    url, _, version = rest.rpartition(" ")
    if not version.startswith("HTTP/"):
        raise ImportFailure(f"raw HTTP: not a request line: {start[:80]!r}")
    body = cur.body(int(info["request_body"]), "a request body")
    return HttpRequest(
        info.get("method", method), info.get("url", url), info.get("request_headers", headers), body
    )


def _response(cur: _Cursor, info: dict[str, Any]) -> HttpResponse:
    start, headers = _head(cur, "a response head")
    version, _, rest = start.partition(" ")
    status = rest.partition(" ")[0]
    if not version.startswith("HTTP/") or not status.isdigit():
        raise ImportFailure(f"raw HTTP: not a status line: {start[:80]!r}")
    body = cur.body(int(info["response_body"]), "a response body")
    chunks = info.get("chunks")
    return HttpResponse(
        int(status),
        info.get("response_headers", headers),
        body,
        None if chunks is None else [(float(t), int(n)) for t, n in chunks],
        bool(info.get("truncated", False)),
    )


def _websocket(cur: _Cursor) -> WsMessage:
    line = cur.line("a WebSocket message line")
    if not line.startswith(WEBSOCKET):
        raise ImportFailure(f"raw HTTP: not a WebSocket message line: {line[:80]!r}")
    side, kind, offset, size = line[len(WEBSOCKET) :].decode().split(" ")
    content = cur.body(int(size), "a WebSocket message")
    return WsMessage(
        None if offset == "-" else float(offset), side == "client", content, kind == "text"
    )


def _exchange(cur: _Cursor) -> Exchange:
    separator = cur.line("a separator line")
    if not separator.startswith(MAGIC):
        raise ImportFailure(f"raw HTTP: expected a separator line, found {separator[:80]!r}")
    fields = separator[len(MAGIC) :].decode().split(" ")
    if len(fields) != 3:
        raise ImportFailure(f"raw HTTP: bad separator line {separator[:80]!r}")
    meta = cur.line("a meta line")
    if not meta.startswith(META):
        raise ImportFailure(f"raw HTTP: expected a `# respdeck` line, found {meta[:80]!r}")
    info = json.loads(meta[len(META) :])
    request = _request(cur, info)
    response = _response(cur, info) if info.get("response_body") is not None else None
    count = info.get("websocket")
    websocket = None if count is None else [_websocket(cur) for _ in range(int(count))]
    started = None if fields[2] == "-" else datetime.fromisoformat(fields[2])
    return Exchange(
        request,
        response,
        Timings(started, info.get("ttfb_ms"), info.get("duration_ms")),
        websocket=websocket,
        aborted=bool(info.get("aborted", False)),
        abort_reason=info.get("abort_reason"),
        closed_early=bool(info.get("closed_early", False)),
    )


def read_raw(data: bytes) -> list[Exchange]:
    """Every exchange of a raw HTTP export, in file order (ImportFailure if it is broken)."""
    cur = _Cursor(_start(data))
    exchanges = []
    while not cur.done:
        exchanges.append(_exchange(cur))
        while cur.peek(b"\n") or cur.peek(b"\r\n"):  # blank lines an editor left between
            cur.line("blank lines")
    return exchanges
