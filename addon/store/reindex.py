"""`respdeck reindex`: parse the stored raw bytes again with the current code.

After an upgrade (a newer openai with new types, a parser fix) the derived tables are rebuilt
from what was recorded, and the library's prices asked for again; the raw bytes themselves are
never rewritten.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import orjson

from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, Timings, WsMessage
from addon.wire.parse import parse_exchange

from .prices import refresh_library
from .rows import Batch, add_exchange
from .writer import write_batch

_RAW_COLUMNS = (
    "exchange_id", "capture_id", "position", "started_at", "ttfb_ms", "duration_ms", "method",
    "url", "host", "path", "query", "status", "aborted", "request_headers", "response_headers",
    "request_body", "response_body", "response_chunks", "websocket",
)  # fmt: skip


def exchange_from_row(row: dict[str, Any]) -> Exchange:
    """The Exchange exactly as recorded, from its stored raw columns."""
    url = row["url"] or (
        f"https://{row['host'] or ''}{row['path']}" + (f"?{row['query']}" if row["query"] else "")
    )
    request = HttpRequest(
        row["method"], url, _pairs(row["request_headers"]), row["request_body"] or b""
    )
    response = None
    if row["response_headers"] is not None or row["response_body"] is not None:
        chunks = orjson.loads(row["response_chunks"]) if row["response_chunks"] else None
        response = HttpResponse(
            row["status"] or 0,
            _pairs(row["response_headers"]),
            row["response_body"] or b"",
            [(float(t), int(n)) for t, n in chunks] if chunks else None,
        )
    websocket = None
    if row["websocket"] is not None:
        websocket = [
            WsMessage(t, bool(client), text.encode())
            for t, client, text in orjson.loads(row["websocket"])
        ]
    return Exchange(
        request,
        response,
        Timings(row["started_at"], row["ttfb_ms"], row["duration_ms"]),
        index=row["position"],
        websocket=websocket,
        aborted=bool(row["aborted"]),
    )


def _pairs(raw: str | None) -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in orjson.loads(raw)] if raw else []


def reindex(
    conn: duckdb.DuckDBPyConnection,
    batch_size: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Re-parse every exchange; returns how many. Each batch is its own transaction."""
    (total,) = conn.execute("SELECT count(*) FROM exchanges").fetchone() or (0,)
    done = 0
    last = 0
    columns = ", ".join(_RAW_COLUMNS)
    while True:
        rows = conn.execute(
            f"SELECT {columns} FROM exchanges WHERE exchange_id > ? ORDER BY exchange_id LIMIT ?",
            [last, batch_size],
        ).fetchall()
        if not rows:
            refresh_library(conn)  # the models may read differently now: ask about them again
            return done
        batch = Batch()
        for values in rows:
            row = dict(zip(_RAW_COLUMNS, values, strict=True))
            parsed = parse_exchange(exchange_from_row(row))
            add_exchange(batch, row["exchange_id"], row["capture_id"], parsed)
            last = row["exchange_id"]
        write_batch(conn, batch, replace=True)
        done += len(rows)
        if progress:
            progress(done, total)
