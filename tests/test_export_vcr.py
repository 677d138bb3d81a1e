"""The VCR.py cassette exporter: VCR.py itself loads and plays what it writes, and
respdeck reads it back as the same exchanges (tests/roundtrip.py), for every shipped
recording, the corpus and a store; bodies readable where block text holds them exactly."""

from __future__ import annotations

import gzip
import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
import vcr
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from vcr import serialize
from vcr.cassette import Cassette
from vcr.serializers import yamlserializer

from addon.exporters import get
from addon.exporters.vcr import FORMAT, place_blocks
from addon.importers import iter_paths, load_bytes_detected, load_file
from addon.store.db import open_for_write
from addon.store.importer import import_paths
from addon.store.load import load_exchanges
from addon.store.writer import Writer
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, Timings, WsMessage
from addon.wire.parse import parse_exchange

from .conftest import CORPUS, RECORDINGS, REPORT
from .roundtrip import differences

URL = "https://api.openai.com/v1/responses"


def export(exchanges: list[Exchange]) -> bytes:
    return b"".join(FORMAT.chunks(exchanges))


def read_back(data: bytes) -> list[Exchange]:
    """Through detection, as any file is read."""
    dialect, exchanges = load_bytes_detected(Path("x.yaml"), data)
    assert dialect == "VCR.py YAML cassette"
    return exchanges


def vcr_reads(data: bytes) -> list[tuple[str, str, bytes, int, bytes]]:
    """What VCR.py's own deserializer makes of a cassette: per interaction method, uri,
    request body, status and response body bytes."""
    requests, responses = serialize.deserialize(data.decode("utf-8"), yamlserializer)[:2]
    return [
        (r.method, r.uri, r.body or b"", s["status"]["code"], s["body"]["string"])
        for r, s in zip(requests, responses, strict=True)
    ]


def sent(exchanges: list[Exchange]) -> list[tuple[str, str, bytes, int, bytes]]:
    return [
        (
            ex.request.method,
            ex.request.url,
            ex.request.body,
            ex.response.status if ex.response else 0,
            ex.response.body if ex.response else b"",
        )
        for ex in exchanges
    ]


def text_exchange(body: str, **response: Any) -> Exchange:
    return Exchange(
        HttpRequest("POST", URL, [("content-type", "application/json")], b'{"stream":true}'),
        HttpResponse(200, [("content-type", "text/event-stream")], body.encode(), **response),
    )


def response_body(data: bytes) -> bytes:
    (back,) = read_back(data)
    assert back.response is not None
    return back.response.body


def body_node(data: bytes) -> str:
    """The line VCR.py's response body starts on: `string: |`, `string: '...`."""
    return next(line.strip() for line in data.decode().splitlines() if "string:" in line)


def test_registered_under_vcr() -> None:
    assert get("vcr") is FORMAT
    assert (FORMAT.name, FORMAT.suffix) == ("vcr", ".yaml")


def test_every_shipped_recording_round_trips_and_loads_in_vcrpy() -> None:
    files = list(iter_paths([RECORDINGS]))
    total = 0
    for path in files:
        before = load_file(path)
        data = export(before)
        assert differences(before, read_back(data)) == [], path.name
        assert vcr_reads(data) == sent(before), path.name
        total += len(before)
    assert (len(files), total) == (16, 32)


@pytest.fixture(scope="module")
def corpus() -> list[tuple[Path, list[Exchange]]]:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus not present: corpus tests skipped")
    return [(path, load_file(path)) for path in iter_paths([CORPUS])]


def test_every_corpus_file_round_trips_and_loads_in_vcrpy(
    corpus: list[tuple[Path, list[Exchange]]],
) -> None:
    lost, blocks = [], 0
    for path, before in corpus:
        data = export(before)
        lost += [f"{path.name}: {d}" for d in differences(before, read_back(data))]
        assert vcr_reads(data) == sent(before), path.name
        blocks += data.count(b"string: |")
    exchanges = sum(len(exs) for _, exs in corpus)
    REPORT["vcr export round trip"] = (
        f"{len(corpus)} files, {exchanges} exchanges, {len(lost)} differences, "
        f"{blocks} response bodies as block text"
    )
    assert lost == []
    assert len(corpus) > 1000 and blocks > 400


