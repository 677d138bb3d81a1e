"""An upstream whose stream moves on only when the test says so.

It answers every request with the same response, sent in parts: part 0 at once, each later
part only after one more `release()` (or one connection to `gate_port`, for a client in
another process). A test then observes what it must while the stream is provably still in
flight (a live row, bytes already at the client), instead of racing a pacing clock.
"""

from __future__ import annotations

import itertools
import socket
import threading
from collections.abc import Iterable
from typing import Self

from tests.waiting import scaled

HOLD = 120  # seconds a part waits for its release before the upstream gives up (scaled)


def read_request(conn: socket.socket) -> bytes:
    """The body of the HTTP/1.1 request on `conn` (by its Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
         if line.lower().startswith(b"content-length:")), 0,
    )  # fmt: skip
    while len(body) < length:
        chunk = conn.recv(1 << 20)
        if not chunk:
            break
        body += chunk
    return body


class GatedUpstream:
    def __init__(self, parts: list[bytes], content_type: str = "text/event-stream") -> None:
        self.parts, self.content_type = parts, content_type
        self.server = socket.create_server(("127.0.0.1", 0))
        self.gate = socket.create_server(("127.0.0.1", 0))
        self.port, self.gate_port = self.server.getsockname()[1], self.gate.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[bytes] = []
        self.sent = 0  # parts of the latest response written so far
        self.finished = threading.Event()  # a response was sent to its end
        self._released = threading.Semaphore(0)

    def __enter__(self) -> Self:
        threading.Thread(target=self._serve, daemon=True).start()
        threading.Thread(target=self._gate, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.close()
        self.gate.close()
        self._released.release(len(self.parts) * 4)  # let any held stream end

    def release(self) -> None:
        """Let the next part of the stream go."""
        self._released.release()

    def _gate(self) -> None:
        while True:
            try:
                conn, _ = self.gate.accept()
            except OSError:
                return
            conn.close()
            self.release()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            body = read_request(conn)
            if not body:
                return  # a connection that never sent a request (a probe): not the stream
            self.requests.append(body)
            self.sent = 0
            try:
                conn.sendall(
                    f"HTTP/1.1 200 OK\r\ncontent-type: {self.content_type}\r\n".encode()
                    + b"transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
                )
                for i, part in enumerate(self.parts):
                    if i and not self._released.acquire(timeout=scaled(HOLD)):
                        return  # never released: drop the connection, the test has failed
                    self.sent += 1  # before the bytes go: a client may see them at once
                    conn.sendall(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                conn.sendall(b"0\r\n\r\n")
                self.finished.set()
            except OSError:
                return


def read_held(chunks: Iterable[bytes], upstream: GatedUpstream) -> bytes:
    """Read `upstream`'s stream (raw body pieces, through a proxy), releasing each part only
    once everything before it has reached this client. A proxy that held the stream back
    would never deliver the first part: the upstream waits, and so does this."""
    data, released = b"", 0
    ends = list(itertools.accumulate(len(part) for part in upstream.parts))
    for chunk in chunks:
        data += chunk
        while released < len(ends) - 1 and len(data) >= ends[released]:
            assert upstream.sent == released + 1, "a part came before it was released"
            upstream.release()
            released += 1
    assert released == len(ends) - 1, f"the stream ended after {released} releases"
    return data
