"""Faults through a real recorder: each is proxied untouched and leaves a correct record."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import brotli
import httpx2 as httpx
import openai
import pytest
import zstandard

from addon.wire.exchange import Exchange, HttpRequest, HttpResponse
from inspector.replay.upstream import ReplayUpstream
from tests.gated_upstream import GatedUpstream
from tests.helpers import API, sse_body, text_stream
from tests.recorder_harness import ROOT, Recorder, lit, read_db
from tests.waiting import Lines, scaled, wait_exit, wait_until

JSON = [("content-type", "application/json")]
SSE = [("content-type", "text/event-stream")]


def request(tag: str, stream: bool = False, extra: str = "") -> bytes:
    body = {"model": "gpt-4o", "input": tag + extra}
    if stream:
        body["stream"] = True
    return json.dumps(body).encode()


Chunks = list[tuple[float, int]] | None


def recorded(tag: str, status: int, headers: list, body: bytes, *, stream: bool = False,
             chunks: Chunks = None, truncated: bool = False) -> Exchange:  # fmt: skip
    return Exchange(
        HttpRequest("POST", f"{API}/responses", list(JSON), request(tag, stream)),
        HttpResponse(status, headers, body, chunks, truncated),
    )


def spread(body: bytes, parts: int, span_ms: float) -> list[tuple[float, int]]:
    """A chunk table cutting `body` into `parts` pieces over `span_ms`."""
    size = -(-len(body) // parts)
    sizes = [min(size, len(body) - i) for i in range(0, len(body), size)]
    return [(i * span_ms / max(1, len(sizes) - 1), s) for i, s in enumerate(sizes)]


def error_body(message: str, code: str) -> bytes:
    return json.dumps(
        {"error": {"message": message, "type": "x", "param": None, "code": code}}
    ).encode()


STREAM = sse_body(text_stream(["Hello", ", ", "world", "!"] * 10))
SLOW = sse_body(text_stream([f"word{i} " for i in range(40)]))


def encoded(name: str) -> Exchange:
    compress = {
        "gzip": lambda data: gzip.compress(data, mtime=0),
        "br": brotli.compress,
        "zstd": zstandard.compress,
    }[name]
    body = compress(STREAM)
    return recorded(f"enc-{name}", 200, [*SSE, ("content-encoding", name)], body,
                    stream=True, chunks=spread(body, 4, 30))  # fmt: skip


BIG = 50 * 1024 * 1024
# Enough to store that a kill lands while the ingester is at it (asserted where used).
HEAVY = sse_body(text_stream([f"w{i} " for i in range(4000)]))
FAULTS = [
    recorded("http-400", 400, JSON, error_body("bad param", "invalid_value")),
    recorded("http-429", 429, JSON, error_body("slow down", "rate_limit_exceeded")),
    recorded("http-500", 500, JSON, error_body("server error", "server_error")),
    recorded("http-503", 503, JSON, error_body("overloaded", "overloaded")),
    recorded("cut", 200, SSE, STREAM[: len(STREAM) // 2], stream=True,
             chunks=spread(STREAM[: len(STREAM) // 2], 3, 30), truncated=True),
    recorded("malformed", 200, SSE, b'data: {"type":"response.created", oops\n\ndata: nonsense\n\n'
             b"event: x\n\n" + STREAM[:200], stream=True),
    recorded("slow", 200, SSE, SLOW, stream=True, chunks=spread(SLOW, 40, 4000)),
    *(encoded(name) for name in ("gzip", "br", "zstd")),
    recorded("heavy", 200, SSE, HEAVY, stream=True),
    Exchange(
        HttpRequest("POST", f"{API}/responses", list(JSON), request("big", extra="x" * BIG)),
        HttpResponse(200, JSON, json.dumps({"id": "resp_big", "object": "response"}).encode()),
    ),
]  # fmt: skip


@pytest.fixture(scope="module")
def upstream() -> Iterator[ReplayUpstream]:
    with ReplayUpstream(FAULTS, pace=1.0) as server:
        yield server


@pytest.fixture(scope="module")
def recorder(
    upstream: ReplayUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Recorder]:
    rec = Recorder(upstream.url, tmp_path_factory.mktemp("faults") / "f.duckdb").start()
    yield rec
    assert rec.stop() == 0, rec.output()


def stored(rec: Recorder, tag: str) -> dict:
    """The stored exchange whose request input starts with `tag` (waits for it)."""
    sql = (
        "SELECT exchange_id, status, aborted, partial, error_code, streamed, response_body, "
        "octet_length(request_body) FROM exchanges WHERE position >= 0 AND "
        f'regexp_matches(left(decode(request_body), 300), \'"input": ?"{tag}\')'
    )
    (row,) = rec.wait_for(sql, lambda rows: len(rows) == 1)
    names = (
        "exchange_id",
        "status",
        "aborted",
        "partial",
        "error_code",
        "streamed",
        "body",
        "request_size",
    )
    return dict(zip(names, row, strict=True))


def codes(rec: Recorder, exchange_id: object) -> set[str]:
    sql = f"SELECT code FROM findings WHERE exchange_id = {lit(exchange_id)}"
    return {r[0] for r in rec.query(sql)}


@pytest.mark.parametrize(
    ("tag", "status", "code"),
    [("http-400", 400, "invalid_value"), ("http-429", 429, "rate_limit_exceeded"),
     ("http-500", 500, "server_error"), ("http-503", 503, "overloaded")],
)  # fmt: skip
def test_upstream_errors_reach_the_client_and_are_recorded(
    recorder: Recorder, tag: str, status: int, code: str
) -> None:
    client = openai.OpenAI(base_url=recorder.base_url, api_key="sk-x", max_retries=0)
    with pytest.raises(openai.APIStatusError) as caught:
        client.responses.create(model="gpt-4o", input=tag)
    assert caught.value.status_code == status
    row = stored(recorder, tag)
    assert row["status"] == status and row["error_code"] == code
    assert "http_error" in codes(recorder, row["exchange_id"])


def raw_post(port: int, body: bytes, read_chunks: int | None = None) -> bytes:
    """POST over a plain socket; with `read_chunks`, hang up after that many reads."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Accept-Encoding: gzip, br, zstd\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        data = b""
        reads = 0
        while read_chunks is None or reads < read_chunks:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            reads += 1
        return data


