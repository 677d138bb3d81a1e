"""End to end: the openai SDK -> `respdeck record` (real mitmdump) -> a local replay upstream.

Every call is made twice, straight to the upstream and through the recorder; the client must
get the same thing both ways, and the database must hold each proxied exchange with its exact
bytes, items, events, usage and timings.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import openai
import pytest

from addon.importers import load_file
from addon.wire.endpoints import classify
from addon.wire.exchange import Exchange
from inspector.replay.upstream import ReplayUpstream
from tests.gated_upstream import GatedUpstream, read_held
from tests.recorder_harness import ROOT, Recorder, lit
from tests.waiting import scaled, wait_until

RECORDINGS = ROOT / "recordings"
KEY = "sk-planted-e2e-0123456789abcdefXYZ"
FILES = [
    "stream_text.har",
    "function_call_roundtrip.har",
    "reasoning.har",
    "web_search.har",
    "gzip_stream.har",
    "vcr_cassette.yaml",
    "background.har",
    "compact.har",
    "input_items.har",
    "conversation.har",
    "stream_error.har",
]
FINISHED = "SELECT count(*) FROM exchanges WHERE position >= 0"  # not a stream in flight


def finished(rec: Recorder) -> int:
    """How many exchanges the recorder has stored so far: later ones sort after them."""
    return int(rec.query(FINISHED)[0][0])


@pytest.fixture(scope="module")
def upstream() -> Iterator[ReplayUpstream]:
    with ReplayUpstream.from_paths([RECORDINGS], pace=0.25) as server:
        yield server


@pytest.fixture(scope="module")
def direct() -> Iterator[ReplayUpstream]:
    """A twin of the recorder's upstream for direct calls: its own round-robin over repeats."""
    with ReplayUpstream.from_paths([RECORDINGS], pace=0.25) as server:
        yield server


@pytest.fixture(scope="module")
def recorder(
    upstream: ReplayUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Recorder]:
    db = tmp_path_factory.mktemp("e2e") / "rec.duckdb"
    rec = Recorder(upstream.url, db, "--redact-header", "x-planted").start()
    yield rec
    assert rec.stop() == 0, rec.output()


def exchanges() -> list[Exchange]:
    out = []
    for name in FILES:
        out.extend(e for e in load_file(RECORDINGS / name) if e.websocket is None)
    return out


def call(client: openai.OpenAI, exchange: Exchange) -> Any:
    """Make the recorded request with the SDK's own typed method; the outcome as plain data."""
    request = exchange.request
    endpoint = classify(request.method, request.path)
    body = json.loads(request.body) if request.body else {}
    parts = request.path.split("/")
    query = dict(httpx.URL(request.url).params)
    try:
        if endpoint == "responses.create":
            result = client.responses.create(**body)
            if body.get("stream"):
                return [event.model_dump() for event in result]
            return result.model_dump()
        if endpoint == "responses.retrieve":
            if query.get("stream") == "true":
                stream = client.responses.retrieve(
                    parts[-1], stream=True, starting_after=int(query["starting_after"])
                )
                return [event.model_dump() for event in stream]
            return client.responses.retrieve(parts[-1]).model_dump()
        if endpoint == "responses.delete":
            return client.responses.delete(parts[-1])
        if endpoint == "responses.cancel":
            return client.responses.cancel(parts[-2]).model_dump()
        if endpoint == "responses.compact":
            return client.responses.compact(**body).model_dump()
        if endpoint == "responses.input_items":
            return [i.model_dump() for i in client.responses.input_items.list(parts[-2], **query)]
        if endpoint == "responses.input_tokens":
            return client.responses.input_tokens.count(**body).model_dump()
        if endpoint == "conversations.create":
            return client.conversations.create(**body).model_dump()
        if endpoint == "conversations.items.create":
            return client.conversations.items.create(parts[-2], **body).model_dump()
        if endpoint == "conversations.items.list":
            return [i.model_dump() for i in client.conversations.items.list(parts[-2])]
        if endpoint == "conversations.delete":
            return client.conversations.delete(parts[-1]).model_dump()
    except openai.APIStatusError as exc:
        return ("error", exc.status_code, exc.body)
    except openai.APIError as exc:  # an error event inside a stream
        return ("stream error", exc.message, exc.body)
    raise AssertionError(f"no SDK call for {endpoint}")


