"""Live reading of a database another process holds, over DuckDB's Quack protocol.

DuckDB lets one process open a database file for writing, and no other process may open it
meanwhile, not even read-only. So the process that holds a respdeck database serves it with
Quack on 127.0.0.1 and writes a discovery file beside it (`<db>.live.json`, mode 0600, holding
the address and a random token). A reader finds that file, attaches the server read-only and
sees each committed write as it lands.

Anyone who can read the discovery file can query (and, attaching without READ_ONLY, write)
the database; the file is readable by its owner only, who can open the database file anyway.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import duckdb

from addon.atomic import replace_file
from addon.ports import free_port

from . import extensions
from .sql_text import sql_string

HOST = "127.0.0.1"
ALIAS = "live"  # the attached catalog's name in a reader's connection
PROBE_TIMEOUT = 3.0  # seconds; a Quack ATTACH to a server that never answers hangs for good
# Extensions come from the installed wheels only: nothing is fetched from the network.
NO_AUTOINSTALL = extensions.NO_AUTOINSTALL


class LiveError(Exception):
    """Live serving cannot start; the message is one line for the user."""


def discovery_path(db_path: Path) -> Path:
    """Where the process serving `db_path` says how to reach it."""
    return db_path.with_name(db_path.name + ".live.json")


def load_extensions(conn: duckdb.DuckDBPyConnection) -> None:
    """Load httpfs and quack from their packages' files, never from the network."""
    try:
        extensions.load(conn, "httpfs", "quack")
    except extensions.ExtensionError as exc:
        raise LiveError(str(exc)) from exc


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    except OSError:
        return False
    return True


