"""HAR 1.2 export: read back whole through the real importer (detection included), loaded by
the real mitmproxy, for every shipped recording, the corpus and a real DuckDB store; and the
document's own shape (timings, base64 bodies, extensions, redaction comments, streaming)."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mitmproxy import http
from mitmproxy.io import har as mitmproxy_har
from mitmproxy.io import read_flows_from_paths

from addon.exporters import export_bytes, get
from addon.exporters.har import chunks
from addon.importers import ImportFailure, iter_paths, load_bytes_detected, load_file
from addon.store.db import open_for_write
from addon.store.importer import import_paths
from addon.store.load import StoredExchange, load_exchanges
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, Timings, WsMessage, header

from .conftest import CORPUS, RECORDINGS, REPORT
from .roundtrip import differences

RECORDING_FILES = sorted(p for p in iter_paths([RECORDINGS]) if p.name != "README.md")
START = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
REQUEST = b'{"model":"gpt-5","input":"hi"}'
SSE = b'event: response.created\ndata: {"type":"response.created"}\n\n'


def read_har(data: bytes) -> list[Exchange]:
    dialect, exchanges = load_bytes_detected(Path("export.har"), data)
    assert dialect == "HAR 1.2"
    return exchanges


def entries(data: bytes) -> list[dict[str, Any]]:
    log = json.loads(data)["log"]
    assert log["version"] == "1.2" and log["creator"]["name"] == "respdeck"
    found: list[dict[str, Any]] = log["entries"]
    return found


def post(
    body: bytes | None = None, headers: list[tuple[str, str]] | None = None, **fields: Any
) -> Exchange:
    """A Responses create; answered with `body` (and HttpResponse's other `fields`) if given."""
    return Exchange(
        HttpRequest(
            "POST",
            "https://api.openai.com/v1/responses?x=1&y=a%20b",
            [("content-type", "application/json"), ("authorization", "Bearer sk-secret")],
            REQUEST,
        ),
        None if body is None else HttpResponse(200, headers or [], body, **fields),
        Timings(START, 120.5, 480.25),
    )


def test_registered_under_har() -> None:
    assert (get("har").name, get("har").suffix) == ("har", ".har")


# --- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", RECORDING_FILES, ids=lambda p: p.name)
def test_every_recording_reads_back_whole(path: Path) -> None:
    data = export_bytes("har", load_file(path))
    assert len(entries(data)) == len(load_file(path))
    assert differences(load_file(path), read_har(data)) == []


@pytest.fixture(scope="module")
def corpus() -> list[tuple[Path, list[Exchange]]]:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus not present")
    found = []
    for path in iter_paths([CORPUS]):
        try:
            exchanges = load_file(path)
        except ImportFailure:
            continue
        if exchanges:
            found.append((path, exchanges))
    return found


def test_the_corpus_reads_back_whole(corpus: list[tuple[Path, list[Exchange]]]) -> None:
    failed = []
    for path, exchanges in corpus:
        back = read_har(export_bytes("har", exchanges))
        if found := differences(exchanges, back):
            failed.append(f"{path}: {found[0]}")
    count = sum(len(exchanges) for _, exchanges in corpus)
    REPORT["har round trip"] = f"{len(corpus)} files, {count} exchanges, {len(failed)} differ"
    assert failed == []


def test_a_stored_exchange_exports_and_reads_back(tmp_path: Path) -> None:
    conn = open_for_write(tmp_path / "store.duckdb")
    try:
        import_paths(conn, [RECORDINGS])
        stored = load_exchanges(conn, None, 1000)
    finally:
        conn.close()
    assert len(stored) == 32
    data = export_bytes("har", stored)
    assert differences(stored, read_har(data)) == []
    # the store fingerprinted every Authorization header: each is marked, none holds a key
    auth = [
        h for e in entries(data) for h in e["request"]["headers"] if h["name"] == "authorization"
    ]
    assert auth and all(h["value"].startswith("Bearer fp:") and "comment" in h for h in auth)
    assert b"sk-test-respdeck" not in data


# --- mitmproxy's reader --------------------------------------------------------------------


def check_flow(flow: http.HTTPFlow, ex: Exchange) -> None:
    """mitmproxy's flow holds the recorded method, URL, status and bodies."""
    if ex.request.url.startswith("wss://"):  # mitmproxy gives wss:// no default port (:80)
        assert (flow.request.host, flow.request.path) == (ex.request.host, ex.request.path)
    else:
        assert flow.request.url == ex.request.url
    assert flow.request.method == ex.request.method
    assert flow.request.content == ex.request.body
    assert ex.response is not None and flow.response is not None
    assert flow.response.status_code == ex.response.status
    # mitmproxy takes `text` for the decoded body: a content-encoded one stays the wire bytes
    assert flow.response.raw_content == ex.response.body


def test_mitmproxy_reads_every_recording(tmp_path: Path) -> None:
    checked = encoded = 0
    for path in RECORDING_FILES:
        exchanges = load_file(path)
        target = tmp_path / f"{path.stem}.har"
        target.write_bytes(export_bytes("har", exchanges))
        flows = read_flows_from_paths([target])
        assert len(flows) == len(exchanges)
        for flow, ex in zip(flows, exchanges, strict=True):
            assert isinstance(flow, http.HTTPFlow)
            check_flow(flow, ex)
            checked += 1
            encoded += ex.response is not None and bool(
                header(ex.response.headers, "content-encoding")
            )
    assert checked == 32 and encoded >= 1


def test_mitmproxy_reads_plain_encoded_and_missing_responses() -> None:
    text = post(SSE, [("content-type", "text/event-stream")])
    wire = gzip.compress(SSE)
    zipped = post(wire, [("Content-Encoding", "gzip")])
    missing = post()
    missing.aborted = True
    flows = [
        mitmproxy_har.request_to_flow(e)
        for e in entries(export_bytes("har", [text, zipped, missing]))
    ]
    assert flows[0].response is not None and flows[0].response.content == SSE
    assert flows[0].request.content == REQUEST
    assert flows[1].response is not None and flows[1].response.raw_content == wire
    assert flows[2].response is not None and flows[2].response.status_code == 0
    assert [f.request.url for f in flows] == [text.request.url] * 3


# --- the document --------------------------------------------------------------------------


def test_an_entry_carries_request_response_timings_and_chunks() -> None:
    ex = post(
        SSE,
        [("content-type", "text/event-stream"), ("x-a", "1"), ("X-A", "2")],
        chunks=[(130.0, 20), (470.5, len(SSE) - 20)],
        truncated=True,
    )
    (entry,) = entries(export_bytes("har", [ex]))
    assert entry["startedDateTime"] == "2026-03-01T12:00:00.123456Z"
    assert entry["time"] == 480.25
    assert entry["timings"]["send"] == 0 and entry["timings"]["wait"] == 120.5
    assert entry["timings"]["receive"] == 480.25 - 120.5 and entry["timings"]["dns"] == -1
    request = entry["request"]
    assert request["queryString"] == [{"name": "x", "value": "1"}, {"name": "y", "value": "a b"}]
    assert request["postData"] == {"mimeType": "application/json", "text": ex.request.body.decode()}
    assert request["bodySize"] == len(ex.request.body) and request["headersSize"] == -1
    response = entry["response"]
    assert (response["status"], response["statusText"]) == (200, "OK")
    assert [(h["name"], h["value"]) for h in response["headers"]][1:] == [
        ("x-a", "1"),
        ("X-A", "2"),
    ]
    content = response["content"]
    assert (content["text"], content["mimeType"], content["size"]) == (
        SSE.decode(),
        "text/event-stream",
        len(SSE),
    )
    assert "encoding" not in content
    assert content["_chunks"] == [[130.0, 20], [470.5, len(SSE) - 20]]
    assert content["_truncated"] is True
    assert "_aborted" not in entry and "_webSocketMessages" not in entry


def test_redacted_headers_are_marked_and_hold_only_the_fingerprint() -> None:
    ex = post(b"{}", [("set-cookie", "session=abc"), ("x-plain", "fp: not ours")])
    data = export_bytes("har", [ex])
    (entry,) = entries(data)
    auth = next(h for h in entry["request"]["headers"] if h["name"] == "authorization")
    assert auth["value"].startswith("Bearer fp:") and "fingerprint" in auth["comment"]
    assert "comment" not in entry["request"]["headers"][0]
    cookie, plain = entry["response"]["headers"]
    assert cookie["value"].startswith("fp:") and "comment" in cookie
    assert "comment" not in plain
    assert b"sk-secret" not in data and b"abc" not in data


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ([("Content-Encoding", "gzip")], gzip.compress(b'{"ok":true}', mtime=0)),
        ([("Content-Encoding", "br")], b"[1]"),  # even text, when the header says encoded
        ([], b"\xff\xfe binary"),
        ([("content-encoding", "identity")], b"\x80"),
    ],
)
def test_bodies_that_are_not_plain_text_go_base64_byte_exact(
    headers: list[tuple[str, str]], body: bytes
) -> None:
    ex = Exchange(
        HttpRequest("POST", "https://api.openai.com/v1/files", [], b"\x00\xff upload"),
        HttpResponse(200, headers, body),
        Timings(START, 1.0, 2.0),
    )
    data = export_bytes("har", [ex])
    (entry,) = entries(data)
    content = entry["response"]["content"]
    assert content["encoding"] == "base64" and base64.b64decode(content["text"]) == body
    assert entry["request"]["postData"]["_encoding"] == "base64"
    (back,) = read_har(data)
    assert back.response is not None and back.response.body == body
    assert back.response.headers == headers and back.request.body == b"\x00\xff upload"


