"""One batch into the store, in one transaction: the SQL behind Writer (addon/store/writer).

A batch's tables are inserted from Arrow a table at a time; with `replace`, its exchanges'
old rows are deleted first (a stream shown in flight, reindex). Into a team store rows stored
already are left out (a batch from a journal may come twice) and the writes no two writers may
make at once take their lock row (addon/store/lake.LOCKS).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import duckdb
import pyarrow as pa

from . import lake
from .prices import add_models
from .rows import TABLES, Batch


class DuplicateImport(Exception):
    """A file's content is stored already (a content hash is kept once: see Writer.imported).

    Into a team store, importers of the same file at once meet on the imports lock: the one
    that commits second tries again and then finds the content stored."""


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    conn.execute("BEGIN TRANSACTION")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # a COMMIT that failed has rolled back
            conn.execute("ROLLBACK")
        raise


def write_batch(
    conn: duckdb.DuckDBPyConnection,
    batch: Batch,
    replace: bool = False,
    links: Sequence[tuple[str, str, str | None]] = (),
    *,
    team: bool = False,
) -> None:
    """Insert a batch in one transaction; with `replace`, its exchanges' old rows go first.
    `links`: (exchange id, the id it was re-sent from, edits) rows of `resends`. `team`: the
    connection is a team store's (rows stored already left out, locks taken)."""
    exchange_ids = pa.array(batch.columns["exchanges"]["exchange_id"], pa.uuid())
    with transaction(conn), registered(conn, "respdeck_ids", pa.table({"id": exchange_ids})):
        if replace:
            for table in reversed(TABLES):
                if table != "captures":
                    conn.execute(
                        f"DELETE FROM {table} WHERE exchange_id IN (SELECT id FROM respdeck_ids)"
                    )
        stored = _stored(conn, batch) if team and not replace else None
        _check_new_content(conn, batch, team=team)
        for table in TABLES:
            if batch.rows(table):
                insert_rows(conn, table, batch.arrow(table), stored)
        for link in links:
            if stored is None or link[0] not in stored[1]:
                conn.execute("INSERT INTO resends VALUES (?::UUID, ?::UUID, ?)", list(link))
        if not team:  # a team store's writer prices in a transaction of its own (Writer)
            add_models(conn, batch.models())


@contextmanager
def registered(conn: duckdb.DuckDBPyConnection, name: str, rows: pa.Table) -> Iterator[None]:
    """`rows` queryable as the view `name` for the length of the block."""
    conn.register(name, rows)
    try:
        yield
    finally:
        conn.unregister(name)


def _stored(conn: duckdb.DuckDBPyConnection, batch: Batch) -> tuple[set[str], set[str]]:
    """(capture ids, exchange ids) of the batch's that the store holds already. The capture
    ids narrow the look-up: a data file holds a batch or a merge of a few, and its min/max
    statistics skip the files of other captures."""
    capture_ids = pa.array(
        sorted(
            set(batch.columns["captures"]["capture_id"])
            | set(batch.columns["exchanges"]["capture_id"])
        ),
        pa.uuid(),
    )
    with registered(conn, "respdeck_capture_ids", pa.table({"id": capture_ids})):
        captures = conn.execute(
            "SELECT capture_id::VARCHAR FROM captures "
            "WHERE capture_id IN (SELECT id FROM respdeck_capture_ids)"
        ).fetchall()
        exchanges = conn.execute(
            "SELECT exchange_id::VARCHAR FROM exchanges "
            "WHERE capture_id IN (SELECT id FROM respdeck_capture_ids) "
            "AND exchange_id IN (SELECT id FROM respdeck_ids)"
        ).fetchall()
    return {str(r[0]) for r in captures}, {str(r[0]) for r in exchanges}


def _check_new_content(conn: duckdb.DuckDBPyConnection, batch: Batch, *, team: bool) -> None:
    """The content hashes of the batch's captures are not stored yet (nor twice in it)."""
    digests = [d for d in batch.columns["captures"]["source_sha256"] if d is not None]
    if not digests:
        return
    if len(set(digests)) < len(digests):
        raise DuplicateImport("the same content twice in one batch")
    if team:
        take_lock(conn, "imports")
    with registered(conn, "respdeck_digests", pa.table({"d": pa.array(digests, pa.string())})):
        row = conn.execute(
            "SELECT any_value(source_sha256) FROM captures "
            "WHERE source_sha256 IN (SELECT d FROM respdeck_digests)"
        ).fetchone()
    if row and row[0] is not None:
        raise DuplicateImport(f"content {row[0]} is stored already")


def insert_rows(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    rows: pa.Table,
    stored: tuple[set[str], set[str]] | None,
) -> None:
    """Insert `rows`, less those of `stored` (captures, exchanges) when given."""
    key, index = ("capture_id", 0) if table == "captures" else ("exchange_id", 1)
    if stored is not None and stored[index]:
        keep = pa.array([str(v) not in stored[index] for v in rows.column(key).to_pylist()])
        rows = rows.filter(keep)
        if not rows.num_rows:
            return
    names = ", ".join(f'"{c}"' for c in rows.column_names)
    with registered(conn, "respdeck_batch", rows):
        conn.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM respdeck_batch")


def take_lock(conn: duckdb.DuckDBPyConnection, name: str) -> None:
    """In the caller's transaction on a team store: make it conflict with any other that
    takes `name` (addon/store/lake.LOCKS), which then tries again and sees this one's rows."""
    conn.execute(f"UPDATE {lake.LOCKS_TABLE} SET n = n + 1 WHERE name = ?", [name])
