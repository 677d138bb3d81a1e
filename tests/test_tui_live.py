"""The browser on a database another process holds and serves (as the recorder does)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from addon.store.live import discovery_path
from inspector.tui.app import BrowseApp
from tests.test_tui_support import (
    RECORDINGS,
    SIZE,
    ready,
    run,
    seed,
    tab_text,
    wait_for,
)
from tests.waiting import Lines, wait_until

ROOT = Path(__file__).resolve().parents[1]

# Holds the database, serves it live, and writes what it is told on stdin, one line each:
#   import PATH              import a recording
#   begin ID                 an exchange still streaming (partial, no items yet)
#   delta ID IDX TEXT        one more output_text delta event of that exchange
WRITER = """
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from addon.store.db import open_for_write
from addon.store.importer import import_paths
from addon.store.live import LiveServer
path = Path(sys.argv[1])
conn = open_for_write(path)
server = LiveServer.start(conn, path)
columns = dict(conn.execute(
    "SELECT column_name, data_type FROM information_schema.columns "
    "WHERE table_name = 'exchanges'").fetchall())

def ident(name):
    # the exchange id a test's name stands for, as the schema's ids are (UUID or BIGINT)
    if columns["exchange_id"] == "UUID":
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "respdeck-test:" + name))
    return int(name)

print("serving", flush=True)
for line in sys.stdin:
    cmd, *args = line.rstrip("\\n").split(" ", 3)
    if cmd == "import":
        import_paths(conn, [Path(args[0])])
    elif cmd == "begin":
        seq = ", seq" if "seq" in columns else ""
        conn.execute(
            f"INSERT INTO exchanges (exchange_id, capture_id, position{seq}, started_at, "
            "endpoint, method, path, status, streamed, aborted, partial, model) SELECT ?, "
            f"capture_id, 999{', 999' if seq else ''}, ?, 'responses.create', 'POST', "
            "'/v1/responses', 200, true, false, true, 'gpt-4.1-mini-2025-04-14' "
            "FROM captures LIMIT 1", [ident(args[0]), datetime.now(UTC)])
    elif cmd == "delta":
        conn.execute(
            "INSERT INTO events (exchange_id, idx, t_ms, type, output_index, content_index, "
            "delta, from_client, raw) VALUES (?, ?, ?, 'response.output_text.delta', 0, 0, ?, "
            "false, '{}')", [ident(args[0]), int(args[1]), 100.0 * int(args[1]), args[2]])
    print("done", flush=True)
server.stop()
"""


class Writer:
    def __init__(self, db: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.lines = Lines(self.proc.stdout)  # every wait for a line has a deadline
        line = self.lines.next(60) or ""
        assert line.strip() == "serving", self.proc.stderr.read() if self.proc.stderr else ""
        wait_until(lambda: discovery_path(db).exists(), timeout=60, what="the discovery file")

    def send(self, command: str) -> float:
        """Run one command; returns when it was committed (time.monotonic())."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        assert (self.lines.next(60) or "").strip() == "done", self.proc.stderr
        return time.monotonic()

    def close(self) -> None:
        """Stop it as its end of input does (it stops serving and exits)."""
        try:
            self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate(timeout=60)


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[tuple[Writer, Path]]:
    db = seed(
        tmp_path / "live.duckdb",
        [
            p
            for p in sorted(RECORDINGS.iterdir())
            if p.suffix in (".har", ".yaml", ".sse") and p.name != "stream_text.har"
        ],
    )
    proc = Writer(db)
    try:
        yield proc, db
    finally:
        proc.close()


def test_new_exchanges_appear_while_browsing(writer: tuple[Writer, Path]) -> None:
    proc, db = writer

    async def scenario() -> None:
        app = BrowseApp(db)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, 31)
            assert screen.store.live and "(live)" in screen.sub_title
            await pilot.press("down")  # away from the top: the selection must stay put
            await wait_for(pilot, lambda: screen.table.cursor == 1)
            selected = screen.table.selected["exchange_id"]  # type: ignore[index]
            proc.send(f"import {RECORDINGS / 'stream_text.har'}")
            await wait_for(pilot, lambda: screen.table.total == 32)
            await wait_for(pilot, lambda: screen.table.selected is not None)
            assert screen.table.selected["exchange_id"] == selected  # type: ignore[index]

    run(scenario)


def test_a_stream_in_progress_shows_its_text_growing(writer: tuple[Writer, Path]) -> None:
    proc, db = writer

    async def scenario() -> None:
        app = BrowseApp(db)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, 31)
            proc.send("begin 500")
            proc.send("delta 500 0 Once upon")
            await wait_for(pilot, lambda: screen.table.total == 32)
            await pilot.press("home")
            await wait_for(pilot, lambda: screen.table.cursor == 0)
            try:
                await wait_for(pilot, lambda: "Once upon" in tab_text(screen, "conversation"))
            except AssertionError:
                print(
                    screen.table.selected,
                    screen.detail.detail and screen.detail.detail.exchange_id,
                    tab_text(screen, "conversation"),
                )
                raise
            assert "in progress" in tab_text(screen, "conversation")
            proc.send("delta 500 1  a time")
            await wait_for(pilot, lambda: "Once upon a time" in tab_text(screen, "conversation"))

    run(scenario)


def test_the_recorder_stopping_falls_back_to_the_file(writer: tuple[Writer, Path]) -> None:
    proc, db = writer

    async def scenario() -> None:
        app = BrowseApp(db)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, 31)
            proc.close()  # the holder exits: its server goes away with it
            await wait_for(pilot, lambda: not screen.store.live)
            await wait_for(pilot, lambda: screen.table.total == 31)
            assert "(live)" not in screen.sub_title

    run(scenario)
