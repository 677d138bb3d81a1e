"""The recorder's plain parts: journal framing, redaction, the spool and the ingester."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import duckdb
import pytest

from addon.recorder.capture import Captured, ChunkTee
from addon.recorder.ingest import Ingester
from addon.recorder.journal import (
    DONE_SUFFIX,
    JournalError,
    JournalFile,
    JournalReader,
    count_records,
    encode,
    run_name,
    split_records,
)
from addon.recorder.spool import Spool, read_status
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, Timings, WsMessage
from addon.wire.parse import parse_exchange
from addon.wire.redact import Redactor, parse_path, redact_value
from tests.helpers import API, sse_body, text_stream
from tests.waiting import wait_until

SECRET = "sk-planted-0123456789abcdef"


def streamed_exchange(text: str = "Hello world") -> Exchange:
    body = sse_body(text_stream([text[:2], text[2:]]))
    cut = len(body) // 3
    return Exchange(
        HttpRequest(
            "POST",
            f"{API}/responses",
            [("authorization", f"Bearer {SECRET}"), ("content-type", "application/json")],
            json.dumps({"model": "gpt-4o", "input": "hi", "stream": True}).encode(),
        ),
        HttpResponse(
            200,
            [("content-type", "text/event-stream")],
            body,
            [(5.0, cut), (30.5, len(body) - cut)],
        ),
        Timings(None, 5.0, 31.0),
    )


def test_journal_round_trip_keeps_every_byte(tmp_path: Path) -> None:
    ws = Exchange(
        HttpRequest("GET", f"{API}/responses", [("upgrade", "websocket")]),
        HttpResponse(101, [("upgrade", "websocket")]),
        websocket=[
            WsMessage(1.5, True, b'{"type":"response.create"}'),
            WsMessage(9.0, False, b"\x00\x01", False),
        ],
    )
    original = streamed_exchange()
    journal = JournalFile(tmp_path / "run.rdj")
    journal.append(original)
    journal.append(ws, "client disconnected")
    journal.close()
    records, used = split_records((tmp_path / "run.rdj").read_bytes())
    assert used == (tmp_path / "run.rdj").stat().st_size
    first, second = records
    assert first.exchange.response is not None and original.response is not None
    assert first.exchange.response.body == original.response.body
    assert first.exchange.response.chunks == original.response.chunks
    assert first.exchange.request.body == original.request.body
    assert first.exchange.timings.ttfb_ms == 5.0
    assert second.error == "client disconnected"
    assert [
        (m.offset_ms, m.from_client, m.content, m.is_text) for m in second.exchange.websocket or []
    ] == [
        (1.5, True, b'{"type":"response.create"}', True),
        (9.0, False, b"\x00\x01", False),
    ]
    assert SECRET.encode() not in (tmp_path / "run.rdj").read_bytes()


def test_a_record_cut_by_a_crash_is_ignored_until_complete(tmp_path: Path) -> None:
    data = b"".join(encode(streamed_exchange("one"))) + b"".join(encode(streamed_exchange("two")))
    cut = len(data) - 10
    path = tmp_path / "run.rdj"
    path.write_bytes(data[:cut])
    assert count_records(path) == 1
    reader = JournalReader(path, read_size=64)
    assert len(reader.read_available()) == 1
    assert reader.read_available() == []
    with path.open("ab") as f:
        f.write(data[cut:])
    assert len(reader.read_available()) == 1
    reader.close()
    assert count_records(path) == 2


def test_garbage_is_not_a_journal() -> None:
    with pytest.raises(JournalError):
        split_records(b"GET / HTTP/1.1\r\n" * 10)


def test_redaction_leaves_json_nested_too_deep_to_read_as_it_is() -> None:
    """It was a RecursionError in the journal thread: the exchange was dropped."""
    redactor = Redactor.from_options([], ["input"])
    for depth in (3_000, 100_000):
        assert redactor.json_bytes(b'{"input":' + b"[" * depth + b"]" * depth + b"}") is None
    assert redactor.json_bytes(b'{"input": "secret"}') is not None


def test_redact_json_paths() -> None:
    doc = {"input": [{"content": "my secret"}, {"content": None}], "metadata": {"email": 5}}
    assert redact_value(doc, parse_path("input.*.content"))
    assert redact_value(doc, parse_path("metadata.email"))
    assert doc["input"][0]["content"].startswith("fp:")
    assert doc["input"][1]["content"] is None and doc["metadata"]["email"] is None
    assert not redact_value(doc, parse_path("nothing.here"))
    with pytest.raises(ValueError):
        parse_path("input..content")


def test_redaction_rewrites_sse_and_moves_chunk_bounds() -> None:
    exchange = streamed_exchange("a private phrase")
    paths = [
        "delta",
        "text",
        "part.text",
        "item.content.*.text",
        "response.output.*.content.*.text",
    ]
    Redactor.from_options(["x-trace"], paths).apply(exchange)
    response = exchange.response
    assert response is not None and response.chunks is not None
    assert b"private" not in response.body
    assert sum(size for _, size in response.chunks) == len(response.body)
    parsed = parse_exchange(exchange)
    assert parsed.events and all(e.type for e in parsed.events)
    assert not [f for f in parsed.findings if f.code == "json_invalid"]


def test_redact_header_option_and_request_body() -> None:
    exchange = streamed_exchange()
    exchange.request.headers.append(("X-Org-Token", "org-secret"))
    Redactor.from_options(["x-org-token"], ["input"]).apply(exchange)
    assert dict(exchange.request.headers)["X-Org-Token"].startswith("fp:")
    assert json.loads(exchange.request.body)["input"].startswith("fp:")


def test_captured_to_exchange_offsets_from_request_start() -> None:
    started = time.time() - 1
    tee = ChunkTee()
    assert tee(b"data: 1\n\n") == b"data: 1\n\n"
    assert tee(b"") == b""
    captured = Captured(
        "POST", f"{API}/responses", [(b"Authorization", SECRET.encode())], b"{}", started
    )
    captured.status, captured.response_headers, captured.tee = 200, [], tee
    captured.response_started = captured.started + 0.25
    exchange = captured.to_exchange()
    assert exchange.response is not None and exchange.response.chunks is not None
    assert exchange.response.chunks[0][0] >= 1000
    assert exchange.timings.ttfb_ms == 250.0
    assert SECRET not in str(exchange.request.headers)


def test_spool_drains_in_order_and_writes_directly_when_over_budget(tmp_path: Path) -> None:
    journal = JournalFile(tmp_path / "run.rdj")
    spool = Spool(journal, Redactor(), tmp_path / "status.json", max_bytes=10)
    spool.start()
    for n in range(20):
        captured = Captured("POST", f"{API}/responses", [], f'{{"n":{n}}}'.encode(), time.time())
        spool.submit(captured)
    spool.stop()
    records, _ = split_records((tmp_path / "run.rdj").read_bytes())
    assert len(records) == 20
    status = read_status(tmp_path / "status.json")
    assert status is not None and status.journaled == 20 and status.queued == 0
    assert status.direct_writes > 0  # a 10-byte budget cannot hold them all


def test_ingester_stores_a_run_and_catches_up_after_a_crash(tmp_path: Path) -> None:
    db, journal_dir = tmp_path / "r.duckdb", tmp_path / "journal"
    old = JournalFile(journal_dir / "20260101T000000000000Z-1.rdj")
    for text in ("one", "two", "three"):
        old.append(streamed_exchange(text))
    old.close()
    current = run_name()
    ingester = Ingester(db, journal_dir, current, serve=False)
    assert ingester.open()
    stop = threading.Event()
    thread = threading.Thread(target=lambda: (ingester.catch_up(), ingester.follow(stop)))
    thread.start()
    live = JournalFile(journal_dir / current)
    live.append(streamed_exchange("four"))
    # "four" is stored while following (after the catch-up), then "five" arrives
    wait_until(lambda: ingester.stats.exchanges, lambda n: n >= 4, timeout=60, what="four")
    live.append(streamed_exchange("five"))
    live.close()
    stop.set()
    thread.join(30)
    ingester.close()
    assert ingester.stats.caught_up == 3 and ingester.stats.exchanges == 5
    conn = duckdb.connect(str(db), read_only=True)
    rows = conn.execute(
        "SELECT c.source, count(*), bool_and(c.ended_at IS NOT NULL) FROM exchanges e "
        "JOIN captures c USING (capture_id) GROUP BY 1 ORDER BY 1"
    ).fetchall()
    texts = [
        r[0]
        for r in conn.execute(
            "SELECT i.text FROM items i JOIN exchanges e USING (exchange_id) "
            "JOIN captures c USING (capture_id) "
            "WHERE i.direction = 'output' ORDER BY c.started_at, e.seq"
        ).fetchall()
    ]
    conn.close()
    assert rows == [("20260101T000000000000Z-1.rdj", 3, True), (current, 2, True)]
    assert texts == ["one", "two", "three", "four", "five"]
    assert sorted(p.name.endswith(DONE_SUFFIX) for p in journal_dir.glob("*.rdj*")) == [True, True]


def test_ingester_resumes_a_file_it_stored_in_part(tmp_path: Path) -> None:
    """Records past the capture's committed exchanges are stored; none twice."""
    db, journal_dir = tmp_path / "r.duckdb", tmp_path / "journal"
    name = "20260101T000000000000Z-7.rdj"
    journal = JournalFile(journal_dir / name)
    journal.append(streamed_exchange("one"))
    journal.close()
    first = Ingester(db, journal_dir, name, serve=False)
    assert first.open()
    stop = threading.Event()
    stop.set()
    first.follow(stop)  # stores record 1, then marks the file done: undo that, as a crash would
    first.close()
    (journal_dir / (name.removesuffix(".rdj") + DONE_SUFFIX)).rename(journal_dir / name)
    conn = duckdb.connect(str(db))
    conn.execute("UPDATE captures SET ended_at = NULL")
    conn.close()
    journal = JournalFile(journal_dir / name)
    journal.append(streamed_exchange("two"))
    journal.close()
    second = Ingester(db, journal_dir, None, serve=False)
    assert second.open()
    second.catch_up()
    second.close()
    conn = duckdb.connect(str(db), read_only=True)
    texts = [
        r[0]
        for r in conn.execute(
            "SELECT i.text FROM items i JOIN exchanges e USING (exchange_id) "
            "JOIN captures c USING (capture_id) "
            "WHERE i.direction = 'output' ORDER BY c.started_at, e.seq"
        ).fetchall()
    ]
    conn.close()
    assert texts == ["one", "two"]
    assert second.stats.caught_up == 1


def test_a_team_stores_journal_is_local_and_its_own() -> None:
    """Beside a file; for a team store under recordings/ here, one folder per store (its
    address is no path, and a recorder's buffer never goes to the shared data folder)."""
    from addon.recorder.journal import journal_dir_for

    assert journal_dir_for(Path("x/a.duckdb")) == Path("x/a.duckdb.journal")
    one = journal_dir_for(Path("ducklake:postgres:dbname=one host=db"))
    two = journal_dir_for(Path("ducklake:postgres:dbname=two host=db"))
    assert one.parent == two.parent == Path("recordings") and one != two
    assert one.name.startswith("team-") and one.name.endswith(".journal")