def test_no_response_and_abort_flags_read_back() -> None:
    aborted = post()
    aborted.aborted, aborted.abort_reason = True, "client disconnected"
    unanswered = post()  # a request-only exchange: no response, yet not aborted
    settled = post(SSE)
    settled.closed_early = True
    data = export_bytes("har", [aborted, unanswered, settled])
    first, second, third = entries(data)
    assert first["response"]["status"] == 0 and first["_aborted"] is True
    assert first["_abortReason"] == "client disconnected"
    assert second["_aborted"] is False and third["_closedEarly"] is True
    a, b, c = read_har(data)
    assert (a.response, a.aborted, a.abort_reason) == (None, True, "client disconnected")
    assert (b.response, b.aborted) == (None, False)
    assert c.response is not None and (c.aborted, c.closed_early) == (False, True)


def test_unknown_times_read_back_unknown() -> None:
    ex = post(b"{}")
    ex.timings = Timings(None, None, None)
    ex.websocket = [WsMessage(12.5, True, b"hi"), WsMessage(None, False, b"yo")]
    data = export_bytes("har", [ex])
    (entry,) = entries(data)
    assert entry["_startedUnknown"] is True and entry["time"] == -1
    assert entry["timings"]["wait"] == -1 and entry["timings"]["receive"] == -1
    (back,) = read_har(data)
    assert back.timings == Timings(None, None, None)
    assert back.websocket is not None
    assert [m.offset_ms for m in back.websocket] == [12.5, None]
    known_duration = post(b"{}")
    known_duration.timings = Timings(START, None, 99.0)
    (entry,) = entries(export_bytes("har", [known_duration]))
    assert (entry["timings"]["wait"], entry["timings"]["receive"], entry["time"]) == (
        -1,
        99.0,
        99.0,
    )


