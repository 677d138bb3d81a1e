"""The one writer of a database: captures, and parsed exchanges in batched Arrow inserts."""

from __future__ import annotations

import functools
import threading
from datetime import UTC, datetime
from importlib.metadata import version

import duckdb
import pyarrow as pa

from addon.wire.result import ParsedExchange

from .prices import add_models
from .rows import TABLES, Batch, add_exchange

BATCH_ROWS = 50_000  # event rows per insert; a batch is also flushed at the end of a capture
BATCH_EXCHANGES = 5_000
BATCH_BYTES = 256 << 20  # raw request and response bytes per insert, to bound memory


@functools.cache  # importlib.metadata scans every distribution on sys.path: 1.4 ms a call
def respdeck_version() -> str:
    try:
        return version("respdeck")
    except Exception:  # running from a source tree that is not installed
        return "unknown"


class Writer:
    """Buffers rows and inserts them a table at a time, one transaction per flush.

    A flush is atomic: after a crash the database holds whole exchanges (and the captures they
    belong to) or none of them. Flushing in large batches rather than per exchange or file
    keeps commits, each a synced write, rare.

    `flush_in_background` lets a caller that parses (an import) go on with the next batch while
    DuckDB inserts and commits this one: DuckDB releases the GIL, so on two cores parsing and
    writing overlap. Only the writing thread uses the connection until `wait` or `flush`.
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
        self.limits = (batch_events, batch_exchanges, batch_bytes)
        self.batch = Batch()
        row = conn.execute("SELECT coalesce(max(exchange_id), 0) FROM exchanges").fetchone()
        self.next_exchange_id = int(row[0]) + 1 if row else 1
        row = conn.execute("SELECT coalesce(max(capture_id), 0) FROM captures").fetchone()
        self.next_capture_id = int(row[0]) + 1 if row else 1
        self.written = 0
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def add_capture(
        self,
        mode: str,
        source: str | None = None,
        *,
        source_sha256: str | None = None,
        fmt: str | None = None,
        upstream: str | None = None,
        ended: bool = False,
    ) -> int:
        """A new capture, written with the next flush (with its exchanges)."""
        capture_id = self.next_capture_id
        self.next_capture_id += 1
        now = datetime.now(UTC)
        self.batch.add(
            "captures",
            capture_id,
            mode,
            source,
            source_sha256,
            fmt,
            upstream,
            now,
            now if ended else None,
            respdeck_version(),
        )
        return capture_id

    def add(self, capture_id: int, parsed: ParsedExchange) -> int:
        exchange_id = self.next_exchange_id
        self.next_exchange_id += 1
        add_exchange(self.batch, exchange_id, capture_id, parsed)
        return exchange_id

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
        write_batch(self.conn, batch)
        self.written += batch.rows("exchanges")

    def _write_catching(self, batch: Batch) -> None:
        try:
            self._write(batch)
        except BaseException as exc:  # handed to the thread that waits
            self._error = exc


def write_batch(conn: duckdb.DuckDBPyConnection, batch: Batch, replace: bool = False) -> None:
    """Insert a batch in one transaction; with `replace`, its exchanges' old rows go first."""
    conn.execute("BEGIN TRANSACTION")
    try:
        if replace:
            conn.register(
                "respdeck_ids", pa.table({"id": batch.columns["exchanges"]["exchange_id"]})
            )
            for table in reversed(TABLES):
                if table == "captures":
                    continue
                conn.execute(
                    f"DELETE FROM {table} WHERE exchange_id IN (SELECT id FROM respdeck_ids)"
                )
            conn.unregister("respdeck_ids")
        for table in TABLES:
            if batch.rows(table):
                _insert(conn, table, batch.arrow(table))
        add_models(conn, _models(batch))  # a model seen for the first time gets its prices
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _models(batch: Batch) -> set[tuple[str | None, str | None]]:
    """The batch's (host, model) pairs: a price depends on who served the model."""
    exchanges, responses = batch.columns["exchanges"], batch.columns["responses"]
    hosts = dict(zip(exchanges["exchange_id"], exchanges["host"], strict=True))
    return {
        (hosts.get(exchange_id), model)
        for exchange_id, model in zip(responses["exchange_id"], responses["model"], strict=True)
    }


def _insert(conn: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> None:
    names = ", ".join(f'"{c}"' for c in rows.column_names)
    conn.register("respdeck_batch", rows)
    try:
        conn.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM respdeck_batch")
    finally:
        conn.unregister("respdeck_batch")
