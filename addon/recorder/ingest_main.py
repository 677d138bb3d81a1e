"""The ingester process: `python -m addon.recorder.ingest_main`.

Started by `respdeck record` (or by the addon under a plain `mitmdump -s`), it holds the
database, stores the journal as it grows, and stops once its stdin closes and the journal is
stored to the end. It warms up, then gives way to the proxy (background priority).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

    from .ingest import Ingester

log = logging.getLogger("respdeck")

# The parser and the store are imported in the process that runs `main`, not by `spawn`'s
# callers: the mitmproxy addon must not load openai's models or DuckDB for this.

RETRY_INTERVAL = 2.0  # seconds between attempts to open a database another program holds
# Once the proxy has stopped, how long a team store that went away is waited for before the
# ingester exits, leaving the rest in the journal for the next `respdeck record`.
STOP_GRACE = 10.0


BACKGROUND_NICE = 10
DUCKDB_THREADS = 2  # at most: small batched inserts and live reads need no more
DUCKDB_MEMORY = "256MB"  # DuckDB's default is 80% of the machine's memory


def spawn(
    db: Path, journal: Path, run: str, *, upstream: str | None = None, status: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start the ingester process. In its own session: Ctrl-C in the terminal stops the proxy,
    not it, and its priority is its own. It stops once its stdin closes and it has stored the
    journal to the end."""
    args = [sys.executable, "-m", "addon.recorder.ingest_main", "--db", str(db),
            "--journal", str(journal), "--run", run]  # fmt: skip
    if upstream:
        args += ["--upstream", upstream]
    if status is not None:
        args += ["--status", str(status)]
    return subprocess.Popen(args, stdin=subprocess.PIPE, start_new_session=True)


def wait_for_eof(fd: int = 0) -> None:
    """Block until the pipe on `fd` closes (the parent exited, even by kill -9).

    Reads the raw descriptor, not `sys.stdin.buffer`: a daemon thread blocked in a buffered
    read holds the buffer's lock, and an interpreter exiting meanwhile dies with "Fatal Python
    error: _enter_buffered_busy". An unreadable descriptor counts as closed.
    """
    with contextlib.suppress(OSError):
        while os.read(fd, 65536):
            pass


def background_priority() -> None:
    """Give way to the proxy, its clients and the upstream when the CPU is contended.

    Called once the ingester is warm (database open, parser models built: seconds of CPU that
    must not crawl at low priority). The process's threads, DuckDB's workers included, and,
    since Linux's autogroup scheduling weighs sessions against each other, its session (the
    ingester runs in its own) are lowered. Moderately: under load the journal holds what is
    not stored yet, and the ingester must still keep up with any sustainable traffic.
    """
    with contextlib.suppress(OSError, AttributeError):
        for tid in os.listdir("/proc/self/task"):
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, int(tid), BACKGROUND_NICE)
    with contextlib.suppress(OSError):
        Path("/proc/self/autogroup").write_text(str(BACKGROUND_NICE))


def bound_duckdb(conn: duckdb.DuckDBPyConnection) -> None:
    """Keep the ingester small beside the proxy: DuckDB would otherwise start a worker per
    core and let its buffers grow to most of the machine's memory. Past the limit it spills
    to its temporary folder beside the database."""
    threads = min(os.cpu_count() or 1, DUCKDB_THREADS)
    conn.execute(f"SET threads = {threads}; SET memory_limit = '{DUCKDB_MEMORY}'")


def warm_up() -> None:
    """Parse one small stream, so openai's models are built before real traffic arrives."""
    from addon.wire.exchange import Exchange, HttpRequest, HttpResponse
    from addon.wire.parse import parse_exchange

    events = [
        {"type": "response.created", "response": {"id": "resp_warm", "object": "response",
         "created_at": 0, "status": "in_progress", "model": "m", "output": [], "tools": [],
         "tool_choice": "auto", "parallel_tool_calls": True}},
        {"type": "response.output_item.added", "output_index": 0, "item": {"type": "message",
         "id": "msg_warm", "role": "assistant", "status": "in_progress", "content": []}},
        {"type": "response.output_text.delta", "item_id": "msg_warm", "output_index": 0,
         "content_index": 0, "delta": "hi", "logprobs": []},
    ]  # fmt: skip
    body = "".join(f"data: {json.dumps(e)}\n\n" for e in events).encode()
    request = HttpRequest("POST", "http://warm/v1/responses", [], b'{"model":"m","stream":true}')
    parse_exchange(
        Exchange(request, HttpResponse(200, [("content-type", "text/event-stream")], body))
    )


