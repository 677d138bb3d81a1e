"""Migrations 5 and 6: exchanges stored losslessly, and ids many writers can make.

5 adds what the raw columns lacked to give back the Exchange exactly (addon/store/load.py):
`truncated`, `closed_early`, `abort_reason`, binary and non-UTF-8 WebSocket messages, and
which parts were redacted.

6 makes the schema constraint-free (no PRIMARY KEY, UNIQUE, sequence or ENUM: a DuckLake team
store has none) and the ids UUIDs (addon/store/ids.py). Every table is rebuilt in place with its
rows: an old capture id N becomes uuid5(NAMESPACE, "capture:N"), an exchange becomes
uuid5(its capture's UUID, str(seq)) with `seq` its place in its capture (by position, then old
id); a provisional row (a stream that was in flight, position < 0) gets seq -1 and an id of its
own. The views that ordered by the old integer ids order by (capture start, capture, seq).
"""

from __future__ import annotations

import duckdb

from . import ids
from .migrations_text import THREADS_V3, USAGE_V4, VIEWS_V2

# Exchanges in the order they were recorded: by capture (its start, then its id), then seq.
RECORDED_ORDER = "c.started_at, e.capture_id, e.seq"


def v5_lossless(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("""
        ALTER TABLE exchanges ADD COLUMN truncated BOOLEAN;     -- the body is known cut short
        ALTER TABLE exchanges ADD COLUMN closed_early BOOLEAN;  -- aborted, yet nothing missing
        ALTER TABLE exchanges ADD COLUMN abort_reason VARCHAR;  -- what closed it, if it was
        ALTER TABLE exchanges ADD COLUMN websocket_frames VARCHAR;  -- [[is_text, size], ...]
        ALTER TABLE exchanges ADD COLUMN websocket_payload BLOB;    -- messages not in UTF-8
        ALTER TABLE exchanges ADD COLUMN redacted VARCHAR;  -- parts with redacted values
        -- what the findings tell of rows stored before (`respdeck reindex` says the rest)
        UPDATE exchanges SET closed_early = exchange_id IN
            (SELECT exchange_id FROM findings WHERE code = 'closed_after_end');
        UPDATE exchanges SET abort_reason = f.message
        FROM findings f
        WHERE f.exchange_id = exchanges.exchange_id AND f.code = 'aborted'
          AND f.message <> 'the exchange did not finish';
    """)


def v6_uuid_ids(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("DROP VIEW IF EXISTS tool_calls; DROP VIEW IF EXISTS threads;")
    conn.execute("DROP VIEW IF EXISTS usage")
    _register_maps(conn)
    try:
        _rebuild(
            conn,
            "captures",
            {"capture_id": "cm.new"},
            "JOIN respdeck_cmap cm ON cm.old = t.capture_id",
        )
        _rebuild(
            conn,
            "exchanges",
            {"exchange_id": "em.new", "capture_id": "cm.new"},
            "JOIN respdeck_emap em ON em.old = t.exchange_id "
            "JOIN respdeck_cmap cm ON cm.old = t.capture_id",
            seq="em.seq",
        )
        for table in ("responses", "items", "events", "findings"):
            _rebuild(
                conn, table, {"exchange_id": "em.new"},
                "JOIN respdeck_emap em ON em.old = t.exchange_id",
            )  # fmt: skip
    finally:
        conn.unregister("respdeck_cmap")
        conn.unregister("respdeck_emap")
    conn.execute("""
        CREATE TABLE respdeck_new_schema_version (
            version INTEGER NOT NULL, name VARCHAR, applied_at TIMESTAMPTZ
        );
        INSERT INTO respdeck_new_schema_version SELECT * FROM schema_version;
        DROP TABLE schema_version;
        ALTER TABLE respdeck_new_schema_version RENAME TO schema_version;
    """)
    conn.execute(TOOL_CALLS_V6)
    conn.execute(THREADS_V6)
    conn.execute(USAGE_V6)


def _register_maps(conn: duckdb.DuckDBPyConnection) -> None:
    """old BIGINT id -> UUID, for captures and exchanges (rows of other tables whose exchange
    or capture is gone keep an id too: nothing is dropped)."""
    import pyarrow as pa  # only an upgrade from before 6 needs it: not every command's start

    captures = [
        int(r[0])
        for r in conn.execute(
            "SELECT capture_id FROM captures UNION SELECT capture_id FROM exchanges"
        ).fetchall()
    ]
    cmap = {old: ids.legacy_capture_id(old) for old in captures}
    conn.register(
        "respdeck_cmap",
        pa.table(
            {
                "old": pa.array(list(cmap), pa.int64()),
                "new": pa.array([ids.id_bytes(v) for v in cmap.values()], pa.uuid()),
            }
        ),
    )
    rows = conn.execute(
        "SELECT exchange_id, capture_id, position FROM exchanges "
        "ORDER BY capture_id, position < 0, position, exchange_id"
    ).fetchall()
    old_ids, new_ids, seqs = [], [], []
    counters: dict[int, int] = {}
    for exchange_id, capture_id, position in rows:
        capture = cmap[int(capture_id)]
        if position is not None and position < 0:  # a provisional row
            seq, new = -1, ids.in_flight_id(capture, f"legacy:{exchange_id}")
        else:
            seq = counters.get(capture_id, 0)
            counters[capture_id] = seq + 1
            new = ids.exchange_id(capture, seq)
        old_ids.append(int(exchange_id))
        new_ids.append(ids.id_bytes(new))
        seqs.append(seq)
    known = set(old_ids)
    for table in ("responses", "items", "events", "findings"):
        for (orphan,) in conn.execute(
            f"SELECT DISTINCT exchange_id FROM {table} "
            "WHERE exchange_id NOT IN (SELECT exchange_id FROM exchanges)"
        ).fetchall():
            if int(orphan) not in known:
                known.add(int(orphan))
                old_ids.append(int(orphan))
                new_ids.append(ids.id_bytes(ids.legacy_exchange_id(int(orphan))))
                seqs.append(-1)
    conn.register(
        "respdeck_emap",
        pa.table(
            {
                "old": pa.array(old_ids, pa.int64()),
                "new": pa.array(new_ids, pa.uuid()),
                "seq": pa.array(seqs, pa.int64()),
            }
        ),
    )


def _rebuild(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    replaced: dict[str, str],
    joins: str,
    seq: str | None = None,
) -> None:
    """Recreate `table` with no constraint but NOT NULL, the `replaced` id columns as UUIDs
    (their values from the maps), and `seq` after capture_id for exchanges; rows in order."""
    columns = conn.execute(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    defs, values = [], []
    for name, kind, nullable in columns:
        new_kind = "UUID" if name in replaced else kind
        defs.append(f'"{name}" {new_kind}{"" if nullable == "YES" else " NOT NULL"}')
        values.append(replaced.get(name, f't."{name}"'))
        if seq is not None and name == "capture_id":
            defs.append('"seq" BIGINT NOT NULL')
            values.append(seq)
    new = f"respdeck_new_{table}"
    conn.execute(f"CREATE TABLE {new} ({', '.join(defs)})")
    conn.execute(
        f"INSERT INTO {new} SELECT {', '.join(values)} FROM {table} t {joins} ORDER BY t.rowid"
    )
    conn.execute(f"DROP TABLE {table}")
    conn.execute(f"ALTER TABLE {new} RENAME TO {table}")


def _replaced(text: str, old: str, new: str) -> str:
    assert old in text, old  # the frozen view text of an earlier migration
    return text.replace(old, new)


# Migration 2's tool_calls view, the first output sent back found in recorded order.
TOOL_CALLS_V6 = _replaced(
    VIEWS_V2[: VIEWS_V2.index("CREATE VIEW threads")],
    """        SELECT exchange_id, text, status FROM items o
        WHERE o.call_id = c.call_id AND o.type = CASE c.type""",
    """        SELECT o.exchange_id, o.text, o.status FROM items o
        JOIN exchanges e ON e.exchange_id = o.exchange_id
        LEFT JOIN captures c2 ON c2.capture_id = e.capture_id
        WHERE o.call_id = c.call_id AND o.type = CASE c.type""",
)
TOOL_CALLS_V6 = _replaced(
    TOOL_CALLS_V6,
    "ORDER BY o.exchange_id LIMIT 1",
    "ORDER BY c2.started_at, e.capture_id, e.seq LIMIT 1",
)

# Migration 3's threads view, `ord` counting exchanges in recorded order.
THREADS_V6 = _replaced(
    THREADS_V3,
    """    WITH turns AS MATERIALIZED (""",
    f"""    WITH ranked AS MATERIALIZED (
        SELECT e.exchange_id, row_number() OVER (ORDER BY {RECORDED_ORDER}) AS rank
        FROM exchanges e LEFT JOIN captures c USING (capture_id)
    ),
    turns AS MATERIALIZED (""",
)
THREADS_V6 = _replaced(
    THREADS_V6,
    "min(r.exchange_id * 100000 + least(coalesce(r.response_index, 0), 99999)) AS ord\n"
    "        FROM responses r\n",
    "min(k.rank * 100000 + least(coalesce(r.response_index, 0), 99999)) AS ord\n"
    "        FROM responses r JOIN ranked k USING (exchange_id)\n",
)

# Migration 4's usage view; of a response's states in one capture, the last recorded wins.
USAGE_V6 = _replaced(
    USAGE_V4,
    "ORDER BY e.started_at DESC NULLS LAST, r.exchange_id DESC",
    "ORDER BY e.started_at DESC NULLS LAST, e.seq DESC",
)
