"""JSONL and Batch-input exports read back through the real importer (detection included).

JSONL: import(export(x)) is x, every part, for every shipped recording, the corpus and a real
DuckDB store; its views (json, events, usage, redacted) are what a reader of the line sees.
Batch input: every recorded create once, its body without `stream`, read back as
request-only exchanges.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from addon.exporters import export_bytes
from addon.exporters.jsonl import line
from addon.importers import ImportFailure, iter_paths, load_bytes_detected, load_file
from addon.store.db import open_for_write
from addon.store.importer import import_paths
from addon.store.load import StoredExchange, load_exchanges
from addon.wire.decoding import BodyDecoder
from addon.wire.endpoints import classify
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, Timings, WsMessage, header

from .conftest import CORPUS, RECORDINGS, REPORT
from .roundtrip import PARTS, differences

RECORDING_FILES = sorted(p for p in iter_paths([RECORDINGS]) if p.name != "README.md")
SSE_BODY = (
    b'event: response.created\ndata: {"type":"response.created","response":{"id":"resp_1",'
    b'"object":"response","status":"in_progress","output":[]}}\n\n'
)


def read_jsonl(data: bytes, name: str = "export.jsonl") -> list[Exchange]:
    dialect, exchanges = load_bytes_detected(Path(name), data)
    assert dialect == "respdeck JSONL"
    return exchanges


def read_batch(data: bytes) -> list[Exchange]:
    dialect, exchanges = load_bytes_detected(Path("batch.jsonl"), data)
    assert dialect == "Batch API JSON"
    return exchanges


def lines(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(text) for text in data.splitlines()]


def sent_body(request: HttpRequest) -> Any:
    """The request body as the client meant it (undone Content-Encoding), parsed."""
    decoder = BodyDecoder(header(request.headers, "content-encoding"))
    return json.loads(decoder.feed(request.body) + decoder.close())


def check_batch(exchanges: list[Exchange]) -> int:
    """Export `exchanges` as Batch input, read it back, check it; the number of lines."""
    data = export_bytes("batch", exchanges)
    creates = [
        n
        for n, ex in enumerate(exchanges)
        if ex.websocket is None
        and classify(ex.request.method, ex.request.path) == "responses.create"
        and ex.request.body.lstrip()[:1] == b"{"
        and {"model", "input", "prompt"} & sent_body(ex.request).keys()
    ]
    if not data:
        assert creates == []
        return 0
    records = lines(data)
    picked = [int(r["custom_id"].removeprefix("request-")) for r in records]
    assert set(creates) <= set(picked)  # no create left out ...
    assert all(  # ... and nothing but creates
        classify(exchanges[n].request.method, exchanges[n].request.path) == "responses.create"
        for n in picked
    )
    back = read_batch(data)
    # one exchange per create, with no response part at all; the bodies are checked below
    assert differences([exchanges[n] for n in picked], back, without=PARTS) == []
    for n, ex in zip(picked, back, strict=True):
        expected = {k: v for k, v in sent_body(exchanges[n].request).items() if k != "stream"}
        expected.pop("stream_options", None)
        assert (ex.request.method, ex.request.path, ex.response) == ("POST", "/v1/responses", None)
        assert json.loads(ex.request.body) == expected
    assert [r["url"] for r in records] == ["/v1/responses"] * len(records)
    assert all("stream" not in r["body"] for r in records)
    return len(records)


@pytest.mark.parametrize("path", RECORDING_FILES, ids=lambda p: p.name)
def test_every_recording_reads_back_whole_from_jsonl(path: Path) -> None:
    exchanges = load_file(path)
    data = export_bytes("jsonl", exchanges)
    assert data.count(b"\n") == len(exchanges)
    assert differences(load_file(path), read_jsonl(data)) == []


@pytest.mark.parametrize("path", RECORDING_FILES, ids=lambda p: p.name)
def test_every_recording_exports_its_creates_as_batch_input(path: Path) -> None:
    check_batch(load_file(path))


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


def test_the_corpus_reads_back_whole_from_jsonl(corpus: list[tuple[Path, list[Exchange]]]) -> None:
    failed = []
    for path, exchanges in corpus:
        back = read_jsonl(export_bytes("jsonl", exchanges))
        if found := differences(exchanges, back):
            failed.append(f"{path}: {found[0]}")
    count = sum(len(exchanges) for _, exchanges in corpus)
    REPORT["jsonl round trip"] = f"{len(corpus)} files, {count} exchanges, {len(failed)} differ"
    assert failed == []


def test_the_corpus_exports_its_creates_as_batch_input(
    corpus: list[tuple[Path, list[Exchange]]],
) -> None:
    counts = [check_batch(exchanges) for _, exchanges in corpus]
    REPORT["batch round trip"] = (
        f"{sum(counts)} create requests from {sum(map(bool, counts))} files, bodies same"
    )
    assert sum(counts) > 1000


def test_a_stored_exchange_exports_and_reads_back(tmp_path: Path) -> None:
    conn = open_for_write(tmp_path / "store.duckdb")
    try:
        import_paths(conn, [RECORDINGS])
        stored = load_exchanges(conn, None, 1000)
    finally:
        conn.close()
    assert len(stored) == 32
    data = export_bytes("jsonl", stored)
    assert differences(stored, read_jsonl(data)) == []
    records = lines(data)
    assert [r["exchange_id"] for r in records] == [ex.exchange_id for ex in stored]
    assert all(next(iter(r)) == "respdeck" for r in records)
    batch = lines(export_bytes("batch", stored))
    ids = {ex.exchange_id for ex in stored}
    custom_ids = [r["custom_id"] for r in batch]
    assert len(batch) == 17 and set(custom_ids) <= ids and len(set(custom_ids)) == 17
    assert export_bytes("batch", stored) == export_bytes("batch", stored)  # stable


def test_the_line_shows_bodies_events_usage_and_redaction() -> None:
    stream, gzip = (lines(export_bytes("jsonl", load_file(RECORDINGS / n)))[0] for n in (
        "stream_text.har", "gzip_stream.har"))  # fmt: skip
    assert stream["request"]["json"]["stream"] is True
    assert json.loads(stream["request"]["text"]) == stream["request"]["json"]
    events = stream["response"]["events"]
    assert events[0]["type"] == "response.created" and events[-1]["type"] == "response.completed"
    (usage,) = stream["usage"]
    sent = events[-1]["response"]["usage"]
    assert (usage["input_tokens"], usage["output_tokens"]) == (
        sent["input_tokens"],
        sent["output_tokens"],
    )
    assert usage["cached_tokens"] == sent["input_tokens_details"]["cached_tokens"] > 0
    assert "base64" in gzip["response"] and "text" not in gzip["response"]
    assert gzip["response"]["events"][-1]["type"] == "response.completed"  # decoded view
    assert "request.headers.authorization" in gzip["redacted"]
    auth = [v for k, v in gzip["request"]["headers"] if k.lower() == "authorization"]
    assert auth and all(v.startswith("Bearer fp:") for v in auth)
    answer = lines(export_bytes("jsonl", load_file(RECORDINGS / "vcr_cassette.yaml")))[0]
    assert answer["response"]["json"]["object"] == "response" and "events" not in answer["response"]


def test_views_are_ignored_on_import_and_exact_bytes_kept() -> None:
    body = b'{"model": "gpt-4o",  "input": "hi"}'  # spacing no serialiser would write
    exchange = Exchange(HttpRequest("POST", "https://h/v1/responses", [], body), None)
    record = json.loads(line(exchange))
    record["request"]["json"]["model"] = "edited"
    (back,) = read_jsonl(json.dumps(record).encode())
    assert back.request.body == body


def test_binary_and_unparseable_parts_round_trip() -> None:
    started = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    http = Exchange(  # a body JSON-with-NaN and a lone surrogate: no view orjson can write
        HttpRequest("POST", "https://h/v1/responses", [("x", "é")], b"\xff\x00 not utf-8"),
        HttpResponse(200, [], b'{"text": "\\ud800", "n": NaN}', [(0.25, 10), (1.5, 17)], True),
        Timings(started, 0.125, 2.5),
        aborted=True,
        abort_reason="client closed",
    )
    socket = Exchange(
        HttpRequest("GET", "wss://h/v1/responses", [], b""),
        HttpResponse(101, [], b""),
        websocket=[WsMessage(1.0, True, b"\x81\xfe", is_text=False), WsMessage(None, False, b"")],
    )
    data = export_bytes("jsonl", [http, socket])
    records = lines(data)
    assert "base64" in records[0]["request"] and records[0]["response"]["text"].endswith("NaN}")
    assert "json" not in records[0]["response"] and records[0]["usage"] == []
    assert records[1]["websocket"][0] == {
        "offset_ms": 1.0, "from_client": True, "is_text": False, "base64": "gf4="
    }  # fmt: skip
    back = read_jsonl(data, name="export.txt")  # detected by content, not by name
    assert differences([http, socket], back) == []
    assert back[0].abort_reason == "client closed"
    assert back[0].timings.started_at == started  # the zone kept, not only the instant


def test_export_leaves_the_abort_flags_as_given() -> None:
    (exchange,) = load_file(RECORDINGS / "raw_stream.sse")
    assert exchange.response is not None
    exchange.aborted, exchange.abort_reason = True, "client hung up after the end"
    record = json.loads(line(exchange))
    assert exchange.aborted and not exchange.closed_early  # parsing a copy settled it
    assert (record["aborted"], record["closed_early"]) == (True, False)
    (back,) = read_jsonl(line(exchange))
    assert (back.aborted, back.abort_reason) == (True, "client hung up after the end")


def test_one_line_and_jq_slurped_files_read() -> None:
    exchanges = load_file(RECORDINGS / "stream_error.har")
    data = export_bytes("jsonl", exchanges)
    slurped = ("[" + ",".join(data.decode().splitlines()) + "]").encode()
    assert differences(exchanges, read_jsonl(slurped, name="all.json")) == []
    assert differences(exchanges[:1], read_jsonl(data.splitlines()[0])) == []


def test_a_bad_line_or_newer_layout_fails_naming_the_file_and_line() -> None:
    first, second = export_bytes("jsonl", load_file(RECORDINGS / "background.har")).splitlines()[:2]
    with pytest.raises(ImportFailure, match=r"x\.jsonl: .*line 2: invalid JSON"):
        load_bytes_detected(Path("x.jsonl"), first + b"\n" + second[:-5] + b"\n")
    newer = first.replace(b'{"respdeck":1', b'{"respdeck":2', 1)
    with pytest.raises(ImportFailure, match=r"x\.jsonl: .*line 1: layout version 2"):
        load_bytes_detected(Path("x.jsonl"), newer)


def test_batch_skips_what_is_not_a_create_and_keeps_ids_unique() -> None:
    def create(body: bytes, path: str = "/v1/responses", method: str = "POST") -> Exchange:
        return Exchange(HttpRequest(method, f"https://h{path}", [], body), None)

    body = (
        b'{"model":"m","input":"hi","stream":true,"stream_options":{"include_obfuscation":false}}'
    )
    exchanges = [
        create(body),
        create(b"", "/v1/responses/resp_1", "GET"),
        create(b'{"model":"m","input":"x"}', "/v1/responses/compact"),
        Exchange(HttpRequest("GET", "wss://h/v1/responses", [], b""), None, websocket=[]),
        create(b'{"stream":true}'),  # what an SSE file's import makes up
        create(b"[1]"),
        create(b'{"model":"m","input":"caf\xc3\xa9"}'),
    ]
    records = lines(export_bytes("batch", exchanges))
    assert [r["custom_id"] for r in records] == ["request-0", "request-6"]
    assert records[0]["body"] == {"model": "m", "input": "hi"}
    assert "café" in export_bytes("batch", exchanges).decode()
    stored = StoredExchange(exchanges[0].request, None, exchange_id="same")
    assert [r["custom_id"] for r in lines(export_bytes("batch", [stored, stored]))] == [
        "same",
        "same#2",
    ]
