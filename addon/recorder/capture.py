"""What the proxy hands over for one exchange: plain values, converted off the event loop.

The mitmproxy hooks only copy references (header pairs, body chunks, timestamps) into a
`Captured`; turning it into an `Exchange` (decoding headers, joining chunks, computing offsets)
happens on the journal thread, so the proxy's event loop does no more than it must.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, Timings, WsMessage

RawHeaders = list[tuple[bytes, bytes]]


class ChunkTee:
    """mitmproxy's `response.stream` callable: returns each chunk unchanged, keeps it and its
    arrival time. Nothing else happens here: this runs on the proxy's event loop per chunk."""

    __slots__ = ("chunks",)

    def __init__(self) -> None:
        # (arrival time, bytes): one append per chunk, so a reader on another thread (the
        # in-flight snapshot) always sees whole pairs
        self.chunks: list[tuple[float, bytes]] = []

    def __call__(self, data: bytes) -> bytes:
        if data:
            self.chunks.append((time.time(), data))
        return data


@dataclass(slots=True)
class Captured:
    method: str
    url: str
    request_headers: RawHeaders
    request_body: bytes | None
    started: float  # time.time() when the request began
    status: int | None = None
    response_headers: RawHeaders | None = None
    response_started: float | None = None
    tee: ChunkTee | None = None
    body: bytes | None = None  # a response body mitmproxy buffered itself (no tee)
    ended: float | None = None
    aborted: bool = False
    error: str | None = None
    # WebSocket mode: (timestamp, from_client, content, is_text) per message
    websocket: list[tuple[float, bool, bytes, bool]] | None = None
    size_hint: int = field(default=0)
    flow_id: str = ""

    def nbytes(self) -> int:
        """Approximate memory held, for the queue's byte budget."""
        size = len(self.request_body or b"") + len(self.body or b"")
        if self.tee is not None:
            size += sum(len(data) for _, data in self.tee.chunks)
        if self.websocket:
            size += sum(len(m[2]) for m in self.websocket)
        return size

    def ms(self, t: float | None) -> float | None:
        """A time as an offset in ms from the request's start, as the journal keeps it."""
        return None if t is None else round((t - self.started) * 1000, 3)

    def to_exchange(self, upto: int | None = None) -> Exchange:
        """The exchange so far; with `upto`, of the first `upto` streamed chunks only (a
        snapshot names the chunks it holds, while the proxy may append more meanwhile)."""
        ms = self.ms

        request = HttpRequest(
            self.method, self.url, _headers(self.request_headers), self.request_body or b""
        )
        response = None
        if self.status is not None:
            chunks: list[tuple[float, int]] | None = None
            if self.tee is not None:
                parts = self.tee.chunks[:upto]  # a copy: the proxy may append meanwhile
                body = b"".join(data for _, data in parts)
                chunks = [(ms(t) or 0.0, len(data)) for t, data in parts]
            else:
                body = self.body or b""
            response = HttpResponse(
                self.status,
                _headers(self.response_headers or []),
                body,
                chunks,
                truncated=self.aborted and self.websocket is None,
            )
        websocket = None
        if self.websocket is not None:
            websocket = [
                WsMessage(ms(t), from_client, content, is_text)
                for t, from_client, content, is_text in self.websocket
            ]
        last = self.ended
        if last is None and self.tee is not None and (held := self.tee.chunks[:upto]):
            last = held[-1][0]
        return Exchange(
            request,
            response,
            Timings(
                datetime.fromtimestamp(self.started, UTC),
                ms(self.response_started),
                ms(last),
            ),
            source="record",
            websocket=websocket,
            aborted=self.aborted,
        )

    def more(self, start: int, stop: int) -> tuple[list[tuple[float, int]], list[bytes], float]:
        """Streamed chunks `start` to `stop` as a snapshot appends them: their (offset ms,
        size) rows, their bytes, and the offset of the last (the duration so far)."""
        assert self.tee is not None
        parts = self.tee.chunks[start:stop]
        rows = [(self.ms(t) or 0.0, len(data)) for t, data in parts]
        return rows, [data for _, data in parts], rows[-1][0] if rows else 0.0


def _headers(raw: RawHeaders) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]
