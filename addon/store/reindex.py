"""`respdeck reindex`: parse the stored raw bytes again with the current code.

After an upgrade (a newer openai with new types, a parser fix) the derived tables are rebuilt
from what was recorded, and the library's prices asked for again; the raw bytes themselves are
written back as they were loaded (addon/store/load: exactly).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from addon.wire.parse import parse_exchange

from .load import load_exchanges
from .prices import refresh_library
from .writer import Writer


def reindex(
    conn: duckdb.DuckDBPyConnection,
    batch_size: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Re-parse every exchange; returns how many. Each batch is its own transaction."""
    (total,) = conn.execute("SELECT count(*) FROM exchanges").fetchone() or (0,)
    writer = Writer(conn)
    done = 0
    last: str | None = None
    while True:
        stored = load_exchanges(conn, last, batch_size)
        if not stored:
            refresh_library(conn)  # the models may read differently now: ask about them again
            return done
        writer.replace_parsed(
            [(ex.exchange_id, ex.capture_id, ex.seq, parse_exchange(ex)) for ex in stored]
        )
        last = stored[-1].exchange_id
        done += len(stored)
        if progress:
            progress(done, total)
