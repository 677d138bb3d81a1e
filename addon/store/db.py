"""Opening a respdeck database: where it is, and one-line errors for what can go wrong."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import duckdb

from . import lake, lake_schema
from .live import connect_live
from .location import TEAM_PREFIX, data_path, describe, team_catalog
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
    """Open (creating it and its folder if needed) and migrate to the latest schema. A team
    store is only opened: `respdeck init` (open_team_for_init) creates and migrates it."""
    catalog = team_catalog(path)
    if catalog is not None:
        return _open_team(catalog, read_only=False)
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
    except SchemaError as exc:
        conn.close()
        raise StoreError(f"{where}{exc}") from exc
    return _prepared_prices(conn, where)


def _prepared_prices(conn: duckdb.DuckDBPyConnection, where: str) -> duckdb.DuckDBPyConnection:
    """`conn` with RESPDECK_PRICES' rows and the library's prices loaded (closed on failure).

    A team store is priced by `respdeck init` and `respdeck maintain` only: writers opening
    it at once would each replace the same rows. Its writers price a model first seen
    as they store it (Writer), under a lock."""
    try:
        user_prices = os.environ.get("RESPDECK_PRICES")
        first = None
        if lake.is_lake(conn):
            from .batch_write import take_lock  # its module loads the parser: only here

            def first() -> None:
                take_lock(conn, "prices")

        load_prices(conn, Path(user_prices) if user_prices else None, first=first)
    except (SchemaError, PriceFileError) as exc:
        conn.close()
        raise StoreError(f"{where}{exc}" if isinstance(exc, SchemaError) else str(exc)) from exc
    return conn


def _open_team(
    catalog: str, *, read_only: bool, as_of: str | None = None
) -> duckdb.DuckDBPyConnection:
    """The team store attached (read-only for readers), its schema version checked."""
    try:
        conn = lake.connect(
            catalog, read_only=read_only, data_path=data_path(), snapshot_time=as_of
        )
    except lake.LakeError as exc:
        raise StoreError(str(exc)) from exc
    try:
        lake_schema.check_version(conn, writing=not read_only)
    except (SchemaError, duckdb.Error) as exc:
        conn.close()
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StoreError(f"{describe(TEAM_PREFIX + catalog)}: {text}") from exc
    return conn


def open_team_for_init(path: Path, data: str | None) -> tuple[duckdb.DuckDBPyConnection, int, int]:
    """`respdeck init`: the team store created if need be (a new one needs `data`, its data
    path) and brought to the latest schema, with RESPDECK_PRICES' rows and the library's
    prices loaded; (connection, version before, version now)."""
    catalog = team_catalog(path)
    if catalog is None:
        raise StoreError(f"{path}: not a team store (ducklake:postgres:...)")
    where = describe(path)
    try:
        try:
            conn = lake.connect(catalog, read_only=False)
        except lake.NoLake:
            if not data:
                raise StoreError(
                    f"no team store at {where} yet: give --data-path DIR (or "
                    "RESPDECK_DATA_PATH), the shared folder for its files"
                ) from None
            conn = lake.connect(catalog, read_only=False, data_path=data, create=True)
    except lake.LakeError as exc:
        raise StoreError(str(exc)) from exc
    try:
        before, after = lake_schema.create_or_upgrade(conn)
    except (SchemaError, duckdb.Error) as exc:
        conn.close()
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StoreError(f"{where}: {text}") from exc
    return _prepared_prices(conn, f"{where}: "), before, after


def open_for_read(path: Path, as_of: str | None = None) -> duckdb.DuckDBPyConnection:
    """Open a database to read: through the live server of the process that holds it, if one
    answers, else the file itself, read-only. Says how to create one when there is none. A
    team store is attached read-only, as it was at `as_of` (a timestamp) if given."""
    catalog = team_catalog(path)
    if catalog is not None:
        return _open_team(catalog, read_only=True, as_of=as_of)
    if as_of is not None:
        raise StoreError(f"{path}: --as-of reads a team store (ducklake:...) only")
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
    conn = _connect_read_only(path)
    try:
        version = current_version(conn)
    except SchemaError as exc:
        conn.close()
        raise StoreError(f"{path}: {exc}") from exc
    if version > LATEST:
        conn.close()
        raise StoreError(
            f"{path} has schema version {version}; this respdeck reads up to "
            f"{LATEST}: upgrade respdeck"
        )
    if version < LATEST:  # written by an older respdeck: upgrade it first, as a writer would
        conn.close()
        _upgrade(path, version)
        conn = _connect_read_only(path)
    return conn


def _connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise _one_line(path, exc) from exc


def _upgrade(path: Path, version: int) -> None:
    """Migrate a file an older respdeck wrote, so what reads it finds today's columns and views
    (the same migrations any writing command runs on opening it)."""
    try:
        open_for_write(path).close()
    except StoreError as exc:
        raise StoreError(
            f"{path} has schema version {version} and could not be upgraded to {LATEST} "
            f"({exc}); respdeck upgrades it once it can write the file"
        ) from exc
