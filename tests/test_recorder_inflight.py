"""Streams in flight: the proxy appends to a snapshot, the ingester grows provisional rows.

The snapshot file survives a torn append and a start over; it goes once the final record is
journaled. The rows an ingester grows incrementally are, at every refresh, the rows the whole
partial exchange parsed again gives (what live readers saw before), events appended and never
rewritten; the final record's rows replace them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from addon.recorder.capture import Captured, ChunkTee
from addon.recorder.in_flight import InFlight
from addon.recorder.ingest import parse_record
from addon.recorder.journal import JournalFile, Record, inflight_dir
from addon.recorder.snapshot import SnapshotReader, append_more, snapshot_path, write_head
from addon.recorder.spool import Spool
from addon.store import in_flight as store_in_flight
from addon.store.db import open_for_write
from addon.store.rows import TABLES, Batch
from addon.store.writer import Writer
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse
from addon.wire.redact import Redactor
from tests.helpers import API, sse_body, text_stream

WORDS = [f"word{i} " for i in range(30)]
BODY = sse_body(text_stream(WORDS))
SSE = [(b"content-type", b"text/event-stream")]


def captured(parts: list[bytes]) -> Captured:
    request = json.dumps({"model": "gpt-4o", "input": "hi", "stream": True}).encode()
    cap = Captured(
        "POST",
        f"{API}/responses",
        [(b"content-type", b"application/json")],
        request,
        time.time(),
        200,
        SSE,
        time.time(),
        ChunkTee(),
        flow_id="f1",
    )
    assert cap.tee is not None
    for part in parts:
        cap.tee(part)
    return cap


def pieces(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


def test_a_snapshot_grows_by_appends_read_from_where_they_were(tmp_path: Path) -> None:
    cap = captured(pieces(BODY, 100)[:3])
    write_head(tmp_path, "f1", cap.to_exchange(3))
    reader = SnapshotReader(snapshot_path(tmp_path, "f1"))
    (head,) = reader.read()
    assert isinstance(head, Record) and head.exchange.response is not None
    assert head.exchange.response.body == BODY[:300]
    assert reader.read() == []
    more = pieces(BODY, 100)[3:6]
    for part in more:
        cap.tee(part)
    rows, parts, duration = cap.more(3, 6)
    append_more(tmp_path, "f1", rows, parts, duration)
    (appended,) = reader.read()
    assert not isinstance(appended, Record)
    assert appended.data == BODY[300:600] and [size for _, size in appended.chunks] == [100] * 3
    assert appended.duration_ms == rows[-1][0]


def test_a_torn_append_is_read_once_whole_and_a_new_head_starts_over(tmp_path: Path) -> None:
    cap = captured(pieces(BODY, 100))
    write_head(tmp_path, "f1", cap.to_exchange(2))
    path = snapshot_path(tmp_path, "f1")
    reader = SnapshotReader(path)
    assert len(reader.read()) == 1
    append_more(tmp_path, "f1", *cap.more(2, 4))
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) - 7])  # the proxy cut short while appending
    assert reader.read() == []  # nothing half read
    with path.open("ab") as f:
        f.write(whole[len(whole) - 7 :])
    (appended,) = reader.read()
    assert not isinstance(appended, Record) and appended.data == BODY[200:400]
    write_head(tmp_path, "f1", cap.to_exchange(5))  # started over (after a failed append)
    (head,) = reader.read()
    assert isinstance(head, Record) and head.exchange.response is not None
    assert head.exchange.response.body == BODY[:500]


def test_the_spool_appends_and_drops_the_snapshot_with_the_final_record(
    tmp_path: Path,
) -> None:
    cap = captured(pieces(BODY, 100)[:2])
    folder = tmp_path / "run.inflight"
    spool = Spool(
        JournalFile(tmp_path / "run.rdj"), Redactor(), inflight=lambda: [cap], inflight_dir=folder
    )
    spool._snapshot()
    path = snapshot_path(folder, "f1")
    first = path.read_bytes()
    inode = path.stat().st_ino
    for part in pieces(BODY, 100)[2:5]:
        cap.tee(part)
    spool._last_snapshot = 0.0  # the next round is due
    spool._snapshot()
    grown = path.read_bytes()
    assert grown.startswith(first) and path.stat().st_ino == inode  # appended, not rewritten
    records = SnapshotReader(path).read()
    assert len(records) == 2
    spool._write(cap)  # the final record
    assert not path.exists()
    spool.journal.close()


def table_rows(
    conn: duckdb.DuckDBPyConnection, leave_out: frozenset[str] = frozenset()
) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row but the capture's, in a stable order (less `leave_out` columns of
    the exchanges row)."""
    out = {}
    for table in TABLES:
        if table == "captures":
            continue
        kept = [c for c in TABLES[table] if table != "exchanges" or c not in leave_out]
        names = ", ".join(f'"{c}"' for c in kept)
        rows = conn.execute(f"SELECT {names} FROM {table}").fetchall()
        out[table] = sorted(rows, key=repr)
    return out


