"""Timing of the replay upstream, and of streams through `respdeck record` (run on demand, not
in the suite: wall-clock figures belong to an idle machine, not to a loaded CI run):

    uv run python tests/bench/bench_replay.py [--rounds 3]

The functional tests only check order (never early, never held back); these are the figures
they used to assert, with the same targets:
  - chunk offsets of a paced replay (gzip_stream.har at pace 1): lateness p50 < 30 ms, max
    < 250 ms; writes >= 25 ms apart arrive in separate reads;
  - 32 concurrent paced streams (stream_text.har at pace 0.5): slowest < recorded + 1.5 s,
    wall < recorded + 2.5 s;
  - WebSocket turns (websocket.har at pace 0.25): last reply < recorded + 250 ms;
  - a stream through `respdeck record` (stream_text.har at pace 0.25): its chunks spread over
    > 0.5x the recorded span (not bunched by buffering).
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx2 as httpx  # noqa: E402
import openai  # noqa: E402

from addon.importers import load_file  # noqa: E402
from addon.wire.parse import parse_exchange  # noqa: E402
from inspector.replay import ReplayUpstream, load_exchanges  # noqa: E402
from inspector.replay.match import ws_replies  # noqa: E402

RECORDINGS = ROOT / "recordings"
MISSED: list[str] = []


def check(name: str, value: float, target: float, unit: str = "ms") -> None:
    ok = value < target
    print(f"  {name}: {value:.1f} {unit} (target < {target:g}){'' if ok else '  MISSED'}")
    if not ok:
        MISSED.append(name)


def chunk_offsets() -> None:
    from tests.test_replay_upstream import read_chunked

    (exchange,) = load_file(RECORDINGS / "gzip_stream.har")
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
    _, chunks = read_chunked(reads)
    recorded = list(response.iter_chunks())
    late = [t - offset for (t, _, _), (offset, _) in zip(chunks, recorded, strict=True)]
    print("replay chunk offsets (gzip_stream.har, pace 1):")
    check("lateness p50", statistics.median(late), 30)
    check("lateness max", max(late), 250)
    merged = sum(
        1
        for (_, a, _), (_, b, _), (t_a, _), (t_b, _) in zip(
            chunks, chunks[1:], recorded, recorded[1:], strict=False
        )
        if t_b - t_a >= 25 and b <= a
    )
    check("writes >= 25 ms apart merged into one read", merged, 1, "")


def concurrent_streams() -> None:
    (exchange,) = load_file(RECORDINGS / "stream_text.har")
    assert exchange.response is not None and exchange.response.chunks
    pace = 0.5
    last = exchange.response.chunks[-1][0] * pace / 1000
    body = json.loads(exchange.request.body)
    expected = parse_exchange(exchange).output_text

    async def one(client: openai.AsyncOpenAI) -> tuple[float, str]:
        start = time.perf_counter()
        stream = await client.responses.create(**body)
        events = [event async for event in stream]
        return time.perf_counter() - start, events[-1].response.output_text

    async def run(url: str) -> list[tuple[float, str]]:
        client = openai.AsyncOpenAI(base_url=url + "/v1", api_key="sk-test", max_retries=0)
        async with client:
            return await asyncio.gather(*(one(client) for _ in range(32)))

    with ReplayUpstream([exchange], pace=pace) as server:
        started = time.perf_counter()
        results = asyncio.run(run(server.url))
        wall = time.perf_counter() - started
    assert [text for _, text in results] == [expected] * 32
    slowest = max(d for d, _ in results)
    print(f"32 concurrent streams (recorded {last:.2f} s at pace {pace}):")
    check("slowest over recorded", (slowest - last), 1.5, "s")
    check("wall over recorded", (wall - last), 2.5, "s")


def websocket_turns() -> None:
    from tests.test_replay_upstream import ws_session

    (session,) = [e for e in load_file(RECORDINGS / "websocket.har") if e.websocket]
    messages = session.websocket or []
    client = [m.content for m in messages if m.from_client]
    pace = 0.25
    with ReplayUpstream(load_exchanges([RECORDINGS]), pace=pace) as server:
        turns = ws_session(server.port, client)
    print(f"WebSocket turns (pace {pace}):")
    for turn, replies in enumerate(turns):
        sent, recorded = ws_replies(messages, turn)
        assert sent is not None and sent.offset_ms is not None
        last = recorded[-1].offset_ms
        assert last is not None
        check(
            f"turn {turn} last reply late by", replies[-1][0] - (last - sent.offset_ms) * pace, 250
        )


def through_recorder() -> None:
    from tests.recorder_harness import Recorder

    (text,) = load_file(RECORDINGS / "stream_text.har")
    assert text.response is not None and text.response.chunks
    pace = 0.25
    span = (text.response.chunks[-1][0] - text.response.chunks[0][0]) * pace / 1000
    with ReplayUpstream([text], pace=pace) as upstream, tempfile.TemporaryDirectory() as tmp:
        rec = Recorder(upstream.url, Path(tmp) / "bench.duckdb").start()
        try:
            start, arrivals = time.perf_counter(), []
            headers = {"content-type": "application/json", "accept-encoding": "identity"}
            with (
                httpx.Client(timeout=60) as client,
                client.stream(
                    "POST", rec.base_url + "/responses", content=text.request.body, headers=headers
                ) as response,
            ):
                for _ in response.iter_raw():
                    arrivals.append(time.perf_counter() - start)
        finally:
            rec.stop()
    print(f"a stream through respdeck record (recorded span {span:.2f} s at pace {pace}):")
    print(f"  first chunk after {arrivals[0] * 1000:.0f} ms, {len(arrivals)} reads")
    check("bunching (1 - arrival span / recorded span)", 1 - (arrivals[-1] - arrivals[0]) / span,
          0.5, "")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    for round_ in range(args.rounds):
        print(f"-- round {round_ + 1}")
        chunk_offsets()
        concurrent_streams()
        websocket_turns()
        through_recorder()
    if MISSED:
        print("missed:", ", ".join(sorted(set(MISSED))))
    return 1 if MISSED else 0


if __name__ == "__main__":
    sys.exit(main())
