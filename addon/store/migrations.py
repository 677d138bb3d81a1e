"""Numbered schema migrations, each applied in its own transaction.

The version reached is recorded in `schema_version`, so a database made by an earlier respdeck
is upgraded in place and a database from a newer one is refused with a clear message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime

import duckdb

from .lake import LOCKS, LOCKS_TABLE
from .migrations_list import v9_list_columns
from .migrations_text import THREADS_V3, USAGE_V4, VIEWS_V2
from .migrations_uuid import v5_lossless, v6_uuid_ids

Migration = tuple[int, str, Callable[[duckdb.DuckDBPyConnection], None]]


class SchemaError(Exception):
    """The database is not one respdeck can use (newer schema, or not respdeck's)."""


def _v1_initial(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("""
        CREATE TABLE captures (
            capture_id      BIGINT PRIMARY KEY,
            mode            VARCHAR NOT NULL,      -- import | record
            source          VARCHAR,               -- the file imported, or the listen address
            source_sha256   VARCHAR UNIQUE,        -- content hash of an imported file
            format          VARCHAR,               -- recording format detected on import
            upstream        VARCHAR,
            started_at      TIMESTAMPTZ NOT NULL,
            ended_at        TIMESTAMPTZ,
            respdeck_version VARCHAR
        );
        CREATE TABLE exchanges (
            exchange_id     BIGINT PRIMARY KEY,
            capture_id      BIGINT NOT NULL,
            position        INTEGER NOT NULL,      -- order within its capture
            started_at      TIMESTAMPTZ,
            ttfb_ms         DOUBLE,
            duration_ms     DOUBLE,
            endpoint        VARCHAR NOT NULL,
            method          VARCHAR NOT NULL,
            host            VARCHAR,
            path            VARCHAR NOT NULL,
            query           VARCHAR,
            status          INTEGER,
            streamed        BOOLEAN NOT NULL,
            aborted         BOOLEAN NOT NULL,
            partial         BOOLEAN NOT NULL,      -- a stream that never finished
            model           VARCHAR,
            response_id     VARCHAR,
            previous_response_id VARCHAR,
            conversation_id VARCHAR,
            key_fingerprint VARCHAR,
            error_code      VARCHAR,
            error_message   VARCHAR,
            request_headers VARCHAR,                  -- [[name, value], ...], secrets fingerprinted
            response_headers VARCHAR,
            request_body    BLOB,                  -- exactly as sent
            response_body   BLOB,                  -- exactly as received (still content-encoded)
            response_chunks VARCHAR,                  -- [[offset_ms, size], ...] over response_body
            websocket       VARCHAR                   -- [[offset_ms, from_client, text], ...]
        );
        CREATE TABLE responses (
            exchange_id     BIGINT NOT NULL,
            response_id     VARCHAR,
            object          VARCHAR,               -- response | response.compaction
            status          VARCHAR,
            incomplete_reason VARCHAR,
            error_code      VARCHAR,
            service_tier    VARCHAR,
            model           VARCHAR,
            input_tokens    BIGINT,
            cached_tokens   BIGINT,
            cache_write_tokens BIGINT,
            output_tokens   BIGINT,
            reasoning_tokens BIGINT,
            total_tokens    BIGINT,
            raw             VARCHAR
        );
        CREATE TABLE items (
            exchange_id     BIGINT NOT NULL,
            direction       VARCHAR NOT NULL,      -- input | output | listed
            position        INTEGER NOT NULL,
            type            VARCHAR,
            item_id         VARCHAR,
            role            VARCHAR,
            status          VARCHAR,
            call_id         VARCHAR,
            name            VARCHAR,
            text            VARCHAR,               -- plain text, for search
            raw             VARCHAR
        );
        CREATE TABLE events (
            exchange_id     BIGINT NOT NULL,
            idx             INTEGER NOT NULL,
            sequence_number BIGINT,
            t_ms            DOUBLE,                -- arrival since the request started
            type            VARCHAR,
            output_index    INTEGER,
            item_id         VARCHAR,
            content_index   INTEGER,
            delta           VARCHAR,
            from_client     BOOLEAN NOT NULL,      -- WebSocket messages the client sent
            raw             VARCHAR                -- the payload exactly as received
        );
        CREATE TABLE findings (
            exchange_id     BIGINT NOT NULL,
            code            VARCHAR NOT NULL,
            severity        VARCHAR NOT NULL,
            message         VARCHAR,
            "where"         VARCHAR,
            event_index     INTEGER,
            sequence_number BIGINT,
            path            VARCHAR
        );
    """)


def _v2_urls_prices_views(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("""
        ALTER TABLE exchanges ADD COLUMN url VARCHAR;   -- the full URL, scheme included
        ALTER TABLE responses ADD COLUMN previous_response_id VARCHAR;
        ALTER TABLE responses ADD COLUMN conversation_id VARCHAR;
        UPDATE responses SET previous_response_id = raw->>'previous_response_id',
                             conversation_id = raw->'conversation'->>'id';
        UPDATE exchanges SET url = 'https://' || coalesce(host, '') || path
            || CASE WHEN query IS NULL THEN '' ELSE '?' || query END;
        CREATE TABLE prices (
            model           VARCHAR NOT NULL,      -- exact id, or a prefix ending in *
            effective_date  DATE NOT NULL,         -- applies to usage on or after this day
            input_usd_per_1m DOUBLE,
            cached_input_usd_per_1m DOUBLE,
            output_usd_per_1m DOUBLE,
            source          VARCHAR,
            source_date     DATE,
            origin          VARCHAR NOT NULL       -- shipped | user
        );
    """)
    conn.execute(VIEWS_V2)


def _v3_thread_keys(conn: duckdb.DuckDBPyConnection) -> None:
    """Threads of stateless clients (addon/store/thread_keys), and items by response."""
    conn.execute("""
        ALTER TABLE responses ADD COLUMN response_index INTEGER;  -- order within its exchange
        ALTER TABLE responses ADD COLUMN session_key VARCHAR;     -- thread-id, or cache key
        ALTER TABLE responses ADD COLUMN content_hash BIGINT;     -- its input + output
        ALTER TABLE responses ADD COLUMN parent_hashes BIGINT[];  -- its input's prefixes
        ALTER TABLE responses ADD COLUMN new_input_position INTEGER;
        ALTER TABLE items ADD COLUMN response_index INTEGER;      -- the response it belongs to
        -- what SQL can tell of rows stored before (`respdeck reindex` computes the rest): the
        -- order of an exchange's responses, and the items of an exchange with one response
        UPDATE responses SET response_index = n.i
        FROM (SELECT rowid AS row, row_number() OVER (PARTITION BY exchange_id ORDER BY rowid) - 1
              AS i FROM responses) n
        WHERE responses.rowid = n.row;
        UPDATE items SET response_index = 0 WHERE exchange_id IN
            (SELECT exchange_id FROM responses GROUP BY exchange_id HAVING count(*) = 1);
        DROP VIEW threads;
    """)
    conn.execute(THREADS_V3)


def _v4_price_library(conn: duckdb.DuckDBPyConnection) -> None:
    """Prices from genai-prices (addon/store/price_library): by host, tier, day and input size.

    The old table goes, rows and all (the shipped list is no more): right after migrating, the
    store's open reads the user's file again and asks the library about every model seen
    (prices.load_prices).
    """
    conn.execute("""
        DROP VIEW usage;
        DROP TABLE prices;
        CREATE TABLE prices (
            model           VARCHAR NOT NULL,  -- library: as responses name it; user: id or prefix*
            host            VARCHAR,           -- library: the exchanges' host; user: NULL, any
            provider        VARCHAR,           -- library: genai-prices' provider id
            library_model   VARCHAR,           -- library: genai-prices' model id
            service_tier    VARCHAR NOT NULL,  -- default, flex, priority...
            effective_date  DATE,              -- in force from this UTC day (NULL: from the start)
            end_date        DATE,              -- up to the day before this (NULL: still in force)
            from_time       TIME,              -- from this UTC time of day (NULL: all day)
            until_time      TIME,              -- up to just before this (NULL: midnight)
            min_input_tokens BIGINT NOT NULL,  -- for responses with input_tokens in this range
            max_input_tokens BIGINT,           -- (long-context tiers; NULL: no limit)
            input_usd_per_1m DOUBLE,
            cached_input_usd_per_1m DOUBLE,    -- NULL: cached tokens at the input rate
            cache_write_usd_per_1m DOUBLE,     -- NULL: cache-write tokens at the input rate
            output_usd_per_1m DOUBLE,
            reasoning_usd_per_1m DOUBLE,       -- NULL: reasoning tokens at the output rate
            request_usd     DOUBLE,            -- a fee per request, if any
            source          VARCHAR,           -- the pricing page
            source_date     DATE,
            origin          VARCHAR NOT NULL,  -- library | user
            library_version VARCHAR            -- the genai-prices version the row came from
        );
        CREATE TABLE price_matches (           -- each (host, model) seen, as the library matched it
            host            VARCHAR,
            model           VARCHAR NOT NULL,
            provider        VARCHAR,
            library_model   VARCHAR,           -- NULL: the library does not know the model there
            library_version VARCHAR NOT NULL
        );
    """)
    conn.execute(USAGE_V4)


def _v7_resends(conn: duckdb.DuckDBPyConnection) -> None:
    """`respdeck resend`'s links: a table of its own, not a column of `exchanges`, because an
    exchange's rows are rewritten whole (reindex, a stream's final rows) and the link is no
    derived fact the parser could give back."""
    conn.execute("""
        CREATE TABLE resends (
            exchange_id     UUID NOT NULL,     -- the exchange `respdeck resend` made
            resent_from     UUID NOT NULL,     -- the recorded exchange it sent again
            edits           VARCHAR            -- JSON list of what changed; NULL: the same bytes
        );
    """)


def _v8_capture_origin(conn: duckdb.DuckDBPyConnection) -> None:
    """Which machine and user made a capture: a team store gathers many. Plain ADD COLUMNs,
    which a DuckLake team store takes too (migrations from 8 on run on both)."""
    conn.execute("""
        ALTER TABLE captures ADD COLUMN machine VARCHAR;    -- the host name of the recorder
        ALTER TABLE captures ADD COLUMN user_name VARCHAR;  -- the user it ran as
    """)


MIGRATIONS: list[Migration] = [
    (1, "initial schema: captures, exchanges, responses, items, events, findings", _v1_initial),
    (
        2,
        "exchanges.url, response threading, prices; views tool_calls, threads, usage",
        _v2_urls_prices_views,
    ),
    (3, "threads of stateless clients: responses' thread keys, items by response", _v3_thread_keys),
    (4, "prices from genai-prices, by host, service tier, day and input size", _v4_price_library),
    (
        5,
        "exchanges stored losslessly: truncated, closed early, binary WebSocket messages",
        v5_lossless,
    ),
    (
        6,
        "ids many writers can make: UUID captures and exchanges (seq), no constraints",
        v6_uuid_ids,
    ),
    (7, "resends: the exchange each re-sent one was sent from", _v7_resends),
    (8, "captures: the machine and user that made each", _v8_capture_origin),
    (
        9,
        "exchanges: what the list shows (tokens, status, time to first token, findings)",
        v9_list_columns,
    ),
]
LATEST = MIGRATIONS[-1][0]
# A team store (addon/store/lake) starts from the schema of this version, built by the
# migrations above in memory; the later ones run on the team store itself, so they must be
# statements DuckLake takes (no keys, constraints but NOT NULL, sequences, rowid; ADD COLUMN
# and UPDATE ... FROM it takes: migration 9 fills its columns so, tests/test_team_list_columns).
LAKE_BASE = 7


def current_version(conn: duckdb.DuckDBPyConnection) -> int:
    """0 for an empty database; raises SchemaError for a database that is not respdeck's."""
    tables = {
        row[0]
        for row in conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_catalog = current_database()"
        ).fetchall()
    }
    if "schema_version" not in tables:
        if tables:
            raise SchemaError(
                f"not a respdeck database (it has tables {', '.join(sorted(tables))})"
            )
        return 0
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(conn: duckdb.DuckDBPyConnection, target: int = LATEST) -> int:
    """Apply every pending migration up to `target`; returns the version reached."""
    version = current_version(conn)
    if version > LATEST:
        raise SchemaError(
            f"the database has schema version {version}, newer than this respdeck "
            f"understands ({LATEST}): upgrade respdeck"
        )
    if version == 0:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            "version INTEGER NOT NULL, name VARCHAR, applied_at TIMESTAMPTZ)"
        )
    for number, name, apply in MIGRATIONS:
        if version < number <= target:
            conn.execute("BEGIN TRANSACTION")
            try:
                apply(conn)
                conn.execute(
                    "INSERT INTO schema_version VALUES (?, ?, ?)", [number, name, datetime.now(UTC)]
                )
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(duckdb.Error):  # a failed COMMIT has rolled back
                    conn.execute("ROLLBACK")
                raise
            version = number
    return version


def base_schema() -> tuple[list[str], list[str], list[tuple[object, ...]]]:
    """(CREATE TABLE statements, CREATE VIEW statements, schema_version rows) of a database
    migrated to LAKE_BASE."""
    conn = duckdb.connect(":memory:")
    try:
        migrate(conn, LAKE_BASE)
        tables = [
            str(row[0])
            for row in conn.execute(
                "SELECT sql FROM duckdb_tables() WHERE database_name = current_database() "
                "AND schema_name = 'main' ORDER BY table_name"
            ).fetchall()
        ]
        views = [
            str(row[0])
            for row in conn.execute(
                "SELECT sql FROM duckdb_views() WHERE database_name = current_database() "
                "AND schema_name = 'main' AND NOT internal ORDER BY view_name"
            ).fetchall()
        ]
        versions = conn.execute("SELECT * FROM schema_version ORDER BY version").fetchall()
    finally:
        conn.close()
    return tables, views, versions


def create_lake_base(conn: duckdb.DuckDBPyConnection) -> None:
    """The LAKE_BASE schema and the lock rows, in one transaction, on an empty lake."""
    tables, views, versions = base_schema()
    conn.execute("BEGIN TRANSACTION")
    try:
        for statement in tables:
            conn.execute(statement)
        conn.execute(f"CREATE TABLE {LOCKS_TABLE} (name VARCHAR NOT NULL, n BIGINT NOT NULL)")
        for name in LOCKS:
            conn.execute(f"INSERT INTO {LOCKS_TABLE} VALUES (?, 0)", [name])
        for statement in views:
            conn.execute(statement)
        for row in versions:
            conn.execute("INSERT INTO schema_version VALUES (?, ?, ?)", list(row))
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # a failed COMMIT has rolled back
            conn.execute("ROLLBACK")
        raise
