"""Migration 9 on a team store with data: `respdeck init` upgrades a DuckLake of version 8
(against a real PostgreSQL) and fills the list columns as the writer stores them."""

from __future__ import annotations

from pathlib import Path

import duckdb
from click.testing import CliRunner

from addon.store import lake
from addon.store.db import open_for_read
from addon.store.location import team_catalog
from addon.store.migrations import LATEST, create_lake_base, migrate
from addon.store.migrations_list import LIST_COLUMNS
from addon.store.migrations_uuid import USAGE_V6
from inspector.commands.init import init
from tests.legacy_db import legacy_database
from tests.postgres_cluster import postgres, team_db
from tests.test_migrations import parsed

__all__ = ["postgres", "team_db"]  # fixtures
ALL = ", ".join(name for name, _ in LIST_COLUMNS)
TABLES = ("captures", "exchanges", "responses", "items", "events", "findings")


def test_init_fills_the_list_columns_of_a_team_store_with_data(
    team_db: tuple[Path, Path],
) -> None:
    db, data = team_db
    exchanges = parsed("websocket_codex.har", "reasoning.har", "background.har", "stream_cut.har")
    local = duckdb.connect()
    legacy_database(local, 8, [("import", "all.har", exchanges)])  # as respdeck 8 wrote it
    catalog = team_catalog(db)
    assert catalog is not None
    conn = lake.connect(catalog, read_only=False, data_path=str(data), create=True)
    try:
        create_lake_base(conn)
        assert migrate(conn, 8) == 8
        for table in TABLES:
            conn.register("old_rows", local.execute(f"SELECT * FROM {table}").arrow())
            conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM old_rows")
            conn.unregister("old_rows")
    finally:
        conn.close()

    result = CliRunner().invoke(init, ["--db", str(db)])
    assert result.exit_code == 0 and f"from version 8 to {LATEST}" in result.output, result.output

    fresh = duckdb.connect()
    legacy_database(fresh, LATEST, [("import", "all.har", exchanges)])  # the writer's rows
    expected = fresh.execute(f"SELECT exchange_id, {ALL} FROM exchanges ORDER BY 1").fetchall()
    team = open_for_read(db)
    try:
        got = team.execute(f"SELECT exchange_id, {ALL} FROM exchanges ORDER BY 1").fetchall()
        assert got == expected and any(r[7] for r in got)  # response_count
        before = f"SELECT * FROM ({USAGE_V6[USAGE_V6.index('AS\n') + 3 :]}) ORDER BY ALL"
        usage = team.execute("SELECT * FROM usage ORDER BY ALL").fetchall()
        assert usage == team.execute(before).fetchall() and len(usage) > 5
    finally:
        team.close()
