"""The wire side of replay: a local HTTP/1.1 and WebSocket server sending answers as recorded.

Bodies go out byte for byte (still content-encoded), each recorded network chunk as its own
flushed write at its recorded offset scaled by `pace`, so a client (or a proxy in between)
sees the original chunking and timing. One asyncio loop in a background thread serves every
connection; h11 frames HTTP/1.1 (keep-alive included) and wsproto the WebSocket mode. What
answers a request is the subclass's to say (`route`, then the cassette's `answer`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from http.client import responses
from typing import Any, Self

import h11
from wsproto.connection import Connection as WsConnection
from wsproto.connection import ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage
from wsproto.utilities import generate_accept_token

from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, WsMessage, header

from .cassette import Answer, Cassette, label
from .match import ws_replies, ws_turns

log = logging.getLogger("respdeck.replay")

# Never forwarded: they describe one connection, not the response (framing is recomputed).
HOP_BY_HOP = frozenset(
    {
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "te", "trailer",
        "proxy-authorization", "trailers", "transfer-encoding", "upgrade", "content-length",
        "sec-websocket-accept", "sec-websocket-extensions", "sec-websocket-protocol",
    }
)  # fmt: skip
_TOKEN = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_CTL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


@dataclass(slots=True)
class Served:
    """One request the upstream answered, for tests and logs."""

    method: str
    target: str
    status: int
    source: str | None  # `file#index` of the recording served, None when made up or a miss
    tier: str  # how it matched: exact, synthetic, state, miss (WebSocket: also similar, only)
    cassette: str | None = None


@dataclass(slots=True)
class Routed:
    """Which cassette a request target asks for, and the target without the cassette prefix;
    `error` answers instead when the target names no cassette this server holds."""

    cassette: Cassette | None
    target: str
    error: HttpResponse | None = None


def _clean_headers(pairs: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """Recorded headers as h11 accepts them: hop-by-hop dropped, malformed ones skipped."""
    out = []
    for name, value in pairs:
        if name.lower() in HOP_BY_HOP:
            continue
        raw_name, raw_value = name.encode("latin-1", "replace"), value.encode("utf-8")
        if _TOKEN.match(raw_name):
            out.append((raw_name, _CTL.sub(b"", raw_value).strip()))
    return out


def response_head(response: HttpResponse, cut: bool) -> list[tuple[bytes, bytes]]:
    """Headers to send: recorded ones plus fresh framing. Chunked when the recording was
    (so each chunk stays a chunk), else Content-Length; a cut-off body keeps a longer recorded
    Content-Length, or goes chunked, so the client sees it end early, as it did then."""
    headers = _clean_headers(response.headers)
    if response.status < 200 or response.status in (204, 304):
        return headers
    encoding = (header(response.headers, "transfer-encoding") or "").lower()
    length_text = header(response.headers, "content-length") or ""
    length = int(length_text) if length_text.strip().isdigit() else None
    multi = response.chunks is not None and len(response.chunks) > 1
    if cut and length is not None and length > len(response.body):
        return [*headers, (b"content-length", str(length).encode())]
    if cut or "chunked" in encoding or (length is None and multi):
        return [*headers, (b"transfer-encoding", b"chunked")]
    return [*headers, (b"content-length", str(len(response.body)).encode())]


class Transport:
    """Serve from a background thread; `start()`/`stop()` or a `with` block. `url` is
    `http://host:port` (clients add `/v1`). `pace` scales recorded delays: 1 real time, 0.5
    twice as fast, 0 without waiting."""

    def __init__(self, *, pace: float = 1.0, host: str = "127.0.0.1", port: int = 0) -> None:
        if pace < 0:
            raise ValueError("pace must be >= 0")
        self.pace = pace
        self.host = host
        self.port = port
        self._served: list[Served] = []
        self._served_lock = threading.Condition()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None

    def route(self, target: str) -> Routed:
        raise NotImplementedError

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def served(self) -> list[Served]:
        """Every answered request so far, in order (a copy)."""
        with self._served_lock:
            return list(self._served)

    def wait_served(self, count: int, timeout: float | None = None) -> bool:
        """Block until `count` requests were answered (False when `timeout` s pass first)."""
        with self._served_lock:
            return self._served_lock.wait_for(lambda: len(self._served) >= count, timeout)

    def _note(self, served: Served) -> None:
        with self._served_lock:
            self._served.append(served)
            self._served_lock.notify_all()
        log.info(
            "%s %s -> %d %s (%s)",
            served.method, served.target, served.status, served.source, served.tier,
        )  # fmt: skip

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind now (errors such as a port in use raise here), then serve in a thread."""
        if self._thread is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(1024)
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        ready, failed = threading.Event(), []

        def run() -> None:
            try:
                asyncio.run(self._main(sock, ready))
            except BaseException as exc:  # surfaced by start() when it happens before serving
                failed.append(exc)
                ready.set()

        self._thread = threading.Thread(target=run, name="replay-upstream", daemon=True)
        self._thread.start()
        ready.wait()
        if failed:
            self._thread = None
            raise failed[0]
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None or self._stopping is None:
            return
        with contextlib.suppress(RuntimeError):  # loop already gone
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _main(self, sock: socket.socket, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        tasks: set[asyncio.Task[None]] = set()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            tasks.add(task)
            try:
                await self._connection(reader, writer)
            finally:
                tasks.discard(task)
                writer.close()

        server = await asyncio.start_server(handle, sock=sock, limit=1 << 20)
        ready.set()
        await self._stopping.wait()
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()

    # -- HTTP --------------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:  # every chunk leaves at once, not when Nagle's algorithm says
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=1 << 20)
        with contextlib.suppress(ConnectionError, h11.ProtocolError, asyncio.CancelledError):
            while True:
                request = await self._next(conn, reader)
                if not isinstance(request, h11.Request):
                    return
                body = bytearray()
                if conn.they_are_waiting_for_100_continue:
                    writer.write(conn.send(h11.InformationalResponse(status_code=100, headers=[])))
                while not isinstance(event := await self._next(conn, reader), h11.EndOfMessage):
                    if not isinstance(event, h11.Data):
                        return
                    body += event.data
                if (dict(request.headers).get(b"upgrade") or b"").lower() == b"websocket":
                    await self._websocket(conn, reader, writer, request)
                    return
                if not await self._respond(conn, writer, request, bytes(body)):
                    return
                if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()

    @staticmethod
    async def _next(conn: h11.Connection, reader: asyncio.StreamReader) -> Any:
        while (event := conn.next_event()) is h11.NEED_DATA:
            conn.receive_data(await reader.read(65536))
        return event

    async def _sleep_until(self, start: float, offset_ms: float | None) -> None:
        if self.pace and offset_ms:
            assert self._loop is not None
            delay = start + offset_ms * self.pace / 1000 - self._loop.time()
            if delay > 0:
                await asyncio.sleep(delay)

    def _answer(self, request: h11.Request, body: bytes) -> tuple[Answer, str | None]:
        method, target = request.method.decode("latin-1"), request.target.decode("latin-1")
        routed = self.route(target)
        if routed.cassette is None:
            error = routed.error or HttpResponse(404)
            return Answer(Exchange(HttpRequest(method, target), error), None, "miss"), None
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers]
        answer = routed.cassette.answer(method, routed.target, body, headers)
        return answer, routed.cassette.name or None

    async def _respond(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, request: h11.Request, body: bytes
    ) -> bool:
        """Answer one request; False when the connection must close (a cut-off body)."""
        assert self._loop is not None
        start = self._loop.time()
        answer, cassette = self._answer(request, body)
        exchange = answer.exchange
        response = exchange.response
        assert response is not None
        method, target = request.method.decode("latin-1"), request.target.decode("latin-1")
        self._note(Served(method, target, response.status, answer.source, answer.tier, cassette))
        cut = response.truncated or exchange.aborted
        first = response.chunks[0][0] if response.chunks else None
        marks = [x for x in (exchange.timings.ttfb_ms, first) if x is not None]
        await self._sleep_until(start, min(marks) if marks else None)  # headers with 1st byte
        reason = responses.get(response.status, "").encode()
        head = response_head(response, cut)
        writer.write(
            conn.send(h11.Response(status_code=response.status, headers=head, reason=reason))
        )
        await writer.drain()
        for offset, piece in response.iter_chunks():
            await self._sleep_until(start, offset)
            if piece:
                writer.write(conn.send(h11.Data(data=bytes(piece))))
                await writer.drain()
        if cut:
            return False
        writer.write(conn.send(h11.EndOfMessage()))
        await writer.drain()
        return True

    # -- WebSocket mode ----------------------------------------------------------------------

    async def _websocket(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        request: h11.Request,
    ) -> None:
        """Accept the upgrade, then answer the k-th client message with the server messages
        that followed the k-th recorded one, paced from when it arrived. With several
        recordings on the path, the first client message picks one."""
        assert self._loop is not None
        loop, target = self._loop, request.target.decode("latin-1")
        routed = self.route(target)
        cassette, inner = routed.cassette, routed.target
        client_key = dict(request.headers).get(b"sec-websocket-key")
        if cassette is None or not cassette.ws_pool(inner) or not client_key:
            await self._respond(conn, writer, request, b"")
            return
        chosen = cassette.ws_open(inner)
        head = _clean_headers(chosen.response.headers if chosen and chosen.response else [])
        head += [(b"upgrade", b"websocket"), (b"connection", b"Upgrade"),
                 (b"sec-websocket-accept", generate_accept_token(client_key))]  # fmt: skip
        reason = b"Switching Protocols"
        switch = h11.InformationalResponse(status_code=101, headers=head, reason=reason)
        writer.write(conn.send(switch))
        ws = WsConnection(ConnectionType.SERVER, trailing_data=conn.trailing_data[0])
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        name = cassette.name or None

        async def play(messages: list[WsMessage], start: float, base: float | None) -> None:
            for m in messages:
                offset = None if m.offset_ms is None else m.offset_ms - (base or 0)
                await self._sleep_until(start, offset)
                text = m.content.decode("utf-8", "replace") if m.is_text else None
                event = TextMessage(text) if text is not None else BytesMessage(m.content)
                writer.write(ws.send(event))
                await writer.drain()

        async def sender(chosen: Exchange | None) -> None:
            if chosen is not None:
                self._note(Served("GET", target, 101, label(chosen), "websocket", name))
                await play(ws_turns(chosen.websocket or [])[0], loop.time(), chosen.timings.ttfb_ms)
            for turn in itertools.count():
                received, content = await queue.get()
                if chosen is None:
                    chosen, tier = cassette.ws_choose(inner, content)
                    named = label(chosen) if chosen else None
                    self._note(Served("GET", target, 101, named, tier, name))
                client, replies = ws_replies(chosen.websocket or [], turn) if chosen else (None, [])
                if client is not None:
                    await play(replies, received, client.offset_ms)
                    continue
                message = cassette.ws_miss(inner, turn, chosen)
                error = {"type": "invalid_request_error", "code": "respdeck_no_match",
                         "message": message}  # fmt: skip
                writer.write(ws.send(TextMessage(json.dumps({"type": "error", "error": error}))))

        task = asyncio.create_task(sender(chosen))
        parts: list[bytes | bytearray] = []  # wsproto hands BytesMessage data as either
        try:
            while not task.done() and (data := await reader.read(65536)):
                ws.receive_data(data)
                for event in ws.events():
                    if isinstance(event, TextMessage | BytesMessage):
                        parts.append(
                            event.data.encode() if isinstance(event.data, str) else event.data
                        )
                        if event.message_finished:
                            queue.put_nowait((loop.time(), b"".join(parts)))
                            parts.clear()
                    elif isinstance(event, Ping | CloseConnection):
                        writer.write(ws.send(event.response()))
                    if isinstance(event, CloseConnection):
                        return
                await writer.drain()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
