"""End-to-end harness: a real `respdeck record` process (mitmdump inside) and its database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from addon.ports import free_port

ROOT = Path(__file__).resolve().parents[1]


class Recorder:
    """`respdeck record` as a subprocess; `base_url` is what a client points at."""

    def __init__(self, upstream: str, db: Path, *extra: str, port: int | None = None) -> None:
        self.upstream, self.db = upstream, db
        self.port = port or free_port()
        self.log = db.with_suffix(".log")
        self.args = [
            sys.executable, "-m", "inspector", "record", "--port", str(self.port),
            "--upstream", upstream, "--db", str(db), *extra,
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout: float = 60) -> Recorder:
        self._log = self.log.open("ab")
        self.process = subprocess.Popen(
            self.args, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, env=os.environ.copy()
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"respdeck record exited: {self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"respdeck record did not listen: {self.output()}")

    def stop(self, timeout: float = 120) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout)
        self._log.close()
        return code

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Read the live database through the recorder's Quack server (as `respdeck sql` does)."""
        from addon.store.db import open_for_read
        from addon.store.live import read_query

        conn = open_for_read(self.db)
        try:
            if params:
                return conn.execute(sql, params).fetchall()
            return read_query(conn, sql).fetchall()  # joins run whole on the recorder
        finally:
            conn.close()

    def wait_for(
        self, sql: str, ok: Callable[[list[tuple[Any, ...]]], bool], timeout: float = 120
    ) -> list[tuple[Any, ...]]:
        deadline = time.monotonic() + timeout
        rows: list[tuple[Any, ...]] = []
        while time.monotonic() < deadline:
            rows = self.query(sql)
            if ok(rows):
                return rows
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting: {sql} -> {rows}\n{self.output()}")


def read_db(db: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()
