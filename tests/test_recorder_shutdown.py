"""Stopping `respdeck record` with a stream in flight is silent: no Python fatal error from a
thread reading stdin, no asyncio traceback from the connection task mitmproxy cancels. The
stream is still journaled, as aborted. The upstream holds the rest of the stream while the
tests run, so every stop lands while it is in flight, however slow the machine."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.gated_upstream import GatedUpstream
from tests.helpers import sse_body, text_stream
from tests.recorder_harness import ROOT, Recorder, free_port, read_db
from tests.waiting import scaled, wait_until

NOISE = ("Fatal Python error", "Traceback", "CancelledError", "Exception in")
EVENTS = text_stream([f"word{i} " for i in range(60)])
REQUEST = json.dumps({"model": "gpt-4o", "input": "slow", "stream": True}).encode()


@pytest.fixture(scope="module")
def upstream() -> Iterator[GatedUpstream]:
    """Sends the first events of a stream, and the rest never (while the tests run)."""
    with GatedUpstream([sse_body(EVENTS[:8]), sse_body(EVENTS[8:])]) as server:
        yield server


def quiet(output: str) -> list[str]:
    return [line for line in output.splitlines() if any(n in line for n in NOISE)]


def stored_aborted(db: Path) -> list[tuple[bool, bool]]:
    return read_db(db, "SELECT aborted, partial FROM exchanges WHERE position >= 0")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_with_a_stream_in_flight_stops_silently(
    upstream: GatedUpstream, tmp_path: Path, signum: signal.Signals
) -> None:
    db = tmp_path / "stop.duckdb"
    rec = Recorder(upstream.url, db).start()
    received: list[bytes] = []

    def stream() -> None:
        try:
            with (
                httpx.Client(timeout=scaled(120)) as client,
                client.stream("POST", rec.base_url + "/responses", content=REQUEST) as response,
            ):
                for chunk in response.iter_raw():
                    received.append(chunk)
        except httpx.HTTPError:
            pass

    thread = threading.Thread(target=stream)
    thread.start()
    wait_until(
        lambda: sum(map(len, received)), lambda n: n >= len(upstream.parts[0]),
        timeout=60, progress=rec.progress, what=lambda _: rec.output(),
    )  # fmt: skip
    assert upstream.sent == 1  # the rest is held: the stream is in flight
    assert rec.process is not None
    rec.process.send_signal(signum)
    assert rec.stop() == 0, rec.output()
    thread.join(scaled(60))
    assert not thread.is_alive()
    assert quiet(rec.output()) == [], rec.output()
    assert stored_aborted(db) == [(True, True)]


CLIENT = textwrap.dedent(
    """
    import os, select, subprocess, sys
    # A grandchild streams and outlives this command: its stream is in flight when respdeck
    # stops recording, right after this command exits (the upstream holds the rest).
    child = subprocess.Popen(
        [sys.executable, "-c", '''
    import os, sys, httpx2 as httpx
    try:
        with httpx.Client(timeout=float(sys.argv[2])) as client, client.stream(
            "POST", os.environ["OPENAI_BASE_URL"] + "/responses", content=sys.argv[1].encode()
        ) as response:
            for i, chunk in enumerate(response.iter_raw()):
                if i == 0:
                    print("streaming", flush=True)
    except httpx.HTTPError:  # the recorder stopped under it, as intended
        pass
    ''', *sys.argv[1:3]], stdout=subprocess.PIPE, text=True, start_new_session=True)
    ready, _, _ = select.select([child.stdout], [], [], float(sys.argv[2]))
    assert ready, "the grandchild got nothing of its stream"
    assert child.stdout.readline() == "streaming\\n"
    print("grandchild", child.pid, flush=True)
    sys.exit(5)
    """
)


def test_the_end_of_the_command_stops_silently(upstream: GatedUpstream, tmp_path: Path) -> None:
    db = tmp_path / "cmd.duckdb"
    result = subprocess.run(
        [sys.executable, "-m", "inspector", "record", "--port", str(free_port()),
         "--upstream", upstream.url, "--db", str(db), "--",
         sys.executable, "-c", CLIENT, REQUEST.decode(), str(scaled(120))],
        capture_output=True, text=True, timeout=scaled(300), cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 5, result.stderr
    assert "grandchild" in result.stdout
    assert quiet(result.stderr) == [], result.stderr
    assert stored_aborted(db) == [(True, True)]
