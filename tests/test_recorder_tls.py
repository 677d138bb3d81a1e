"""HTTPS, the default path, end to end: `respdeck record` in front of a local TLS upstream (a CA
and certificate made here), in reverse mode with `--upstream-ca`, and in regular mode with a
client that trusts mitmproxy's CA exactly as the printed variables say. Streams stay
byte-identical through TLS, and unbuffered: behind a second front, an upstream that sends each
next part of a stream only once the client has the previous one."""

from __future__ import annotations

import base64
import itertools
import json
import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import openai
import pytest

from addon.importers import load_file
from inspector.replay.upstream import ReplayUpstream
from tests.gated_upstream import GatedUpstream, read_held
from tests.recorder_harness import ROOT, Recorder, run
from tests.tls_upstream import TlsFiles, TlsFront, make_tls_files
from tests.waiting import scaled, wait_until

RECORDINGS = ROOT / "recordings"
PACE = 0.25
(STREAM,) = load_file(RECORDINGS / "stream_text.har")
HAIKU = {"model": "gpt-4.1-mini", "input": "Write a haiku about the sea.", "temperature": 0.7}
STORED = "SELECT url, response_body FROM exchanges WHERE position >= 0 ORDER BY position"


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


def stream_parts(parts: int = 3) -> list[bytes]:
    """The recorded stream's body, cut at its recorded chunk boundaries into `parts`."""
    assert STREAM.response is not None
    pieces = [piece for _, piece in STREAM.response.iter_chunks()]
    step = -(-len(pieces) // parts)
    return [b"".join(pieces[i : i + step]) for i in range(0, len(pieces), step)]


@pytest.fixture(scope="module")
def gated() -> Iterator[GatedUpstream]:
    with GatedUpstream(stream_parts()) as server:
        yield server


@pytest.fixture(scope="module")
def gated_front(gated: GatedUpstream, files: TlsFiles) -> Iterator[TlsFront]:
    with TlsFront(gated.port, files) as server:
        yield server


HEADERS = {"content-type": "application/json", "accept-encoding": "identity"}


def raw_stream(client: httpx.Client, url: str) -> bytes:
    """The stream's raw bytes as they come off the socket."""
    with client.stream("POST", url, content=STREAM.request.body, headers=HEADERS) as response:
        assert response.status_code == 200
        return b"".join(response.iter_raw())


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
        with httpx.Client(verify=files.client_context(), timeout=scaled(60)) as client:
            direct = raw_stream(client, front.url + "/v1/responses")
        with httpx.Client(timeout=scaled(60)) as client:
            through = raw_stream(client, rec.base_url + "/responses")
        assert STREAM.response is not None
        assert through == direct == STREAM.response.body
        rows = rec.wait_for(STORED, lambda rows: len(rows) == 3)
    finally:
        assert rec.stop() == 0, rec.output()
    assert all(url.startswith(front.url + "/v1/responses") for url, _ in rows)
    assert rows[-1][1] == STREAM.response.body


def test_reverse_mode_does_not_hold_a_tls_stream_back(
    gated: GatedUpstream, gated_front: TlsFront, files: TlsFiles, tmp_path: Path
) -> None:
    """Each part reaches the client while the upstream, over TLS, still holds the next."""
    rec = Recorder(gated_front.url, tmp_path / "held.duckdb", "--upstream-ca", str(files.ca))
    rec.start()
    try:
        with (
            httpx.Client(timeout=scaled(60)) as client,
            client.stream(
                "POST", rec.base_url + "/responses", content=STREAM.request.body, headers=HEADERS
            ) as response,
        ):
            got = read_held(response.iter_raw(), gated)
        rows = rec.wait_for(STORED, lambda rows: len(rows) == 1)
    except httpx.HTTPError as exc:  # the recorder's log says why
        raise AssertionError(rec.output()) from exc
    finally:
        assert rec.stop() == 0, rec.output()
    assert got == rows[0][1] == b"".join(gated.parts)


def test_an_upstream_certificate_not_trusted_is_refused(
    front: TlsFront, upstream: ReplayUpstream, tmp_path: Path
) -> None:
    """Without --upstream-ca the self-signed upstream is refused: the TLS check is real."""
    rec = Recorder(front.url, tmp_path / "untrusted.duckdb").start()
    served = len(upstream.served)
    try:
        with httpx.Client(timeout=scaled(60)) as client:
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
    # The stream comes from a held upstream: each next part is let go (a connection to its
    # gate port, not proxied) only once this client has everything before it.
    import base64, json, socket, sys
    import httpx2 as httpx, openai

    base, request, haiku = sys.argv[1], sys.argv[2].encode(), json.loads(sys.argv[3])
    held, gate, ends = sys.argv[4], int(sys.argv[5]), json.loads(sys.argv[6])
    timeout = float(sys.argv[7])
    sdk = openai.OpenAI(base_url=base + "/v1", api_key="sk-tls-regular", max_retries=0)
    text = sdk.responses.create(**haiku).output_text
    events = [e.model_dump() for e in sdk.responses.create(**json.loads(request))]
    data, released = b"", 0
    headers = {"content-type": "application/json", "accept-encoding": "identity"}
    with httpx.Client(timeout=timeout) as client, client.stream(
        "POST", held + "/v1/responses", content=request, headers=headers
    ) as response:
        for chunk in response.iter_raw():
            data += chunk
            while released < len(ends) - 1 and len(data) >= ends[released]:
                socket.create_connection(("127.0.0.1", gate), timeout=timeout).close()
                released += 1
    print(json.dumps({"text": text, "events": events, "released": released,
                      "raw": base64.b64encode(data).decode()}))
    """
)


def printed_exports(rec: Recorder) -> dict[str, str]:
    wait_until(rec.output, lambda out: "Ctrl-C to stop." in out, timeout=60, progress=rec.progress)
    exports = {}
    for line in rec.output().splitlines():
        if line.startswith("  export "):
            name, _, value = line.removeprefix("  export ").partition("=")
            exports[name] = value
    return exports


def test_regular_mode_with_the_printed_trust_variables(
    front: TlsFront,
    upstream: ReplayUpstream,
    files: TlsFiles,
    gated: GatedUpstream,
    gated_front: TlsFront,
    tmp_path: Path,
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
        served, held = len(upstream.served), len(gated.requests)
        ends = list(itertools.accumulate(len(part) for part in gated.parts))
        result = run(
            [sys.executable, "-c", CLIENT, front.url, STREAM.request.body.decode(),
             json.dumps(HAIKU), gated_front.url, str(gated.gate_port), json.dumps(ends),
             str(scaled(60))],
            timeout=120, env={**env, **exports}, cwd=ROOT,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        got = json.loads(result.stdout)
        assert len(upstream.served) == served + 2 and len(gated.requests) == held + 1
        rows = rec.wait_for(STORED, lambda rows: len(rows) == 3)
    finally:
        assert rec.stop() == 0, rec.output()
    text, events = sdk_calls(direct_client(front, files))
    assert (got["text"], got["events"]) == (text, events)
    assert STREAM.response is not None
    assert base64.b64decode(got["raw"]) == STREAM.response.body == b"".join(gated.parts)
    assert got["released"] == len(gated.parts) - 1  # each part came before the next was sent
    assert all(url.startswith(front.url + "/v1/responses") for url, _ in rows[:2])
    assert rows[-1][0].startswith(gated_front.url + "/v1/responses")
    assert rows[-1][1] == STREAM.response.body