def client_for(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=base_url, api_key=KEY, max_retries=0, default_headers={"x-planted": "org-777"}
    )


def test_sdk_gets_the_same_through_the_recorder_and_it_is_all_stored(
    direct: ReplayUpstream, recorder: Recorder
) -> None:
    recorded = exchanges()
    plain, proxied = client_for(direct.url + "/v1"), client_for(recorder.base_url)
    before = finished(recorder)
    for exchange in recorded:
        assert call(proxied, exchange) == call(plain, exchange), exchange.source
    rows = recorder.wait_for(
        "SELECT exchange_id, endpoint, status, streamed, response_body, ttfb_ms, duration_ms, "
        "response_chunks, key_fingerprint, request_headers, aborted FROM exchanges "
        "WHERE position >= 0 ORDER BY position",
        lambda rows: len(rows) >= before + len(recorded),
    )[before:]
    assert len(rows) == len(recorded)
    for row, exchange in zip(rows, recorded, strict=True):
        assert exchange.response is not None
        (
            exchange_id,
            endpoint,
            status,
            streamed,
            body,
            ttfb,
            duration,
            chunks,
            key,
            headers,
            aborted,
        ) = row
        assert endpoint == classify(exchange.request.method, exchange.request.path)
        assert status == exchange.response.status
        if aborted:  # the SDK hung up after an error event: what went through is kept
            assert exchange.response.body.startswith(body) and body, exchange.source
        else:
            assert body == exchange.response.body, f"stored bytes differ for {exchange.source}"
        assert ttfb is not None and duration is not None and duration >= ttfb >= 0
        assert json.loads(chunks) and sum(s for _, s in json.loads(chunks)) == len(body)
        assert key and key.startswith("fp:")
        assert KEY not in headers and "org-777" not in headers
        if streamed:
            events = recorder.query(
                f"SELECT count(*) FROM events WHERE exchange_id = {lit(exchange_id)}"
            )
            assert events[0][0] > 0, exchange.source
    ids = ", ".join(lit(row[0]) for row in rows)
    usage = recorder.query(
        "SELECT count(*), sum(input_tokens), sum(output_tokens) FROM usage "
        f"WHERE exchange_id IN ({ids})"
    )[0]
    assert usage[0] >= 8 and usage[1] > 0 and usage[2] > 0
    sql = f"SELECT count(DISTINCT type) FROM items WHERE exchange_id IN ({ids})"
    items = recorder.query(sql)[0][0]
    assert items >= 5  # messages, function calls and outputs, reasoning, web search...


def test_async_client_and_stream_helper(direct: ReplayUpstream, recorder: Recorder) -> None:
    (text,) = [e for e in load_file(RECORDINGS / "stream_text.har")]
    body = json.loads(text.request.body)

    async def run(base_url: str) -> tuple[Any, Any]:
        client = openai.AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0)
        events = [e.model_dump() async for e in await client.responses.create(**body)]
        helper_body = {k: v for k, v in body.items() if k != "stream"}
        async with client.responses.stream(**helper_body) as stream:
            final = await stream.get_final_response()
        await client.close()
        return events, final.model_dump()

    before = recorder.query(FINISHED + " AND streamed")[0][0]
    assert asyncio.run(run(recorder.base_url)) == asyncio.run(run(direct.url + "/v1"))
    recorder.wait_for(FINISHED + " AND streamed", lambda rows: rows[0][0] >= before + 2)


def raw_stream(url: str, body: bytes) -> bytes:
    """Raw bytes as they come off the socket (still content-encoded)."""
    with (
        httpx.Client(timeout=scaled(30)) as client,
        client.stream(
            "POST",
            url,
            content=body,
            headers={"content-type": "application/json", "accept-encoding": "identity"},
        ) as response,
    ):
        return b"".join(response.iter_raw())


def test_stream_bytes_pass_through_unchanged(direct: ReplayUpstream, recorder: Recorder) -> None:
    (text,) = load_file(RECORDINGS / "stream_text.har")
    assert text.response is not None and text.response.chunks
    body = text.request.body
    plain = raw_stream(direct.url + "/v1/responses", body)
    proxied = raw_stream(recorder.base_url + "/responses", body)
    assert proxied == plain == text.response.body


