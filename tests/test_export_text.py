"""The curl and raw exporters: curl scripts run for real against a local server (the bytes it
receives are the recorded ones), raw `.http` files read back as the same exchanges."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from addon.exporters import export_bytes
from addon.exporters.curl import SKIP_HEADERS, curl_command, is_streaming
from addon.importers import ImportFailure, iter_paths, load_file
from addon.importers.raw_http import looks_like_raw, read_raw
from addon.store.db import open_for_write
from addon.store.importer import import_paths
from addon.store.load import load_exchanges
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, Timings, WsMessage
from tests.conftest import CORPUS, RECORDINGS
from tests.roundtrip import differences

FAKE_KEY = "sk-test-not-a-real-key-0123456789"
FAKE_AZURE_KEY = "azure-test-not-a-real-key"
NASTY_TEXT = 'it\'s 100% $(echo no) `no` \\n "quoted"\r\nlast line\n'


def recorded() -> list[Exchange]:
    return [ex for path in iter_paths([RECORDINGS]) for ex in load_file(path)]


@pytest.fixture(scope="module")
def corpus() -> list[list[Exchange]]:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus not present: corpus round trip skipped")
    files = []
    for path in iter_paths([CORPUS]):
        try:
            files.append(load_file(path))
        except ImportFailure:
            continue  # files respdeck cannot read are the importers' tests' concern
    return files


# --- curl -------------------------------------------------------------------------------


class Received(BaseHTTPRequestHandler):
    """Keeps each request as it arrived: method, path, headers in order, body bytes."""

    seen: ClassVar[list[tuple[str, str, list[tuple[str, str]], bytes]]] = []

    def _keep(self) -> None:
        size = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(size)
        self.seen.append((self.command, self.path, list(self.headers.items()), body))
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = do_PUT = do_DELETE = _keep

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[tuple[str, str, list[tuple[str, str]], bytes]]]]:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    seen: list[tuple[str, str, list[tuple[str, str]], bytes]] = []
    handler = type("Handler", (Received,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def run_script(script: bytes, home: Path) -> str:
    """Run the export with sh, the keys in the environment, no curlrc or proxy of the user."""
    path = home / "export.sh"
    path.write_bytes(script)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "CURL_HOME": str(home),
        "OPENAI_API_KEY": FAKE_KEY,
        "AZURE_OPENAI_API_KEY": FAKE_AZURE_KEY,
    }
    done = subprocess.run(["sh", str(path)], env=env, capture_output=True, check=True)
    return done.stdout.decode()


def pointed_at(exchange: Exchange, base: str) -> Exchange:
    """The exchange with its URL on the local server (path and query kept)."""
    request = exchange.request
    target = request.path + (f"?{request.query}" if request.query else "")
    exchange.request = HttpRequest(request.method, base + target, request.headers, request.body)
    return exchange


def sent_headers(exchange: Exchange) -> list[tuple[str, str]]:
    """What curl must send of the recorded headers: the key from the environment."""
    out = []
    for name, value in exchange.request.headers:
        if name.lower() in SKIP_HEADERS or name.startswith(":"):
            continue
        key = FAKE_AZURE_KEY if name.lower() == "api-key" else FAKE_KEY
        scheme, sep, token = value.partition(" ")
        if sep and token.startswith("fp:"):
            value = f"{scheme} {key}"
        elif value.startswith("fp:"):
            value = key
        out.append((name.lower(), value.strip()))
    return out


def synthetic(base: str) -> list[Exchange]:
    """Bodies a shell mangles easily: every byte value, and text full of quoting traps."""
    return [
        Exchange(
            HttpRequest(
                "POST",
                f"{base}/v1/files",
                [("content-type", "application/octet-stream"), ("api-key", "fp:aaaaaaaaaaaa")],
                bytes(range(256)) * 3 + b"\n### respdeck exchange 2 - -\n",
            ),
            None,
        ),
        Exchange(
            HttpRequest(
                "PUT",
                f"{base}/v1/odd?x=1&y='2'",
                [("content-type", "text/plain"), ("x-team", "it's $HOME"), ("x-team", "two")],
                NASTY_TEXT.encode(),
            ),
            None,
        ),
    ]


def test_curl_script_sends_the_recorded_bytes_and_the_key_from_the_environment(
    server: tuple[str, list[tuple[str, str, list[tuple[str, str]], bytes]]], tmp_path: Path
) -> None:
    base, seen = server
    exchanges = [pointed_at(ex, base) for ex in recorded()] + synthetic(base)
    script = export_bytes("curl", exchanges)
    assert b"fp:" not in script and FAKE_KEY.encode() not in script
    assert script.count(b"\n# exchange ") == len(exchanges)
    output = run_script(script, tmp_path)
    assert output == "ok" * len(exchanges)
    assert len(seen) == len(exchanges)
    for exchange, (method, path, headers, body) in zip(exchanges, seen, strict=True):
        request = exchange.request
        assert (method, body) == (request.method, request.body), request.url
        assert base + path == request.url
        expected = sent_headers(exchange)
        names = {n for n, _ in expected}
        got = [(n.lower(), v.strip()) for n, v in headers if n.lower() in names]
        assert got == expected, request.url
    # The Azure key went in its own header; the recorded bearer key came from OPENAI_API_KEY.
    assert ("api-key", FAKE_AZURE_KEY) in [(n.lower(), v) for n, v in seen[-2][2]]
    received = [(n.lower(), v) for _, _, headers, _ in seen for n, v in headers]
    assert ("authorization", f"Bearer {FAKE_KEY}") in received


def test_curl_streams_only_streaming_requests_and_skips_what_curl_sets() -> None:
    stream, plain = (
        Exchange(HttpRequest("POST", "https://api.openai.com/v1/responses", [], body), None)
        for body in (b'{"model": "m", "stream": true}', b'{"model": "m", "stream": false}')
    )
    assert is_streaming(stream.request.body) and not is_streaming(plain.request.body)
    assert "\n  -N" in curl_command(stream) and "-N" not in curl_command(plain)
    stream.request.headers = [
        ("Host", "api.openai.com"),
        ("Content-Length", "30"),
        (":authority", "api.openai.com"),
        ("Authorization", "Bearer fp:0123456789ab"),
        ("openai-api-key", "fp:ba9876543210"),
        ("api-key", "fp:aaaaaaaaaaaa"),
        ("x-we$ird", "fp:bbbbbbbbbbbb"),
        ("x-team", "plain"),
    ]
    command = curl_command(stream)
    assert "fp:" not in command and "host:" not in command.lower()
    assert "content-length" not in command.lower() and ":authority" not in command
    assert '-H "Authorization: Bearer ${OPENAI_API_KEY}"' in command
    assert '-H "openai-api-key: ${OPENAI_API_KEY}"' in command
    assert '-H "api-key: ${AZURE_OPENAI_API_KEY}"' in command
    assert "-H 'x-we$ird: '\"${OPENAI_API_KEY}\"" in command  # no $ expanded in the name
    assert "-H 'x-team: plain'" in command
    head = Exchange(HttpRequest("HEAD", "https://example.com/", []), None)
    assert curl_command(head).startswith("curl -sS --head ")


def test_curl_script_runs_nothing_but_curl_whatever_the_recording_holds(tmp_path: Path) -> None:
    """A URL, header or body with line breaks and shell syntax (a hostile recording) is data:
    the script runs curl and printf only (a `touch` on PATH would leave a mark)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, action in (("curl", "cat > /dev/null"), ("touch", f"echo ran > {tmp_path}/mark")):
        (bin_dir / name).write_text(f"#!/bin/sh\n{action}\n")
        (bin_dir / name).chmod(0o755)
    trap = "\ntouch x\n'$(touch x)`touch x`"
    evil = Exchange(
        HttpRequest("POST", f"https://x.test/a{trap}", [(f"x{trap}", trap)], trap.encode()), None
    )
    script = export_bytes("curl", [evil])
    assert script.count(b"\n# exchange 1: POST https://x.test/a touch x ") == 1  # one line
    (tmp_path / "export.sh").write_bytes(script)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run(["sh", str(tmp_path / "export.sh")], env=env, check=True)
    assert not (tmp_path / "mark").exists()