def test_vcrpy_plays_the_cassette_back_through_http_client(tmp_path: Path) -> None:
    """vcr.use_cassette with record_mode none: urllib gets the recorded status, headers and
    wire bytes (gzip stays gzip) without any network."""
    exchanges = load_file(RECORDINGS / "gzip_stream.har") + load_file(
        RECORDINGS / "stream_text.har"
    )
    path = tmp_path / "c.yaml"
    path.write_bytes(export(exchanges))
    assert len(Cassette.load(path=str(path), record_mode="none")) == len(exchanges)
    with vcr.use_cassette(str(path), record_mode="none") as cassette:
        for ex in exchanges:
            assert ex.response is not None
            request = urllib.request.Request(
                ex.request.url, data=ex.request.body, method=ex.request.method
            )
            with urllib.request.urlopen(request) as response:
                assert response.status == ex.response.status
                assert response.read() == ex.response.body
                encoding = dict((k.lower(), v) for k, v in ex.response.headers).get(
                    "content-encoding"
                )
                assert response.headers.get("Content-Encoding") == encoding
        assert cassette.play_count == len(exchanges)


BLOCK = [
    ("event: a\ndata: {}\n\n", "|+"),
    ("a\nb\n", "|"),
    ("a\nb", "|-"),
    ("  indented first\nx\n", "|2"),
    ("\nleading break\n", "|2"),
    ("\n\nx\n\n\n", "|2+"),
    ("café 😀 naïve\nnext\n", "|"),
    ("#x\n- y\n---\n...\nkey: value\n'q' \"d\" |>\n", "|"),
]
QUOTED = [
    "trailing  \nspaces\n",
    "x\n \n",
    "ends in space\n ",
    "crlf\r\nlines\r\n",
    "tab\there\nx\n",
    "\tfirst\nx\n",
    "nul\x00\nx\n",
    "esc\x1b[0m\nx\n",
    "del\x7f\nx\n",
    "nel\x85x\ny\n",
    "ls\u2028x\ny\n",
    "\ufeffbom\nx\n",
    "\n\n",
    "one line",
    "",
]


@pytest.mark.parametrize(("text", "style"), BLOCK)
def test_readable_text_is_block_text_and_reads_back_exactly(text: str, style: str) -> None:
    ex = text_exchange(text)
    data = export([ex])
    assert body_node(data) == f"string: {style}"
    assert response_body(data) == text.encode()
    assert vcr_reads(data) == sent([ex])


@pytest.mark.parametrize("text", QUOTED)
def test_text_a_block_cannot_hold_exactly_is_quoted(text: str) -> None:
    ex = text_exchange(text)
    data = export([ex])
    assert not body_node(data).startswith(("string: |", "string: !!binary"))
    assert response_body(data) == text.encode()
    assert vcr_reads(data) == sent([ex])


TRICKY = st.sampled_from(list("ab \n\t\r#-:|>'\"\\\x00\x1b\x7f\x85\xa0\u2028\u2029é😀\ufeff"))


@settings(max_examples=300, deadline=None)
@given(st.text(st.one_of(TRICKY, st.characters(codec="utf-8")), max_size=40))
def test_any_text_reads_back_exactly_wherever_it_sits(text: str) -> None:
    """Response body, request body and a WebSocket message (a list entry's key)."""
    ex = text_exchange(text)
    ex.request.body = text.encode()
    ex.websocket = [WsMessage(None, False, text.encode()), WsMessage(1.0, True, b"x\ny\n")]
    data = export([ex])
    (back,) = read_back(data)
    assert back.response is not None and back.response.body == text.encode()
    assert back.request.body == text.encode()
    assert [m.content for m in back.websocket or []] == [text.encode(), b"x\ny\n"]
    assert vcr_reads(data) == sent([ex])


def test_block_text_in_websocket_messages_and_request_bodies() -> None:
    ex = text_exchange("x\n")
    ex.request.body = b'{\n  "input": "hi"\n}'
    ex.websocket = [WsMessage(2.5, True, b'{\n  "a": 1\n}\n'), WsMessage(3.0, False, b"\xff")]
    data = export([ex])
    assert data.count(b": |") == 3  # request body, response body, the first message
    assert differences([ex], read_back(data)) == []