def test_upstream_closing_mid_stream_is_kept_as_partial(recorder: Recorder) -> None:
    raw_post(recorder.port, request("cut", stream=True))
    row = stored(recorder, "cut")
    assert row["aborted"] and row["partial"]
    assert row["body"] and STREAM.startswith(row["body"])
    sql = f"SELECT count(*) FROM events WHERE exchange_id = {lit(row['exchange_id'])}"
    events = recorder.query(sql)
    assert events[0][0] > 0


def test_client_disconnect_mid_stream_keeps_what_arrived(recorder: Recorder) -> None:
    raw_post(recorder.port, request("slow", stream=True), read_chunks=2)
    row = stored(recorder, "slow")
    assert row["aborted"] and row["partial"]
    assert 0 < len(row["body"]) < len(SLOW) and SLOW.startswith(row["body"])
    assert "aborted" in codes(recorder, row["exchange_id"])


def test_malformed_sse_passes_through_and_is_flagged(recorder: Recorder) -> None:
    (malformed,) = [e for e in FAULTS if b"malformed" in e.request.body]
    assert malformed.response is not None
    with httpx.Client() as client, client.stream(
        "POST", recorder.base_url + "/responses", content=request("malformed", stream=True),
        headers={"content-type": "application/json"},
    ) as response:  # fmt: skip
        assert b"".join(response.iter_raw()) == malformed.response.body
    row = stored(recorder, "malformed")
    assert row["body"] == malformed.response.body
    assert "json_invalid" in codes(recorder, row["exchange_id"])


@pytest.mark.parametrize("name", ["gzip", "br", "zstd"])
def test_encoded_streams_are_stored_encoded_and_parsed(recorder: Recorder, name: str) -> None:
    exchange = encoded(name)
    assert exchange.response is not None
    with httpx.Client() as client, client.stream(
        "POST", recorder.base_url + "/responses", content=request(f"enc-{name}", stream=True),
        headers={"content-type": "application/json", "accept-encoding": name},
    ) as response:  # fmt: skip
        raw = b"".join(response.iter_raw())
    assert raw == exchange.response.body
    row = stored(recorder, f"enc-{name}")
    assert row["body"] == exchange.response.body and row["streamed"]
    text = recorder.query(
        f"SELECT text FROM items WHERE exchange_id = {lit(row['exchange_id'])} "
        "AND direction = 'output'"
    )
    assert text == [("Hello, world!" * 10,)]