# --- raw --------------------------------------------------------------------------------


def test_raw_round_trips_every_shipped_recording() -> None:
    for path in iter_paths([RECORDINGS]):
        before = load_file(path)
        data = export_bytes("raw", before)
        assert looks_like_raw(data[:64]), path
        assert differences(before, read_raw(data)) == [], path


def test_raw_round_trips_the_corpus(corpus: list[list[Exchange]]) -> None:
    failures = []
    for before in corpus:
        found = differences(before, read_raw(export_bytes("raw", before)))
        if found:
            failures.append(f"{before[0].source}: {found[0]}")
    assert failures == []
    assert sum(len(f) for f in corpus) > 1000  # the corpus really was read


def test_raw_is_the_wire_messages() -> None:
    exchanges = load_file(RECORDINGS / "gzip_stream.har")
    data = export_bytes("raw", exchanges)
    lines = data.split(b"\n")
    assert lines[0].startswith(b"### respdeck exchange 1 - 20")
    assert lines[1].startswith(b'# respdeck {"request_body": ')
    assert lines[2] == b"POST https://api.openai.com/v1/responses HTTP/1.1\r"
    response = exchanges[0].response
    assert response is not None and response.body.startswith(b"\x1f\x8b")  # still gzip
    status = b"HTTP/1.1 200 OK\r\n"
    head = status + b"".join(f"{n}: {v}\r\n".encode() for n, v in response.headers) + b"\r\n"
    assert head + response.body + b"\n" in data
    assert b"content-encoding: gzip\r\n" in head.lower()


