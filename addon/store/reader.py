"""The one way to read a database, whether the file or a live recorder (Quack) answers.

Commands, the TUI, the demo and the tests all read through a `Reader`. DuckDB connections are
not for concurrent use, so each kind of work (a command's queries, the TUI's list, detail, live
poll, other screens) has its own cursor and lock; a worker thread takes the lock of the cursor
it uses.

Over a live recorder (Quack), a query that reads two remote tables at once is refused ("multiple
streaming scans"), so every statement is sent whole to the recorder with `quack_query` and runs
there. That function is not read-only, so a statement is sent only after DuckDB's own parser
here says it is one single SELECT.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import duckdb

from .db import StoreError, open_for_read
from .lake import ALIAS as LAKE_ALIAS
from .lake import is_lake
from .live import NotASelect, remote_statement, remote_uri
from .location import describe

__all__ = ["NotASelect", "Query", "Reader", "StoreError", "error_text"]

ROLES = ("main", "list", "detail", "poll", "aux")


class Query:
    """A cursor that runs whole statements where the data is: here, or on the live recorder."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, remote: str | None) -> None:
        self.cur = cur
        self.remote = remote

    def statement(self, sql: str) -> str:
        """`sql` as it runs: itself here, or whole on the live recorder (a single SELECT)."""
        return sql if self.remote is None else remote_statement(self.cur, self.remote, sql)

    def execute(self, sql: str) -> duckdb.DuckDBPyConnection:
        return self.cur.execute(self.statement(sql))


class Reader:
    """An open database: `reader.execute(sql)` from one thread, or per kind of work
    `with reader.cursor("list") as cur: cur.execute(...)`."""

    def __init__(self, path: Path, conn: duckdb.DuckDBPyConnection) -> None:
        self.path = path
        self._conn = conn
        self.remote = remote_uri(conn)  # the recorder's quack: URI when live
        # A team store is read where it is, each query at its latest snapshot: as live as a
        # recorder's server (the TUI polls it), but every cursor must name it its default.
        self.team = is_lake(conn)
        self.live = self.remote is not None or self.team
        self._cursors: dict[str, duckdb.DuckDBPyConnection] = {}
        self._locks = {role: threading.Lock() for role in ROLES}
        self._guard = threading.Lock()
        self.thread_map_version: object = None  # what the list cursor's thread map was built at
        self.memo: dict[object, object] = {}  # captures and prices, for the detail

    @classmethod
    def open(cls, path: Path, as_of: str | None = None) -> Reader:
        """Open `path` (through its live server when one answers); StoreError when it cannot.
        `as_of` (a timestamp) reads a team store as it was then."""
        conn = open_for_read(path, as_of)
        try:
            return cls(path, conn)
        except duckdb.Error as exc:
            conn.close()
            raise StoreError(f"{describe(path)}: {str(exc).splitlines()[0]}") from exc

    @contextmanager
    def cursor(self, role: str) -> Iterator[Query]:
        with self._locks[role]:
            with self._guard:
                cur = self._cursors.get(role)
                if cur is None:
                    cur = self._conn.cursor()
                    if self.team:  # a cursor starts on the in-memory default database
                        cur.execute(f"USE {LAKE_ALIAS}")
                    self._cursors[role] = cur
            yield Query(cur, self.remote)

    def execute(self, sql: str) -> duckdb.DuckDBPyConnection:
        """Run one read statement on the "main" cursor (a command's single thread)."""
        with self.cursor("main") as cur:
            return cur.execute(sql)

    def fetchall(self, sql: str) -> list[tuple[Any, ...]]:
        return self.execute(sql).fetchall()

    def fetchone(self, sql: str) -> tuple[Any, ...] | None:
        return self.execute(sql).fetchone()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

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
        if self.team:
            return f"{describe(self.path)} (team)"
        return f"{self.path} (live)" if self.live else str(self.path)


def error_text(exc: BaseException) -> str:
    """DuckDB's message on one line, without the echo of the (generated) query and its caret."""
    text = str(exc).strip()
    text = re.split(r"\n\s*\nLINE \d+:|\nLINE \d+:", text)[0]
    return " ".join(line.strip() for line in text.splitlines() if line.strip())
