"""What the list shows, stored per exchange (migration 9, addon/store/migrations_list): the
writer's values are those the list used to compute from `responses`, `events` and `findings`
(tests/bench/list_baseline, the SQL of before), for the recordings and the corpus; the SQL
that fills an existing database agrees with the writer; reindex and the migration keep them
exact; the list's cost, priced from the stored columns, is the old per-response cost."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from addon.store import ids
from addon.store.db import open_for_write
from addon.store.importer import import_paths
from addon.store.migrations import LATEST, current_version, migrate
from addon.store.migrations_list import LIST_COLUMNS, fill_list_columns
from addon.store.queries import view_sql
from addon.store.reindex import reindex
from addon.store.writer import Writer
from addon.wire.result import ParsedExchange
from tests.bench import list_baseline

from .conftest import RECORDINGS
from .helpers import respdeck
from .legacy_db import legacy_database
from .test_migrations import parsed

# the columns the list showed computed, and so can be compared with the old SQL's
SHOWN = ("input_tokens", "cached_tokens", "output_tokens", "reasoning_tokens", "total_tokens",
         "response_status", "ttft_ms", "findings", "worst_severity")  # fmt: skip
ALL = ", ".join(name for name, _ in LIST_COLUMNS)


def stored(conn: duckdb.DuckDBPyConnection, columns: str = ", ".join(SHOWN)) -> list[tuple]:
    return conn.execute(f"SELECT exchange_id, {columns} FROM exchanges ORDER BY 1").fetchall()


def computed(conn: duckdb.DuckDBPyConnection) -> list[tuple]:
    old = list_baseline.view_sql({"tokens", "ttft", "findings"})
    return conn.execute(
        f"SELECT exchange_id, {', '.join(SHOWN)} FROM ({old}) ORDER BY 1"
    ).fetchall()


def costs(conn: duckdb.DuckDBPyConnection, sql: str) -> dict[str, float | None]:
    return {
        str(k): v for k, v in conn.execute(f"SELECT exchange_id, cost_usd FROM ({sql})").fetchall()
    }


def assert_exact(conn: duckdb.DuckDBPyConnection) -> int:
    """The stored columns are the computed ones, the SQL fill gives what the writer wrote,
    and the list's cost is the old one; returns how many exchanges have a cost."""
    assert stored(conn) == computed(conn)
    written = stored(conn, ALL)
    fill_list_columns(conn)
    assert stored(conn, ALL) == written
    new = costs(conn, view_sql({"cost"}))
    old = costs(conn, list_baseline.view_sql({"cost"}))
    assert new.keys() == old.keys()
    for exchange_id, cost in old.items():
        if cost is None:
            assert new[exchange_id] is None, exchange_id
        else:
            assert new[exchange_id] == pytest.approx(cost, rel=1e-12), exchange_id
    return sum(c is not None for c in new.values())


def written(items: list[ParsedExchange]) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    migrate(conn)
    writer = Writer(conn)
    capture = writer.add_capture("import", "parsed")
    for item in items:
        writer.add(capture, item)
    writer.flush()
    return conn


def test_the_writer_stores_what_the_list_computed_for_the_recordings(tmp_path: Path) -> None:
    conn = open_for_write(tmp_path / "r.duckdb")
    import_paths(conn, [RECORDINGS])
    counts = dict(
        conn.execute("SELECT response_count > 1, count(*) FROM exchanges GROUP BY 1").fetchall()
    )
    assert counts[True] >= 2  # WebSocket sessions, priced response by response
    assert conn.execute("SELECT count(ttft_ms), max(findings) FROM exchanges").fetchone()[0] > 5
    assert assert_exact(conn) > 10


def test_the_writer_stores_what_the_list_computed_for_the_corpus(
    corpus_parsed: list[ParsedExchange],
) -> None:
    conn = written(corpus_parsed)
    assert conn.execute("SELECT count(DISTINCT worst_severity) FROM exchanges").fetchone() == (3,)
    assert assert_exact(conn) > 1000


def test_reindex_makes_the_columns_exact_again(tmp_path: Path) -> None:
    conn = open_for_write(tmp_path / "r.duckdb")
    import_paths(conn, [RECORDINGS])
    before = stored(conn, ALL)
    conn.execute(  # as an older parser might have stored them
        "UPDATE exchanges SET input_tokens = 1, ttft_ms = -1, findings = 7, "
        "response_status = 'x', response_model = 'y', service_tier = 'flex'"
    )
    conn.execute("DELETE FROM findings WHERE code = 'aborted'")  # a finding the parser makes
    assert reindex(conn, batch_size=5) == 32
    assert stored(conn, ALL) == before
    assert_exact(conn)


@pytest.mark.parametrize("version", [5, 8])
def test_migration_9_fills_the_columns_of_a_database_with_data(version: int) -> None:
    """A database of version 8 (UUID ids) or 5 (BIGINT ids, rebuilt by 6 on the way) gets
    the values the writer stores for the same exchanges."""
    exchanges = parsed("websocket_codex.har", "reasoning.har", "stream_cut.har", "stream_error.har")
    conn = duckdb.connect()
    legacy_database(conn, version, [("import", "all.har", exchanges)])
    assert migrate(conn) == LATEST
    fresh = duckdb.connect()
    legacy_database(fresh, LATEST, [("import", "all.har", exchanges)])
    if version >= 6:
        assert stored(conn, ALL) == stored(fresh, ALL)
    else:  # ids changed: compare by seq (uuid5 of the capture)
        capture = ids.legacy_capture_id(1)
        by_seq = {ids.exchange_id(capture, n): n for n in range(len(exchanges))}
        rows = conn.execute(f"SELECT seq, {ALL} FROM exchanges ORDER BY seq").fetchall()
        fresh_rows = [(by_seq[str(r[0])], *r[1:]) for r in stored(fresh, ALL)]
        assert rows == sorted(fresh_rows)
    assert conn.execute("SELECT count(*) FILTER (response_count > 0) FROM exchanges").fetchone()[0]
    assert_exact(conn)


def test_a_read_command_upgrades_a_file_an_older_respdeck_wrote(tmp_path: Path) -> None:
    """`respdeck sql` (and browse, export, diff: every reader) on a version-8 file finds the
    list's columns: the file is migrated as a writer would on opening it, then read."""
    db = tmp_path / "old.duckdb"
    conn = duckdb.connect(str(db))
    legacy_database(conn, 8, [("import", "all.har", parsed("stream_text.har", "reasoning.har"))])
    conn.close()
    done = respdeck(
        "sql", "--db", str(db), "--format", "csv",
        "SELECT count(*) FILTER (output_tokens > 0) FROM exchanges",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "2"
    conn = duckdb.connect(str(db), read_only=True)
    assert current_version(conn) == LATEST
    conn.close()