def read_discovery(db_path: Path) -> dict[str, Any] | None:
    """The discovery file's contents if it is well formed and its process is alive, else None."""
    try:
        data = json.loads(discovery_path(db_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    uri, token, pid = data.get("uri"), data.get("token"), data.get("pid")
    if not (isinstance(uri, str) and isinstance(token, str) and isinstance(pid, int)):
        return None
    if not uri.startswith(f"quack:{HOST}:") or not _pid_alive(pid):
        return None
    return data


class LiveServer:
    """Serves one open database over Quack and advertises it in the discovery file."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, db_path: Path, uri: str, token: str):
        self.conn = conn
        self.db_path = db_path
        self.uri = uri
        self.token = token
        self.url = ""
        self.discovery = discovery_path(db_path)
        self._serving = False

    @classmethod
    def start(cls, conn: duckdb.DuckDBPyConnection, db_path: Path) -> LiveServer:
        """Serve `conn` (the connection holding `db_path` for writing) on a free local port.

        A discovery file already there is replaced: holding the write connection proves that
        no other process serves this database.
        """
        load_extensions(conn)
        existing = read_discovery(db_path)
        if existing and existing["pid"] == os.getpid():
            raise LiveError(f"{db_path} is already served by this process ({existing['uri']})")
        token = secrets.token_urlsafe(32)
        last: duckdb.Error | None = None
        for _ in range(5):  # another program may take the port between the probe and the bind
            server = cls(conn, db_path, f"quack:{HOST}:{free_port(HOST)}", token)
            try:
                row = conn.execute(
                    "CALL quack_serve(?, token = ?, disable_ssl = true)", [server.uri, token]
                ).fetchone()
            except duckdb.Error as exc:
                last = exc
                continue
            server._serving = True
            server.url = str(row[1]) if row else f"http://{server.uri[len('quack:') :]}"
            try:
                server._write_discovery()
            except OSError as exc:
                server.stop()
                raise LiveError(f"cannot write {server.discovery}: {exc.strerror}") from exc
            return server
        raise LiveError(f"cannot serve {db_path}: {str(last).splitlines()[0] if last else ''}")

    def _write_discovery(self) -> None:
        info = {
            "uri": self.uri,
            "url": self.url,
            "token": self.token,
            "pid": os.getpid(),
            "started_at": datetime.now(UTC).isoformat(),
            "db": str(self.db_path.resolve()),
        }
        # Written to a private temporary file, then renamed: a reader never sees half a file,
        # and the token is never readable by others, not even for a moment.
        replace_file(self.discovery, json.dumps(info, indent=2) + "\n")

    def stop(self) -> None:
        """Stop serving and remove the discovery file if it is still ours; safe to repeat."""
        if self._serving:
            self._serving = False
            with contextlib.suppress(duckdb.Error):
                self.conn.execute("CALL quack_stop(?)", [self.uri])
        try:
            data = json.loads(self.discovery.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if (
            isinstance(data, dict)
            and data.get("pid") == os.getpid()
            and data.get("uri") == self.uri
        ):
            with contextlib.suppress(FileNotFoundError):
                self.discovery.unlink()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _answers(uri: str, timeout: float) -> bool:
    """Whether anything answers HTTP at `uri`: checked first because a Quack ATTACH to a
    listener that never replies blocks forever and cannot be interrupted."""
    host, _, port = uri[len("quack:") :].rpartition(":")
    try:
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    except ValueError:
        return False
    try:
        conn.request("GET", "/")
        conn.getresponse().read()
    except (OSError, http.client.HTTPException, ValueError):
        return False
    finally:
        conn.close()
    return True


def connect_live(db_path: Path, timeout: float = PROBE_TIMEOUT) -> duckdb.DuckDBPyConnection | None:
    """A read-only connection to the process serving `db_path`, or None when none does.

    The remote catalog is attached as `live` and made the default with USE, so queries name
    tables unqualified (`SELECT count(*) FROM exchanges`). Never raises: a missing, stale or
    garbled discovery file, or a server that does not answer, gives None.
    """
    info = read_discovery(db_path)
    if info is None:
        return None
    try:
        if Path(str(info.get("db", ""))) != db_path.resolve():
            return None  # a file copied from elsewhere
    except OSError:
        return None
    uri, token = info["uri"], info["token"]
    if not _answers(uri, timeout):
        return None
    conn = duckdb.connect(":memory:", config=dict(NO_AUTOINSTALL))
    try:
        load_extensions(conn)
        conn.execute("SET python_enable_replacements = false")
        # A temporary secret lives in this connection only; nothing is written to disk.
        conn.execute(
            "CREATE TEMPORARY SECRET respdeck_live (TYPE quack, TOKEN ?, SCOPE ?)", [token, uri]
        )
        conn.execute(f"ATTACH '{sql_string(uri)}' AS {ALIAS} (READ_ONLY, DISABLE_SSL true)")
        conn.execute(f"USE {ALIAS}")
    except (duckdb.Error, LiveError):
        conn.close()
        return None
    return conn


class NotASelect(duckdb.Error):
    """A statement refused before it reaches a live server: not one single SELECT."""


def remote_uri(conn: duckdb.DuckDBPyConnection) -> str | None:
    """The Quack URI when `conn` reads a live server (see `connect_live`), else None."""
    row = conn.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    where = str(row[0]) if row and row[0] else ""
    return where if where.startswith("quack:") else None


def remote_statement(conn: duckdb.DuckDBPyConnection, uri: str, sql: str) -> str:
    """A SELECT over `quack_query`, running `sql` whole on the live server.

    Over Quack a query reading two remote tables at once is refused ("multiple streaming
    scans"), so joins must run where the data is. `quack_query` does not enforce read-only,
    so the statement goes only if DuckDB's parser here says it is exactly one SELECT.
    """
    row = conn.execute(
        "SELECT json_extract(s, '$.error')::BOOLEAN, json_array_length(s, '$.statements'), "
        "json_extract_string(s, '$.error_message') FROM (SELECT json_serialize_sql(?) AS s)",
        [sql],
    ).fetchone()
    if row is None or row[0] or row[1] != 1 or "quack_" in sql.lower():
        reason = row[2] if row and row[2] else ""
        if not reason or reason.startswith("Only SELECT"):
            raise NotASelect("a live database takes one single SELECT statement")
        raise NotASelect(f"Parser Error: {reason}")
    return f"SELECT * FROM quack_query('{sql_string(uri)}', '{sql_string(sql)}')"
