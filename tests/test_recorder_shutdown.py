"""Stopping `respdeck record` with a stream in flight is silent: no Python fatal error from a
thread reading stdin, no asyncio traceback from the connection task mitmproxy cancels. The
stream is still journaled, as aborted."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from addon.wire.exchange import Exchange, HttpRequest, HttpResponse
from inspector.replay.upstream import ReplayUpstream
from tests.helpers import API, sse_body, text_stream
from tests.recorder_harness import ROOT, Recorder, free_port, read_db

NOISE = ("Fatal Python error", "Traceback", "CancelledError", "Exception in")
SLOW = sse_body(text_stream([f"word{i} " for i in range(60)]))
REQUEST = json.dumps({"model": "gpt-4o", "input": "slow", "stream": True}).encode()


def slow_stream() -> Exchange:
    """A stream of 60 chunks over 60 s: any stop lands while it is in flight."""
    size = -(-len(SLOW) // 60)
    chunks = [(i * 1000.0, min(size, len(SLOW) - i * size)) for i in range(60)]
    return Exchange(
        HttpRequest("POST", f"{API}/responses", [("content-type", "application/json")], REQUEST),
        HttpResponse(200, [("content-type", "text/event-stream")], SLOW, chunks),
    )


@pytest.fixture(scope="module")
def upstream() -> Iterator[ReplayUpstream]:
    with ReplayUpstream([slow_stream()], pace=1.0) as server:
        yield server


def quiet(output: str) -> list[str]:
    return [line for line in output.splitlines() if any(n in line for n in NOISE)]


def stored_aborted(db: Path) -> list[tuple[bool, bool]]:
    return read_db(db, "SELECT aborted, partial FROM exchanges WHERE position >= 0")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_with_a_stream_in_flight_stops_silently(
    upstream: ReplayUpstream, tmp_path: Path, signum: signal.Signals
) -> None:
    db = tmp_path / "stop.duckdb"
    rec = Recorder(upstream.url, db).start()
    received: list[bytes] = []

    def stream() -> None:
        try:
            with (
                httpx.Client(timeout=120) as client,
                client.stream("POST", rec.base_url + "/responses", content=REQUEST) as response,
            ):
                for chunk in response.iter_raw():
                    received.append(chunk)
        except httpx.HTTPError:
            pass

    thread = threading.Thread(target=stream)
    thread.start()
    deadline = time.monotonic() + 60
    while len(received) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert received, rec.output()
    assert rec.process is not None
    rec.process.send_signal(signum)
    assert rec.stop() == 0, rec.output()
    thread.join(60)
    assert quiet(rec.output()) == [], rec.output()
    assert stored_aborted(db) == [(True, True)]


CLIENT = textwrap.dedent(
    """
    import os, subprocess, sys
    # A grandchild streams and outlives this command: its stream is in flight when respdeck
    # stops recording, right after this command exits.
    child = subprocess.Popen(
        [sys.executable, "-c", '''
    import os, sys, httpx2 as httpx
    try:
        with httpx.Client(timeout=120) as client, client.stream(
            "POST", os.environ["OPENAI_BASE_URL"] + "/responses", content=sys.argv[1].encode()
        ) as response:
            for i, chunk in enumerate(response.iter_raw()):
                if i == 1:
                    print("streaming", flush=True)
    except httpx.HTTPError:  # the recorder stopped under it, as intended
        pass
    ''', sys.argv[1]], stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert child.stdout.readline() == "streaming\\n"
    print("grandchild", child.pid, flush=True)
    sys.exit(5)
    """
)


def test_the_end_of_the_command_stops_silently(upstream: ReplayUpstream, tmp_path: Path) -> None:
    db = tmp_path / "cmd.duckdb"
    result = subprocess.run(
        [sys.executable, "-m", "inspector", "record", "--port", str(free_port()),
         "--upstream", upstream.url, "--db", str(db), "--",
         sys.executable, "-c", CLIENT, REQUEST.decode()],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 5, result.stderr
    assert "grandchild" in result.stdout
    assert quiet(result.stderr) == [], result.stderr
    assert stored_aborted(db) == [(True, True)]
