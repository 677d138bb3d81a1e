"""Through a real `respdeck record`: how exchanges real clients produce are classified.

- A client that hangs up right after `response.completed`, while the upstream still holds its
  final chunk (the chunked terminator), lost nothing: stored not aborted, an info note, no
  error on the status line. A client that hangs up mid-stream did abort.
- Bodies nested 3,000 and 100,000 levels deep are bad input (`json_invalid`), not a parser
  crash, and leave no traceback in the recorder's log.
- The status line counts the tokens of every response of a WebSocket exchange.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from addon.importers import load_file
from addon.recorder.ingest import IngestStats
from inspector.replay.upstream import ReplayUpstream
from tests.gated_upstream import read_request
from tests.helpers import response_obj, sse_body, text_stream
from tests.recorder_harness import ROOT, Recorder, lit
from tests.waiting import scaled

DEADLINE = 60  # seconds (base, scaled): for waits on progress and socket reads


class HoldingUpstream:
    """An upstream that streams a response, then holds its final chunk until the proxy
    closes the connection (the client is gone): what Codex's upstream looked like.

    The request's `input` picks the answer: `completed...` streams every event through
    response.completed, `midway...` stops before it; anything else gets a small JSON
    Response, or (input `deep-N`) a JSON body nested N levels deep.
    """

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.closed_by_peer: dict[str, threading.Event] = {}
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> HoldingUpstream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.close()

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
            tag = request_input(body)
            if tag.startswith(("completed", "midway")):
                self._stream(conn, tag)
            elif tag.startswith("deep-"):
                depth = int(tag.split("-")[1])
                send_json(conn, ('{"a":' * depth + "1" + "}" * depth).encode())
            else:
                send_json(conn, json.dumps(response_obj([])).encode())

    def _stream(self, conn: socket.socket, tag: str) -> None:
        events = text_stream(["Hello", ", ", "world"])
        if tag.startswith("midway"):
            events = events[:5]
        conn.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        for event in events:
            chunk = sse_body([event])
            conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        closed = self.closed_by_peer.setdefault(tag, threading.Event())
        conn.settimeout(scaled(DEADLINE))
        try:
            if conn.recv(1) == b"":  # the proxy closed: the client is gone
                closed.set()
            conn.sendall(b"0\r\n\r\n")  # the final chunk, too late for anyone
        except OSError:
            closed.set()


def request_input(body: bytes) -> str:
    """The `input` string, found without parsing (a test body may be nested 100,000 deep)."""
    start = body.find(b'"input": "') + len(b'"input": "')
    return body[start : body.find(b'"', start)].decode()


def send_json(conn: socket.socket, body: bytes) -> None:
    conn.sendall(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        + f"content-length: {len(body)}\r\n\r\n".encode()
        + body
    )


def post_and_hang_up(port: int, tag: str, until: bytes) -> bytes:
    """POST a streamed create over a raw socket; close as soon as `until` has arrived."""
    body = json.dumps({"model": "gpt-4o", "input": tag, "stream": True}).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=scaled(DEADLINE)) as sock:
        sock.sendall(
            b"POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        data = b""
        while until not in data or not data.endswith(b"\r\n"):
            chunk = sock.recv(65536)
            assert chunk, f"the stream ended before {until!r}: {data[-300:]!r}"
            data += chunk
    return data


def post_json(port: int, body: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=scaled(DEADLINE)) as sock:
        sock.sendall(
            b"POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Connection: close\r\n" + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        )
        data = b""
        while chunk := sock.recv(1 << 20):
            data += chunk
    return data


def stats(rec: Recorder) -> IngestStats:
    """The ingester's counters, as the status line shows them."""
    assert len(list(rec.journal.glob("*.ingest.json"))) == 1
    found = rec.stats()
    assert found is not None
    return found


def stats_after(rec: Recorder, exchanges: int) -> IngestStats:
    return rec.wait_stats(lambda s: s.exchanges >= exchanges, timeout=DEADLINE)


def stored(rec: Recorder, tag: str) -> tuple[object, bool, bool]:
    """(exchange_id, aborted, partial) of the exchange whose input is `tag` (waits for it)."""
    sql = (
        "SELECT exchange_id, aborted, partial FROM exchanges WHERE position >= 0 AND "
        f'contains(left(decode(request_body), 300), \'"input": "{tag}"\')'
    )
    (row,) = rec.wait_for(sql, lambda rows: len(rows) == 1, timeout=DEADLINE)
    return row


