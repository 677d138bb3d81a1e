"""Benchmark the store: corpus import, raw insertion, usage over a large database, disk use.

Run on demand (not part of the test suite):

    uv run python tests/bench/bench_store.py [--exchanges 1000000] [--events-per-exchange 50]

Figures: end-to-end import of the corpus (events/s, target >= 100,000); insertion alone
(rows/s, target >= 300,000 on one core); `usage --by model` over a generated database
(target under 1 s); bytes on disk per event. Uses ../shared/corpus, else recordings/.
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
from pathlib import Path

import duckdb

from addon.importers import iter_paths, load_file
from addon.store.db import open_for_write
from addon.store.importer import import_paths
from addon.store.rows import TABLES, Batch, add_exchange
from addon.store.writer import _insert
from addon.wire.parse import parse_exchange
from inspector.usage_cmd import usage_sql

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"


def db_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def bench_import(source: Path, work: Path) -> None:
    db = work / "import.duckdb"
    conn = open_for_write(db)
    start = time.perf_counter()
    report = import_paths(conn, [source])
    elapsed = time.perf_counter() - start
    conn.execute("CHECKPOINT")
    conn.close()
    print(
        f"import {source}: {report.files} files, {report.exchanges} exchanges, "
        f"{report.events} events in {elapsed:.2f} s = {report.events / elapsed:,.0f} events/s "
        f"(target >= 100,000)"
    )
    print(
        f"  disk: {db_bytes(db):,} bytes = {db_bytes(db) / max(report.events, 1):,.0f} "
        "bytes per event (raw bytes of every exchange included)"
    )


def bench_insert(source: Path, work: Path, copies: int) -> None:
    """Rows already built; time only the inserts, table by table, as the writer makes them."""
    parsed = [parse_exchange(ex) for path in iter_paths([source]) for ex in load_file(path)]
    batches: list[Batch] = []
    exchange_id = 0
    for _ in range(copies):
        batch = Batch()
        for item in parsed:
            exchange_id += 1
            add_exchange(batch, exchange_id, 1, item)
        batches.append(batch)
    conn = open_for_write(work / "insert.duckdb")
    conn.execute("INSERT INTO captures (capture_id, mode, started_at) VALUES (1, 'import', now())")
    gc.collect()
    seconds = dict.fromkeys(TABLES, 0.0)
    for batch in batches:
        for table in TABLES:
            if batch.rows(table):
                start = time.process_time()
                conn.execute("BEGIN TRANSACTION")
                _insert(conn, table, batch.columns[table])
                conn.execute("COMMIT")
                seconds[table] += time.process_time() - start
    conn.close()
    rows = {t: sum(b.rows(t) for b in batches) for t in TABLES}
    size = {
        t: sum(
            len(v)
            for b in batches
            for col in b.columns[t].values()
            for v in col
            if isinstance(v, str | bytes)
        )
        for t in TABLES
    }
    total = sum(seconds.values())
    print(
        f"insert: {sum(rows.values()):,} rows, {sum(size.values()) / 1e6:.0f} MB "
        f"({len(parsed) * copies:,} exchanges) in {total:.2f} s CPU = "
        f"{sum(rows.values()) / total:,.0f} rows/s (target >= 300,000)"
    )
    for table in TABLES:
        if rows[table] and seconds[table] > 0:
            print(
                f"  {table:10} {rows[table]:>9,} rows {size[table] / 1e6:7.1f} MB "
                f"{rows[table] / seconds[table]:>11,.0f} rows/s "
                f"{size[table] / 1e6 / seconds[table]:7.1f} MB/s"
            )


GENERATE = """
INSERT INTO captures (capture_id, mode, started_at) VALUES (1, 'import', now());
INSERT INTO exchanges (exchange_id, capture_id, position, started_at, endpoint, method, path,
                       status, streamed, aborted, partial, model, response_id, key_fingerprint)
SELECT i, 1, i, TIMESTAMPTZ '2026-01-01' + to_seconds(i * 30),
       'responses.create', 'POST', '/v1/responses', 200, true, false, false,
       ['gpt-4.1-mini-2025-04-14', 'gpt-4.1-2025-04-14', 'gpt-5-2025-08-07',
        'gpt-5-mini-2025-08-07', 'o4-mini-2025-04-16'][1 + i % 5],
       'resp_' || i, 'fp:' || (i % 97)
FROM range(1, $n + 1) t(i);
INSERT INTO responses (exchange_id, response_id, object, status, model, input_tokens,
                       cached_tokens, output_tokens, reasoning_tokens, total_tokens)
SELECT exchange_id, response_id, 'response', 'completed', model, 1000 + exchange_id % 5000,
       (exchange_id % 7) * 100, 200 + exchange_id % 800, exchange_id % 300,
       1200 + exchange_id % 5000 + exchange_id % 800
FROM exchanges;
INSERT INTO events (exchange_id, idx, sequence_number, t_ms, type, output_index, item_id,
                    content_index, delta, from_client, raw)
SELECT 1 + i // $per, i % $per, i % $per, 300 + (i % $per) * 20.0,
       'response.output_text.delta', 0, 'msg_1', 0, 'tok', false,
       '{"type":"response.output_text.delta","delta":"tok"}'
FROM range(0, $n * $per) t(i);
"""


def bench_usage(work: Path, exchanges: int, per: int) -> None:
    db = work / "big.duckdb"
    conn = open_for_write(db)
    start = time.perf_counter()
    script = GENERATE.replace("$n", str(exchanges)).replace("$per", str(per))
    for statement in filter(str.strip, script.split(";")):
        conn.execute(statement)
    conn.execute("CHECKPOINT")
    print(
        f"generated {exchanges:,} exchanges, {exchanges * per:,} events in "
        f"{time.perf_counter() - start:.1f} s; disk {db_bytes(db):,} bytes = "
        f"{db_bytes(db) / (exchanges * per):.1f} bytes per event"
    )
    conn.close()
    conn = duckdb.connect(str(db), read_only=True)
    query, params = usage_sql("model", None)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        rows = conn.execute(query, params).fetchall()
        times.append(time.perf_counter() - start)
    print(
        f"usage --by model over it: best {min(times) * 1e3:.0f} ms, "
        f"{len(rows) - 1} models (target under 1 s)"
    )
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path)
    parser.add_argument("--exchanges", type=int, default=1_000_000)
    parser.add_argument("--events-per-exchange", type=int, default=50)
    parser.add_argument("--insert-copies", type=int, default=3)
    parser.add_argument("--only", choices=("import", "insert", "usage"))
    args = parser.parse_args()
    source = args.source or (CORPUS if CORPUS.is_dir() else ROOT / "recordings")
    with tempfile.TemporaryDirectory(prefix="respdeck-bench-") as tmp:
        work = Path(tmp)
        print(f"cores: {os.cpu_count()}, work dir {work}")
        if args.only in (None, "import"):
            bench_import(source, work)
        if args.only in (None, "insert"):
            bench_insert(source, work, args.insert_copies)
        if args.only in (None, "usage"):
            bench_usage(work, args.exchanges, args.events_per_exchange)


if __name__ == "__main__":
    main()