def test_a_block_under_a_list_entry_is_indented_past_its_dash() -> None:
    token = "respdeck-block-" + "0" * 32
    written = place_blocks(f"k:\n- text: {token}\n  from: x\n", {token: " a\nb\n"})
    assert yaml.safe_load(written) == {"k": [{"text": " a\nb\n", "from": "x"}]}


def test_a_value_that_looks_like_a_placeholder_stays_itself() -> None:
    ex = text_exchange("a\nb\n")
    ex.request.body = b"respdeck-block-lookalike"
    assert differences([ex], read_back(export([ex]))) == []


def test_encoded_and_non_utf8_bodies_are_binary_with_their_header() -> None:
    packed = gzip.compress(b"event: a\ndata: {}\n\n", mtime=0)
    encoded = Exchange(
        HttpRequest("POST", URL, [("content-encoding", "gzip")], gzip.compress(b"{}", mtime=0)),
        HttpResponse(200, [("Content-Encoding", "gzip")], packed),
    )
    latin = Exchange(HttpRequest("GET", URL), HttpResponse(200, [], "café".encode("latin-1")))
    identity = Exchange(
        HttpRequest("GET", URL), HttpResponse(200, [("content-encoding", "identity")], b"a\nb\n")
    )
    # declared encoded: kept as bytes even where the bytes happen to decode as text
    declared = Exchange(
        HttpRequest("GET", URL), HttpResponse(200, [("Content-Encoding", "br")], b"a\nb\n")
    )
    exchanges = [encoded, latin, identity, declared]
    data = export(exchanges)
    doc = yaml.safe_load(data)
    bodies = [i["response"]["body"]["string"] for i in doc["interactions"]]
    assert bodies == [packed, "café".encode("latin-1"), "a\nb\n", b"a\nb\n"]
    assert doc["interactions"][0]["request"]["body"] == encoded.request.body
    assert doc["interactions"][0]["response"]["headers"] == {"Content-Encoding": ["gzip"]}
    assert data.count(b"!!binary") == 4
    assert differences(exchanges, read_back(data)) == []
    assert vcr_reads(data) == sent(exchanges)


def test_timing_flags_and_chunks_ride_in_respdeck_keys() -> None:
    body = "event: a\ndata: {}\n\nevent: b\ndata: {}\n\n"
    ex = text_exchange(body, chunks=[(0.5, 19), (12.25, 19)], truncated=True)
    ex.timings = Timings(datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), 0.5, 1e-05)
    ex.aborted, ex.abort_reason, ex.closed_early = True, "client disconnected", True
    doc = yaml.safe_load(export([ex]))["interactions"][0]
    assert doc["response"]["respdeck"] == {"chunks": [[0.5, 19], [12.25, 19]], "truncated": True}
    assert doc["respdeck"] == {
        "started_at": "2026-01-02T03:04:05.678901+00:00",
        "ttfb_ms": 0.5,
        "duration_ms": 1e-05,
        "aborted": True,
        "abort_reason": "client disconnected",
        "closed_early": True,
    }
    (back,) = read_back(export([ex]))
    assert differences([ex], [back]) == []
    assert (back.aborted, back.abort_reason, back.closed_early) == (
        True,
        "client disconnected",
        True,
    )
    plain = text_exchange(body)
    doc = yaml.safe_load(export([plain]))["interactions"][0]
    assert "respdeck" not in doc and "respdeck" not in doc["response"]  # nothing to say


def test_exchange_without_response_round_trips_and_loads_in_vcrpy() -> None:
    ex = Exchange(HttpRequest("POST", URL, [], b"{}"), None, aborted=True, abort_reason="reset")
    data = export([ex])
    (back,) = read_back(data)
    assert back.response is None and back.aborted and back.abort_reason == "reset"
    assert differences([ex], [back]) == []
    assert vcr_reads(data) == [("POST", URL, b"{}", 0, b"")]


