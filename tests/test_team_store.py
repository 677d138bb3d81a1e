"""The team store against a real PostgreSQL: its schema from the one list of migrations, who
may create it, extensions from the packages' files, batches that come twice, writers meeting
on a model's first prices, time travel, maintenance."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from addon.importers import load_file
from addon.store import extensions, lake
from addon.store import writer as writer_module
from addon.store.db import StoreError, open_for_read, open_for_write
from addon.store.importer import import_paths
from addon.store.location import describe, team_catalog
from addon.store.migrations import LAKE_BASE, LATEST, create_lake_base, migrate
from addon.store.reader import Reader
from addon.store.writer import Writer
from addon.wire.parse import parse_exchange
from inspector.commands.init import init
from inspector.commands.maintain import maintain
from inspector.commands.sql import sql
from tests.conftest import RECORDINGS
from tests.postgres_cluster import Cluster, postgres, team_db

__all__ = ["postgres", "team_db"]  # fixtures


def invoke(command: object, *args: str) -> tuple[int, str]:
    """A respdeck subcommand in process: (exit code, its output and errors)."""
    result = CliRunner().invoke(command, list(args))  # type: ignore[arg-type]
    return result.exit_code, result.output


def initialised(team: tuple[Path, Path]) -> Path:
    db, data = team
    code, out = invoke(init, "--db", str(db), "--data-path", str(data))
    assert code == 0, out
    return db


def columns(conn: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str, str]]]:
    rows = conn.execute(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_catalog = current_database() AND table_schema = 'main' "
        "ORDER BY table_name, ordinal_position"
    ).fetchall()
    out: dict[str, list[tuple[str, str, str]]] = {}
    for table, column, kind, nullable in rows:
        out.setdefault(table, []).append((column, kind, nullable))
    return out


def test_only_init_creates_a_team_store_with_the_migrations_schema(
    team_db: tuple[Path, Path],
) -> None:
    db, data = team_db
    with pytest.raises(StoreError, match=r"no team store at .*respdeck init"):
        open_for_write(db)
    with pytest.raises(StoreError, match="no team store"):
        open_for_read(db)
    code, out = invoke(init, "--db", str(db))
    assert code != 0 and "--data-path" in out  # a new store needs its shared folder

    code, out = invoke(init, "--db", str(db), "--data-path", str(data))
    assert code == 0 and f"created the team store, schema version {LATEST}" in out, out
    assert str(data.resolve()) in out
    code, out = invoke(init, "--db", str(db))  # the store remembers its folder
    assert code == 0 and f"schema version {LATEST} already" in out, out

    local = duckdb.connect(":memory:")
    migrate(local)
    conn = open_for_write(db)
    try:
        assert conn.execute("SELECT max(version) FROM schema_version").fetchone() == (LATEST,)
        team = columns(conn)
        assert team.pop(lake.LOCKS_TABLE) == [
            ("name", "VARCHAR", "NO"),
            ("n", "BIGINT", "NO"),
        ]
        assert team == columns(local)
        views = "SELECT view_name FROM duckdb_views() WHERE database_name = current_database()"
        names = sorted(r[0] for r in conn.execute(views).fetchall())
        assert names == ["threads", "tool_calls", "usage"]
    finally:
        conn.close()


def test_writers_refuse_a_store_behind_this_respdeck_until_init_upgrades_it(
    team_db: tuple[Path, Path],
) -> None:
    db, data = team_db
    catalog = team_catalog(db)
    assert catalog is not None
    conn = lake.connect(catalog, read_only=False, data_path=str(data), create=True)
    create_lake_base(conn)  # as a respdeck whose last migration was LAKE_BASE made it
    conn.close()
    with pytest.raises(StoreError, match=rf"version {LAKE_BASE}; .* run `respdeck init`"):
        open_for_write(db)
    open_for_read(db).close()  # reading an older schema is fine

    code, out = invoke(init, "--db", str(db))
    assert code == 0 and f"upgraded the schema from version {LAKE_BASE} to {LATEST}" in out
    conn = open_for_write(db)  # the later migrations ran on the lake itself
    try:
        names = [r[1] for r in conn.execute("PRAGMA table_info('captures')").fetchall()]
        assert names[-2:] == ["machine", "user_name"]
    finally:
        conn.close()


def test_extensions_come_from_the_packages_files(team_db: tuple[Path, Path]) -> None:
    db = initialised(team_db)
    link = extensions.loadable_file("postgres_scanner")
    assert link.name == "postgres_scanner.duckdb_extension"
    assert link.resolve() == extensions.package_file("postgres_scanner").resolve()
    assert extensions.package_file("postgres_scanner").name == "postgres.duckdb_extension"
    conn = open_for_read(db)
    try:
        (autoinstall,) = conn.execute(
            "SELECT current_setting('autoinstall_known_extensions')"
        ).fetchone() or (None,)
        loaded = dict(
            conn.execute(
                "SELECT extension_name, installed FROM duckdb_extensions() "
                "WHERE loaded AND extension_name IN ('ducklake', 'postgres_scanner')"
            ).fetchall()
        )
    finally:
        conn.close()
    assert autoinstall is False
    # loaded by path, never installed into DuckDB's extension folder (nor downloaded there)
    assert loaded == {"ducklake": False, "postgres_scanner": False}


def test_a_batch_that_comes_twice_is_stored_once(team_db: tuple[Path, Path]) -> None:
    db = initialised(team_db)
    parsed = [parse_exchange(e) for e in load_file(RECORDINGS / "stream_text.har")]
    first, second = open_for_write(db), open_for_write(db)
    try:
        # a recorder's batch committed, its answer lost: the same rows arrive again
        for conn in (first, second):
            writer = Writer(conn)
            capture = "5a1e0c3e-9d3f-4c55-8f8e-0a6b0c3b7d21"
            writer.next_seq[capture] = 0
            writer.batch.add(
                "captures", bytes.fromhex(capture.replace("-", "")), "record", "run.rdj",
                None, None, None, datetime.now(UTC), None, "test", "host", "me",
            )  # fmt: skip
            for seq, exchange in enumerate(parsed):
                writer.add(capture, exchange, seq)
            writer.flush()
        counts = first.execute(
            "SELECT (SELECT count(*) FROM captures), (SELECT count(*) FROM exchanges), "
            "(SELECT count(DISTINCT exchange_id) FROM events), (SELECT count(*) FROM events)"
        ).fetchone()
    finally:
        first.close()
        second.close()
    events = sum(len(p.events) for p in parsed)
    assert counts == (1, len(parsed), len(parsed), events)


def test_writers_first_seeing_a_model_at_once_price_it_once(
    team_db: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both writers have looked for the model's prices, found none and are about to add them
    when they take the prices lock (a barrier inside it makes sure): one commits, the other
    meets it, tries again, finds the prices there and adds none."""
    db = initialised(team_db)
    parsed = parse_exchange(load_file(RECORDINGS / "vcr_cassette.yaml")[0])
    assert parsed.usages
    both_looked = threading.Barrier(2, timeout=60)
    waited: set[int] = set()
    real_lock = writer_module.take_lock

    def lock_when_both_looked(conn: duckdb.DuckDBPyConnection, name: str) -> None:
        if name == "prices" and threading.get_ident() not in waited:
            waited.add(threading.get_ident())
            both_looked.wait()
        real_lock(conn, name)

    monkeypatch.setattr(writer_module, "take_lock", lock_when_both_looked)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        conn = open_for_write(db)
        try:
            writer = Writer(conn)
            capture = writer.add_capture("record", f"run{n}.rdj")
            writer.add(capture, parsed)
            writer.flush()
            assert not writer.unpriced
        except BaseException as exc:
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with Reader.open(db) as reader:
        matches = reader.fetchall("SELECT host, model, count(*) FROM price_matches GROUP BY ALL")
        rows = reader.fetchall(
            "SELECT count(*), count(DISTINCT (model, host, service_tier, effective_date, "
            "min_input_tokens)) FROM prices WHERE origin = 'library'"
        )
        usage = reader.fetchall("SELECT count(*), count(DISTINCT cost_usd) FROM usage")
    assert [m[2] for m in matches] == [1]
    assert rows[0][0] == rows[0][1] > 0
    assert usage == [(2, 1)]  # one row per capture's response, not one per price row