def main(argv: list[str] | None = None) -> int:
    """The ingester process (of `respdeck record`, or of a mitmdump script run): store the
    journal until stdin closes, then the rest of it, and exit."""
    parser = argparse.ArgumentParser(prog="python -m addon.recorder.ingest")
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--journal", type=Path, required=True)
    parser.add_argument("--run", required=True)
    parser.add_argument("--upstream")
    parser.add_argument("--status", type=Path, help="write counters here (JSON), for a parent")
    args = parser.parse_args(argv)
    from .ingest import STATUS_INTERVAL, Ingester
    from .ingest_status import write_stats

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the proxy's Ctrl-C: finish storing first
    ingester = Ingester(args.db, args.journal, args.run, upstream=args.upstream)
    stats = ingester.stats
    stop = threading.Event()

    def wait_for_parent() -> None:
        wait_for_eof()  # the proxy exited (or was killed)
        stop.set()

    def report() -> None:
        while not stop.wait(STATUS_INTERVAL):
            write_stats(args.status, stats)

    threading.Thread(target=wait_for_parent, daemon=True).start()
    if args.status:
        threading.Thread(target=report, daemon=True).start()
    # A database held by another program (a reader with the file open, say) may free up:
    # until then the journal keeps everything, and it is stored once the file opens.
    said = False
    while not ingester.open():
        stats.state = "failed"
        if args.status:
            write_stats(args.status, stats)
        elif not said:
            said = True
            print(
                f"respdeck: cannot store: {stats.db_error}; exchanges are kept in "
                f"{args.journal} and stored as soon as the database can be opened",
                file=sys.stderr,
            )
        if stop.wait(RETRY_INTERVAL):
            return 3
    stats.db_error = None
    assert ingester.conn is not None
    bound_duckdb(ingester.conn)
    warm_up()
    background_priority()
    stats.state = "storing"
    if args.status:
        write_stats(args.status, stats)
    try:
        store_journal(
            ingester, stop, lambda: write_stats(args.status, stats) if args.status else None
        )
    finally:
        try:
            ingester.close()
        finally:
            ingester.release()
        stats.state = "done"
        if args.status:
            write_stats(args.status, stats)
    return 0


def store_journal(ingester: Ingester, stop: threading.Event, publish: Callable[[], None]) -> None:
    """Catch up, then follow the current run. A team store that goes away (PostgreSQL
    stopped, the network gone) is reconnected every RETRY_INTERVAL while the proxy goes on
    journaling; then the journal is stored from where the store's commits end, so nothing
    is lost or stored twice. Once the proxy has stopped it is waited for STOP_GRACE more."""
    from .ingest import StoreLost

    stats = ingester.stats
    while True:
        try:
            ingester.catch_up()
            ingester.follow(stop)
            return
        except StoreLost as exc:
            ingester.drop()
            stats.db_error, stats.state = str(exc), "failed"
            stats.retries += 1
            publish()
            log.warning("respdeck: the team store went away (%s); the journal keeps it all", exc)
        stopped_at: float | None = None
        while not ingester.open():
            publish()
            if stop.is_set():
                stopped_at = stopped_at or time.monotonic()
                if time.monotonic() - stopped_at >= STOP_GRACE:
                    return
                time.sleep(RETRY_INTERVAL)
            else:
                stop.wait(RETRY_INTERVAL)
        assert ingester.conn is not None
        bound_duckdb(ingester.conn)
        stats.state = "storing"
        publish()


if __name__ == "__main__":
    sys.exit(main())
