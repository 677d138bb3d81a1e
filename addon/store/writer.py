"""The one writer of a database: captures, and parsed exchanges in batched Arrow inserts."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import duckdb
import pyarrow as pa

from addon.wire.result import ParsedExchange

from .rows import TABLES, Batch, add_exchange

BATCH_ROWS = 50_000  # event rows per insert; a batch is also flushed at the end of a capture


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
    """

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn
        self.batch = Batch()
        row = conn.execute("SELECT coalesce(max(exchange_id), 0) FROM exchanges").fetchone()
        self.next_exchange_id = int(row[0]) + 1 if row else 1
        row = conn.execute("SELECT coalesce(max(capture_id), 0) FROM captures").fetchone()
        self.next_capture_id = int(row[0]) + 1 if row else 1
        self.written = 0

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
        return self.batch.rows("events") >= BATCH_ROWS or self.batch.rows("exchanges") >= 5_000

    def flush(self) -> None:
        batch = self.batch
        if not batch.rows("exchanges") and not batch.rows("captures"):
            return
        self.batch = Batch()
        write_batch(self.conn, batch)
        self.written += batch.rows("exchanges")


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
                _insert(conn, table, batch.columns[table])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _insert(conn: duckdb.DuckDBPyConnection, table: str, columns: dict[str, list[Any]]) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    conn.register("respdeck_batch", pa.table(columns))
    try:
        conn.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM respdeck_batch")
    finally:
        conn.unregister("respdeck_batch")