@pytest.mark.parametrize(("size", "small"), [(37, False), (211, False), (53, True)])
def test_grown_rows_are_the_rows_of_the_whole_partial_parse(
    tmp_path: Path, size: int, small: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At each refresh: the incrementally grown store holds what the old path (the whole
    partial exchange parsed and rewritten) holds; earlier event rows stay as they were
    written (same rowid); the final record's rows then replace them, as in the old path.

    `small`: every body counts as large, so the exchanges row is written whole only when
    its body has doubled; in between its other columns are what the old path writes, and
    its body is the body as it was at the last whole write."""
    leave_out: frozenset[str] = frozenset()
    if small:
        monkeypatch.setattr(store_in_flight, "WHOLE_ROW_BYTES", 0)
        monkeypatch.setattr(store_in_flight, "GROWTH", 2.0)
        leave_out = frozenset({"response_body", "response_chunks"})
    parts = pieces(BODY, size)
    cap = captured([])
    tee = cap.tee
    assert tee is not None
    folder = inflight_dir(tmp_path, "run.rdj")
    conn, old_conn = (open_for_write(tmp_path / f"{n}.duckdb") for n in ("grown", "whole"))
    writer, old_writer = Writer(conn), Writer(old_conn)
    capture = writer.add_capture("record", "run.rdj")
    old_writer.batch = Batch()  # the same capture row (and so the same ids) in both
    old_writer.batch.columns["captures"] = {
        k: list(v) for k, v in writer.batch.columns["captures"].items()
    }
    in_flight = InFlight()
    kept: list[tuple[Any, ...]] = []
    step = max(1, len(parts) // 6)
    done: int | None = None
    for count in range(step, len(parts) + step, step):
        for part in parts[len(tee.chunks) : count]:
            tee(part)
        if done is None:
            write_head(folder, "f1", cap.to_exchange(len(tee.chunks)))
        else:
            append_more(folder, "f1", *cap.more(done, len(tee.chunks)))
        done = len(tee.chunks)
        in_flight.refresh(writer, capture, folder, ())
        partial = Record(cap.to_exchange(done), None, "f1")
        partial.exchange.index = -1
        old_writer.show_in_flight(capture, "f1", parse_record(partial))
        assert table_rows(conn, leave_out) == table_rows(old_conn, leave_out), count
        so_far = b"".join(data for _, data in tee.chunks)
        written = in_flight.flows["f1"].body_written
        assert written is not None and written > len(so_far) / 2.0
        body = conn.execute("SELECT response_body FROM exchanges").fetchone()
        assert body == (so_far[:written],)
        now = conn.execute("SELECT rowid, idx, raw FROM events").fetchall()
        assert set(kept) <= set(now)  # appended: earlier rows untouched
        stable = in_flight.flows["f1"].since
        kept = [row for row in now if row[1] < stable]
    assert len(kept) > len(text_stream(WORDS)) // 2  # most rows were kept through refreshes
    final = Record(cap.to_exchange(), None, "f1")
    final.exchange.index = 0
    exchange_id = in_flight.pop("f1")
    assert exchange_id is not None
    writer.replace(exchange_id, capture, 0, parse_record(final))
    old_writer.replace(exchange_id, capture, 0, parse_record(final))
    assert table_rows(conn) == table_rows(old_conn)
    assert conn.execute("SELECT position, partial FROM exchanges").fetchall() == [(0, False)]
    conn.close()
    old_conn.close()


def test_a_stream_not_taken_incrementally_is_parsed_whole(tmp_path: Path) -> None:
    """A gzip body (what IncrementalStream does not reproduce) still shows, as before."""
    import gzip

    body = gzip.compress(BODY, mtime=0)
    request = HttpRequest(
        "POST",
        f"{API}/responses",
        [("content-type", "application/json")],
        b'{"model": "gpt-4o", "stream": true}',
    )
    response = HttpResponse(
        200,
        [("content-type", "text/event-stream"), ("content-encoding", "gzip")],
        body,
        [(1.0, len(body))],
    )
    folder = tmp_path / "run.inflight"
    write_head(folder, "f1", Exchange(request, response))
    conn = open_for_write(tmp_path / "db.duckdb")
    writer = Writer(conn)
    capture = writer.add_capture("record", "run.rdj")
    in_flight = InFlight()
    in_flight.refresh(writer, capture, folder, ())
    assert in_flight.flows["f1"].stream is None
    count = conn.execute("SELECT count(*) FROM events").fetchone()
    assert count == (len(text_stream(WORDS)),)
    conn.close()


SLOW = text_stream([f"slow{i} " for i in range(24)])
SLOW_PARTS = [sse_body(SLOW[i : i + 6]) for i in range(0, len(SLOW), 6)]


def test_a_slow_stream_grows_through_the_recorder_and_its_final_rows_replace(
    tmp_path: Path,
) -> None:
    """A real `respdeck record`: the upstream holds each next part of a stream until its
    provisional rows have grown by the last one. The rows grow by appended events, each
    provisional event as the final row of the same index says; the final record's rows
    then replace them under the same id, and the snapshot file is gone."""
    import threading

    from tests.gated_upstream import GatedUpstream
    from tests.recorder_harness import Recorder
    from tests.test_recorder_faults import raw_post, request
    from tests.waiting import scaled

    events = (
        "SELECT v.idx, v.raw FROM events v JOIN exchanges e USING (exchange_id) "
        "WHERE e.position < 0 ORDER BY v.idx"
    )
    seen: list[list[tuple[Any, ...]]] = []
    with GatedUpstream(SLOW_PARTS) as upstream:
        rec = Recorder(upstream.url, tmp_path / "slow.duckdb").start()
        try:
            client = threading.Thread(target=raw_post, args=(rec.port, request("slow", True)))
            client.start()
            for part in range(1, len(SLOW_PARTS)):  # the last part ends the stream
                grown = 6 * part  # the events of the parts sent so far
                seen.append(rec.wait_for(events, lambda rows, n=grown: len(rows) >= n))
                assert upstream.sent == part  # what is shown came while the stream was open
                upstream.release()
            client.join(scaled(60))
            assert not client.is_alive()
            final = rec.wait_for(
                "SELECT v.idx, v.raw FROM events v JOIN exchanges e USING (exchange_id) "
                "WHERE e.position >= 0 ORDER BY v.idx",
                lambda rows: len(rows) == len(SLOW),
            )
            assert rec.query("SELECT count(*) FROM exchanges WHERE position < 0") == [(0,)]
            assert rec.query("SELECT count(*) FROM exchanges") == [(1,)]
        finally:
            assert rec.stop() == 0, rec.output()
    for rows in seen:
        assert rows == final[: len(rows)]  # a prefix of the final events, none twice
    assert [len(rows) for rows in seen] == sorted(len(rows) for rows in seen)
    assert len(seen[0]) < len(seen[-1])
    folders = list(rec.journal.glob("*.inflight"))
    assert all(not any(folder.iterdir()) for folder in folders)
