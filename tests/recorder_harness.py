"""End-to-end harness: a real `respdeck record` process (mitmdump inside) and its database.

Every wait here is on progress (tests/waiting.py): the ingester's and the proxy's counters,
the journal and log growing, the recorder's processes burning CPU.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import duckdb

from addon.ports import free_port
from addon.recorder.ingest_status import IngestStats, read_stats
from tests.waiting import scaled, wait_exit, wait_until

ROOT = Path(__file__).resolve().parents[1]
__all__ = ["ROOT", "Recorder", "free_port", "lit", "read_db", "tree_cpu"]

CPU_STEP = 2.0  # seconds of CPU that count as progress: an idle process never burns that


def lit(value: object) -> str:
    """`value` as a SQL literal: exchange ids are integers now and UUID strings soon."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def descendants(pid: int) -> list[int]:
    """`pid`'s live descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by `pid` and its descendants."""
    ticks = 0
    for p in [pid, *descendants(pid)]:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{p}/stat").read_text().rpartition(")")[2].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


class Recorder:
    """`respdeck record` as a subprocess; `base_url` is what a client points at."""

    def __init__(self, upstream: str, db: Path, *extra: str, port: int | None = None) -> None:
        self.upstream, self.db, self.extra = upstream, db, extra
        self.fixed_port = port is not None
        self.port = port or free_port()
        self.log = db.with_suffix(".log")
        self.journal = db.with_name(db.name + ".journal")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def args(self) -> list[str]:
        return [
            sys.executable, "-m", "inspector", "record", "--port", str(self.port),
            "--upstream", self.upstream, "--db", str(self.db), *self.extra,
        ]  # fmt: skip

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout: float = 60) -> Recorder:
        """Start, and wait until it says it listens (and does). A free port another program
        took meanwhile (tests run in parallel) is traded for another one."""
        for _ in range(3):
            if self._start(timeout):
                return self
            self.port = free_port()
        raise AssertionError(f"respdeck record found no free port: {self.output()}")

    def _start(self, timeout: float) -> bool:
        self._log = self.log.open("ab")
        mark = self.log.stat().st_size
        self.process = subprocess.Popen(
            self.args, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, env=os.environ.copy()
        )
        process = self.process

        def listening() -> bool | None:
            said = self.log.read_bytes()[mark:].decode(errors="replace")
            if process.poll() is not None:
                if not self.fixed_port and f"cannot listen on 127.0.0.1:{self.port}" in said:
                    return None  # the port was taken under us
                raise AssertionError(f"respdeck record exited: {self.output()}")
            if "Ctrl-C to stop." not in said:  # printed once mitmdump listens
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return True
            except OSError:
                return False

        started = wait_until(
            listening, lambda up: up is not False, timeout=timeout, progress=self.progress,
            what=lambda _: f"respdeck record did not listen: {self.output()}",
        )  # fmt: skip
        if started is None:
            self._log.close()
        return bool(started)

    def stop(self, timeout: float = 120) -> int:
        """Ctrl-C, and its exit code once it has stored the journal (waited on progress)."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return wait_exit(
                self.process, timeout=timeout, progress=self.progress,
                what=lambda: f"respdeck record did not stop: {self.output()}",
            )  # fmt: skip
        finally:
            self._log.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def state(self) -> str:
        """What a timed-out wait says last: both processes' counters and the journal's files."""
        files = []
        for path in sorted(self.journal.rglob("*")):
            with contextlib.suppress(OSError):  # removed while we looked
                if path.is_file():
                    files.append(f"{path.relative_to(self.journal)} {path.stat().st_size}")
        return f"ingester: {self.stats()}\nproxy: {self.proxy_status()}\njournal: {files}"

    def stats(self) -> IngestStats | None:
        """The ingester's counters (its `<run>.ingest.json`), None before it wrote any."""
        files = sorted(self.journal.glob("*.ingest.json"))
        return read_stats(files[-1]) if files else None

    def proxy_status(self) -> dict[str, Any]:
        """The proxy's counters (its `<run>.status.json`), {} before it wrote any."""
        files = sorted(self.journal.glob("*.status.json"))
        with contextlib.suppress(OSError, ValueError):
            if files:
                return dict(json.loads(files[-1].read_text()))
        return {}

    def ingester_pid(self) -> int | None:
        if self.process is None:
            return None
        for pid in descendants(self.process.pid):
            with contextlib.suppress(OSError):
                if b"addon.recorder.ingest_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return pid
        return None

    def progress(self) -> Hashable:
        """Anything that moves while the recorder works: counters, file sizes, CPU burnt."""
        stats = self.stats()
        counters = (
            (stats.exchanges, stats.events, stats.journaled_seen, stats.caught_up, stats.state)
            if stats
            else None
        )
        sizes = []
        for path in (self.log, *self.journal.glob("*.rdj*"), *self.journal.glob("*/*.rdj")):
            with contextlib.suppress(OSError):
                sizes.append((path.name, path.stat().st_size))
        cpu = tree_cpu(self.process.pid) if self.process is not None else 0.0
        proxy = tuple(sorted(self.proxy_status().items()))
        return counters, proxy, tuple(sorted(sizes)), int(cpu // CPU_STEP)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Read the database through the one read interface: the recorder's live server while
        it runs (joins run whole there, as for `respdeck sql`), else the file."""
        from addon.store.reader import Reader

        with Reader.open(self.db) as reader:
            return reader.fetchall(sql)

    def wait_for(
        self,
        sql: str,
        ok: Callable[[list[tuple[Any, ...]]], bool],
        timeout: float = 60,
        retry_on: tuple[type[BaseException], ...] = (),
    ) -> list[tuple[Any, ...]]:
        """Rows of `sql` once `ok` holds; fails after `timeout` (scaled) without progress."""
        return wait_until(
            lambda: self.query(sql), ok, timeout=timeout, progress=self.progress,
            retry_on=retry_on, what=lambda _: f"{sql}\n{self.output()}\n{self.state()}",
        )  # fmt: skip

    def wait_stats(self, ok: Callable[[IngestStats], bool], timeout: float = 60) -> IngestStats:
        """The ingester's counters once `ok` holds (waited on progress)."""
        found = wait_until(
            self.stats, lambda s: s is not None and ok(s), timeout=timeout,
            progress=self.progress, what=lambda s: f"{s}\n{self.output()}",
        )  # fmt: skip
        assert found is not None
        return found


def run(args: list[str], timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """subprocess.run with text output and a (scaled) timeout."""
    return subprocess.run(args, capture_output=True, text=True, timeout=scaled(timeout), **kwargs)


def read_db(db: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()