def test_a_50_mb_request_body(recorder: Recorder) -> None:
    """Journaling and storing 50 MB at background priority takes a while on a loaded machine:
    the wait is on the recorder's progress (counters, journal size, CPU), not a clock."""
    client = openai.OpenAI(
        base_url=recorder.base_url, api_key="sk-x", max_retries=0, timeout=scaled(300)
    )
    result = client.responses.with_raw_response.create(model="gpt-4o", input="big" + "x" * BIG)
    assert result.status_code == 200
    row = stored(recorder, "big")
    assert row["request_size"] >= BIG


# -- the recorder's own failures ---------------------------------------------------------------

HOLD = """
import duckdb, sys, time
conn = duckdb.connect(sys.argv[1])
print("held", flush=True)
sys.stdin.read()
"""


def held_while_recording(
    upstream: ReplayUpstream, db: Path
) -> tuple[subprocess.Popen[bytes], Recorder, openai.OpenAI]:
    """Another process holds `db` (not serving it); a recorder starts on it anyway."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert holder.stdout is not None
    assert Lines(holder.stdout).next(timeout=60) == b"held\n"
    rec = Recorder(upstream.url, db).start()
    return holder, rec, openai.OpenAI(base_url=rec.base_url, api_key="sk-x", max_retries=0)


def test_database_not_writable_keeps_proxying_and_journals(
    upstream: ReplayUpstream, tmp_path: Path
) -> None:
    db = tmp_path / "held.duckdb"
    holder, rec, client = held_while_recording(upstream, db)
    try:
        with pytest.raises(openai.APIStatusError):
            client.responses.create(model="gpt-4o", input="http-429")
        events = list(client.responses.create(model="gpt-4o", input="enc-gzip", stream=True))
        assert events
    finally:
        assert rec.stop() == 0
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait()
    assert "WARNING: cannot store into the database" in rec.output()
    assert f"PID {holder.pid}" in rec.output()
    assert list((tmp_path / "held.duckdb.journal").glob("*.rdj"))
    # The next recorder that can open the database stores what was journaled.
    again = Recorder(upstream.url, db).start()
    assert again.stop() == 0
    assert "+2 from earlier runs" in again.output()
    assert read_db(db, "SELECT status FROM exchanges ORDER BY position") == [(429,), (200,)]


def test_ctrl_c_mid_stream_writes_the_exchange_as_aborted(
    upstream: ReplayUpstream, tmp_path: Path
) -> None:
    db = tmp_path / "stop.duckdb"
    rec = Recorder(upstream.url, db).start()
    received: list[bytes] = []

    def stream() -> None:
        try:
            with httpx.Client(timeout=scaled(60)) as client, client.stream(
                "POST", rec.base_url + "/responses", content=request("slow", stream=True),
                headers={"content-type": "application/json"},
            ) as response:  # fmt: skip
                for chunk in response.iter_raw():
                    received.append(chunk)
        except httpx.HTTPError:
            pass

    thread = threading.Thread(target=stream)
    thread.start()
    wait_until(lambda: len(received), lambda n: n >= 3, timeout=30, what=lambda _: rec.output())
    assert rec.process is not None
    rec.process.send_signal(signal.SIGINT)
    assert wait_exit(rec.process, timeout=60, progress=rec.progress) == 0, rec.output()
    thread.join(scaled(60))
    assert not thread.is_alive()
    rows = read_db(db, "SELECT aborted, partial, octet_length(response_body) FROM exchanges")
    assert len(rows) == 1
    aborted, partial, size = rows[0]
    assert aborted and partial and 0 < size < len(SLOW)
    assert not (db.parent / (db.name + ".wal")).exists()  # checkpointed on the way out
    assert ROOT.exists()


KILLED = 32  # heavy streams journaled before the ingester may store any


def post_heavy(port: int) -> None:
    data = raw_post(port, request("heavy", stream=True))
    assert data.startswith(b"HTTP/1.1 200") and b"response.completed" in data, data[:300]


def test_kill_9_mid_import_loses_nothing_that_was_journaled(
    upstream: ReplayUpstream, tmp_path: Path
) -> None:
    """Kill the recorder and its ingester outright while the ingester is storing: the proxy
    stops with them, and the next start stores every exchange the journal holds, once.

    The database is held by another program until all the exchanges are journaled, so none
    is stored before the ingester starts on them; the kill comes once it has begun, and the
    test checks that it had not finished."""
    db = tmp_path / "killed.duckdb"
    holder, rec, _ = held_while_recording(upstream, db)
    assert rec.process is not None
    for _ in range(KILLED):
        post_heavy(rec.port)
    wait_until(
        rec.proxy_status, lambda s: s.get("journaled", 0) >= KILLED,
        timeout=60, progress=rec.progress, what=lambda _: rec.output(),
    )  # fmt: skip
    ingester = rec.ingester_pid()
    assert ingester is not None
    children = [ingester, *(p for p in rec_children(rec) if p != ingester)]
    assert holder.stdin is not None
    holder.stdin.close()  # the database frees up: the ingester opens it and starts storing
    holder.wait()
    begun = rec.wait_stats(lambda s: s.state == "storing" and s.exchanges >= 1, timeout=120)
    os.kill(ingester, signal.SIGKILL)
    rec.process.kill()
    rec.process.wait()
    wait_until(  # mitmdump notices its parent is gone and shuts down
        lambda: [p for p in children if Path(f"/proc/{p}").exists()],
        lambda alive: not alive, timeout=60, what="the recorder's children outlived it",
    )  # fmt: skip
    (stored_at_kill,) = read_db(db, "SELECT count(*) FROM exchanges")[0]
    assert stored_at_kill < KILLED, f"the import ended before the kill ({begun})"
    again = Recorder(upstream.url, db).start()
    assert again.stop() == 0, again.output()
    assert f"(+{KILLED - stored_at_kill:,} from earlier runs)" in again.output(), again.output()
    rows = read_db(db, "SELECT count(*), count(DISTINCT position), min(position), "
                       "max(position), bool_and(NOT aborted) FROM exchanges")  # fmt: skip
    assert rows == [(KILLED, KILLED, 0, KILLED - 1, True)], again.output()


def rec_children(rec: Recorder) -> list[int]:
    assert rec.process is not None
    found = subprocess.run(["pgrep", "-P", str(rec.process.pid)], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


LIVE = text_stream([f"live{i} " for i in range(12)])
LIVE_PARTS = [sse_body(LIVE[:6]), sse_body(LIVE[6:10]), sse_body(LIVE[10:])]


def test_a_stream_in_flight_is_visible_and_grows(tmp_path: Path) -> None:
    """Live readers see a running stream as a provisional exchange (position -1) whose events
    grow; when it ends, its final rows replace those under the same exchange id.

    The upstream holds each next part of the stream until the test has seen the last one in
    the database: the provisional row must appear, then grow, while the stream is open."""
    sql = (
        "SELECT e.exchange_id, e.partial, (SELECT count(*) FROM events v "
        "WHERE v.exchange_id = e.exchange_id) FROM exchanges e WHERE e.position < 0"
    )
    with GatedUpstream(LIVE_PARTS) as upstream:
        rec = Recorder(upstream.url, tmp_path / "live.duckdb").start()
        try:
            thread = threading.Thread(
                target=raw_post, args=(rec.port, request("live", stream=True))
            )
            thread.start()
            first = rec.wait_for(sql, lambda rows: len(rows) == 1 and rows[0][2] > 0)
            assert upstream.sent == 1  # still in flight: the rest is held
            upstream.release()
            later = rec.wait_for(sql, lambda rows: len(rows) == 1 and rows[0][2] > first[0][2])
            assert upstream.sent == 2
            upstream.release()
            thread.join(scaled(60))
            assert not thread.is_alive()
            exchange_id, partial, _ = first[0]
            assert partial and later[0][0] == exchange_id
            done = rec.wait_for(
                "SELECT position, partial, aborted, (SELECT count(*) FROM events v "
                "WHERE v.exchange_id = e.exchange_id) FROM exchanges e "
                f"WHERE exchange_id = {lit(exchange_id)}",
                lambda rows: bool(rows) and rows[0][0] >= 0,
            )
            assert done == [(0, False, False, len(LIVE))]
            assert rec.query(sql) == []
        finally:
            assert rec.stop() == 0, rec.output()


def test_a_database_freed_during_the_run_is_stored_into(
    upstream: ReplayUpstream, tmp_path: Path
) -> None:
    """A reader holding the file at start (browse, say) closes it: the same run stores all."""
    import duckdb

    from addon.store.db import StoreError

    db = tmp_path / "later.duckdb"
    holder, rec, client = held_while_recording(upstream, db)
    try:
        with pytest.raises(openai.APIStatusError):
            client.responses.create(model="gpt-4o", input="http-500")
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait()
        rows = rec.wait_for(  # not open yet, or not yet migrated: try again
            "SELECT status FROM exchanges WHERE position >= 0", lambda rows: bool(rows),
            retry_on=(StoreError, duckdb.Error),
        )  # fmt: skip
        assert rows == [(500,)], rec.output()
    finally:
        assert rec.stop() == 0
    assert "journal only" not in rec.output().splitlines()[-1]
