"""Re-sending a WebSocket session (the Responses API's WebSocket mode): the same client
messages in order, on a new connection, each turn's answer awaited as the client awaited it.

A recorded client message whose answer ended in a terminal event (`response.completed`,
`failed`, `incomplete`, `error`) is followed, this time too, only once such an event came;
one that got no answer is followed at once. Each turn's new response id is learned from its
terminal event as it arrives, so the next turn's `previous_response_id` is re-chained to it
before it goes out. Messages are taken in as the recorder takes them (a `Captured` with
their arrival times), wsproto over a socket (TLS for `wss`/`https`).
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from urllib.parse import urlsplit, urlunsplit

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)

from addon.recorder.capture import Captured
from addon.wire.exchange import Headers, WsMessage

from .send import TIMEOUT, SendError

TERMINAL = frozenset({"response.completed", "response.failed", "response.incomplete", "error"})


def _terminal_id(content: bytes) -> tuple[bool, str | None]:
    """(is it a turn's terminal event, the response id it names)."""
    try:
        event = json.loads(content)
    except ValueError:
        return False, None
    if not isinstance(event, dict) or event.get("type") not in TERMINAL:
        return False, None
    response = event.get("response")
    found = response.get("id") if isinstance(response, dict) else None
    return True, found if isinstance(found, str) else None


def recorded_turns(messages: Sequence[WsMessage]) -> list[tuple[WsMessage, bool, str | None]]:
    """Each recorded client message, whether its answer ended in a terminal event, and the
    response id that event named."""
    turns: list[tuple[WsMessage, bool, str | None]] = []
    for message in messages:
        if message.from_client:
            turns.append((message, False, None))
        elif turns and not turns[-1][1]:
            done, found = _terminal_id(message.content)
            if done:
                turns[-1] = (turns[-1][0], True, found)
    return turns


def ws_url(url: str) -> str:
    """The session's URL as the recorder names it: `wss://` or `ws://`."""
    parts = urlsplit(url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))


class _Socket:
    """wsproto over one socket: send events, iterate the events received."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        secure = parts.scheme in ("https", "wss")
        port = parts.port or (443 if secure else 80)
        try:
            sock = socket.create_connection((parts.hostname or "", port), timeout=timeout)
            if secure:
                context = ssl.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=parts.hostname)
        except OSError as exc:
            raise SendError(f"cannot reach {parts.netloc}: {exc}") from exc
        self.sock = sock
        self.ws = WSConnection(ConnectionType.CLIENT)

    def send(self, event: Event) -> None:
        self.sock.sendall(self.ws.send(event))

    def events(self) -> Iterator[Event]:
        while True:
            yield from self.ws.events()
            data = self.sock.recv(65536)
            self.ws.receive_data(data or None)
            if not data:
                yield from self.ws.events()
                return

    def close(self) -> None:
        self.sock.close()


def send_websocket(
    url: str,
    headers: Headers,
    recorded: Sequence[WsMessage],
    outgoing: Callable[[bytes], bytes],
    ids: MutableMapping[str, str],
    timeout: float = TIMEOUT,
    on_data: Callable[[bytes], None] | None = None,
) -> Captured:
    """Run the session again on `url`; `outgoing` makes each client message to send from
    the recorded one (edits, ids re-chained from `ids`, which each turn's new id joins).
    Each message the server sends is also given to `on_data` as it arrives."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    extra = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers if k.lower() != "host"]
    captured = Captured(
        "GET",
        ws_url(url),
        [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        + [(b"Upgrade", b"websocket"), (b"Connection", b"Upgrade")],
        None,
        time.time(),
    )
    conn = _Socket(url, timeout)
    try:
        conn.send(Request(host=parts.netloc, target=target, extra_headers=extra))
        events = conn.events()
        if not _handshake(captured, events):
            return captured
        captured.websocket = []
        _turns(conn, events, captured, recorded, outgoing, ids, on_data)
    except OSError as exc:
        captured.aborted = True
        captured.error = f"upstream connection lost: {exc or type(exc).__name__}"
    finally:
        captured.ended = time.time()
        conn.close()
    return captured


def _handshake(captured: Captured, events: Iterator[Event]) -> bool:
    """Read the upgrade's answer into `captured`; True when the session opened."""
    for event in events:
        captured.response_started = time.time()
        if isinstance(event, AcceptConnection):
            captured.status = 101
            captured.response_headers = [(bytes(k), bytes(v)) for k, v in event.extra_headers]
            return True
        if isinstance(event, RejectConnection):
            captured.status = event.status_code
            captured.response_headers = [(bytes(k), bytes(v)) for k, v in event.headers]
            body = b""
            if event.has_body:
                for more in events:
                    if isinstance(more, RejectData):
                        body += more.data
                        if more.body_finished:
                            break
            captured.body = body
            return False
    captured.aborted = True
    captured.error = "the upstream closed before answering the WebSocket upgrade"
    return False


def _turns(
    conn: _Socket,
    events: Iterator[Event],
    captured: Captured,
    recorded: Sequence[WsMessage],
    outgoing: Callable[[bytes], bytes],
    ids: MutableMapping[str, str],
    on_data: Callable[[bytes], None] | None = None,
) -> None:
    messages = captured.websocket
    assert messages is not None
    parts: list[bytes] = []
    for message, awaited, old_id in recorded_turns(recorded):
        content = outgoing(message.content)
        event = TextMessage(content.decode()) if message.is_text else BytesMessage(content)
        conn.send(event)
        messages.append((time.time(), True, content, message.is_text))
        if not awaited:
            continue
        for received in events:
            if isinstance(received, Ping):
                conn.send(received.response())
                continue
            if isinstance(received, CloseConnection):
                captured.error = f"the upstream closed the session ({received.code})"
                return
            if not isinstance(received, TextMessage | BytesMessage):
                continue
            data = received.data
            parts.append(data.encode() if isinstance(data, str) else bytes(data))
            if not received.message_finished:
                continue
            content = b"".join(parts)
            parts.clear()
            messages.append((time.time(), False, content, isinstance(received, TextMessage)))
            if on_data is not None:
                on_data(content)
            done, new_id = _terminal_id(content)
            if done:
                if old_id and new_id:
                    ids[old_id] = new_id
                break
        else:
            captured.aborted = True
            captured.error = "the upstream closed the connection mid-session"
            return
    conn.send(CloseConnection(code=1000))
