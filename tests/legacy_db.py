"""Databases as earlier respdecks made them: the schema at a version, filled with rows.

Rows are built by today's code (addon/store/rows) and cut down to the columns the tables had
then, with the BIGINT ids of those days (1, 2, ... in the order written), so a migration test
can fill a database at any version and check what the upgrade makes of it.
"""

from __future__ import annotations

import uuid
from typing import Any

import duckdb
import pyarrow as pa

from addon.store import ids
from addon.store.migrations import migrate
from addon.store.rows import Batch, add_exchange
from addon.wire.result import ParsedExchange


def legacy_database(
    conn: duckdb.DuckDBPyConnection,
    version: int,
    captures: list[tuple[str, str, list[ParsedExchange]]],
    *,
    first_exchange: int = 1,
) -> None:
    """Migrate `conn` to `version` and store each (mode, source, exchanges) as capture 1, 2...
    whose exchanges are numbered on from `first_exchange`, in order. From version 6 on, ids
    are the UUIDs of today (captures ids.legacy_capture_id(1), (2)...)."""
    assert migrate(conn, target=version) == version
    uuids = version >= 6
    batch = Batch()
    old_of: dict[uuid.UUID, int] = {}
    n = first_exchange
    for number, (mode, source, exchanges) in enumerate(captures, start=1):
        conn.execute(
            "INSERT INTO captures (capture_id, mode, source, started_at) VALUES "
            "(?, ?, ?, TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_seconds(?))",
            [ids.legacy_capture_id(number) if uuids else number, mode, source, number],
        )
        capture = ids.legacy_capture_id(number)
        old_of[uuid.UUID(capture)] = number
        for seq, parsed in enumerate(exchanges):
            exchange_id = ids.exchange_id(capture, seq)
            add_exchange(batch, exchange_id, capture, seq, parsed)
            old_of[uuid.UUID(exchange_id)] = n
            n += 1
    for table in ("exchanges", "responses", "items", "events", "findings"):
        columns = {r[0] for r in conn.execute(f"DESCRIBE {table}").fetchall()}
        rows = batch.arrow(table)
        keep: dict[str, pa.Array[Any] | pa.ChunkedArray[Any]] = {}
        for name in rows.column_names:
            if name in ("exchange_id", "capture_id") and not uuids:
                old = [old_of[uuid.UUID(str(v))] for v in rows.column(name).to_pylist()]
                keep[name] = pa.array(old, type=pa.int64())
            elif name in columns:
                keep[name] = rows.column(name)
        conn.register("legacy_rows", pa.table(keep))
        conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM legacy_rows")
        conn.unregister("legacy_rows")
