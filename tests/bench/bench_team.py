"""Benchmark the team store: W writers x N exchanges of 30 events into one DuckLake on a local
PostgreSQL, against the same traffic into a local DuckDB file.

Run on demand (not part of the test suite); needs PostgreSQL's programs (initdb, pg_ctl):

    uv run python tests/bench/bench_team.py [--writers 4] [--exchanges 1000] [--rate 5]

Each writer is the recorder's own ingester process (`addon.recorder.ingest_main`: journal in,
batches of 50 exchanges or 1 s out, DuckLake's retries raised), each with its own journal.

- throughput: the journals are written beforehand (an earlier run to catch up on), the
  ingesters started together; exchanges/s from their start to the last exchange visible to a
  reader. Commit retries: commits respdeck tried again after DuckLake reported a conflict
  (`conflicts`), batches stored again from the journal (`retries`), and DuckLake's own
  retries, counted as the commit attempts PostgreSQL refused (its log's unique violations).
- end to visible: the journals are fed live, `--rate` exchanges/s per writer, as a proxy
  journals each exchange when it ends; a reader polls every 200 ms; the time from an
  exchange's record being appended to its row being visible to the reader (p50, p95, max).
- local: the same exchanges into a DuckDB file, which allows one writer: one ingester storing
  all the journals, read live through its Quack server.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from addon.recorder.ingest_main import spawn  # noqa: E402
from addon.recorder.ingest_status import IngestStats, read_stats  # noqa: E402
from addon.recorder.journal import JournalFile, run_name  # noqa: E402
from addon.store.reader import Reader  # noqa: E402
from addon.wire.exchange import Exchange, HttpRequest, HttpResponse, Timings  # noqa: E402
from tests.helpers import API, sse_body, text_stream  # noqa: E402
from tests.postgres_cluster import Cluster, find_binaries, running_cluster  # noqa: E402

EVENTS = 30  # per exchange: 4 opening events, 22 deltas, 3 closing, response.completed
POLL = 0.2  # a reader polling harder takes CPU the writers need (the TUI polls every 0.3 s)


def exchange(writer: int, n: int) -> Exchange:
    """A streamed create of EVENTS events, its response id naming writer and number."""
    events = text_stream([f"word{k} " for k in range(EVENTS - 8)])
    assert len(events) == EVENTS
    for event in events:
        if "response" in event:
            event["response"]["id"] = f"resp_bench_{writer}_{n}"
            event["response"]["model"] = "gpt-4.1-mini-2025-04-14"
    body = sse_body(events)
    request = {"model": "gpt-4.1-mini", "input": f"bench {writer} {n}", "stream": True}
    return Exchange(
        HttpRequest(
            "POST", f"{API}/responses", [("content-type", "application/json")],
            json.dumps(request).encode(),
        ),
        HttpResponse(200, [("content-type", "text/event-stream")], body, [(5.0, len(body))]),
        Timings(None, 5.0, 120.0),
    )  # fmt: skip


class Writer:
    """One ingester process with its own journal folder."""

    def __init__(self, db: Path, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.run = folder, run_name()
        self.status = folder / "ingest.json"
        self.process = spawn(db, folder, self.run, status=self.status)

    def stats(self) -> IngestStats:
        return read_stats(self.status) or IngestStats()

    def ready(self) -> bool:
        return self.stats().state != "opening"

    def stop(self) -> IngestStats:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=600)
        return self.stats()


def journal(folder: Path, writer: int, count: int, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"20200101T000000000000Z-{writer}.rdj")
    out = JournalFile(path)
    for n in range(count):
        out.append(exchange(writer, n))
    out.close()
    return path


def wait(condition: Callable[[], bool], timeout: float = 1800) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("bench_team: timed out")
        time.sleep(POLL)


def visible(reader: Reader) -> set[str]:
    return {str(r[0]) for r in reader.fetchall("SELECT response_id FROM exchanges")}


def throughput(db: Path, writers: int, count: int, folders: list[Path]) -> dict[str, Any]:
    """Start the writers on journals written beforehand; exchanges/s to all visible."""
    for w, folder in enumerate(folders):
        journal(folder, w, count)
    procs = [Writer(db, folder) for folder in folders]
    wait(lambda: all(p.ready() for p in procs))  # warm: database open, parser built
    started = time.monotonic()
    total = writers * count
    with Reader.open(db) as reader:
        wait(lambda: reader.fetchone("SELECT count(*) FROM exchanges") == (total,))
        elapsed = time.monotonic() - started
    finals = [p.stop() for p in procs]
    return {
        "exchanges": total,
        "seconds": round(elapsed, 2),
        "exchanges_per_s": round(total / elapsed, 1),
        "conflicts": sum(s.conflicts for s in finals),
        "retries": sum(s.retries for s in finals),
    }


def latency(db: Path, folders: list[Path], count: int, rate: float) -> dict[str, Any]:
    """Feed each writer's journal live at `rate`/s; end-to-visible times from a reader."""
    procs = [Writer(db, folder) for folder in folders]
    wait(lambda: all(p.ready() for p in procs))
    appended: dict[str, float] = {}
    seen: dict[str, float] = {}

    def feed(w: int, proc: Writer) -> None:
        out = JournalFile(proc.folder / proc.run)
        for n in range(count):
            item = exchange(w, 100_000 + n)
            appended[f"resp_bench_{w}_{100_000 + n}"] = time.monotonic()
            out.append(item)
            time.sleep(1 / rate)
        out.close()

    feeders = [threading.Thread(target=feed, args=(w, p)) for w, p in enumerate(procs)]
    with Reader.open(db) as reader:
        before = visible(reader)
        for feeder in feeders:
            feeder.start()
        want = len(procs) * count
        while len(seen) < want:
            now = time.monotonic()
            for response_id in visible(reader) - before - seen.keys():
                seen[response_id] = now
            time.sleep(POLL)
    for feeder in feeders:
        feeder.join()
    finals = [p.stop() for p in procs]
    lags = sorted(seen[k] - appended[k] for k in seen)
    return {
        "exchanges": want,
        "rate_per_writer": rate,
        "p50_ms": round(1000 * statistics.median(lags)),
        "p95_ms": round(1000 * lags[int(0.95 * (len(lags) - 1))]),
        "max_ms": round(1000 * lags[-1]),
        "conflicts": sum(s.conflicts for s in finals),
        "retries": sum(s.retries for s in finals),
    }


