"""HTTPS, the default path, end to end: `respdeck record` in front of a local TLS upstream (a CA
and certificate made here), in reverse mode with `--upstream-ca`, and in regular mode with a
client that trusts mitmproxy's CA exactly as the printed variables say. Streams stay
byte-identical and unbuffered through TLS."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import openai
import pytest

from addon.importers import load_file
from inspector.replay.upstream import ReplayUpstream
from tests.recorder_harness import ROOT, Recorder
from tests.tls_upstream import TlsFiles, TlsFront, make_tls_files

RECORDINGS = ROOT / "recordings"
PACE = 0.25
(STREAM,) = load_file(RECORDINGS / "stream_text.har")
HAIKU = {"model": "gpt-4.1-mini", "input": "Write a haiku about the sea.", "temperature": 0.7}
STORED = "SELECT url, response_body FROM exchanges WHERE position >= 0 ORDER BY exchange_id"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def upstream() -> Iterator[ReplayUpstream]:
    with ReplayUpstream.from_paths([RECORDINGS], pace=PACE) as server:
        yield server


@pytest.fixture(scope="module")
def front(upstream: ReplayUpstream, files: TlsFiles) -> Iterator[TlsFront]:
    with TlsFront(upstream.port, files) as server:
        yield server


def raw_stream(client: httpx.Client, url: str) -> tuple[bytes, list[float]]:
    """The stream's raw bytes as they come off the socket, and each read's arrival offset."""
    start = time.perf_counter()
    arrivals, data = [], b""
    headers = {"content-type": "application/json", "accept-encoding": "identity"}
    with client.stream("POST", url, content=STREAM.request.body, headers=headers) as response:
        assert response.status_code == 200
        for chunk in response.iter_raw():
            arrivals.append(time.perf_counter() - start)
            data += chunk
    return data, arrivals


def assert_unbuffered(arrivals: list[float]) -> None:
    """Chunks arrive spread out as the upstream sent them, not all at once at the end."""
    assert STREAM.response is not None and STREAM.response.chunks
    recorded_span = (STREAM.response.chunks[-1][0] - STREAM.response.chunks[0][0]) * PACE / 1000
    assert len(arrivals) > 1
    assert arrivals[-1] - arrivals[0] > 0.5 * recorded_span


def sdk_calls(client: openai.OpenAI) -> tuple[str, list[dict]]:
    text = client.responses.create(**HAIKU).output_text
    events = [e.model_dump() for e in client.responses.create(**json.loads(STREAM.request.body))]
    return text, events


def direct_client(front: TlsFront, files: TlsFiles) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=front.url + "/v1", api_key="sk-direct", max_retries=0,
        http_client=httpx.Client(verify=files.client_context()),
    )  # fmt: skip


def test_reverse_mode_to_a_tls_upstream_with_its_ca(
    front: TlsFront, files: TlsFiles, tmp_path: Path
) -> None:
    db = tmp_path / "reverse.duckdb"
    rec = Recorder(front.url, db, "--upstream-ca", str(files.ca)).start()
    try:
        proxied = openai.OpenAI(base_url=rec.base_url, api_key="sk-tls-reverse", max_retries=0)
        assert sdk_calls(proxied) == sdk_calls(direct_client(front, files))
        with httpx.Client(verify=files.client_context(), timeout=60) as client:
            direct, _ = raw_stream(client, front.url + "/v1/responses")
        with httpx.Client(timeout=60) as client:
            through, arrivals = raw_stream(client, rec.base_url + "/responses")
        assert STREAM.response is not None
        assert through == direct == STREAM.response.body
        assert_unbuffered(arrivals)
        rows = rec.wait_for(STORED, lambda rows: len(rows) == 3)
    finally:
        assert rec.stop() == 0, rec.output()
    assert all(url.startswith(front.url + "/v1/responses") for url, _ in rows)
    assert rows[-1][1] == STREAM.response.body


def test_an_upstream_certificate_not_trusted_is_refused(
    front: TlsFront, upstream: ReplayUpstream, tmp_path: Path
) -> None:
    """Without --upstream-ca the self-signed upstream is refused: the TLS check is real."""
    rec = Recorder(front.url, tmp_path / "untrusted.duckdb").start()
    served = len(upstream.served)
    try:
        with httpx.Client(timeout=60) as client:
            try:
                response = client.post(rec.base_url + "/responses", json=HAIKU)
            except httpx.RemoteProtocolError:
                response = None  # mitmproxy may also just close the client's connection
    finally:
        assert rec.stop() == 0, rec.output()
    if response is not None:
        assert response.status_code == 502
        assert "certificate" in response.text.lower()
    assert len(upstream.served) == served  # nothing went past the refused handshake


CLIENT = textwrap.dedent(
    """
    # Run with the variables respdeck printed, and nothing else telling it about the proxy.
    import base64, json, sys, time
    import httpx2 as httpx, openai

    base, request, haiku = sys.argv[1], sys.argv[2].encode(), json.loads(sys.argv[3])
    sdk = openai.OpenAI(base_url=base + "/v1", api_key="sk-tls-regular", max_retries=0)
    text = sdk.responses.create(**haiku).output_text
    events = [e.model_dump() for e in sdk.responses.create(**json.loads(request))]
    start, arrivals, data = time.perf_counter(), [], b""
    headers = {"content-type": "application/json", "accept-encoding": "identity"}
    with httpx.Client(timeout=60) as client, client.stream(
        "POST", base + "/v1/responses", content=request, headers=headers
    ) as response:
        for chunk in response.iter_raw():
            arrivals.append(time.perf_counter() - start)
            data += chunk
    print(json.dumps({"text": text, "events": events, "arrivals": arrivals,
                      "raw": base64.b64encode(data).decode()}))
    """
)


def printed_exports(rec: Recorder) -> dict[str, str]:
    deadline = time.monotonic() + 60
    while "Ctrl-C to stop." not in rec.output():
        assert time.monotonic() < deadline, rec.output()
        time.sleep(0.05)
    exports = {}
    for line in rec.output().splitlines():
        if line.startswith("  export "):
            name, _, value = line.removeprefix("  export ").partition("=")
            exports[name] = value
    return exports


def test_regular_mode_with_the_printed_trust_variables(
    front: TlsFront, upstream: ReplayUpstream, files: TlsFiles, tmp_path: Path
) -> None:
    confdir = tmp_path / "mitmproxy"  # not ~/.mitmproxy: the test makes its own CA
    db = tmp_path / "regular.duckdb"
    rec = Recorder(
        front.url, db, "--mode", "regular", "--upstream-ca", str(files.ca),
        "--confdir", str(confdir),
    ).start()  # fmt: skip
    try:
        exports = printed_exports(rec)
        assert exports["HTTPS_PROXY"] == f"http://127.0.0.1:{rec.port}"
        assert exports["SSL_CERT_FILE"] == str(confdir / "mitmproxy-ca-cert.pem")
        assert Path(exports["SSL_CERT_FILE"]).is_file()
        env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "all_proxy")}
        served = len(upstream.served)
        result = subprocess.run(
            [sys.executable, "-c", CLIENT, front.url, STREAM.request.body.decode(),
             json.dumps(HAIKU)],
            env={**env, **exports}, capture_output=True, text=True, timeout=120, cwd=ROOT,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        got = json.loads(result.stdout)
        assert len(upstream.served) == served + 3
        rows = rec.wait_for(STORED, lambda rows: len(rows) == 3)
    finally:
        assert rec.stop() == 0, rec.output()
    text, events = sdk_calls(direct_client(front, files))
    assert (got["text"], got["events"]) == (text, events)
    assert STREAM.response is not None
    assert base64.b64decode(got["raw"]) == STREAM.response.body
    assert_unbuffered(got["arrivals"])
    assert all(url.startswith(front.url + "/v1/responses") for url, _ in rows)
    assert rows[-1][1] == STREAM.response.body
