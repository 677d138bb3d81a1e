"""Opening a respdeck database: where it is, and one-line errors for what can go wrong."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import duckdb

from .live import connect_live
from .migrations import LATEST, SchemaError, current_version, migrate
from .prices import PriceFileError, load_prices


class StoreError(Exception):
    """A database that cannot be used; the message is one line for the user."""


def _one_line(path: Path, exc: duckdb.Error) -> StoreError:
    text = str(exc)
    holder = re.search(r"PID (\d+)", text)
    if "lock" in text.lower() and holder:
        return StoreError(
            f"{path} is held by another process (PID {holder.group(1)}) that does not serve "
            "it; stop that process or give another --db"
        )
    return StoreError(f"{path}: {text.splitlines()[0] if text else type(exc).__name__}")


def keep_private(path: Path) -> None:
    """Make the files DuckDB creates for `path` no more open than the database itself: 0600
    for a new database, an existing file's own mode otherwise.

    They hold the same prompts and answers as the journal (0600), but DuckDB creates the
    database, its WAL (again after every checkpoint) and its spill folder with the process's
    umask, so the umask of this process, which writes the database, is tightened (never
    loosened) for good. The owner keeps rwx: DuckDB's folders must stay usable.
    """
    try:
        allowed = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        allowed = 0o600
    current = os.umask(0o077)
    os.umask(current | (0o777 & ~(allowed | 0o700)))


def open_for_write(path: Path) -> duckdb.DuckDBPyConnection:
    """Open (creating it and its folder if needed) and migrate to the latest schema."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        keep_private(path)
        conn = duckdb.connect(str(path))
    except (duckdb.Error, OSError) as exc:
        if isinstance(exc, OSError):
            raise StoreError(f"{path}: {exc.strerror or exc}") from exc
        raise _one_line(path, exc) from exc
    return _prepared(conn, f"{path}: ")


def open_scratch() -> duckdb.DuckDBPyConnection:
    """A store in memory, migrated and priced like a file: for reading a recording file with
    the store's SQL (a diff of two cassettes) without importing it anywhere."""
    return _prepared(duckdb.connect(":memory:"), "")


def _prepared(conn: duckdb.DuckDBPyConnection, where: str) -> duckdb.DuckDBPyConnection:
    """`conn` migrated to the latest schema, with the prices loaded (closed on failure)."""
    try:
        migrate(conn)
        user_prices = os.environ.get("RESPDECK_PRICES")
        load_prices(conn, Path(user_prices) if user_prices else None)
    except (SchemaError, PriceFileError) as exc:
        conn.close()
        raise StoreError(f"{where}{exc}" if isinstance(exc, SchemaError) else str(exc)) from exc
    return conn


def open_for_read(path: Path) -> duckdb.DuckDBPyConnection:
    """Open a database to read: through the live server of the process that holds it, if one
    answers, else the file itself, read-only. Says how to create one when there is none."""
    live = connect_live(path)
    if live is not None:
        row = live.execute("SELECT max(version) FROM schema_version").fetchone()
        if row and row[0] is not None and int(row[0]) > LATEST:
            live.close()
            raise StoreError(
                f"{path} has schema version {row[0]}; this respdeck reads up to "
                f"{LATEST}: upgrade respdeck"
            )
        return live
    if not path.exists():
        raise StoreError(
            f"no database at {path}: create one with `respdeck import PATH...` "
            "(or point --db / RESPDECK_DB at one)"
        )
    try:
        conn = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise _one_line(path, exc) from exc
    try:
        version = current_version(conn)
        if version > LATEST:
            raise StoreError(
                f"{path} has schema version {version}; this respdeck reads up to "
                f"{LATEST}: upgrade respdeck"
            )
    except SchemaError as exc:
        conn.close()
        raise StoreError(f"{path}: {exc}") from exc
    return conn
