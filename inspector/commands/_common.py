"""What every subcommand repeats: the `--db` option, opening a reader or writer with one-line
errors, table output and stopping on a signal. A command module keeps only its own job.

DuckDB and the store load only when a command opens the database: `respdeck record`'s own
process imports this module and must stay small (tests/test_recorder_footprint.py).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from addon.store.location import db_path, is_team

if TYPE_CHECKING:
    import duckdb

    from addon.store.reader import Reader

DB_HELP = "Database file (default: $RESPDECK_DB or recordings/respdeck.duckdb)."


def db_option[F: Callable[..., Any]](func: F) -> F:
    """`--db FILE`, the same on every command."""
    return click.option("--db", "db", type=click.Path(path_type=Path), help=DB_HELP)(func)


def one_line(exc: BaseException) -> click.ClickException:
    """A DuckDB or store error as the one line a user sees (`respdeck: ...`, exit 2)."""
    text = str(exc).strip().splitlines()
    return click.ClickException(text[0] if text else type(exc).__name__)


@contextmanager
def reading(db: Path | None) -> Iterator[Reader]:
    """The database (file or live recorder) open to read; errors become one line."""
    import duckdb

    from addon.store.db import StoreError
    from addon.store.reader import Reader

    try:
        reader = Reader.open(db_path(db))
    except StoreError as exc:
        raise one_line(exc) from exc
    try:
        yield reader
    except duckdb.Error as exc:
        raise one_line(exc) from exc
    finally:
        reader.close()


@contextmanager
def writing(db: Path | None, *, must_exist: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """The database open to write (created and migrated if need be); errors become one line.
    The connection is for a `Writer` or for holding the file; commands write through those."""
    import duckdb

    from addon.store.db import StoreError, open_for_write

    path = db_path(db)
    if must_exist and not is_team(path) and not path.exists():
        raise click.ClickException(f"no database at {path}")
    try:
        conn = open_for_write(path)
    except StoreError as exc:
        raise one_line(exc) from exc
    try:
        yield conn
    except duckdb.Error as exc:
        raise one_line(exc) from exc
    finally:
        conn.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:.6g}"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def format_table(names: list[str], rows: list[tuple[Any, ...]]) -> str:
    """A plain text table; numbers right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(n)] + [len(r[i]) for r in cells]) for i, n in enumerate(names)]
    numeric = [
        bool(rows) and all(isinstance(r[i], int | float) or r[i] is None for r in rows)
        for i in range(len(names))
    ]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    lines = [line(list(names)), "  ".join("-" * w for w in widths)]
    lines += [line(r) for r in cells]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM while the block runs; the old handlers come back after.

    Long-running commands (`serve`, `record`, `replay`) wait on it with a timeout, which keeps
    signal handling prompt, and then shut down in order instead of dying mid-write.
    """
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