def test_header_order_and_repeats_survive_where_the_mapping_loses_them() -> None:
    request = [("X-A", "1"), ("x-b", "2"), ("X-A", "3"), ("x-a", "4")]
    response = [("x-trace", "a=1"), ("x-trace", "b=2"), ("Date", "today")]
    ex = Exchange(HttpRequest("GET", URL, request), HttpResponse(200, response, b"{}"))
    doc = yaml.safe_load(export([ex]))["interactions"][0]
    assert doc["request"]["headers"] == {"X-A": ["1", "3"], "x-b": ["2"], "x-a": ["4"]}
    assert doc["respdeck"]["request_headers"] == [list(h) for h in request]
    assert doc["response"]["headers"] == {"x-trace": ["a=1", "b=2"], "Date": ["today"]}
    assert "respdeck" not in doc["response"]  # grouped already: the mapping is exact
    (back,) = read_back(export([ex]))
    assert back.request.headers == request
    assert back.response is not None and back.response.headers == response


def test_redacted_headers_are_listed() -> None:
    ex = Exchange(
        HttpRequest("POST", URL, [("Authorization", "Bearer sk-proj-abc"), ("x", "y")]),
        HttpResponse(200, [("Set-Cookie", "session=s3cret")], b"{}"),
    )
    data = export([ex])
    assert b"sk-proj-abc" not in data and b"s3cret" not in data
    doc = yaml.safe_load(data)["interactions"][0]
    assert doc["respdeck"]["redacted"] == [
        "request.headers.authorization",
        "response.headers.set-cookie",
    ]
    assert doc["request"]["headers"]["Authorization"][0].startswith("Bearer fp:")


def test_websocket_messages_text_and_binary_round_trip() -> None:
    messages = [
        WsMessage(1.5, True, b'{"type":"response.create"}'),
        WsMessage(None, False, b"\x00\x01\xff", is_text=False),
        WsMessage(3.0, False, b"not utf-8 \xff"),  # a text frame as recorded, bytes and all
    ]
    ex = Exchange(HttpRequest("GET", "wss://api.openai.com/v1/responses"), None, websocket=messages)
    doc = yaml.safe_load(export([ex]))["interactions"][0]["respdeck"]["websocket"]
    assert doc == [
        {"from": "client", "offset_ms": 1.5, "text": '{"type":"response.create"}'},
        {"from": "server", "offset_ms": None, "binary": b"\x00\x01\xff"},
        {"from": "server", "offset_ms": 3.0, "text": b"not utf-8 \xff"},
    ]
    assert differences([ex], read_back(export([ex]))) == []


def test_streams_one_piece_per_interaction() -> None:
    exchanges = load_file(RECORDINGS / "conversation.har")

    def lazily() -> Iterator[Exchange]:
        yield exchanges[0]
        raise AssertionError("read past the first exchange")

    pieces = FORMAT.chunks(lazily())
    head = [next(pieces) for _ in range(3)]  # header, `interactions:`, the first interaction
    assert head[1] == b"interactions:\n" and head[2].startswith(b"- request:\n")
    whole = list(FORMAT.chunks(exchanges))
    assert len(whole) == len(exchanges) + 3 and whole[-1] == b"version: 1\n"
    assert all(len(yaml.safe_load(p)) == 1 for p in whole[2:-1])
    empty = export([])
    assert yaml.safe_load(empty) == {"interactions": [], "version": 1}
    assert vcr_reads(empty) == [] and read_back(empty) == []


def test_a_store_exports_what_it_loads(tmp_path: Path) -> None:
    """Recordings imported into a DuckDB file, plus a body the recorder redacted, loaded
    losslessly, exported, read back: the same exchanges, the redacted body listed."""
    db = tmp_path / "s.duckdb"
    conn = open_for_write(db)
    import_paths(conn, [RECORDINGS])
    redacted = text_exchange("data: {}\n\n")
    redacted.request.body = json.dumps({"user": "fp:0123456789ab"}).encode()
    writer = Writer(conn)
    writer.add(writer.add_capture("import", "x"), parse_exchange(redacted))
    writer.flush()
    conn.close()
    with duckdb.connect(str(db), read_only=True) as reader:
        loaded = load_exchanges(reader, None, 1000)
    assert len(loaded) == 33
    data = export(list(loaded))
    assert differences(loaded, read_back(data)) == []
    marks = [
        i.get("respdeck", {}).get("redacted", []) for i in yaml.safe_load(data)["interactions"]
    ]
    assert sum("request.body" in m for m in marks) == 1
    assert sum("request.headers.authorization" in m for m in marks) > 20
