"""A minimal WebSocket client (wsproto over a socket) for the Responses WebSocket mode."""

from __future__ import annotations

import json
import socket

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Request, TextMessage

from tests.waiting import scaled

TERMINAL = {"response.completed", "response.failed", "response.incomplete", "error"}


def websocket_session(port: int, messages: list[bytes], timeout: float = 30) -> list[str]:
    """Send each client message; collect server messages up to each turn's terminal event.
    `timeout` (scaled) bounds each socket operation."""
    ws = WSConnection(ConnectionType.CLIENT)
    received: list[str] = []
    with socket.create_connection(("127.0.0.1", port), timeout=scaled(timeout)) as sock:
        sock.sendall(ws.send(Request(host=f"127.0.0.1:{port}", target="/v1/responses")))
        events = _events(sock, ws)
        if not isinstance(next(events), AcceptConnection):
            raise AssertionError("websocket upgrade refused")
        for message in messages:
            sock.sendall(ws.send(TextMessage(message.decode())))
            partial = ""
            for event in events:
                if isinstance(event, TextMessage):
                    partial += event.data
                    if not event.message_finished:
                        continue
                    received.append(partial)
                    text, partial = partial, ""
                    if json.loads(text).get("type") in TERMINAL:
                        break
        sock.sendall(ws.send(CloseConnection(code=1000)))
    return received


def _events(sock: socket.socket, ws: WSConnection):  # type: ignore[no-untyped-def]
    while True:
        data = sock.recv(65536)
        ws.receive_data(data or None)
        yield from ws.events()
        if not data:
            return
