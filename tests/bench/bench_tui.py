"""Benchmark the browser over a generated database of 1,000,000 exchanges.

Run on demand (not part of the test suite):

    uv run python tests/bench/bench_tui.py [--exchanges 1000000] [--db FILE] [--runs 3]

Each run is a fresh interpreter (imports included) driving the app headless with Textual's
Pilot; a time ends when the app puts the frame showing the result on its screen. Figures,
best of the runs: time from start to the first screen of rows (target under 1 s); time to
move the selection one row and show its detail (target under 50 ms), also for a page up and
a jump to the far end of the list; time to sort or filter by cost, tokens, cached tokens and
time to first token until the new first screen shows (target under 1 s); peak memory of the
process (target under 300 MB).
The database is the one bench_store.py generates (50 events per exchange, a finding every 97
exchanges), plus an input and an output message per exchange.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ITEMS = """
INSERT INTO items (exchange_id, direction, position, type, role, text, raw)
SELECT exchange_id, 'input', 0, 'message', 'user', 'question ' || seq,
       '{"role":"user","content":"question ' || seq || '"}'
FROM exchanges;
INSERT INTO items (exchange_id, direction, position, type, item_id, role, status, text, raw)
SELECT exchange_id, 'output', 0, 'message', 'msg_' || seq, 'assistant', 'completed',
       'answer ' || seq,
       '{"id":"msg_' || seq || '","type":"message","role":"assistant","status":"completed",'
       || '"content":[{"type":"output_text","text":"answer ' || seq || '","annotations":[]}]}'
FROM exchanges
"""
# What the list is sorted and filtered by once it shows (bench_store times the SQL alone).
SORTS = ("cost_usd", "input_tokens", "cached_tokens", "ttft_ms")
FILTERS = ("cost_usd > 0.005", "input_tokens > 5000", "cached_tokens >= 600", "ttft_ms < 301")

# Runs in a fresh interpreter: the clock starts before Textual and the app are imported.
CHILD = r"""
import time
T0 = time.perf_counter()
import asyncio, json, resource, sys
from pathlib import Path
from inspector.tui.launch import prepare

PAINTS = []  # when the app last put a frame on the (headless) screen


async def next_paint(after: float) -> float:
    while not PAINTS or PAINTS[-1] <= after:
        await asyncio.sleep(0.0002)
    return PAINTS[-1]


async def main(db: Path, moves: int) -> dict:
    launch = prepare(db)  # as run_browse: the first page is fetched while Textual loads
    before = time.perf_counter()
    from inspector.tui.app import BrowseApp
    from inspector.tui.main_screen import MainScreen

    imported = time.perf_counter() - before

    app = BrowseApp(db, launch=launch)
    display = app._display

    def timed_display(screen, renderable):
        display(screen, renderable)
        if renderable is not None:
            PAINTS.append(time.perf_counter())

    app._display = timed_display
    out = {}
    async with app.run_test(size=(160, 50)) as pilot:
        def shown():
            s = app.screen
            try:
                return isinstance(s, MainScreen) and s.table.total > 0 and s.table.row_at(0)
            except Exception:  # not mounted yet
                return False

        while not shown():
            await asyncio.sleep(0.0002)
        out["first_rows_s"] = await next_paint(time.perf_counter()) - T0
        out["first_rows_cpu_s"] = time.process_time()  # all threads, this process
        out["import_s"] = imported
        screen = app.screen
        table = screen.table
        out["total"] = table.total

        def detail_shown():
            d = screen.detail.detail
            sel = table.selected
            return sel is not None and d is not None and d.exchange_id == sel["exchange_id"]

        while not detail_shown():
            await asyncio.sleep(0.001)
        await pilot.pause(0.2)

        async def move(action) -> float:
            start = time.perf_counter()
            action()  # what the key binding runs
            while not detail_shown():
                await asyncio.sleep(0.0002)
            painted = await next_paint(time.perf_counter())
            await pilot.pause(0.05)
            return painted - start

        out["move_ms"] = [1000 * await move(lambda: table.action_cursor(1)) for _ in range(moves)]
        out["end_ms"] = 1000 * await move(table.action_last)
        out["pageup_ms"] = [1000 * await move(lambda: table.action_page(-1)) for _ in range(10)]
        out["pages_held"] = table.pages_held

        from dataclasses import replace

        async def relist(spec) -> float:
            start = time.perf_counter()
            screen.load_list(spec)
            while screen.spec != spec or (table.total and table.row_at(0) is None):
                await asyncio.sleep(0.0002)
            return await next_paint(time.perf_counter()) - start

        base = screen.spec
        sorts, filters = json.loads(sys.argv[3])
        out["sort_ms"] = {k: 1000 * await relist(replace(base, sort=k)) for k in sorts}
        out["filter_ms"] = {w: 1000 * await relist(replace(base, where=w)) for w in filters}
    # VmHWM is this program's own peak: ru_maxrss survives exec, so a child started by a
    # parent that had just generated the database (600 MB) reported the parent's size.
    try:
        hwm = [s for s in open("/proc/self/status") if s.startswith("VmHWM:")][0]
        out["peak_rss_mb"] = int(hwm.split()[1]) / 1024
    except (OSError, IndexError):
        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out

