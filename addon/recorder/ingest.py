"""The ingester: reads journal files in order, parses each exchange and stores it.

It holds the database (and serves it over Quack for live readers). Each journal file is one
capture; the capture's committed exchanges are always a prefix of the file's records, because
records are stored one to one, in order, in atomic batches. So catching up after a crash or a
run whose database was unavailable is: skip as many records as the capture already has, store
the rest. A file fully stored after its run ended is renamed `*.rdj.done`.

Runs in its own process (`addon.recorder.ingest_main`), started by `respdeck record` or by the
addon when mitmdump loads it as a plain script.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import duckdb

from addon.store.db import StoreError, open_for_write
from addon.store.live import LiveError, LiveServer
from addon.store.writer import Writer
from addon.wire.endpoints import classify
from addon.wire.findings import Finding, Severity
from addon.wire.parse import parse_exchange
from addon.wire.result import ParsedExchange, RequestView

from .ingest_status import IngestStats
from .journal import (
    DONE_SUFFIX,
    SUFFIX,
    JournalError,
    JournalReader,
    Record,
    inflight_dir,
    run_files,
    split_records,
)

log = logging.getLogger("respdeck")

FLUSH_INTERVAL = 0.2  # seconds: live readers see an exchange well within 1 s of its end
POLL_INTERVAL = 0.02
INFLIGHT_INTERVAL = 0.5
STATUS_INTERVAL = 0.25


def parse_record(record: Record) -> ParsedExchange:
    """Parse one journal record; a parser bug still stores the exchange (raw bytes intact).

    Whether an exchange the proxy saw end early (`aborted`) lost anything is decided by the
    parser (parse.settle_abort), the same way for recordings and imports."""
    record.exchange.abort_reason = record.error
    try:
        return parse_exchange(record.exchange)
    except Exception as exc:  # the record must still become a row: captures map 1:1 to files
        log.exception("respdeck: parser error")
        request = record.exchange.request
        parsed = ParsedExchange(
            record.exchange,
            classify(request.method, request.path, record.exchange.websocket is not None),
            RequestView(),
        )
        parsed.findings = [
            Finding("parser_error", Severity.ERROR, f"parser error: {type(exc).__name__}: {exc}")
        ]
        return parsed


class Ingester:
    def __init__(
        self,
        db: Path,
        journal_dir: Path,
        run: str | None = None,
        *,
        upstream: str | None = None,
        serve: bool = True,
    ) -> None:
        self.db = db
        self.journal_dir = journal_dir
        self.run = run
        self.upstream = upstream
        self.serve = serve
        self.stats = IngestStats()
        self.conn: duckdb.DuckDBPyConnection | None = None
        self.writer: Writer | None = None
        self.server: LiveServer | None = None
        self._last_flush = time.monotonic()
        self._last_inflight = 0.0
        # flow id -> (exchange id, snapshot mtime) of streams shown while in flight
        self.provisional: dict[str, tuple[str, int]] = {}
        self._finished: dict[str, None] = {}  # recent flows stored for good (ordered set)

    def open(self) -> bool:
        """Hold the database; False (with `stats.db_error` set) when it cannot be written."""
        try:
            self.conn = open_for_write(self.db)
        except StoreError as exc:
            self.stats.db_error = str(exc)
            return False
        self.writer = Writer(self.conn)
        if self.serve:
            try:
                self.server = LiveServer.start(self.conn, self.db)
                self.stats.live_url = self.server.uri
            except LiveError as exc:
                log.warning("respdeck: not serving live readers: %s", exc)
        return True

    def catch_up(self) -> None:
        """Store what earlier runs journaled but the database lacks."""
        for path in run_files(self.journal_dir):
            if path.name != self.run:
                self.stats.caught_up += self._ingest(path, None)

    def follow(self, stop: threading.Event) -> None:
        """Store the current run's records as they are journaled, until `stop` and drained."""
        if self.run is None:
            return
        path = self.journal_dir / self.run
        while not path.exists() and not stop.wait(POLL_INTERVAL):
            pass  # the proxy creates its journal once it runs
        self._ingest(path, stop)

    def close(self) -> None:
        if self.conn is None:
            return
        try:
            if self.writer is not None:
                self.writer.flush()
            self.conn.execute("CHECKPOINT")
        finally:
            if self.server is not None:
                self.server.stop()
            self.conn.close()
            self.conn = None

    def _ingest(self, path: Path, stop: threading.Event | None) -> int:
        if self.writer is None or not path.exists():
            return 0
        capture_id, skip = self.writer.resume_recording(path.name, upstream=self.upstream)
        reader = JournalReader(path)
        stored = seen = 0
        try:
            while True:
                records = reader.read_available()
                for record in records:
                    seen += 1
                    if stop is not None:
                        self.stats.journaled_seen = seen
                    if seen <= skip:
                        continue
                    record.exchange.index = seen - 1  # its position in the run
                    self._store(capture_id, record)
                    stored += 1
                if stop is not None:
                    self._refresh_inflight(capture_id, inflight_dir(self.journal_dir, path.name))
                if self.writer.full or (
                    self.writer.batch.rows("exchanges")
                    and time.monotonic() - self._last_flush >= FLUSH_INTERVAL
                ):
                    self._flush()
                if not records:
                    if stop is None or stop.is_set():
                        if stop is not None and (more := reader.read_available()):
                            for record in more:  # written between our last read and the stop
                                seen += 1
                                record.exchange.index = seen - 1
                                self._store(capture_id, record)
                                stored += 1
                        break
                    time.sleep(POLL_INTERVAL)
        finally:
            reader.close()
        self._flush()
        self._end_capture(capture_id, path)
        return stored

    def _store(self, capture_id: str, record: Record) -> None:
        assert self.writer is not None
        parsed = parse_record(record)
        if record.flow_id:  # a snapshot still on disk must not bring it back as in flight
            self._finished[record.flow_id] = None
            if len(self._finished) > 10_000:
                del self._finished[next(iter(self._finished))]
        provisional = self.provisional.pop(record.flow_id or "", None)
        seq = record.exchange.index  # its place in the journal: the same id if stored again
        if provisional is None:
            self.writer.add(capture_id, parsed, seq)
        else:  # it was shown while in flight: its final rows replace those, under the same id
            self.writer.replace(provisional[0], capture_id, seq, parsed)
            self._last_flush = time.monotonic()
        stats = self.stats
        stats.exchanges += 1
        stats.events += len(parsed.events)
        stats.tokens += sum((u.input_tokens or 0) + (u.output_tokens or 0) for u in parsed.usages)
        if (
            parsed.exchange.aborted  # as the parser settled it
            or parsed.error is not None
            or (parsed.status is not None and parsed.status >= 400)
        ):
            stats.errors += 1

    def _flush(self) -> None:
        assert self.writer is not None
        self.writer.flush()
        self._last_flush = time.monotonic()

    def _refresh_inflight(self, capture_id: str, folder: Path) -> None:
        """Store the proxy's snapshots of streams still in flight as provisional rows
        (position -1), so live readers watch their text grow; the final record replaces them."""
        now = time.monotonic()
        if now - self._last_inflight < INFLIGHT_INTERVAL or not folder.is_dir():
            return
        self._last_inflight = now
        assert self.writer is not None
        for path in folder.glob(f"*{SUFFIX}"):
            flow_id = path.name.removesuffix(SUFFIX)
            try:
                stamp = path.stat().st_mtime_ns
                if self.provisional.get(flow_id, ("", 0))[1] == stamp:
                    continue
                records, _ = split_records(path.read_bytes())
            except (OSError, JournalError):
                continue  # replaced or removed while we looked: the next round sees it
            if not records or flow_id in self._finished:
                continue
            record = records[0]
            record.exchange.index = -1
            exchange_id = self.writer.show_in_flight(capture_id, flow_id, parse_record(record))
            self.provisional[flow_id] = (exchange_id, stamp)

    def _end_capture(self, capture_id: str, path: Path) -> None:
        assert self.writer is not None
        self.writer.end_recording(capture_id)
        self.provisional.clear()
        path.rename(path.with_name(path.name.removesuffix(SUFFIX) + DONE_SUFFIX))