def refused_commits(cluster: Cluster) -> int:
    """Commit attempts PostgreSQL refused: DuckLake lost a race for the next snapshot id and
    tried again (its log says so, one line each)."""
    log = cluster.root / "log"
    text = log.read_text(errors="replace") if log.exists() else ""
    return text.count("duplicate key value violates unique constraint")


def local(root: Path, writers: int, count: int, rate: float) -> dict[str, Any]:
    """The same exchanges into one DuckDB file: one ingester stores every journal."""
    db = root / "local.duckdb"
    folder = root / "local-journal"
    for w in range(writers):
        journal(folder, w, count)
    proc = Writer(db, folder)
    wait(proc.ready)
    started = time.monotonic()
    total = writers * count
    wait(lambda: proc.stats().caught_up >= total)
    with Reader.open(db) as reader:
        wait(lambda: reader.fetchone("SELECT count(*) FROM exchanges") == (total,))
    elapsed = time.monotonic() - started
    appended: dict[str, float] = {}
    seen: dict[str, float] = {}
    with Reader.open(db) as reader:
        before = visible(reader)
        out = JournalFile(folder / proc.run)
        for n in range(count):  # one writer: each of the W feeds in turn, W x rate in all
            for w in range(writers):
                appended[f"resp_bench_{w}_{100_000 + n}"] = time.monotonic()
                out.append(exchange(w, 100_000 + n))
            deadline = time.monotonic() + 1 / rate
            while time.monotonic() < deadline:
                now = time.monotonic()
                for response_id in visible(reader) - before - seen.keys():
                    seen[response_id] = now
                time.sleep(POLL / 4)
        out.close()
        while len(seen) < writers * count:
            now = time.monotonic()
            for response_id in visible(reader) - before - seen.keys():
                seen[response_id] = now
            time.sleep(POLL)
    proc.stop()
    lags = sorted(seen[k] - appended[k] for k in seen)
    return {
        "exchanges": total,
        "seconds": round(elapsed, 2),
        "exchanges_per_s": round(total / elapsed, 1),
        "p50_ms": round(1000 * statistics.median(lags)),
        "p95_ms": round(1000 * lags[int(0.95 * (len(lags) - 1))]),
        "max_ms": round(1000 * lags[-1]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--exchanges", type=int, default=1000, help="per writer")
    parser.add_argument("--rate", type=float, default=5, help="exchanges/s per writer, live")
    parser.add_argument("--live", type=int, default=200, help="exchanges per writer, live")
    args = parser.parse_args()
    if find_binaries() is None:
        raise SystemExit("bench_team: PostgreSQL is not installed (initdb, pg_ctl)")
    with tempfile.TemporaryDirectory(prefix="respdeck-bench-team-") as tmp:
        root = Path(tmp)
        with running_cluster() as cluster:
            cluster.create_database("bench")
            db = Path(cluster.catalog("bench"))
            done = subprocess.run(
                [sys.executable, "-c", "from inspector.commands.init import init; init.main()",
                 "--db", str(db), "--data-path", str(root / "lake")],
                cwd=ROOT, capture_output=True, text=True,
            )  # fmt: skip
            if done.returncode != 0:
                raise SystemExit(f"bench_team: init failed: {done.stderr}")
            folders = [root / f"writer{w}" for w in range(args.writers)]
            team = throughput(db, args.writers, args.exchanges, folders)
            team["duckdb_retries"] = refused_commits(cluster)
            live = latency(db, folders, args.live, args.rate)
            live["duckdb_retries"] = refused_commits(cluster) - team["duckdb_retries"]
        alone = local(root, args.writers, args.exchanges, args.rate)
    report = {
        "writers": args.writers,
        "events_per_exchange": EVENTS,
        "team_store": team,
        "team_store_live": live,
        "duckdb_file": alone,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
