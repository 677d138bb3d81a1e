"""The team store: a DuckLake whose catalog is in PostgreSQL and whose Parquet files are
under a shared folder, so recorders on many machines write into one place.

Every connection to it is a DuckDB in memory with the lake attached as `team` and made the
default (`USE team`), so the store's SQL runs on it unchanged. Writers commit in batches with
DuckLake's retry count raised: two commits meeting settle themselves unless they truly
conflict. Only `respdeck init` creates or upgrades the schema (two writers changing it at
once conflict); everything else refuses a lake whose schema is not this respdeck's.
"""

from __future__ import annotations

import re

import duckdb

from . import extensions
from .location import TEAM_PREFIX, describe
from .sql_text import sql_string

ALIAS = "team"
# DuckLake retries a commit that met another up to 10 times by default, which 8 writers
# committing one exchange each exhausted; batches and these make a failure rare, and a batch
# that still fails is retried by its recorder from the journal.
RETRIES = {
    "ducklake_max_retry_count": 30,
    "ducklake_retry_wait_ms": 20,
    "ducklake_retry_backoff": 1.25,
}
# A one-row table per kind of write that must not run twice at once: writers that both add
# prices for a model first seen, or both import the same file, update the same row, so one
# of them conflicts and tries again, and then sees the other's rows (lake only).
LOCKS_TABLE = "respdeck_locks"
LOCKS = ("prices", "imports")


class LakeError(Exception):
    """The team store cannot be used; the message is one line for the user."""


class NoLake(LakeError):
    """No team store at that catalog yet (`respdeck init` creates one)."""


def check_catalog(catalog: str) -> None:
    if not catalog.startswith("postgres:"):
        raise LakeError(
            f"{describe(TEAM_PREFIX + catalog)}: a team store is "
            "ducklake:postgres:dbname=... host=... user=... (a catalog in PostgreSQL)"
        )


def connect(
    catalog: str,
    *,
    read_only: bool,
    data_path: str | None = None,
    create: bool = False,
    snapshot_time: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """A connection with the lake attached as `team` and in use. `create` lets DuckLake make
    a new lake (only `respdeck init` does), at `data_path`; on an existing lake `data_path`
    is where this connection finds its files (a share mounted elsewhere), the catalog's
    own path unchanged. `snapshot_time` attaches the lake as it was then."""
    check_catalog(catalog)
    conn = duckdb.connect(":memory:", config=dict(extensions.NO_AUTOINSTALL))
    try:
        extensions.load(conn, "postgres_scanner", "ducklake")
        for name, value in RETRIES.items():
            conn.execute(f"SET {name} = {value}")
        options = []
        if data_path:  # a new lake's; else where this machine reaches the shared folder
            options.append(f"DATA_PATH '{sql_string(data_path)}'")
            if not create:
                options.append("OVERRIDE_DATA_PATH true")
        if read_only:
            options.append("READ_ONLY")
        if not create:
            options.append("CREATE_IF_NOT_EXISTS false")
        if snapshot_time:
            options.append(f"SNAPSHOT_TIME '{sql_string(snapshot_time)}'")
        conn.execute(
            f"ATTACH '{sql_string(TEAM_PREFIX + catalog)}' AS {ALIAS} ({', '.join(options)})"
        )
        conn.execute(f"USE {ALIAS}")
    except extensions.ExtensionError as exc:
        conn.close()
        raise LakeError(str(exc)) from exc
    except duckdb.Error as exc:
        conn.close()
        message = attach_error(catalog, exc)
        raise (NoLake if message.startswith("no team store") else LakeError)(message) from exc
    return conn


def attach_error(catalog: str, exc: BaseException) -> str:
    """DuckLake's and libpq's messages as one line that names the store (password masked)."""
    text = " ".join(str(exc).split())
    where = describe(TEAM_PREFIX + catalog)
    if "creating a new DuckLake is explicitly disabled" in text:
        return (
            f"no team store at {where}: create it with `respdeck init --db {where} --data-path DIR`"
        )
    reason = re.search(r"Unable to connect to Postgres at \"[^\"]*\": (.*)", text)
    if reason:
        return f"{where}: cannot connect to PostgreSQL: {describe(reason.group(1)).strip()}"
    snapshot = re.search(r"(No snapshot found[^.]*|[^:]*snapshot[^:]*(before|after)[^.]*)", text)
    if snapshot:
        return f"{where}: {snapshot.group(1).strip()}"
    return f"{where}: {describe(text)}"


def is_lake(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether `conn`'s current database is a team store."""
    row = conn.execute(
        "SELECT type FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return row is not None and str(row[0]).lower() == "ducklake"


def is_conflict(exc: BaseException) -> bool:
    """A commit that met another writer's (a retry from the journal settles it)."""
    text = str(exc).lower()
    return "conflict" in text or "concurrent" in text


def snapshot_id(conn: duckdb.DuckDBPyConnection) -> int:
    """The lake's latest snapshot: what a reader polls to know something was committed."""
    row = conn.execute(f"SELECT max(snapshot_id) FROM ducklake_snapshots('{ALIAS}')").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def stored_data_path(conn: duckdb.DuckDBPyConnection) -> str | None:
    """Where the lake keeps its Parquet files, as its catalog says."""
    row = conn.execute(
        f"SELECT value FROM ducklake_options('{ALIAS}') WHERE option_name = 'data_path'"
    ).fetchone()
    return str(row[0]) if row and row[0] is not None else None