def stream_parts(parts: int = 3) -> list[bytes]:
    """stream_text.har's response body cut at its recorded chunk boundaries into `parts`."""
    (text,) = load_file(RECORDINGS / "stream_text.har")
    assert text.response is not None
    pieces = [piece for _, piece in text.response.iter_chunks()]
    step = -(-len(pieces) // parts)
    return [b"".join(pieces[i : i + step]) for i in range(0, len(pieces), step)]


def test_a_stream_is_not_held_back(tmp_path: Path) -> None:
    """Each part of a stream reaches the client while the upstream still holds the next one
    (the upstream sends it only once the client has the previous): a proxy that buffered the
    response would deliver nothing, ever. Timing-free; the pacing is measured by
    tests/bench/bench_replay.py."""
    (text,) = load_file(RECORDINGS / "stream_text.har")
    with GatedUpstream(stream_parts()) as upstream:
        rec = Recorder(upstream.url, tmp_path / "held.duckdb").start()
        try:
            with (
                httpx.Client(timeout=scaled(60)) as client,
                client.stream(
                    "POST", rec.base_url + "/responses", content=text.request.body,
                    headers={"content-type": "application/json"},
                ) as response,
            ):  # fmt: skip
                got = read_held(response.iter_raw(), upstream)
            assert got == b"".join(upstream.parts)
            (stored,) = rec.wait_for(
                "SELECT response_body FROM exchanges WHERE position >= 0",
                lambda rows: len(rows) == 1,
            )[0]
        finally:
            assert rec.stop() == 0, rec.output()
    assert stored == got


def test_websocket_mode_is_recorded(direct: ReplayUpstream, recorder: Recorder) -> None:
    from tests.ws_client import websocket_session

    (ws,) = load_file(RECORDINGS / "websocket.har")
    sent = [m.content for m in ws.websocket or [] if m.from_client]
    sql = (
        "SELECT exchange_id, endpoint FROM exchanges WHERE position >= 0 "
        "AND method = 'GET' AND status = 101 ORDER BY position"
    )
    before = len(recorder.query(sql))
    plain = websocket_session(direct.port, sent)
    proxied = websocket_session(recorder.port, sent)
    assert proxied == plain and proxied
    rows = recorder.wait_for(sql, lambda rows: len(rows) > before)[before:]
    assert rows[0][1] == "responses.websocket"
    events = recorder.query(
        "SELECT count(*), count(*) FILTER (WHERE from_client) FROM events "
        f"WHERE exchange_id = {lit(rows[0][0])}"
    )[0]
    assert events[0] == len(sent) + len(proxied) and events[1] == len(sent)


def test_the_planted_key_is_nowhere_on_disk(recorder: Recorder) -> None:
    recorder.query("SELECT 1")
    files = [p for p in recorder.db.parent.rglob("*") if p.is_file()]
    assert any(p.suffix == ".rdj" for p in files) and recorder.db in files
    for path in files:
        data = path.read_bytes()
        assert KEY.encode() not in data, path
        assert b"org-777" not in data, path


def status_lines(output: str, stored: int) -> list[str]:
    """The status lines that report `stored` exchanges stored."""
    prefix = f"respdeck: {stored:,} exchanges · "
    return [line for line in output.splitlines() if line.startswith(prefix)]


QUEUE_EMPTY = re.compile(r" · queue 0( · |$)")


def test_the_status_line_reports_progress(recorder: Recorder) -> None:
    """Without a terminal the status line is printed whenever it changes (at most every 2 s);
    once everything is stored, the line saying so reports an empty queue."""
    (haiku,) = load_file(RECORDINGS / "vcr_cassette.yaml")
    before = finished(recorder)
    assert call(client_for(recorder.base_url), haiku)
    stored = recorder.wait_for(FINISHED, lambda rows: rows[0][0] > before)[0][0]
    recorder.wait_stats(lambda s: s.exchanges >= stored)
    lines = wait_until(
        lambda: status_lines(recorder.output(), stored),
        lambda lines: any(QUEUE_EMPTY.search(line) for line in lines),
        timeout=30, progress=recorder.progress, what=lambda _: recorder.output(),
    )  # fmt: skip
    assert stored > 0 and lines
