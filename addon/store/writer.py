"""The one writer of a database: every INSERT, UPDATE and DELETE of captured data goes
through it (its batch SQL is addon/store/batch_write).

Captures start and end, parsed exchanges go in batched Arrow inserts, a stream in flight is
shown by provisional rows that its final rows replace, reindex replaces an exchange's derived
rows, an import's content hash is checked against those stored, and an exchange `respdeck
resend` made is stored with its link to the one it re-sent. Into a team store (a DuckLake,
addon/store/lake) the same batch may come twice, from a recorder's journal after a commit
that failed without saying whether it landed: rows stored already are left out, and the
writes no two writers may make at once (prices of a model first seen, an imported file's
content) take their lock row. (Migrations change the schema in addon/store/migrations*; the
price tables are refreshed by addon/store/prices.)
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import duckdb

from addon.wire.result import ParsedExchange

from . import ids, lake
from .batch_write import take_lock, transaction, write_batch
from .ids import id_bytes
from .in_flight import growth_batch, write_growth
from .origin import machine_and_user, respdeck_version
from .prices import add_models_alone
from .rows import TABLES, Batch, add_exchange

if TYPE_CHECKING:  # the parser is imported by what parses, not by every writer
    from addon.wire.incremental import InFlightView

BATCH_ROWS = 50_000  # event rows per insert; a batch is also flushed at the end of a capture
BATCH_EXCHANGES = 5_000
BATCH_BYTES = 256 << 20  # raw request and response bytes per insert, to bound memory
CONFLICT_ATTEMPTS = 5  # a team store's commit that met another's, tried again at once


class Writer:
    """Buffers rows and inserts them a table at a time, one transaction per flush.

    A flush is atomic: after a crash the database holds whole exchanges (and the captures they
    belong to) or none of them. Flushing in large batches rather than per exchange or file
    keeps commits, each a synced write, rare.

    `flush_in_background` lets a caller that parses (an import) go on with the next batch while
    DuckDB inserts and commits this one: DuckDB releases the GIL, so on two cores parsing and
    writing overlap. Only the writing thread uses the connection until `wait` or `flush`.

    Ids need no look-up (addon/store/ids): a capture's is random, an exchange's follows from
    its capture and its `seq`, counted here per capture unless the caller gives it.

    On a team store (addon/store/lake) a flush is idempotent: rows of exchanges and captures
    stored already are left out, so a batch written again after a failure that hid whether it
    committed adds nothing twice; a flush that met another writer's commit is tried again.
    """

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        *,
        batch_events: int = BATCH_ROWS,
        batch_exchanges: int = BATCH_EXCHANGES,
        batch_bytes: int = BATCH_BYTES,
    ) -> None:
        self.conn = conn
        self.team = lake.is_lake(conn)
        self.limits = (batch_events, batch_exchanges, batch_bytes)
        self.batch = Batch()
        self.next_seq: dict[str, int] = {}  # capture id -> the seq its next exchange gets
        self.written = 0
        self.conflicts = 0  # team store: writes tried again after meeting another's commit
        self.unpriced: set[tuple[str | None, str | None]] = set()  # team store: to price
        self.priced: set[tuple[str | None, str | None]] = set()  # and those it has priced
        self._digests: set[str] | None = None  # content hashes stored, once asked
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    # -- captures ---------------------------------------------------------------------------

    def add_capture(
        self,
        mode: str,
        source: str | None = None,
        *,
        source_sha256: str | None = None,
        fmt: str | None = None,
        upstream: str | None = None,
        ended: bool = False,
        capture_id: str | None = None,
    ) -> str:
        """A new capture, written with the next flush (with its exchanges). A content hash
        stored already makes that flush fail with DuplicateImport: check `imported` first.
        `capture_id` is for rows built before it (an import's worker: `add_rows`)."""
        capture_id = capture_id or ids.new_capture_id()
        self.next_seq[capture_id] = 0
        if source_sha256 is not None and self._digests is not None:
            self._digests.add(source_sha256)
        now = datetime.now(UTC)
        self.batch.add(
            "captures",
            id_bytes(capture_id),
            mode,
            source,
            source_sha256,
            fmt,
            upstream,
            now,
            now if ended else None,
            respdeck_version(),
            *machine_and_user(),
        )
        return capture_id

    def imported(self, source_sha256: str) -> bool:
        """Whether a file with this content is stored, or was added to this writer. The
        stored hashes are read once (the connection is the writing thread's meanwhile)."""
        if self._digests is None:
            self.wait()
            self._digests = {
                row[0]
                for row in self.conn.execute(
                    "SELECT source_sha256 FROM captures WHERE source_sha256 IS NOT NULL"
                ).fetchall()
            }
        return source_sha256 in self._digests

    def resume_recording(self, source: str, *, upstream: str | None = None) -> tuple[str, int]:
        """(capture id, records stored) of a journal file's capture, starting it if new."""
        row = self.conn.execute(
            "SELECT c.capture_id, (SELECT count(*) FROM exchanges e WHERE e.capture_id = "
            "c.capture_id AND e.position >= 0) FROM captures c "
            "WHERE c.mode = 'record' AND c.source = ?",
            [source],
        ).fetchone()
        if row is not None:
            return ids.as_uuid(row[0]), int(row[1])
        return self.add_capture("record", source, upstream=upstream), 0

    def end_recording(self, capture_id: str) -> None:
        """The run is stored: provisional rows left over (a crash mid-stream) are not its
        exchanges, and the capture gets its end time."""
        self.flush()
        uid = ids.as_uuid(capture_id)
        stale = "SELECT exchange_id FROM exchanges WHERE capture_id = ? AND position < 0"

        def end() -> None:
            with transaction(self.conn):
                for table in reversed(TABLES):
                    if table != "captures" and not self.team:  # a team store has none
                        self.conn.execute(
                            f"DELETE FROM {table} WHERE exchange_id IN ({stale})", [uid]
                        )
                self.conn.execute(
                    "UPDATE captures SET ended_at = ? WHERE capture_id = ? AND ended_at IS NULL",
                    [datetime.now(UTC), uid],
                )

        self._settled(end)

    # -- exchanges --------------------------------------------------------------------------

    def add(self, capture_id: str, parsed: ParsedExchange, seq: int | None = None) -> str:
        """Buffer an exchange's rows; returns its id. `seq` defaults to the capture's next."""
        if seq is None:
            seq = self.next_seq.get(capture_id, 0)
        self.next_seq[capture_id] = max(self.next_seq.get(capture_id, 0), seq + 1)
        exchange_id = ids.exchange_id(capture_id, seq)
        add_exchange(self.batch, exchange_id, capture_id, seq, parsed)
        return exchange_id

    def add_rows(self, rows: Batch) -> None:
        """Buffer rows `add_exchange` built elsewhere (an import's worker process), whole
        exchanges of captures added here."""
        for table, columns in rows.columns.items():
            into = self.batch.columns[table]
            for name, values in columns.items():
                into[name].extend(values)
        self.batch.body_bytes += rows.body_bytes

    def add_resent(
        self, capture_id: str, parsed: ParsedExchange, resent_from: str, edits: str | None
    ) -> str:
        """Write an exchange `respdeck resend` made now, in one transaction with its link to
        the exchange it re-sent (`resends`; `edits` a JSON list, None for the same bytes)."""
        self.flush()  # its capture first
        seq = self.next_seq.get(capture_id, 0)
        self.next_seq[capture_id] = seq + 1
        exchange_id = ids.exchange_id(capture_id, seq)
        batch = Batch()
        add_exchange(batch, exchange_id, capture_id, seq, parsed)
        self._commit(batch, links=[(exchange_id, ids.as_uuid(resent_from), edits)])
        self.written += 1
        return exchange_id

    def show_in_flight(self, capture_id: str, flow_id: str, parsed: ParsedExchange) -> str:
        """Write (or rewrite) the provisional rows of a stream still arriving, at once, so
        live readers watch it grow; returns its id, which its final rows keep. (What the
        incremental parser does not take, parsed whole at each refresh; see grow_in_flight.)"""
        exchange_id = ids.in_flight_id(capture_id, flow_id)
        self.replace(exchange_id, capture_id, -1, parsed)
        return exchange_id

    def grow_in_flight(
        self,
        capture_id: str,
        flow_id: str,
        view: InFlightView,
        *,
        fresh: bool,
        whole_row: bool,
        events_from: int | None,
    ) -> str:
        """Grow the provisional rows of a stream still arriving, at once, by what a refresh
        parsed incrementally (addon/store/in_flight: new events appended, the response, items
        and findings replaced); returns its id, which its final rows keep."""
        self.flush()  # its capture first
        exchange_id = ids.in_flight_id(capture_id, flow_id)
        batch = growth_batch(exchange_id, capture_id, view)
        self._settled(
            lambda: write_growth(
                self.conn,
                exchange_id,
                batch,
                fresh=fresh,
                whole_row=whole_row,
                events_from=events_from,
            )
        )
        return exchange_id

    def replace(self, exchange_id: str, capture_id: str, seq: int, parsed: ParsedExchange) -> None:
        """Write one exchange's rows now in place of any it had (a stream shown in flight gets
        its final rows; buffered rows go first, so its capture is there)."""
        self.flush()
        batch = Batch()
        add_exchange(batch, exchange_id, capture_id, seq, parsed)
        self._commit(batch, replace=True)

    def replace_parsed(self, exchanges: list[tuple[str, str, int, ParsedExchange]]) -> None:
        """Reindex: (exchange id, capture id, seq, parsed) rows replace theirs, in one
        transaction; the raw bytes written are those loaded."""
        batch = Batch()
        for exchange_id, capture_id, seq, parsed in exchanges:
            add_exchange(batch, exchange_id, capture_id, seq, parsed)
        self._commit(batch, replace=True)

    @property
    def full(self) -> bool:
        """Time to flush: the caller picks the moment (between files, for an import)."""
        batch = self.batch
        events, exchanges, body_bytes = self.limits
        return (
            batch.rows("events") >= events
            or batch.rows("exchanges") >= exchanges
            or batch.body_bytes >= body_bytes
        )

    def flush(self) -> None:
        """Write the buffered rows in one transaction, after any write still in progress."""
        self.wait()
        batch = self._take()
        if batch is not None:
            self._write(batch)

    def flush_in_background(self) -> None:
        """Like flush, but the write runs on a thread and this returns at once. At most one
        write is in progress: this first waits for the previous one. An error it met is
        raised by the next flush, flush_in_background or wait."""
        self.wait()
        batch = self._take()
        if batch is not None:
            self._thread = threading.Thread(
                target=self._write_catching, args=(batch,), name="respdeck-writer"
            )
            self._thread.start()

    def wait(self, *, raise_error: bool = True) -> None:
        """Wait for the write in progress, if any; raise the error it met."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        error, self._error = self._error, None
        if error is not None and raise_error:
            raise error

    def _take(self) -> Batch | None:
        batch = self.batch
        if not batch.rows("exchanges") and not batch.rows("captures"):
            return None
        self.batch = Batch()
        return batch

    def _write(self, batch: Batch) -> None:
        self._commit(batch)
        self.written += batch.rows("exchanges")

    def _commit(
        self,
        batch: Batch,
        *,
        replace: bool = False,
        links: Sequence[tuple[str, str, str | None]] = (),
    ) -> None:
        self._settled(lambda: write_batch(self.conn, batch, replace, links, team=self.team))
        if self.team:
            self._price(batch.models())

    def _price(self, pairs: set[tuple[str | None, str | None]]) -> None:
        """Price a team store's new models; those a crowd of writers kept from it are tried
        again with the next batch (until then their cost is NULL, as for an unknown model)."""
        self.unpriced |= pairs - self.priced  # priced once: no transaction per batch
        if not self.unpriced:
            return
        try:
            self._settled(
                lambda: add_models_alone(
                    self.conn, self.unpriced, lock=lambda: take_lock(self.conn, "prices")
                )
            )
        except duckdb.Error as exc:
            if not lake.is_conflict(exc):
                raise
        else:
            self.priced |= self.unpriced
            self.unpriced = set()

    def _settled(self, write: Callable[[], None]) -> None:
        """Run a write; on a team store, again when it met another writer's commit (each
        write is one transaction, and idempotent there), after a random pause that grows:
        writers that met do not meet again at once."""
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                write()
                return
            except duckdb.Error as exc:
                if not (self.team and lake.is_conflict(exc)) or attempt == CONFLICT_ATTEMPTS:
                    raise
                self.conflicts += 1
                time.sleep(random.uniform(0.05, 0.25) * attempt)

    def _write_catching(self, batch: Batch) -> None:
        try:
            self._write(batch)
        except BaseException as exc:  # handed to the thread that waits
            self._error = exc
