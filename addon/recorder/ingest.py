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

import contextlib
import fcntl
import logging
import os
import threading
import time
from pathlib import Path

import duckdb

from addon.store.db import StoreError, open_for_write
from addon.store.live import LiveError, LiveServer
from addon.store.location import describe, is_team
from addon.store.writer import Writer
from addon.wire.endpoints import classify
from addon.wire.findings import Finding, Severity
from addon.wire.parse import parse_exchange
from addon.wire.result import ParsedExchange, RequestView

from .in_flight import InFlight
from .ingest_status import IngestStats
from .journal import (
    DONE_SUFFIX,
    SUFFIX,
    JournalReader,
    Record,
    inflight_dir,
    run_files,
)

log = logging.getLogger("respdeck")

FLUSH_INTERVAL = 0.2  # seconds: live readers see an exchange well within 1 s of its end
# A team store's commits are batched harder: each is a DuckLake snapshot that other writers'
# commits must be checked against, so at most one a second, or one per TEAM_BATCH exchanges.
TEAM_FLUSH_INTERVAL = 1.0
TEAM_BATCH = 50
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


class StoreLost(Exception):
    """A team store stopped taking commits (PostgreSQL gone, say): what was not committed is
    still in the journal, stored after reconnecting (see `ingest_main`)."""


def claim(path: Path, *, create: bool = False) -> int | None:
    """A descriptor holding an exclusive lock on a journal file, or None when another
    ingester holds it (it stores that file; two would race on a team store's rows)."""
    try:
        fd = os.open(path, os.O_RDONLY | (os.O_CREAT if create else 0), 0o600)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


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
        self.team = is_team(db)
        self.flush_interval = TEAM_FLUSH_INTERVAL if self.team else FLUSH_INTERVAL
        self.pending = IngestStats()  # counted in `stats`, not committed yet
        self._claims: dict[str, int] = {}  # journal file name -> descriptor holding its lock
        self.conn: duckdb.DuckDBPyConnection | None = None
        self.writer: Writer | None = None
        self.server: LiveServer | None = None
        self._last_flush = time.monotonic()
        self._last_inflight = 0.0
        self.in_flight = InFlight()  # streams shown while in flight, by flow id
        self._finished: dict[str, None] = {}  # recent flows stored for good (ordered set)

    def open(self) -> bool:
        """Hold the database; False (with `stats.db_error` set) when it cannot be written.
        The current run's journal file is claimed first (created if need be), so no other
        ingester's catch-up takes it while the proxy starts."""
        if self.run is not None and self.run not in self._claims:
            self.journal_dir.mkdir(parents=True, exist_ok=True)
            fd = claim(self.journal_dir / self.run, create=True)
            if fd is not None:
                self._claims[self.run] = fd
        try:
            self.conn = open_for_write(self.db)
        except StoreError as exc:
            self.stats.db_error = str(exc)
            return False
        self.stats.db_error = None
        limits = {"batch_exchanges": TEAM_BATCH} if self.team else {}
        self.writer = Writer(self.conn, **limits)
        if self.serve and not self.team:  # a team store's readers attach it themselves
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
                self._flush()
            if not self.team:  # on a DuckLake, CHECKPOINT is the whole maintenance
                self.conn.execute("CHECKPOINT")
        finally:
            self.drop()

    def drop(self) -> None:
        """Let go of the database without writing: what was not committed is in the journal
        and is stored again after `open` (the capture's count says where to resume)."""
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.conn is not None:
            with contextlib.suppress(duckdb.Error):
                self.conn.close()
        self.conn = None
        self.writer = None
        stats, lost = self.stats, self.pending  # counted, but stored again after `open`
        stats.exchanges -= lost.exchanges
        stats.events -= lost.events
        stats.tokens -= lost.tokens
        stats.errors -= lost.errors
        self.pending = IngestStats()
        self.in_flight.clear()

    def release(self) -> None:
        """Give up the claims on journal files (the process is done with them)."""
        for fd in self._claims.values():
            os.close(fd)
        self._claims.clear()

    def _ingest(self, path: Path, stop: threading.Event | None) -> int:
        if self.writer is None or not path.exists():
            return 0
        if path.name not in self._claims:
            fd = claim(path)
            if fd is None:
                return 0  # another ingester is storing it
            self._claims[path.name] = fd
        try:
            return self._ingest_claimed(path, stop)
        except duckdb.Error as exc:
            if not self.team:
                raise
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise StoreLost(describe(text)) from exc

    def _ingest_claimed(self, path: Path, stop: threading.Event | None) -> int:
        assert self.writer is not None
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
                if stop is not None and not self.team:  # in-flight rows stay local
                    self._refresh_inflight(capture_id, inflight_dir(self.journal_dir, path.name))
                if self.writer.full or (
                    self.writer.batch.rows("exchanges")
                    and time.monotonic() - self._last_flush >= self.flush_interval
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
        provisional = self.in_flight.pop(record.flow_id or "")
        seq = record.exchange.index  # its place in the journal: the same id if stored again
        if provisional is None:
            self.writer.add(capture_id, parsed, seq)
        else:  # it was shown while in flight: its final rows replace those, under the same id
            self.writer.replace(provisional, capture_id, seq, parsed)
            self._last_flush = time.monotonic()
        failed = (
            parsed.exchange.aborted  # as the parser settled it
            or parsed.error is not None
            or (parsed.status is not None and parsed.status >= 400)
        )
        tokens = sum((u.input_tokens or 0) + (u.output_tokens or 0) for u in parsed.usages)
        for counts in (self.stats, self.pending):
            counts.exchanges += 1
            counts.events += len(parsed.events)
            counts.tokens += tokens
            counts.errors += failed
        if provisional is not None:
            self._committed()

    def _flush(self) -> None:
        assert self.writer is not None
        self.writer.flush()
        self._last_flush = time.monotonic()
        self._committed()

    def _committed(self) -> None:
        """The counted exchanges are in the store now (see `drop`)."""
        self.stats.committed += self.pending.exchanges
        self.pending = IngestStats()
        if self.writer is not None:
            self.stats.conflicts += self.writer.conflicts
            self.writer.conflicts = 0

    def _refresh_inflight(self, capture_id: str, folder: Path) -> None:
        """Show the streams still in flight as provisional rows (position -1), so live
        readers watch their text grow, from what the proxy's snapshots gained since the last
        refresh (addon/recorder/in_flight); the final record replaces them."""
        now = time.monotonic()
        if now - self._last_inflight < INFLIGHT_INTERVAL or not folder.is_dir():
            return
        self._last_inflight = now
        assert self.writer is not None
        self.in_flight.refresh(self.writer, capture_id, folder, self._finished)

    def _end_capture(self, capture_id: str, path: Path) -> None:
        assert self.writer is not None
        self.writer.end_recording(capture_id)
        self.in_flight.clear()
        path.rename(path.with_name(path.name.removesuffix(SUFFIX) + DONE_SUFFIX))
        fd = self._claims.pop(path.name, None)
        if fd is not None:
            os.close(fd)
