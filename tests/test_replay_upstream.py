"""The replay upstream: real openai SDK clients, raw sockets and wsproto against the real server.

Nothing is mocked: each test starts a ReplayUpstream on a free port over the shipped
recordings and talks to it as a client would.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpcore2
import httpx2
import openai
import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Request, TextMessage

from addon.importers import iter_paths, load_file
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, WsMessage, header
from addon.wire.parse import parse_exchange
from inspector.diff.request_key import normalize_path, normalize_query
from inspector.replay import ReplayUpstream, candidates, load_exchanges, request_key
from inspector.replay.match import Matcher, ws_replies

from .conftest import RECORDINGS, ROOT
from .helpers import json_exchange, response_obj
from .waiting import Lines, scaled, wait_exit

# Headers that describe one connection's framing, which the server sets itself (the test's own
# list: the server's may not hide, say, content-encoding without this test noticing).
FRAMING = {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"}


def rec(name: str, index: int = 0) -> Exchange:
    return load_file(RECORDINGS / name)[index]


def body_of(exchange: Exchange) -> dict[str, Any]:
    return json.loads(exchange.request.body)


def sdk(upstream: ReplayUpstream, prefix: str = "/v1") -> openai.OpenAI:
    return openai.OpenAI(base_url=upstream.url + prefix, api_key="sk-test", max_retries=0)


@pytest.fixture(scope="module")
def upstream() -> Any:
    """Every shipped recording, no pacing: what `respdeck demo` serves, minus the waiting."""
    with ReplayUpstream.from_paths([RECORDINGS], pace=0) as server:
        yield server


@pytest.fixture(scope="module")
def client(upstream: ReplayUpstream) -> openai.OpenAI:
    return sdk(upstream)


# -- matching (pure) -------------------------------------------------------------------------


def test_paths_and_queries_normalize() -> None:
    assert normalize_path("https://x.openai.azure.com/openai/v1/responses/") == "/v1/responses"
    assert normalize_path("/api/v1/responses?x=1") == "/v1/responses"
    assert normalize_path("/responses") == "/v1/responses"
    assert normalize_query("order=asc&limit=20&include[]=a") == normalize_query(
        "include=a&limit=20&order=asc"
    )


def test_exact_match_ignores_host_prefix_key_order_and_query_order() -> None:
    pool = [
        request_key("POST", "https://api.openai.com/v1/responses", b'{"model":"a","input":"x"}'),
        request_key("GET", "https://api.openai.com/v1/responses/r1/input_items?limit=2&order=asc"),
    ]
    key = request_key("POST", "/openai/v1/responses", b'{"input": "x", "model": "a"}')
    assert candidates(pool, key) == ([0], "exact")
    assert candidates(
        pool, request_key("GET", "/v1/responses/r1/input_items?order=asc&limit=2")
    ) == (
        [1],
        "exact",
    )


def test_similar_match_is_for_websocket_sessions_and_never_crosses_the_stream_flag() -> None:
    pool = [
        request_key("POST", "/v1/responses", b'{"model":"a","input":"x","stream":true}'),
        request_key("POST", "/v1/responses", b'{"model":"a","input":"y"}'),
        request_key("POST", "/v1/responses", b'{"model":"b","input":"x"}'),
    ]
    near = request_key("POST", "/v1/responses", b'{"model":"a","input":"x","temperature":0.2}')
    assert candidates(pool, near) == ([], "none")  # HTTP: by meaning or not at all
    assert candidates(pool, near, lenient=True) == ([2], "similar")  # same input beats model
    streaming = request_key("POST", "/v1/responses", b'{"model":"z","input":"x","stream":true}')
    assert candidates(pool, streaming, lenient=True) == ([0], "similar")
    unrelated = request_key("POST", "/v1/responses", b'{"model":"q","input":"w"}')
    assert candidates(pool, unrelated, lenient=True) == ([], "none")


def test_sole_recording_of_a_route_and_synthetic_requests_are_the_fallbacks() -> None:
    pool = [
        request_key("DELETE", "/v1/responses/r1"),
        request_key("POST", "/v1/responses", b'{"model":"a","input":"x"}'),
        request_key("POST", "/v1/responses", b'{"stream":true}', [("x-respdeck-synthetic", "1")]),
    ]
    assert candidates(pool, request_key("DELETE", "/v1/responses/r1?x=1"), lenient=True) == (
        [0],
        "only",
    )
    assert candidates(pool, request_key("DELETE", "/v1/responses/r1?x=1")) == ([], "none")
    anything = request_key("POST", "/v1/responses", b'{"model":"m","input":"i","stream":true}')
    assert candidates(pool, anything) == ([2], "synthetic")
    assert candidates(pool, request_key("DELETE", "/v1/responses/r2")) == ([], "none")


def test_equal_candidates_are_served_round_robin_in_recorded_order() -> None:
    keys = [request_key("GET", "/v1/responses/r1")] * 3 + [request_key("GET", "/v1/other")]
    matcher = Matcher(keys)
    picks = [matcher.pick(request_key("GET", "/v1/responses/r1"))[0] for _ in range(5)]
    assert picks == [0, 1, 2, 0, 1]
    assert matcher.pick(request_key("GET", "/v1/nothing")) == (None, "none")


def test_websocket_replies_follow_their_client_message() -> None:
    (ws,) = [e for e in load_file(RECORDINGS / "websocket.har") if e.websocket]
    messages = ws.websocket or []
    first, replies = ws_replies(messages, 0)
    second, replies2 = ws_replies(messages, 1)
    assert first is not None and second is not None and first.from_client and second.from_client
    assert json.loads(replies[-1].content)["type"] == "response.completed"
    assert len(replies) + len(replies2) + 2 == len(messages)
    assert ws_replies(messages, 2) == (None, [])


# -- the openai SDK against the server -------------------------------------------------------

STREAMS = [
    ("stream_text.har", 0),
    ("function_call_roundtrip.har", 0),
    ("reasoning.har", 0),
    ("web_search.har", 0),
    ("gzip_stream.har", 0),
]


@pytest.mark.parametrize(("name", "index"), STREAMS)
def test_sdk_streamed_create(client: openai.OpenAI, name: str, index: int) -> None:
    exchange = rec(name, index)
    expected = parse_exchange(exchange)
    with client.responses.create(**body_of(exchange)) as stream:
        events = list(stream)
    assert [e.type for e in events] == [e.type for e in expected.events]
    assert events[-1].type == "response.completed"
    assert events[-1].response.id == expected.response_id
    assert (events[-1].response.output_text or None) == expected.output_text
    recorded_output = expected.events[-1].data["response"]["output"]
    assert [i.type for i in events[-1].response.output] == [i["type"] for i in recorded_output]


def test_sdk_stream_helper(client: openai.OpenAI) -> None:
    request = body_of(rec("stream_text.har"))
    del request["stream"]
    with client.responses.stream(**request) as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text
    assert "Marais" in final.output_text and "☕" in final.output_text


@pytest.mark.parametrize(
    ("name", "index", "status"),
    [
        ("vcr_cassette.yaml", 0, "completed"),
        ("function_call_roundtrip.har", 1, "completed"),
        ("conversation.har", 2, "completed"),
        ("background.har", 0, "queued"),
    ],
)
def test_sdk_create(client: openai.OpenAI, name: str, index: int, status: str) -> None:
    exchange = rec(name, index)
    response = client.responses.create(**body_of(exchange))
    assert response.status == status
    assert response.id == parse_exchange(exchange).response_id
    if status == "completed":
        assert response.output_text and response.output_text == parse_exchange(exchange).output_text


def test_sdk_retrieve_input_items_and_input_tokens(client: openai.OpenAI) -> None:
    retrieved = rec("input_items.har", 1)
    response_id = parse_exchange(retrieved).response_id
    assert response_id
    assert (
        client.responses.retrieve(response_id).output_text == parse_exchange(retrieved).output_text
    )
    page = client.responses.input_items.list(response_id, limit=20, order="asc")
    listed = json.loads(rec("input_items.har", 0).response.body)  # type: ignore[union-attr]
    assert [item.id for item in page.data] == [item["id"] for item in listed["data"]]
    count = client.responses.input_tokens.count(**body_of(rec("input_items.har", 2)))
    assert count.input_tokens == json.loads(rec("input_items.har", 2).response.body)["input_tokens"]  # type: ignore[union-attr]


def test_sdk_background_poll_resume_cancel_delete(client: openai.OpenAI) -> None:
    created = client.responses.create(**body_of(rec("background.har", 0)))
    assert client.responses.retrieve(created.id).status == "in_progress"
    with client.responses.retrieve(created.id, stream=True, starting_after=3) as stream:
        events = list(stream)
    assert events[0].sequence_number == 4 and events[-1].type == "response.completed"
    assert client.responses.delete(created.id) is None
    second = client.responses.create(**body_of(rec("background.har", 4)))
    assert client.responses.cancel(second.id).status == "cancelled"


def test_sdk_compact(client: openai.OpenAI) -> None:
    compacted = client.responses.compact(**body_of(rec("compact.har")))
    assert compacted.object == "response.compaction"
    assert [item.type for item in compacted.output][-1] == "compaction"


def test_sdk_conversations(client: openai.OpenAI) -> None:
    conversation = client.conversations.create(**body_of(rec("conversation.har", 0)))
    assert conversation.id.startswith("conv_") and conversation.metadata == {"topic": "travel"}
    added = client.conversations.items.create(
        conversation.id, **body_of(rec("conversation.har", 1))
    )
    assert added.data[0].type == "message"
    listed = client.conversations.items.list(conversation.id)
    assert len(listed.data) >= 2
    deleted = client.conversations.delete(conversation.id)
    assert deleted.deleted is True and deleted.id == conversation.id


def test_sdk_errors_replay_in_recorded_order() -> None:
    """The same body was sent twice: a stream ending in an error event, then a 429."""
    with ReplayUpstream(load_file(RECORDINGS / "stream_error.har"), pace=0) as server:
        client = sdk(server)
        first = client.responses.create(**body_of(rec("stream_error.har", 0)))
        with pytest.raises(openai.APIError, match="server had an error"), first as stream:
            list(stream)
        request = body_of(rec("stream_error.har", 1))
        with client.responses.create(**request) as stream:
            assert [e.type for e in stream][-1] == "error"
        with pytest.raises(openai.RateLimitError, match="Rate limit reached") as info:
            client.responses.create(**request)
        assert info.value.status_code == 429
        assert info.value.response.headers["x-ratelimit-remaining-requests"] == "0"
        assert [s.source for s in server.served] == [
            "stream_error.har#0",
            "stream_error.har#1",
            "stream_error.har#2",
        ]


def test_sdk_cut_stream_drops_the_connection(client: openai.OpenAI) -> None:
    seen: list[str] = []
    cut = client.responses.create(**body_of(rec("stream_cut.har")))
    # The SDK wraps a connection lost while it reads the head; one lost while the stream is
    # iterated comes through as the transport's own error (httpx2's, or httpcore2's when the
    # loss lands in its chunked reader): which one depends on where the cut falls in a read.
    lost = (openai.APIConnectionError, httpx2.RemoteProtocolError, httpcore2.RemoteProtocolError)
    with pytest.raises(lost), cut as stream:
        seen.extend(e.type for e in stream)
    assert seen and seen[-1] == "response.output_text.delta"


def test_sdk_async_and_an_azure_style_prefix(upstream: ReplayUpstream) -> None:
    async def run() -> tuple[str, str]:
        client = openai.AsyncOpenAI(
            base_url=upstream.url + "/openai/v1", api_key="sk-test", max_retries=0
        )
        async with client:
            plain = await client.responses.create(**body_of(rec("vcr_cassette.yaml")))
            stream = await client.responses.create(**body_of(rec("gzip_stream.har")))
            events = [event async for event in stream]
        assert events[-1].type == "response.completed"
        return plain.output_text, events[-1].response.output_text

    plain, streamed = asyncio.run(run())
    assert plain == parse_exchange(rec("vcr_cassette.yaml")).output_text
    assert streamed == parse_exchange(rec("gzip_stream.har")).output_text


def test_unmatched_request_is_an_openai_style_404(
    upstream: ReplayUpstream, client: openai.OpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.responses.create(model="gpt-4o", input="never recorded")
    error = info.value.body
    assert isinstance(error, dict) and error["type"] == "invalid_request_error"
    assert "no recorded exchange for POST /v1/responses" in error["message"]
    raw = httpx2.get(upstream.url + "/v1/models")
    assert raw.status_code == 404
    assert "GET /v1/models" in raw.json()["error"]["message"]
    assert "no recorded exchange for POST /v1/responses" in caplog.text
    with socket.create_connection(("127.0.0.1", upstream.port)) as sock:  # a WebSocket too
        sock.sendall(WSConnection(ConnectionType.CLIENT).send(Request(host="x", target="/v1/x")))
        assert sock.recv(65536).startswith(b"HTTP/1.1 404 ")


def test_polls_of_a_background_response_replay_its_states_in_turn_then_the_last() -> None:
    states = ["queued", "in_progress", "completed"]
    polls = [json_exchange("GET", "/responses/resp_1", 200, response_obj([], s)) for s in states]
    with ReplayUpstream(polls, pace=0) as server:
        client = sdk(server)
        seen = [client.responses.retrieve("resp_1").status for _ in range(4)]
        assert [s.tier for s in server.served] == ["exact", "exact", "exact", "state"]
    assert seen == [*states, "completed"]


# -- bytes and timing on the wire ------------------------------------------------------------

FILES = [p for p in iter_paths([RECORDINGS]) if not p.name.startswith("websocket")]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_recorded_exchange_replays_byte_for_byte(path: Path) -> None:
    """Each request of a file, re-sent in order, gets its recorded status, headers and raw
    (still encoded) body; a cut-off body ends the connection early, as it did."""
    exchanges = load_file(path)
    with ReplayUpstream(exchanges, pace=0) as server, httpx2.Client() as http:
        for exchange in exchanges:
            request, response = exchange.request, exchange.response
            assert response is not None
            target = request.path + (f"?{request.query}" if request.query else "")
            received = bytearray()
            with http.stream(
                request.method,
                server.url + target,
                content=request.body or None,
                headers={"content-type": "application/json"},
            ) as reply:
                try:
                    for piece in reply.iter_raw():
                        received += piece
                except (httpx2.RemoteProtocolError, httpcore2.RemoteProtocolError):
                    assert response.truncated  # the transport's error, whichever layer says it
                else:
                    assert not response.truncated
            assert reply.status_code == response.status
            assert bytes(received) == response.body
            # framing headers are recomputed; everything else (content-encoding!) goes as recorded
            kept = [(k.lower(), v) for k, v in response.headers if k.lower() not in FRAMING]
            sent = [(k.decode().lower(), v.decode()) for k, v in reply.headers.raw]
            assert [h for h in sent if h[0] not in FRAMING] == kept
            assert header(sent, "content-encoding") == header(response.headers, "content-encoding")
            chunked = "chunked" in (header(response.headers, "transfer-encoding") or "")
            assert (
                ("transfer-encoding", "chunked") in sent
                if chunked
                else (
                    "content-length",
                    str(len(response.body)),
                )
                in sent
            )


def read_chunked(reads: list[tuple[float, bytes]]) -> tuple[bytes, list[tuple[float, int, bytes]]]:
    """Decode a chunked HTTP response from timed socket reads: (head, [(t, read#, payload)])."""
    data = b"".join(d for _, d in reads)
    ends, total = [], 0
    for _, d in reads:
        total += len(d)
        ends.append(total)
    head = data.partition(b"\r\n\r\n")[0]
    pos, chunks = len(head) + 4, []
    while True:
        line_end = data.index(b"\r\n", pos)
        size = int(data[pos:line_end], 16)
        if size == 0:
            return head, chunks
        start, stop = line_end + 2, line_end + 2 + size
        read_no = next(i for i, end in enumerate(ends) if end >= stop)
        chunks.append((reads[read_no][0], read_no, data[start:stop]))
        pos = stop + 2


def test_stream_chunks_arrive_as_recorded_writes_never_early() -> None:
    """Each recorded write is one chunk, sent no earlier than its recorded offset. How close
    to it (and whether far-apart writes stay apart) is timing: tests/bench/bench_replay.py."""
    exchange = rec("gzip_stream.har")
    response = exchange.response
    assert response is not None and response.chunks
    body = exchange.request.body
    with ReplayUpstream([exchange], pace=1.0) as server:
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(
            b"POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        t0 = time.perf_counter()
        reads: list[tuple[float, bytes]] = []
        while not b"".join(d for _, d in reads).endswith(b"\r\n0\r\n\r\n"):
            data = sock.recv(65536)
            assert data, "connection closed early"
            reads.append(((time.perf_counter() - t0) * 1000, data))
        sock.close()
    head, chunks = read_chunked(reads)
    assert head.startswith(b"HTTP/1.1 200 ") and b"content-encoding: gzip" in head.lower()
    recorded = [(offset, bytes(piece)) for offset, piece in response.iter_chunks()]
    assert [c[2] for c in chunks] == [piece for _, piece in recorded]
    assert b"".join(c[2] for c in chunks) == response.body
    errors = [t - offset for (t, _, _), (offset, _) in zip(chunks, recorded, strict=True)]
    assert min(errors) > -5, errors  # never early: a loaded machine can only make it late


def test_32_concurrent_streams_are_all_served_paced() -> None:
    """32 streams at once each get their whole text, none faster than its recorded pace (how
    much slower under load is measured by tests/bench/bench_replay.py)."""
    exchange = rec("stream_text.har")
    assert exchange.response is not None and exchange.response.chunks
    pace = 0.5
    last = exchange.response.chunks[-1][0] * pace / 1000
    expected = parse_exchange(exchange).output_text

    async def one(client: openai.AsyncOpenAI) -> tuple[float, str]:
        start = time.perf_counter()
        stream = await client.responses.create(**body_of(exchange))
        events = [event async for event in stream]
        return time.perf_counter() - start, events[-1].response.output_text

    async def run() -> list[tuple[float, str]]:
        client = openai.AsyncOpenAI(base_url=server.url + "/v1", api_key="sk-test", max_retries=0)
        async with client:
            return await asyncio.gather(*(one(client) for _ in range(32)))

    with ReplayUpstream([exchange], pace=pace) as server:
        results = asyncio.run(run())
    assert [text for _, text in results] == [expected] * 32
    durations = sorted(d for d, _ in results)
    assert durations[0] >= last - 0.01, durations


# -- WebSocket mode --------------------------------------------------------------------------


def ws_session(port: int, turns: list[bytes]) -> list[list[tuple[float, dict[str, Any]]]]:
    """A raw wsproto client: send each message, collect the replies up to the terminal event."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(scaled(30))
    ws = WSConnection(ConnectionType.CLIENT)
    sock.sendall(ws.send(Request(host="127.0.0.1", target="/v1/responses")))
    out: list[list[tuple[float, dict[str, Any]]]] = []
    replies: list[tuple[float, dict[str, Any]]] = []
    accepted, sent, sent_at = False, 0, 0.0
    while len(out) < len(turns):
        if accepted and sent == len(out):  # the previous turn is complete: send the next
            sent_at = time.perf_counter()
            sock.sendall(ws.send(TextMessage(data=turns[sent].decode())))
            sent += 1
        ws.receive_data(sock.recv(65536))
        for event in ws.events():
            if isinstance(event, AcceptConnection):
                accepted = True
            elif isinstance(event, TextMessage):
                message = json.loads(event.data)
                replies.append(((time.perf_counter() - sent_at) * 1000, message))
                if message["type"] in ("response.completed", "error"):
                    out.append(replies)
                    replies = []
    sock.sendall(ws.send(CloseConnection(code=1000)))
    sock.close()
    return out


def test_websocket_mode_replays_each_turn_paced() -> None:
    """Each turn's replies, never before their recorded offsets (how close: the bench)."""
    (session,) = [e for e in load_file(RECORDINGS / "websocket.har") if e.websocket]
    messages = session.websocket or []
    client = [m.content for m in messages if m.from_client]
    pace = 0.25
    with ReplayUpstream(load_exchanges([RECORDINGS]), pace=pace) as server:
        turns = ws_session(server.port, [*client, b'{"type":"response.create","input":"more"}'])
    for turn, replies in enumerate(turns[:2]):
        sent, recorded = ws_replies(messages, turn)
        assert sent is not None and sent.offset_ms is not None
        assert [m for _, m in replies] == [json.loads(m.content) for m in recorded]
        last = recorded[-1].offset_ms
        assert last is not None
        assert replies[-1][0] >= (last - sent.offset_ms) * pace - 5
    assert turns[2][0][1]["type"] == "error"  # a third turn was never recorded
    assert "no recorded reply" in turns[2][0][1]["error"]["message"]


def test_websocket_first_message_picks_among_sessions_on_one_path() -> None:
    def session(name: str) -> Exchange:
        create = json.dumps({"type": "response.create", "model": "m", "input": name}).encode()
        done = json.dumps({"type": "response.completed", "response": {"id": name}}).encode()
        return Exchange(
            HttpRequest("GET", "wss://api.openai.com/v1/responses"),
            HttpResponse(101),
            websocket=[WsMessage(10, True, create), WsMessage(20, False, done)],
            source=f"{name}.har",
        )

    with ReplayUpstream([session("a"), session("b")], pace=0) as server:
        ask = json.dumps({"type": "response.create", "model": "m", "input": "b"}).encode()
        (turn,) = ws_session(server.port, [ask])
        assert server.served[-1].source == "b.har#0"
    assert [m["response"]["id"] for _, m in turn] == ["b"]


# -- the command -----------------------------------------------------------------------------


def test_command_serves_until_interrupted_and_reports_bad_paths_in_one_line(
    tmp_path: Path,
) -> None:
    command = [sys.executable, "-m", "inspector", "replay"]  # `respdeck replay`
    log = tmp_path / "stderr.txt"
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            [*command, str(RECORDINGS / "vcr_cassette.yaml"), "--pace", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        assert proc.stdout is not None
        url = (Lines(proc.stdout).next(timeout=60) or "").strip()
        assert url.startswith("http://127.0.0.1:")
        client = openai.OpenAI(base_url=url + "/v1", api_key="sk-test", max_retries=0)
        reply = client.responses.create(**body_of(rec("vcr_cassette.yaml")))
        assert reply.output_text.startswith("Grey waves")
    finally:
        proc.send_signal(signal.SIGINT)
        code = wait_exit(proc, timeout=120, progress=lambda: log.stat().st_size)
    err = log.read_text()
    assert code == 0, err
    assert "vcr_cassette.yaml#0" in err and "Traceback" not in err

    bad = subprocess.run(
        [*command, "no/such/dir"], cwd=ROOT, capture_output=True, text=True, timeout=scaled(60)
    )
    assert bad.returncode == 2
    assert bad.stderr.strip() == "respdeck: no/such/dir: no such file or directory"
    alias = subprocess.run(  # the module entry is a thin alias of the command
        [sys.executable, "-m", "inspector.replay", "no/such/dir"],
        cwd=ROOT, capture_output=True, text=True, timeout=scaled(60),
    )  # fmt: skip
    assert (alias.returncode, alias.stderr) == (bad.returncode, bad.stderr)
