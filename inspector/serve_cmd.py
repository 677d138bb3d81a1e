"""`respdeck serve`: hold a database and serve it live, so other respdeck commands can read it.

DuckDB lets only one process open a database file; while this runs, `respdeck sql` and friends
reach the database through it (Quack on 127.0.0.1) instead of opening the file.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import click

from addon.store.db import StoreError, db_path, open_for_write
from addon.store.live import LiveError, LiveServer


@click.command()
@click.option("--db", "db", type=click.Path(path_type=Path), help="Database file.")
def serve(db: Path | None) -> None:
    """Serve the database to other respdeck processes until Ctrl-C."""
    path = db_path(db)
    try:
        conn = open_for_write(path)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            server = LiveServer.start(conn, path)
        except LiveError as exc:
            raise click.ClickException(str(exc)) from exc
        try:
            click.echo(
                f"serving {path} on {server.uri} (discovery file {server.discovery}); "
                "Ctrl-C to stop"
            )
            while not stop.wait(0.5):  # a timed wait keeps signal handling prompt
                pass
        finally:
            server.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        try:
            conn.execute("CHECKPOINT")
        finally:
            conn.close()