def test_websocket_messages_in_chromes_shape() -> None:
    ex = Exchange(
        HttpRequest("GET", "wss://api.openai.com/v1/responses", [("upgrade", "websocket")]),
        HttpResponse(101, [("upgrade", "websocket")]),
        Timings(START, 10.0, 900.0),
        websocket=[
            WsMessage(15.25, True, b'{"type":"response.create"}'),
            WsMessage(300.0, False, b"\x00\x01\xff", is_text=False),
            WsMessage(450.125, False, b"\xffnot utf-8"),
        ],
    )
    data = export_bytes("har", [ex])
    (entry,) = entries(data)
    assert entry["_resourceType"] == "websocket"
    text, binary, odd = entry["_webSocketMessages"]
    assert (text["type"], text["opcode"], text["data"]) == ("send", 1, '{"type":"response.create"}')
    assert text["time"] == pytest.approx(START.timestamp() + 0.01525)
    assert (binary["type"], binary["opcode"]) == ("receive", 2)
    assert base64.b64decode(binary["data"]) == b"\x00\x01\xff"
    assert (odd["opcode"], odd["_encoding"]) == (1, "base64")
    (back,) = read_har(data)
    assert differences([ex], [back]) == []
    assert back.websocket is not None and back.websocket[2].is_text


def test_redacted_bodies_are_marked() -> None:
    plain = post(b'{"email":"fp:0123456789ab"}')
    ex = StoredExchange(
        plain.request, plain.response, plain.timings, redacted=("request.body", "response.body")
    )
    (entry,) = entries(export_bytes("har", [ex]))
    assert "redacted" in entry["request"]["postData"]["comment"]
    assert "redacted" in entry["response"]["content"]["comment"]


def test_exports_stream_one_entry_at_a_time() -> None:
    taken: list[int] = []

    def exchanges() -> Iterator[Exchange]:
        for n in range(3):
            taken.append(n)
            yield post(b"{}")

    pieces = chunks(exchanges())
    head = next(pieces)
    assert taken == [] and head.startswith(b'{"log":')
    next(pieces)
    assert taken == [0]
    rest = list(pieces)
    assert len(rest) == 3 and taken == [0, 1, 2]  # two more entries and the closing
    assert all(b"\n" not in piece.removeprefix(b",\n") for piece in rest[:2])  # one line each
    assert len(entries(b"".join(chunks([post(b"{}")] * 3)))) == 3
    assert entries(b"".join(chunks([]))) == []


def test_a_header_of_undecodable_bytes_still_exports() -> None:
    ex = post(b"{}")
    ex.request.headers.append(("x-odd", "caf\udce9"))  # how surrogateescape keeps a bad byte
    (back,) = read_har(export_bytes("har", [ex]))
    assert back.request.headers[-1] == ("x-odd", "caf\udce9")