def findings(rec: Recorder, exchange_id: object) -> dict[str, tuple[str, str]]:
    rows = rec.query(
        f"SELECT code, severity, message FROM findings WHERE exchange_id = {lit(exchange_id)}"
    )
    return {code: (severity, message) for code, severity, message in rows}


@pytest.fixture(scope="module")
def upstream() -> Iterator[HoldingUpstream]:
    with HoldingUpstream() as server:
        yield server


@pytest.fixture(scope="module")
def recorder(
    upstream: HoldingUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Recorder]:
    rec = Recorder(upstream.url, tmp_path_factory.mktemp("classify") / "c.duckdb").start()
    yield rec
    assert rec.stop() == 0, rec.output()
    assert "Traceback" not in rec.output()


def test_a_client_that_hangs_up_after_completed_did_not_abort(
    upstream: HoldingUpstream, recorder: Recorder
) -> None:
    before = stats(recorder)
    got = post_and_hang_up(recorder.port, "completed-1", b'"type":"response.completed"')
    assert b"0\r\n\r\n" not in got  # the final chunk had not come: the client left before it
    exchange_id, aborted, partial = stored(recorder, "completed-1")
    assert upstream.closed_by_peer["completed-1"].wait(scaled(DEADLINE))
    assert not aborted and not partial
    codes = findings(recorder, exchange_id)
    assert "aborted" not in codes
    assert codes["closed_after_end"][0] == "info"
    after = stats_after(recorder, before.exchanges + 1)
    assert after.errors == before.errors
    assert after.tokens == before.tokens + 19  # its usage counts like any finished response


def test_a_client_that_hangs_up_mid_stream_aborted(
    upstream: HoldingUpstream, recorder: Recorder
) -> None:
    before = stats(recorder)
    post_and_hang_up(recorder.port, "midway-1", b'"type":"response.output_text.delta"')
    exchange_id, aborted, partial = stored(recorder, "midway-1")
    assert aborted and partial
    codes = findings(recorder, exchange_id)
    assert codes["aborted"][0] == "warning" and "closed_after_end" not in codes
    assert stats_after(recorder, before.exchanges + 1).errors == before.errors + 1


@pytest.mark.parametrize("depth", [3_000, 100_000])
def test_deeply_nested_bodies_are_bad_input(recorder: Recorder, depth: int) -> None:
    deep = '{"a":' * depth + "1" + "}" * depth
    sent = f'{{"model": "gpt-4o", "input": "plain-{depth}", "metadata": {deep}}}'.encode()
    assert b'"object": "response"' in post_json(recorder.port, sent)  # proxied untouched
    answer = post_json(recorder.port, json.dumps({"input": f"deep-{depth}"}).encode())
    assert answer.endswith(deep.encode())
    for tag, where in ((f"plain-{depth}", "request body"), (f"deep-{depth}", "response body")):
        exchange_id, _, _ = stored(recorder, tag)
        codes = findings(recorder, exchange_id)
        assert "parser_error" not in codes, codes
        assert "nested deeper than 1024 levels" in codes["json_invalid"][1]
        assert where in codes["json_invalid"][1]
    assert "Traceback" not in recorder.output() and "RecursionError" not in recorder.output()


def test_the_status_line_counts_every_response_of_a_websocket(tmp_path: Path) -> None:
    from tests.ws_client import websocket_session

    (ws,) = load_file(ROOT / "recordings" / "websocket.har")
    sent = [m.content for m in ws.websocket or [] if m.from_client]
    with ReplayUpstream.from_paths([ROOT / "recordings" / "websocket.har"], pace=0) as replay:
        rec = Recorder(replay.url, tmp_path / "ws.duckdb").start()
        try:
            assert websocket_session(rec.port, sent)
            (exchange_id,) = rec.wait_for(
                "SELECT exchange_id FROM exchanges WHERE position >= 0",
                lambda rows: len(rows) == 1,
                timeout=DEADLINE,
            )[0]
            per_response = rec.query(
                "SELECT input_tokens + output_tokens FROM responses "
                f"WHERE exchange_id = {lit(exchange_id)} ORDER BY response_id"
            )
            counted = stats_after(rec, 1).tokens
        finally:
            assert rec.stop() == 0, rec.output()
    assert len(per_response) >= 2  # several responses on one socket
    assert counted == sum(n for (n,) in per_response)
