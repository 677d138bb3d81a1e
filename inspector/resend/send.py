"""Sending a request and recording what came back, through the recorder's own pieces.

The answer is taken in as `respdeck record` takes it in: a `Captured` (addon/recorder/capture)
whose `ChunkTee` notes each network chunk's arrival, made an `Exchange` (secret headers
fingerprinted there: the key never reaches the store), parsed by the ingester's
`parse_record` and written by the store's `Writer` in a capture of its own (mode `resend`),
each exchange with its `resends` link. Only the journal and the proxy are left out: nothing
sits between this process and the upstream. The body is read raw, as received (a gzip body
stays gzip), de-chunked as mitmproxy de-chunks it.
"""

from __future__ import annotations

import http.client
import json
import ssl
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import duckdb

from addon.recorder.capture import Captured, ChunkTee
from addon.recorder.ingest import parse_record
from addon.recorder.journal import Record
from addon.store.writer import Writer
from addon.wire.result import ParsedExchange

from .plan import Outgoing

TIMEOUT = 600.0  # seconds a socket operation may wait: reasoning can think for minutes
READ_SIZE = 65536


class SendError(Exception):
    """The upstream could not be reached (nothing was exchanged); one line."""


def connection(url: str, timeout: float = TIMEOUT) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port
    if parts.scheme in ("https", "wss"):
        return http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    return http.client.HTTPConnection(host, port, timeout=timeout)


def _raw(pairs: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in pairs]


def send_http(
    request: Outgoing,
    timeout: float = TIMEOUT,
    on_data: Callable[[bytes], None] | None = None,
) -> Captured:
    """Send `request` and take its answer in, chunk by chunk as it arrives (each also given
    to `on_data`). SendError when no answer began; a connection lost after that gives an
    aborted exchange, as recorded."""
    parts = urlsplit(request.url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    conn = connection(request.url, timeout)
    captured = Captured(
        request.method, request.url, _raw(request.headers), request.body, time.time()
    )
    try:
        try:
            conn.putrequest(request.method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in request.headers:
                conn.putheader(name, value)
            conn.endheaders(request.body or None)
            response = conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            raise SendError(f"cannot reach {parts.scheme}://{parts.netloc}: {_why(exc)}") from exc
        captured.response_started = time.time()
        captured.status = response.status
        captured.response_headers = _raw(list(response.getheaders()))
        captured.tee = tee = ChunkTee()
        try:
            while data := response.read1(READ_SIZE):
                tee(data)
                if on_data is not None:
                    on_data(data)
        except (OSError, http.client.HTTPException) as exc:
            captured.aborted = True
            captured.error = f"upstream connection lost: {_why(exc)}"
        captured.ended = time.time()
    finally:
        conn.close()
    return captured


def _why(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


class Recording:
    """The capture a `respdeck resend` run writes: one per run, mode `resend`, `source` what
    was re-sent, `upstream` where; made with its first exchange (a run that stored nothing
    leaves no capture). Use as a context manager: the capture ends on exit."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, source: str, upstream: str) -> None:
        self.writer = Writer(conn)
        self.source, self.upstream = source, upstream
        self.capture_id: str | None = None

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.capture_id is not None:
            self.writer.end_recording(self.capture_id)

    def store(
        self, captured: Captured, resent_from: str, changed: list[str]
    ) -> tuple[str, ParsedExchange]:
        """Store what was captured, linked to the exchange it re-sent; (its id, parsed)."""
        if self.capture_id is None:
            self.capture_id = self.writer.add_capture("resend", self.source, upstream=self.upstream)
        exchange = captured.to_exchange()
        exchange.source = "resend"
        parsed = parse_record(Record(exchange, captured.error))
        edits = json.dumps(changed, ensure_ascii=False) if changed else None
        exchange_id = self.writer.add_resent(self.capture_id, parsed, resent_from, edits)
        return exchange_id, parsed