def test_sql_as_of_reads_the_store_as_it_was(team_db: tuple[Path, Path]) -> None:
    db = initialised(team_db)
    conn = open_for_write(db)
    try:
        import_paths(conn, [RECORDINGS / "vcr_cassette.yaml"])
        (between,) = conn.execute(
            "SELECT max(snapshot_time)::VARCHAR FROM ducklake_snapshots('team')"
        ).fetchone() or ("",)
        import_paths(conn, [RECORDINGS / "stream_text.har"])
    finally:
        conn.close()
    query = "SELECT count(*) AS n FROM exchanges"
    code, now = invoke(sql, "--db", str(db), "--format", "csv", query)
    assert code == 0 and now.split() == ["n", "2"], now
    code, then = invoke(sql, "--db", str(db), "--format", "csv", "--as-of", between, query)
    assert code == 0 and then.split() == ["n", "1"], then
    code, out = invoke(sql, "--db", str(db), "--as-of", "2001-01-01 00:00:00+00", query)
    assert code != 0 and "No snapshot found at timestamp 2001" in out, out
    code, out = invoke(sql, "--db", str(team_db[1] / "x.duckdb"), "--as-of", between, query)
    assert code != 0 and "--as-of reads a team store" in out, out


def test_maintain_compacts_and_says_what_it_did(team_db: tuple[Path, Path]) -> None:
    db = initialised(team_db)
    for path in sorted(RECORDINGS.glob("*.har"))[:6]:  # one snapshot, and small files, each
        conn = open_for_write(db)
        try:
            import_paths(conn, [path])
        finally:
            conn.close()
    with Reader.open(db) as reader:
        before = reader.fetchall("SELECT count(*) FROM exchanges")
        snapshots = reader.fetchall("SELECT count(*) FROM ducklake_snapshots('team')")
    code, out = invoke(maintain, "--db", str(db), "--keep", "0")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == f"{describe(db)}:"
    said = "\n".join(lines[1:])
    assert "flushed " in said and "inlined row(s)" in said
    assert "merged " in said and "expired " in said and "removed " in said
    merged = next(line for line in lines if "merged" in line)
    assert not merged.strip().startswith("merged 0 "), out
    with Reader.open(db) as reader:
        assert reader.fetchall("SELECT count(*) FROM exchanges") == before
        assert reader.fetchall("SELECT count(*) FROM ducklake_snapshots('team')") < snapshots
    code, out = invoke(maintain, "--db", str(db), "--keep", "soon")
    assert code != 0 and "--keep" in out
    code, out = invoke(maintain, "--db", str(team_db[1] / "local.duckdb"))
    assert code != 0 and "team store" in out


def test_an_unreachable_catalog_is_one_line_without_its_password(
    postgres: Cluster, tmp_path: Path
) -> None:
    from addon.ports import free_port

    db = Path(
        f"ducklake:postgres:dbname=none host=127.0.0.1 port={free_port()} user=postgres "
        "password=hunter2 connect_timeout=5"
    )
    with pytest.raises(StoreError) as info:
        open_for_read(db)
    message = str(info.value)
    assert "cannot connect to PostgreSQL" in message and "\n" not in message
    assert "hunter2" not in message and "password=***" in message
    with pytest.raises(StoreError, match="a team store is ducklake:postgres"):
        open_for_read(Path("ducklake:metadata.ducklake"))
