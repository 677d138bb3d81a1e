"""`new_episodes`: one address in front of two, the replay server first, the recorder second.

A client has one base URL, but in `new_episodes` a request the cassette has is replayed and one
it lacks is recorded. The front door sends each request to the replay server; when that
answers with its no-match error, the same request goes through the recorder to the upstream,
and the client gets that answer instead. Both behind it are local, so plain `http.client`
reaches them; response bodies are relayed as they arrive (the recorder, not this relay,
measures the chunk timing that goes into the cassette). WebSocket mode is not relayed.
"""

from __future__ import annotations

import http.client
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import urlsplit

NO_MATCH_CODES = frozenset({"respdeck_no_match", "no_recorded_exchange"})
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
     "upgrade", "content-length"}
)  # fmt: skip


def is_no_match(status: int, body: bytes) -> bool:
    """Whether a replay server's answer is its no-match error (an OpenAI-style 404)."""
    if status != 404:
        return False
    try:
        error = json.loads(body).get("error") or {}
    except (ValueError, AttributeError):
        return False
    return isinstance(error, dict) and error.get("code") in NO_MATCH_CODES


class FrontDoor:
    """Serve on 127.0.0.1 (a random port): replay first, record what misses."""

    def __init__(self, replay_url: str, record_url: str) -> None:
        self.replay = urlsplit(replay_url)
        self.record = urlsplit(record_url)
        self.forwarded: list[str] = []  # `METHOD path` of each request sent to be recorded
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        door = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the replay server and the recorder log what matters."""

            def _any(self) -> None:
                door.relay(self)

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = _any

        return Handler

    def relay(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = [(k, v) for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP]
        replayed = _open(self.replay.netloc, handler.command, handler.path, headers, body)
        if replayed.status == 404:
            answer = replayed.read()
            if not is_no_match(replayed.status, answer):
                _send_whole(handler, replayed, answer)
                return
            with self._lock:
                self.forwarded.append(f"{handler.command} {handler.path}")
            _stream(
                handler, _open(self.record.netloc, handler.command, handler.path, headers, body)
            )
            return
        _stream(handler, replayed)


def _open(
    netloc: str, method: str, path: str, headers: list[tuple[str, str]], body: bytes
) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection(netloc, timeout=600)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for name, value in headers:
        conn.putheader(name, value)
    if body or method in ("POST", "PUT", "PATCH"):
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body or None)
    return conn.getresponse()


def _head(handler: BaseHTTPRequestHandler, response: http.client.HTTPResponse) -> None:
    handler.send_response_only(response.status, response.reason)
    for name, value in response.getheaders():
        if name.lower() not in HOP_BY_HOP:
            handler.send_header(name, value)


def _send_whole(
    handler: BaseHTTPRequestHandler, response: http.client.HTTPResponse, body: bytes
) -> None:
    _head(handler, response)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _stream(handler: BaseHTTPRequestHandler, response: http.client.HTTPResponse) -> None:
    """Relay the response as it arrives, chunked (its own framing is gone once decoded)."""
    if handler.command == "HEAD" or response.status in (204, 304) or response.status < 200:
        _send_whole(handler, response, b"")
        return
    _head(handler, response)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    while piece := response.read1(65536):
        handler.wfile.write(b"%x\r\n%b\r\n" % (len(piece), piece))
        handler.wfile.flush()
    handler.wfile.write(b"0\r\n\r\n")
    handler.wfile.flush()
    response.close()
