"""The ingester's view of streams in flight: each snapshot file read on from where it was, each
stream parsed on from where it was, its provisional rows grown by what is new.

The proxy appends to a stream's snapshot what arrived since the last one (addon/recorder/
snapshot); here each file is read from its last offset, the new chunks fed to the stream's
IncrementalStream (addon/wire/incremental), and the store's rows grown (Writer.grow_in_flight):
a stream of n events costs the ingester time linear in n, where parsing and rewriting the whole
partial exchange at each refresh cost it n²/refresh. Exchanges the incremental parser does not
reproduce exactly (a Content-Encoding, a body that is not declared an event stream) are parsed
whole at each refresh, as before. The final journal record is parsed whole, as always, and its
rows replace these under the same id.
"""

from __future__ import annotations

import logging
from collections.abc import Container
from dataclasses import dataclass, field
from pathlib import Path

from addon.store.in_flight import whole_row_due
from addon.store.writer import Writer
from addon.wire.exchange import Exchange
from addon.wire.incremental import IncrementalStream, eligible

from .journal import SUFFIX, JournalError, Record
from .snapshot import More, SnapshotReader

log = logging.getLogger("respdeck")


@dataclass(slots=True)
class _Flow:
    reader: SnapshotReader
    exchange: Exchange | None = None  # its head, the body and chunks so far held below
    body: bytearray = field(default_factory=bytearray)
    chunks: list[tuple[float, int]] = field(default_factory=list)
    stream: IncrementalStream | None = None  # None: parsed whole at each refresh
    exchange_id: str | None = None  # once shown
    fresh: bool = True  # the store may hold rows of an earlier start: they go first
    since: int = 0  # events stored that never change
    stored: int = 0  # events stored, the tentative tail's included
    body_written: int | None = None  # body bytes in the stored exchanges row

    def take(self, record: Record | More) -> None:
        if isinstance(record, Record):  # a head: the stream (again) from its start
            exchange = record.exchange
            response = exchange.response
            exchange.index = -1
            self.exchange, self.fresh = exchange, True
            self.body = bytearray(response.body if response else b"")
            self.chunks = list(response.chunks or []) if response else []
            self.since = self.stored = 0
            self.body_written = None
            self.stream = None
            if eligible(exchange):
                self.stream = IncrementalStream(exchange)
                self.stream.feed(response.iter_chunks() if response else ())
            return
        if self.exchange is None:
            return  # appends of a head not read (cannot be: a head starts every file)
        self.body += record.data
        self.chunks += record.chunks
        self.exchange.timings.duration_ms = record.duration_ms
        if self.stream is not None:
            view = memoryview(record.data)
            pieces, pos = [], 0
            for offset, size in record.chunks:
                pieces.append((offset, view[pos : pos + size]))
                pos += size
            self.stream.feed(pieces)
            view.release()

    def row_exchange(self, whole_row: bool) -> Exchange:
        """The exchange its rows are written from: with the body so far when the row is
        written whole (its body is then copied), else with none (the row keeps its own)."""
        exchange = self.exchange
        assert exchange is not None and exchange.response is not None
        response = exchange.response
        response.body = bytes(self.body) if whole_row else b""
        response.chunks = list(self.chunks) if whole_row else None
        return exchange


class InFlight:
    """The streams in flight of the capture being followed, by the proxy's flow id."""

    def __init__(self) -> None:
        self.flows: dict[str, _Flow] = {}

    def refresh(
        self, writer: Writer, capture_id: str, folder: Path, finished: Container[str]
    ) -> None:
        """Read what each snapshot file gained and grow the stream's rows by it."""
        for path in folder.glob(f"*{SUFFIX}"):
            flow_id = path.name.removesuffix(SUFFIX)
            if flow_id in finished:
                continue
            flow = self.flows.get(flow_id)
            if flow is None:
                flow = self.flows[flow_id] = _Flow(SnapshotReader(path))
            try:
                records = flow.reader.read()
            except (OSError, JournalError):
                continue  # removed while we looked, or not a snapshot: the next round sees
            for record in records:
                flow.take(record)
            if records and flow.exchange is not None:
                self._show(writer, capture_id, flow_id, flow)

    def _show(self, writer: Writer, capture_id: str, flow_id: str, flow: _Flow) -> None:
        stream = flow.stream
        whole_row = stream is None or whole_row_due(len(flow.body), flow.body_written)
        exchange = flow.row_exchange(whole_row)
        if stream is not None:
            try:
                view = stream.view(exchange, flow.since)
            except Exception:  # the whole parse below still shows it (and says what failed)
                log.exception("respdeck: incremental parser error; parsing the stream whole")
                flow.stream = stream = None
                exchange = flow.row_exchange(True)
        if stream is None:
            from .ingest import parse_record

            parsed = parse_record(Record(exchange))
            flow.exchange_id = writer.show_in_flight(capture_id, flow_id, parsed)
            flow.body_written = len(flow.body)
            flow.fresh = False
            return
        events_from = flow.since if flow.stored > flow.since and not flow.fresh else None
        flow.exchange_id = writer.grow_in_flight(
            capture_id,
            flow_id,
            view,
            fresh=flow.fresh,
            whole_row=whole_row,
            events_from=events_from,
        )
        flow.fresh = False
        flow.since, flow.stored = view.stable, view.since + len(view.parsed.events)
        if whole_row:
            flow.body_written = len(flow.body)

    def pop(self, flow_id: str) -> str | None:
        """A stream's final record is stored: its provisional id, if it was shown."""
        flow = self.flows.pop(flow_id, None)
        return flow.exchange_id if flow is not None else None

    def clear(self) -> None:
        self.flows.clear()
