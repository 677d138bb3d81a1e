"""The provisional rows of a stream in flight, grown rather than rewritten (Writer.grow_in_flight).

A stream shown while it arrives (addon/recorder/in_flight) gets, at each refresh, only its new
events inserted; its events table rows are appended, never rewritten (but for the few of an
unfinished tail, which may read otherwise once more bytes arrive: those are replaced). Its
responses, items and findings rows, which the accumulated text lives in, are replaced. Its
exchanges row is replaced whole only while its body is small or once the body has grown by a
quarter since it was last written: in between, only the columns other than the raw bytes and
headers are updated. A stream of n events thus costs the store O(n) event rows and bytes of
body, however often it is shown. Only in a local store: a team store shows no rows in flight.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import duckdb

from .batch_write import insert_rows, registered, transaction
from .prices import add_models
from .rows import TABLES, Batch, add_exchange

if TYPE_CHECKING:
    from addon.wire.incremental import InFlightView

# The exchanges row's columns written only with the whole row: what does not change while a
# stream arrives, and the body and its chunk table, which grow with it.
HEAVY = frozenset(
    {
        "exchange_id", "capture_id", "request_headers", "response_headers", "request_body",
        "response_body", "response_chunks", "websocket", "websocket_frames",
        "websocket_payload", "redacted", "url",
    }
)  # fmt: skip
WHOLE_ROW_BYTES = 1 << 20  # a body up to this size is written at every refresh
GROWTH = 1.25  # beyond it, when it has grown by this factor since it was written


def whole_row_due(body: int, written: int | None) -> bool:
    """Whether the exchanges row (with its body) is written whole at this refresh: always
    for the first, and while small; then at geometric steps, which keeps the bytes written
    linear in the body's size."""
    return written is None or body <= WHOLE_ROW_BYTES or body >= written * GROWTH


def growth_batch(exchange_id: str, capture_id: str, view: InFlightView) -> Batch:
    """The rows of one refresh: the exchange's, with the events from `view.since` on (its
    time to first token is the first delta's arrival, stored before them or among them)."""
    first = view.first_delta
    earlier = first.t_ms if first is not None and first.index < view.since else None
    batch = Batch()
    add_exchange(batch, exchange_id, capture_id, -1, view.parsed, earlier_delta_ms=earlier)
    return batch


def write_growth(
    conn: duckdb.DuckDBPyConnection,
    exchange_id: str,
    batch: Batch,
    *,
    fresh: bool,
    whole_row: bool,
    events_from: int | None,
) -> None:
    """One refresh in one transaction. `fresh`: rows the exchange may have (an ingester
    started again, a snapshot started over) go first, events included; `events_from`: the
    events stored from this index on are replaced (a tail that was tentative)."""
    uid = uuid.UUID(exchange_id)
    with transaction(conn):
        for table in reversed(TABLES):
            if table == "captures":
                continue
            if table == "events":
                if fresh:
                    conn.execute("DELETE FROM events WHERE exchange_id = ?", [uid])
                elif events_from is not None:
                    conn.execute(
                        "DELETE FROM events WHERE exchange_id = ? AND idx >= ?", [uid, events_from]
                    )
            elif table != "exchanges" or fresh or whole_row:
                conn.execute(f"DELETE FROM {table} WHERE exchange_id = ?", [uid])
        for table in TABLES:
            if table == "captures" or not batch.rows(table):
                continue
            if table == "exchanges" and not (fresh or whole_row):
                _update_light(conn, uid, batch)
            else:
                insert_rows(conn, table, batch.arrow(table), None)
        add_models(conn, batch.models())


def _update_light(conn: duckdb.DuckDBPyConnection, uid: uuid.UUID, batch: Batch) -> None:
    """The exchanges row's columns but the HEAVY ones, from the batch's one row."""
    light = [c for c in TABLES["exchanges"] if c not in HEAVY]
    columns = batch.columns["exchanges"]
    row = Batch()
    for name in TABLES["exchanges"]:
        row.columns["exchanges"][name] = columns[name] if name not in HEAVY else [None]
    sets = ", ".join(f'"{c}" = r."{c}"' for c in light)
    with registered(conn, "respdeck_row", row.arrow("exchanges")):
        conn.execute(
            f"UPDATE exchanges SET {sets} FROM respdeck_row r WHERE exchanges.exchange_id = ?",
            [uid],
        )