def test_raw_frames_bodies_by_length_whatever_they_hold() -> None:
    """Separator lines inside bodies, line breaks in headers, binary WebSocket messages, no
    response, abort flags and chunk times: all read back."""
    fake_next = b"\n### respdeck exchange 2 x -\n# respdeck {}\nGET / HTTP/1.1\r\n\r\n"
    started = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    exchanges = [
        Exchange(
            HttpRequest("POST", "https://h.test/a b?q=1", [("x-a", "1"), ("x-a", "2 ")], fake_next),
            HttpResponse(
                502,
                [("x-odd", "line\r\nbreak"), ("empty", "")],
                fake_next * 2,
                [(0.5, 10), (1.25, 20)],
                truncated=True,
            ),
            Timings(started, 12.5, 99.125),
            aborted=True,
            abort_reason="server closed the connection",
        ),
        Exchange(HttpRequest("GET", "https://h.test/none", []), None),
        Exchange(
            HttpRequest("GET", "wss://h.test/v1/responses", [("upgrade", "websocket")]),
            HttpResponse(101, [("upgrade", "websocket")]),
            closed_early=True,
            websocket=[
                WsMessage(1.5, True, b'{"type": "response.create"}\n### respdeck exchange 9'),
                WsMessage(None, False, bytes(range(256)), is_text=False),
                WsMessage(3.0, False, b""),
            ],
        ),
    ]
    back = read_raw(export_bytes("raw", exchanges))
    assert differences(exchanges, back) == []
    assert (back[0].abort_reason, back[2].closed_early) == (exchanges[0].abort_reason, True)
    assert back[1].response is None and back[1].websocket is None


def test_a_cut_raw_file_is_an_import_failure_not_a_short_exchange() -> None:
    data = export_bytes("raw", load_file(RECORDINGS / "stream_text.har"))
    for cut in (len(data) - 2, len(data) // 2, 40):
        with pytest.raises(ImportFailure):
            read_raw(data[:cut])


def test_a_stored_exchange_exports_to_raw_and_curl_and_reads_back(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    conn = open_for_write(db)
    try:
        import_paths(conn, [RECORDINGS])
        stored = load_exchanges(conn, None, 1000)
    finally:
        conn.close()
    assert len(stored) == 32
    assert differences(stored, read_raw(export_bytes("raw", stored))) == []
    first = export_bytes("raw", stored[:1]).split(b"\n", 1)[0].decode()
    started = stored[0].timings.started_at
    assert started is not None
    assert first.split(" ")[3:] == ["1", stored[0].exchange_id, started.isoformat()]
    script = export_bytes("curl", stored).decode()
    assert all(f"# exchange {n} {ex.exchange_id}: " in script for n, ex in enumerate(stored, 1))
    assert "fp:" not in script
