"""The team store's schema, from the one list of migrations (addon/store/migrations).

Migrations up to LAKE_BASE rebuilt tables with keys and rowids, which DuckLake has not: a
new lake gets their end result instead, the tables and views a DuckDB in memory has after
running them, created in one transaction with their schema_version rows. Migrations after
LAKE_BASE run on the lake itself. Only `respdeck init` calls this: DDL from two writers at
once conflicts, and a lake changing under running recorders would fail their commits.
"""

from __future__ import annotations

import duckdb

from .migrations import LATEST, SchemaError, create_lake_base, current_version, migrate


def create_or_upgrade(conn: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Bring the lake to the latest schema; (version before, version now)."""
    before = current_version(conn)
    if before > LATEST:
        raise SchemaError(
            f"the team store has schema version {before}, newer than this respdeck "
            f"understands ({LATEST}): upgrade respdeck"
        )
    if before == 0:
        create_lake_base(conn)
    return before, migrate(conn)


def check_version(conn: duckdb.DuckDBPyConnection, *, writing: bool) -> int:
    """The lake's schema version, refused with a message saying what to run when it is not
    this respdeck's (writers need exactly it; readers any up to it)."""
    version = current_version(conn)
    if version == 0:
        raise SchemaError("the team store has no schema yet: run `respdeck init` on it")
    if version > LATEST:
        raise SchemaError(
            f"the team store has schema version {version}; this respdeck reads up to "
            f"{LATEST}: upgrade respdeck"
        )
    if writing and version < LATEST:
        raise SchemaError(
            f"the team store has schema version {version}; this respdeck writes {LATEST}: "
            "run `respdeck init` on it once (stop its recorders first)"
        )
    return version