print(json.dumps(asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))))
"""


def generate(db: Path, exchanges: int, per: int) -> None:
    """bench_store's database (its list columns filled, its models priced), with items."""
    from addon.store.db import open_for_write
    from tests.bench.bench_store import big_database

    big_database(db, exchanges, per)
    conn = open_for_write(db)
    start = time.perf_counter()
    for statement in filter(str.strip, ITEMS.split(";")):
        conn.execute(statement)
    conn.execute("CHECKPOINT")
    conn.close()
    print(f"and {2 * exchanges:,} items in {time.perf_counter() - start:.1f} s")


def run_child(db: Path, moves: int, pycache: Path | None) -> dict[str, object]:
    # Bytecode as an installed package has it: compiled once into a cache of our own (an
    # environment with PYTHONDONTWRITEBYTECODE and no bytecode compiles Textual at every start;
    # --as-is measures that).
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if pycache is not None:
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(db), str(moves), json.dumps([SORTS, FILTERS])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exchanges", type=int, default=1_000_000)
    parser.add_argument("--events-per-exchange", type=int, default=50)
    parser.add_argument("--db", type=Path, help="use this generated database (kept)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--moves", type=int, default=30)
    parser.add_argument(
        "--as-is", action="store_true", help="keep this environment's bytecode settings"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="respdeck-bench-tui-") as tmp:
        db = args.db or Path(tmp) / "big.duckdb"
        if not db.exists():
            generate(db, args.exchanges, args.events_per_exchange)
        print(f"cores: {os.cpu_count()}, database {db}, {args.runs} run(s) after a warm-up")
        pycache = None if args.as_is else Path(tmp) / "pycache"
        run_child(db, 3, pycache)  # compiles the bytecode, warms the file cache
        runs = [run_child(db, args.moves, pycache) for _ in range(args.runs)]
    first = min(float(r["first_rows_s"]) for r in runs)  # type: ignore[arg-type]
    moves = [m for r in runs for m in r["move_ms"]]  # type: ignore[attr-defined]
    best_run = min(runs, key=lambda r: statistics.median(r["move_ms"]))  # type: ignore[arg-type]
    median = statistics.median(best_run["move_ms"])  # type: ignore[arg-type]
    p90 = statistics.quantiles(best_run["move_ms"], n=10)[-1]  # type: ignore[arg-type]
    end = min(float(r["end_ms"]) for r in runs)  # type: ignore[arg-type]
    pageup = min(statistics.median(r["pageup_ms"]) for r in runs)  # type: ignore[arg-type]
    peak = max(float(r["peak_rss_mb"]) for r in runs)  # type: ignore[arg-type]
    print(f"rows: {runs[0]['total']:,}; pages held at the end: {runs[0]['pages_held']}")
    best = min(runs, key=lambda r: float(r["first_rows_s"]))  # type: ignore[arg-type]
    print(f"start to first screen of rows: best {first:.2f} s = {first / 1.0:.2f}x the 1 s target")
    print(
        f"  of which importing Textual and the app: {float(best['import_s']):.2f} s; CPU time "  # type: ignore[arg-type]
        f"used by then (all threads): {float(best['first_rows_cpu_s']):.2f} s"  # type: ignore[arg-type]
    )
    print(
        f"move one row and show the detail: median {median:.1f} ms, p90 {p90:.1f} ms "
        f"(best run; all runs: min {min(moves):.1f}, max {max(moves):.1f}) = "
        f"{median / 50:.2f}x the 50 ms target"
    )
    print(f"page up and show the detail: median {pageup:.1f} ms")
    print(f"jump to the last row (OFFSET {runs[0]['total'] - 100:,}) and show it: {end:.0f} ms")
    for kind, keys in (("sort_ms", SORTS), ("filter_ms", FILTERS)):
        for key in keys:
            best_ms = min(float(r[kind][key]) for r in runs)  # type: ignore[index]
            print(f"{kind[:-3]} by {key}, first screen shown: best {best_ms:.0f} ms (target 1 s)")
    per_run = ", ".join(f"{float(r['peak_rss_mb']):.0f}" for r in runs)  # type: ignore[arg-type]
    print(f"peak memory: {peak:.0f} MB = {peak / 300:.2f}x the 300 MB target (runs: {per_run} MB)")


if __name__ == "__main__":
    main()
