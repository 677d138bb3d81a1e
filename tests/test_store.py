"""The DuckDB store: schema migrations, batched writes, imports, SQL from the command line."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import duckdb
import pytest

from addon.importers import load_file
from addon.store import ids, importer
from addon.store.batch_write import DuplicateImport
from addon.store.db import StoreError, open_for_read, open_for_write
from addon.store.importer import import_paths
from addon.store.migrations import LATEST, SchemaError, current_version, migrate
from addon.store.rows import SCHEMAS, TABLES
from addon.store.writer import Writer
from addon.wire.parse import parse_exchange

from .conftest import RECORDINGS, ROOT
from .helpers import respdeck


def test_migrate_creates_the_schema_once(tmp_path: Path) -> None:
    conn = duckdb.connect(str(tmp_path / "a.duckdb"))
    assert current_version(conn) == 0
    assert migrate(conn) == LATEST
    assert migrate(conn) == LATEST  # nothing pending: a no-op
    tables = {
        r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    assert {
        "captures",
        "exchanges",
        "responses",
        "items",
        "events",
        "findings",
        "schema_version",
    } <= tables
    assert conn.execute("SELECT count(*) FROM schema_version").fetchone() == (LATEST,)


def test_newer_or_foreign_databases_are_refused(tmp_path: Path) -> None:
    newer = tmp_path / "newer.duckdb"
    conn = open_for_write(newer)
    conn.execute("INSERT INTO schema_version VALUES (?, 'from the future', now())", [LATEST + 1])
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        open_for_write(newer)
    with pytest.raises(StoreError, match="upgrade respdeck"):
        open_for_read(newer)
    foreign = tmp_path / "foreign.duckdb"
    duckdb.connect(str(foreign)).execute("CREATE TABLE t (x INT)").close()
    with pytest.raises(StoreError, match="not a respdeck database"):
        open_for_write(foreign)
    with pytest.raises(SchemaError):
        current_version(duckdb.connect(str(foreign), read_only=True))
    with pytest.raises(StoreError, match="respdeck import"):
        open_for_read(tmp_path / "missing.duckdb")


@pytest.fixture
def imported(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    conn = open_for_write(tmp_path / "r.duckdb")
    report = import_paths(conn, [RECORDINGS])
    assert report.files == 16 and not report.failed
    return conn


def test_import_stores_what_parsing_finds(imported: duckdb.DuckDBPyConnection) -> None:
    parsed = [
        parse_exchange(ex)
        for p in sorted(RECORDINGS.iterdir())
        if p.suffix in (".har", ".yaml", ".sse")
        for ex in load_file(p)
    ]
    count = imported.execute("SELECT count(*) FROM exchanges").fetchone()
    assert count == (len(parsed),)
    assert imported.execute("SELECT count(*) FROM events").fetchone() == (
        sum(len(p.events) for p in parsed),
    )
    assert imported.execute("SELECT count(*) FROM findings").fetchone() == (
        sum(len(p.findings) for p in parsed),
    )
    assert imported.execute("SELECT count(*) FROM items").fetchone() == (
        sum(len(p.items) for p in parsed),
    )
    row = imported.execute(
        "SELECT r.input_tokens, r.cached_tokens, r.output_tokens FROM responses r "
        "JOIN exchanges e USING (exchange_id) JOIN captures c USING (capture_id) "
        "WHERE c.source LIKE '%stream_text.har'"
    ).fetchone()
    assert row == (1318, 1152, 87)


def test_reimport_adds_nothing_but_a_copy_with_other_content_is_kept(
    imported: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    again = import_paths(imported, [RECORDINGS])
    assert again.files == 0 and len(again.already) == 16
    copy = tmp_path / "copy.sse"
    copy.write_bytes((RECORDINGS / "raw_stream.sse").read_bytes() + b"\n")
    import_paths(imported, [copy])
    assert imported.execute("SELECT count(*) FROM captures").fetchone() == (17,)
    ids = imported.execute(
        "SELECT response_id FROM exchanges WHERE path = '/v1/responses' AND "
        "response_id LIKE 'resp_a6dd%'"
    ).fetchall()
    assert len(ids) == 2  # one exchange found in two files: two recordings


def test_raw_bytes_and_chunks_come_back_exactly(imported: duckdb.DuckDBPyConnection) -> None:
    (original,) = load_file(RECORDINGS / "gzip_stream.har")
    body, chunks, request = imported.execute(
        "SELECT response_body, response_chunks, request_body FROM exchanges e "
        "JOIN captures c USING (capture_id) WHERE c.source LIKE '%gzip_stream.har'"
    ).fetchone()
    assert original.response is not None
    assert body == original.response.body and request == original.request.body
    assert [tuple(c) for c in json.loads(chunks)] == [tuple(c) for c in original.response.chunks]


def test_no_secret_reaches_the_database_file(tmp_path: Path) -> None:
    har = json.loads((RECORDINGS / "stream_text.har").read_text())
    secret = "sk-proj-PLANTED-secret-0123456789"
    har["log"]["entries"][0]["request"]["headers"].append(
        {"name": "Authorization", "value": f"Bearer {secret}"}
    )
    har["log"]["entries"][0]["request"]["headers"].append({"name": "api-key", "value": secret})
    path = tmp_path / "planted.har"
    path.write_text(json.dumps(har))
    db = tmp_path / "s.duckdb"
    conn = open_for_write(db)
    import_paths(conn, [path])
    conn.execute("CHECKPOINT")
    conn.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("s.duckdb*"))
    assert secret.encode() not in raw
    assert b"fp:" in raw


def test_import_and_sql_commands(tmp_path: Path) -> None:
    shutil.copytree(RECORDINGS, tmp_path / "recs")
    missing = respdeck("sql", "SELECT 1", cwd=tmp_path)
    assert missing.returncode == 2 and "respdeck import" in missing.stderr
    done = respdeck("import", "recs", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "recordings" / "respdeck.duckdb").exists()  # the default place
    table = respdeck(
        "sql",
        "SELECT endpoint, count(*) AS n FROM exchanges GROUP BY ALL ORDER BY n DESC, endpoint",
        cwd=tmp_path,
    )
    assert table.returncode == 0
    assert re.search(r"^responses\.create +18$", table.stdout, re.MULTILINE), table.stdout
    as_json = respdeck("sql", "SELECT count(*) AS n FROM events", "--format", "json", cwd=tmp_path)
    assert json.loads(as_json.stdout) == {"n": 658}
    as_csv = respdeck("sql", "SELECT 1 AS a, 'x' AS b", "--format", "csv", cwd=tmp_path)
    assert as_csv.stdout.splitlines() == ["a,b", "1,x"]
    parquet = tmp_path / "out.parquet"
    done = respdeck(
        "sql",
        "SELECT * FROM findings",
        "--format",
        "parquet",
        "--output",
        str(parquet),
        cwd=tmp_path,
    )
    assert done.returncode == 0 and parquet.stat().st_size > 0
    bad = respdeck("sql", "SELECT nope FROM exchanges", cwd=tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "Binder Error" in bad.stderr and "Traceback" not in bad.stderr


def test_kill_during_import_leaves_a_database_that_opens(tmp_path: Path) -> None:
    """SIGKILL mid-import: what was committed is whole, the file opens."""
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(40):
        data = (RECORDINGS / "stream_text.har").read_text().replace("café", f"café {i}")
        (folder / f"r{i:02}.har").write_text(data)
    db = tmp_path / "k.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspector", "import", str(folder), "--db", str(db)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import time

    deadline = time.time() + 60
    while time.time() < deadline:
        if db.exists() and db.stat().st_size > 200_000:
            break
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    conn = open_for_read(db)
    exchanges, captures, ended = conn.execute(
        "SELECT (SELECT count(*) FROM exchanges), (SELECT count(*) FROM captures), "
        "(SELECT count(*) FROM captures WHERE ended_at IS NOT NULL)"
    ).fetchone()
    assert exchanges == ended  # each file's exchanges are there whole, or not at all
    assert captures - ended <= 1
    events = conn.execute("SELECT count(*) FROM events").fetchone()
    assert events == (exchanges * 98,)


def test_a_database_made_by_migration_1_is_upgraded_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    conn = duckdb.connect(str(path))
    assert migrate(conn, target=1) == 1
    conn.execute("INSERT INTO captures (capture_id, mode, started_at) VALUES (1, 'import', now())")
    conn.execute(
        "INSERT INTO exchanges (exchange_id, capture_id, position, endpoint, method, host, path, "
        "query, streamed, aborted, partial) VALUES (1, 1, 0, 'responses.retrieve', 'GET', "
        "'api.openai.com', '/v1/responses/resp_1', 'stream=true', true, false, false)"
    )
    conn.execute(
        "INSERT INTO responses (exchange_id, response_id, object, raw) VALUES "
        "(1, 'resp_1', 'response', '{\"previous_response_id\": \"resp_0\"}')"
    )
    conn.close()
    conn = open_for_write(path)
    assert current_version(conn) == LATEST
    assert conn.execute("SELECT url FROM exchanges").fetchone() == (
        "https://api.openai.com/v1/responses/resp_1?stream=true",
    )
    assert conn.execute("SELECT previous_response_id FROM responses").fetchone() == ("resp_0",)
    assert conn.execute("SELECT count(*) FROM usage").fetchone() == (1,)


def test_usage_counts_each_response_once_and_prices_it(
    imported: duckdb.DuckDBPyConnection,
) -> None:
    # the background response: created (queued), polled, resumed as a stream -> one usage row
    background = imported.execute(
        "SELECT count(*), any_value(input_tokens) FROM usage "
        "WHERE response_id = 'resp_31f41b901b25f5c900699da2c12bb181c85a890f41022894ea'"
    ).fetchone()
    assert background == (1, 24)
    assert (
        imported.execute(
            "SELECT count(*) FROM responses WHERE response_id = "
            "'resp_31f41b901b25f5c900699da2c12bb181c85a890f41022894ea'"
        ).fetchone()[0]
        >= 3
    )
    # gpt-4.1-mini: 166 uncached input, 1152 cached, 87 output (list prices 0.40/0.10/1.60)
    cost = imported.execute("SELECT cost_usd FROM usage WHERE input_tokens = 1318").fetchone()[0]
    assert cost == pytest.approx((166 * 0.40 + 1152 * 0.10 + 87 * 1.60) / 1e6)
    # a compaction is usage; an input_tokens count is not
    kinds = dict(imported.execute("SELECT object, count(*) FROM usage GROUP BY ALL").fetchall())
    assert kinds["response.compaction"] == 1
    assert imported.execute(
        "SELECT count(*) FROM usage u JOIN exchanges e USING (exchange_id) "
        "WHERE e.endpoint = 'responses.input_tokens'"
    ).fetchone() == (0,)
    # an unknown model gets NULL, never a guess
    imported.execute("UPDATE responses SET model = 'gpt-99-imaginary' WHERE input_tokens = 1318")
    assert imported.execute("SELECT cost_usd FROM usage WHERE input_tokens = 1318").fetchone() == (
        None,
    )


def test_threads_and_tool_calls_views(imported: duckdb.DuckDBPyConnection) -> None:
    chain = imported.execute(
        "SELECT turn FROM threads WHERE thread_id = "
        "'resp_a9d75c471292ce64006aa7c641eabc8171a6d1a265e86723f1' ORDER BY turn"
    ).fetchall()
    assert chain == [(0,), (1,)]
    websocket = imported.execute(
        "SELECT count(*) FROM threads WHERE thread_id = (SELECT thread_id FROM threads WHERE "
        "response_id LIKE '%ce8b023d')"
    ).fetchone()
    assert websocket == (2,)  # two turns on one socket, chained
    call = imported.execute(
        "SELECT name, arguments, output FROM tool_calls WHERE name <> 'shell'"
    ).fetchall()
    assert len(call) == 1 and call[0][0] == "get_weather" and "Paris" in call[0][1]
    assert call[0][2] and "temperature" in call[0][2]
    # Codex's shell calls, over HTTP (the output resent with every later turn) and a socket
    shell = imported.execute("SELECT output FROM tool_calls WHERE name = 'shell'").fetchall()
    assert len(shell) == 3 and all(o and o.startswith("Exit code: ") for (o,) in shell)


def test_reindex_rebuilds_the_same_rows_from_raw_bytes(
    imported: duckdb.DuckDBPyConnection,
) -> None:
    from addon.store.reindex import reindex

    def snapshot() -> list[object]:
        return [
            imported.execute(q).fetchall()
            for q in (
                "SELECT * EXCLUDE (raw) FROM events ORDER BY exchange_id, idx",
                "SELECT md5(string_agg(raw, '' ORDER BY exchange_id, idx)) FROM events",
                "SELECT * FROM items ORDER BY ALL",
                "SELECT * FROM findings ORDER BY ALL",
                "SELECT * FROM responses ORDER BY ALL",
                "SELECT * FROM exchanges ORDER BY exchange_id",
            )
        ]

    before = snapshot()
    imported.execute(  # as if an old parser had missed them
        "DELETE FROM events WHERE exchange_id = (SELECT min(exchange_id) FROM events)"
    )
    assert reindex(imported, batch_size=7) == 32
    assert snapshot() == before


def _contents(conn: duckdb.DuckDBPyConnection) -> dict[str, list[object]]:
    """Every table's rows, without the capture times (now() at import) and with each exchange
    named by its file and seq (a capture's id is random)."""
    out = {}
    for table in TABLES:
        if table == "captures":
            sql = "SELECT * EXCLUDE (capture_id, started_at, ended_at) FROM captures"
        elif table == "exchanges":
            sql = "SELECT c.source, e.* EXCLUDE (exchange_id, capture_id) FROM exchanges e "
            sql += "JOIN captures c USING (capture_id)"
        else:
            sql = f"SELECT c.source, e.seq, t.* EXCLUDE (exchange_id) FROM {table} t "
            sql += "JOIN exchanges e USING (exchange_id) JOIN captures c USING (capture_id)"
        out[table] = conn.execute(f"{sql} ORDER BY ALL").fetchall()
    return out


def test_an_import_in_many_background_batches_stores_the_same_rows(
    imported: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "IMPORT_BATCH_EVENTS", 1)  # each file is a batch of its own
    background = []
    flush_in_background = Writer.flush_in_background

    def counted(self: Writer) -> None:
        background.append(self.batch.rows("exchanges"))
        flush_in_background(self)

    monkeypatch.setattr(Writer, "flush_in_background", counted)
    conn = open_for_write(tmp_path / "many.duckdb")
    assert import_paths(conn, [RECORDINGS]).files == 16
    assert len(background) >= 10
    assert _contents(conn) == _contents(imported)
    # the import's rare checkpoints end with it
    setting = conn.execute("SELECT current_setting('checkpoint_threshold')").fetchone()
    assert setting == ("16.0 MiB",)


def test_a_failed_background_write_is_raised_and_leaves_nothing_half_written(
    tmp_path: Path,
) -> None:
    conn = open_for_write(tmp_path / "f.duckdb")
    writer = Writer(conn)
    (exchange,) = load_file(RECORDINGS / "raw_stream.sse")
    parsed = parse_exchange(exchange)
    writer.add(writer.add_capture("import", "a.sse", source_sha256="same"), parsed)
    writer.flush_in_background()
    # the same content hash again (an importer checks `imported` first): the write fails whole
    second = writer.add(writer.add_capture("import", "b.sse", source_sha256="same"), parsed)
    writer.flush_in_background()
    with pytest.raises(DuplicateImport):
        writer.flush()
    counts = conn.execute(
        "SELECT (SELECT count(*) FROM captures), (SELECT count(*) FROM exchanges), "
        f"(SELECT count(*) FROM events WHERE exchange_id = '{second}')"
    ).fetchone()
    assert counts == (1, 1, 0)
    assert writer.imported("same") and not writer.imported("other")
    writer.add(writer.add_capture("import", "c.sse"), parsed)  # the writer goes on
    writer.flush()
    assert conn.execute("SELECT count(*) FROM exchanges").fetchone() == (2,)


def test_ids_are_uuids_that_need_no_coordination(imported: duckdb.DuckDBPyConnection) -> None:
    """A capture's id is random; an exchange's is uuid5(capture, seq), seq counting from 0 in
    its capture; a short prefix tells exchanges apart."""
    rows = imported.execute(
        "SELECT e.exchange_id, e.capture_id, e.seq, e.position FROM exchanges e"
    ).fetchall()
    assert all(isinstance(r[0], uuid.UUID) and r[1].version == 4 for r in rows)
    assert all(str(r[0]) == ids.exchange_id(str(r[1]), r[2]) for r in rows)
    by_capture: dict[object, list[int]] = {}
    for _, capture, seq, position in rows:
        by_capture.setdefault(capture, []).append(seq)
        assert seq == position  # an import: the file's order
    assert all(sorted(s) == list(range(len(s))) for s in by_capture.values())
    assert len({str(r[0])[:8] for r in rows}) == len(rows)


def test_the_schema_is_constraint_free(imported: duckdb.DuckDBPyConnection) -> None:
    """Nothing a DuckLake store refuses: no key, no unique, no sequence, no enum."""
    kinds = imported.execute(
        "SELECT DISTINCT constraint_type FROM duckdb_constraints() WHERE schema_name = 'main'"
    ).fetchall()
    assert kinds == [("NOT NULL",)]
    assert imported.execute("SELECT count(*) FROM duckdb_sequences()").fetchone() == (0,)
    assert imported.execute(
        "SELECT count(*) FROM duckdb_types() WHERE logical_type = 'ENUM' AND NOT internal"
    ).fetchone() == (0,)
    assert imported.execute("SELECT count(*) FROM duckdb_indexes()").fetchone() == (0,)


def test_rows_are_built_with_the_database_types(imported: duckdb.DuckDBPyConnection) -> None:
    for table, schema in SCHEMAS.items():
        imported.register("empty_batch", schema.empty_table())
        built = imported.execute("DESCRIBE empty_batch").fetchall()
        stored = imported.execute(f"DESCRIBE {table}").fetchall()
        assert [r[:2] for r in built] == [r[:2] for r in stored], table
        imported.unregister("empty_batch")


def test_numbers_too_big_for_their_column_are_stored_as_null(tmp_path: Path) -> None:
    """An output_index past INTEGER (or a sequence_number past BIGINT) cannot stop an import;
    the raw payload keeps the number. (An event type the accumulator ignores: it would pad its
    output list up to such an index.)"""
    payload = (
        '{"type":"response.future_event","sequence_number":1180591620717411303424,'
        '"item_id":"msg_1","output_index":4294967296,"content_index":0,"delta":"hi"}'
    )
    path = tmp_path / "big.sse"
    path.write_text(f"data: {payload}\n\n")
    conn = open_for_write(tmp_path / "b.duckdb")
    assert import_paths(conn, [path]).files == 1
    row = conn.execute(
        "SELECT sequence_number, output_index, content_index, delta, raw FROM events"
    ).fetchone()
    assert row == (None, None, 0, "hi", payload)


def test_check_usage_and_reindex_commands(tmp_path: Path) -> None:
    shutil.copytree(RECORDINGS, tmp_path / "recs")
    assert respdeck("import", "recs", cwd=tmp_path).returncode == 0
    check = respdeck("check", cwd=tmp_path)
    assert check.returncode == 0 and "no_terminal_event" in check.stdout
    usage = respdeck("usage", "--by", "model", cwd=tmp_path)
    assert usage.returncode == 0
    total = [line for line in usage.stdout.splitlines() if line.startswith("TOTAL")]
    assert total and total[0].split()[1] == "24"
    for by in ("day", "key", "thread"):
        assert respdeck("usage", "--by", by, cwd=tmp_path).returncode == 0
    assert respdeck("usage", "--since", "not-a-date", cwd=tmp_path).returncode == 2
    done = respdeck("reindex", cwd=tmp_path)
    assert done.returncode == 0 and "re-parsed 32" in done.stdout
