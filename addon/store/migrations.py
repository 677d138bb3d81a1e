"""Numbered schema migrations, each applied in its own transaction.

The version reached is recorded in `schema_version`, so a database made by an earlier respdeck
is upgraded in place and a database from a newer one is refused with a clear message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import duckdb

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
            request_headers JSON,                  -- [[name, value], ...], secrets fingerprinted
            response_headers JSON,
            request_body    BLOB,                  -- exactly as sent
            response_body   BLOB,                  -- exactly as received (still content-encoded)
            response_chunks JSON,                  -- [[offset_ms, size], ...] over response_body
            websocket       JSON                   -- [[offset_ms, from_client, text], ...]
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
            raw             JSON
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
            raw             JSON
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


MIGRATIONS: list[Migration] = [
    (1, "initial schema: captures, exchanges, responses, items, events, findings", _v1_initial),
]
LATEST = MIGRATIONS[-1][0]


def current_version(conn: duckdb.DuckDBPyConnection) -> int:
    """0 for an empty database; raises SchemaError for a database that is not respdeck's."""
    tables = {
        row[0]
        for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
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
            "version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ)"
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
                conn.execute("ROLLBACK")
                raise
            version = number
    return version
