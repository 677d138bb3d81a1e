"""Live reading across real processes: one holds and serves the database, others read it."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from addon.store.db import open_for_read, open_for_write
from addon.store.live import LiveServer, connect_live, discovery_path, load_extensions
from addon.store.migrations import LATEST
from tests.conftest import RECORDINGS
from tests.waiting import Lines, wait_until

ROOT = Path(__file__).resolve().parents[1]

# Holds the database, serves it, and adds a capture every 100 ms until it is killed; after
# each one is committed it prints how many it has added, so a test waits on that, not a clock.
WRITER = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from addon.store import ids
from addon.store.db import open_for_write
from addon.store.live import LiveServer
path = Path(sys.argv[1])
conn = open_for_write(path)
server = LiveServer.start(conn, path)
print(server.uri, flush=True)
n = 0
while True:
    conn.execute("INSERT INTO captures (capture_id, mode, started_at) VALUES (?, 'record', ?)",
                 [ids.new_capture_id(), datetime.now(UTC)])
    n += 1
    print(n, flush=True)
    time.sleep(0.1)
"""

SERVE = """
import sys
from inspector.commands.serve import serve
serve.main(["--db", sys.argv[1]], standalone_mode=False)
"""


def spawn(script: str, db: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


_LINES: dict[int, Lines[str]] = {}


def lines_of(proc: subprocess.Popen[str]) -> Lines[str]:
    """One reader thread per process's stdout, so every wait for a line has a deadline."""
    assert proc.stdout is not None
    if proc.pid not in _LINES:
        _LINES[proc.pid] = Lines(proc.stdout)
    return _LINES[proc.pid]


def wait_served(proc: subprocess.Popen[str], db: Path, seconds: float = 60) -> str:
    """The first line the server prints, once its discovery file is in place."""
    line = lines_of(proc).next(seconds)
    assert line, proc.stderr.read() if proc.stderr else ""
    wait_until(
        lambda: discovery_path(db).exists() or proc.poll() is not None,
        timeout=seconds, what="the discovery file",
    )  # fmt: skip
    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    return line


def wait_written(proc: subprocess.Popen[str], count: int) -> None:
    """Until the WRITER says it has committed ``count`` captures (its lines after the uri)."""
    while True:
        line = lines_of(proc).next(60)
        assert line, proc.stderr.read() if proc.stderr else "the writer stopped"
        if int(line) >= count:
            return


def finish(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=10)


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    db = tmp_path / "live.duckdb"
    proc = spawn(WRITER, db)
    try:
        wait_served(proc, db)
        yield proc, db
    finally:
        finish(proc)


def count_live(db: Path) -> int:
    conn = connect_live(db)
    assert conn is not None
    try:
        row = conn.execute("SELECT count(*) FROM captures").fetchone()
        assert row is not None
        return int(row[0])
    finally:
        conn.close()


def test_reader_sees_rows_grow_while_writer_holds_the_file(
    writer: tuple[subprocess.Popen[str], Path],
) -> None:
    proc, db = writer
    with pytest.raises(duckdb.IOException, match="lock"):
        duckdb.connect(str(db), read_only=True)  # the file itself is locked: live is the way in
    first = count_live(db)
    wait_written(proc, first + 5)
    assert count_live(db) >= first + 5
    # One connection, kept open, sees new rows too (no stale snapshot).
    conn = connect_live(db)
    assert conn is not None
    try:
        (before,) = conn.execute("SELECT count(*) FROM captures").fetchone() or (0,)
        wait_written(proc, before + 2)
        (after,) = conn.execute("SELECT count(*) FROM captures").fetchone() or (0,)
        assert after >= before + 2, (before, after)
        assert conn.execute("SELECT max(version) FROM schema_version").fetchone() == (LATEST,)
        with pytest.raises(duckdb.Error, match="read-only"):
            conn.execute(
                "INSERT INTO captures (capture_id, mode, started_at) VALUES (uuid(), 'x', now())"
            )
    finally:
        conn.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_discovery_file_is_private_and_removed_on_signal(
    tmp_path: Path, sig: signal.Signals
) -> None:
    db = tmp_path / "served.duckdb"
    proc = spawn(SERVE, db)
    try:
        line = wait_served(proc, db)
        assert line.startswith(f"serving {db} on quack:127.0.0.1:"), line
        found = discovery_path(db)
        assert stat.S_IMODE(found.stat().st_mode) == 0o600
        info = json.loads(found.read_text())
        assert info["pid"] == proc.pid and info["db"] == str(db.resolve())
        assert set(info) == {"uri", "url", "token", "pid", "started_at", "db"}
        assert count_live(db) == 0
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0, proc.stderr.read() if proc.stderr else ""
        assert not found.exists()
        assert connect_live(db) is None
        open_for_read(db).close()  # released and checkpointed: the file opens again
    finally:
        finish(proc)


def dead_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(proc.stdout)


def write_discovery(path: Path, /, **fields: object) -> None:
    info = {
        "uri": "quack:127.0.0.1:9",
        "url": "http://127.0.0.1:9",
        "token": "abcd",
        "pid": os.getpid(),
        "started_at": "2026-01-01T00:00:00+00:00",
        "db": str(path.resolve()),
    }
    discovery_path(path).write_text(json.dumps({**info, **fields}))


def test_stale_or_garbled_discovery_file_is_absent(tmp_path: Path) -> None:
    db = tmp_path / "stale.duckdb"
    assert connect_live(db) is None  # no file at all
    write_discovery(db, pid=dead_pid())
    assert connect_live(db) is None
    for garbage in ["", "{", "[]", '{"uri": 1}', "\x00\xff"]:
        discovery_path(db).write_text(garbage)
        assert connect_live(db) is None
    write_discovery(db, db=str(tmp_path / "other.duckdb"))  # copied from elsewhere
    assert connect_live(db) is None


def test_a_live_server_is_refused_for_a_dead_pid_or_another_database(
    writer: tuple[subprocess.Popen[str], Path],
) -> None:
    """Against a server that answers, only the check under test can say no."""
    _, db = writer
    original = discovery_path(db).read_text()
    info = json.loads(original)
    try:
        assert count_live(db) >= 0  # the control: the real file connects
        write_discovery(db, **{**info, "pid": dead_pid()})
        assert connect_live(db) is None
        write_discovery(db, **{**info, "db": str(db.with_name("other.duckdb").resolve())})
        assert connect_live(db) is None
    finally:
        discovery_path(db).write_text(original)
    restored = connect_live(db)
    assert restored is not None
    restored.close()


def test_server_that_never_answers_gives_none_quickly(tmp_path: Path) -> None:
    db = tmp_path / "silent.duckdb"
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        write_discovery(db, uri=f"quack:127.0.0.1:{silent.getsockname()[1]}")
        started = time.monotonic()
        assert connect_live(db, timeout=1.0) is None
        assert time.monotonic() - started < 3


def test_wrong_token_is_refused(writer: tuple[subprocess.Popen[str], Path]) -> None:
    _, db = writer
    uri = json.loads(discovery_path(db).read_text())["uri"]
    conn = duckdb.connect()
    try:
        load_extensions(conn)
        with pytest.raises(duckdb.Error, match="Authentication failed"):
            conn.execute(f"ATTACH '{uri}' AS live (READ_ONLY, DISABLE_SSL true, TOKEN 'wrong')")
            conn.execute("SELECT count(*) FROM live.captures").fetchall()
        with pytest.raises(duckdb.Error):
            conn.execute(f"ATTACH '{uri}' AS live2 (READ_ONLY, DISABLE_SSL true)")  # no token
    finally:
        conn.close()
    info = json.loads(discovery_path(db).read_text())
    write_discovery(db, **{**info, "token": "wrong-token"})
    assert connect_live(db) is None


def test_start_replaces_a_stale_file_and_stop_removes_only_ours(tmp_path: Path) -> None:
    db = tmp_path / "inproc.duckdb"
    write_discovery(db, pid=dead_pid())
    conn = open_for_write(db)
    try:
        with LiveServer.start(conn, db) as server:
            info = json.loads(discovery_path(db).read_text())
            assert info["pid"] == os.getpid() and info["uri"] == server.uri
            reader = connect_live(db)
            assert reader is not None
            reader.close()
        assert not discovery_path(db).exists()
        server = LiveServer.start(conn, db)
        write_discovery(db, pid=dead_pid())  # someone else's file now: left alone
        server.stop()
        server.stop()  # twice is fine
        assert discovery_path(db).exists()
    finally:
        conn.close()


def test_sql_reads_a_served_database_live_and_names_a_holder_that_does_not_serve(
    tmp_path: Path,
) -> None:
    """`respdeck sql` goes through the live server; a plain holder gets a one-line message."""
    db = tmp_path / "live.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "inspector", "import", str(RECORDINGS), "--db", str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    server = subprocess.Popen(
        [sys.executable, "-m", "inspector", "serve", "--db", str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_served(server, db, seconds=30)
        query = subprocess.run(
            [
                sys.executable,
                "-m",
                "inspector",
                "sql",
                "SELECT count(*) AS n FROM exchanges",
                "--db",
                str(db),
                "--format",
                "json",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert query.returncode == 0, query.stderr
        assert query.stdout.strip() == '{"n": 32}'

        def respdeck(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "inspector", *args, "--db", str(db)],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )

        # Joins run whole on the server (Quack refuses two remote scans in one query).
        join = (
            "SELECT count(*) AS n FROM exchanges e JOIN items i USING (exchange_id) "
            "WHERE i.type = 'function_call'"
        )
        joined = respdeck("sql", join, "--format", "json")
        assert joined.returncode == 0 and joined.stdout.strip() == '{"n": 7}', joined.stderr
        usage = respdeck("usage", "--by", "thread", "--since", "2020-01-01")
        assert usage.returncode == 0 and "TOTAL" in usage.stdout, usage.stderr
        check = respdeck("check")
        assert check.returncode == 0 and "no_terminal_event" in check.stdout, check.stderr
        refused = respdeck("sql", "DELETE FROM exchanges")
        assert refused.returncode == 2 and "one single SELECT" in refused.stderr
        assert respdeck("sql", "SELECT count(*) FROM exchanges").stdout.split()[-3] == "32"
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
            "print('held', flush=True); time.sleep(30)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert (Lines(holder.stdout).next(60) or "").strip() == "held"
        query = subprocess.run(
            [sys.executable, "-m", "inspector", "sql", "SELECT 1", "--db", str(db)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert query.returncode == 2
        lines = query.stderr.strip().splitlines()
        assert len(lines) == 1 and f"PID {holder.pid}" in lines[0], query.stderr
    finally:
        holder.kill()
        holder.wait()


def test_respdeck_sql_sees_new_rows_while_another_process_inserts(
    writer: tuple[subprocess.Popen[str], Path],
) -> None:
    proc, db = writer

    def count() -> int:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "inspector",
                "sql",
                "SELECT count(*) AS n FROM captures",
                "--db",
                str(db),
                "--format",
                "json",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return int(json.loads(done.stdout)["n"])

    first = count()
    wait_written(proc, first + 1)
    assert count() > first
