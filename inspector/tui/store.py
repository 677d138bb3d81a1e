"""The TUI's handle on a database: one connection, one cursor per kind of work.

DuckDB connections are not for concurrent use, so each kind of work (the list, the detail, the
live poll, other screens) has its own cursor and lock; a worker thread takes the lock of the
cursor it uses. Over a live recorder (Quack) every cursor is pointed at the attached catalog.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from addon.store.db import StoreError, open_for_read

ROLES = ("list", "detail", "poll", "aux")


class Store:
    """An open database: `with store.cursor("list") as cur: cur.execute(...)`."""

    def __init__(self, path: Path, conn: duckdb.DuckDBPyConnection) -> None:
        self.path = path
        self._conn = conn
        row = conn.execute("SELECT current_database()").fetchone()
        self.catalog = str(row[0]) if row else "memory"
        self.live = self.catalog == "live"
        self._cursors: dict[str, duckdb.DuckDBPyConnection] = {}
        self._locks = {role: threading.Lock() for role in ROLES}
        self._guard = threading.Lock()
        self.thread_map_version: object = None  # what the list cursor's thread map was built at

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open `path` (through its live server when one answers); StoreError when it cannot."""
        conn = open_for_read(path)
        try:
            return cls(path, conn)
        except duckdb.Error as exc:
            conn.close()
            raise StoreError(f"{path}: {str(exc).splitlines()[0]}") from exc

    @contextmanager
    def cursor(self, role: str) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._locks[role]:
            with self._guard:
                cur = self._cursors.get(role)
                if cur is None:
                    cur = self._conn.cursor()
                    if self.live:
                        cur.execute(f"USE {self.catalog}")
                    self._cursors[role] = cur
            yield cur

    def interrupt(self, role: str) -> None:
        """Cancel the query running on that cursor, if any (from another thread)."""
        cur = self._cursors.get(role)
        if cur is not None:
            with suppress(duckdb.Error, RuntimeError):
                cur.interrupt()

    def close(self) -> None:
        with self._guard:
            for cur in self._cursors.values():
                with suppress(duckdb.Error):
                    cur.close()
            self._cursors.clear()
            with suppress(duckdb.Error):
                self._conn.close()

    @property
    def label(self) -> str:
        return f"{self.path} (live)" if self.live else str(self.path)
