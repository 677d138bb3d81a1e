"""Benchmark the threads view over a million responses (run on demand, not in the suite):

    uv run python tests/bench/bench_threads.py [--exchanges 1000000] [--turns 20]

Two databases: bench_store's (one response per exchange, no links: what every respdeck
database pays), and the same responses made into stateless sessions of `--turns` turns linked
by content (the thread keys a Codex session gets: a session key, a content hash, up to 16
prefix hashes), the worst case: every response has a parent and threads are `--turns` deep.
Figures: `SELECT count(*) FROM threads`, best of `--rounds`, wall and CPU time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb

from addon.store.db import open_for_write
from tests.bench.bench_store import generate as generate_store

# Session n holds the responses of exchanges seq n*turns .. n*turns+turns-1 (one capture: the
# ids are UUIDs, the order is seq), each continuing the one before it (its longest prefix hash
# is the previous response's content hash).
SESSIONS = """
UPDATE responses SET session_key = 'session ' || (e.seq // $turns), response_index = 0,
    content_hash = (hash(e.seq) >> 1)::BIGINT,
    parent_hashes = CASE WHEN e.seq % $turns = 0 THEN NULL ELSE list_transform(
        range(1, least(e.seq % $turns, 16) + 1), k -> (hash(e.seq - k) >> 1)::BIGINT)
    END
FROM exchanges e WHERE e.exchange_id = responses.exchange_id
"""


def generate(db: Path, exchanges: int, turns: int | None) -> None:
    conn = open_for_write(db)
    generate_store(conn, exchanges, 0)
    if turns:
        conn.execute(SESSIONS.replace("$turns", str(turns)))
    conn.execute("CHECKPOINT")
    conn.close()


def time_count(db: Path, rounds: int) -> tuple[float, float, list[tuple[object, ...]]]:
    conn = duckdb.connect(str(db), read_only=True)
    conn.execute("SET enable_progress_bar = false")
    wall = cpu = float("inf")
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        conn.execute("SELECT count(*) FROM threads").fetchall()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    shape = conn.execute(
        "SELECT link, count(*), max(turn) FROM threads GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    conn.close()
    return wall, cpu, shape


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exchanges", type=int, default=1_000_000)
    parser.add_argument("--turns", type=int, default=20, help="turns per linked session")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="respdeck-bench-") as tmp:
        for label, turns in (("no links", None), (f"sessions of {args.turns}", args.turns)):
            db = Path(tmp) / f"threads-{turns or 0}.duckdb"
            start = time.perf_counter()
            generate(db, args.exchanges, turns)
            made = time.perf_counter() - start
            wall, cpu, shape = time_count(db, args.rounds)
            links = ", ".join(f"{link or 'root'} {n:,} (depth {depth})" for link, n, depth in shape)
            print(
                f"{args.exchanges:,} responses, {label} (generated in {made:.1f} s): "
                f"SELECT count(*) FROM threads best {wall * 1e3:.0f} ms wall, "
                f"{cpu * 1e3:.0f} ms CPU; {links}"
            )


if __name__ == "__main__":
    main()
