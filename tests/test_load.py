"""load_exchange gives back the Exchange that was stored, field by field.

Over every shipped recording, the shared corpus (skipped when absent), and recorded traffic
with what imports rarely have: binary and non-UTF-8 WebSocket messages, a truncated body, an
exchange that closed early, duplicate headers, redacted bodies.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from addon.recorder.ingest import Ingester, parse_record
from addon.recorder.journal import JournalFile, split_records
from addon.store import ids
from addon.store.db import open_for_write
from addon.store.importer import import_paths
from addon.store.load import NotStored, StoredExchange, load_exchange, load_exchanges
from addon.store.migrations import migrate
from addon.store.reader import Reader
from addon.store.writer import Writer
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, Timings, WsMessage
from addon.wire.redact import Redactor
from addon.wire.result import ParsedExchange

from .conftest import RECORDINGS


def plain(value: Any) -> Any:
    """A value to compare: dataclasses as dicts (an Exchange's own fields only), sequences as
    lists, a time without a zone as UTC (the database keeps times in UTC)."""
    if isinstance(value, Exchange):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(Exchange)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def store(parsed: list[ParsedExchange]) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    """Each source file one capture, as an import makes them; the exchanges' ids in order."""
    conn = duckdb.connect()
    migrate(conn)
    writer = Writer(conn)
    captures: dict[str, str] = {}
    stored = []
    for p in parsed:
        source = p.exchange.source
        if source not in captures:
            captures[source] = writer.add_capture("import", source, ended=True)
        stored.append(writer.add(captures[source], p))
    writer.flush()
    return conn, stored


def assert_loads_back(parsed: list[ParsedExchange]) -> None:
    conn, stored = store(parsed)
    for p, exchange_id in zip(parsed, stored, strict=True):
        loaded = load_exchange(conn, exchange_id)
        assert plain(loaded) == plain(p.exchange), (p.exchange.source, p.exchange.index)
    paged, after = [], None
    while page := load_exchanges(conn, after, 7):
        paged += page
        after = page[-1].exchange_id
    assert sorted(e.exchange_id for e in paged) == sorted(stored)


def test_every_shipped_recording_loads_back_exactly(
    recordings_parsed: list[ParsedExchange],
) -> None:
    assert len(recordings_parsed) == 32
    assert_loads_back(recordings_parsed)


@pytest.mark.corpus
def test_every_corpus_exchange_loads_back_exactly(corpus_parsed: list[ParsedExchange]) -> None:
    assert_loads_back(corpus_parsed)


def test_an_import_loads_back_through_a_reader(tmp_path: Path) -> None:
    """What `respdeck import` stored, read as any reader reads: its source, its ids."""
    db = tmp_path / "i.duckdb"
    conn = open_for_write(db)
    import_paths(conn, [RECORDINGS / "websocket.har", RECORDINGS / "stream_cut.har"])
    conn.close()
    with Reader.open(db) as reader:
        rows = reader.fetchall("SELECT exchange_id, capture_id, seq FROM exchanges")
        for exchange_id, capture_id, seq in rows:
            loaded = load_exchange(reader, str(exchange_id))
            assert isinstance(loaded, StoredExchange)
            assert (loaded.exchange_id, loaded.capture_id, loaded.seq) == (
                str(exchange_id),
                str(capture_id),
                seq,
            )
            assert loaded.source.endswith((".har",)) and loaded.redacted == ()
        with pytest.raises(NotStored):
            load_exchange(reader, ids.exchange_id(ids.new_capture_id(), 0))


# -- recorded traffic -------------------------------------------------------------------------

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
SSE = (
    b'data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1",'
    b'"object":"response","status":"in_progress","model":"gpt-4o","output":[]}}\n\n'
    b'data: {"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_1",'
    b'"output_index":0,"content_index":0,"delta":"Hel'
)


def recorded() -> list[Exchange]:
    """Exchanges as the proxy journals them, with the rare parts."""
    cut = Exchange(
        HttpRequest(
            "POST",
            "https://api.openai.com/v1/responses",
            [("content-type", "application/json"), ("x-dup", "1"), ("X-Dup", "2"),
             ("authorization", "Bearer sk-secret")],
            b'{"model":"gpt-4o","stream":true,"input":"hi"}',
        ),
        HttpResponse(
            200, [("content-type", "text/event-stream"), ("set-cookie", "a=1")], SSE,
            [(12.5, 100), (40.25, len(SSE) - 100)], truncated=True,
        ),
        Timings(T0, 12.5, 40.25),
        aborted=True,
        abort_reason="client disconnected",
    )  # fmt: skip
    socket = Exchange(
        HttpRequest("GET", "wss://api.openai.com/v1/responses", [("upgrade", "websocket")]),
        HttpResponse(101, [("upgrade", "websocket")]),
        Timings(T0, 3.0, 900.0),
        websocket=[
            WsMessage(5.0, True, b'{"type":"response.create","model":"gpt-4o","input":"hi"}'),
            WsMessage(6.5, False, b"\x00\x01\xff binary", is_text=False),
            WsMessage(7.0, False, b"\xff\xfe not utf-8 text"),
            WsMessage(8.0, True, "caf\u00e9 \u2603".encode(), is_text=True),
            WsMessage(None, False, b"", is_text=False),
        ],
    )
    no_answer = Exchange(
        HttpRequest("GET", "https://api.openai.com/v1/responses/resp_1?stream=true", []),
        None,
        Timings(None, None, None),
        aborted=True,
        abort_reason="upstream reset",
    )
    return [cut, socket, no_answer]


def ingest(tmp_path: Path, exchanges: list[Exchange], redactor: Redactor | None = None) -> Path:
    db, journal_dir = tmp_path / "r.duckdb", tmp_path / "journal"
    name = "20260301T120000000000Z-1.rdj"
    journal = JournalFile(journal_dir / name)
    for exchange in exchanges:
        journal.append(redactor.apply(exchange) if redactor else exchange, exchange.abort_reason)
    journal.close()
    ingester = Ingester(db, journal_dir, name, serve=False)
    assert ingester.open()
    stop = threading.Event()
    stop.set()
    ingester.follow(stop)
    ingester.close()
    return journal_dir / name.replace(".rdj", ".rdj.done")


def test_recorded_exchanges_load_back_exactly(tmp_path: Path) -> None:
    journal = ingest(tmp_path, recorded())
    records, _ = split_records(journal.read_bytes())
    expected = [parse_record(r).exchange for r in records]  # as the parser settled them
    conn = duckdb.connect(str(tmp_path / "r.duckdb"), read_only=True)
    (capture,) = conn.execute("SELECT capture_id FROM captures").fetchone() or ()
    for seq, exchange in enumerate(expected):
        exchange.index = seq  # the ingester numbers records in their journal
        loaded = load_exchange(conn, ids.exchange_id(str(capture), seq))
        assert plain(loaded) == plain(exchange)
        assert loaded.source == "" and loaded.seq == seq
    cut, socket, no_answer = (
        load_exchange(conn, ids.exchange_id(str(capture), n)) for n in range(3)
    )
    assert cut.response is not None and cut.response.truncated and cut.aborted
    assert cut.abort_reason == "client disconnected"
    assert [k for k, _ in cut.request.headers] == [
        "content-type",
        "x-dup",
        "X-Dup",
        "authorization",
    ]
    assert socket.websocket is not None
    assert [(m.is_text, m.content[:4]) for m in socket.websocket] == [
        (True, b'{"ty'), (False, b"\x00\x01\xff "), (True, b"\xff\xfe n"), (True, b"caf\xc3"),
        (False, b""),
    ]  # fmt: skip
    assert no_answer.response is None and no_answer.aborted


def test_a_stream_that_ended_before_the_close_loads_as_settled(tmp_path: Path) -> None:
    """Aborted after its terminal event: stored (and loaded) not aborted, closed early."""
    body = SSE.rsplit(b"data:", 1)[0] + (
        b'data: {"type":"response.completed","sequence_number":1,"response":{"id":"resp_1",'
        b'"object":"response","status":"completed","model":"gpt-4o","output":[]}}\n\n'
    )
    exchange = Exchange(
        HttpRequest("POST", "https://api.openai.com/v1/responses", [], b'{"stream":true}'),
        HttpResponse(200, [("content-type", "text/event-stream")], body, truncated=True),
        Timings(T0, 1.0, 2.0),
        aborted=True,
        abort_reason="client disconnected",
    )
    ingest(tmp_path, [exchange])
    conn = duckdb.connect(str(tmp_path / "r.duckdb"), read_only=True)
    ((exchange_id,),) = conn.execute("SELECT exchange_id FROM exchanges").fetchall()
    loaded = load_exchange(conn, str(exchange_id))
    assert (loaded.aborted, loaded.closed_early, loaded.abort_reason) == (
        False,
        True,
        "client disconnected",
    )
    assert loaded.response is not None and not loaded.response.truncated


def test_a_redacted_body_is_marked(tmp_path: Path) -> None:
    """--redact-json-path fingerprints values: the loaded exchange says which parts."""
    exchanges = recorded()
    ingest(tmp_path, exchanges[:2], Redactor.from_options([], ["input", "model"]))
    conn = duckdb.connect(str(tmp_path / "r.duckdb"), read_only=True)
    marks = [
        load_exchange(conn, str(r[0])).redacted
        for r in conn.execute("SELECT exchange_id FROM exchanges ORDER BY seq").fetchall()
    ]
    assert marks == [("request.body",), ("websocket.0",)]
    stored = conn.execute("SELECT redacted FROM exchanges ORDER BY seq").fetchall()
    assert stored == [('["request.body"]',), ('["websocket.0"]',)]
