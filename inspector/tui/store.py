"""The TUI's handle on a database: one connection, one cursor per kind of work.

DuckDB connections are not for concurrent use, so each kind of work (the list, the detail, the
live poll, other screens) has its own cursor and lock; a worker thread takes the lock of the
cursor it uses.

Over a live recorder (Quack), a query that reads two remote tables at once is refused ("multiple
streaming scans"), so every statement is sent whole to the recorder with `quack_query` and runs
there. That function is not read-only, so a statement is sent only after DuckDB's own parser
here says it is one single SELECT.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from addon.store.db import StoreError, open_for_read

ROLES = ("list", "detail", "poll", "aux")


class NotASelect(duckdb.Error):
    """A statement that would not be a single SELECT (refused before it reaches a recorder)."""


class Query:
    """A cursor that runs whole statements where the data is: here, or on the live recorder."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, remote: str | None) -> None:
        self.cur = cur
        self.remote = remote

    def execute(self, sql: str) -> duckdb.DuckDBPyConnection:
        if self.remote is None:
            return self.cur.execute(sql)
        row = self.cur.execute(
            "SELECT json_extract(s, '$.error')::BOOLEAN, json_array_length(s, '$.statements'), "
            "json_extract_string(s, '$.error_message') FROM (SELECT json_serialize_sql(?) AS s)",
            [sql],
        ).fetchone()
        if row is None or row[0] or row[1] != 1 or "quack_" in sql.lower():
            reason = row[2] if row and row[2] else ""
            if not reason or reason.startswith("Only SELECT"):
                raise NotASelect("Refused: a filter must keep the query one single SELECT")
            raise NotASelect(f"Parser Error: {reason}")
        return self.cur.execute("SELECT * FROM quack_query(?, ?)", [self.remote, sql])


class Store:
    """An open database: `with store.cursor("list") as cur: cur.execute(...)`."""

    def __init__(self, path: Path, conn: duckdb.DuckDBPyConnection) -> None:
        self.path = path
        self._conn = conn
        row = conn.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchone()
        where = str(row[0]) if row and row[0] else ""
        # the recorder's quack: URI when live (a file may well be named live.duckdb)
        self.remote: str | None = where if where.startswith("quack:") else None
        self.live = self.remote is not None
        self._cursors: dict[str, duckdb.DuckDBPyConnection] = {}
        self._locks = {role: threading.Lock() for role in ROLES}
        self._guard = threading.Lock()
        self.thread_map_version: object = None  # what the list cursor's thread map was built at
        self.memo: dict[object, object] = {}  # captures and prices, for the detail

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
    def cursor(self, role: str) -> Iterator[Query]:
        with self._locks[role]:
            with self._guard:
                cur = self._cursors.get(role)
                if cur is None:
                    cur = self._conn.cursor()
                    self._cursors[role] = cur
            yield Query(cur, self.remote)

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
